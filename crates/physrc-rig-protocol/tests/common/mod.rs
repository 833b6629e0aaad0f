//! Shared test helpers: one message of every kind, an independent COBS decoder and CRC, and
//! proptest strategies for arbitrary messages.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use heapless::{String, Vec as HVec};
use physrc_rig_protocol::{
    BlockDone, BlockStep, Chunk, ErrorCode, ErrorReply, Errors, FieldSet, Identity, Limits,
    LoadBlock, MAX_ENCODED_FRAME, Measurement, Message, ReadChunk, ReadMeasurement, Reply, Request,
    RunBlock, SetField, StatusReport, encode_frame,
};
use proptest::prelude::*;

pub fn limits() -> Limits {
    Limits {
        max_field_mt: 20.0,
        max_slew_mt_per_ms: 0.5,
        watchdog_ms: 2000,
    }
}

pub fn samples(n: usize, seed: u16) -> HVec<u8, 480> {
    let mut v = HVec::new();
    for i in 0..n {
        let code = seed.wrapping_mul(31).wrapping_add(i as u16 * 977);
        v.extend_from_slice(&code.to_le_bytes()).unwrap();
    }
    v
}

/// One request of every kind, in kind order.
pub fn every_request() -> Vec<Request> {
    let mut steps = HVec::new();
    for i in 0..5 {
        steps
            .push(BlockStep {
                x_mt: i as f32 * 0.5,
                y_mt: -(i as f32),
                measure: i % 2 == 0,
            })
            .unwrap();
    }
    vec![
        Request::Hello,
        Request::SetField(SetField {
            x_mt: 1.5,
            y_mt: -0.25,
            settle_us: 1000,
        }),
        Request::Measure,
        Request::ReadMeasurement(ReadMeasurement { first_channel: 240 }),
        Request::LoadBlock(LoadBlock {
            block: 9,
            offset: 48,
            settle_us: 250,
            steps,
        }),
        Request::RunBlock(RunBlock {
            block: 9,
            steps: 53,
        }),
        Request::ReadChunk(ReadChunk {
            block: 9,
            index: 2,
            first_channel: 0,
        }),
        Request::Status,
        Request::ErrorQueue,
        Request::Abort,
        Request::CoilsOff,
    ]
}

pub fn identity() -> Identity {
    Identity {
        maker: String::try_from("physrc").unwrap(),
        model: String::try_from("asi-rig-emulator").unwrap(),
        serial: String::try_from("0001").unwrap(),
        firmware: String::try_from("0.1.0").unwrap(),
        protocol: 1,
        channels: 64,
        adc_bits: 16,
        dac_bits: 20,
        full_scale: 12.288,
        field_lsb_mt: 50.0 / 524288.0,
        limits: limits(),
    }
}

/// One reply of every kind, in kind order.
pub fn every_reply() -> Vec<Reply> {
    vec![
        Reply::Identity(identity()),
        Reply::Ack,
        Reply::FieldSet(FieldSet {
            x_mt: 1.4999,
            y_mt: -0.2501,
        }),
        Reply::Measurement(Measurement {
            first_channel: 0,
            total: 64,
            samples: samples(64, 1),
        }),
        Reply::Chunk(Chunk {
            block: 9,
            index: 2,
            step: 4,
            first_channel: 0,
            total: 64,
            samples: samples(64, 2),
        }),
        Reply::BlockDone(BlockDone {
            block: 9,
            steps: 53,
            measured: 27,
            aborted: false,
        }),
        Reply::StatusReport(StatusReport {
            running: Some(9),
            queued: None,
            coils_on: true,
            x_mt: 3.0,
            y_mt: -4.0,
            errors: 1,
            uptime_ms: 123_456,
        }),
        Reply::Errors(Errors {
            codes: HVec::from_slice(&[ErrorCode::Watchdog, ErrorCode::FieldLimit]).unwrap(),
            overflowed: true,
        }),
        Reply::Error(ErrorReply {
            code: ErrorCode::SlewLimit,
            detail: 7,
        }),
    ]
}

/// Encodes a message to a wire frame (delimiter included).
pub fn wire<M: Message>(seq: u16, boot_id: u32, msg: &M) -> Vec<u8> {
    let mut out = [0u8; MAX_ENCODED_FRAME];
    let n = encode_frame(seq, boot_id, msg, &mut out).unwrap();
    out[..n].to_vec()
}

/// COBS decoding written independently of the `cobs` crate: `None` for an invalid encoding.
pub fn ref_cobs_decode(encoded: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < encoded.len() {
        let code = encoded[i] as usize;
        if code == 0 {
            return None;
        }
        i += 1;
        let run = code - 1;
        if i + run > encoded.len() {
            return None;
        }
        out.extend_from_slice(&encoded[i..i + run]);
        i += run;
        if code != 0xFF && i < encoded.len() {
            out.push(0);
        }
    }
    Some(out)
}

/// COBS encoding written independently of the `cobs` crate. Like the crate (and unlike the
/// textbook encoder, which ends such a frame with an extra 0x01), it writes no code byte after
/// a 254-byte run that ends the data; decoders accept both forms.
pub fn ref_cobs_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut run = Vec::new();
    let mut ended_full = false;
    for &b in data {
        ended_full = false;
        if b == 0 {
            out.push(run.len() as u8 + 1);
            out.append(&mut run);
        } else {
            run.push(b);
            if run.len() == 254 {
                out.push(0xFF);
                out.append(&mut run);
                ended_full = true;
            }
        }
    }
    if !ended_full {
        out.push(run.len() as u8 + 1);
        out.append(&mut run);
    }
    out
}

/// CRC-16/IBM-3740 bit by bit, written independently of the `crc` crate.
pub fn ref_crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Whether a COBS-decoded frame has a valid length and CRC by the reference implementation.
pub fn ref_frame_ok(decoded: &[u8]) -> bool {
    (10..=512).contains(&decoded.len()) && {
        let (content, crc) = decoded.split_at(decoded.len() - 2);
        ref_crc16(content) == u16::from_le_bytes([crc[0], crc[1]])
    }
}

pub fn hex(bytes: &[u8]) -> std::string::String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Strategies.

fn hstring<const N: usize>(max_chars: usize) -> impl Strategy<Value = String<N>> {
    proptest::string::string_regex(&format!("\\PC{{0,{max_chars}}}"))
        .unwrap()
        .prop_filter_map("longer than the capacity", |s| {
            String::try_from(s.as_str()).ok()
        })
}

fn bytes<const N: usize>() -> impl Strategy<Value = HVec<u8, N>> {
    prop::collection::vec(any::<u8>(), 0..=N).prop_map(|v| HVec::from_slice(&v).unwrap())
}

fn block_step() -> impl Strategy<Value = BlockStep> {
    (any::<f32>(), any::<f32>(), any::<bool>()).prop_map(|(x_mt, y_mt, measure)| BlockStep {
        x_mt,
        y_mt,
        measure,
    })
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    prop::sample::select(ErrorCode::ALL.to_vec())
}

fn limits_strategy() -> impl Strategy<Value = Limits> {
    (any::<f32>(), any::<f32>(), any::<u32>()).prop_map(|(a, b, c)| Limits {
        max_field_mt: a,
        max_slew_mt_per_ms: b,
        watchdog_ms: c,
    })
}

pub fn arb_request() -> impl Strategy<Value = Request> {
    prop_oneof![
        Just(Request::Hello),
        (any::<f32>(), any::<f32>(), any::<u32>()).prop_map(|(x_mt, y_mt, settle_us)| {
            Request::SetField(SetField {
                x_mt,
                y_mt,
                settle_us,
            })
        }),
        Just(Request::Measure),
        any::<u16>().prop_map(|first_channel| {
            Request::ReadMeasurement(ReadMeasurement { first_channel })
        }),
        (
            any::<u16>(),
            any::<u16>(),
            any::<u32>(),
            prop::collection::vec(block_step(), 0..=48)
        )
            .prop_map(|(block, offset, settle_us, steps)| {
                Request::LoadBlock(LoadBlock {
                    block,
                    offset,
                    settle_us,
                    steps: HVec::from_slice(&steps).unwrap(),
                })
            }),
        (any::<u16>(), any::<u16>())
            .prop_map(|(block, steps)| Request::RunBlock(RunBlock { block, steps })),
        (any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(block, index, first_channel)| {
            Request::ReadChunk(ReadChunk {
                block,
                index,
                first_channel,
            })
        }),
        Just(Request::Status),
        Just(Request::ErrorQueue),
        Just(Request::Abort),
        Just(Request::CoilsOff),
    ]
}

pub fn arb_reply() -> impl Strategy<Value = Reply> {
    let identity = (
        (
            hstring::<24>(6),
            hstring::<24>(6),
            hstring::<24>(6),
            hstring::<16>(4),
        ),
        (any::<u8>(), any::<u16>(), any::<u8>(), any::<u8>()),
        (any::<f32>(), any::<f32>(), limits_strategy()),
    )
        .prop_map(
            |(
                (maker, model, serial, firmware),
                (protocol, channels, adc_bits, dac_bits),
                (full_scale, field_lsb_mt, limits),
            )| {
                Reply::Identity(Identity {
                    maker,
                    model,
                    serial,
                    firmware,
                    protocol,
                    channels,
                    adc_bits,
                    dac_bits,
                    full_scale,
                    field_lsb_mt,
                    limits,
                })
            },
        );
    prop_oneof![
        identity,
        Just(Reply::Ack),
        (any::<f32>(), any::<f32>())
            .prop_map(|(x_mt, y_mt)| Reply::FieldSet(FieldSet { x_mt, y_mt })),
        (any::<u16>(), any::<u16>(), bytes::<480>()).prop_map(|(first_channel, total, samples)| {
            Reply::Measurement(Measurement {
                first_channel,
                total,
                samples,
            })
        }),
        (
            (any::<u16>(), any::<u16>(), any::<u16>()),
            (any::<u16>(), any::<u16>()),
            bytes::<480>()
        )
            .prop_map(|((block, index, step), (first_channel, total), samples)| {
                Reply::Chunk(Chunk {
                    block,
                    index,
                    step,
                    first_channel,
                    total,
                    samples,
                })
            }),
        (any::<u16>(), any::<u16>(), any::<u16>(), any::<bool>()).prop_map(
            |(block, steps, measured, aborted)| {
                Reply::BlockDone(BlockDone {
                    block,
                    steps,
                    measured,
                    aborted,
                })
            }
        ),
        (
            (any::<Option<u16>>(), any::<Option<u16>>(), any::<bool>()),
            (any::<f32>(), any::<f32>(), any::<u8>(), any::<u32>())
        )
            .prop_map(
                |((running, queued, coils_on), (x_mt, y_mt, errors, uptime_ms))| {
                    Reply::StatusReport(StatusReport {
                        running,
                        queued,
                        coils_on,
                        x_mt,
                        y_mt,
                        errors,
                        uptime_ms,
                    })
                }
            ),
        (prop::collection::vec(error_code(), 0..=8), any::<bool>()).prop_map(
            |(codes, overflowed)| {
                Reply::Errors(Errors {
                    codes: HVec::from_slice(&codes).unwrap(),
                    overflowed,
                })
            }
        ),
        (error_code(), any::<u32>())
            .prop_map(|(code, detail)| Reply::Error(ErrorReply { code, detail })),
    ]
}

//! The wire format: round trips of every message kind, the worked examples of the protocol
//! document, frame sizes and the small value types.

mod common;

use common::*;
use heapless::Vec as HVec;
use physrc_rig_protocol::{
    BlockStep, Chunk, ErrorCode, FieldSet, Frame, Header, Identity, LoadBlock, MAX_CHUNK_BYTES,
    MAX_ENCODED_FRAME, MAX_FRAME, MAX_LOAD_STEPS, Measurement, PROTOCOL_VERSION, ProtocolError,
    Reply, Request, SetField, StatusReport, check_frame, code_to_value, crc16,
    decode_encoded_frame, decode_reply, decode_request, encode_frame, encode_raw_frame, kind,
    push_sample_codes, sample_codes,
};

/// Decodes a wire frame (delimiter included) as `M`.
fn decode<M: physrc_rig_protocol::Message>(wire: &[u8]) -> Result<Frame<M>, ProtocolError> {
    let mut copy = wire.to_vec();
    decode_encoded_frame(&mut copy)
}

#[test]
fn every_request_kind_round_trips() {
    let requests = every_request();
    let kinds: Vec<u8> = requests.iter().map(Request::kind).collect();
    assert_eq!(kinds, (0x01..=0x0B).collect::<Vec<u8>>());
    for (i, request) in requests.into_iter().enumerate() {
        let seq = 0xFFF0 + i as u16;
        let w = wire(seq, 0, &request);
        assert_eq!(w.last(), Some(&0));
        assert!(
            !w[..w.len() - 1].contains(&0),
            "{request:?}: a 0x00 inside the frame"
        );
        let frame: Frame<Request> = decode(&w).unwrap();
        assert_eq!(
            frame.header,
            Header {
                version: PROTOCOL_VERSION,
                kind: request.kind(),
                seq,
                boot_id: 0
            }
        );
        assert_eq!(frame.message, request);
        // The same bytes through the lower-level helpers.
        let raw_bytes = ref_cobs_decode(&w[..w.len() - 1]).unwrap();
        let raw = check_frame(&raw_bytes).unwrap();
        assert_eq!(decode_request(&raw).unwrap().message, request);
        // A request is not a reply.
        assert_eq!(
            decode_reply(&raw),
            Err(ProtocolError::UnknownKind {
                kind: request.kind()
            })
        );
    }
}

#[test]
fn every_reply_kind_round_trips() {
    let replies = every_reply();
    let kinds: Vec<u8> = replies.iter().map(Reply::kind).collect();
    assert_eq!(
        kinds,
        [0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x8F]
    );
    for (i, reply) in replies.into_iter().enumerate() {
        let seq = i as u16;
        let boot_id = 0xA5A5_0000 + i as u32;
        let w = wire(seq, boot_id, &reply);
        let frame: Frame<Reply> = decode(&w).unwrap();
        assert_eq!(
            frame.header,
            Header {
                version: PROTOCOL_VERSION,
                kind: reply.kind(),
                seq,
                boot_id
            }
        );
        assert_eq!(frame.message, reply);
        let raw_bytes = ref_cobs_decode(&w[..w.len() - 1]).unwrap();
        let raw = check_frame(&raw_bytes).unwrap();
        assert_eq!(
            decode_request(&raw),
            Err(ProtocolError::UnknownKind { kind: reply.kind() })
        );
    }
}

/// The worked examples in docs/rig-protocol.md, byte for byte.
#[test]
fn documented_examples() {
    let request = Request::SetField(SetField {
        x_mt: 1.5,
        y_mt: -0.25,
        settle_us: 1000,
    });
    let w = wire(7, 0, &request);
    let raw = ref_cobs_decode(&w[..w.len() - 1]).unwrap();
    assert_eq!(
        hex(&raw),
        "01 02 07 00 00 00 00 00 00 00 c0 3f 00 00 80 be e8 07 ce f5"
    );
    assert_eq!(
        hex(&w),
        "04 01 02 07 01 01 01 01 01 01 03 c0 3f 01 07 80 be e8 07 ce f5 00"
    );

    let reply = Reply::FieldSet(FieldSet {
        x_mt: 1.5,
        y_mt: -0.25,
    });
    let w = wire(7, 0x1234_5678, &reply);
    let raw = ref_cobs_decode(&w[..w.len() - 1]).unwrap();
    assert_eq!(
        hex(&raw),
        "01 83 07 00 78 56 34 12 00 00 c0 3f 00 00 80 be 86 65"
    );
    assert_eq!(
        hex(&w),
        "04 01 83 07 05 78 56 34 12 01 03 c0 3f 01 05 80 be 86 65 00"
    );
}

#[test]
fn crc_is_ibm_3740() {
    // The catalogue's check value.
    assert_eq!(crc16(b"123456789"), 0x29B1);
    for len in [0usize, 1, 7, 100, 510] {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        assert_eq!(crc16(&bytes), ref_crc16(&bytes), "length {len}");
    }
}

#[test]
fn encoder_matches_reference_cobs() {
    // Runs of non-zero bytes around the 254-byte COBS block length, and zeros at the edges.
    for n in [1usize, 2, 252, 253, 254, 255, 256, 300, 480] {
        for zeros in [false, true] {
            let mut samples = HVec::<u8, MAX_CHUNK_BYTES>::new();
            for i in 0..n {
                let b = if zeros && (i == 0 || i == n - 1) {
                    0
                } else {
                    (i % 255 + 1) as u8
                };
                samples.push(b).unwrap();
            }
            let reply = Reply::Measurement(Measurement {
                first_channel: 1,
                total: 2,
                samples,
            });
            let w = wire(3, 4, &reply);
            let raw = ref_cobs_decode(&w[..w.len() - 1]).unwrap();
            assert!(ref_frame_ok(&raw));
            assert_eq!(
                ref_cobs_encode(&raw),
                w[..w.len() - 1],
                "{n} bytes, zeros {zeros}"
            );
            assert_eq!(decode::<Reply>(&w).unwrap().message, reply);
        }
    }
}

#[test]
fn encoder_matches_reference_cobs_at_block_boundaries() {
    // Frames with no zero byte at all, whose length is around a multiple of 254.
    let header = Header {
        version: 1,
        kind: 0x11,
        seq: 0x0101,
        boot_id: 0x0101_0101,
    };
    let mut exact_boundaries = 0;
    for body_len in (230..260).chain(480..502) {
        for fill in [0x01u8, 0x7F, 0xFF] {
            let body = vec![fill; body_len];
            let mut out = [0u8; MAX_ENCODED_FRAME];
            let n = encode_raw_frame(&header, &body, &mut out).unwrap();
            let raw = ref_cobs_decode(&out[..n - 1]).unwrap();
            assert_eq!(raw.len(), body_len + 10);
            assert_eq!(
                ref_cobs_encode(&raw),
                out[..n - 1],
                "body {body_len} × {fill:#04x}"
            );
            if !raw.contains(&0) && raw.len() % 254 == 0 {
                exact_boundaries += 1;
                // The textbook form, with a final 0x01, decodes to the same frame.
                let mut textbook = out[..n - 1].to_vec();
                textbook.extend([0x01, 0x00]);
                assert_eq!(
                    decode_encoded_frame::<Reply>(&mut textbook.clone()),
                    Err(ProtocolError::UnknownKind { kind: 0x11 })
                );
                assert_eq!(
                    ref_cobs_decode(&textbook[..textbook.len() - 1]).unwrap(),
                    raw
                );
                let mut acc = physrc_rig_protocol::FrameAccumulator::<MAX_ENCODED_FRAME>::new();
                let got: Vec<_> = acc.replies(&textbook).collect();
                assert_eq!(got.len(), 1, "{got:?}");
            }
        }
    }
    assert!(
        exact_boundaries > 0,
        "no frame ended exactly on a 254-byte block"
    );
}

fn max_chunk() -> Reply {
    // Every varint at its longest and no zero byte anywhere: the worst case for COBS too.
    let samples = HVec::from_slice(&[0xFF; MAX_CHUNK_BYTES]).unwrap();
    Reply::Chunk(Chunk {
        block: u16::MAX,
        index: u16::MAX,
        step: u16::MAX,
        first_channel: u16::MAX,
        total: u16::MAX,
        samples,
    })
}

fn max_load_block() -> Request {
    let step = BlockStep {
        x_mt: f32::MAX,
        y_mt: -f32::MAX,
        measure: true,
    };
    Request::LoadBlock(LoadBlock {
        block: u16::MAX,
        offset: u16::MAX,
        settle_us: u32::MAX,
        steps: HVec::from_slice(&[step; MAX_LOAD_STEPS]).unwrap(),
    })
}

fn max_identity() -> Reply {
    let mut id = identity();
    id.maker = heapless::String::try_from("ééééééééééééé".get(..24).unwrap()).unwrap();
    id.model = heapless::String::try_from("M".repeat(24).as_str()).unwrap();
    id.serial = heapless::String::try_from("S".repeat(24).as_str()).unwrap();
    id.firmware = heapless::String::try_from("F".repeat(16).as_str()).unwrap();
    id.channels = u16::MAX;
    id.limits.watchdog_ms = u32::MAX;
    Reply::Identity(id)
}

/// Length of header ‖ body ‖ crc, before COBS.
fn raw_len(w: &[u8]) -> usize {
    ref_cobs_decode(&w[..w.len() - 1]).unwrap().len()
}

#[test]
fn largest_messages_fit_max_frame() {
    let chunk = wire(u16::MAX, u32::MAX, &max_chunk());
    // 8 header + 5 × 3 varint bytes + 2 length bytes + 480 samples + 2 crc.
    assert_eq!(raw_len(&chunk), 507);
    assert_eq!(chunk.len(), 510);
    assert!(raw_len(&chunk) <= MAX_FRAME && chunk.len() <= MAX_ENCODED_FRAME);

    let load = wire(u16::MAX, 0, &max_load_block());
    // 8 header + 3 + 3 + 5 varint bytes + 1 length byte + 48 × 9 step bytes + 2 crc.
    assert_eq!(raw_len(&load), 454);
    assert!(load.len() <= MAX_ENCODED_FRAME);

    let identity = wire(u16::MAX, u32::MAX, &max_identity());
    assert!(raw_len(&identity) <= 140, "{}", raw_len(&identity));

    let measurement = Reply::Measurement(Measurement {
        first_channel: u16::MAX,
        total: u16::MAX,
        samples: HVec::from_slice(&[0xFF; MAX_CHUNK_BYTES]).unwrap(),
    });
    assert_eq!(raw_len(&wire(u16::MAX, u32::MAX, &measurement)), 498);

    let status = Reply::StatusReport(StatusReport {
        running: Some(u16::MAX),
        queued: Some(u16::MAX),
        coils_on: true,
        x_mt: 1.0,
        y_mt: 1.0,
        errors: u8::MAX,
        uptime_ms: u32::MAX,
    });
    assert!(raw_len(&wire(0, 0, &status)) <= 40);

    // Each fits a transmit buffer of exactly MAX_ENCODED_FRAME bytes.
    let mut out = [0u8; MAX_ENCODED_FRAME];
    assert_eq!(encode_frame(1, 2, &max_chunk(), &mut out), Ok(510));
}

#[test]
fn chunk_of_64_channels_wire_size() {
    let reply = Reply::Chunk(Chunk {
        block: 3,
        index: 10,
        step: 20,
        first_channel: 0,
        total: 64,
        samples: samples(64, 5),
    });
    let w = wire(100, 0xCAFE_F00D, &reply);
    // 8 header + block, index, step, first_channel, total (1 byte each) + 2 length bytes
    // + 128 sample bytes + 2 crc = 145 bytes; COBS adds 1 and the delimiter 1.
    assert_eq!(raw_len(&w), 145);
    assert_eq!(w.len(), 147);
    let overhead = (w.len() - 128) as f64 / w.len() as f64;
    assert!((overhead - 0.129).abs() < 0.001, "{overhead}");

    // A full chunk of 240 channels with no zero byte (COBS's worst case): 8 header + 6 varint
    // bytes (total = 240 takes two) + 2 length bytes + 480 sample bytes + 2 crc = 498, COBS
    // adds 2 and the delimiter 1.
    let reply = Reply::Chunk(Chunk {
        block: 3,
        index: 10,
        step: 20,
        first_channel: 1,
        total: 240,
        samples: HVec::from_slice(&[0x55; MAX_CHUNK_BYTES]).unwrap(),
    });
    let w = wire(100, 0x0101_0101, &reply);
    assert_eq!(raw_len(&w), 498);
    assert_eq!(w.len(), 501);
}

#[test]
fn oversized_messages_are_refused() {
    let mut out = [0u8; MAX_ENCODED_FRAME];
    let header = Header {
        version: 1,
        kind: kind::ACK,
        seq: 0,
        boot_id: 0,
    };
    // 502 body bytes fill a frame exactly; one more does not fit.
    assert!(encode_raw_frame(&header, &[1; MAX_FRAME - 10], &mut out).is_ok());
    assert_eq!(
        encode_raw_frame(&header, &[1; MAX_FRAME - 9], &mut out),
        Err(ProtocolError::FrameTooLarge { kind: kind::ACK })
    );
    // A buffer too small for the encoding.
    let mut small = [0u8; 20];
    assert!(matches!(
        encode_frame(1, 0, &max_chunk(), &mut small),
        Err(ProtocolError::BufferTooSmall {
            needed: 510,
            available: 20
        })
    ));
    // The delimiter needs a byte too.
    let w = wire(1, 0, &Reply::Ack);
    let mut exact = vec![0u8; w.len() - 1];
    assert!(matches!(
        encode_frame(1, 0, &Reply::Ack, &mut exact),
        Err(ProtocolError::BufferTooSmall { .. })
    ));
    let mut exact = vec![0u8; w.len()];
    assert_eq!(encode_frame(1, 0, &Reply::Ack, &mut exact), Ok(w.len()));
}

#[test]
fn header_bytes() {
    let header = Header {
        version: 1,
        kind: 0x85,
        seq: 0x0102,
        boot_id: 0x0A0B_0C0D,
    };
    let bytes = header.to_bytes();
    assert_eq!(bytes, [1, 0x85, 0x02, 0x01, 0x0D, 0x0C, 0x0B, 0x0A]);
    assert_eq!(Header::from_bytes(bytes), header);
}

#[test]
fn error_codes() {
    for (i, code) in ErrorCode::ALL.iter().enumerate() {
        assert_eq!(code.as_u8() as usize, i + 1);
        assert_eq!(ErrorCode::from_u8(code.as_u8()), Some(*code));
        let text = code.description();
        assert!(!text.is_empty() && text == text.to_lowercase(), "{text}");
        assert_eq!(code.to_string(), text);
    }
    assert_eq!(ErrorCode::from_u8(0), None);
    assert_eq!(ErrorCode::from_u8(14), None);
    assert_eq!(ErrorCode::from_u8(0xFF), None);
    assert_eq!(ErrorCode::Watchdog as u8, 11);
}

#[test]
fn unknown_error_code_in_a_reply_is_a_body_error() {
    // Error { code: 14, detail: 0 }: a code this version does not know.
    let header = Header {
        version: 1,
        kind: kind::ERROR,
        seq: 5,
        boot_id: 9,
    };
    let mut out = [0u8; MAX_ENCODED_FRAME];
    let n = encode_raw_frame(&header, &[14, 0], &mut out).unwrap();
    assert_eq!(
        decode_encoded_frame::<Reply>(&mut out[..n]),
        Err(ProtocolError::Body { kind: kind::ERROR })
    );
}

#[test]
fn protocol_error_messages_are_lowercase_and_specific() {
    let errors = [
        ProtocolError::BufferTooSmall {
            needed: 510,
            available: 20,
        },
        ProtocolError::FrameTooLarge { kind: 0x85 },
        ProtocolError::Encode { kind: 0x85 },
        ProtocolError::Overflow { capacity: 515 },
        ProtocolError::Cobs,
        ProtocolError::TooShort { len: 3 },
        ProtocolError::TooLong { len: 600 },
        ProtocolError::Crc {
            carried: 0x1234,
            computed: 0xABCD,
        },
        ProtocolError::Version { found: 2 },
        ProtocolError::UnknownKind { kind: 0x42 },
        ProtocolError::Body { kind: 0x05 },
        ProtocolError::TrailingBytes {
            kind: 0x01,
            count: 3,
        },
    ];
    for e in errors {
        let text = e.to_string();
        assert_eq!(text, text.to_lowercase(), "{text}");
        let _: &dyn core::error::Error = &e;
    }
    assert_eq!(
        ProtocolError::Crc {
            carried: 0x1234,
            computed: 0xabcd
        }
        .to_string(),
        "crc mismatch: the frame carries 0x1234 but its bytes give 0xabcd"
    );
    assert_eq!(
        ProtocolError::UnknownKind { kind: 0x42 }.to_string(),
        "unknown message kind 0x42"
    );
    assert_eq!(
        ProtocolError::Version { found: 2 }.error_code(),
        ErrorCode::VersionMismatch
    );
    assert_eq!(
        ProtocolError::UnknownKind { kind: 9 }.error_code(),
        ErrorCode::UnknownKind
    );
    assert_eq!(
        ProtocolError::Body { kind: 2 }.error_code(),
        ErrorCode::BadRequest
    );
    assert!(ProtocolError::Body { kind: 2 }.is_rejection());
    assert!(!ProtocolError::Cobs.is_rejection());
}

#[test]
fn field_limit_check() {
    let limits = limits();
    assert_eq!(limits.check_field(12.0, 16.0), Ok(())); // |B| = 20, on the limit
    assert_eq!(limits.check_field(12.0, 16.01), Err(ErrorCode::FieldLimit));
    assert_eq!(limits.check_field(-20.0, 0.0), Ok(()));
    assert_eq!(
        limits.check_field(f32::NAN, 0.0),
        Err(ErrorCode::FieldLimit)
    );
    assert_eq!(
        limits.check_field(0.0, f32::INFINITY),
        Err(ErrorCode::FieldLimit)
    );
}

#[test]
fn sample_helpers() {
    let mut buf = HVec::<u8, MAX_CHUNK_BYTES>::new();
    assert_eq!(push_sample_codes(&mut buf, &[0x0000, 0x8000, 0xFFFF]), 3);
    assert_eq!(&buf[..], &[0x00, 0x00, 0x00, 0x80, 0xFF, 0xFF]);
    assert_eq!(
        sample_codes(&buf).collect::<Vec<_>>(),
        [0x0000, 0x8000, 0xFFFF]
    );
    assert_eq!(sample_codes(&[1, 2, 3]).collect::<Vec<_>>(), [0x0201]);
    let mut full = HVec::<u8, 4>::new();
    assert_eq!(push_sample_codes(&mut full, &[1, 2, 3]), 2);
    assert_eq!(code_to_value(0x8000, 12.288), 0.0);
    assert_eq!(code_to_value(0x0000, 12.288), -12.288);
    assert_eq!(code_to_value(0xC000, 12.0), 6.0);
}

#[test]
fn identity_fields_survive() {
    let w = wire(1, 2, &Reply::Identity(identity()));
    let Reply::Identity(Identity {
        maker, limits: l, ..
    }) = decode::<Reply>(&w).unwrap().message
    else {
        panic!("not an identity");
    };
    assert_eq!(maker.as_str(), "physrc");
    assert_eq!(l, limits());
}

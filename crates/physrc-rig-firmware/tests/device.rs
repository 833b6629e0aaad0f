//! The device core against scripted parts: the exact SPI frames and pin levels of each request,
//! the replies, and the safety rules (limits, no re-execution, watchdog, faults).

mod common;

use common::fake::{Bench, Event, Part, coils_off_events};
use common::*;
use embedded_hal_mock::eh1::delay::{CheckedDelay, NoopDelay, Transaction as DelayTx};
use heapless::Vec as HVec;
use physrc_rig_firmware::protocol::{
    BlockDone, BlockStep, Chunk, ErrorCode, ErrorReply, Errors, FieldSet, Header, Identity,
    LoadBlock, MAX_ENCODED_FRAME, Measurement, ReadChunk, ReadMeasurement, Reply, Request,
    RunBlock, SetField, StatusReport, encode_raw_frame,
};
use physrc_rig_firmware::{Axis, Fault, FirmwareError};

fn set_field(x_mt: f32, y_mt: f32, settle_us: u32) -> Request {
    Request::SetField(SetField {
        x_mt,
        y_mt,
        settle_us,
    })
}

fn error(code: ErrorCode, detail: u32) -> Reply {
    Reply::Error(ErrorReply { code, detail })
}

fn load(block: u16, offset: u16, settle_us: u32, steps: &[(f32, f32, bool)]) -> Request {
    let mut v = HVec::new();
    for &(x_mt, y_mt, measure) in steps {
        v.push(BlockStep {
            x_mt,
            y_mt,
            measure,
        })
        .unwrap();
    }
    Request::LoadBlock(LoadBlock {
        block,
        offset,
        settle_us,
        steps: v,
    })
}

fn status(device: &mut MockDevice<NoopDelay>, seq: u16, now: u32) -> StatusReport {
    match ask(device, seq, &Request::Status, now) {
        Reply::StatusReport(s) => s,
        other => panic!("expected a status report, got {other:?}"),
    }
}

/// Ramp points exactly as specified: from + (to − from) · (i / n), in f32.
fn ramp(from: (f32, f32), to: (f32, f32), n: u32) -> Vec<(f32, f32)> {
    (1..=n)
        .map(|i| {
            let t = i as f32 / n as f32;
            (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t)
        })
        .collect()
}

/// n = ceil(|Δ| / (slew · 1 ms)), at least 1.
fn updates(from: (f32, f32), to: (f32, f32), slew: f32) -> u32 {
    let dx = f64::from(to.0 - from.0);
    let dy = f64::from(to.1 - from.1);
    ((dx * dx + dy * dy).sqrt() / f64::from(slew))
        .ceil()
        .max(1.0) as u32
}

// ---------------------------------------------------------------------------------------------
// (1) Setting a field.

#[test]
fn set_field_writes_every_ramp_update_with_ldac_pulses_and_settles() {
    let mut mocks = Mocks::for_construction();
    let mut delay = CheckedDelay::new(&[]);
    let mut device = mocks.device(config(3, 8.0, 0.5, 1000), delay.clone());

    // From zero to (2, −1) mT: |Δ| = √5 = 2.236 mT at 0.5 mT per 1 ms update → 5 updates.
    let target = (2.0, -1.0);
    let n = updates((0.0, 0.0), target, 0.5);
    assert_eq!(n, 5);
    let mut script = Script::default();
    script.coils_enabled();
    let mut delays = Vec::new();
    for (i, (x, y)) in ramp((0.0, 0.0), target, n).into_iter().enumerate() {
        script.update(code(x), code(y));
        delays.push(if i + 1 < n as usize {
            DelayTx::delay_ms(1)
        } else {
            DelayTx::delay_us(250)
        });
    }
    // The hand-computed codes of the first and last updates, as a cross-check of the formula:
    // 0.4 mT → round(0.04 · 2^19) + 2^19 = 20972 + 524288; 2 mT → 104858 + 524288.
    assert_eq!(code(0.4), 545_260);
    assert_eq!(code(2.0), 629_146);
    assert_eq!(code(-1.0), 471_859);
    mocks.expect(script);
    delay.update_expectations(&delays);

    let reply = ask(&mut device, 1, &set_field(2.0, -1.0, 250), 0);
    // The field actually applied: the final codes converted back.
    assert_eq!(
        reply,
        Reply::FieldSet(FieldSet {
            x_mt: field(code(2.0)),
            y_mt: field(code(-1.0)),
        })
    );
    assert!(device.coils_on());
    assert_eq!(device.field_mt(), (field(629_146), field(471_859)));

    // A second change ramps from the field applied (not from the request): coils already on,
    // so the interlock is not touched again.
    let from = device.field_mt();
    let target = (-1.5, 0.5);
    let n = updates(from, target, 0.5);
    assert_eq!(n, 8);
    let mut script = Script::default();
    let mut delays = Vec::new();
    for (i, (x, y)) in ramp(from, target, n).into_iter().enumerate() {
        script.update(code(x), code(y));
        delays.push(if i + 1 < n as usize {
            DelayTx::delay_ms(1)
        } else {
            DelayTx::delay_us(0)
        });
    }
    mocks.expect(script);
    delay.update_expectations(&delays);
    let reply = ask(&mut device, 2, &set_field(-1.5, 0.5, 0), 10);
    assert_eq!(
        reply,
        Reply::FieldSet(FieldSet {
            x_mt: field(code(-1.5)),
            y_mt: field(code(0.5)),
        })
    );

    mocks.done();
    delay.done();
}

#[test]
fn construction_initialises_in_a_safe_order() {
    let bench = Bench::default();
    let _device = bench.device(config(4, 8.0, 0.5, 1000)).unwrap();
    let mut expected = vec![
        // Interlock first: whatever the DACs do next, no current flows.
        Event::Pin(Part::Enable, false, true),
        Event::Pin(Part::Ldac, true, true),
        // Mid-scale while the output is still clamped, then offset binary and unclamped.
        Event::Spi(Part::DacX, vec![0x18, 0x00, 0x00], true),
        Event::Spi(Part::DacX, vec![0x20, 0x00, 0x12], true),
        Event::Spi(Part::DacY, vec![0x18, 0x00, 0x00], true),
        Event::Spi(Part::DacY, vec![0x20, 0x00, 0x12], true),
    ];
    expected.extend(coils_off_events());
    expected.extend([
        Event::Pin(Part::Trigger, false, true),
        // RANGE_SEL (0x14) = 0x0000: ±3·VREF.
        Event::Spi(Part::Adc, vec![0xD0, 0x14, 0x00, 0x00], true),
    ]);
    assert_eq!(bench.take(), expected);
}

#[test]
fn hello_reports_the_identity() {
    let (mut mocks, mut device) = mock_device(config(3, 8.0, 0.5, 1000));
    let reply = ask(&mut device, 1, &Request::Hello, 0);
    let Reply::Identity(Identity {
        maker,
        protocol,
        channels,
        adc_bits,
        dac_bits,
        full_scale,
        field_lsb_mt,
        limits,
        ..
    }) = reply
    else {
        panic!("expected an identity, got {reply:?}");
    };
    assert_eq!(maker.as_str(), "physrc");
    assert_eq!((protocol, channels, adc_bits, dac_bits), (1, 3, 16, 20));
    assert_eq!(full_scale, ADC_FS);
    assert_eq!(field_lsb_mt, FS_MT / 524_288.0);
    assert_eq!(limits.max_field_mt, 8.0);
    mocks.done();
}

// ---------------------------------------------------------------------------------------------
// (2) Limits.

#[test]
fn out_of_limit_requests_write_nothing_and_answer_field_limit() {
    let (mut mocks, mut device) = mock_device(config(3, 8.0, 0.5, 1000));
    // Each component is within ±8 mT; the magnitude √98 = 9.9 mT is not.
    assert_eq!(
        ask(&mut device, 1, &set_field(7.0, 7.0, 0), 0),
        error(ErrorCode::FieldLimit, 0)
    );
    assert_eq!(
        ask(&mut device, 2, &set_field(f32::NAN, 0.0, 0), 0),
        error(ErrorCode::FieldLimit, 0)
    );
    assert_eq!(
        ask(&mut device, 3, &set_field(0.0, f32::NEG_INFINITY, 0), 0),
        error(ErrorCode::FieldLimit, 0)
    );
    // A settle time beyond the device's maximum is refused too.
    assert_eq!(
        ask(&mut device, 4, &set_field(1.0, 0.0, 20_000_000), 0),
        error(ErrorCode::BadRequest, 20_000_000)
    );
    // A block with one bad step is refused whole; the detail names the step.
    let bad_block = load(0, 0, 0, &[(1.0, 0.0, false), (6.0, 6.0, true)]);
    assert_eq!(
        ask(&mut device, 5, &bad_block, 0),
        error(ErrorCode::FieldLimit, 1)
    );
    assert_eq!(
        ask(
            &mut device,
            6,
            &Request::RunBlock(RunBlock { block: 0, steps: 2 }),
            0
        ),
        error(ErrorCode::BlockNotLoaded, 0)
    );
    let s = status(&mut device, 7, 0);
    assert!(!s.coils_on);
    assert_eq!((s.x_mt, s.y_mt), (0.0, 0.0));
    // Refusals are answered, not queued.
    assert_eq!(s.errors, 0);
    mocks.done();
}

#[test]
fn invalid_configurations_are_refused_before_touching_hardware() {
    let bench = Bench::default();
    let cases = [
        (config(0, 8.0, 0.5, 1000), "channels"),
        (config(3, 11.0, 0.5, 1000), "max field above full scale"),
        (config(3, 8.0, 0.0, 1000), "zero slew"),
        (config(3, 8.0, 0.0001, 1000), "ramp too long"),
        (config(3, 8.0, 0.5, 0), "watchdog"),
    ];
    for (cfg, what) in cases {
        match bench.device(cfg) {
            Err(FirmwareError::Config(_)) => {}
            Err(e) => panic!("{what}: {e}"),
            Ok(_) => panic!("{what}: accepted"),
        }
        assert_eq!(bench.take(), vec![], "{what}");
    }
}

// ---------------------------------------------------------------------------------------------
// (3) Repeated sequence numbers.

#[test]
fn a_repeated_seq_is_answered_from_the_cache_and_never_executed() {
    let (mut mocks, mut device) = mock_device(config(3, 8.0, 0.5, 1000));
    let mut script = Script::default();
    script.coils_enabled();
    script.update(code(0.5), code(0.0));
    script.update(code(1.0), code(0.0));
    mocks.expect(script);
    let first = exchange_raw(&mut device, 9, &set_field(1.0, 0.0, 0), 0);
    assert_eq!(
        replies(&first)[0].message,
        Reply::FieldSet(FieldSet {
            x_mt: field(code(1.0)),
            y_mt: 0.0
        })
    );

    // The retry: not a single DAC frame or pin change, and the very same bytes.
    mocks.expect(Script::default());
    let again = exchange_raw(&mut device, 9, &set_field(1.0, 0.0, 0), 5);
    assert_eq!(again, first);
    // Even a different body under the same seq is not executed: the seq identifies the request.
    let other = exchange_raw(&mut device, 9, &set_field(-3.0, 0.0, 0), 6);
    assert_eq!(other, first);

    // A measurement repeated: no ADC frames the second time, same samples.
    let mut script = Script::default();
    script.sweep(&[1, 2, 3]);
    mocks.expect(script);
    let m = exchange_raw(&mut device, 10, &Request::Measure, 7);
    mocks.expect(Script::default());
    assert_eq!(exchange_raw(&mut device, 10, &Request::Measure, 8), m);

    // A fresh seq with the same field executes again (one update: already there).
    let mut script = Script::default();
    script.update(code(1.0), code(0.0));
    mocks.expect(script);
    let fresh = exchange_raw(&mut device, 11, &set_field(1.0, 0.0, 0), 9);
    assert_ne!(fresh, first);
    mocks.done();
}

#[test]
fn a_reply_lost_to_a_failing_link_is_resent_from_the_cache() {
    struct Broken;
    impl embedded_io::ErrorType for Broken {
        type Error = embedded_io::ErrorKind;
    }
    impl embedded_io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> Result<usize, embedded_io::ErrorKind> {
            Err(embedded_io::ErrorKind::BrokenPipe)
        }
        fn flush(&mut self) -> Result<(), embedded_io::ErrorKind> {
            Ok(())
        }
    }
    let (mut mocks, mut device) = mock_device(config(3, 8.0, 0.5, 1000));
    let mut script = Script::default();
    script.coils_enabled();
    script.update(code(0.25), code(0.0));
    mocks.expect(script);
    let bytes = request(3, &set_field(0.25, 0.0, 0));
    assert_eq!(
        device.receive(&bytes, 0, &mut Broken),
        Err(embedded_io::ErrorKind::BrokenPipe)
    );
    // Executed once; the retry only gets the reply.
    mocks.expect(Script::default());
    let reply = ask(&mut device, 3, &set_field(0.25, 0.0, 0), 1);
    assert_eq!(
        reply,
        Reply::FieldSet(FieldSet {
            x_mt: field(code(0.25)),
            y_mt: 0.0
        })
    );
    mocks.done();
}

// ---------------------------------------------------------------------------------------------
// (4) The watchdog.

#[test]
fn the_watchdog_switches_the_coils_off_when_frames_stop() {
    let (mut mocks, mut device) = mock_device(config(3, 8.0, 0.5, 500));
    // Start near the clock's wrap so the deadlines wrap too.
    let t0 = u32::MAX - 200;
    let mut script = Script::default();
    script.coils_enabled();
    script.update(code(0.25), code(0.0));
    mocks.expect(script);
    ask(&mut device, 1, &set_field(0.25, 0.0, 0), t0);
    mocks.expect(Script::default());

    assert!(poll(&mut device, t0.wrapping_add(499)).is_empty());
    // Any valid frame feeds the watchdog.
    status(&mut device, 2, t0.wrapping_add(400));
    assert!(poll(&mut device, t0.wrapping_add(899)).is_empty());
    assert!(device.coils_on());

    let mut script = Script::default();
    script.coils_off();
    mocks.expect(script);
    assert!(poll(&mut device, t0.wrapping_add(900)).is_empty());
    assert!(!device.coils_on());
    assert_eq!(device.field_mt(), (0.0, 0.0));
    mocks.expect(Script::default());

    // Off stays off: the watchdog does not fire again.
    assert!(poll(&mut device, t0.wrapping_add(5000)).is_empty());
    let reply = ask(&mut device, 3, &Request::ErrorQueue, t0.wrapping_add(5001));
    assert_eq!(
        reply,
        Reply::Errors(Errors {
            codes: HVec::from_slice(&[ErrorCode::Watchdog]).unwrap(),
            overflowed: false,
        })
    );
    let s = status(&mut device, 4, 7);
    assert!(!s.coils_on);
    assert_eq!(s.errors, 0);
    mocks.done();
}

#[test]
fn the_watchdog_counts_from_the_end_of_a_long_ramp() {
    let (mut mocks, mut device) = mock_device(config(1, 8.0, 0.5, 100));
    // 6 mT at 0.5 mT/ms: 12 updates, 11 ms of ramp, plus 200 ms settle.
    let mut script = Script::default();
    script.coils_enabled();
    for (x, y) in ramp((0.0, 0.0), (6.0, 0.0), 12) {
        script.update(code(x), code(y));
    }
    mocks.expect(script);
    ask(&mut device, 1, &set_field(6.0, 0.0, 200_000), 0);
    mocks.expect(Script::default());
    // The device was blocked until about 211 ms; the watchdog expires 100 ms after that.
    assert!(poll(&mut device, 310).is_empty());
    let mut script = Script::default();
    script.coils_off();
    mocks.expect(script);
    poll(&mut device, 311);
    assert!(!device.coils_on());
    mocks.done();
}

// ---------------------------------------------------------------------------------------------
// (5) Measurements.

#[test]
fn measure_reads_k_channels_with_the_exact_adc_frames() {
    let (mut mocks, mut device) = mock_device(config(3, 8.0, 0.5, 1000));
    assert_eq!(
        ask(
            &mut device,
            1,
            &Request::ReadMeasurement(ReadMeasurement { first_channel: 0 }),
            0
        ),
        error(ErrorCode::BadRequest, 0),
        "no measurement yet"
    );
    let codes = [0x0000, 0x8000, 0xFFFF];
    let mut script = Script::default();
    // Trigger pulse, a start NOP whose stale data is discarded, then one NOP per channel.
    script.sweep(&codes);
    mocks.expect(script);
    assert_eq!(
        ask(&mut device, 2, &Request::Measure, 0),
        Reply::Measurement(Measurement {
            first_channel: 0,
            total: 3,
            samples: HVec::from_slice(&[0x00, 0x00, 0x00, 0x80, 0xFF, 0xFF]).unwrap(),
        })
    );
    // Re-reading the same buffer touches no hardware.
    mocks.expect(Script::default());
    assert_eq!(
        ask(
            &mut device,
            3,
            &Request::ReadMeasurement(ReadMeasurement { first_channel: 1 }),
            0
        ),
        Reply::Measurement(Measurement {
            first_channel: 1,
            total: 3,
            samples: HVec::from_slice(&le_bytes(&codes[1..])).unwrap(),
        })
    );
    assert_eq!(
        ask(
            &mut device,
            4,
            &Request::ReadMeasurement(ReadMeasurement { first_channel: 3 }),
            0
        ),
        error(ErrorCode::BadRequest, 3)
    );
    // Measuring does not switch the coils on.
    assert!(!device.coils_on());
    mocks.done();
}

#[test]
fn a_long_measurement_is_read_in_parts() {
    let (mut mocks, mut device) = mock_device(config(300, 8.0, 0.5, 1000));
    let codes = pattern(300, 7);
    let mut script = Script::default();
    script.sweep(&codes);
    mocks.expect(script);
    assert_eq!(
        ask(&mut device, 1, &Request::Measure, 0),
        Reply::Measurement(Measurement {
            first_channel: 0,
            total: 300,
            samples: HVec::from_slice(&le_bytes(&codes[..240])).unwrap(),
        })
    );
    mocks.expect(Script::default());
    assert_eq!(
        ask(
            &mut device,
            2,
            &Request::ReadMeasurement(ReadMeasurement { first_channel: 240 }),
            0
        ),
        Reply::Measurement(Measurement {
            first_channel: 240,
            total: 300,
            samples: HVec::from_slice(&le_bytes(&codes[240..])).unwrap(),
        })
    );
    mocks.done();
}

// ---------------------------------------------------------------------------------------------
// (6) Blocks.

#[test]
fn a_block_streams_k_channel_chunks_then_block_done() {
    let k = 300;
    let (mut mocks, mut device) = mock_device(config(k, 8.0, 100.0, 1000));
    let steps = [(1.0, 0.0, true), (0.5, 0.5, false), (0.0, 1.0, true)];
    assert_eq!(
        ask(&mut device, 20, &load(4, 0, 100, &steps), 0),
        Reply::Ack
    );
    let run = Request::RunBlock(RunBlock { block: 4, steps: 3 });
    assert_eq!(ask(&mut device, 21, &run, 0), Reply::Ack);
    assert_eq!(status(&mut device, 22, 0).running, Some(4));

    let chunk = |index: u16, step: u16, first: usize, codes: &[u16]| {
        Reply::Chunk(Chunk {
            block: 4,
            index,
            step,
            first_channel: first as u16,
            total: k,
            samples: HVec::from_slice(&le_bytes(&codes[first..(first + 240).min(codes.len())]))
                .unwrap(),
        })
    };

    // Step 0: coils on, one update (well within the slew limit), a sweep, two chunks.
    let first_sweep = pattern(usize::from(k), 1);
    let mut script = Script::default();
    script.coils_enabled();
    script.update(code(1.0), code(0.0));
    script.sweep(&first_sweep);
    mocks.expect(script);
    let frames = poll(&mut device, 1);
    assert!(
        frames.iter().all(|f| f.header.seq == 21),
        "streamed frames carry the RunBlock's seq"
    );
    let messages: Vec<_> = frames.into_iter().map(|f| f.message).collect();
    assert_eq!(
        messages,
        vec![chunk(0, 0, 0, &first_sweep), chunk(0, 0, 240, &first_sweep)]
    );

    // Step 1: no measurement, nothing sent.
    let mut script = Script::default();
    script.update(code(0.5), code(0.5));
    mocks.expect(script);
    assert!(poll(&mut device, 2).is_empty());

    // Step 2: the last; its chunks, then BlockDone.
    let second_sweep = pattern(usize::from(k), 2);
    let mut script = Script::default();
    script.update(code(0.0), code(1.0));
    script.sweep(&second_sweep);
    mocks.expect(script);
    let messages: Vec<_> = poll(&mut device, 3)
        .into_iter()
        .map(|f| f.message)
        .collect();
    assert_eq!(
        messages,
        vec![
            chunk(1, 2, 0, &second_sweep),
            chunk(1, 2, 240, &second_sweep),
            Reply::BlockDone(BlockDone {
                block: 4,
                steps: 3,
                measured: 2,
                aborted: false,
            }),
        ]
    );
    mocks.expect(Script::default());
    assert!(poll(&mut device, 4).is_empty());
    assert_eq!(status(&mut device, 23, 5).running, None);

    // Lost chunks are re-read from the result buffer.
    let read = |index, first_channel| {
        Request::ReadChunk(ReadChunk {
            block: 4,
            index,
            first_channel,
        })
    };
    assert_eq!(
        ask(&mut device, 24, &read(1, 240), 5),
        chunk(1, 2, 240, &second_sweep)
    );
    assert_eq!(
        ask(&mut device, 25, &read(0, 0), 5),
        chunk(0, 0, 0, &first_sweep)
    );
    assert_eq!(
        ask(&mut device, 26, &read(2, 0), 5),
        error(ErrorCode::BadRequest, 2)
    );
    assert_eq!(
        ask(&mut device, 27, &read(0, 300), 5),
        error(ErrorCode::BadRequest, 300)
    );
    let other_block = Request::ReadChunk(ReadChunk {
        block: 6,
        index: 0,
        first_channel: 0,
    });
    assert_eq!(
        ask(&mut device, 28, &other_block, 5),
        error(ErrorCode::BlockNotLoaded, 6)
    );
    // Loading the slot again discards the results.
    assert_eq!(ask(&mut device, 29, &load(4, 0, 0, &steps), 5), Reply::Ack);
    assert_eq!(
        ask(&mut device, 30, &read(0, 0), 5),
        error(ErrorCode::BadRequest, 0)
    );
    mocks.done();
}

#[test]
fn a_block_loaded_in_parts_runs_and_the_queued_one_follows() {
    let (mut mocks, mut device) = mock_device(config(1, 8.0, 100.0, 1000));
    let part: Vec<_> = (0..48).map(|i| (i as f32 * 0.01, 0.0, false)).collect();
    assert_eq!(ask(&mut device, 1, &load(0, 0, 0, &part), 0), Reply::Ack);
    assert_eq!(
        ask(&mut device, 2, &load(0, 48, 0, &[(0.0, 0.0, true)]), 0),
        Reply::Ack
    );
    // Out of order (a gap) and beyond the slot's capacity are refused.
    assert_eq!(
        ask(&mut device, 3, &load(0, 60, 0, &[(0.0, 0.0, true)]), 0),
        error(ErrorCode::BlockNotLoaded, 60)
    );
    assert_eq!(
        ask(&mut device, 4, &load(0, 250, 0, &part[..10]), 0),
        error(ErrorCode::BlockTooLarge, 260)
    );
    assert_eq!(
        ask(&mut device, 5, &load(1, 0, 0, &[(0.0, -1.0, true)]), 0),
        Reply::Ack
    );
    // More steps than loaded.
    assert_eq!(
        ask(
            &mut device,
            6,
            &Request::RunBlock(RunBlock {
                block: 0,
                steps: 50
            }),
            0
        ),
        error(ErrorCode::BlockNotLoaded, 0)
    );
    let run0 = Request::RunBlock(RunBlock {
        block: 0,
        steps: 49,
    });
    let run1 = Request::RunBlock(RunBlock { block: 1, steps: 1 });
    assert_eq!(ask(&mut device, 7, &run0, 0), Reply::Ack);
    assert_eq!(ask(&mut device, 8, &run1, 0), Reply::Ack);
    let s = status(&mut device, 9, 0);
    assert_eq!((s.running, s.queued), (Some(0), Some(1)));

    let mut script = Script::default();
    script.coils_enabled();
    for (x, _, _) in &part {
        script.update(code(*x), code(0.0));
    }
    script.update(code(0.0), code(0.0));
    script.sweep(&[42]);
    mocks.expect(script);
    for t in 0..48 {
        assert!(poll(&mut device, t).is_empty());
    }
    let frames = poll(&mut device, 48);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].header.seq, 7);
    assert_eq!(
        frames[1].message,
        Reply::BlockDone(BlockDone {
            block: 0,
            steps: 49,
            measured: 1,
            aborted: false
        })
    );

    // The queued block took over at once, and runs its first step on the next poll.
    mocks.expect(Script::default());
    let s = status(&mut device, 10, 48);
    assert_eq!((s.running, s.queued), (Some(1), None));
    let mut script = Script::default();
    script.update(code(0.0), code(-1.0));
    script.sweep(&[43]);
    mocks.expect(script);
    let frames = poll(&mut device, 49);
    assert!(frames.iter().all(|f| f.header.seq == 8));
    assert_eq!(frames.len(), 2);
    assert_eq!(
        frames[0].message,
        Reply::Chunk(Chunk {
            block: 1,
            index: 0,
            step: 0,
            first_channel: 0,
            total: 1,
            samples: HVec::from_slice(&[43, 0]).unwrap(),
        })
    );
    mocks.done();
}

#[test]
fn abort_stops_a_block_after_its_step_and_coils_off_switches_off() {
    let (mut mocks, mut device) = mock_device(config(2, 8.0, 100.0, 1000));
    let steps = [(1.0, 0.0, false), (2.0, 0.0, false), (3.0, 0.0, false)];
    assert_eq!(ask(&mut device, 1, &load(0, 0, 0, &steps), 0), Reply::Ack);
    assert_eq!(ask(&mut device, 2, &load(1, 0, 0, &steps), 0), Reply::Ack);
    let run = |block| Request::RunBlock(RunBlock { block, steps: 3 });
    assert_eq!(ask(&mut device, 3, &run(0), 0), Reply::Ack);
    assert_eq!(ask(&mut device, 4, &run(1), 0), Reply::Ack);
    // One queued at most, and nothing that would disturb the running block.
    assert_eq!(ask(&mut device, 5, &run(1), 0), error(ErrorCode::Busy, 0));
    assert_eq!(
        ask(&mut device, 6, &set_field(1.0, 0.0, 0), 0),
        error(ErrorCode::Busy, 0)
    );
    assert_eq!(
        ask(&mut device, 7, &Request::Measure, 0),
        error(ErrorCode::Busy, 0)
    );
    assert_eq!(
        ask(&mut device, 8, &load(2, 0, 0, &steps), 0),
        error(ErrorCode::Busy, 2)
    );

    let mut script = Script::default();
    script.coils_enabled();
    script.update(code(1.0), code(0.0));
    mocks.expect(script);
    assert!(poll(&mut device, 1).is_empty());

    // Abort: the Ack, then the running block's BlockDone (with its own seq); the queue is gone.
    mocks.expect(Script::default());
    let frames = replies(&exchange_raw(&mut device, 9, &Request::Abort, 2));
    assert_eq!(frames.len(), 2);
    assert_eq!((frames[0].header.seq, &frames[0].message), (9, &Reply::Ack));
    assert_eq!(frames[1].header.seq, 3);
    assert_eq!(
        frames[1].message,
        Reply::BlockDone(BlockDone {
            block: 0,
            steps: 1,
            measured: 0,
            aborted: true
        })
    );
    assert!(poll(&mut device, 3).is_empty());
    let s = status(&mut device, 10, 4);
    assert_eq!((s.running, s.queued, s.coils_on), (None, None, true));
    assert_eq!(s.x_mt, field(code(1.0)));

    let mut script = Script::default();
    script.coils_off();
    mocks.expect(script);
    assert_eq!(ask(&mut device, 11, &Request::CoilsOff, 5), Reply::Ack);
    assert!(!device.coils_on());
    mocks.done();
}

#[test]
fn a_block_whose_results_do_not_fit_is_refused() {
    // 256 measured steps of 100 channels would need 25,600 samples; a slot holds 16,384.
    let (mut mocks, mut device) = mock_device(config(100, 8.0, 100.0, 1000));
    let steps: Vec<_> = (0..48).map(|_| (0.0, 0.0, true)).collect();
    for (seq, offset) in (1..).zip((0..240).step_by(48)) {
        assert_eq!(
            ask(&mut device, seq, &load(0, offset, 0, &steps), 0),
            Reply::Ack
        );
    }
    assert_eq!(
        ask(
            &mut device,
            10,
            &Request::RunBlock(RunBlock {
                block: 0,
                steps: 240
            }),
            0
        ),
        error(ErrorCode::ResultOverflow, 24_000)
    );
    assert_eq!(
        ask(
            &mut device,
            11,
            &Request::RunBlock(RunBlock {
                block: 0,
                steps: 164
            }),
            0
        ),
        error(ErrorCode::ResultOverflow, 16_400)
    );
    assert_eq!(
        ask(
            &mut device,
            12,
            &Request::RunBlock(RunBlock {
                block: 0,
                steps: 163
            }),
            0
        ),
        Reply::Ack
    );
    mocks.done();
}

// ---------------------------------------------------------------------------------------------
// Frames the device must reject.

#[test]
fn rejected_frames_are_answered_and_corrupt_ones_dropped() {
    let (mut mocks, mut device) = mock_device(config(3, 8.0, 0.5, 1000));
    let raw = |version, kind, seq, body: &[u8]| {
        let mut buf = [0u8; MAX_ENCODED_FRAME];
        let header = Header {
            version,
            kind,
            seq,
            boot_id: 0,
        };
        let n = encode_raw_frame(&header, body, &mut buf).unwrap();
        buf[..n].to_vec()
    };
    let answer = |device: &mut MockDevice<NoopDelay>, bytes: Vec<u8>| {
        let mut wire = Wire::default();
        device.receive(&bytes, 0, &mut wire).unwrap();
        replies(&wire.0)
    };
    let r = answer(&mut device, raw(1, 0x33, 5, &[]));
    assert_eq!(
        (r[0].header.seq, &r[0].message),
        (5, &error(ErrorCode::UnknownKind, 0x33))
    );
    let r = answer(&mut device, raw(2, 0x08, 6, &[]));
    assert_eq!(r[0].message, error(ErrorCode::VersionMismatch, 2));
    let r = answer(&mut device, raw(1, 0x08, 7, &[0xAA]));
    assert_eq!(r[0].message, error(ErrorCode::BadRequest, 0x08));

    // A flipped bit: no answer at all (the seq cannot be trusted).
    let mut bad = request(8, &set_field(1.0, 0.0, 0));
    bad[4] ^= 0x10;
    assert!(answer(&mut device, bad).is_empty());
    assert_eq!(device.decode_stats().dropped(), 1);
    // Bytes split anywhere still make one frame.
    let bytes = request(9, &Request::Status);
    let mut wire = Wire::default();
    for b in &bytes {
        device
            .receive(std::slice::from_ref(b), 0, &mut wire)
            .unwrap();
    }
    assert!(matches!(
        replies(&wire.0)[0].message,
        Reply::StatusReport(_)
    ));
    mocks.done();
}

// ---------------------------------------------------------------------------------------------
// (7) Faults.

#[test]
fn a_dac_fault_switches_the_coils_off_and_answers_dac_fault() {
    let bench = Bench::default();
    let mut device = bench.device(config(3, 8.0, 0.5, 1000)).unwrap();
    bench.take();
    bench.fail(Part::DacY, 1);
    let mut wire = Wire::default();
    device
        .receive(&request(1, &set_field(0.25, 0.25, 0)), 0, &mut wire)
        .unwrap();
    assert_eq!(
        replies(&wire.0)[0].message,
        error(ErrorCode::DacFault, 1),
        "detail 1 = the y DAC"
    );
    let mut expected = vec![
        Event::Pin(Part::Enable, true, true),
        Event::Spi(Part::DacX, dac_frame(code(0.25)), true),
        Event::Spi(Part::DacY, dac_frame(code(0.25)), false),
    ];
    expected.extend(coils_off_events());
    assert_eq!(bench.take(), expected);
    assert!(!device.coils_on());
    assert_eq!(device.field_mt(), (0.0, 0.0));

    let mut wire = Wire::default();
    device
        .receive(&request(2, &Request::ErrorQueue), 1, &mut wire)
        .unwrap();
    assert_eq!(
        replies(&wire.0)[0].message,
        Reply::Errors(Errors {
            codes: HVec::from_slice(&[ErrorCode::DacFault]).unwrap(),
            overflowed: false
        })
    );
}

#[test]
fn an_adc_fault_switches_the_coils_off_and_answers_adc_fault() {
    let bench = Bench::default();
    let mut device = bench.device(config(3, 8.0, 0.5, 1000)).unwrap();
    let mut wire = Wire::default();
    device
        .receive(&request(1, &set_field(0.25, 0.0, 0)), 0, &mut wire)
        .unwrap();
    assert!(device.coils_on());
    bench.take();
    bench.fail(Part::Adc, 1);
    let mut wire = Wire::default();
    device
        .receive(&request(2, &Request::Measure), 1, &mut wire)
        .unwrap();
    assert_eq!(replies(&wire.0)[0].message, error(ErrorCode::AdcFault, 0));
    let mut expected = vec![
        Event::Pin(Part::Trigger, true, true),
        Event::Pin(Part::Trigger, false, true),
        Event::Spi(Part::Adc, vec![0; 4], false),
    ];
    expected.extend(coils_off_events());
    assert_eq!(bench.take(), expected);
    assert!(!device.coils_on());
}

#[test]
fn an_adc_fault_in_a_block_aborts_it() {
    let bench = Bench::default();
    let mut device = bench.device(config(2, 8.0, 100.0, 1000)).unwrap();
    let mut wire = Wire::default();
    let steps = [(1.0, 0.0, true), (2.0, 0.0, true)];
    device
        .receive(&request(1, &load(0, 0, 0, &steps)), 0, &mut wire)
        .unwrap();
    let run = Request::RunBlock(RunBlock { block: 0, steps: 2 });
    device.receive(&request(2, &run), 0, &mut wire).unwrap();
    device.poll(1, &mut wire).unwrap();
    bench.take();
    wire.0.clear();
    bench.fail(Part::Adc, 1);
    device.poll(2, &mut wire).unwrap();
    let frames = replies(&wire.0);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].header.seq, 2);
    assert_eq!(
        frames[0].message,
        Reply::BlockDone(BlockDone {
            block: 0,
            steps: 1,
            measured: 1,
            aborted: true
        })
    );
    let log = bench.take();
    assert_eq!(log[log.len() - 5..], coils_off_events()[..]);
    assert!(!device.coils_on());
    assert!(!device.busy());
}

#[test]
fn the_error_queue_keeps_the_oldest_and_flags_an_overflow() {
    let bench = Bench::default();
    let mut device = bench.device(config(1, 8.0, 0.5, 1000)).unwrap();
    let mut wire = Wire::default();
    for seq in 1..=20 {
        bench.fail(Part::DacX, 1);
        device
            .receive(&request(seq, &set_field(0.25, 0.0, 0)), 0, &mut wire)
            .unwrap();
    }
    let mut pop = |seq| {
        let mut wire = Wire::default();
        device
            .receive(&request(seq, &Request::ErrorQueue), 0, &mut wire)
            .unwrap();
        match replies(&wire.0).remove(0).message {
            Reply::Errors(e) => (e.codes.len(), e.overflowed),
            other => panic!("expected errors, got {other:?}"),
        }
    };
    // 20 faults, 16 kept: two full answers (the first reports the overflow), then nothing.
    assert_eq!(pop(21), (8, true));
    assert_eq!(pop(22), (8, false));
    assert_eq!(pop(23), (0, false));
}

#[test]
fn a_fault_at_construction_hands_the_parts_back() {
    let bench = Bench::default();
    bench.fail(Part::DacX, 1);
    let Err(err) = bench.device(config(3, 8.0, 0.5, 1000)) else {
        panic!("construction succeeded on a failing DAC");
    };
    assert_eq!(
        err,
        FirmwareError::Fault(Fault::Dac {
            axis: Axis::X,
            kind: embedded_hal::spi::ErrorKind::Overrun
        })
    );
    let log = bench.take();
    assert_eq!(log[0], Event::Pin(Part::Enable, false, true));
    assert!(log.contains(&Event::Pin(Part::Enable, false, true)));
    // The switch-off still ran to the interlock.
    let off = log
        .iter()
        .rposition(|e| *e == Event::Pin(Part::Enable, false, true));
    assert!(off.unwrap() > 0);
}

#[test]
fn a_stuck_interlock_is_reported_and_retried_by_the_watchdog() {
    let bench = Bench::default();
    let mut device = bench.device(config(1, 8.0, 0.5, 100)).unwrap();
    let mut wire = Wire::default();
    device
        .receive(&request(1, &set_field(0.25, 0.0, 0)), 0, &mut wire)
        .unwrap();
    bench.take();
    wire.0.clear();
    bench.fail(Part::Enable, 1);
    device
        .receive(&request(2, &Request::CoilsOff), 1, &mut wire)
        .unwrap();
    assert_eq!(replies(&wire.0)[0].message, error(ErrorCode::DacFault, 3));
    assert!(device.coils_on(), "the interlock may still be high");
    bench.take();
    device.poll(101, &mut wire).unwrap();
    assert_eq!(bench.take(), coils_off_events());
    assert!(!device.coils_on());
}

// ---------------------------------------------------------------------------------------------
// Robustness: random input never panics, and whatever is asked, the DACs stay within limits.

/// A small deterministic generator (64-bit LCG, top bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }

    fn field(&mut self) -> f32 {
        (self.below(4001) as f32 - 2000.0) / 100.0
    }
}

#[test]
fn random_bytes_never_panic() {
    let bench = Bench::default();
    let mut device = bench.device(config(5, 8.0, 0.5, 50)).unwrap();
    let mut rng = Lcg(1);
    let mut wire = Wire::default();
    for t in 0..20_000u32 {
        let len = rng.below(64) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(8) == 0 {
                    0
                } else {
                    rng.next() as u8
                }
            })
            .collect();
        device.receive(&bytes, t, &mut wire).unwrap();
        device.poll(t, &mut wire).unwrap();
    }
    let _ = bench.take();
}

#[test]
fn random_requests_keep_every_dac_update_within_the_limits() {
    let bench = Bench::default();
    let (max, slew) = (8.0_f32, 0.5_f32);
    let mut device = bench.device(config(4, max, slew, 30)).unwrap();
    bench.take();
    let mut rng = Lcg(7);
    let mut wire = Wire::default();
    let mut seq = 0u16;
    // DAC registers (successful writes), the codes last attempted, and the outputs.
    let (mut x, mut y, mut applied) = (0x8_0000, 0x8_0000, (0x8_0000, 0x8_0000));
    let mut attempted = (0x8_0000, 0x8_0000);
    let mut updates_seen = 0;
    let decode =
        |f: &[u8]| (u32::from(f[0] & 0xF) << 16) | (u32::from(f[1]) << 8) | u32::from(f[2]);
    let lsb = FS_MT / 524_288.0;
    for t in 0..10_000u32 {
        seq = seq.wrapping_add(1 + rng.below(2) as u16);
        let req = match rng.below(10) {
            0..=3 => set_field(rng.field(), rng.field(), rng.below(3000)),
            4 => Request::Measure,
            5 => {
                let n = 1 + rng.below(8) as usize;
                let steps: Vec<_> = (0..n)
                    .map(|_| (rng.field() / 2.0, rng.field() / 2.0, rng.below(2) == 0))
                    .collect();
                load(rng.below(4) as u16, 0, rng.below(100), &steps)
            }
            6 => Request::RunBlock(RunBlock {
                block: rng.below(4) as u16,
                steps: rng.below(9) as u16,
            }),
            7 => Request::Abort,
            8 => Request::ErrorQueue,
            _ => {
                if rng.below(10) == 0 {
                    Request::CoilsOff
                } else {
                    Request::Status
                }
            }
        };
        if rng.below(20) == 0 {
            bench.fail(
                [Part::DacX, Part::DacY, Part::Adc, Part::Ldac][rng.below(4) as usize],
                1,
            );
        }
        let now = t * 7;
        wire.0.clear();
        device.receive(&request(seq, &req), now, &mut wire).unwrap();
        let frames = replies(&wire.0);
        assert_eq!(frames[0].header.seq, seq, "every request is answered first");
        for _ in 0..rng.below(3) {
            device.poll(now + 1, &mut wire).unwrap();
        }
        for event in bench.take() {
            match event {
                Event::Spi(Part::DacX, f, ok) if f[0] >> 4 == 1 => {
                    attempted.0 = decode(&f);
                    if ok {
                        x = decode(&f);
                    }
                }
                Event::Spi(Part::DacY, f, ok) if f[0] >> 4 == 1 => {
                    attempted.1 = decode(&f);
                    if ok {
                        y = decode(&f);
                    }
                }
                Event::Pin(Part::Ldac, false, true) => {
                    let (bx, by) = (field(x), field(y));
                    assert!(
                        (bx * bx + by * by).sqrt() <= max + 2.0 * lsb,
                        "update to ({bx}, {by}) exceeds the magnitude limit"
                    );
                    // Switching off jumps to zero by design; every other update is ramped.
                    if attempted != (0x8_0000, 0x8_0000) {
                        let (px, py) = (field(applied.0), field(applied.1));
                        let d = ((bx - px).powi(2) + (by - py).powi(2)).sqrt();
                        assert!(
                            d <= slew + 2.0 * lsb,
                            "step of {d} mT exceeds the slew limit"
                        );
                    }
                    applied = (x, y);
                    updates_seen += 1;
                }
                _ => {}
            }
        }
    }
    println!("{updates_seen} coil updates checked");
    assert!(
        updates_seen > 4_000,
        "only {updates_seen} coil updates: the test is too weak"
    );
}

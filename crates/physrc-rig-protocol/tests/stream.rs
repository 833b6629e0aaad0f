//! The receive side: a byte stream through `FrameAccumulator`.

mod common;

use common::*;
use physrc_rig_protocol::{
    DecodeStats, ErrorCode, FeedResult, Frame, FrameAccumulator, Header, MAX_ENCODED_FRAME,
    ProtocolError, Rejected, Reply, Request, encode_raw_frame, kind,
};

type Acc = FrameAccumulator<MAX_ENCODED_FRAME>;

fn requests(acc: &mut Acc, bytes: &[u8]) -> Vec<Result<Frame<Request>, Rejected>> {
    acc.requests(bytes).collect()
}

fn replies(acc: &mut Acc, bytes: &[u8]) -> Vec<Result<Frame<Reply>, Rejected>> {
    acc.replies(bytes).collect()
}

fn raw_frame(header: Header, body: &[u8]) -> Vec<u8> {
    let mut out = [0u8; MAX_ENCODED_FRAME];
    let n = encode_raw_frame(&header, body, &mut out).unwrap();
    out[..n].to_vec()
}

/// Re-frames a COBS-decoded frame (header ‖ body ‖ crc) as wire bytes without touching the CRC.
fn reframe(raw: &[u8]) -> Vec<u8> {
    let mut w = ref_cobs_encode(raw);
    w.push(0);
    w
}

#[test]
fn a_stream_of_every_request_decodes_in_order() {
    let mut stream = Vec::new();
    for (i, r) in every_request().iter().enumerate() {
        stream.extend(wire(i as u16, 0, r));
    }
    let mut acc = Acc::new();
    let got: Vec<Request> = requests(&mut acc, &stream)
        .into_iter()
        .map(|r| r.unwrap().message)
        .collect();
    assert_eq!(got, every_request());
    assert_eq!(acc.stats().frames, 11);
    assert_eq!(acc.pending(), 0);
}

#[test]
fn a_frame_split_across_many_feeds() {
    let replies_in = every_reply();
    let mut stream = Vec::new();
    for (i, r) in replies_in.iter().enumerate() {
        stream.extend(wire(1000 + i as u16, 77, r));
    }
    // One byte at a time, then in pieces of 3, 7 and 64 bytes.
    for piece in [1usize, 3, 7, 64] {
        let mut acc = Acc::new();
        let mut got = Vec::new();
        for bytes in stream.chunks(piece) {
            for r in acc.replies(bytes) {
                got.push(r.unwrap());
            }
        }
        assert_eq!(got.len(), replies_in.len(), "pieces of {piece}");
        for (i, (frame, expected)) in got.iter().zip(&replies_in).enumerate() {
            assert_eq!(frame.header.seq, 1000 + i as u16);
            assert_eq!(frame.header.boot_id, 77);
            assert_eq!(&frame.message, expected);
        }
    }
}

#[test]
fn feed_reports_one_frame_at_a_time() {
    let a = wire(1, 0, &Request::Hello);
    let b = wire(2, 0, &Request::Status);
    let stream = [a.clone(), b].concat();
    let mut acc = Acc::new();
    let FeedResult::Frame { frame, remaining } = acc.feed::<Request>(&stream) else {
        panic!("no frame");
    };
    assert_eq!((frame.header.seq, frame.message), (1, Request::Hello));
    assert_eq!(remaining.len(), stream.len() - a.len());
    let FeedResult::Frame { frame, remaining } = acc.feed::<Request>(remaining) else {
        panic!("no frame");
    };
    assert_eq!((frame.header.seq, frame.message), (2, Request::Status));
    assert!(remaining.is_empty());
    assert_eq!(acc.feed::<Request>(remaining), FeedResult::Consumed);
    assert_eq!(acc.feed::<Request>(&a[..3]), FeedResult::Consumed);
    assert_eq!(acc.pending(), 3);
}

/// Every single-byte corruption of the frame's bytes (before COBS) is caught by the CRC.
#[test]
fn any_single_byte_corruption_is_dropped() {
    for (i, msg) in every_reply().iter().enumerate() {
        let w = wire(i as u16, 0xDEAD_BEEF, msg);
        let raw = ref_cobs_decode(&w[..w.len() - 1]).unwrap();
        for pos in 0..raw.len() {
            for mask in [0x01u8, 0x80, 0xFF, 0x5A] {
                let mut bad = raw.clone();
                bad[pos] ^= mask;
                let mut acc = Acc::new();
                let got = replies(&mut acc, &reframe(&bad));
                assert!(
                    got.is_empty(),
                    "reply {i}, byte {pos} ^ {mask:#04x}: {got:?}"
                );
                assert_eq!(acc.stats().crc, 1);
                assert_eq!(acc.stats().dropped(), 1);
            }
        }
    }
}

/// Every single-byte corruption of the wire bytes (after COBS) is dropped, and the next frame
/// still decodes.
#[test]
fn any_single_wire_byte_corruption_is_dropped_and_the_next_frame_decodes() {
    let next = wire(500, 0, &Request::Status);
    for (i, msg) in every_request().iter().enumerate() {
        let w = wire(i as u16, 0, msg);
        for pos in 0..w.len() - 1 {
            for mask in [0x01u8, 0x10, 0xFF] {
                let mut bad = w.clone();
                bad[pos] ^= mask;
                let stream = [bad, next.clone()].concat();
                let mut acc = Acc::new();
                let got = requests(&mut acc, &stream);
                let last = got.last().expect("nothing decoded");
                assert_eq!(
                    last.as_ref().unwrap().header.seq,
                    500,
                    "request {i}, byte {pos} ^ {mask:#04x}"
                );
                // Nothing but the intact frame is accepted (a corruption that turns a byte into
                // 0x00 splits the frame in two; both halves are dropped).
                assert_eq!(
                    got.len(),
                    1,
                    "request {i}, byte {pos} ^ {mask:#04x}: {got:?}"
                );
            }
        }
    }
}

#[test]
fn resynchronises_after_garbage() {
    let garbage: Vec<u8> = (0..700u32).map(|i| (i * 151 + 7) as u8 | 1).collect();
    let frame = wire(9, 0, &Request::Measure);
    // Garbage without a delimiter merges with the next frame, so the host sends a 0x00 first.
    let stream = [garbage.clone(), vec![0], frame.clone()].concat();
    let mut acc = Acc::new();
    let got = requests(&mut acc, &stream);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].as_ref().unwrap().message, Request::Measure);
    assert_eq!(acc.stats().overflow, 1, "{:?}", acc.stats());

    // Short garbage with zeros in it.
    let stream = [
        vec![0x13, 0x00, 0x05, 0x01, 0x00, 0x00, 0x02],
        vec![0],
        frame,
    ]
    .concat();
    let mut acc = Acc::new();
    let got = requests(&mut acc, &stream);
    assert_eq!(got.len(), 1);
    assert_eq!(acc.stats().frames, 1);
    assert_eq!(acc.stats().dropped(), 3);
}

#[test]
fn overlong_input_is_discarded_up_to_the_next_delimiter() {
    let mut acc = FrameAccumulator::<64>::new();
    let big = wire(1, 2, &every_reply()[3]); // a 64-channel measurement: > 64 bytes
    assert!(big.len() > 64);
    let small = wire(2, 2, &Reply::Ack);
    // Fed in pieces so that the overflow happens in the middle of a feed.
    let mut got = Vec::new();
    for piece in [big, small].concat().chunks(50) {
        got.extend(acc.replies(piece));
    }
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].as_ref().unwrap().header.seq, 2);
    assert_eq!(acc.stats().overflow, 1);
    // An exactly full buffer is fine.
    let exact = wire(3, 0, &Reply::Ack);
    assert_eq!(exact.len() - 1, 11);
    let mut acc = FrameAccumulator::<11>::new();
    assert_eq!(replies_n(&mut acc, &exact), 1);
    let mut acc = FrameAccumulator::<10>::new();
    assert_eq!(replies_n(&mut acc, &exact), 0);
    assert_eq!(acc.stats().overflow, 1);
}

fn replies_n<const N: usize>(acc: &mut FrameAccumulator<N>, bytes: &[u8]) -> usize {
    acc.replies(bytes).filter(Result::is_ok).count()
}

#[test]
fn empty_frames_are_ignored_and_not_counted() {
    let frame = wire(4, 0, &Request::Abort);
    let stream = [vec![0, 0, 0], frame.clone(), vec![0, 0], frame].concat();
    let mut acc = Acc::new();
    assert_eq!(requests(&mut acc, &stream).len(), 2);
    assert_eq!(
        acc.stats(),
        DecodeStats {
            frames: 2,
            ..DecodeStats::default()
        }
    );
    assert_eq!(acc.feed::<Request>(&[0, 0]), FeedResult::Consumed);
}

#[test]
fn frames_with_a_good_crc_but_bad_contents_are_rejected_with_their_header() {
    let h = |version, kind, seq| Header {
        version,
        kind,
        seq,
        boot_id: 0,
    };
    let cases: Vec<(Vec<u8>, Header, ProtocolError, ErrorCode)> = vec![
        (
            raw_frame(h(2, kind::HELLO, 11), &[]),
            h(2, kind::HELLO, 11),
            ProtocolError::Version { found: 2 },
            ErrorCode::VersionMismatch,
        ),
        (
            raw_frame(h(1, 0x42, 12), &[]),
            h(1, 0x42, 12),
            ProtocolError::UnknownKind { kind: 0x42 },
            ErrorCode::UnknownKind,
        ),
        (
            // A reply kind sent to the device.
            raw_frame(h(1, kind::ACK, 13), &[]),
            h(1, kind::ACK, 13),
            ProtocolError::UnknownKind { kind: kind::ACK },
            ErrorCode::UnknownKind,
        ),
        (
            // A body on a bodiless request.
            raw_frame(h(1, kind::HELLO, 14), &[1, 2]),
            h(1, kind::HELLO, 14),
            ProtocolError::TrailingBytes {
                kind: kind::HELLO,
                count: 2,
            },
            ErrorCode::BadRequest,
        ),
        (
            // SetField with one byte too many.
            raw_frame(h(1, kind::SET_FIELD, 15), &[0, 0, 0, 0, 0, 0, 0, 0, 1, 9]),
            h(1, kind::SET_FIELD, 15),
            ProtocolError::TrailingBytes {
                kind: kind::SET_FIELD,
                count: 1,
            },
            ErrorCode::BadRequest,
        ),
        (
            // SetField cut short.
            raw_frame(h(1, kind::SET_FIELD, 16), &[0, 0, 0, 0, 0]),
            h(1, kind::SET_FIELD, 16),
            ProtocolError::Body {
                kind: kind::SET_FIELD,
            },
            ErrorCode::BadRequest,
        ),
        (
            // LoadBlock claiming 49 steps.
            raw_frame(h(1, kind::LOAD_BLOCK, 17), &[0, 0, 0, 49]),
            h(1, kind::LOAD_BLOCK, 17),
            ProtocolError::Body {
                kind: kind::LOAD_BLOCK,
            },
            ErrorCode::BadRequest,
        ),
        (
            // A varint too long for a u16.
            raw_frame(h(1, kind::READ_MEASUREMENT, 18), &[0xFF, 0xFF, 0xFF, 0x01]),
            h(1, kind::READ_MEASUREMENT, 18),
            ProtocolError::Body {
                kind: kind::READ_MEASUREMENT,
            },
            ErrorCode::BadRequest,
        ),
        (
            // A bool that is neither 0 nor 1 (BlockStep.measure).
            raw_frame(
                h(1, kind::LOAD_BLOCK, 19),
                &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            ),
            h(1, kind::LOAD_BLOCK, 19),
            ProtocolError::Body {
                kind: kind::LOAD_BLOCK,
            },
            ErrorCode::BadRequest,
        ),
    ];
    let next = wire(99, 0, &Request::Hello);
    for (bytes, header, error, code) in cases {
        let mut acc = Acc::new();
        let got = requests(&mut acc, &[bytes, next.clone()].concat());
        assert_eq!(got.len(), 2);
        let rejected = got[0].clone().unwrap_err();
        assert_eq!(rejected, Rejected { header, error });
        assert_eq!(rejected.code(), code);
        assert_eq!(got[1].as_ref().unwrap().header.seq, 99);
        assert_eq!(acc.stats().rejected(), 1);
        assert_eq!(acc.stats().frames, 1);
    }
}

#[test]
fn too_short_and_bad_cobs_frames_are_dropped() {
    let mut acc = Acc::new();
    // Valid COBS, 3 decoded bytes: too short.
    assert!(requests(&mut acc, &[0x04, 1, 2, 3, 0]).is_empty());
    assert_eq!(acc.stats().length, 1);
    // A code byte pointing past the end of the frame.
    assert!(requests(&mut acc, &[0x09, 1, 2, 0]).is_empty());
    assert_eq!(acc.stats().cobs, 1);
    // A CRC that almost matches: the header of a real frame with a wrong CRC.
    let w = wire(1, 0, &Request::Hello);
    let mut raw = ref_cobs_decode(&w[..w.len() - 1]).unwrap();
    let n = raw.len();
    raw[n - 1] = raw[n - 1].wrapping_add(1);
    let bytes = reframe(&raw);
    let got = acc.feed::<Request>(&bytes);
    assert!(matches!(
        got,
        FeedResult::Dropped {
            error: ProtocolError::Crc { .. },
            ..
        }
    ));
    assert_eq!(acc.stats().dropped(), 3);
}

#[test]
fn clear_forgets_a_partial_frame() {
    let w = wire(1, 0, &Request::Hello);
    let mut acc = Acc::new();
    assert!(requests(&mut acc, &w[..4]).is_empty());
    acc.clear();
    assert_eq!(acc.pending(), 0);
    // The tail of the old frame now decodes as garbage, the next frame cleanly.
    let got = requests(&mut acc, &[&w[4..], &w[..]].concat());
    assert_eq!(got.len(), 1);
    assert_eq!(acc.stats().dropped(), 1);
}

//! Property tests: arbitrary input never panics and is decoded exactly as an independent
//! reference decoder says; arbitrary messages round-trip.

mod common;

use common::*;
use physrc_rig_protocol::{
    Frame, FrameAccumulator, Header, MAX_ENCODED_FRAME, Message, Rejected, Reply, Request,
    check_frame, decode_encoded_frame, decode_frame, encode_frame,
};
use proptest::prelude::*;

/// A comparable form of a decoded item: a valid frame by its re-encoded wire bytes (so that
/// NaN payloads compare bit for bit), a rejection as it is.
#[derive(Debug, PartialEq)]
enum Item {
    Frame(Header, Vec<u8>),
    Rejected(Rejected),
}

fn item<M: Message>(r: Result<Frame<M>, Rejected>) -> Item {
    match r {
        Ok(frame) => {
            let w = wire(frame.header.seq, frame.header.boot_id, &frame.message);
            // Every yielded frame re-encodes to bytes whose CRC checks (reference CRC).
            let raw = ref_cobs_decode(&w[..w.len() - 1]).expect("re-encoding is not valid cobs");
            assert!(ref_frame_ok(&raw), "re-encoded frame has a bad crc");
            Item::Frame(frame.header, w)
        }
        Err(rejected) => {
            assert!(rejected.error.is_rejection());
            Item::Rejected(rejected)
        }
    }
}

/// What a receiver with a `MAX_ENCODED_FRAME` buffer must report for `input`, computed with the
/// reference COBS decoder and CRC: (items, dropped count).
fn reference<M: Message>(input: &[u8]) -> (Vec<Item>, u32) {
    let mut items = Vec::new();
    let mut dropped = 0;
    let mut segments: Vec<&[u8]> = input.split(|&b| b == 0).collect();
    segments.pop(); // bytes after the last delimiter are still pending
    for segment in segments {
        if segment.is_empty() {
            continue;
        }
        if segment.len() > MAX_ENCODED_FRAME {
            dropped += 1;
            continue;
        }
        match ref_cobs_decode(segment) {
            Some(decoded) if ref_frame_ok(&decoded) => {
                let raw = check_frame(&decoded).expect("reference and crate disagree on the crc");
                let header = Header::from_bytes(decoded[..8].try_into().unwrap());
                assert_eq!(raw.header, header);
                items.push(item(
                    decode_frame::<M>(&raw).map_err(|error| Rejected { header, error }),
                ));
            }
            _ => dropped += 1,
        }
    }
    (items, dropped)
}

/// Feeds `input` in pieces of the given sizes (cycled) and collects what comes out.
fn run<M: Message>(input: &[u8], pieces: &[usize]) -> (Vec<Item>, FrameAccumulator) {
    let mut acc = FrameAccumulator::<MAX_ENCODED_FRAME>::new();
    let mut items = Vec::new();
    let mut rest = input;
    let mut sizes = pieces.iter().cycle();
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap()).min(rest.len());
        let (now, later) = rest.split_at(n);
        items.extend(acc.frames::<M>(now).map(item));
        rest = later;
    }
    (items, acc)
}

fn check_against_reference<M: Message>(input: &[u8], pieces: &[usize]) {
    let (expected, dropped) = reference::<M>(input);
    let (got, acc) = run::<M>(input, pieces);
    assert_eq!(got, expected);
    let stats = acc.stats();
    assert_eq!(stats.dropped(), dropped, "{stats:?}");
    let frames = expected
        .iter()
        .filter(|i| matches!(i, Item::Frame(..)))
        .count();
    assert_eq!(stats.frames as usize, frames);
    assert_eq!(stats.rejected() as usize, expected.len() - frames);
}

/// A piece of a hostile stream: random bytes, a delimiter, a valid frame, or a valid frame with
/// one byte changed.
fn piece(frame: impl Strategy<Value = Vec<u8>> + Clone) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..40),
        Just(vec![0u8]),
        frame.clone(),
        (frame, any::<prop::sample::Index>(), 1..=255u8).prop_map(|(mut w, at, x)| {
            let i = at.index(w.len());
            w[i] ^= x;
            w
        }),
    ]
}

fn request_wire() -> BoxedStrategy<Vec<u8>> {
    (arb_request(), any::<u16>())
        .prop_map(|(r, seq)| wire(seq, 0, &r))
        .boxed()
}

fn reply_wire() -> BoxedStrategy<Vec<u8>> {
    (arb_reply(), any::<u16>(), any::<u32>())
        .prop_map(|(r, seq, boot)| wire(seq, boot, &r))
        .boxed()
}

fn pieces() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..80, 1..8)
}

proptest! {
    #[test]
    fn arbitrary_bytes_decode_as_the_reference_says(
        input in prop::collection::vec(any::<u8>(), 0..3000),
        sizes in pieces(),
    ) {
        check_against_reference::<Request>(&input, &sizes);
        check_against_reference::<Reply>(&input, &sizes);
    }

    #[test]
    fn arbitrary_bytes_with_few_zeros_decode_as_the_reference_says(
        // Mostly non-zero bytes: long segments, overflows, many code bytes.
        input in prop::collection::vec(prop_oneof![20 => 1..=255u8, 1 => Just(0u8)], 0..3000),
        sizes in pieces(),
    ) {
        check_against_reference::<Request>(&input, &sizes);
        check_against_reference::<Reply>(&input, &sizes);
    }

    #[test]
    fn hostile_request_streams_decode_as_the_reference_says(
        stream in prop::collection::vec(piece(request_wire()), 0..12),
        sizes in pieces(),
    ) {
        check_against_reference::<Request>(&stream.concat(), &sizes);
    }

    #[test]
    fn hostile_reply_streams_decode_as_the_reference_says(
        stream in prop::collection::vec(piece(reply_wire()), 0..8),
        sizes in pieces(),
    ) {
        check_against_reference::<Reply>(&stream.concat(), &sizes);
    }

    #[test]
    fn garbage_then_a_delimiter_never_loses_the_frames_after_it(
        garbage in prop::collection::vec(any::<u8>(), 0..1200),
        requests in prop::collection::vec((arb_request(), any::<u16>()), 1..6),
        sizes in pieces(),
    ) {
        let frames: Vec<Vec<u8>> = requests.iter().map(|(r, seq)| wire(*seq, 0, r)).collect();
        let input = [garbage, vec![0], frames.concat()].concat();
        let (got, _) = run::<Request>(&input, &sizes);
        prop_assert!(got.len() >= frames.len());
        let tail = &got[got.len() - frames.len()..];
        for ((item, w), (_, seq)) in tail.iter().zip(&frames).zip(&requests) {
            let Item::Frame(header, bytes) = item else { panic!("rejected: {item:?}") };
            prop_assert_eq!(header.seq, *seq);
            prop_assert_eq!(bytes, w);
        }
    }

    #[test]
    fn requests_round_trip(request in arb_request(), seq in any::<u16>(), sizes in pieces()) {
        let w = wire(seq, 0, &request);
        prop_assert!(w.len() <= MAX_ENCODED_FRAME);
        prop_assert!(!w[..w.len() - 1].contains(&0));
        let mut copy = w.clone();
        let frame = decode_encoded_frame::<Request>(&mut copy).unwrap();
        prop_assert_eq!(frame.header, Header { version: 1, kind: request.kind(), seq, boot_id: 0 });
        // Equal by re-encoding (NaN-safe, bit-exact).
        prop_assert_eq!(&wire(seq, 0, &frame.message), &w);
        if !format!("{request:?}").contains("NaN") {
            prop_assert_eq!(&frame.message, &request);
        }
        let (got, _) = run::<Request>(&w, &sizes);
        prop_assert_eq!(got, vec![Item::Frame(frame.header, w)]);
    }

    #[test]
    fn replies_round_trip(
        reply in arb_reply(),
        seq in any::<u16>(),
        boot_id in any::<u32>(),
        sizes in pieces(),
    ) {
        let mut out = [0u8; MAX_ENCODED_FRAME];
        let n = encode_frame(seq, boot_id, &reply, &mut out).unwrap();
        let w = out[..n].to_vec();
        let mut copy = w.clone();
        let frame = decode_encoded_frame::<Reply>(&mut copy).unwrap();
        prop_assert_eq!(frame.header, Header { version: 1, kind: reply.kind(), seq, boot_id });
        prop_assert_eq!(&wire(seq, boot_id, &frame.message), &w);
        if !format!("{reply:?}").contains("NaN") {
            prop_assert_eq!(&frame.message, &reply);
        }
        let (got, _) = run::<Reply>(&w, &sizes);
        prop_assert_eq!(got, vec![Item::Frame(frame.header, w)]);
    }
}

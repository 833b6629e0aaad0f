//! Feeds arbitrary bytes to the receive side: two accumulators (one with a full-size buffer
//! decoding requests, one with a small buffer decoding replies, so overflows are exercised),
//! fed in pieces whose size the first input byte chooses, and the one-shot decoders.
//!
//! When the first byte is odd, the rest is first framed as `header ‖ body` with a correct CRC
//! (and followed by a second copy of itself, raw), so the fuzzer reaches the version, kind and
//! body checks without having to guess a CRC.
//!
//! Beyond "no panic", every frame that comes out must re-encode and decode back to the same
//! bytes: a yielded frame always had a valid CRC and a body that used every byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use physrc_rig_protocol::{
    FrameAccumulator, HEADER_LEN, Header, MAX_ENCODED_FRAME, Message, Reply, Request, check_frame,
    decode_encoded_frame, decode_reply, decode_request, encode_frame, encode_raw_frame,
};

fn reencodes<M: Message>(seq: u16, boot_id: u32, message: &M) {
    let mut out = [0u8; MAX_ENCODED_FRAME];
    let n = encode_frame(seq, boot_id, message, &mut out).expect("a decoded message re-encodes");
    let mut copy = out;
    let again = decode_encoded_frame::<M>(&mut copy[..n]).expect("a re-encoded frame decodes");
    assert_eq!((again.header.seq, again.header.boot_id), (seq, boot_id));
    let mut out2 = [0u8; MAX_ENCODED_FRAME];
    let n2 = encode_frame(seq, boot_id, &again.message, &mut out2).expect("re-encodes twice");
    assert_eq!(out[..n], out2[..n2], "encoding is not stable");
}

fuzz_target!(|data: &[u8]| {
    let (first, bytes) = match data.split_first() {
        Some((&first, rest)) => (first, rest),
        None => (0, data),
    };
    let piece = usize::from(first >> 1) + 1;
    let mut framed = Vec::new();
    if first & 1 == 1 {
        if let Some((head, body)) = bytes.split_first_chunk::<HEADER_LEN>() {
            let mut out = [0u8; MAX_ENCODED_FRAME];
            if let Ok(n) = encode_raw_frame(&Header::from_bytes(*head), body, &mut out) {
                framed.extend_from_slice(&out[..n]);
            }
        }
    }
    framed.extend_from_slice(bytes);
    let bytes = &framed[..];

    let mut requests = FrameAccumulator::<MAX_ENCODED_FRAME>::new();
    let mut replies = FrameAccumulator::<64>::new();
    for chunk in bytes.chunks(piece) {
        for frame in requests.requests(chunk).flatten() {
            reencodes(frame.header.seq, frame.header.boot_id, &frame.message);
        }
        for frame in replies.replies(chunk).flatten() {
            reencodes(frame.header.seq, frame.header.boot_id, &frame.message);
        }
    }
    let stats = requests.stats();
    let _ = (stats.dropped(), stats.rejected(), requests.pending());

    if let Ok(raw) = check_frame(bytes) {
        let _ = decode_request(&raw);
        let _ = decode_reply(&raw);
    }
    let mut copy = bytes.to_vec();
    let _ = decode_encoded_frame::<Request>(&mut copy);
    let mut copy = bytes.to_vec();
    let _ = decode_encoded_frame::<Reply>(&mut copy);
});

//! The nanomagnet rig's wire protocol: frames, messages and a CRC-checked decoder.
//!
//! The host (a PC running the driver in `physrc-rig`) and the rig's microcontroller (running
//! `physrc-rig-firmware`) exchange frames over a serial line:
//!
//! ```text
//! COBS( header ‖ body ‖ crc16_le ) 0x00
//! header = version:u8  kind:u8  seq:u16 LE  boot_id:u32 LE      (8 bytes)
//! body   = postcard encoding of the message of that kind
//! crc16  = CRC-16/IBM-3740 over header ‖ body, little-endian
//! ```
//!
//! This crate is shared by both ends, so that they cannot disagree: it defines the messages
//! ([`Request`] host → device, [`Reply`] device → host), encodes them ([`encode_frame`]) and
//! decodes a byte stream ([`FrameAccumulator`]). It is `no_std`, allocates nothing and never
//! panics on received bytes. The full specification, with the sequence-number and caching rules
//! that make retries safe, is `docs/rig-protocol.md` in the repository.
//!
//! # Why the decoder is hand-written
//! postcard ships a COBS accumulator, but it deserialises straight from the decoded bytes and
//! ignores trailing bytes, so a CRC appended to the frame would never be checked. Here the CRC
//! is checked before any deserialisation, and a body must use every byte up to the CRC.
//!
//! # Example
//! ```
//! use physrc_rig_protocol::{FieldSet, FrameAccumulator, MAX_ENCODED_FRAME, Reply};
//!
//! // Device side: encode a reply to request seq 42.
//! let mut wire = [0u8; MAX_ENCODED_FRAME];
//! let reply = Reply::FieldSet(FieldSet { x_mt: 2.0, y_mt: 0.0 });
//! let n = reply.encode(42, 0xDEAD_BEEF, &mut wire).unwrap();
//! assert_eq!(wire[n - 1], 0x00); // the delimiter
//!
//! // Host side: decode it.
//! let mut acc = FrameAccumulator::<MAX_ENCODED_FRAME>::new();
//! let frame = acc.replies(&wire[..n]).next().unwrap().unwrap();
//! assert_eq!((frame.header.seq, frame.header.boot_id), (42, 0xDEAD_BEEF));
//! assert_eq!(frame.message, reply);
//! ```
#![no_std]
#![deny(missing_docs)]

/// The `heapless` version the message types use (`String`, `Vec`), re-exported so that both
/// ends build messages with the same one.
pub use heapless;

mod accumulator;
mod error;
mod frame;
mod message;

pub use accumulator::{DecodeStats, FeedResult, FrameAccumulator, Frames, Rejected};
pub use error::ProtocolError;
pub use frame::{
    Frame, Header, RawFrame, check_frame, crc16, decode_encoded_frame, decode_frame, decode_reply,
    decode_request, encode_frame, encode_raw_frame,
};
pub use message::{
    BlockDone, BlockStep, Chunk, ErrorCode, ErrorReply, Errors, FieldSet, Identity, Limits,
    LoadBlock, Measurement, Message, ReadChunk, ReadMeasurement, Reply, Request, RunBlock,
    SetField, StatusReport, code_to_value, kind, push_sample_codes, sample_codes,
};

/// The protocol version carried in byte 0 of every frame header.
pub const PROTOCOL_VERSION: u8 = 1;

/// Length of the fixed frame header: version, kind, seq, boot id.
pub const HEADER_LEN: usize = 8;

/// Length of the CRC at the end of a frame.
pub const CRC_LEN: usize = 2;

/// Shortest valid frame: a header and a CRC around an empty body.
pub const MIN_FRAME: usize = HEADER_LEN + CRC_LEN;

/// Longest frame (header + body + CRC, before COBS), in bytes.
pub const MAX_FRAME: usize = 512;

/// Longest COBS encoding of a [`MAX_FRAME`]-byte frame, without the delimiter: the receive
/// buffer a [`FrameAccumulator`] needs.
///
/// Every message this crate defines is at most 507 bytes before COBS (a full `Chunk`), so its
/// whole wire form, delimiter included, is at most 510 bytes and also fits a transmit buffer of
/// this size.
pub const MAX_ENCODED_FRAME: usize = MAX_FRAME + 3;

/// Most ADC samples in one `Measurement` or `Chunk`.
pub const MAX_CHUNK_SAMPLES: usize = 240;

/// Bytes of [`MAX_CHUNK_SAMPLES`] samples (two per sample).
pub const MAX_CHUNK_BYTES: usize = 2 * MAX_CHUNK_SAMPLES;

/// Most steps in one `LoadBlock` frame.
pub const MAX_LOAD_STEPS: usize = 48;

/// Number of block slots on the device; block `b` lives in slot `b % BLOCK_SLOTS`.
pub const BLOCK_SLOTS: usize = 2;

/// Capacity of one block slot, in steps.
pub const MAX_BLOCK_STEPS: usize = 256;

/// Capacity of one slot's result buffer, in samples (`u16` codes).
pub const MAX_BLOCK_RESULTS: usize = 16384;

/// Most codes in one `Errors` reply.
pub const MAX_ERRORS: usize = 8;

const _: () = assert!(MAX_ENCODED_FRAME == cobs::max_encoding_length(MAX_FRAME));

//! The protocol's error type.

use core::fmt;

use crate::{MAX_FRAME, MIN_FRAME, PROTOCOL_VERSION, message::ErrorCode};

/// Why a frame could not be encoded, or why received bytes did not make a valid frame.
///
/// Receive-side errors fall in two groups, and a device must treat them differently:
///
/// - **corrupt**: [`Overflow`](Self::Overflow), [`Cobs`](Self::Cobs),
///   [`TooShort`](Self::TooShort), [`TooLong`](Self::TooLong), [`Crc`](Self::Crc). Nothing in
///   the frame can be trusted, not even its `seq`, so the frame is dropped without an answer;
///   the sender notices the missing reply and retries.
/// - **rejected**: [`Version`](Self::Version), [`UnknownKind`](Self::UnknownKind),
///   [`Body`](Self::Body), [`TrailingBytes`](Self::TrailingBytes). The CRC checked, so the header
///   is what the sender sent; a device answers with an `Error` reply carrying
///   [`error_code`](Self::error_code) and the request's `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    /// The output buffer given to an encoder is too small for the frame.
    BufferTooSmall {
        /// Bytes the encoded frame needs at most (COBS bytes and the delimiter).
        needed: usize,
        /// Bytes the caller provided.
        available: usize,
    },
    /// The message does not fit in a [`MAX_FRAME`]-byte frame.
    FrameTooLarge {
        /// Kind code of the message.
        kind: u8,
    },
    /// The message could not be serialised (a serde error other than running out of room).
    Encode {
        /// Kind code of the message.
        kind: u8,
    },
    /// More bytes arrived before a delimiter than the receive buffer holds; they were discarded
    /// up to the next delimiter.
    Overflow {
        /// Capacity of the receive buffer in bytes.
        capacity: usize,
    },
    /// The bytes between two delimiters are not a valid COBS encoding.
    Cobs,
    /// The decoded frame is shorter than a header and a CRC.
    TooShort {
        /// Decoded length in bytes.
        len: usize,
    },
    /// The decoded frame is longer than [`MAX_FRAME`].
    TooLong {
        /// Decoded length in bytes.
        len: usize,
    },
    /// The CRC carried by the frame does not match its bytes.
    Crc {
        /// The CRC in the frame's last two bytes.
        carried: u16,
        /// The CRC computed over the frame's header and body.
        computed: u16,
    },
    /// The frame's protocol version is not [`PROTOCOL_VERSION`].
    Version {
        /// The version byte the frame carries.
        found: u8,
    },
    /// The kind code is not a message of the expected direction.
    UnknownKind {
        /// The kind code the frame carries.
        kind: u8,
    },
    /// The body does not decode as the message of its kind.
    Body {
        /// Kind code of the message.
        kind: u8,
    },
    /// The body decoded but bytes were left over.
    TrailingBytes {
        /// Kind code of the message.
        kind: u8,
        /// Number of bytes left after the message.
        count: usize,
    },
}

impl ProtocolError {
    /// Whether the error was found after the CRC checked, so the frame's header (and its `seq`)
    /// is trustworthy and the sender may be answered with an `Error` reply.
    pub const fn is_rejection(&self) -> bool {
        matches!(
            self,
            Self::Version { .. }
                | Self::UnknownKind { .. }
                | Self::Body { .. }
                | Self::TrailingBytes { .. }
        )
    }

    /// The [`ErrorCode`] a device answers with for a rejected request: `VersionMismatch` for a
    /// wrong version, `UnknownKind` for an unknown kind, `BadRequest` for everything else.
    pub const fn error_code(&self) -> ErrorCode {
        match self {
            Self::Version { .. } => ErrorCode::VersionMismatch,
            Self::UnknownKind { .. } => ErrorCode::UnknownKind,
            _ => ErrorCode::BadRequest,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BufferTooSmall { needed, available } => write!(
                f,
                "output buffer of {available} bytes is too small: the encoded frame needs up to {needed}"
            ),
            Self::FrameTooLarge { kind } => write!(
                f,
                "message of kind {kind:#04x} does not fit in a {MAX_FRAME}-byte frame"
            ),
            Self::Encode { kind } => {
                write!(f, "message of kind {kind:#04x} could not be serialised")
            }
            Self::Overflow { capacity } => write!(
                f,
                "frame longer than the {capacity}-byte receive buffer, discarded up to the next delimiter"
            ),
            Self::Cobs => f.write_str("invalid cobs encoding"),
            Self::TooShort { len } => write!(
                f,
                "frame of {len} bytes is shorter than the {MIN_FRAME}-byte minimum (8-byte header and 2-byte crc)"
            ),
            Self::TooLong { len } => {
                write!(f, "frame of {len} bytes exceeds the {MAX_FRAME}-byte limit")
            }
            Self::Crc { carried, computed } => write!(
                f,
                "crc mismatch: the frame carries {carried:#06x} but its bytes give {computed:#06x}"
            ),
            Self::Version { found } => write!(
                f,
                "unsupported protocol version {found} (this side speaks version {PROTOCOL_VERSION})"
            ),
            Self::UnknownKind { kind } => write!(f, "unknown message kind {kind:#04x}"),
            Self::Body { kind } => {
                write!(f, "body of message kind {kind:#04x} does not decode")
            }
            Self::TrailingBytes { kind, count } => write!(
                f,
                "{count} trailing bytes after the body of message kind {kind:#04x}"
            ),
        }
    }
}

impl core::error::Error for ProtocolError {}

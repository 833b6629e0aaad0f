//! Frame layout, CRC, encoding and the checks of a decoded frame.

use crc::{CRC_16_IBM_3740, Crc, NoTable};

use crate::{
    CRC_LEN, HEADER_LEN, MAX_FRAME, MIN_FRAME, PROTOCOL_VERSION,
    error::ProtocolError,
    message::{Message, Reply, Request},
};

/// CRC-16/IBM-3740 (a.k.a. CRC-16/CCITT-FALSE): poly 0x1021, init 0xFFFF, no reflection, no
/// final XOR. `NoTable` computes it bit by bit: no 512-byte lookup table in the
/// microcontroller's flash, at about eight shift-and-xor steps per byte, which is far below the
/// serial line's time per byte.
static CRC16: Crc<u16, NoTable> = Crc::<u16, NoTable>::new(&CRC_16_IBM_3740);

/// CRC-16/IBM-3740 of `bytes` (the value a frame carries, little-endian, after header ‖ body).
pub fn crc16(bytes: &[u8]) -> u16 {
    CRC16.checksum(bytes)
}

/// The fixed 8-byte frame header.
///
/// Layout: `version: u8`, `kind: u8`, `seq: u16` little-endian, `boot_id: u32` little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Protocol version, [`PROTOCOL_VERSION`] for every frame this crate encodes.
    pub version: u8,
    /// Message kind code (see [`kind`](crate::kind)).
    pub kind: u8,
    /// Request sequence number; replies and streamed frames carry their request's `seq`.
    pub seq: u16,
    /// Device → host: the device's boot id. Host → device: 0.
    pub boot_id: u32,
}

impl Header {
    /// The header's 8 wire bytes.
    pub const fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let seq = self.seq.to_le_bytes();
        let boot = self.boot_id.to_le_bytes();
        [
            self.version,
            self.kind,
            seq[0],
            seq[1],
            boot[0],
            boot[1],
            boot[2],
            boot[3],
        ]
    }

    /// Reads a header from its 8 wire bytes.
    pub const fn from_bytes(bytes: [u8; HEADER_LEN]) -> Self {
        Self {
            version: bytes[0],
            kind: bytes[1],
            seq: u16::from_le_bytes([bytes[2], bytes[3]]),
            boot_id: u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        }
    }
}

/// A decoded, checked frame: its header and message.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame<M> {
    /// The header (its `kind` is the message's kind, its `version` is [`PROTOCOL_VERSION`]).
    pub header: Header,
    /// The message.
    pub message: M,
}

/// A COBS-decoded frame whose length and CRC checked, not yet interpreted: see [`check_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFrame<'a> {
    /// The header (version not yet checked).
    pub header: Header,
    /// The postcard-encoded body.
    pub body: &'a [u8],
    /// The CRC the frame carried (it matched).
    pub crc: u16,
}

/// Encodes `msg` as a complete wire frame into `out`: `COBS(header ‖ body ‖ crc16_le) 0x00`.
///
/// The header carries [`PROTOCOL_VERSION`], `msg`'s kind, `seq` and `boot_id` (a host sends 0).
/// Returns the number of bytes written, the delimiter included. Every message this crate defines
/// fits in an `out` of [`MAX_ENCODED_FRAME`](crate::MAX_ENCODED_FRAME) bytes.
///
/// # Errors
/// [`ProtocolError::FrameTooLarge`] if header, body and CRC exceed [`MAX_FRAME`];
/// [`ProtocolError::BufferTooSmall`] if `out` cannot hold the encoding.
pub fn encode_frame<M: Message>(
    seq: u16,
    boot_id: u32,
    msg: &M,
    out: &mut [u8],
) -> Result<usize, ProtocolError> {
    let kind = msg.kind();
    let header = Header {
        version: PROTOCOL_VERSION,
        kind,
        seq,
        boot_id,
    };
    let mut frame = [0u8; MAX_FRAME];
    let (head, rest) = frame.split_at_mut(HEADER_LEN);
    head.copy_from_slice(&header.to_bytes());
    let body_room = rest
        .get_mut(..MAX_FRAME - MIN_FRAME)
        .ok_or(ProtocolError::FrameTooLarge { kind })?;
    let body_len = msg.encode_body(body_room)?;
    finish(&mut frame, HEADER_LEN + body_len, kind, out)
}

/// Encodes a frame from an explicit header and already-serialised body, unchecked: any version,
/// kind and body bytes. Meant for tests, tools and forward-compatibility probes; normal code
/// uses [`encode_frame`].
///
/// # Errors
/// As [`encode_frame`].
pub fn encode_raw_frame(
    header: &Header,
    body: &[u8],
    out: &mut [u8],
) -> Result<usize, ProtocolError> {
    let kind = header.kind;
    let mut frame = [0u8; MAX_FRAME];
    let len = HEADER_LEN + body.len();
    let dest = frame
        .get_mut(..len)
        .filter(|_| len + CRC_LEN <= MAX_FRAME)
        .ok_or(ProtocolError::FrameTooLarge { kind })?;
    let (head, rest) = dest.split_at_mut(HEADER_LEN);
    head.copy_from_slice(&header.to_bytes());
    rest.copy_from_slice(body);
    finish(&mut frame, len, kind, out)
}

/// Appends the CRC to `frame[..len]` and COBS-encodes the result into `out` with a delimiter.
fn finish(
    frame: &mut [u8; MAX_FRAME],
    len: usize,
    kind: u8,
    out: &mut [u8],
) -> Result<usize, ProtocolError> {
    let total = len + CRC_LEN;
    let raw = frame
        .get_mut(..total)
        .ok_or(ProtocolError::FrameTooLarge { kind })?;
    let (content, crc_dest) = raw.split_at_mut(len);
    crc_dest.copy_from_slice(&crc16(content).to_le_bytes());
    let needed = cobs::max_encoding_length(total) + 1;
    let too_small = ProtocolError::BufferTooSmall {
        needed,
        available: out.len(),
    };
    let n = cobs::try_encode(raw, out).map_err(|_| too_small)?;
    *out.get_mut(n).ok_or(too_small)? = 0;
    Ok(n + 1)
}

/// Checks a COBS-decoded frame's length and CRC and splits it into header and body.
///
/// The version is not checked here (see [`decode_frame`]), so a receiver can answer a frame of
/// another version with `VersionMismatch`.
///
/// # Errors
/// [`ProtocolError::TooShort`], [`ProtocolError::TooLong`] or [`ProtocolError::Crc`].
pub fn check_frame(decoded: &[u8]) -> Result<RawFrame<'_>, ProtocolError> {
    let len = decoded.len();
    if len < MIN_FRAME {
        return Err(ProtocolError::TooShort { len });
    }
    if len > MAX_FRAME {
        return Err(ProtocolError::TooLong { len });
    }
    let (content, crc_bytes) = decoded
        .split_at_checked(len - CRC_LEN)
        .ok_or(ProtocolError::TooShort { len })?;
    let crc_bytes: [u8; CRC_LEN] = crc_bytes
        .try_into()
        .map_err(|_| ProtocolError::TooShort { len })?;
    let carried = u16::from_le_bytes(crc_bytes);
    let computed = crc16(content);
    if carried != computed {
        return Err(ProtocolError::Crc { carried, computed });
    }
    let (head, body) = content
        .split_at_checked(HEADER_LEN)
        .ok_or(ProtocolError::TooShort { len })?;
    let head: [u8; HEADER_LEN] = head
        .try_into()
        .map_err(|_| ProtocolError::TooShort { len })?;
    Ok(RawFrame {
        header: Header::from_bytes(head),
        body,
        crc: carried,
    })
}

/// Interprets a checked frame: version, then kind, then the body, which must be used up.
///
/// # Errors
/// [`ProtocolError::Version`], [`ProtocolError::UnknownKind`], [`ProtocolError::Body`] or
/// [`ProtocolError::TrailingBytes`]; the frame's header is trustworthy in every case.
pub fn decode_frame<M: Message>(raw: &RawFrame<'_>) -> Result<Frame<M>, ProtocolError> {
    if raw.header.version != PROTOCOL_VERSION {
        return Err(ProtocolError::Version {
            found: raw.header.version,
        });
    }
    let message = M::decode_body(raw.header.kind, raw.body)?;
    Ok(Frame {
        header: raw.header,
        message,
    })
}

/// [`decode_frame`] for the device side: a host → device [`Request`].
///
/// # Errors
/// As [`decode_frame`]; a reply kind is [`ProtocolError::UnknownKind`].
pub fn decode_request(raw: &RawFrame<'_>) -> Result<Frame<Request>, ProtocolError> {
    decode_frame(raw)
}

/// [`decode_frame`] for the host side: a device → host [`Reply`].
///
/// # Errors
/// As [`decode_frame`]; a request kind is [`ProtocolError::UnknownKind`].
pub fn decode_reply(raw: &RawFrame<'_>) -> Result<Frame<Reply>, ProtocolError> {
    decode_frame(raw)
}

/// Decodes one complete encoded frame in place: COBS bytes, optionally followed by the 0x00
/// delimiter. For a byte stream use [`FrameAccumulator`](crate::FrameAccumulator).
///
/// # Errors
/// [`ProtocolError::Cobs`] for an invalid encoding (or a 0x00 before the end), then as
/// [`check_frame`] and [`decode_frame`].
pub fn decode_encoded_frame<M: Message>(encoded: &mut [u8]) -> Result<Frame<M>, ProtocolError> {
    let encoded = match encoded.split_last_mut() {
        Some((0, rest)) => rest,
        _ => encoded,
    };
    let decoded = cobs_decode_in_place(encoded)?;
    decode_frame(&check_frame(decoded)?)
}

/// COBS-decodes a delimiter-free run of bytes in place and returns the decoded prefix.
pub(crate) fn cobs_decode_in_place(encoded: &mut [u8]) -> Result<&[u8], ProtocolError> {
    if encoded.contains(&0) {
        return Err(ProtocolError::Cobs);
    }
    let n = cobs::decode_in_place(encoded).map_err(|_| ProtocolError::Cobs)?;
    encoded.get(..n).ok_or(ProtocolError::Cobs)
}

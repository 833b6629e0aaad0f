//! Message bodies, the two direction enums and their kind codes.

use core::fmt;

use heapless::{String, Vec};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::DeserializeOwned};

use crate::{MAX_CHUNK_BYTES, MAX_ERRORS, MAX_LOAD_STEPS, error::ProtocolError};

/// Kind codes: byte 1 of every frame header.
///
/// Requests (host → device) are `0x01..=0x0B`; replies (device → host) have the top bit set.
pub mod kind {
    /// `Hello`: ask for the device's identity.
    pub const HELLO: u8 = 0x01;
    /// `SetField`: ramp the coils to a field and settle.
    pub const SET_FIELD: u8 = 0x02;
    /// `Measure`: acquire all channels into the last-measurement buffer.
    pub const MEASURE: u8 = 0x03;
    /// `ReadMeasurement`: read further channels of the last measurement.
    pub const READ_MEASUREMENT: u8 = 0x04;
    /// `LoadBlock`: write steps of a block into its slot.
    pub const LOAD_BLOCK: u8 = 0x05;
    /// `RunBlock`: execute a loaded block, streaming chunks.
    pub const RUN_BLOCK: u8 = 0x06;
    /// `ReadChunk`: re-read a measured step of a block from the result buffer.
    pub const READ_CHUNK: u8 = 0x07;
    /// `Status`: ask for a status report.
    pub const STATUS: u8 = 0x08;
    /// `ErrorQueue`: pop the device's error queue.
    pub const ERROR_QUEUE: u8 = 0x09;
    /// `Abort`: stop a running block after its current step and clear the queue.
    pub const ABORT: u8 = 0x0A;
    /// `CoilsOff`: abort and switch the coils off.
    pub const COILS_OFF: u8 = 0x0B;

    /// `Identity`: answer to `Hello`.
    pub const IDENTITY: u8 = 0x81;
    /// `Ack`: a request was accepted.
    pub const ACK: u8 = 0x82;
    /// `FieldSet`: answer to `SetField`, the field actually applied.
    pub const FIELD_SET: u8 = 0x83;
    /// `Measurement`: channels of the last measurement.
    pub const MEASUREMENT: u8 = 0x84;
    /// `Chunk`: channels of one measured block step.
    pub const CHUNK: u8 = 0x85;
    /// `BlockDone`: a block finished or was aborted.
    pub const BLOCK_DONE: u8 = 0x86;
    /// `StatusReport`: answer to `Status`.
    pub const STATUS_REPORT: u8 = 0x87;
    /// `Errors`: answer to `ErrorQueue`.
    pub const ERRORS: u8 = 0x88;
    /// `Error`: a request failed.
    pub const ERROR: u8 = 0x8F;
}

/// Why a request failed, or what went wrong on the device (its error queue).
///
/// On the wire a single byte (the discriminant), not a varint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ErrorCode {
    /// The requested field magnitude exceeds `Limits::max_field_mt` (or is not finite).
    FieldLimit = 1,
    /// The requested change exceeds the slew limit.
    SlewLimit = 2,
    /// The request is malformed or its values are out of range.
    BadRequest = 3,
    /// The request's kind code is unknown.
    UnknownKind = 4,
    /// The request's protocol version is not the device's.
    VersionMismatch = 5,
    /// Steps would go beyond a slot's `MAX_BLOCK_STEPS`.
    BlockTooLarge = 6,
    /// The block to run or read is not the one loaded in its slot.
    BlockNotLoaded = 7,
    /// The device cannot do this now (e.g. a field change while a block runs, or a queue full).
    Busy = 8,
    /// The ADC failed (SPI fault).
    AdcFault = 9,
    /// A DAC failed (SPI fault).
    DacFault = 10,
    /// No valid frame arrived within the watchdog time; the coils were switched off.
    Watchdog = 11,
    /// The operation was aborted.
    Aborted = 12,
    /// A block's measured samples would exceed `MAX_BLOCK_RESULTS`.
    ResultOverflow = 13,
}

impl ErrorCode {
    /// Every code, in wire order.
    pub const ALL: [ErrorCode; 13] = [
        Self::FieldLimit,
        Self::SlewLimit,
        Self::BadRequest,
        Self::UnknownKind,
        Self::VersionMismatch,
        Self::BlockTooLarge,
        Self::BlockNotLoaded,
        Self::Busy,
        Self::AdcFault,
        Self::DacFault,
        Self::Watchdog,
        Self::Aborted,
        Self::ResultOverflow,
    ];

    /// The code for a wire byte, or `None` for a byte that is not a code of this protocol version.
    pub const fn from_u8(byte: u8) -> Option<Self> {
        Some(match byte {
            1 => Self::FieldLimit,
            2 => Self::SlewLimit,
            3 => Self::BadRequest,
            4 => Self::UnknownKind,
            5 => Self::VersionMismatch,
            6 => Self::BlockTooLarge,
            7 => Self::BlockNotLoaded,
            8 => Self::Busy,
            9 => Self::AdcFault,
            10 => Self::DacFault,
            11 => Self::Watchdog,
            12 => Self::Aborted,
            13 => Self::ResultOverflow,
            _ => return None,
        })
    }

    /// The wire byte.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// A short lowercase description, e.g. for logs and error messages.
    pub const fn description(self) -> &'static str {
        match self {
            Self::FieldLimit => "field magnitude exceeds the rig's limit",
            Self::SlewLimit => "field change exceeds the slew limit",
            Self::BadRequest => "malformed or out-of-range request",
            Self::UnknownKind => "unknown message kind",
            Self::VersionMismatch => "unsupported protocol version",
            Self::BlockTooLarge => "block steps exceed the slot capacity",
            Self::BlockNotLoaded => "block is not loaded",
            Self::Busy => "device is busy",
            Self::AdcFault => "adc fault",
            Self::DacFault => "dac fault",
            Self::Watchdog => "watchdog expired: coils switched off",
            Self::Aborted => "aborted",
            Self::ResultOverflow => "block results exceed the result buffer",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.as_u8())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let byte = u8::deserialize(deserializer)?;
        Self::from_u8(byte).ok_or_else(|| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Unsigned(u64::from(byte)),
                &"an error code from 1 to 13",
            )
        })
    }
}

/// The rig's safety limits, reported in the identity and enforced by both host and device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest allowed field magnitude `sqrt(x² + y²)`, in mT.
    pub max_field_mt: f32,
    /// Largest field change per millisecond while ramping, in mT/ms.
    pub max_slew_mt_per_ms: f32,
    /// The device switches the coils off when no valid frame arrives for this long, in ms.
    pub watchdog_ms: u32,
}

impl Limits {
    /// Checks a field against [`max_field_mt`](Self::max_field_mt).
    ///
    /// # Errors
    /// [`ErrorCode::FieldLimit`] when `sqrt(x² + y²)` exceeds the limit or either component is
    /// not finite (NaN never passes).
    pub fn check_field(&self, x_mt: f32, y_mt: f32) -> Result<(), ErrorCode> {
        let magnitude_sq = x_mt * x_mt + y_mt * y_mt;
        let limit_sq = self.max_field_mt * self.max_field_mt;
        // Written so that NaN and infinities fail: every comparison with NaN is false.
        if x_mt.is_finite() && y_mt.is_finite() && magnitude_sq <= limit_sq {
            Ok(())
        } else {
            Err(ErrorCode::FieldLimit)
        }
    }
}

/// One step of a block: apply a field, settle, and optionally measure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BlockStep {
    /// Field along x, mT.
    pub x_mt: f32,
    /// Field along y, mT.
    pub y_mt: f32,
    /// Whether to acquire all channels after settling (streamed as a `Chunk`).
    pub measure: bool,
}

// ---------------------------------------------------------------------------------------------
// Request bodies (host → device). Requests without fields have no body struct.

/// Body of `SetField` (0x02): ramp to a field, wait `settle_us`, answer `FieldSet`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SetField {
    /// Field along x, mT.
    pub x_mt: f32,
    /// Field along y, mT.
    pub y_mt: f32,
    /// Settling time after the last ramp update, µs.
    pub settle_us: u32,
}

/// Body of `ReadMeasurement` (0x04): read the last measurement from a channel on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMeasurement {
    /// First channel to return.
    pub first_channel: u16,
}

/// Body of `LoadBlock` (0x05): write steps `[offset, offset + steps.len())` of `block` into slot
/// `block % 2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBlock {
    /// Block number (the host's counter; the slot is `block % 2`).
    pub block: u16,
    /// Index of the first step in this frame.
    pub offset: u16,
    /// Settling time after each step's last ramp update, µs (the whole block uses the value of
    /// its most recent `LoadBlock`).
    pub settle_us: u32,
    /// The steps, at most [`MAX_LOAD_STEPS`] per frame.
    pub steps: Vec<BlockStep, MAX_LOAD_STEPS>,
}

/// Body of `RunBlock` (0x06): execute the first `steps` steps of a loaded block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunBlock {
    /// Block number.
    pub block: u16,
    /// Number of steps to execute.
    pub steps: u16,
}

/// Body of `ReadChunk` (0x07): re-read a measured step from a block's result buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadChunk {
    /// Block number.
    pub block: u16,
    /// Ordinal of the measured step within the block (0 = first step with `measure`).
    pub index: u16,
    /// First channel to return.
    pub first_channel: u16,
}

// ---------------------------------------------------------------------------------------------
// Reply bodies (device → host).

/// Body of `Identity` (0x81), the answer to `Hello` (compare SCPI `*IDN?`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// Manufacturer.
    pub maker: String<24>,
    /// Model.
    pub model: String<24>,
    /// Serial number.
    pub serial: String<24>,
    /// Firmware version.
    pub firmware: String<16>,
    /// Protocol version the firmware speaks ([`PROTOCOL_VERSION`](crate::PROTOCOL_VERSION)).
    pub protocol: u8,
    /// Number of readout channels K.
    pub channels: u16,
    /// ADC resolution in bits.
    pub adc_bits: u8,
    /// DAC resolution in bits.
    pub dac_bits: u8,
    /// Readout value at ADC full scale: value = (code − 32768) / 32768 · `full_scale`.
    pub full_scale: f32,
    /// Field step of one DAC code, mT.
    pub field_lsb_mt: f32,
    /// Safety limits.
    pub limits: Limits,
}

/// Body of `FieldSet` (0x83): the field actually applied (the DAC codes converted back).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FieldSet {
    /// Field along x, mT.
    pub x_mt: f32,
    /// Field along y, mT.
    pub y_mt: f32,
}

/// Body of `Measurement` (0x84): channels `first_channel ..` of the last measurement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measurement {
    /// Channel of the first sample.
    pub first_channel: u16,
    /// Total number of channels in the measurement (K).
    pub total: u16,
    /// ADC codes, two little-endian bytes each, at most [`MAX_CHUNK_SAMPLES`](crate::MAX_CHUNK_SAMPLES).
    pub samples: Vec<u8, MAX_CHUNK_BYTES>,
}

/// Body of `Chunk` (0x85): channels of one measured step of a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// Block number.
    pub block: u16,
    /// Ordinal of the measured step within the block.
    pub index: u16,
    /// Step number within the block.
    pub step: u16,
    /// Channel of the first sample.
    pub first_channel: u16,
    /// Total number of channels per measurement (K).
    pub total: u16,
    /// ADC codes, two little-endian bytes each, at most [`MAX_CHUNK_SAMPLES`](crate::MAX_CHUNK_SAMPLES).
    pub samples: Vec<u8, MAX_CHUNK_BYTES>,
}

/// Body of `BlockDone` (0x86): a block finished (or was aborted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDone {
    /// Block number.
    pub block: u16,
    /// Steps executed.
    pub steps: u16,
    /// Steps measured (the number of chunks in the result buffer).
    pub measured: u16,
    /// Whether the block stopped early (`Abort`, `CoilsOff`, a fault or the watchdog).
    pub aborted: bool,
}

/// Body of `StatusReport` (0x87).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// Block being executed, if any.
    pub running: Option<u16>,
    /// Block queued behind it, if any.
    pub queued: Option<u16>,
    /// Whether the coil interlock is enabled.
    pub coils_on: bool,
    /// Field applied along x, mT.
    pub x_mt: f32,
    /// Field applied along y, mT.
    pub y_mt: f32,
    /// Entries waiting in the error queue.
    pub errors: u8,
    /// Milliseconds since the device's reset (wraps).
    pub uptime_ms: u32,
}

/// Body of `Errors` (0x88): entries popped from the error queue, oldest first
/// (compare SCPI `SYSTem:ERRor?`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Errors {
    /// Up to [`MAX_ERRORS`] codes.
    pub codes: Vec<ErrorCode, MAX_ERRORS>,
    /// Whether errors were lost because the queue was full.
    pub overflowed: bool,
}

/// Body of `Error` (0x8F): the answer to a request that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// Why it failed.
    pub code: ErrorCode,
    /// A code-specific detail (e.g. the offending kind, step or channel), 0 when there is none.
    pub detail: u32,
}

// ---------------------------------------------------------------------------------------------
// The two directions.

/// A message body that travels in a frame: implemented by [`Request`] and [`Reply`].
pub trait Message: Sized {
    /// The kind code written to the header.
    fn kind(&self) -> u8;

    /// Serialises the body (postcard) into `out`, returning the number of bytes written.
    ///
    /// # Errors
    /// [`ProtocolError::FrameTooLarge`] when `out` is too small.
    fn encode_body(&self, out: &mut [u8]) -> Result<usize, ProtocolError>;

    /// Deserialises the body of a message of `kind`; every byte of `body` must be used.
    ///
    /// # Errors
    /// [`ProtocolError::UnknownKind`], [`ProtocolError::Body`] or
    /// [`ProtocolError::TrailingBytes`].
    fn decode_body(kind: u8, body: &[u8]) -> Result<Self, ProtocolError>;
}

/// A host → device request.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "no allocator on the device: a LoadBlock is stored inline"
)]
pub enum Request {
    /// 0x01: ask for the identity.
    Hello,
    /// 0x02: set a field.
    SetField(SetField),
    /// 0x03: acquire all channels.
    Measure,
    /// 0x04: read more of the last measurement.
    ReadMeasurement(ReadMeasurement),
    /// 0x05: load block steps.
    LoadBlock(LoadBlock),
    /// 0x06: run a block.
    RunBlock(RunBlock),
    /// 0x07: re-read a chunk.
    ReadChunk(ReadChunk),
    /// 0x08: ask for the status.
    Status,
    /// 0x09: pop the error queue.
    ErrorQueue,
    /// 0x0A: abort a running block and clear the queue.
    Abort,
    /// 0x0B: abort and switch the coils off.
    CoilsOff,
}

impl Request {
    /// The kind code (see [`kind`]).
    pub const fn kind(&self) -> u8 {
        match self {
            Self::Hello => kind::HELLO,
            Self::SetField(_) => kind::SET_FIELD,
            Self::Measure => kind::MEASURE,
            Self::ReadMeasurement(_) => kind::READ_MEASUREMENT,
            Self::LoadBlock(_) => kind::LOAD_BLOCK,
            Self::RunBlock(_) => kind::RUN_BLOCK,
            Self::ReadChunk(_) => kind::READ_CHUNK,
            Self::Status => kind::STATUS,
            Self::ErrorQueue => kind::ERROR_QUEUE,
            Self::Abort => kind::ABORT,
            Self::CoilsOff => kind::COILS_OFF,
        }
    }

    /// Encodes the request as a complete wire frame (`boot_id` 0); see
    /// [`encode_frame`](crate::encode_frame).
    ///
    /// # Errors
    /// As [`encode_frame`](crate::encode_frame).
    pub fn encode(&self, seq: u16, out: &mut [u8]) -> Result<usize, ProtocolError> {
        crate::encode_frame(seq, 0, self, out)
    }
}

impl Message for Request {
    fn kind(&self) -> u8 {
        Request::kind(self)
    }

    fn encode_body(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let kind = self.kind();
        match self {
            Self::Hello
            | Self::Measure
            | Self::Status
            | Self::ErrorQueue
            | Self::Abort
            | Self::CoilsOff => Ok(0),
            Self::SetField(m) => serialize(kind, m, out),
            Self::ReadMeasurement(m) => serialize(kind, m, out),
            Self::LoadBlock(m) => serialize(kind, m, out),
            Self::RunBlock(m) => serialize(kind, m, out),
            Self::ReadChunk(m) => serialize(kind, m, out),
        }
    }

    fn decode_body(kind: u8, body: &[u8]) -> Result<Self, ProtocolError> {
        Ok(match kind {
            kind::HELLO => empty(kind, body, Self::Hello)?,
            kind::SET_FIELD => Self::SetField(deserialize(kind, body)?),
            kind::MEASURE => empty(kind, body, Self::Measure)?,
            kind::READ_MEASUREMENT => Self::ReadMeasurement(deserialize(kind, body)?),
            kind::LOAD_BLOCK => Self::LoadBlock(deserialize(kind, body)?),
            kind::RUN_BLOCK => Self::RunBlock(deserialize(kind, body)?),
            kind::READ_CHUNK => Self::ReadChunk(deserialize(kind, body)?),
            kind::STATUS => empty(kind, body, Self::Status)?,
            kind::ERROR_QUEUE => empty(kind, body, Self::ErrorQueue)?,
            kind::ABORT => empty(kind, body, Self::Abort)?,
            kind::COILS_OFF => empty(kind, body, Self::CoilsOff)?,
            _ => return Err(ProtocolError::UnknownKind { kind }),
        })
    }
}

/// A device → host reply (or streamed block frame).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// 0x81: the device's identity.
    Identity(Identity),
    /// 0x82: the request was accepted.
    Ack,
    /// 0x83: the field applied.
    FieldSet(FieldSet),
    /// 0x84: part of the last measurement.
    Measurement(Measurement),
    /// 0x85: part of a measured block step.
    Chunk(Chunk),
    /// 0x86: a block finished.
    BlockDone(BlockDone),
    /// 0x87: the device's status.
    StatusReport(StatusReport),
    /// 0x88: popped error-queue entries.
    Errors(Errors),
    /// 0x8F: the request failed.
    Error(ErrorReply),
}

impl Reply {
    /// The kind code (see [`kind`]).
    pub const fn kind(&self) -> u8 {
        match self {
            Self::Identity(_) => kind::IDENTITY,
            Self::Ack => kind::ACK,
            Self::FieldSet(_) => kind::FIELD_SET,
            Self::Measurement(_) => kind::MEASUREMENT,
            Self::Chunk(_) => kind::CHUNK,
            Self::BlockDone(_) => kind::BLOCK_DONE,
            Self::StatusReport(_) => kind::STATUS_REPORT,
            Self::Errors(_) => kind::ERRORS,
            Self::Error(_) => kind::ERROR,
        }
    }

    /// Encodes the reply as a complete wire frame; see [`encode_frame`](crate::encode_frame).
    ///
    /// # Errors
    /// As [`encode_frame`](crate::encode_frame).
    pub fn encode(&self, seq: u16, boot_id: u32, out: &mut [u8]) -> Result<usize, ProtocolError> {
        crate::encode_frame(seq, boot_id, self, out)
    }
}

impl Message for Reply {
    fn kind(&self) -> u8 {
        Reply::kind(self)
    }

    fn encode_body(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let kind = self.kind();
        match self {
            Self::Identity(m) => serialize(kind, m, out),
            Self::Ack => Ok(0),
            Self::FieldSet(m) => serialize(kind, m, out),
            Self::Measurement(m) => serialize(kind, m, out),
            Self::Chunk(m) => serialize(kind, m, out),
            Self::BlockDone(m) => serialize(kind, m, out),
            Self::StatusReport(m) => serialize(kind, m, out),
            Self::Errors(m) => serialize(kind, m, out),
            Self::Error(m) => serialize(kind, m, out),
        }
    }

    fn decode_body(kind: u8, body: &[u8]) -> Result<Self, ProtocolError> {
        Ok(match kind {
            kind::IDENTITY => Self::Identity(deserialize(kind, body)?),
            kind::ACK => empty(kind, body, Self::Ack)?,
            kind::FIELD_SET => Self::FieldSet(deserialize(kind, body)?),
            kind::MEASUREMENT => Self::Measurement(deserialize(kind, body)?),
            kind::CHUNK => Self::Chunk(deserialize(kind, body)?),
            kind::BLOCK_DONE => Self::BlockDone(deserialize(kind, body)?),
            kind::STATUS_REPORT => Self::StatusReport(deserialize(kind, body)?),
            kind::ERRORS => Self::Errors(deserialize(kind, body)?),
            kind::ERROR => Self::Error(deserialize(kind, body)?),
            _ => return Err(ProtocolError::UnknownKind { kind }),
        })
    }
}

fn serialize<T: Serialize>(kind: u8, value: &T, out: &mut [u8]) -> Result<usize, ProtocolError> {
    match postcard::to_slice(value, out) {
        Ok(used) => Ok(used.len()),
        Err(postcard::Error::SerializeBufferFull) => Err(ProtocolError::FrameTooLarge { kind }),
        Err(_) => Err(ProtocolError::Encode { kind }),
    }
}

fn deserialize<T: DeserializeOwned>(kind: u8, body: &[u8]) -> Result<T, ProtocolError> {
    match postcard::take_from_bytes::<T>(body) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(ProtocolError::TrailingBytes {
            kind,
            count: rest.len(),
        }),
        Err(_) => Err(ProtocolError::Body { kind }),
    }
}

fn empty<T>(kind: u8, body: &[u8], value: T) -> Result<T, ProtocolError> {
    if body.is_empty() {
        Ok(value)
    } else {
        Err(ProtocolError::TrailingBytes {
            kind,
            count: body.len(),
        })
    }
}

/// The ADC codes of a `Measurement` or `Chunk` sample buffer: little-endian `u16` pairs (a
/// trailing odd byte, which a conforming device never sends, is ignored).
pub fn sample_codes(samples: &[u8]) -> impl Iterator<Item = u16> + '_ {
    samples
        .chunks_exact(2)
        .filter_map(|pair| pair.try_into().ok().map(u16::from_le_bytes))
}

/// Appends ADC codes to a sample buffer as little-endian pairs.
///
/// Returns the number of codes appended: fewer than `codes.len()` when the buffer fills up.
pub fn push_sample_codes<const N: usize>(samples: &mut Vec<u8, N>, codes: &[u16]) -> usize {
    let mut pushed = 0;
    for code in codes {
        if samples.extend_from_slice(&code.to_le_bytes()).is_err() {
            break;
        }
        pushed += 1;
    }
    pushed
}

/// Converts a raw ADC code to readout units: `(code − 32768) / 32768 · full_scale`.
pub fn code_to_value(code: u16, full_scale: f32) -> f32 {
    (f32::from(code) - 32768.0) / 32768.0 * full_scale
}

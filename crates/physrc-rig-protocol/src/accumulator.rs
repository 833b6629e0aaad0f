//! The receive side: a byte-stream accumulator that yields checked frames.

use core::{fmt, marker::PhantomData};

use crate::{
    MAX_ENCODED_FRAME,
    error::ProtocolError,
    frame::{Frame, Header, check_frame, cobs_decode_in_place, decode_frame},
    message::{ErrorCode, Message, Reply, Request},
};

/// Counters of everything an accumulator received. They wrap at `u32::MAX`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Frames accepted (yielded as [`FeedResult::Frame`]).
    pub frames: u32,
    /// Corrupt: more bytes than the buffer holds before a delimiter.
    pub overflow: u32,
    /// Corrupt: invalid COBS.
    pub cobs: u32,
    /// Corrupt: decoded length below the minimum or above `MAX_FRAME`.
    pub length: u32,
    /// Corrupt: CRC mismatch.
    pub crc: u32,
    /// Rejected: wrong protocol version.
    pub version: u32,
    /// Rejected: unknown kind code.
    pub unknown_kind: u32,
    /// Rejected: body does not decode or has trailing bytes.
    pub malformed: u32,
}

impl DecodeStats {
    /// Corrupt frames dropped without an answer: overflow, COBS, length and CRC errors.
    pub const fn dropped(&self) -> u32 {
        self.overflow
            .wrapping_add(self.cobs)
            .wrapping_add(self.length)
            .wrapping_add(self.crc)
    }

    /// Frames whose CRC checked but which were rejected: version, kind and body errors.
    pub const fn rejected(&self) -> u32 {
        self.version
            .wrapping_add(self.unknown_kind)
            .wrapping_add(self.malformed)
    }

    fn count(&mut self, error: &ProtocolError) {
        let counter = match error {
            ProtocolError::Overflow { .. } => &mut self.overflow,
            ProtocolError::Cobs => &mut self.cobs,
            ProtocolError::TooShort { .. } | ProtocolError::TooLong { .. } => &mut self.length,
            ProtocolError::Crc { .. } => &mut self.crc,
            ProtocolError::Version { .. } => &mut self.version,
            ProtocolError::UnknownKind { .. } => &mut self.unknown_kind,
            ProtocolError::Body { .. }
            | ProtocolError::TrailingBytes { .. }
            | ProtocolError::BufferTooSmall { .. }
            | ProtocolError::FrameTooLarge { .. }
            | ProtocolError::Encode { .. } => &mut self.malformed,
        };
        *counter = counter.wrapping_add(1);
    }
}

/// A frame whose CRC checked but which could not be accepted. Its header is what the sender
/// sent, so a device answers `Error { code: self.code(), .. }` with `header.seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// The frame's header.
    pub header: Header,
    /// Why it was rejected ([`ProtocolError::is_rejection`] holds).
    pub error: ProtocolError,
}

impl Rejected {
    /// The code to answer with ([`ProtocolError::error_code`]).
    pub const fn code(&self) -> ErrorCode {
        self.error.error_code()
    }
}

/// What one call of [`FrameAccumulator::feed`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedResult<'i, M> {
    /// Every input byte was consumed without completing a frame.
    Consumed,
    /// A delimiter completed a valid frame. `remaining` holds the input after the delimiter.
    Frame {
        /// The frame.
        frame: Frame<M>,
        /// Input not yet fed.
        remaining: &'i [u8],
    },
    /// A delimiter completed a frame whose CRC checked but which was rejected (counted).
    Rejected {
        /// The frame's header and the reason.
        rejected: Rejected,
        /// Input not yet fed.
        remaining: &'i [u8],
    },
    /// A delimiter completed corrupt bytes, which were dropped (counted).
    Dropped {
        /// Why.
        error: ProtocolError,
        /// Input not yet fed.
        remaining: &'i [u8],
    },
}

/// Accumulates raw bytes from a serial line and yields checked frames.
///
/// `N` is the receive buffer: the longest run of encoded bytes between two delimiters that can
/// be held. [`MAX_ENCODED_FRAME`] (the default) holds every frame of this protocol.
///
/// On each 0x00 delimiter the accumulated bytes are COBS-decoded in place, the length and the
/// CRC are checked (before anything is deserialised), then the version, then the body is
/// deserialised for its kind and must use every byte. Corrupt frames are counted and dropped;
/// frames with a good CRC that cannot be accepted are counted and reported as [`Rejected`] so
/// that a device can answer them. Empty frames (consecutive delimiters, which a host sends to
/// resynchronise) are ignored and not counted. Bytes beyond the buffer's capacity are discarded
/// up to the next delimiter. No input makes it panic.
///
/// # Examples
/// ```
/// use physrc_rig_protocol::{FrameAccumulator, MAX_ENCODED_FRAME, Request, SetField};
///
/// let mut wire = [0u8; MAX_ENCODED_FRAME];
/// let request = Request::SetField(SetField { x_mt: 1.5, y_mt: -0.25, settle_us: 1000 });
/// let n = request.encode(7, &mut wire).unwrap();
///
/// let mut acc = FrameAccumulator::<MAX_ENCODED_FRAME>::new();
/// // Bytes may arrive in any pieces.
/// let (first, second) = wire[..n].split_at(5);
/// assert_eq!(acc.requests(first).count(), 0);
/// let frames: Vec<_> = acc.requests(second).collect();
/// assert_eq!(frames.len(), 1);
/// let frame = frames[0].as_ref().unwrap();
/// assert_eq!(frame.header.seq, 7);
/// assert_eq!(frame.message, request);
/// ```
pub struct FrameAccumulator<const N: usize = MAX_ENCODED_FRAME> {
    buf: [u8; N],
    len: usize,
    discarding: bool,
    stats: DecodeStats,
}

impl<const N: usize> FrameAccumulator<N> {
    /// An empty accumulator.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
            discarding: false,
            stats: DecodeStats {
                frames: 0,
                overflow: 0,
                cobs: 0,
                length: 0,
                crc: 0,
                version: 0,
                unknown_kind: 0,
                malformed: 0,
            },
        }
    }

    /// Counters of accepted, dropped and rejected frames.
    pub const fn stats(&self) -> DecodeStats {
        self.stats
    }

    /// Bytes of an incomplete frame held (0 while discarding an overlong one).
    pub const fn pending(&self) -> usize {
        self.len
    }

    /// Forgets any partial frame, e.g. after the host cleared its input to resynchronise. The
    /// counters are kept.
    pub fn clear(&mut self) {
        self.len = 0;
        self.discarding = false;
    }

    /// Feeds bytes up to and including the next complete frame.
    ///
    /// Returns [`FeedResult::Consumed`] when `bytes` holds no delimiter (or only empty frames);
    /// otherwise what the first non-empty frame was, with the input after it in `remaining`,
    /// which the caller feeds next. [`frames`](Self::frames) does that loop.
    pub fn feed<'i, M: Message>(&mut self, bytes: &'i [u8]) -> FeedResult<'i, M> {
        let mut input = bytes;
        loop {
            let Some(end) = input.iter().position(|&b| b == 0) else {
                self.push(input);
                return FeedResult::Consumed;
            };
            let (segment, after) = input.split_at(end);
            let remaining = after.get(1..).unwrap_or(&[]);
            self.push(segment);
            input = remaining;
            if let Some(result) = self.complete::<M>() {
                return match result {
                    Ok(frame) => {
                        self.stats.frames = self.stats.frames.wrapping_add(1);
                        FeedResult::Frame { frame, remaining }
                    }
                    Err((error, Some(header))) => {
                        self.stats.count(&error);
                        FeedResult::Rejected {
                            rejected: Rejected { header, error },
                            remaining,
                        }
                    }
                    Err((error, None)) => {
                        self.stats.count(&error);
                        FeedResult::Dropped { error, remaining }
                    }
                };
            }
        }
    }

    /// An iterator over the frames completed by `bytes`: `Ok` for valid frames, `Err` for
    /// rejected ones (answer them); corrupt frames are only counted.
    ///
    /// Drive it to the end: bytes it has not reached when dropped are not fed.
    pub fn frames<'a, 'i, M: Message>(&'a mut self, bytes: &'i [u8]) -> Frames<'a, 'i, N, M> {
        Frames {
            acc: self,
            rest: bytes,
            _message: PhantomData,
        }
    }

    /// [`frames`](Self::frames) of host → device requests (the device side).
    pub fn requests<'a, 'i>(&'a mut self, bytes: &'i [u8]) -> Frames<'a, 'i, N, Request> {
        self.frames(bytes)
    }

    /// [`frames`](Self::frames) of device → host replies (the host side).
    pub fn replies<'a, 'i>(&'a mut self, bytes: &'i [u8]) -> Frames<'a, 'i, N, Reply> {
        self.frames(bytes)
    }

    /// Appends delimiter-free bytes, switching to discarding when they do not fit.
    fn push(&mut self, bytes: &[u8]) {
        if self.discarding {
            return;
        }
        let end = self.len + bytes.len();
        match self.buf.get_mut(self.len..end) {
            Some(dest) => {
                dest.copy_from_slice(bytes);
                self.len = end;
            }
            None => {
                self.discarding = true;
                self.len = 0;
            }
        }
    }

    /// Handles a delimiter: `None` for an empty frame, otherwise the outcome with the header
    /// when the CRC checked.
    #[allow(clippy::type_complexity, reason = "private helper")]
    fn complete<M: Message>(
        &mut self,
    ) -> Option<Result<Frame<M>, (ProtocolError, Option<Header>)>> {
        let len = core::mem::take(&mut self.len);
        if core::mem::take(&mut self.discarding) {
            return Some(Err((ProtocolError::Overflow { capacity: N }, None)));
        }
        if len == 0 {
            return None;
        }
        let encoded = self.buf.get_mut(..len).unwrap_or(&mut []);
        let decoded = match cobs_decode_in_place(encoded) {
            Ok(decoded) => decoded,
            Err(error) => return Some(Err((error, None))),
        };
        let raw = match check_frame(decoded) {
            Ok(raw) => raw,
            Err(error) => return Some(Err((error, None))),
        };
        Some(decode_frame::<M>(&raw).map_err(|error| (error, Some(raw.header))))
    }
}

impl<const N: usize> Default for FrameAccumulator<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for FrameAccumulator<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameAccumulator")
            .field("capacity", &N)
            .field("pending", &self.len)
            .field("discarding", &self.discarding)
            .field("stats", &self.stats)
            .finish()
    }
}

/// Iterator returned by [`FrameAccumulator::frames`].
pub struct Frames<'a, 'i, const N: usize, M> {
    acc: &'a mut FrameAccumulator<N>,
    rest: &'i [u8],
    _message: PhantomData<fn() -> M>,
}

impl<const N: usize, M: Message> Iterator for Frames<'_, '_, N, M> {
    type Item = Result<Frame<M>, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.rest.is_empty() {
            match self.acc.feed::<M>(self.rest) {
                FeedResult::Consumed => self.rest = &[],
                FeedResult::Frame { frame, remaining } => {
                    self.rest = remaining;
                    return Some(Ok(frame));
                }
                FeedResult::Rejected {
                    rejected,
                    remaining,
                } => {
                    self.rest = remaining;
                    return Some(Err(rejected));
                }
                FeedResult::Dropped { remaining, .. } => self.rest = remaining,
            }
        }
        None
    }
}

impl<const N: usize, M> fmt::Debug for Frames<'_, '_, N, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frames")
            .field("acc", &self.acc)
            .field("unfed", &self.rest.len())
            .finish()
    }
}

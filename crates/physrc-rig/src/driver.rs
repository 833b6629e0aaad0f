//! The host driver: typed, blocking requests over any `embedded_io` link.
//!
//! # Contract
//!
//! - Every request gets a fresh sequence number; a retry after a timeout resends the *same*
//!   bytes, so the device answers it from its cache instead of executing it again. Applying a
//!   field is not idempotent for spin ice (the microstate depends on the field history), so a
//!   request is never re-sent with a new number.
//! - Bad frames (CRC, COBS, overflow) are dropped and counted; before each retry the driver
//!   sends a lone delimiter so the device's receiver resynchronises.
//! - Every answer carries the device's boot id. An answer from a new boot id means the device
//!   was reset: its caches and loaded blocks are gone and the sample's state is uncertain, so
//!   the driver reports [`RigError::DeviceReset`] and lets the caller re-establish the state
//!   (the rig reservoir saturates the sample and replays its inputs).
//! - Fields are checked against the rig's limits (and the host's own, if stricter) before
//!   anything is sent; the firmware checks them again.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use embedded_io::{Read, Write};
use physrc_rig_protocol::{
    BlockDone, BlockStep, Chunk, DecodeStats, FeedResult, Frame, FrameAccumulator, Identity,
    LoadBlock, MAX_BLOCK_RESULTS, MAX_BLOCK_STEPS, MAX_ENCODED_FRAME, MAX_LOAD_STEPS,
    PROTOCOL_VERSION, ReadChunk, ReadMeasurement, Reply, Request, RunBlock, SetField, StatusReport,
};

use crate::error::RigError;

/// How the driver waits and retries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriverOptions {
    /// Time allowed for each attempt of a request.
    pub timeout: Duration,
    /// Attempts after the first before a request fails with [`RigError::Timeout`].
    pub retries: u32,
}

impl Default for DriverOptions {
    fn default() -> Self {
        DriverOptions {
            timeout: Duration::from_millis(500),
            retries: 5,
        }
    }
}

/// What the driver has seen on the link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Requests sent (first attempts).
    pub requests: u64,
    /// Attempts repeated after a timeout.
    pub retries: u64,
    /// Device resets noticed (boot id changes).
    pub resets: u64,
    /// Result chunks read again because their streamed copy was lost.
    pub chunk_rereads: u64,
    /// Frames dropped for a bad CRC, COBS error or overflow, and frames rejected.
    pub frames_dropped: u64,
}

/// A connected rig: its identity, and a link it owns.
#[derive(Debug)]
pub struct Rig<T> {
    link: T,
    acc: FrameAccumulator<MAX_ENCODED_FRAME>,
    leftover: Vec<u8>,
    seq: u16,
    block: u16,
    boot_id: u32,
    old_boot_ids: Vec<u32>,
    identity: Identity,
    host_field_limit_mt: Option<f64>,
    options: DriverOptions,
    stats: LinkStats,
    streamed: VecDeque<Frame<Reply>>,
}

/// The measured steps of one block, in order, as raw ADC codes.
type BlockResults = Vec<Vec<u16>>;

impl<T: Read + Write> Rig<T> {
    /// Says hello and reads the rig's identity.
    ///
    /// # Errors
    ///
    /// [`RigError::Timeout`] when nothing answers, [`RigError::Protocol`] for a device that
    /// speaks another protocol version.
    pub fn connect(link: T, options: DriverOptions) -> Result<Self, RigError> {
        // A device that stayed powered still caches the reply to the last number it saw; a
        // session starting at a fixed number could be answered from that cache.
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u16 ^ (d.as_secs() as u16));
        let mut rig = Rig {
            link,
            acc: FrameAccumulator::new(),
            leftover: Vec::new(),
            seq,
            block: 0,
            boot_id: 0,
            old_boot_ids: Vec::new(),
            identity: placeholder_identity(),
            host_field_limit_mt: None,
            options,
            stats: LinkStats::default(),
            streamed: VecDeque::new(),
        };
        rig.hello(true)?;
        Ok(rig)
    }

    fn hello(&mut self, first: bool) -> Result<(), RigError> {
        let reply = if first {
            self.transact_accepting_any_boot(&Request::Hello, "hello")?
        } else {
            self.transact(&Request::Hello, "hello")?
        };
        match reply {
            Reply::Identity(id) => {
                if id.protocol != PROTOCOL_VERSION {
                    return Err(RigError::Protocol {
                        what: "hello",
                        got: format!(
                            "protocol version {} (this host speaks {PROTOCOL_VERSION})",
                            id.protocol
                        ),
                    });
                }
                self.identity = id;
                Ok(())
            }
            other => Err(unexpected("hello", &other)),
        }
    }

    /// Reads the identity again (after a reset, say).
    ///
    /// # Errors
    ///
    /// As for [`connect`](Self::connect).
    pub fn identify(&mut self) -> Result<&Identity, RigError> {
        self.hello(false)?;
        Ok(&self.identity)
    }

    /// The identity read at connection.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The device's present boot id.
    pub fn boot_id(&self) -> u32 {
        self.boot_id
    }

    /// What the driver has seen on the link.
    pub fn stats(&self) -> LinkStats {
        let mut s = self.stats;
        s.frames_dropped = dropped(&self.acc.stats());
        s
    }

    /// Sets a host-side field limit stricter than the device's, in mT.
    pub fn set_host_field_limit(&mut self, limit_mt: Option<f64>) {
        self.host_field_limit_mt = limit_mt;
    }

    /// The field limit in force, mT: the device's, or the host's if stricter.
    pub fn field_limit_mt(&self) -> f64 {
        let device = f64::from(self.identity.limits.max_field_mt);
        self.host_field_limit_mt.map_or(device, |h| h.min(device))
    }

    /// Checks a field against the limit in force.
    ///
    /// # Errors
    ///
    /// [`RigError::FieldLimit`] for a field beyond it or not finite.
    pub fn check_field(&self, x_mt: f64, y_mt: f64) -> Result<(), RigError> {
        let magnitude_mt = x_mt.hypot(y_mt);
        let limit_mt = self.field_limit_mt();
        if magnitude_mt.is_finite() && magnitude_mt <= limit_mt {
            Ok(())
        } else {
            Err(RigError::FieldLimit {
                x_mt,
                y_mt,
                magnitude_mt,
                limit_mt,
            })
        }
    }

    /// Ramps the coils to `(x_mt, y_mt)` within the slew limit, waits `settle_us` and returns
    /// the field the DAC codes actually make.
    ///
    /// # Errors
    ///
    /// [`RigError::FieldLimit`] before sending; the device's refusal, a timeout or a reset.
    pub fn set_field(
        &mut self,
        x_mt: f64,
        y_mt: f64,
        settle_us: u32,
    ) -> Result<(f64, f64), RigError> {
        self.check_field(x_mt, y_mt)?;
        let req = Request::SetField(SetField {
            x_mt: x_mt as f32,
            y_mt: y_mt as f32,
            settle_us,
        });
        match self.transact(&req, "set field")? {
            Reply::FieldSet(f) => Ok((f64::from(f.x_mt), f64::from(f.y_mt))),
            other => Err(unexpected("set field", &other)),
        }
    }

    /// Acquires all channels once and returns their raw ADC codes.
    ///
    /// # Errors
    ///
    /// A timeout, a reset or a device fault.
    pub fn measure_codes(&mut self) -> Result<Vec<u16>, RigError> {
        let k = usize::from(self.identity.channels);
        let mut codes = Vec::with_capacity(k);
        let mut req = Request::Measure;
        while codes.len() < k {
            match self.transact(&req, "measure")? {
                Reply::Measurement(m) if usize::from(m.first_channel) == codes.len() => {
                    if m.samples.is_empty() {
                        return Err(RigError::Protocol {
                            what: "measure",
                            got: "an empty measurement".into(),
                        });
                    }
                    codes.extend(samples(&m.samples));
                }
                other => return Err(unexpected("measure", &other)),
            }
            req = Request::ReadMeasurement(ReadMeasurement {
                first_channel: codes.len() as u16,
            });
        }
        codes.truncate(k);
        Ok(codes)
    }

    /// Acquires all channels once, in readout units.
    ///
    /// # Errors
    ///
    /// As for [`measure_codes`](Self::measure_codes).
    pub fn measure(&mut self) -> Result<Vec<f64>, RigError> {
        let fs = self.full_scale();
        Ok(self
            .measure_codes()?
            .into_iter()
            .map(|c| code_to_value(c, fs))
            .collect())
    }

    /// The readout value at ADC full scale.
    pub fn full_scale(&self) -> f64 {
        f64::from(self.identity.full_scale)
    }

    /// The device's status.
    ///
    /// # Errors
    ///
    /// A timeout or a reset.
    pub fn status(&mut self) -> Result<StatusReport, RigError> {
        match self.transact(&Request::Status, "status")? {
            Reply::StatusReport(s) => Ok(s),
            other => Err(unexpected("status", &other)),
        }
    }

    /// Pops the device's error queue.
    ///
    /// # Errors
    ///
    /// A timeout or a reset.
    pub fn error_queue(&mut self) -> Result<physrc_rig_protocol::Errors, RigError> {
        match self.transact(&Request::ErrorQueue, "error queue")? {
            Reply::Errors(e) => Ok(e),
            other => Err(unexpected("error queue", &other)),
        }
    }

    /// Switches the coils off (and aborts a running block).
    ///
    /// # Errors
    ///
    /// A timeout or a reset.
    pub fn coils_off(&mut self) -> Result<(), RigError> {
        self.expect_ack(&Request::CoilsOff, "coils off")
    }

    /// Stops a running block after its current step.
    ///
    /// # Errors
    ///
    /// A timeout or a reset.
    pub fn abort(&mut self) -> Result<(), RigError> {
        self.expect_ack(&Request::Abort, "abort")
    }

    /// Runs `steps` through the device's batched mode: blocks are loaded, started and their
    /// results streamed back, two blocks in flight so the link never idles between them.
    /// `on_measure(i, codes)` is called in order for the `i`-th measured step, once each.
    ///
    /// # Errors
    ///
    /// [`RigError::FieldLimit`] before anything is sent; a timeout, a reset or a device
    /// fault. Measurements delivered before the error stay delivered.
    pub fn run_steps(
        &mut self,
        steps: &[BlockStep],
        settle_us: u32,
        mut on_measure: impl FnMut(usize, &[u16]),
    ) -> Result<(), RigError> {
        for s in steps {
            self.check_field(f64::from(s.x_mt), f64::from(s.y_mt))?;
        }
        let plans = self.plan_blocks(steps);
        let mut delivered = 0usize;
        let mut started = 0usize;
        while started < plans.len().min(2) {
            self.start_block(&plans[started], steps, settle_us)?;
            started += 1;
        }
        for i in 0..plans.len() {
            let results = self.collect_block(&plans[i])?;
            for codes in &results {
                on_measure(delivered, codes);
                delivered += 1;
            }
            if started < plans.len() {
                self.start_block(&plans[started], steps, settle_us)?;
                started += 1;
            }
        }
        Ok(())
    }

    /// Splits steps into blocks that fit a slot and its result buffer.
    fn plan_blocks(&mut self, steps: &[BlockStep]) -> Vec<BlockPlan> {
        let k = usize::from(self.identity.channels).max(1);
        let max_measured = (MAX_BLOCK_RESULTS / k).max(1);
        let mut plans = Vec::new();
        let mut start = 0;
        while start < steps.len() {
            let mut end = start;
            let mut measured = 0;
            while end < steps.len() && end - start < MAX_BLOCK_STEPS {
                if steps[end].measure {
                    if measured == max_measured {
                        break;
                    }
                    measured += 1;
                }
                end += 1;
            }
            plans.push(BlockPlan {
                id: self.block,
                range: start..end,
                measured,
            });
            self.block = self.block.wrapping_add(1);
            start = end;
        }
        plans
    }

    fn start_block(
        &mut self,
        plan: &BlockPlan,
        steps: &[BlockStep],
        settle_us: u32,
    ) -> Result<(), RigError> {
        let block = &steps[plan.range.clone()];
        for (k, part) in block.chunks(MAX_LOAD_STEPS).enumerate() {
            let mut v = heapless::Vec::new();
            for s in part {
                // The chunk is at most MAX_LOAD_STEPS long, the vector's capacity.
                let _ = v.push(*s);
            }
            let req = Request::LoadBlock(LoadBlock {
                block: plan.id,
                offset: (k * MAX_LOAD_STEPS) as u16,
                settle_us,
                steps: v,
            });
            self.expect_ack(&req, "load block")?;
        }
        let req = Request::RunBlock(RunBlock {
            block: plan.id,
            steps: block.len() as u16,
        });
        self.expect_ack(&req, "run block")
    }

    /// Gathers a block's streamed results, re-reading whatever was lost.
    fn collect_block(&mut self, plan: &BlockPlan) -> Result<BlockResults, RigError> {
        let k = usize::from(self.identity.channels);
        let mut asm = Assembly::new(plan.measured, k);
        let mut done = false;
        let mut deadline = Instant::now() + self.options.timeout;
        let mut idle_checks = 0u32;
        while !done {
            let frame = match self.take_streamed(plan.id) {
                Some(f) => Some(f),
                None => self.next_frame(deadline)?,
            };
            match frame {
                Some(f) => {
                    self.check_boot(&f)?;
                    match f.message {
                        Reply::Chunk(c) if c.block == plan.id => {
                            asm.add(&c);
                            deadline = Instant::now() + self.options.timeout;
                            idle_checks = 0;
                        }
                        Reply::BlockDone(d) if d.block == plan.id => {
                            check_done(&d, plan)?;
                            done = true;
                        }
                        Reply::Chunk(_) | Reply::BlockDone(_) => self.streamed.push_back(f),
                        // Late answers to requests already settled are stale.
                        _ => {}
                    }
                }
                None => {
                    // Nothing for a whole timeout: the end of the block may have been lost.
                    let s = self.status()?;
                    if s.running == Some(plan.id) || s.queued == Some(plan.id) {
                        idle_checks += 1;
                        if idle_checks > self.options.retries.max(1) * 20 {
                            return Err(RigError::Timeout {
                                what: "a running block",
                                timeout: self.options.timeout,
                                attempts: idle_checks,
                            });
                        }
                    } else {
                        done = true;
                    }
                    deadline = Instant::now() + self.options.timeout;
                }
            }
        }
        while let Some((index, first)) = asm.missing() {
            self.stats.chunk_rereads += 1;
            let req = Request::ReadChunk(ReadChunk {
                block: plan.id,
                index: index as u16,
                first_channel: first as u16,
            });
            match self.transact(&req, "read chunk")? {
                Reply::Chunk(c) if c.block == plan.id && usize::from(c.index) == index => {
                    if !asm.add(&c) {
                        return Err(RigError::Protocol {
                            what: "read chunk",
                            got: format!(
                                "chunk {index} from channel {first} carried no new channels"
                            ),
                        });
                    }
                }
                other => return Err(unexpected("read chunk", &other)),
            }
        }
        Ok(asm.finish())
    }

    fn take_streamed(&mut self, block: u16) -> Option<Frame<Reply>> {
        let pos = self.streamed.iter().position(|f| match &f.message {
            Reply::Chunk(c) => c.block == block,
            Reply::BlockDone(d) => d.block == block,
            _ => false,
        })?;
        self.streamed.remove(pos)
    }

    fn expect_ack(&mut self, req: &Request, what: &'static str) -> Result<(), RigError> {
        match self.transact(req, what)? {
            Reply::Ack => Ok(()),
            other => Err(unexpected(what, &other)),
        }
    }

    fn transact(&mut self, req: &Request, what: &'static str) -> Result<Reply, RigError> {
        self.transact_inner(req, what, false)
    }

    fn transact_accepting_any_boot(
        &mut self,
        req: &Request,
        what: &'static str,
    ) -> Result<Reply, RigError> {
        self.transact_inner(req, what, true)
    }

    fn transact_inner(
        &mut self,
        req: &Request,
        what: &'static str,
        any_boot: bool,
    ) -> Result<Reply, RigError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut wire = [0u8; MAX_ENCODED_FRAME];
        let n = req.encode(seq, &mut wire).map_err(|e| RigError::Protocol {
            what,
            got: format!("cannot encode the request: {e}"),
        })?;
        self.stats.requests += 1;
        let reads_chunk = matches!(req, Request::ReadChunk(_));
        let attempts = self.options.retries + 1;
        for attempt in 0..attempts {
            if attempt > 0 {
                self.stats.retries += 1;
                // A lone delimiter ends whatever partial frame the device was receiving.
                self.write_all(&[0])?;
            }
            self.write_all(&wire[..n])?;
            let deadline = Instant::now() + self.options.timeout;
            while let Some(f) = self.next_frame(deadline)? {
                // Streamed results carry their RunBlock's number; only a ReadChunk is
                // answered with a chunk of its own.
                let answer = f.header.seq == seq
                    && (!is_streamed(&f.message)
                        || (reads_chunk && matches!(f.message, Reply::Chunk(_))));
                if any_boot && answer {
                    self.boot_id = f.header.boot_id;
                } else if !any_boot {
                    self.check_boot(&f)?;
                }
                if answer {
                    return match f.message {
                        Reply::Error(e) => Err(RigError::Device {
                            what,
                            code: e.code,
                            detail: e.detail,
                        }),
                        other => Ok(other),
                    };
                }
                if is_streamed(&f.message) {
                    self.streamed.push_back(f);
                }
            }
        }
        Err(RigError::Timeout {
            what,
            timeout: self.options.timeout,
            attempts,
        })
    }

    /// Notices a device reset from a frame's boot id; frames from earlier boots are stale.
    fn check_boot(&mut self, f: &Frame<Reply>) -> Result<(), RigError> {
        let new = f.header.boot_id;
        if new == self.boot_id || self.old_boot_ids.contains(&new) {
            return Ok(());
        }
        let old = self.boot_id;
        self.old_boot_ids.push(old);
        self.boot_id = new;
        self.stats.resets += 1;
        self.streamed.clear();
        Err(RigError::DeviceReset { old, new })
    }

    /// The next good frame from the current boot or a new one, or `None` at the deadline.
    fn next_frame(&mut self, deadline: Instant) -> Result<Option<Frame<Reply>>, RigError> {
        let mut buf = [0u8; 512];
        loop {
            while !self.leftover.is_empty() {
                let input = std::mem::take(&mut self.leftover);
                match self.acc.feed::<Reply>(&input) {
                    FeedResult::Consumed => {}
                    FeedResult::Frame { frame, remaining } => {
                        self.leftover = remaining.to_vec();
                        if self.old_boot_ids.contains(&frame.header.boot_id) {
                            continue;
                        }
                        return Ok(Some(frame));
                    }
                    FeedResult::Rejected { remaining, .. }
                    | FeedResult::Dropped { remaining, .. } => {
                        self.leftover = remaining.to_vec();
                    }
                }
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            match self.link.read(&mut buf) {
                Ok(0) => {}
                Ok(n) => self.leftover.extend_from_slice(&buf[..n]),
                Err(e) => match embedded_io::Error::kind(&e) {
                    embedded_io::ErrorKind::TimedOut | embedded_io::ErrorKind::Interrupted => {}
                    kind => return Err(RigError::Link(format!("read failed: {kind:?}"))),
                },
            }
        }
    }

    fn write_all(&mut self, mut bytes: &[u8]) -> Result<(), RigError> {
        while !bytes.is_empty() {
            match self.link.write(bytes) {
                Ok(0) => return Err(RigError::Link("write accepted no bytes".into())),
                Ok(n) => bytes = &bytes[n..],
                Err(e) => match embedded_io::Error::kind(&e) {
                    embedded_io::ErrorKind::Interrupted => {}
                    kind => return Err(RigError::Link(format!("write failed: {kind:?}"))),
                },
            }
        }
        self.link.flush().map_err(|e| {
            RigError::Link(format!("flush failed: {:?}", embedded_io::Error::kind(&e)))
        })
    }

    /// Gives the link back.
    pub fn release(self) -> T {
        self.link
    }
}

#[derive(Debug, Clone)]
struct BlockPlan {
    id: u16,
    range: std::ops::Range<usize>,
    measured: usize,
}

/// Assembles the channels of a block's measured steps from chunks, each channel once.
struct Assembly {
    k: usize,
    codes: Vec<Vec<Option<u16>>>,
    parts: Vec<BTreeMap<usize, usize>>,
}

impl Assembly {
    fn new(measured: usize, k: usize) -> Self {
        Assembly {
            k,
            codes: vec![vec![None; k]; measured],
            parts: vec![BTreeMap::new(); measured],
        }
    }

    /// Stores a chunk's channels; `false` when it added nothing (a duplicate or out of range).
    fn add(&mut self, c: &Chunk) -> bool {
        let Some(row) = self.codes.get_mut(usize::from(c.index)) else {
            return false;
        };
        let first = usize::from(c.first_channel);
        let mut added = false;
        for (j, code) in samples(&c.samples).enumerate() {
            if let Some(slot) = row.get_mut(first + j)
                && slot.is_none()
            {
                *slot = Some(code);
                added = true;
            }
        }
        if added {
            self.parts[usize::from(c.index)].insert(first, c.samples.len() / 2);
        }
        added
    }

    /// The first measured step and channel still missing.
    fn missing(&self) -> Option<(usize, usize)> {
        self.codes
            .iter()
            .enumerate()
            .find_map(|(i, row)| row.iter().position(Option::is_none).map(|c| (i, c)))
    }

    fn finish(self) -> BlockResults {
        let k = self.k;
        self.codes
            .into_iter()
            .map(|row| {
                let mut v: Vec<u16> = row.into_iter().flatten().collect();
                v.truncate(k);
                v
            })
            .collect()
    }
}

fn check_done(d: &BlockDone, plan: &BlockPlan) -> Result<(), RigError> {
    if d.aborted || usize::from(d.measured) != plan.measured {
        return Err(RigError::Protocol {
            what: "run block",
            got: format!(
                "block {} ended after {} of {} steps with {} of {} measurements{}",
                d.block,
                d.steps,
                plan.range.len(),
                d.measured,
                plan.measured,
                if d.aborted { " (aborted)" } else { "" }
            ),
        });
    }
    Ok(())
}

fn is_streamed(r: &Reply) -> bool {
    matches!(r, Reply::Chunk(_) | Reply::BlockDone(_))
}

fn unexpected(what: &'static str, r: &Reply) -> RigError {
    RigError::Protocol {
        what,
        got: format!("{r:?}"),
    }
}

fn dropped(s: &DecodeStats) -> u64 {
    u64::from(s.dropped()) + u64::from(s.rejected())
}

/// Raw little-endian 16-bit codes of a sample byte vector.
pub fn samples(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

/// A straight-binary ADC code in readout units: `(code − 32768) / 32768 · full_scale`.
pub fn code_to_value(code: u16, full_scale: f64) -> f64 {
    (f64::from(code) - 32768.0) / 32768.0 * full_scale
}

fn placeholder_identity() -> Identity {
    Identity {
        maker: heapless::String::new(),
        model: heapless::String::new(),
        serial: heapless::String::new(),
        firmware: heapless::String::new(),
        protocol: PROTOCOL_VERSION,
        channels: 0,
        adc_bits: 16,
        dac_bits: 20,
        full_scale: 1.0,
        field_lsb_mt: 0.0,
        limits: physrc_rig_protocol::Limits {
            max_field_mt: 0.0,
            max_slew_mt_per_ms: 0.0,
            watchdog_ms: 0,
        },
    }
}

//! The device core: frames in, hardware actions, frames out.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{Error as _, OutputPin};
use embedded_hal::spi::{Error as _, SpiDevice};
use embedded_io::Write;
use heapless::{Deque, String, Vec};
use physrc_rig_protocol::{
    BLOCK_SLOTS, BlockDone, BlockStep, Chunk, ErrorCode, ErrorReply, Errors, FeedResult, FieldSet,
    FrameAccumulator, Identity, Limits, LoadBlock, MAX_BLOCK_RESULTS, MAX_BLOCK_STEPS,
    MAX_CHUNK_SAMPLES, MAX_ENCODED_FRAME, MAX_ERRORS, Measurement, PROTOCOL_VERSION, ProtocolError,
    ReadChunk, Reply, Request, RunBlock, SetField, StatusReport, push_sample_codes,
};

use crate::ad5791::{CODE_MID, DAC_BITS, DacCode};
use crate::ads8681::{ADC_BITS, Ads8681, SweepError};
use crate::coils::Coils;
use crate::error::{ConfigError, Fault, FirmwareError};
use crate::ramp::{MAX_SETTLE_US, RAMP_UPDATE_MS, RampError, ramp_point, ramp_updates};

/// Most readout channels K a device supports (the size of its last-measurement buffer).
pub const MAX_CHANNELS: u16 = 1024;

/// Longest watchdog time a configuration may ask for, in ms (one hour).
pub const MAX_WATCHDOG_MS: u32 = 3_600_000;

/// Capacity of the device's error queue. When it is full further errors are lost and the
/// overflow flag is set (reported, then cleared, by the next `ErrorQueue` answer).
pub const ERROR_QUEUE_LEN: usize = 16;

/// This crate's version, a convenient value for [`DeviceConfig::firmware`].
pub const FIRMWARE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The hardware a [`Device`] drives, as a board support package provides it.
///
/// - `dac_x`, `dac_y`: the AD5791 of each coil axis, each its own [`SpiDevice`] (SPI mode 1).
/// - `adc`: the ADS8681, its own [`SpiDevice`] (SPI mode 0).
/// - `ldac`: the DACs' shared LDAC line (idles high; a low pulse updates both outputs).
/// - `coil_enable`: the coil-driver interlock, high = coils enabled.
/// - `sweep_trigger`: restarts the detector's sweep at point 0 on a high pulse (idles low).
/// - `delay`: ramp, settle and conversion timing.
#[derive(Debug)]
pub struct Peripherals<DX, DY, ADC, LDAC, EN, TRIG, D> {
    /// The x-axis coil DAC.
    pub dac_x: DX,
    /// The y-axis coil DAC.
    pub dac_y: DY,
    /// The readout ADC.
    pub adc: ADC,
    /// The shared LDAC line.
    pub ldac: LDAC,
    /// The coil-enable interlock (high = enabled).
    pub coil_enable: EN,
    /// The detector's sweep trigger.
    pub sweep_trigger: TRIG,
    /// The delay provider.
    pub delay: D,
}

/// The rig's calibration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    /// Field at the sample for a DAC at positive full scale, in mT (the same for both axes):
    /// code = round(B / B_fs · 2^19) + 2^19.
    pub field_full_scale_mt: f32,
    /// Readout value at ADC full scale, in readout units: value = (code − 32768) / 32768 ·
    /// `adc_full_scale`. Reported to the host in the identity; the device itself sends raw
    /// codes.
    pub adc_full_scale: f32,
}

/// Everything a [`Device`] needs besides its hardware.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceConfig {
    /// Manufacturer, reported in the identity.
    pub maker: String<24>,
    /// Model, reported in the identity.
    pub model: String<24>,
    /// Serial number, reported in the identity.
    pub serial: String<24>,
    /// Firmware version, reported in the identity (e.g. [`FIRMWARE_VERSION`]).
    pub firmware: String<16>,
    /// Number of readout channels K (points of the detector's sweep), `1..=MAX_CHANNELS`.
    pub channels: u16,
    /// Safety limits, enforced on every request.
    pub limits: Limits,
    /// Field and readout calibration.
    pub calibration: Calibration,
    /// This boot's id, carried in every frame the device sends: a value that differs from one
    /// reset to the next (a counter in non-volatile memory or a hardware random number), so the
    /// host notices a reset.
    pub boot_id: u32,
}

impl DeviceConfig {
    /// Checks every value, as [`Device::new`] does.
    ///
    /// # Errors
    ///
    /// The first value out of range (see [`ConfigError`]).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.channels == 0 || self.channels > MAX_CHANNELS {
            return Err(ConfigError::Channels(self.channels));
        }
        let fs = self.calibration.field_full_scale_mt;
        if !(fs.is_finite() && fs > 0.0) {
            return Err(ConfigError::FieldFullScale);
        }
        let adc = self.calibration.adc_full_scale;
        if !(adc.is_finite() && adc > 0.0) {
            return Err(ConfigError::AdcFullScale);
        }
        let max = self.limits.max_field_mt;
        if !(max.is_finite() && max > 0.0 && max <= fs) {
            return Err(ConfigError::MaxField);
        }
        let slew = self.limits.max_slew_mt_per_ms;
        if !(slew.is_finite() && slew > 0.0) {
            return Err(ConfigError::MaxSlew);
        }
        // The longest ramp any in-limit request can need: from -max to +max along one axis.
        if ramp_updates((-max, 0.0), (max, 0.0), slew).is_err() {
            return Err(ConfigError::RampTooLong);
        }
        let wd = self.limits.watchdog_ms;
        if wd == 0 || wd > MAX_WATCHDOG_MS {
            return Err(ConfigError::Watchdog(wd));
        }
        Ok(())
    }
}

/// A request refused with an `Error` reply: the code and its detail word.
type Refusal = (ErrorCode, u32);

/// One block slot: its steps and its result buffer.
#[derive(Debug)]
struct Slot {
    /// The block whose steps the slot holds, `None` before the first load.
    block: Option<u16>,
    /// Steps `[0, loaded)` are loaded.
    loaded: u16,
    settle_us: u32,
    steps: [BlockStep; MAX_BLOCK_STEPS],
    /// Measured steps of the latest run: results `[0, measured · K)` are valid.
    measured: u16,
    /// Step number of each measured ordinal.
    step_of: [u16; MAX_BLOCK_STEPS],
    results: [u16; MAX_BLOCK_RESULTS],
}

impl Slot {
    const EMPTY: Slot = Slot {
        block: None,
        loaded: 0,
        settle_us: 0,
        steps: [BlockStep {
            x_mt: 0.0,
            y_mt: 0.0,
            measure: false,
        }; MAX_BLOCK_STEPS],
        measured: 0,
        step_of: [0; MAX_BLOCK_STEPS],
        results: [0; MAX_BLOCK_RESULTS],
    };
}

/// A block that is running or queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    block: u16,
    /// Steps to execute.
    steps: u16,
    /// The `RunBlock`'s seq, carried by its `Chunk` and `BlockDone` frames.
    seq: u16,
    /// Next step to execute.
    next: u16,
}

impl Run {
    fn slot(&self) -> usize {
        usize::from(self.block) % BLOCK_SLOTS
    }
}

/// The rig's firmware core: decodes request frames, drives the coils and the ADC, and writes
/// reply frames. It owns the hardware and is driven by a board support package's main loop:
///
/// ```text
/// loop {
///     let n = serial.read(&mut buf)?;            // bytes from the host, if any
///     device.receive(&buf[..n], now_ms(), &mut serial)?;
///     device.poll(now_ms(), &mut serial)?;       // block steps, watchdog
/// }
/// ```
///
/// # Contract
///
/// - **Coils off unless asked.** The coils are switched off (mid-scale codes, LDAC pulse,
///   interlock low) at construction, by `CoilsOff`, on any hardware fault, and by the watchdog
///   when no valid frame has arrived for `limits.watchdog_ms` while the coils are on and no
///   block is running or queued (a block the host asked for keeps the device busy; the
///   watchdog counts from its end). With the coils off there is nothing to protect, so the
///   watchdog is idle.
/// - **Limits before hardware.** A field whose magnitude exceeds `limits.max_field_mt` (or that
///   is not finite) is refused with an `Error` reply before any DAC is written; a block is
///   checked step by step when it is loaded. Every field change is ramped in steps of at most
///   `limits.max_slew_mt_per_ms · RAMP_UPDATE_MS` (plus half a DAC code of rounding per axis),
///   one every [`RAMP_UPDATE_MS`] ms. Only switching off is immediate.
/// - **A repeated `seq` is never executed.** The device keeps the last request's `seq` and its
///   encoded reply; a frame with the same `seq` is answered with those exact bytes and does
///   nothing else. Spin ice remembers its field history: applying the same field twice is not
///   the same as applying it once (the second ramp starts elsewhere, the sample relaxes in
///   between), so a host retry after a lost reply must not re-run the request.
/// - **One block step per [`poll`](Device::poll).** A block step (ramp, settle, optional
///   measurement) blocks for its duration; between steps the device reads frames, so `Abort`,
///   `Status` and `ReadChunk` are served while a block runs.
/// - **No panics, no allocation.** Any bytes may arrive: a frame whose CRC checks gets a reply
///   (an `Error` reply if it is malformed), anything else is dropped and counted.
///
/// # Memory
///
/// The two block slots (steps and 16,384-sample result buffers) make a `Device` about 75 KiB.
/// On a microcontroller, give it a `static` home (e.g. with `static_cell`) rather than keeping
/// it on the stack, and allow for it on the stack while [`Device::new`] returns it.
#[derive(Debug)]
pub struct Device<DX, DY, ADC, LDAC, EN, TRIG, D> {
    coils: Coils<DX, DY, LDAC, EN>,
    adc: Ads8681<ADC>,
    trigger: TRIG,
    delay: D,
    cfg: DeviceConfig,
    rx: FrameAccumulator<MAX_ENCODED_FRAME>,
    /// `seq` of the last request answered, and the encoded reply in `cache[..cache_len]`.
    cache_seq: Option<u16>,
    cache_len: usize,
    cache: [u8; MAX_ENCODED_FRAME],
    /// Encoding space for frames that are not cached (chunks, `BlockDone`).
    scratch: [u8; MAX_ENCODED_FRAME],
    measurement: [u16; MAX_CHANNELS as usize],
    has_measurement: bool,
    slots: [Slot; BLOCK_SLOTS],
    running: Option<Run>,
    queued: Option<Run>,
    errors: Deque<ErrorCode, ERROR_QUEUE_LEN>,
    overflowed: bool,
    /// Time of the last valid frame or the end of the last blocking operation (ms, wrapping);
    /// the watchdog counts from here.
    last_activity: u32,
}

impl<DX, DY, ADC, LDAC, EN, TRIG, D> Device<DX, DY, ADC, LDAC, EN, TRIG, D>
where
    DX: SpiDevice,
    DY: SpiDevice,
    ADC: SpiDevice,
    LDAC: OutputPin,
    EN: OutputPin,
    TRIG: OutputPin,
    D: DelayNs,
{
    /// Validates `cfg`, then brings the hardware to a safe state: interlock low, LDAC high,
    /// sweep trigger low, both DACs initialised (mid-scale, then control register: offset
    /// binary, output unclamped), ADC range ±3·V_REF, and the coils switched off.
    ///
    /// # Errors
    ///
    /// [`FirmwareError::Config`] for a refused configuration (nothing was touched), or
    /// [`FirmwareError::Fault`] for the first part that failed (the interlock was driven low
    /// if it could be). The peripherals come back with the error.
    #[allow(
        clippy::type_complexity,
        reason = "the error hands the peripherals back, as embedded-hal drivers do"
    )]
    pub fn new(
        p: Peripherals<DX, DY, ADC, LDAC, EN, TRIG, D>,
        cfg: DeviceConfig,
    ) -> Result<Self, (Peripherals<DX, DY, ADC, LDAC, EN, TRIG, D>, FirmwareError)> {
        if let Err(e) = cfg.validate() {
            return Err((p, e.into()));
        }
        let Peripherals {
            dac_x,
            dac_y,
            adc,
            ldac,
            coil_enable,
            mut sweep_trigger,
            delay,
        } = p;
        let (coils, coil_result) = Coils::new(dac_x, dac_y, ldac, coil_enable);
        let trigger_result = sweep_trigger
            .set_low()
            .map_err(|e| Fault::SweepTrigger(e.kind()));
        let mut adc = Ads8681::new(adc);
        let adc_result = adc.init().map_err(|e| Fault::Adc(e.kind()));
        let device = Device {
            coils,
            adc,
            trigger: sweep_trigger,
            delay,
            cfg,
            rx: FrameAccumulator::new(),
            cache_seq: None,
            cache_len: 0,
            cache: [0; MAX_ENCODED_FRAME],
            scratch: [0; MAX_ENCODED_FRAME],
            measurement: [0; MAX_CHANNELS as usize],
            has_measurement: false,
            slots: [Slot::EMPTY, Slot::EMPTY],
            running: None,
            queued: None,
            errors: Deque::new(),
            overflowed: false,
            last_activity: 0,
        };
        match coil_result.and(trigger_result).and(adc_result) {
            Ok(()) => Ok(device),
            Err(fault) => Err((device.release(), fault.into())),
        }
    }

    /// Feeds bytes received from the host. Every complete frame is handled at once and its
    /// reply written to `tx`; a partial frame is kept for the next call.
    ///
    /// Corrupt frames (bad COBS, length or CRC) are dropped without an answer (counted in
    /// [`Device::decode_stats`]); the host retries after its timeout. A frame whose CRC checks
    /// but whose version, kind or body is wrong is answered with an `Error` reply. Every frame
    /// whose CRC checks feeds the watchdog.
    ///
    /// `now_ms` is the board's millisecond clock (wrapping).
    ///
    /// # Errors
    ///
    /// The first error of `tx`. The request that was being answered has been executed and its
    /// reply cached, so the host's retry gets it; the rest of `bytes` is not processed.
    pub fn receive<W: Write>(
        &mut self,
        bytes: &[u8],
        now_ms: u32,
        tx: &mut W,
    ) -> Result<(), W::Error> {
        let mut input = bytes;
        loop {
            match self.rx.feed::<Request>(input) {
                FeedResult::Consumed => return Ok(()),
                FeedResult::Dropped { remaining, .. } => input = remaining,
                FeedResult::Frame { frame, remaining } => {
                    input = remaining;
                    self.handle(frame.header.seq, Ok(frame.message), now_ms, tx)?;
                }
                FeedResult::Rejected {
                    rejected,
                    remaining,
                } => {
                    input = remaining;
                    let refusal = (rejected.code(), rejection_detail(&rejected.error));
                    self.handle(rejected.header.seq, Err(refusal), now_ms, tx)?;
                }
            }
        }
    }

    /// Runs pending work: starts a queued block when none runs, executes **one** step of the
    /// running block (streaming its `Chunk` frames to `tx`, and `BlockDone` after its last
    /// step), and otherwise checks the watchdog. Call it on every pass of the main loop.
    ///
    /// # Errors
    ///
    /// The first error of `tx`. The step has been executed and its results stored, so the host
    /// can re-read lost chunks with `ReadChunk`.
    pub fn poll<W: Write>(&mut self, now_ms: u32, tx: &mut W) -> Result<(), W::Error> {
        if self.running.is_none() {
            if let Some(run) = self.queued.take() {
                self.start(run);
            }
        }
        if self.running.is_some() {
            self.block_step(now_ms, tx)?;
            return tx.flush();
        }
        self.watchdog(now_ms);
        Ok(())
    }

    /// Gives the hardware back, as it is: call this after `CoilsOff` (or accept the present
    /// field) — it does not touch the parts.
    pub fn release(self) -> Peripherals<DX, DY, ADC, LDAC, EN, TRIG, D> {
        let (dac_x, dac_y, ldac, coil_enable) = self.coils.release();
        Peripherals {
            dac_x,
            dac_y,
            adc: self.adc.release(),
            ldac,
            coil_enable,
            sweep_trigger: self.trigger,
            delay: self.delay,
        }
    }

    /// Whether the coil interlock is high (or could not be driven low).
    pub fn coils_on(&self) -> bool {
        self.coils.enabled()
    }

    /// The field the DACs produce, (x, y) in mT: their codes converted back (0 when off).
    pub fn field_mt(&self) -> (f32, f32) {
        let (x, y) = self.coils.codes();
        let fs = self.cfg.calibration.field_full_scale_mt;
        (x.to_field(fs), y.to_field(fs))
    }

    /// The DAC codes (x, y) the coil outputs hold.
    pub fn dac_codes(&self) -> (DacCode, DacCode) {
        self.coils.codes()
    }

    /// The configuration the device runs with.
    pub fn config(&self) -> &DeviceConfig {
        &self.cfg
    }

    /// Counters of received frames: accepted, dropped as corrupt, rejected.
    pub fn decode_stats(&self) -> physrc_rig_protocol::DecodeStats {
        self.rx.stats()
    }

    /// Whether a block is running or queued.
    pub fn busy(&self) -> bool {
        self.running.is_some() || self.queued.is_some()
    }

    // -----------------------------------------------------------------------------------------
    // Requests.

    /// Answers one frame whose CRC checked: from the cache for a repeated `seq`, otherwise by
    /// executing it.
    fn handle<W: Write>(
        &mut self,
        seq: u16,
        request: Result<Request, Refusal>,
        now_ms: u32,
        tx: &mut W,
    ) -> Result<(), W::Error> {
        self.last_activity = now_ms;
        if self.cache_seq == Some(seq) {
            let cached = self.cache.get(..self.cache_len).unwrap_or(&[]);
            tx.write_all(cached)?;
            return tx.flush();
        }
        let mut follow_up = None;
        let reply = match request {
            Ok(request) => self.execute(request, seq, now_ms, &mut follow_up),
            Err(refusal) => Err(refusal),
        }
        .unwrap_or_else(|(code, detail)| Reply::Error(ErrorReply { code, detail }));
        self.cache_seq = Some(seq);
        self.cache_len = reply
            .encode(seq, self.cfg.boot_id, &mut self.cache)
            .unwrap_or(0);
        let encoded = self.cache.get(..self.cache_len).unwrap_or(&[]);
        tx.write_all(encoded)?;
        if let Some((run_seq, done)) = follow_up {
            self.send(run_seq, &Reply::BlockDone(done), tx)?;
        }
        tx.flush()
    }

    /// Executes a request. `follow_up` receives a `BlockDone` (and its `RunBlock`'s seq) to
    /// send after the reply when the request aborted a block.
    fn execute(
        &mut self,
        request: Request,
        seq: u16,
        now_ms: u32,
        follow_up: &mut Option<(u16, BlockDone)>,
    ) -> Result<Reply, Refusal> {
        match request {
            Request::Hello => Ok(Reply::Identity(self.identity())),
            Request::SetField(m) => self.set_field(m, now_ms),
            Request::Measure => self.measure(),
            Request::ReadMeasurement(m) => self.measurement_reply(m.first_channel),
            Request::LoadBlock(m) => self.load_block(&m),
            Request::RunBlock(m) => self.run_block(m, seq),
            Request::ReadChunk(m) => self.read_chunk(m),
            Request::Status => Ok(Reply::StatusReport(self.status(now_ms))),
            Request::ErrorQueue => Ok(Reply::Errors(self.pop_errors())),
            Request::Abort => {
                *follow_up = self.abort_blocks();
                Ok(Reply::Ack)
            }
            Request::CoilsOff => {
                *follow_up = self.abort_blocks();
                match self.coils.off() {
                    Ok(()) => Ok(Reply::Ack),
                    Err(fault) => {
                        self.push_error(fault.code());
                        Err((fault.code(), fault.detail()))
                    }
                }
            }
        }
    }

    fn identity(&self) -> Identity {
        Identity {
            maker: self.cfg.maker.clone(),
            model: self.cfg.model.clone(),
            serial: self.cfg.serial.clone(),
            firmware: self.cfg.firmware.clone(),
            protocol: PROTOCOL_VERSION,
            channels: self.cfg.channels,
            adc_bits: ADC_BITS,
            dac_bits: DAC_BITS,
            full_scale: self.cfg.calibration.adc_full_scale,
            field_lsb_mt: self.cfg.calibration.field_full_scale_mt / CODE_MID as f32,
            limits: self.cfg.limits,
        }
    }

    fn set_field(&mut self, m: SetField, now_ms: u32) -> Result<Reply, Refusal> {
        self.refuse_if_busy()?;
        self.cfg
            .limits
            .check_field(m.x_mt, m.y_mt)
            .map_err(|code| (code, 0))?;
        check_settle(m.settle_us)?;
        let blocked_ms = self.move_to((m.x_mt, m.y_mt), m.settle_us)?;
        self.last_activity = now_ms.wrapping_add(blocked_ms);
        let (x_mt, y_mt) = self.field_mt();
        Ok(Reply::FieldSet(FieldSet { x_mt, y_mt }))
    }

    fn measure(&mut self) -> Result<Reply, Refusal> {
        self.refuse_if_busy()?;
        let k = usize::from(self.cfg.channels);
        self.has_measurement = false;
        let out = self.measurement.get_mut(..k).unwrap_or(&mut []);
        if let Err(e) = self.adc.read_sweep(&mut self.trigger, &mut self.delay, out) {
            return Err(self.fault(sweep_fault(e)));
        }
        self.has_measurement = true;
        self.measurement_reply(0)
    }

    fn measurement_reply(&self, first_channel: u16) -> Result<Reply, Refusal> {
        let k = usize::from(self.cfg.channels);
        let first = usize::from(first_channel);
        let codes = match self.measurement.get(first..k) {
            Some(codes) if self.has_measurement && !codes.is_empty() => codes,
            _ => return Err((ErrorCode::BadRequest, u32::from(first_channel))),
        };
        let mut samples = Vec::new();
        push_sample_codes(&mut samples, codes);
        Ok(Reply::Measurement(Measurement {
            first_channel,
            total: self.cfg.channels,
            samples,
        }))
    }

    fn load_block(&mut self, m: &LoadBlock) -> Result<Reply, Refusal> {
        let slot_index = usize::from(m.block) % BLOCK_SLOTS;
        if [self.running, self.queued]
            .iter()
            .flatten()
            .any(|run| run.slot() == slot_index)
        {
            return Err((ErrorCode::Busy, u32::from(m.block)));
        }
        let offset = usize::from(m.offset);
        let end = offset + m.steps.len();
        if end > MAX_BLOCK_STEPS {
            return Err((ErrorCode::BlockTooLarge, end as u32));
        }
        check_settle(m.settle_us)?;
        for (i, step) in m.steps.iter().enumerate() {
            self.cfg
                .limits
                .check_field(step.x_mt, step.y_mt)
                .map_err(|code| (code, (offset + i) as u32))?;
        }
        let slot = &mut self.slots[slot_index];
        if offset > 0 && (slot.block != Some(m.block) || offset > usize::from(slot.loaded)) {
            // Steps must arrive in order, starting at 0, so the slot never holds a gap.
            return Err((ErrorCode::BlockNotLoaded, u32::from(m.offset)));
        }
        if offset == 0 {
            slot.loaded = 0;
        }
        if let Some(dest) = slot.steps.get_mut(offset..end) {
            dest.copy_from_slice(&m.steps);
        }
        slot.block = Some(m.block);
        slot.settle_us = m.settle_us;
        slot.loaded = slot.loaded.max(end as u16);
        // Loading a slot discards the results of its previous run.
        slot.measured = 0;
        Ok(Reply::Ack)
    }

    fn run_block(&mut self, m: RunBlock, seq: u16) -> Result<Reply, Refusal> {
        let slot_index = usize::from(m.block) % BLOCK_SLOTS;
        let slot = &self.slots[slot_index];
        if usize::from(m.steps) > MAX_BLOCK_STEPS {
            return Err((ErrorCode::BlockTooLarge, u32::from(m.steps)));
        }
        if slot.block != Some(m.block) || m.steps > slot.loaded {
            return Err((ErrorCode::BlockNotLoaded, u32::from(m.block)));
        }
        let measured = slot
            .steps
            .get(..usize::from(m.steps))
            .unwrap_or(&[])
            .iter()
            .filter(|s| s.measure)
            .count();
        let needed = measured * usize::from(self.cfg.channels);
        if needed > MAX_BLOCK_RESULTS {
            return Err((ErrorCode::ResultOverflow, needed as u32));
        }
        let run = Run {
            block: m.block,
            steps: m.steps,
            seq,
            next: 0,
        };
        match (self.running, self.queued) {
            (None, None) => self.start(run),
            (Some(current), None) if current.slot() != slot_index => self.queued = Some(run),
            // A block is queued only behind a running one; the second arm cannot occur.
            (Some(current), _) | (None, Some(current)) => {
                return Err((ErrorCode::Busy, u32::from(current.block)));
            }
        }
        Ok(Reply::Ack)
    }

    fn read_chunk(&self, m: ReadChunk) -> Result<Reply, Refusal> {
        let slot = &self.slots[usize::from(m.block) % BLOCK_SLOTS];
        if slot.block != Some(m.block) {
            return Err((ErrorCode::BlockNotLoaded, u32::from(m.block)));
        }
        if m.index >= slot.measured {
            return Err((ErrorCode::BadRequest, u32::from(m.index)));
        }
        self.chunk(slot, m.block, m.index, m.first_channel)
            .ok_or((ErrorCode::BadRequest, u32::from(m.first_channel)))
            .map(Reply::Chunk)
    }

    /// The `Chunk` of measured ordinal `index` from `first_channel` on, if both exist.
    fn chunk(&self, slot: &Slot, block: u16, index: u16, first_channel: u16) -> Option<Chunk> {
        let k = usize::from(self.cfg.channels);
        let base = usize::from(index) * k;
        let codes = slot
            .results
            .get(base + usize::from(first_channel)..base + k)
            .filter(|c| !c.is_empty())?;
        let mut samples = Vec::new();
        push_sample_codes(&mut samples, codes);
        Some(Chunk {
            block,
            index,
            step: slot.step_of.get(usize::from(index)).copied().unwrap_or(0),
            first_channel,
            total: self.cfg.channels,
            samples,
        })
    }

    fn status(&self, now_ms: u32) -> StatusReport {
        let (x_mt, y_mt) = self.field_mt();
        StatusReport {
            running: self.running.map(|r| r.block),
            queued: self.queued.map(|r| r.block),
            coils_on: self.coils.enabled(),
            x_mt,
            y_mt,
            errors: u8::try_from(self.errors.len()).unwrap_or(u8::MAX),
            uptime_ms: now_ms,
        }
    }

    fn pop_errors(&mut self) -> Errors {
        let mut codes = Vec::new();
        while codes.len() < MAX_ERRORS {
            match self.errors.pop_front() {
                Some(code) => {
                    // Cannot fail: the loop stops at the capacity.
                    let _ = codes.push(code);
                }
                None => break,
            }
        }
        Errors {
            codes,
            overflowed: core::mem::take(&mut self.overflowed),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Blocks.

    fn start(&mut self, mut run: Run) {
        run.next = 0;
        self.slots[run.slot()].measured = 0;
        self.running = Some(run);
    }

    /// Ends the running block: the queued one starts at once when it completed, and is
    /// dropped when it was aborted. So a block is never queued without one running.
    fn end_run(&mut self, aborted: bool) {
        self.running = None;
        match self.queued.take() {
            Some(next) if !aborted => self.start(next),
            _ => {}
        }
    }

    /// Stops the running block (returning its `BlockDone`, marked aborted, with the
    /// `RunBlock`'s seq) and drops the queued one.
    fn abort_blocks(&mut self) -> Option<(u16, BlockDone)> {
        self.queued = None;
        let run = self.running.take()?;
        Some((
            run.seq,
            BlockDone {
                block: run.block,
                steps: run.next,
                measured: self.slots[run.slot()].measured,
                aborted: true,
            },
        ))
    }

    /// Executes the running block's next step and streams what it produced.
    fn block_step<W: Write>(&mut self, now_ms: u32, tx: &mut W) -> Result<(), W::Error> {
        let Some(mut run) = self.running else {
            return Ok(());
        };
        if run.next >= run.steps {
            self.end_run(false);
            return self.finish(run, false, now_ms, 0, tx);
        }
        let slot_index = run.slot();
        let slot = &self.slots[slot_index];
        let settle_us = slot.settle_us;
        let Some(step) = slot.steps.get(usize::from(run.next)).copied() else {
            self.end_run(true);
            return self.finish(run, true, now_ms, 0, tx);
        };
        let blocked_ms = match self.move_to((step.x_mt, step.y_mt), settle_us) {
            Ok(ms) => ms,
            Err((code, _)) => {
                // Hardware faults queue themselves in `fault`; a refused step is queued here.
                if !matches!(code, ErrorCode::DacFault | ErrorCode::AdcFault) {
                    self.push_error(code);
                }
                self.end_run(true);
                return self.finish(run, true, now_ms, 0, tx);
            }
        };
        let mut chunk_index = None;
        if step.measure {
            match self.measure_step(slot_index, run.next) {
                Ok(index) => chunk_index = Some(index),
                Err(()) => {
                    self.end_run(true);
                    return self.finish(run, true, now_ms, blocked_ms, tx);
                }
            }
        }
        run.next += 1;
        let done = run.next >= run.steps;
        if done {
            self.end_run(false);
        } else {
            self.running = Some(run);
        }
        self.last_activity = now_ms.wrapping_add(blocked_ms);
        if let Some(index) = chunk_index {
            let k = self.cfg.channels;
            let mut first = 0;
            while first < k {
                if let Some(chunk) = self.chunk(&self.slots[slot_index], run.block, index, first) {
                    self.send(run.seq, &Reply::Chunk(chunk), tx)?;
                }
                first = first.saturating_add(MAX_CHUNK_SAMPLES as u16);
            }
        }
        if done {
            return self.finish(run, false, now_ms, blocked_ms, tx);
        }
        Ok(())
    }

    /// Acquires one sweep into the slot's result buffer as measured ordinal `slot.measured`.
    /// On a fault the coils are switched off and the fault queued.
    fn measure_step(&mut self, slot_index: usize, step: u16) -> Result<u16, ()> {
        let k = usize::from(self.cfg.channels);
        let slot = &mut self.slots[slot_index];
        let index = slot.measured;
        let base = usize::from(index) * k;
        let Some(out) = slot.results.get_mut(base..base + k) else {
            // Cannot happen: `RunBlock` checked the block's results fit.
            self.push_error(ErrorCode::ResultOverflow);
            return Err(());
        };
        let result = self.adc.read_sweep(&mut self.trigger, &mut self.delay, out);
        if let Err(e) = result {
            self.fault(sweep_fault(e));
            return Err(());
        }
        if let Some(s) = slot.step_of.get_mut(usize::from(index)) {
            *s = step;
        }
        slot.measured = index + 1;
        Ok(index)
    }

    /// Sends a block's `BlockDone`; the watchdog counts from now.
    fn finish<W: Write>(
        &mut self,
        run: Run,
        aborted: bool,
        now_ms: u32,
        blocked_ms: u32,
        tx: &mut W,
    ) -> Result<(), W::Error> {
        self.last_activity = now_ms.wrapping_add(blocked_ms);
        let done = BlockDone {
            block: run.block,
            steps: run.next,
            measured: self.slots[run.slot()].measured,
            aborted,
        };
        self.send(run.seq, &Reply::BlockDone(done), tx)
    }

    // -----------------------------------------------------------------------------------------
    // Hardware.

    /// Ramps from the present field to `target` and settles; returns the time spent blocked,
    /// in ms (rounded up). The target must already have passed the limit check.
    fn move_to(&mut self, target: (f32, f32), settle_us: u32) -> Result<u32, Refusal> {
        let from = self.field_mt();
        let n = ramp_updates(from, target, self.cfg.limits.max_slew_mt_per_ms).map_err(
            |e| match e {
                RampError::NonFinite => (ErrorCode::FieldLimit, 0),
                RampError::Slew => (ErrorCode::SlewLimit, 0),
            },
        )?;
        if !self.coils.enabled() {
            // The DACs hold mid-scale while the coils are off: enabling passes no current,
            // and the ramp starts from zero field.
            if let Err(fault) = self.coils.enable() {
                return Err(self.fault(fault));
            }
        }
        let fs = self.cfg.calibration.field_full_scale_mt;
        for i in 1..=n {
            let (x, y) = ramp_point(from, target, i, n);
            let codes = (DacCode::from_field(x, fs), DacCode::from_field(y, fs));
            if let Err(fault) = self.coils.apply(codes) {
                return Err(self.fault(fault));
            }
            if i < n {
                self.delay.delay_ms(RAMP_UPDATE_MS);
            } else {
                self.delay.delay_us(settle_us);
            }
        }
        Ok((n - 1) * RAMP_UPDATE_MS + settle_us.div_ceil(1000))
    }

    /// A hardware fault: switches the coils off, queues the fault (and any further fault of
    /// the switch-off), and returns the refusal to answer with.
    fn fault(&mut self, fault: Fault) -> Refusal {
        self.push_error(fault.code());
        if let Err(second) = self.coils.off() {
            self.push_error(second.code());
        }
        (fault.code(), fault.detail())
    }

    fn watchdog(&mut self, now_ms: u32) {
        if !self.coils.enabled() || self.busy() {
            return;
        }
        // Signed: `last_activity` may lie ahead of the clock after a blocking operation.
        let idle = now_ms.wrapping_sub(self.last_activity) as i32;
        if idle < self.cfg.limits.watchdog_ms as i32 {
            return;
        }
        if let Err(fault) = self.coils.off() {
            self.push_error(fault.code());
        }
        self.push_error(ErrorCode::Watchdog);
        // If the interlock could not be lowered, try again one watchdog period later.
        self.last_activity = now_ms;
    }

    // -----------------------------------------------------------------------------------------
    // Helpers.

    fn refuse_if_busy(&self) -> Result<(), Refusal> {
        match self.running.or(self.queued) {
            Some(run) => Err((ErrorCode::Busy, u32::from(run.block))),
            None => Ok(()),
        }
    }

    fn push_error(&mut self, code: ErrorCode) {
        if self.errors.push_back(code).is_err() {
            self.overflowed = true;
        }
    }

    /// Encodes and writes a frame that is not cached.
    fn send<W: Write>(&mut self, seq: u16, reply: &Reply, tx: &mut W) -> Result<(), W::Error> {
        let n = reply
            .encode(seq, self.cfg.boot_id, &mut self.scratch)
            .unwrap_or(0);
        tx.write_all(self.scratch.get(..n).unwrap_or(&[]))
    }
}

fn check_settle(settle_us: u32) -> Result<(), Refusal> {
    if settle_us > MAX_SETTLE_US {
        Err((ErrorCode::BadRequest, settle_us))
    } else {
        Ok(())
    }
}

/// The detail word of the `Error` answering a rejected frame: the offending version or kind.
fn rejection_detail(error: &ProtocolError) -> u32 {
    match *error {
        ProtocolError::Version { found } => u32::from(found),
        ProtocolError::UnknownKind { kind }
        | ProtocolError::Body { kind }
        | ProtocolError::TrailingBytes { kind, .. } => u32::from(kind),
        _ => 0,
    }
}

fn sweep_fault<S: embedded_hal::spi::Error, P: embedded_hal::digital::Error>(
    e: SweepError<S, P>,
) -> Fault {
    match e {
        SweepError::Spi(e) => Fault::Adc(e.kind()),
        SweepError::Trigger(e) => Fault::SweepTrigger(e.kind()),
    }
}

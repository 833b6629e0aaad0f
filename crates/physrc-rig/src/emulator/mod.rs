//! The emulator: the firmware core itself, running on the host with simulated peripherals.
//!
//! DAC codes become a coil field, the field drives the nanomagnet simulator, the simulator's
//! readout becomes detector voltages and ADC codes (quantised, with seeded noise). The device
//! is served over a byte link (a pseudo-terminal for `physrc rig emulate`, an in-memory pipe
//! for `port = "emulator"`), optionally paced to a real baud rate, with seeded faults: a byte
//! of a frame dropped, corrupted, duplicated or delayed, device resets every N commands (new boot id,
//! coils off, caches lost, the sample keeps its state) and a hang-up.
//!
//! # Why the firmware core and not a model of it
//!
//! A host driver tested against a fake that shares its author's assumptions proves little.
//! Running the firmware core means every emulated experiment also exercises the code that
//! will run on the board: its limits, ramps, caching and streaming.

mod parts;
mod world;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use heapless::String as HString;
use physrc_nanomagnet::NanomagnetReservoir;
use physrc_rig_firmware::{Calibration, Device, DeviceConfig, FIRMWARE_VERSION, Peripherals};
use physrc_rig_protocol::Limits;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use parts::{
    ADS8681_RANGE_SEL, Ad5791State, Axis, FrameError, Line, SimAd5791, SimAds8681, SimDelay, SimPin,
};
pub use world::World;

use crate::error::RigError;
use crate::link::MemoryLink;

/// The emulated rig's hardware: calibration, limits, detector noise.
#[derive(Debug, Clone, PartialEq)]
pub struct Hardware {
    /// Field at DAC full scale, tesla (default 0.2).
    pub field_full_scale: f64,
    /// Field magnitude limit, tesla (default 0.15).
    pub max_field: f64,
    /// Slew limit, tesla per second (default 100).
    pub max_slew: f64,
    /// Host silence after which the coils switch off, seconds (default 5).
    pub watchdog: f64,
    /// Readout value at ADC full scale (default 2: spins of ±1 convert exactly).
    pub adc_full_scale: f64,
    /// Standard deviation of the detector noise, readout units (default 0).
    pub noise: f64,
    /// Seed of the detector noise and of the boot ids (default 0).
    pub seed: u64,
}

impl Default for Hardware {
    fn default() -> Self {
        Hardware {
            field_full_scale: 0.2,
            max_field: 0.15,
            max_slew: 100.0,
            watchdog: 5.0,
            adc_full_scale: 2.0,
            noise: 0.0,
            seed: 0,
        }
    }
}

/// Faults injected on the link and the device, all drawn from `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// Probability per frame, each direction, that one of its bytes is dropped, corrupted,
    /// duplicated or delayed by 1–20 ms (one of the four, equally likely).
    pub rate: f64,
    /// Reset the device before every N-th command (frame) it receives.
    pub reset_every: Option<u64>,
    /// Stop serving (hang up) after N commands.
    pub hang_up_after: Option<u64>,
    /// Seed of the fault draws.
    pub seed: u64,
}

impl Faults {
    /// Checks the values.
    ///
    /// # Errors
    ///
    /// [`RigError::InvalidParameter`] naming the bad option.
    pub fn check(&self) -> Result<(), RigError> {
        if !(self.rate.is_finite() && (0.0..=0.5).contains(&self.rate)) {
            return Err(RigError::param(
                "fault_rate",
                format!("must be between 0 and 0.5, not {}", self.rate),
            ));
        }
        if self.reset_every == Some(0) {
            return Err(RigError::param("reset_every", "must be at least 1"));
        }
        Ok(())
    }
}

impl Hardware {
    /// Checks the values.
    ///
    /// # Errors
    ///
    /// [`RigError::InvalidParameter`] naming the bad key.
    pub fn check(&self) -> Result<(), RigError> {
        let positive = |key: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(RigError::param(
                    key,
                    format!("must be positive and finite, not {v}"),
                ))
            }
        };
        positive("field_full_scale", self.field_full_scale)?;
        positive("max_field", self.max_field)?;
        positive("max_slew", self.max_slew)?;
        positive("watchdog", self.watchdog)?;
        positive("adc_full_scale", self.adc_full_scale)?;
        if self.max_field > self.field_full_scale {
            return Err(RigError::param(
                "max_field",
                format!(
                    "{} T is beyond what the coils make at DAC full scale ({} T)",
                    self.max_field, self.field_full_scale
                ),
            ));
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(RigError::param(
                "noise",
                format!("must be non-negative and finite, not {}", self.noise),
            ));
        }
        Ok(())
    }

    fn device_config(&self, channels: usize, boot_id: u32) -> Result<DeviceConfig, RigError> {
        let s = |v: &str| HString::<24>::try_from(v).unwrap_or_default();
        let channels = u16::try_from(channels)
            .ok()
            .filter(|k| (1..=physrc_rig_firmware::MAX_CHANNELS).contains(k))
            .ok_or_else(|| {
                RigError::param(
                    "readout",
                    format!(
                        "gives {channels} channels; the rig reads 1 to {}",
                        physrc_rig_firmware::MAX_CHANNELS
                    ),
                )
            })?;
        let cfg = DeviceConfig {
            maker: s("physrc"),
            model: s("emulated nanomagnet rig"),
            serial: s("EMU-0001"),
            firmware: HString::try_from(FIRMWARE_VERSION).unwrap_or_default(),
            channels,
            limits: Limits {
                max_field_mt: (self.max_field * 1e3) as f32,
                max_slew_mt_per_ms: self.max_slew as f32,
                watchdog_ms: (self.watchdog * 1e3).round() as u32,
            },
            calibration: Calibration {
                field_full_scale_mt: (self.field_full_scale * 1e3) as f32,
                adc_full_scale: self.adc_full_scale as f32,
            },
            boot_id,
        };
        cfg.validate()
            .map_err(|e| RigError::param("emulator", e.to_string()))?;
        Ok(cfg)
    }
}

/// What the emulator did, for tests and the end of `physrc rig emulate`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmulatorReport {
    /// Frames (commands) received.
    pub commands: u64,
    /// Device resets performed.
    pub resets: u64,
    /// Bytes faulted, both directions.
    pub faulted_bytes: u64,
    /// Coil field updates the sample relaxed in.
    pub field_updates: u64,
}

/// The byte link an emulator serves on.
pub trait EmulatorPort {
    /// Reads what is there, waiting at most about a millisecond; `Ok(0)` when nothing came.
    ///
    /// # Errors
    ///
    /// The link closed or failed: the emulator stops.
    fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize>;

    /// Writes every byte.
    ///
    /// # Errors
    ///
    /// The link closed or failed: the emulator stops.
    fn write_all_bytes(&mut self, bytes: &[u8]) -> io::Result<()>;
}

impl EmulatorPort for MemoryLink {
    fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match embedded_io::Read::read(self, buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(0),
            Err(e) => Err(e),
        }
    }

    fn write_all_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        embedded_io::Write::write_all(self, bytes)
    }
}

impl EmulatorPort for serialport::TTYPort {
    fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match io::Read::read(self, buf) {
            Ok(n) => Ok(n),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }

    fn write_all_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        io::Write::write_all(self, bytes)?;
        io::Write::flush(self)
    }
}

/// Everything needed to serve one emulated rig.
#[derive(Debug, Clone)]
pub struct Emulator {
    /// The simulated sample.
    pub sample: NanomagnetReservoir,
    /// Calibration, limits, noise.
    pub hardware: Hardware,
    /// Injected faults.
    pub faults: Faults,
    /// Pace the link to this many bits per second (10 bits a byte), or not at all.
    pub baud: Option<u32>,
}

type SimDevice = Device<SimAd5791, SimAd5791, SimAds8681, SimPin, SimPin, SimPin, SimDelay>;

fn build_device(world: &Rc<RefCell<World>>, cfg: DeviceConfig) -> Result<SimDevice, RigError> {
    let p = Peripherals {
        dac_x: SimAd5791::new(world.clone(), Axis::X),
        dac_y: SimAd5791::new(world.clone(), Axis::Y),
        adc: SimAds8681::new(world.clone()),
        ldac: SimPin::new(world.clone(), Line::Ldac),
        coil_enable: SimPin::new(world.clone(), Line::CoilEnable),
        sweep_trigger: SimPin::new(world.clone(), Line::SweepTrigger),
        delay: SimDelay::new(world.clone()),
    };
    Device::new(p, cfg).map_err(|(_, e)| RigError::Emulator(format!("firmware refused: {e}")))
}

/// Collects what the device writes.
struct TxBuffer(Vec<u8>);

impl embedded_io::ErrorType for TxBuffer {
    type Error = core::convert::Infallible;
}

impl embedded_io::Write for TxBuffer {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Seeded faults, drawn once per frame: a faulted frame has one of its bytes dropped,
/// corrupted, duplicated or delayed.
///
/// The rate is per frame rather than per byte so that it means the same for a 12-byte
/// acknowledgement and a 500-byte block of results: a per-byte rate of 1 % would destroy
/// almost every long frame, which says more about the frame length than about the protocol.
struct FaultInjector {
    rate: f64,
    rng: ChaCha8Rng,
    count: u64,
}

enum Fate {
    Keep(u8),
    Drop,
    Twice(u8),
    Late(u8, Duration),
}

impl FaultInjector {
    /// Sends the bytes of one frame (its delimiter included) down `wire`, faulting one of
    /// them with probability `rate`.
    fn frame(&mut self, frame: &[u8], wire: &mut Wire) {
        let hit = if self.rate > 0.0 && !frame.is_empty() && self.rng.random_bool(self.rate) {
            self.count += 1;
            Some(self.rng.random_range(0..frame.len()))
        } else {
            None
        };
        for (i, &b) in frame.iter().enumerate() {
            let fate = if hit == Some(i) {
                match self.rng.random_range(0..4u8) {
                    0 => Fate::Drop,
                    1 => Fate::Keep(b ^ self.rng.random_range(1..=255u8)),
                    2 => Fate::Twice(b),
                    _ => Fate::Late(b, Duration::from_millis(self.rng.random_range(1..=20))),
                }
            } else {
                Fate::Keep(b)
            };
            wire.push_fated(fate);
        }
    }

    /// Sends every complete frame at the front of `pending` down `wire`; a partial frame
    /// stays pending.
    fn frames(&mut self, pending: &mut Vec<u8>, wire: &mut Wire) {
        let mut start = 0;
        while let Some(end) = pending[start..].iter().position(|&b| b == 0) {
            let stop = start + end + 1;
            self.frame(&pending[start..stop], wire);
            start = stop;
        }
        pending.drain(..start);
    }
}

/// A one-way wire: bytes become available one byte time after the previous one.
struct Wire {
    byte_time: Option<Duration>,
    clock: Instant,
    queue: VecDeque<(Instant, u8)>,
}

impl Wire {
    fn new(baud: Option<u32>) -> Self {
        Wire {
            byte_time: baud.map(|b| Duration::from_secs_f64(10.0 / f64::from(b.max(1)))),
            clock: Instant::now(),
            queue: VecDeque::new(),
        }
    }

    fn push(&mut self, b: u8, extra: Duration) {
        let now = Instant::now();
        let start = self.clock.max(now) + extra;
        let at = start + self.byte_time.unwrap_or_default();
        self.clock = at;
        self.queue.push_back((at, b));
    }

    fn push_fated(&mut self, fate: Fate) {
        match fate {
            Fate::Keep(b) => self.push(b, Duration::ZERO),
            Fate::Drop => {}
            Fate::Twice(b) => {
                self.push(b, Duration::ZERO);
                self.push(b, Duration::ZERO);
            }
            Fate::Late(b, d) => self.push(b, d),
        }
    }

    fn ready(&mut self, out: &mut Vec<u8>) {
        let now = Instant::now();
        while let Some(&(at, b)) = self.queue.front() {
            if at > now {
                break;
            }
            out.push(b);
            self.queue.pop_front();
        }
    }

    fn next_at(&self) -> Option<Instant> {
        self.queue.front().map(|&(at, _)| at)
    }
}

impl Emulator {
    /// Serves the device on `port` until the link closes or the emulator hangs up.
    ///
    /// # Errors
    ///
    /// [`RigError::Emulator`] when the firmware refuses the configuration.
    pub fn serve<P: EmulatorPort>(self, port: &mut P) -> Result<EmulatorReport, RigError> {
        self.hardware.check()?;
        self.faults.check()?;
        let channels = {
            use physrc_core::Reservoir;
            self.sample.state_dim()
        };
        let mut boots = ChaCha8Rng::seed_from_u64(self.hardware.seed ^ 0xB007_1D5E_ED00_0000);
        let world = Rc::new(RefCell::new(World::new(
            self.sample,
            self.hardware.field_full_scale,
            self.hardware.adc_full_scale,
            self.hardware.noise,
            self.hardware.seed,
        )));
        let mut device = build_device(
            &world,
            self.hardware.device_config(channels, boots.random())?,
        )?;
        let mut faults_in = FaultInjector {
            rate: self.faults.rate,
            rng: ChaCha8Rng::seed_from_u64(self.faults.seed),
            count: 0,
        };
        let mut faults_out = FaultInjector {
            rate: self.faults.rate,
            rng: ChaCha8Rng::seed_from_u64(self.faults.seed.wrapping_add(0x5EED)),
            count: 0,
        };
        let mut rx = Wire::new(self.baud);
        let mut tx = Wire::new(self.baud);
        let start = Instant::now();
        let mut report = EmulatorReport::default();
        let mut frame: Vec<u8> = Vec::new();
        let mut rx_pending: Vec<u8> = Vec::new();
        let mut out = TxBuffer(Vec::new());
        let mut buf = [0u8; 1024];
        let mut ready = Vec::new();
        let now_ms = |world: &Rc<RefCell<World>>| {
            let virt = world.borrow().virtual_ns() / 1_000_000;
            (start.elapsed().as_millis() as u64).wrapping_add(virt) as u32
        };
        while let Ok(n) = port.read_some(&mut buf) {
            rx_pending.extend_from_slice(&buf[..n]);
            faults_in.frames(&mut rx_pending, &mut rx);
            ready.clear();
            rx.ready(&mut ready);
            for &b in &ready {
                frame.push(b);
                if b != 0 {
                    continue;
                }
                report.commands += 1;
                if let Some(every) = self.faults.reset_every
                    && report.commands % every == 0
                {
                    // Power-on reset: pins float, the interlock's pull-down opens the coils,
                    // the firmware starts over with a new boot id and empty caches.
                    world.borrow_mut().mcu_reset();
                    report.resets += 1;
                    let cfg = self.hardware.device_config(channels, boots.random())?;
                    device = build_device(&world, cfg)?;
                }
                let _ = device.receive(&frame, now_ms(&world), &mut out);
                frame.clear();
                if self
                    .faults
                    .hang_up_after
                    .is_some_and(|h| report.commands >= h)
                {
                    report.field_updates = world.borrow().field_updates();
                    report.faulted_bytes = faults_in.count + faults_out.count;
                    return Ok(report);
                }
            }
            // Like a UART's transmit buffer: the device runs its block only as fast as the
            // wire drains.
            if tx.queue.len() < 64 {
                let _ = device.poll(now_ms(&world), &mut out);
            }
            faults_out.frames(&mut out.0, &mut tx);
            ready.clear();
            tx.ready(&mut ready);
            if !ready.is_empty() && port.write_all_bytes(&ready).is_err() {
                break;
            }
            if n == 0 && ready.is_empty() && !device.busy() {
                // Idle: wait for whichever wire has the next byte due, briefly.
                let next = [rx.next_at(), tx.next_at()].into_iter().flatten().min();
                if let Some(at) = next {
                    let now = Instant::now();
                    if at > now {
                        std::thread::sleep((at - now).min(Duration::from_millis(1)));
                    }
                }
            }
        }
        report.field_updates = world.borrow().field_updates();
        report.faulted_bytes = faults_in.count + faults_out.count;
        Ok(report)
    }

    /// Starts the emulator on a thread of this process and returns the host's end of an
    /// in-memory link to it. The emulator stops when that end is dropped.
    ///
    /// # Errors
    ///
    /// [`RigError::Emulator`] when the thread cannot start.
    pub fn spawn(
        self,
    ) -> Result<
        (
            MemoryLink,
            std::thread::JoinHandle<Result<EmulatorReport, RigError>>,
        ),
        RigError,
    > {
        let (host, mut device_end) = crate::link::memory_pair();
        device_end.set_timeout(Duration::from_millis(1));
        let handle = std::thread::Builder::new()
            .name("physrc-rig-emulator".into())
            .spawn(move || self.serve(&mut device_end))
            .map_err(|e| RigError::Emulator(format!("cannot start its thread: {e}")))?;
        Ok((host, handle))
    }
}

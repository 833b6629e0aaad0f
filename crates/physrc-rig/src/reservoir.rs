//! The rig as a [`Reservoir`]: inputs become coil fields through the nanomagnet crate's
//! encoders, the state is the detector's K channels.
//!
//! # Contract
//!
//! - The field sequence of an input is exactly the simulator's ([`FieldEncoder`]), so the same
//!   config runs in simulation and on the rig.
//! - [`reset`](Reservoir::reset) saturates the sample (ramps to the saturating field, then back
//!   to zero): a magnetic microstate cannot be loaded, only prepared.
//! - When the device resets mid-run (a new boot id), the sample's history is uncertain: the
//!   rig saturates it again and replays every input since the last `reset`, discarding those
//!   measurements, then goes on. A device reset costs time, never correctness.
//! - Inputs and fields are checked before anything is sent: a bad input leaves the rig
//!   untouched, and a field beyond the limits is refused by the host (and again by the
//!   firmware).

use ndarray::{ArrayView2, ArrayViewMut2};
use physrc_core::{
    Error, Info, Reservoir, check_input, check_state_len, check_states_shape, validate_sequence,
};
use physrc_nanomagnet::FieldEncoder;
use physrc_rig_protocol::BlockStep;

use crate::driver::{LinkStats, Rig, code_to_value};
use crate::error::RigError;
use crate::link::Transport;

/// Device resets in a row after which the rig gives up recovering.
const MAX_RECOVERIES_IN_A_ROW: u32 = 16;

/// How a [`RigReservoir`] drives its rig.
#[derive(Debug, Clone, PartialEq)]
pub struct RigDrive {
    /// Inputs to field samples.
    pub encoder: FieldEncoder,
    /// Wait after each field set point, microseconds.
    pub settle_us: u32,
    /// The saturating field `reset` applies, tesla.
    pub saturate: [f64; 2],
    /// Inputs per batched block.
    pub batch: usize,
}

/// A nanomagnet rig driven as a reservoir.
#[derive(Debug)]
pub struct RigReservoir {
    rig: Rig<Transport>,
    drive: RigDrive,
    port: String,
    /// Inputs since the last reset, row after row (what a recovery replays).
    history: Vec<f64>,
    last_drive: Vec<f64>,
    fields: Vec<[f64; 2]>,
    recoveries: u64,
    emulator: Option<std::thread::JoinHandle<Result<crate::EmulatorReport, RigError>>>,
}

impl RigReservoir {
    /// Wraps a connected rig.
    ///
    /// # Errors
    ///
    /// [`RigError::InvalidParameter`] when the encoder or the saturating field can exceed the
    /// field limit in force.
    pub fn new(rig: Rig<Transport>, drive: RigDrive, port: String) -> Result<Self, RigError> {
        let limit_mt = rig.field_limit_mt();
        let max_mt = drive.encoder.max_field() * 1e3;
        if max_mt > limit_mt {
            return Err(RigError::param(
                "h_max",
                format!(
                    "the encoder reaches {max_mt} mT, beyond the rig's field limit of {limit_mt} mT"
                ),
            ));
        }
        let sat_mt = drive.saturate[0].hypot(drive.saturate[1]) * 1e3;
        if !(sat_mt.is_finite() && sat_mt <= limit_mt) {
            return Err(RigError::param(
                "saturate",
                format!("{sat_mt} mT is beyond the rig's field limit of {limit_mt} mT"),
            ));
        }
        if drive.batch == 0 {
            return Err(RigError::param("batch", "must be at least 1"));
        }
        if rig.identity().channels == 0 {
            return Err(RigError::param(
                "port",
                "the rig reports no readout channels",
            ));
        }
        Ok(RigReservoir {
            rig,
            drive,
            port,
            history: Vec::new(),
            last_drive: Vec::new(),
            fields: Vec::new(),
            recoveries: 0,
            emulator: None,
        })
    }

    pub(crate) fn with_emulator(
        mut self,
        handle: std::thread::JoinHandle<Result<crate::EmulatorReport, RigError>>,
    ) -> Self {
        self.emulator = Some(handle);
        self
    }

    /// The driver.
    pub fn rig(&self) -> &Rig<Transport> {
        &self.rig
    }

    /// The driver, for direct instrument control between runs.
    pub fn rig_mut(&mut self) -> &mut Rig<Transport> {
        &mut self.rig
    }

    /// What the driver has seen on the link.
    pub fn link_stats(&self) -> LinkStats {
        self.rig.stats()
    }

    /// Device resets recovered from (saturate + replay) since this reservoir was made.
    pub fn recoveries(&self) -> u64 {
        self.recoveries
    }

    fn saturate(&mut self) -> Result<(), RigError> {
        let [x, y] = self.drive.saturate;
        self.rig.set_field(x * 1e3, y * 1e3, self.drive.settle_us)?;
        self.rig.set_field(0.0, 0.0, self.drive.settle_us)?;
        Ok(())
    }

    /// The block steps of `inputs` (rows of `input_dim`), the last field of each measured.
    fn steps_of(&mut self, inputs: &[f64], measure: bool) -> Result<Vec<BlockStep>, Error> {
        let d = self.drive.encoder.input_dim();
        let mut steps = Vec::new();
        for row in inputs.chunks_exact(d) {
            self.drive.encoder.fields(row, &mut self.fields)?;
            let n = self.fields.len();
            for (k, h) in self.fields.iter().enumerate() {
                steps.push(BlockStep {
                    x_mt: (h[0] * 1e3) as f32,
                    y_mt: (h[1] * 1e3) as f32,
                    measure: measure && k + 1 == n,
                });
            }
        }
        Ok(steps)
    }

    /// Saturates and replays the history after a device reset, until one attempt completes.
    fn recover(&mut self) -> Result<(), Error> {
        let history = std::mem::take(&mut self.history);
        let steps = self.steps_of(&history, false);
        self.history = history;
        let steps = steps?;
        for _ in 0..MAX_RECOVERIES_IN_A_ROW {
            self.recoveries += 1;
            let attempt = (|| {
                self.rig.identify()?;
                self.saturate()?;
                self.rig.run_steps(&steps, self.drive.settle_us, |_, _| {})
            })();
            match attempt {
                Ok(()) => return Ok(()),
                Err(RigError::DeviceReset { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RigError::Protocol {
            what: "recovery",
            got: format!("the device reset {MAX_RECOVERIES_IN_A_ROW} times in a row"),
        }
        .into())
    }

    /// Drives validated inputs (rows of `input_dim`), writing states row by row into `out`.
    fn drive_rows(&mut self, inputs: &[f64], out: &mut [f64]) -> Result<(), Error> {
        let d = self.drive.encoder.input_dim();
        let k = self.state_dim();
        let fs = self.rig.full_scale();
        let total = inputs.len() / d;
        let mut done = 0usize;
        let mut resets = 0u32;
        while done < total {
            let end = (done + self.drive.batch).min(total);
            let steps = self.steps_of(&inputs[done * d..end * d], true)?;
            let mut got = 0usize;
            let base = done;
            let result = self
                .rig
                .run_steps(&steps, self.drive.settle_us, |i, codes| {
                    let row = &mut out[(base + i) * k..(base + i + 1) * k];
                    for (o, &c) in row.iter_mut().zip(codes) {
                        *o = code_to_value(c, fs);
                    }
                    got = i + 1;
                });
            // Whatever was measured is part of the sample's history now.
            self.history
                .extend_from_slice(&inputs[done * d..(done + got) * d]);
            done += got;
            match result {
                Ok(()) => resets = 0,
                Err(RigError::DeviceReset { .. }) => {
                    resets += 1;
                    if resets > MAX_RECOVERIES_IN_A_ROW {
                        return Err(RigError::Protocol {
                            what: "run",
                            got: format!("the device reset {resets} times without progress"),
                        }
                        .into());
                    }
                    self.recover()?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn record_last_drive(&mut self, last_input: &[f64]) {
        self.last_drive.clear();
        if self
            .drive
            .encoder
            .fields(last_input, &mut self.fields)
            .is_err()
        {
            return;
        }
        // The field the DAC codes make: the set point rounded to the DAC's step.
        let lsb = f64::from(self.rig.identity().field_lsb_mt);
        for h in &self.fields {
            for v in h {
                let mt = v * 1e3;
                let q = if lsb > 0.0 {
                    (mt / lsb).round() * lsb
                } else {
                    mt
                };
                self.last_drive.push(q * 1e-3);
            }
        }
    }
}

impl Reservoir for RigReservoir {
    fn input_dim(&self) -> usize {
        self.drive.encoder.input_dim()
    }

    fn state_dim(&self) -> usize {
        usize::from(self.rig.identity().channels)
    }

    fn reset(&mut self) -> Result<(), Error> {
        self.history.clear();
        self.last_drive.clear();
        for _ in 0..MAX_RECOVERIES_IN_A_ROW {
            match self.saturate() {
                Ok(()) => return Ok(()),
                Err(RigError::DeviceReset { .. }) => {
                    self.rig.identify()?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(RigError::Protocol {
            what: "reset",
            got: format!("the device reset {MAX_RECOVERIES_IN_A_ROW} times in a row"),
        }
        .into())
    }

    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
        check_input(input, self.input_dim())?;
        check_state_len(state_out, self.state_dim())?;
        self.drive_rows(input, state_out)?;
        self.record_last_drive(input);
        Ok(())
    }

    /// The whole sequence in batched transactions, into the caller's rows.
    fn run_into(
        &mut self,
        inputs: ArrayView2<'_, f64>,
        mut states: ArrayViewMut2<'_, f64>,
    ) -> Result<(), Error> {
        check_states_shape(inputs, &states, self.state_dim())?;
        validate_sequence(inputs, self.input_dim())?;
        let flat: Vec<f64> = inputs.iter().copied().collect();
        match states.as_slice_mut() {
            Some(out) => self.drive_rows(&flat, out)?,
            None => {
                let mut out = vec![0.0; states.len()];
                let driven = self.drive_rows(&flat, &mut out);
                // Copied back before the error is returned: the rows measured before a fault
                // hold their states, as the trait promises.
                states.iter_mut().zip(&out).for_each(|(s, v)| *s = *v);
                driven?;
            }
        }
        if let Some(last) = flat.chunks_exact(self.input_dim().max(1)).last() {
            let last = last.to_vec();
            self.record_last_drive(&last);
        }
        Ok(())
    }

    fn replay(&mut self, inputs: ArrayView2<'_, f64>) -> Result<(), Error> {
        validate_sequence(inputs, self.input_dim())?;
        let flat: Vec<f64> = inputs.iter().copied().collect();
        let steps = self.steps_of(&flat, false)?;
        match self.rig.run_steps(&steps, self.drive.settle_us, |_, _| {}) {
            Ok(()) => {}
            Err(RigError::DeviceReset { .. }) => {
                // The replay is the history now; recovering replays it whole.
                self.history.extend_from_slice(&flat);
                return self.recover();
            }
            Err(e) => return Err(e.into()),
        }
        self.history.extend_from_slice(&flat);
        Ok(())
    }

    fn last_drive(&self) -> &[f64] {
        &self.last_drive
    }

    fn info(&self) -> Info {
        let id = self.rig.identity();
        let (h_min, h_max) = self.drive.encoder.amplitude_range();
        Info::new("rig")
            .with("port", self.port.as_str())
            .with("maker", id.maker.as_str())
            .with("model", id.model.as_str())
            .with("serial", id.serial.as_str())
            .with("firmware", id.firmware.as_str())
            .with("protocol", u64::from(id.protocol))
            .with("channels", u64::from(id.channels))
            .with("max_field_mt", f64::from(id.limits.max_field_mt))
            .with(
                "max_slew_mt_per_ms",
                f64::from(id.limits.max_slew_mt_per_ms),
            )
            .with("watchdog_ms", u64::from(id.limits.watchdog_ms))
            .with("h_min", h_min)
            .with("h_max", h_max)
            .with("phi_deg", self.drive.encoder.phi().to_degrees())
            .with("settle_us", u64::from(self.drive.settle_us))
            .with("batch", self.drive.batch)
    }
}

impl Drop for RigReservoir {
    fn drop(&mut self) {
        // Leave the coils off; a failure here has nobody left to tell.
        let _ = self.rig.coils_off();
        if let Some(h) = self.emulator.take() {
            // The emulator stops when its link closes, which happens when `rig` drops after
            // this; detach rather than wait for it.
            drop(h);
        }
    }
}

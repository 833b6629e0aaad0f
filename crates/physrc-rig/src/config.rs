//! The `[substrate]` table of `kind = "rig"`, and the emulator's table.

use std::path::Path;
use std::time::Duration;

use physrc_core::{MemoryBudget, bytes_for};
use physrc_nanomagnet::{Encoder, FieldEncoder, NanomagnetConfig, NanomagnetReservoir};
use physrc_rig_protocol::BlockStep;
use serde::Deserialize;

use crate::driver::{DriverOptions, Rig};
use crate::emulator::{Emulator, Faults, Hardware};
use crate::error::RigError;
use crate::link::Transport;
use crate::reservoir::{RigDrive, RigReservoir};

/// Most inputs per batched block (`batch`).
pub const MAX_BATCH: usize = 1 << 20;

/// Most attempts after the first (`retries`): with the longest `timeout` a request then gives
/// up after about four days of silence, and the attempt count cannot overflow.
pub const MAX_RETRIES: u32 = 100;

/// The port name that starts the emulator in this process instead of opening a serial port.
pub const EMULATOR_PORT: &str = "emulator";

/// The `[substrate]` table of a run config with `kind = "rig"` (minus `kind`).
///
/// ```toml
/// [substrate]
/// kind = "rig"
/// port = "/dev/ttyUSB0"   # or "emulator" (the default): the emulator in this process
/// baud = 115200
/// timeout = 0.5           # seconds per attempt
/// encoder = "loop"        # the nanomagnet substrate's encoder keys, fields in tesla
/// h_min = 0.076
/// h_max = 0.086
/// phi = 45
///
/// [substrate.emulator]    # the emulated sample: the keys of kind = "nanomagnet"
/// geometry = "square-closed"
/// size = [10, 10]
/// readout = "fmr"
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RigConfig {
    /// Serial port path, or `"emulator"` (default) for the emulator in this process.
    #[serde(default = "emulator_port")]
    pub port: String,
    /// Baud rate of the serial port (default 115200).
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// Seconds to wait for each attempt of a request (default 0.5).
    #[serde(default = "default_timeout")]
    pub timeout: f64,
    /// Attempts after the first before a request fails (default 5, at most [`MAX_RETRIES`]).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// A host-side field limit in tesla, used when stricter than the rig's own.
    #[serde(default)]
    pub max_field: Option<f64>,
    /// Seconds to wait at each field set point before going on (default 0.001).
    #[serde(default = "default_settle")]
    pub settle: f64,
    /// The saturating field `reset` applies, `[x, y]` tesla (default: the rig's field limit
    /// along `phi`, which sets every bar of square and kagome ice to +1).
    #[serde(default)]
    pub saturate: Option<[f64; 2]>,
    /// Inputs sent per batched block (default 64, at most [`MAX_BATCH`]).
    #[serde(default = "default_batch")]
    pub batch: usize,
    /// Seed of the in-process emulator's sample and noise (default 0); `physrc run --seed`
    /// sets it. A real rig has no seed.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Input encoder (default `loop`), as for `kind = "nanomagnet"`.
    #[serde(default)]
    pub encoder: Encoder,
    /// Field amplitude at `u = −1`, tesla (default 0).
    #[serde(default)]
    pub h_min: f64,
    /// Field amplitude at `u = +1`, tesla (required).
    pub h_max: f64,
    /// Field angle in degrees (default 45).
    #[serde(default)]
    pub phi: Option<f64>,
    /// `angle` encoder: angle at `u = −1`, degrees.
    #[serde(default)]
    pub phi0: Option<f64>,
    /// `angle` encoder: angle at `u = +1`, degrees.
    #[serde(default)]
    pub phi1: Option<f64>,
    /// Field samples per input for `sine`, `triangle` and `rotate`.
    #[serde(default)]
    pub timesteps: Option<usize>,
    /// The in-process emulator: the sample's keys (those of `kind = "nanomagnet"`, without
    /// the encoder keys, which come from this table) and the emulated hardware's
    /// (`field_full_scale`, `max_field`, `max_slew`, `watchdog`, `adc_full_scale`, `noise`,
    /// `fault_rate`, `reset_every`, `fault_seed`). Only with `port = "emulator"`.
    #[serde(default)]
    #[schemars(schema_with = "emulator_schema")]
    pub emulator: Option<toml::Table>,
}

/// The emulator table's schema: the sample's keys (those of `kind = "nanomagnet"` less the
/// encoder keys, which [`RigConfig`] owns) together with the emulated hardware's keys, in one
/// object that accepts no other key, as [`emulator_from_table`] does.
fn emulator_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<NanomagnetConfig>();
    let hardware = generator.subschema_for::<HardwareKeys>();
    let definition = |generator: &schemars::SchemaGenerator, name: &str| {
        generator
            .definitions()
            .get(name)
            .cloned()
            .unwrap_or_default()
    };
    let mut sample = definition(generator, "NanomagnetConfig");
    let hardware = hardware
        .get("$ref")
        .and_then(|r| r.as_str())
        .and_then(|r| r.rsplit('/').next())
        .map(|name| definition(generator, name))
        .unwrap_or_default();
    if let Some(object) = sample.as_object_mut() {
        if let Some(properties) = object.get_mut("properties").and_then(|p| p.as_object_mut()) {
            for key in ENCODER_KEYS {
                properties.remove(*key);
            }
            if let Some(extra) = hardware.get("properties").and_then(|p| p.as_object()) {
                properties.extend(extra.clone());
            }
        }
        if let Some(required) = object.get_mut("required").and_then(|r| r.as_array_mut()) {
            required.retain(|k| !k.as_str().is_some_and(|k| ENCODER_KEYS.contains(&k)));
        }
        object.insert(
            "description".to_owned(),
            "The emulated sample (the keys of kind = \"nanomagnet\" less the encoder keys) \
             and the emulated hardware."
                .into(),
        );
    }
    let object = schemars::json_schema!({ "anyOf": [sample, { "type": "null" }] });
    object
}

fn emulator_port() -> String {
    EMULATOR_PORT.to_owned()
}
fn default_baud() -> u32 {
    115_200
}
fn default_timeout() -> f64 {
    0.5
}
fn default_retries() -> u32 {
    5
}
fn default_settle() -> f64 {
    1e-3
}
fn default_batch() -> usize {
    64
}

/// The encoder keys: the rig's table owns them, a sample table must not set them.
pub const ENCODER_KEYS: &[&str] = &[
    "encoder",
    "h_min",
    "h_max",
    "phi",
    "phi0",
    "phi1",
    "timesteps",
];

/// The emulated hardware's keys in an emulator table.
const HARDWARE_KEYS: &[&str] = &[
    "field_full_scale",
    "max_field",
    "max_slew",
    "watchdog",
    "adc_full_scale",
    "noise",
    "fault_rate",
    "reset_every",
    "fault_seed",
];

/// The sample an emulator serves when none is configured: 10×10 square ice (flatspin's
/// defaults, 5 % disorder) read as a 64-channel FMR spectrum.
pub fn default_sample_table() -> toml::Table {
    let mut t = toml::Table::new();
    t.insert("geometry".into(), "square-closed".into());
    t.insert(
        "size".into(),
        toml::Value::Array(vec![10.into(), 10.into()]),
    );
    t.insert("disorder".into(), 0.05.into());
    t.insert("readout".into(), "fmr".into());
    t
}

impl RigConfig {
    /// The key this table takes its seed under (the in-process emulator's sample and noise; a
    /// real rig has none). `physrc run --seed` and the sweeps set it.
    pub const SEED_KEY: &'static str = "seed";

    /// The encoder this table describes.
    ///
    /// # Errors
    ///
    /// As [`FieldEncoder::new`].
    pub fn field_encoder(&self) -> Result<FieldEncoder, RigError> {
        FieldEncoder::new(
            self.encoder,
            self.h_min,
            self.h_max,
            self.phi,
            self.phi0,
            self.phi1,
            self.timesteps,
        )
        .map_err(RigError::Sample)
    }

    /// Checks every key, starts the emulator if asked, connects and returns the reservoir.
    ///
    /// # Errors
    ///
    /// [`RigError::InvalidParameter`] for a bad key, [`RigError::Sample`] for a bad emulator
    /// sample, [`RigError::Port`] when the port cannot be opened, a timeout when the rig does
    /// not answer.
    pub fn build(&self, base_dir: &Path, input_dim: usize) -> Result<RigReservoir, RigError> {
        self.build_inner(base_dir, input_dim, None, MemoryBudget::UNLIMITED)
    }

    /// As [`build`](Self::build), refusing before anything is allocated or started when the
    /// batched blocks or the emulated sample would need more memory than `budget`.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build); [`RigError::Memory`] naming `batch` and the estimate, or
    /// [`RigError::Sample`] with the sample's memory error.
    pub fn build_within(
        &self,
        base_dir: &Path,
        input_dim: usize,
        budget: MemoryBudget,
    ) -> Result<RigReservoir, RigError> {
        self.build_inner(base_dir, input_dim, None, budget)
    }

    /// As [`build`](Self::build), with the in-process emulator's link paced to `baud` (10 bits
    /// a byte), as a serial line would be: for throughput measurements.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    pub fn build_paced(
        &self,
        base_dir: &Path,
        input_dim: usize,
        baud: u32,
    ) -> Result<RigReservoir, RigError> {
        self.build_inner(base_dir, input_dim, Some(baud), MemoryBudget::UNLIMITED)
    }

    fn build_inner(
        &self,
        base_dir: &Path,
        input_dim: usize,
        baud: Option<u32>,
        budget: MemoryBudget,
    ) -> Result<RigReservoir, RigError> {
        let encoder = self.field_encoder()?;
        if input_dim != encoder.input_dim() {
            return Err(RigError::param(
                "encoder",
                format!(
                    "takes {} input component(s), but the data has {input_dim}",
                    encoder.input_dim()
                ),
            ));
        }
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 3600.0) {
            return Err(RigError::param(
                "timeout",
                format!("must be between 0 and 3600 seconds, not {}", self.timeout),
            ));
        }
        if !(self.settle.is_finite() && (0.0..=10.0).contains(&self.settle)) {
            return Err(RigError::param(
                "settle",
                format!("must be between 0 and 10 seconds, not {}", self.settle),
            ));
        }
        if self.batch == 0 || self.batch > MAX_BATCH {
            return Err(RigError::param("batch", "must be between 1 and 1048576"));
        }
        // A batch is turned into one block step per field sample before it is sent.
        let samples = encoder.samples_per_input() as u64;
        budget.check(
            "batch",
            format_args!("{} (with {samples} field samples per input)", self.batch),
            bytes_for(
                (self.batch as u64).saturating_mul(samples),
                size_of::<BlockStep>() as u64,
            ),
        )?;
        if self.baud == 0 {
            return Err(RigError::param("baud", "must be positive"));
        }
        if self.retries > MAX_RETRIES {
            return Err(RigError::param(
                "retries",
                format!("must be at most {MAX_RETRIES}, not {}", self.retries),
            ));
        }
        if let Some(m) = self.max_field
            && !(m.is_finite() && m > 0.0)
        {
            return Err(RigError::param(
                "max_field",
                format!("must be positive and finite, not {m}"),
            ));
        }
        let options = DriverOptions {
            timeout: Duration::from_secs_f64(self.timeout),
            retries: self.retries,
        };
        let (transport, emulator) = if self.port == EMULATOR_PORT {
            let table = self.emulator.clone().unwrap_or_else(default_sample_table);
            let mut emu =
                emulator_from_table_within(&table, self, base_dir, self.seed.unwrap_or(0), budget)?;
            emu.baud = baud;
            let (link, handle) = emu.spawn()?;
            (Transport::Memory(link), Some(handle))
        } else {
            if self.emulator.is_some() {
                return Err(RigError::param(
                    "emulator",
                    format!(
                        "applies to port = \"{EMULATOR_PORT}\" only, not {:?}",
                        self.port
                    ),
                ));
            }
            (Transport::open_serial(&self.port, self.baud)?, None)
        };
        let mut rig = Rig::connect(transport, options)?;
        rig.set_host_field_limit(self.max_field.map(|t| t * 1e3));
        let limit = rig.field_limit_mt() * 1e-3;
        let saturate = self.saturate.unwrap_or_else(|| {
            let phi = encoder.phi();
            [limit * phi.cos(), limit * phi.sin()]
        });
        let drive = RigDrive {
            encoder,
            settle_us: (self.settle * 1e6).round() as u32,
            saturate,
            batch: self.batch,
        };
        let r = RigReservoir::new(rig, drive, self.port.clone())?;
        Ok(match emulator {
            Some(h) => r.with_emulator(h),
            None => r,
        })
    }
}

/// Builds an emulator from a table of sample keys (those of `kind = "nanomagnet"`) and
/// hardware keys, driven with `rig`'s encoder keys.
///
/// # Errors
///
/// [`RigError::InvalidParameter`] for encoder keys in the table or a bad hardware value;
/// [`RigError::Sample`] for a bad sample key.
pub fn emulator_from_table(
    table: &toml::Table,
    rig: &RigConfig,
    base_dir: &Path,
    seed: u64,
) -> Result<Emulator, RigError> {
    emulator_from_table_within(table, rig, base_dir, seed, MemoryBudget::UNLIMITED)
}

/// As [`emulator_from_table`], refusing a sample that would need more memory than `budget`.
///
/// # Errors
///
/// As [`emulator_from_table`]; [`RigError::Sample`] with the sample's memory error.
pub fn emulator_from_table_within(
    table: &toml::Table,
    rig: &RigConfig,
    base_dir: &Path,
    seed: u64,
    budget: MemoryBudget,
) -> Result<Emulator, RigError> {
    let mut sample = table.clone();
    if let Some(k) = ENCODER_KEYS.iter().find(|k| sample.contains_key(**k)) {
        return Err(RigError::param(
            "emulator",
            format!("`{k}` belongs in [substrate], where the rig's encoder is set"),
        ));
    }
    let mut hw = toml::Table::new();
    for k in HARDWARE_KEYS {
        if let Some(v) = sample.remove(*k) {
            hw.insert((*k).to_owned(), v);
        }
    }
    let put = |t: &mut toml::Table, k: &str, v: Option<toml::Value>| {
        if let Some(v) = v {
            t.insert(k.to_owned(), v);
        }
    };
    put(&mut sample, "encoder", Some(rig.encoder.name().into()));
    put(&mut sample, "h_min", Some(rig.h_min.into()));
    put(&mut sample, "h_max", Some(rig.h_max.into()));
    put(&mut sample, "phi", rig.phi.map(Into::into));
    put(&mut sample, "phi0", rig.phi0.map(Into::into));
    put(&mut sample, "phi1", rig.phi1.map(Into::into));
    put(
        &mut sample,
        "timesteps",
        rig.timesteps.map(|t| toml::Value::Integer(t as i64)),
    );
    if !sample.contains_key("random_seed") {
        sample.insert(
            "random_seed".into(),
            toml::Value::Integer(i64::try_from(seed).unwrap_or(i64::MAX)),
        );
    }
    let cfg: NanomagnetConfig = toml::Value::Table(sample)
        .try_into()
        .map_err(|e: toml::de::Error| RigError::param("emulator", e.message().to_owned()))?;
    let reservoir = cfg
        .build_within(base_dir, cfg.encoder.input_dim(), budget)
        .map_err(RigError::Sample)?;
    let (hardware, faults) = hardware_from_table(&hw, seed)?;
    Ok(Emulator {
        sample: reservoir,
        hardware,
        faults,
        baud: None,
    })
}

/// Builds the sample reservoir of a nanomagnet config.
///
/// # Errors
///
/// [`RigError::Sample`] for a bad key.
pub fn build_sample(
    cfg: &NanomagnetConfig,
    base_dir: &Path,
) -> Result<NanomagnetReservoir, RigError> {
    cfg.build(base_dir, cfg.encoder.input_dim())
        .map_err(RigError::Sample)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct HardwareKeys {
    field_full_scale: Option<f64>,
    max_field: Option<f64>,
    max_slew: Option<f64>,
    watchdog: Option<f64>,
    adc_full_scale: Option<f64>,
    noise: Option<f64>,
    fault_rate: Option<f64>,
    reset_every: Option<u64>,
    fault_seed: Option<u64>,
}

fn hardware_from_table(t: &toml::Table, seed: u64) -> Result<(Hardware, Faults), RigError> {
    let k: HardwareKeys = toml::Value::Table(t.clone())
        .try_into()
        .map_err(|e: toml::de::Error| RigError::param("emulator", e.message().to_owned()))?;
    let d = Hardware::default();
    let hardware = Hardware {
        field_full_scale: k.field_full_scale.unwrap_or(d.field_full_scale),
        max_field: k.max_field.unwrap_or(d.max_field),
        max_slew: k.max_slew.unwrap_or(d.max_slew),
        watchdog: k.watchdog.unwrap_or(d.watchdog),
        adc_full_scale: k.adc_full_scale.unwrap_or(d.adc_full_scale),
        noise: k.noise.unwrap_or(d.noise),
        seed,
    };
    hardware.check()?;
    let faults = Faults {
        rate: k.fault_rate.unwrap_or(0.0),
        reset_every: k.reset_every,
        hang_up_after: None,
        seed: k.fault_seed.unwrap_or(seed),
    };
    faults.check()?;
    Ok((hardware, faults))
}

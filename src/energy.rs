//! Energy on one scale: what a run costs per input step, part by part.
//!
//! A substrate's own estimate ([`Reservoir::energy`](physrc_core::Reservoir::energy)) is the
//! dissipation inside the sample: switching energy, Joule heating. A lab pays more than that
//! per inference: the electronics that drive the sample (the coils that make the field, the
//! pulse generator) and the trained readout, which runs on conventional hardware for every
//! substrate. So `report.json` gets an [`EnergyBreakdown`] with each part next to the
//! others, each named by its model:
//!
//! - `substrate`: the substrate's intrinsic estimate; for the ESN, its operation counts
//!   priced on the configured platform ([`physrc_esn::energy`]).
//! - `drive`: the drive electronics, from the substrate's config and the inputs of the run:
//!   the coils of a nanomagnet array or rig ([`Coil`]), the 50 Ω pulse source of a
//!   memristor array, the bias source of a spin-torque oscillator.
//! - `readout_per_step`: the readout's multiply–adds and memory accesses for one prediction,
//!   on the configured platform.
//! - `training`: fitting the readout once (accumulating `XᵀX`, the factorisation or
//!   eigendecomposition), on the same platform.
//! - `total_per_step`: substrate, drive and readout per step; training is reported apart.
//!
//! A part without a model says so: `modelled` is false, its joules are 0 and `model` says
//! why, so a missing model is never mistaken for a free part.
//!
//! Every count is fixed by the configuration: the readout's and the training's are computed
//! once when the report is written and the ESN's when it is built. The drive of a field- or
//! pulse-driven substrate depends on the inputs and is computed in one pass over them after
//! the run, never inside a step. The equations and constants are in `docs/energy.md`.

use ndarray::ArrayView2;
use physrc_core::{Info, ParamValue};
use physrc_esn::energy::{Access, OpCounts, Platform};
use serde::{Deserialize, Serialize};

use crate::config::{CvKind, Features, ReadoutConfig, RidgeSolver, RunConfig};
use crate::error::RunError;

/// Vacuum permeability, H/m (CODATA 2018: 1.25663706212e-6).
const MU0: f64 = 1.256_637_062_12e-6;

/// Resistivity of annealed copper at 20 °C, Ω·m (the International Annealed Copper Standard,
/// 1/58 Ω·mm²/m = 1.724e-8).
const COPPER_RESISTIVITY: f64 = 1.724e-8;

/// The `[energy]` section: how the parts of a run's energy are modelled.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnergyConfig {
    /// The conventional platform the ESN and every readout are priced on:
    /// `"horowitz-45nm"` (default), `"fugaku-a64fx"` or `"apollo3-m4f"`.
    #[serde(default = "default_platform")]
    pub platform: String,
    /// Count the drive electronics (default true). With false the `drive` part says it was
    /// left out and the total is the intrinsic dissipation plus the readout.
    #[serde(default = "yes")]
    pub drive: bool,
    /// The coil pair of a nanomagnet array or rig, by name (default `"helmholtz-50mm"`).
    #[serde(default)]
    pub coil: CoilName,
    /// Overrides the named coil's field per ampere at the sample, T/A.
    #[serde(default)]
    pub coil_field_per_amp: Option<f64>,
    /// Overrides the named coil's resistance (one axis, both coils in series), Ω.
    #[serde(default)]
    pub coil_resistance: Option<f64>,
    /// Overrides the named coil's inductance (one axis, both coils in series), H.
    #[serde(default)]
    pub coil_inductance: Option<f64>,
    /// Seconds each field set point is held (default 0.001, the rig's default `settle`).
    #[serde(default = "default_dwell")]
    pub dwell: f64,
    /// Output impedance of the pulse or bias source and of the line it drives, Ω (default
    /// 50).
    #[serde(default = "default_source_impedance")]
    pub source_impedance: f64,
}

fn default_platform() -> String {
    physrc_esn::energy::HOROWITZ_45NM.name.to_owned()
}
fn yes() -> bool {
    true
}
fn default_dwell() -> f64 {
    1e-3
}
fn default_source_impedance() -> f64 {
    50.0
}

impl Default for EnergyConfig {
    fn default() -> Self {
        EnergyConfig {
            platform: default_platform(),
            drive: true,
            coil: CoilName::default(),
            coil_field_per_amp: None,
            coil_resistance: None,
            coil_inductance: None,
            dwell: default_dwell(),
            source_impedance: default_source_impedance(),
        }
    }
}

/// The named coil geometries.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CoilName {
    /// A Helmholtz pair per field axis: two coils of 50 mm radius, 100 turns each of 1.0 mm
    /// copper wire, spaced by their radius (about 1.8 mT/A, 1.38 Ω, 3.6 mH per axis).
    #[default]
    #[serde(rename = "helmholtz-50mm")]
    Helmholtz50mm,
    /// A smaller Helmholtz pair: 25 mm radius, 200 turns each of 0.5 mm copper wire (about
    /// 7.2 mT/A, 5.5 Ω, 6.4 mH per axis): a quarter of the larger pair's power per field.
    #[serde(rename = "helmholtz-25mm")]
    Helmholtz25mm,
}

impl EnergyConfig {
    /// Checks every key, naming the one out of range.
    ///
    /// # Errors
    ///
    /// A message naming the key and the value.
    pub fn validate(&self) -> Result<(), String> {
        if physrc_esn::energy::platform(&self.platform).is_none() {
            let names: Vec<&str> = physrc_esn::energy::PLATFORMS
                .iter()
                .map(|p| p.name)
                .collect();
            return Err(format!(
                "[energy] platform {:?} is not known; expected one of {}",
                self.platform,
                names.join(", ")
            ));
        }
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "[energy] {name} must be positive and finite, got {v}"
                ))
            }
        };
        positive("dwell", self.dwell)?;
        positive("source_impedance", self.source_impedance)?;
        if let Some(v) = self.coil_field_per_amp {
            positive("coil_field_per_amp", v)?;
        }
        if let Some(v) = self.coil_resistance {
            positive("coil_resistance", v)?;
        }
        if let Some(v) = self.coil_inductance {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!(
                    "[energy] coil_inductance must be finite and at least 0, got {v}"
                ));
            }
        }
        Ok(())
    }

    /// The platform named by `platform` (validated at load).
    pub fn platform(&self) -> &'static Platform {
        physrc_esn::energy::platform(&self.platform).unwrap_or(&physrc_esn::energy::HOROWITZ_45NM)
    }

    /// The coil: the named geometry with any override applied.
    pub fn coil(&self) -> Coil {
        let mut c = match self.coil {
            CoilName::Helmholtz50mm => Coil::helmholtz("helmholtz-50mm", 0.05, 100, 1.0e-3),
            CoilName::Helmholtz25mm => Coil::helmholtz("helmholtz-25mm", 0.025, 200, 0.5e-3),
        };
        if let Some(v) = self.coil_field_per_amp {
            c.field_per_amp = v;
        }
        if let Some(v) = self.coil_resistance {
            c.resistance = v;
        }
        if let Some(v) = self.coil_inductance {
            c.inductance = v;
        }
        c
    }
}

/// The field coils of one axis: what a current costs to hold and to change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Coil {
    /// The geometry's name.
    pub name: &'static str,
    /// Field at the sample per ampere, T/A.
    pub field_per_amp: f64,
    /// Resistance of the pair in series, Ω.
    pub resistance: f64,
    /// Inductance of the pair in series, H.
    pub inductance: f64,
}

impl Coil {
    /// A Helmholtz pair of two coils of `radius` metres and `turns` turns each of round
    /// copper wire of `wire` metres diameter, spaced by the radius.
    ///
    /// - field at the centre: `B/I = (4/5)^{3/2}·μ0·N/R`;
    /// - resistance: `ρ_Cu·(2·N·2πR)/(π·wire²/4)`;
    /// - inductance: `2·(L1 + M)`, with each coil's `L1 = μ0·N²·R·(ln(8R/c) − 7/4)` for a
    ///   winding bundle of circular cross-section of radius `c = wire·√(N/π)` (Rosa & Grover,
    ///   Bull. Bur. Stand. 8, 1 (1912)), and the mutual inductance of two coaxial loops at
    ///   distance `R`, `M = μ0·N²·R·((2/k − k)·K(k) − (2/k)·E(k))` with `k² = 4/5` (Maxwell).
    pub fn helmholtz(name: &'static str, radius: f64, turns: u32, wire: f64) -> Coil {
        let n = f64::from(turns);
        let field_per_amp = (0.8f64).powf(1.5) * MU0 * n / radius;
        let length = 2.0 * n * 2.0 * std::f64::consts::PI * radius;
        let area = std::f64::consts::PI * wire * wire / 4.0;
        let resistance = COPPER_RESISTIVITY * length / area;
        let bundle = wire * (n / std::f64::consts::PI).sqrt();
        let l1 = MU0 * n * n * radius * ((8.0 * radius / bundle).ln() - 1.75);
        let k = (0.8f64).sqrt();
        let (kk, ek) = elliptic_k_e(k);
        let m = MU0 * n * n * radius * ((2.0 / k - k) * kk - (2.0 / k) * ek);
        Coil {
            name,
            field_per_amp,
            resistance,
            inductance: 2.0 * (l1 + m),
        }
    }
}

/// Complete elliptic integrals of the first and second kind, `K(k)` and `E(k)` (modulus
/// `k < 1`), by the arithmetic–geometric mean (Abramowitz & Stegun 17.6).
fn elliptic_k_e(k: f64) -> (f64, f64) {
    let (mut a, mut b) = (1.0f64, (1.0 - k * k).sqrt());
    let mut sum = 0.5 * k * k;
    let mut pow = 0.5;
    for _ in 0..40 {
        let c = 0.5 * (a - b);
        if c.abs() < 1e-17 {
            break;
        }
        let (an, bn) = (0.5 * (a + b), (a * b).sqrt());
        pow *= 2.0;
        sum += pow * c * c;
        a = an;
        b = bn;
    }
    let kk = std::f64::consts::PI / (2.0 * a);
    (kk, kk * (1.0 - sum))
}

/// One part of a run's energy, in `report.json → energy_breakdown`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EnergyPart {
    /// The model behind the figure, or why there is none.
    pub model: String,
    /// Whether a model produced the figure; false means the joules are 0 because nothing is
    /// known, not because the part is free.
    pub modelled: bool,
    /// Joules over the whole run (for `training`: once).
    pub joules: f64,
    /// Joules per input step (for `training`: spread over the run's steps).
    pub joules_per_step: f64,
    /// Operation counts behind a conventional-hardware figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations: Option<Operations>,
}

/// The operation counts behind a figure priced on a platform.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Operations {
    /// Floating-point additions, multiplications, divisions and comparisons.
    pub flops: f64,
    /// Multiply–adds among them.
    pub multiply_adds: f64,
    /// Bytes read and written.
    pub bytes: f64,
}

impl Operations {
    fn of(c: &OpCounts) -> Self {
        Operations {
            flops: c.fp_add + c.fp_mul + c.fp_div + c.fp_compare,
            multiply_adds: c.multiply_adds(),
            bytes: c.bytes(),
        }
    }
}

impl EnergyPart {
    fn none(model: impl Into<String>) -> Self {
        EnergyPart {
            model: model.into(),
            modelled: false,
            joules: 0.0,
            joules_per_step: 0.0,
            operations: None,
        }
    }

    fn total(model: impl Into<String>, joules: f64, steps: usize) -> Self {
        EnergyPart {
            model: model.into(),
            modelled: true,
            joules,
            joules_per_step: joules / steps.max(1) as f64,
            operations: None,
        }
    }
}

/// The energy of a run, part by part, in `report.json → energy_breakdown`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EnergyBreakdown {
    /// The conventional platform the ESN and the readout are priced on.
    pub platform: &'static str,
    /// Input steps driven (washout, training and test).
    pub steps: usize,
    /// The substrate's own dissipation (the ESN: its computation on the platform).
    pub substrate: EnergyPart,
    /// The drive electronics.
    pub drive: EnergyPart,
    /// The trained readout's prediction for one step.
    pub readout_per_step: EnergyPart,
    /// Training the readout, once.
    pub training: EnergyPart,
    /// Substrate, drive and readout per step (training apart); its `model` names the parts
    /// that have no model, whose zero it includes.
    pub total_per_step: EnergyPart,
}

/// What the runner knows about a finished run.
#[derive(Debug, Clone, Copy)]
pub struct RunFacts<'a> {
    /// The substrate's info.
    pub info: &'a Info,
    /// The normalised inputs driven, one row per step (all steps).
    pub inputs: ArrayView2<'a, f64>,
    /// The substrate's own estimate since its reset, joules.
    pub substrate_joules: Option<f64>,
    /// Steps driven.
    pub steps: usize,
    /// Rows the readout was trained on.
    pub train_rows: usize,
    /// State components per step.
    pub state_dim: usize,
    /// Readout features per step (after the feature map).
    pub features: usize,
    /// Readout outputs (classes for a classifier).
    pub outputs: usize,
}

/// The energy breakdown of a run.
///
/// # Errors
///
/// [`RunError::Config`] when the substrate's config cannot be read again for its drive model,
/// or the ESN cannot be rebuilt to price it on a platform other than its default.
pub fn breakdown(cfg: &RunConfig, f: &RunFacts<'_>) -> Result<EnergyBreakdown, RunError> {
    let e = &cfg.energy;
    let platform = e.platform();
    let kind = cfg.substrate_kind()?;
    let substrate = substrate_part(cfg, kind, platform, f)?;
    let drive = if e.drive {
        drive_part(cfg, kind, f, &substrate)?
    } else {
        EnergyPart::none("left out ([energy] drive = false)")
    };
    let per_step = readout_step_counts(&cfg.readout, f.features, f.outputs);
    let readout_j = platform.joules(&per_step);
    let readout_per_step = EnergyPart {
        model: format!(
            "readout operation count ({} multiply-adds per step) on {}",
            per_step.multiply_adds(),
            platform.name
        ),
        modelled: true,
        joules: readout_j * f.steps as f64,
        joules_per_step: readout_j,
        operations: Some(Operations::of(&per_step)),
    };
    let train = training_counts(&cfg.readout, f.train_rows, f.features, f.outputs);
    let train_j = platform.joules(&train);
    let training = EnergyPart {
        model: format!(
            "readout training operation count ({} rows of {} features) on {}",
            f.train_rows, f.features, platform.name
        ),
        modelled: true,
        joules: train_j,
        joules_per_step: train_j / f.steps.max(1) as f64,
        operations: Some(Operations::of(&train)),
    };
    let parts = [&substrate, &drive, &readout_per_step];
    let missing: Vec<&str> = ["substrate", "drive", "readout"]
        .into_iter()
        .zip(parts)
        .filter(|(_, p)| !p.modelled)
        .map(|(n, _)| n)
        .collect();
    let total_model = if missing.is_empty() {
        "substrate + drive + readout per step (training apart)".to_owned()
    } else {
        format!(
            "substrate + drive + readout per step (training apart); without a model for: {}",
            missing.join(", ")
        )
    };
    let total_per_step = EnergyPart {
        model: total_model,
        modelled: true,
        joules: parts.iter().map(|p| p.joules).sum(),
        joules_per_step: parts.iter().map(|p| p.joules_per_step).sum(),
        operations: None,
    };
    Ok(EnergyBreakdown {
        platform: platform.name,
        steps: f.steps,
        substrate,
        drive,
        readout_per_step,
        training,
        total_per_step,
    })
}

fn param<'a>(info: &'a Info, key: &str) -> Option<&'a ParamValue> {
    info.params.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn param_f64(info: &Info, key: &str) -> Option<f64> {
    match param(info, key)? {
        ParamValue::Float(v) => Some(*v),
        ParamValue::Int(v) => Some(*v as f64),
        _ => None,
    }
}

fn param_text<'a>(info: &'a Info, key: &str) -> Option<&'a str> {
    match param(info, key)? {
        ParamValue::Text(s) => Some(s),
        _ => None,
    }
}

fn substrate_part(
    cfg: &RunConfig,
    kind: &str,
    platform: &'static Platform,
    f: &RunFacts<'_>,
) -> Result<EnergyPart, RunError> {
    if kind == "recorded" {
        return Ok(EnergyPart::none(
            "none: recorded states carry no substrate energy (the device's dissipation while \
             it was recorded is not known to physrc)",
        ));
    }
    if kind == "esn" {
        // The network's own estimate is priced on the default platform; another platform
        // needs its operation counts, which only the network has, so it is built again from
        // the same config (generation is seeded, so it is the same network).
        let counts_joules = if platform.name == physrc_esn::energy::HOROWITZ_45NM.name {
            f.substrate_joules
        } else {
            let c: physrc_esn::EsnConfig =
                toml::Value::Table(crate::config::without_kind(&cfg.substrate))
                    .try_into()
                    .map_err(|e: toml::de::Error| {
                        RunError::config(&cfg.origin, format!("[substrate]: {}", e.message()))
                    })?;
            let esn = c
                .build(&cfg.base_dir, f.inputs.ncols())
                .map_err(RunError::from_component)?;
            Some(platform.joules(esn.operation_counts()) * f.steps as f64)
        };
        let joules = counts_joules.unwrap_or(0.0);
        return Ok(EnergyPart::total(
            format!("esn operation count on {}", platform.name),
            joules,
            f.steps,
        ));
    }
    Ok(match f.substrate_joules {
        Some(j) => EnergyPart::total(intrinsic_model(f.info), j, f.steps),
        None => EnergyPart::none(format!(
            "none: the {} substrate ({}) has no intrinsic energy model",
            f.info.name,
            param_text(f.info, "model").unwrap_or(kind)
        )),
    })
}

fn intrinsic_model(info: &Info) -> String {
    match (info.name.as_str(), param_text(info, "model")) {
        ("nanomagnet", _) => "intrinsic: switching energy of the flipped magnets".to_owned(),
        ("memristor", Some(m)) => format!("intrinsic: the {m} devices' integral of V*I per pulse"),
        ("oscillator", Some(m)) => format!("intrinsic: Joule heating of the {m} drive current"),
        (name, _) => format!("intrinsic: the {name} substrate's own estimate"),
    }
}

fn drive_part(
    cfg: &RunConfig,
    kind: &str,
    f: &RunFacts<'_>,
    substrate: &EnergyPart,
) -> Result<EnergyPart, RunError> {
    let e = &cfg.energy;
    let parse_err = |err: toml::de::Error| {
        RunError::config(&cfg.origin, format!("[substrate]: {}", err.message()))
    };
    let table = toml::Value::Table(crate::config::without_kind(&cfg.substrate));
    match kind {
        "esn" => Ok(EnergyPart::none(
            "none: software; its input is a memory read, counted with the network's operations",
        )),
        "recorded" => Ok(EnergyPart::none(
            "none: recorded states; the drive was applied when they were recorded",
        )),
        "nanomagnet" | "rig" => {
            let encoder = if kind == "nanomagnet" {
                let c: physrc_nanomagnet::NanomagnetConfig = table.try_into().map_err(parse_err)?;
                c.field_encoder().map_err(RunError::from_component)?
            } else {
                let c: physrc_rig::RigConfig = table.try_into().map_err(parse_err)?;
                c.field_encoder().map_err(RunError::from_component)?
            };
            let coil = e.coil();
            let joules = coil_energy(&encoder, &coil, e.dwell, f.inputs)?;
            Ok(EnergyPart::total(
                format!(
                    "coils {} ({:.3e} T/A, {:.3} ohm, {:.3e} H per axis): I^2 R over {} s per \
                     field set point + L I^2 / 2 to raise the current",
                    coil.name, coil.field_per_amp, coil.resistance, coil.inductance, e.dwell
                ),
                joules,
                f.steps,
            ))
        }
        "memristor" => {
            let info = f.info;
            let get = |k: &str| {
                param_f64(info, k).ok_or_else(|| {
                    RunError::Internal(format!("the memristor's info has no {k} for its drive"))
                })
            };
            let (v_min, v_max, width) = (get("v_min")?, get("v_max")?, get("pulse_width")?);
            let pulses = get("devices")? * get("virtual_nodes")?;
            let r0 = e.source_impedance;
            let joules = pulse_energy(f.inputs, v_min, v_max, width, pulses, r0);
            Ok(EnergyPart::total(
                format!(
                    "pulse source: {r0} ohm, back-terminated into a {r0} ohm-terminated line, \
                     2 V^2 t / R per pulse ({pulses} pulses of {width:e} s per step)"
                ),
                joules,
                f.steps,
            ))
        }
        "oscillator" if param_text(f.info, "model") == Some("stno") => {
            let r_dev = param_f64(f.info, "resistance_ohm").unwrap_or(f64::NAN);
            let r0 = e.source_impedance;
            if !(r_dev.is_finite() && r_dev > 0.0 && substrate.modelled) {
                return Ok(EnergyPart::none(
                    "none: the oscillator reports no device resistance or Joule heating",
                ));
            }
            // The source's series resistance carries the device's current, so it dissipates
            // the device's Joule heat scaled by the ratio of the resistances.
            Ok(EnergyPart::total(
                format!(
                    "bias source: {r0} ohm in series with the {r_dev} ohm device, I^2 R (the \
                     device's Joule heat x {r0}/{r_dev})"
                ),
                substrate.joules * r0 / r_dev,
                f.steps,
            ))
        }
        _ => Ok(EnergyPart::none(format!(
            "none: no drive model for the {} substrate ({})",
            f.info.name,
            param_text(f.info, "model").unwrap_or(kind)
        ))),
    }
}

/// Energy of the coils over a run: for every field set point, `I²R·dwell` per axis to hold
/// it and `L·I²/2` to raise the current to it (from zero when its sign changes). Energy
/// released when the current falls is taken as dissipated in the driver, not recovered.
fn coil_energy(
    encoder: &physrc_nanomagnet::FieldEncoder,
    coil: &Coil,
    dwell: f64,
    inputs: ArrayView2<'_, f64>,
) -> Result<f64, RunError> {
    let mut fields = Vec::with_capacity(encoder.samples_per_input());
    let mut row = vec![0.0; inputs.ncols()];
    let mut prev = [0.0f64; 2];
    let (mut hold, mut raise) = (0.0f64, 0.0f64);
    let per_amp = 1.0 / coil.field_per_amp;
    for u in inputs.rows() {
        for (r, v) in row.iter_mut().zip(u.iter()) {
            *r = *v;
        }
        encoder.fields(&row, &mut fields)?;
        for h in &fields {
            for axis in 0..2 {
                let i = h[axis] * per_amp;
                hold += i * i;
                let p = prev[axis];
                let from = if p * i > 0.0 { p * p } else { 0.0 };
                raise += (i * i - from).max(0.0);
                prev[axis] = i;
            }
        }
    }
    Ok(hold * coil.resistance * dwell + 0.5 * coil.inductance * raise)
}

/// Energy of the pulse source over a run. A device pulse of `V` volts for `t` seconds from a
/// source of impedance `R0` back-terminated into a line terminated in `R0` at the device
/// (the usual way to deliver clean nanosecond pulses to a high-impedance device) draws
/// `(2V)²/(2·R0)` for `t`: `2·V²·t/R0`. The masked input `J = ±|u|` (masks ±1, the two signs
/// taken equally often) sets `V = v_min + (J + 1)/2·(v_max − v_min)`; for several inputs the
/// masked mean has the root-mean-square `|u|/√d`.
fn pulse_energy(
    inputs: ArrayView2<'_, f64>,
    v_min: f64,
    v_max: f64,
    width: f64,
    pulses: f64,
    r0: f64,
) -> f64 {
    let d = inputs.ncols().max(1) as f64;
    let volt = |j: f64| v_min + (j + 1.0) / 2.0 * (v_max - v_min);
    let mut v2 = 0.0;
    for u in inputs.rows() {
        let j = (u.iter().map(|x| x * x).sum::<f64>()).sqrt() / d;
        v2 += 0.5 * (volt(j).powi(2) + volt(-j).powi(2));
    }
    2.0 * v2 * width / r0 * pulses
}

fn features_of(r: &ReadoutConfig) -> (Features, bool) {
    match r {
        ReadoutConfig::Ridge(s) => (s.features, s.standardize),
        ReadoutConfig::RidgeCv(s) => (s.features, s.standardize),
        ReadoutConfig::Classifier(s) => (s.features, s.standardize),
        ReadoutConfig::Rls(s) => (s.features, false),
    }
}

fn access(what: &'static str, bytes: f64, working_set_bytes: f64) -> Access {
    Access {
        what,
        bytes,
        working_set_bytes,
    }
}

/// The readout's operations for one prediction of `k` outputs from `f` features: the
/// feature map (a square per state component for `state-squared`), the standardisation (a
/// subtraction and a multiplication per feature), `f·k` multiply–adds and `k` intercept
/// adds, and for class labels an argmax (`k − 1` comparisons); memory: the weights once, the
/// features once.
pub fn readout_step_counts(r: &ReadoutConfig, f: usize, k: usize) -> OpCounts {
    let (features, standardize) = features_of(r);
    let (ff, kk) = (f as f64, k as f64);
    let squares = if features == Features::StateSquared {
        ff / 2.0
    } else {
        0.0
    };
    let scale = if standardize { ff } else { 0.0 };
    let argmax = if matches!(r, ReadoutConfig::Classifier(_)) {
        (kk - 1.0).max(0.0)
    } else {
        0.0
    };
    let weights = 8.0 * ff * kk;
    OpCounts {
        fp_add: ff * kk + kk + scale,
        fp_mul: ff * kk + squares + scale,
        fp_div: 0.0,
        fp_compare: argmax,
        memory: vec![
            access("readout weights", weights, weights),
            access("features", 8.0 * ff, 8.0 * ff),
        ],
    }
}

/// The operations of training a readout once on `t` rows of `f` features with `k` outputs:
/// - ridge (Cholesky), classifier: `f(f+1)/2` multiply–adds per row for the lower triangle
///   of `XᵀX`, `f·k` for `XᵀY`, `f` adds for the column sums; then the Cholesky factor
///   (`f³/3` multiply–adds) and two triangular solves per output (`f²·k`);
/// - ridge (SVD): the thin SVD of the `t × f` states, `6tf² + 20f³` flops (Golub & Van
///   Loan, Matrix Computations, 4th ed., Fig. 8.6.1, R-SVD), half multiplies and half adds,
///   and `2tfk` for `UᵀY` and the solution;
/// - ridge-cv: the accumulation as for ridge, a symmetric eigendecomposition (`9f³` flops,
///   Golub & Van Loan §8.3) and `2f²k` per penalty tried, plus `t·f·k` per row for the
///   leave-one-out pass and `t` solves of the accumulated sums for k-fold;
/// - rls: per row, `P·x` (`f²`), the gain (`f` divisions), the update of `P` (`2f²`) and of
///   the weights (`2fk`) multiply–adds.
///
/// Standardisation adds three operations per feature and row. Memory: every training row is
/// read once from a chunk of 1,024 rows, and the accumulated `f × f` matrix is read and
/// written once per chunk.
pub fn training_counts(r: &ReadoutConfig, t: usize, f: usize, k: usize) -> OpCounts {
    let (tt, ff, kk) = (t as f64, f as f64, k as f64);
    let (_, standardize) = features_of(r);
    let accumulate = |c: &mut OpCounts| {
        let macs = tt * (ff * (ff + 1.0) / 2.0 + ff * kk);
        c.fp_mul += macs;
        c.fp_add += macs + tt * ff;
    };
    let mut c = OpCounts::default();
    match r {
        ReadoutConfig::Ridge(s) if s.solver == RidgeSolver::Svd => {
            let flops = 6.0 * tt * ff * ff + 20.0 * ff.powi(3) + 2.0 * tt * ff * kk;
            c.fp_mul += flops / 2.0;
            c.fp_add += flops / 2.0;
        }
        ReadoutConfig::Ridge(_) | ReadoutConfig::Classifier(_) => {
            accumulate(&mut c);
            let solve = ff.powi(3) / 3.0 + ff * ff * kk;
            c.fp_mul += solve;
            c.fp_add += solve;
            c.fp_div += ff;
        }
        ReadoutConfig::RidgeCv(s) => {
            accumulate(&mut c);
            let alphas = s.alphas.as_ref().map_or(25, Vec::len) as f64;
            let mut flops = 9.0 * ff.powi(3) + alphas * 2.0 * ff * ff * kk;
            match s.cv {
                CvKind::Gcv => {}
                CvKind::Loo => flops += 2.0 * tt * ff * kk,
                CvKind::Kfold => flops += s.folds as f64 * 9.0 * ff.powi(3),
            }
            c.fp_mul += flops / 2.0;
            c.fp_add += flops / 2.0;
            c.fp_div += alphas * ff;
        }
        ReadoutConfig::Rls(_) => {
            let macs = tt * (3.0 * ff * ff + 2.0 * ff * kk);
            c.fp_mul += macs;
            c.fp_add += macs;
            c.fp_div += tt * ff;
        }
    }
    if standardize {
        c.fp_add += 2.0 * tt * ff;
        c.fp_mul += tt * ff;
    }
    let chunk = 8.0 * ff * 1024.0;
    let gram = 8.0 * ff * ff;
    let chunks = (tt / 1024.0).ceil();
    c.memory = vec![
        access("training states", 8.0 * tt * ff, chunk),
        access("accumulated XtX", 2.0 * gram * chunks, gram),
    ];
    c
}

//! The spin-ice reservoir: inputs become global field sequences, the state is read after each.
//!
//! # Input encoding
//!
//! An input `u ∈ [-1, 1]` is first mapped to `x = (u + 1)/2 ∈ [0, 1]`, the range flatspin's
//! encoders take (Jensen & Tufte, "Reservoir computing in artificial spin ice", ALIFE 2020;
//! flatspin's `Sine`, `Triangle`, `Rotate`, `Angle` and `Constant` encoders), then to a field
//! amplitude `H = h_min + x·(h_max − h_min)` in tesla. The default encoder, `loop`, is the
//! device protocol of Gartside et al., Nat. Nanotechnol. 17, 460 (2022) and Stenning et al.,
//! Nat. Commun. (2024), Fig. 1g: the field `+H` then `−H` along `phi`, with the state read at
//! `−H`. After the last field sample of an input the array is read out.
//!
//! # Readout
//!
//! `spins` gives every magnet's spin (±1); `magnetization` the array's mean magnetisation
//! `(⟨m_x⟩, ⟨m_y⟩)`; `windows` the mean magnetisation over square windows tiling the array,
//! the coarse-grained readout of Jensen & Tufte (ALIFE 2020); `fmr` a ferromagnetic-resonance
//! spectrum, each bar's Kittel mode or a phenomenological line ([`FmrConfig`]); `vertex-types`
//! the fractions of square-ice vertices of types I–IV (Wang et al., Nature 439, 303 (2006);
//! [`SquareVertices`]), over the array or per window. `wide_bars` turns the array into a
//! spin-vortex ice ([`VortexParams`](crate::VortexParams)); vortex bars read as spin 0.
//!
//! # Energy
//!
//! Each switching event is charged `2·moment·h_k,i` joules, the area of the easy-axis
//! Stoner–Wohlfarth hysteresis loop of magnet `i` (Stoner & Wohlfarth, Phil. Trans. R. Soc. A
//! 240, 599 (1948)): an upper bound on the energy one reversal dissipates. Drive electronics
//! are excluded.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use physrc_core::{Error, Info, MemoryBudget, Reservoir, check_input, check_state_len};
use serde::Deserialize;

use crate::bar::BarConfig;
use crate::config::{GeometryName, SimulationConfig};
use crate::error::NanomagnetError;
use crate::fmr::{FmrModel, Lineshape, Spectrometer};
use crate::model::{SpinIce, VortexParams};
use crate::params::{Engine, FlipMode, ModelParams};
use crate::vertex::SquareVertices;

/// How one normalised input becomes a sequence of global fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Encoder {
    /// `+H` then `−H` along `phi`, read at `−H` (Stenning et al. 2024): 2 field samples.
    #[default]
    Loop,
    /// `H·sin(2πk/timesteps)` along `phi`, `k = 0..timesteps` (flatspin `Sine`).
    Sine,
    /// A triangle wave of amplitude `H` along `phi`, starting at 0 and rising (flatspin
    /// `Triangle`, phase 90°).
    Triangle,
    /// A field of magnitude `H` rotating once from angle 0 (flatspin `Rotate`).
    Rotate,
    /// One field of magnitude `h_max` at angle `phi0 + x·(phi1 − phi0)` degrees (flatspin
    /// `Angle`).
    Angle,
    /// One field of magnitude `H` along `phi` (flatspin `Constant`).
    Constant,
    /// Two inputs are the field components: `(u0, u1)·h_max` (flatspin `Direct`).
    Direct,
}

impl Encoder {
    /// The name used in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Encoder::Loop => "loop",
            Encoder::Sine => "sine",
            Encoder::Triangle => "triangle",
            Encoder::Rotate => "rotate",
            Encoder::Angle => "angle",
            Encoder::Constant => "constant",
            Encoder::Direct => "direct",
        }
    }

    fn takes_timesteps(self) -> bool {
        matches!(self, Encoder::Sine | Encoder::Triangle | Encoder::Rotate)
    }

    /// Input components per step: 2 for `direct`, otherwise 1.
    pub fn input_dim(self) -> usize {
        if self == Encoder::Direct { 2 } else { 1 }
    }
}

/// What the reservoir state is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Readout {
    /// Every magnet's spin, ±1 (N components).
    #[default]
    Spins,
    /// Mean magnetisation `(⟨m_x⟩, ⟨m_y⟩)` of the whole array (2 components).
    Magnetization,
    /// Mean magnetisation `(⟨m_x⟩, ⟨m_y⟩)` in each non-empty square window (2 per window).
    Windows,
    /// A phenomenological ferromagnetic-resonance absorption spectrum sampled in `bins`
    /// frequency channels (see [`FmrConfig`]).
    Fmr,
    /// Fractions of the four-bar vertices of square ice in each of the four vertex types
    /// `[I, II, III, IV]` (see [`SquareVertices`]): 4 components, or 4 per non-empty window
    /// of vertices when `window` is given. `square-closed` and `square-open` only.
    VertexTypes,
}

impl Readout {
    fn name(self) -> &'static str {
        match self {
            Readout::Spins => "spins",
            Readout::Magnetization => "magnetization",
            Readout::Windows => "windows",
            Readout::Fmr => "fmr",
            Readout::VertexTypes => "vertex-types",
        }
    }
}

/// Which bars of a spin-vortex ice are wide (lower switching field, can hold a vortex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WideBars {
    /// None: plain (macrospin-only) spin ice.
    #[default]
    None,
    /// Every bar at angle 90° (the vertical sublattice of square ice).
    Vertical,
    /// Every bar at angle 0°.
    Horizontal,
    /// Every other magnet in index order (odd indices).
    Alternate,
}

impl WideBars {
    fn name(self) -> &'static str {
        match self {
            WideBars::None => "none",
            WideBars::Vertical => "vertical",
            WideBars::Horizontal => "horizontal",
            WideBars::Alternate => "alternate",
        }
    }
}

/// The FMR readout (`readout = "fmr"`, table `[substrate.fmr]`).
///
/// Two models place one line per bar (see [`FmrModel`]): `kittel`, the uniform mode of each
/// bar from its shape anisotropy (the demagnetising factors of its rectangular prism,
/// [`BarConfig`]) and its local field along and across the moment, which softens as a field
/// against the moment approaches the bar's stability limit; and `phenomenological`, a line at
/// `f_narrow` or `f_wide` plus `gamma·h∥`. A vortex bar has a line `vortex_shift` below the
/// wide bar's macrospin mode with relative amplitude `vortex_amplitude`. Lines are Lorentzians
/// of full width `linewidth`, recorded as absorption or its field derivative `dP/dH`
/// ([`Lineshape`]) at `bins` frequencies evenly spaced over `[f_min, f_max]` GHz, summed over
/// bars and divided by their number; then seeded measurement noise and drift are added.
///
/// Defaults: `model` is `kittel` when the array has a `[substrate.bar]` table (device units)
/// and `phenomenological` otherwise (flatspin's reduced units, where the fields are not a real
/// bar's); `kittel` defaults to 400 channels and `dP/dH`, `phenomenological` to 64 channels
/// and absorption. Sources and the status of each constant: `docs/physics/nanomagnet.md`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FmrConfig {
    /// `kittel` or `phenomenological` (default: see above).
    pub model: Option<FmrModel>,
    /// `absorption` or `derivative` (`dP/dH`; default: see above).
    pub lineshape: Option<Lineshape>,
    /// Frequency channels (default 400 for `kittel`, 64 for `phenomenological`; at most
    /// [`MAX_FMR_BINS`]).
    pub bins: Option<usize>,
    /// Lowest channel, GHz (default 2).
    pub f_min: f64,
    /// Highest channel, GHz (default 14).
    pub f_max: f64,
    /// Full width at half maximum of every line, GHz (default 0.4).
    pub linewidth: f64,
    /// `phenomenological` only: zero-field macrospin resonance of a narrow bar, GHz (default 9).
    pub f_narrow: Option<f64>,
    /// `phenomenological` only: zero-field macrospin resonance of a wide bar, GHz (default 7.5).
    pub f_wide: Option<f64>,
    /// `γ/2π`, GHz per tesla (default 28, g = 2): the Kittel prefactor, or the
    /// phenomenological line shift.
    pub gamma: f64,
    /// Vortex line below the wide-bar macrospin line, GHz (default 3.8, Gartside 2022).
    pub vortex_shift: f64,
    /// Relative amplitude of a vortex line (default 0.5).
    pub vortex_amplitude: f64,
    /// Whether the applied field at the moment of reading shifts the macrospin lines
    /// (default true, as in a measurement under field). `false` keeps only the dipolar field:
    /// the spectrum of the microstate alone, a diagnostic of what the array itself encodes.
    pub applied_field: bool,
    /// Standard deviation of the white measurement noise added to every channel, in the
    /// spectrum's units (default 0).
    pub noise: f64,
    /// Root-mean-square of the slow drift of every line's frequency, GHz (default 0).
    pub drift: f64,
    /// Correlation time of the drift, in readings (default 100).
    pub drift_time: f64,
}

impl Default for FmrConfig {
    fn default() -> Self {
        FmrConfig {
            model: None,
            lineshape: None,
            bins: None,
            f_min: 2.0,
            f_max: 14.0,
            linewidth: 0.4,
            f_narrow: None,
            f_wide: None,
            gamma: 28.0,
            vortex_shift: 3.8,
            vortex_amplitude: 0.5,
            applied_field: true,
            noise: 0.0,
            drift: 0.0,
            drift_time: 100.0,
        }
    }
}

/// Most frequency channels of the FMR readout: far more than a spectrometer resolves, and the
/// state dimension every readout downstream has to hold (`bins` values per step, a
/// `bins × bins` normal matrix in a ridge fit).
pub const MAX_FMR_BINS: usize = 100_000;

/// Longest drift correlation time, readings: beyond it the drift is a constant offset.
pub const MAX_DRIFT_TIME: f64 = 1e9;

impl FmrConfig {
    /// The model in effect: as given, else `kittel` for a device-scale array.
    pub fn model_for(&self, device_scale: bool) -> FmrModel {
        self.model.unwrap_or(if device_scale {
            FmrModel::Kittel
        } else {
            FmrModel::Phenomenological
        })
    }

    /// The number of channels in effect for `model`.
    pub fn bins_for(&self, model: FmrModel) -> usize {
        self.bins.unwrap_or(match model {
            FmrModel::Kittel => 400,
            FmrModel::Phenomenological => 64,
        })
    }

    fn check(&self, model: FmrModel) -> Result<(), NanomagnetError> {
        let bins = self.bins_for(model);
        if !(1..=MAX_FMR_BINS).contains(&bins) {
            return Err(NanomagnetError::param(
                "fmr.bins",
                "must be between 1 and 100000",
                bins as f64,
            ));
        }
        if model == FmrModel::Kittel {
            for (name, v) in [("fmr.f_narrow", self.f_narrow), ("fmr.f_wide", self.f_wide)] {
                if v.is_some() {
                    return Err(NanomagnetError::InvalidChoice {
                        name,
                        message: "applies to model \"phenomenological\" only; the Kittel \
                                  model takes its modes from `[substrate.bar]`"
                            .into(),
                    });
                }
            }
        }
        for (name, v) in [
            ("fmr.f_min", self.f_min),
            ("fmr.f_max", self.f_max),
            ("fmr.f_narrow", self.f_narrow.unwrap_or(9.0)),
            ("fmr.f_wide", self.f_wide.unwrap_or(7.5)),
            ("fmr.gamma", self.gamma),
            ("fmr.vortex_shift", self.vortex_shift),
        ] {
            finite(name, v)?;
        }
        for (name, v) in [
            ("fmr.linewidth", self.linewidth),
            ("fmr.vortex_amplitude", self.vortex_amplitude),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(NanomagnetError::param(
                    name,
                    "must be positive and finite",
                    v,
                ));
            }
        }
        if model == FmrModel::Kittel && self.gamma <= 0.0 {
            return Err(NanomagnetError::param(
                "fmr.gamma",
                "must be positive for the Kittel model",
                self.gamma,
            ));
        }
        for (name, v) in [("fmr.noise", self.noise), ("fmr.drift", self.drift)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(NanomagnetError::param(
                    name,
                    "must be non-negative and finite",
                    v,
                ));
            }
        }
        if !(self.drift_time.is_finite()
            && self.drift_time >= 1.0
            && self.drift_time <= MAX_DRIFT_TIME)
        {
            return Err(NanomagnetError::param(
                "fmr.drift_time",
                "must be between 1 and 1e9 readings",
                self.drift_time,
            ));
        }
        if self.f_max < self.f_min || (bins > 1 && self.f_max == self.f_min) {
            return Err(NanomagnetError::param(
                "fmr.f_max",
                "must be larger than `fmr.f_min`",
                self.f_max,
            ));
        }
        Ok(())
    }

    /// The channel frequencies, GHz.
    fn channels(&self, bins: usize) -> Vec<f64> {
        if bins == 1 {
            return vec![self.f_min];
        }
        let step = (self.f_max - self.f_min) / (bins - 1) as f64;
        (0..bins).map(|k| self.f_min + k as f64 * step).collect()
    }
}

/// Moment of the default 220 × 80 × 25 nm permalloy bar (Ms = 860 kA/m), A·m²: the volume
/// flatspin's default `m_therm` is a fraction of (Jensen et al. 2022).
pub const DEFAULT_MOMENT: f64 = 860e3 * 220e-9 * 80e-9 * 25e-9;

/// The `[substrate]` table of a run config with `kind = "nanomagnet"` (minus `kind`).
///
/// Array keys mirror flatspin's parameter names and defaults, as in [`SimulationConfig`];
/// the drive and readout keys are this reservoir's.
///
/// ```toml
/// [substrate]
/// kind = "nanomagnet"
/// geometry = "square-closed"
/// size = [10, 10]
/// disorder = 0.05
/// encoder = "loop"      # +H then -H along phi, read at -H
/// h_min = 0.072         # tesla, at u = -1
/// h_max = 0.088         # tesla, at u = +1
/// phi = 45              # degrees
/// readout = "spins"
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NanomagnetConfig {
    /// Lattice type.
    pub geometry: GeometryName,
    /// `[nx, ny]` (default `[4, 4]`, at most 4e8 cells `nx·ny`); ignored for `custom`.
    /// [`build_within`](Self::build_within) refuses an array that needs more memory than its
    /// budget (about 600 bytes per cell of square ice).
    #[serde(default)]
    pub size: Option<[usize; 2]>,
    /// Lattice spacing (default 1).
    #[serde(default)]
    pub lattice_spacing: Option<f64>,
    /// Coupling strength in tesla (default 0.001).
    #[serde(default)]
    pub alpha: Option<f64>,
    /// Mean switching threshold in tesla (default 0.2).
    #[serde(default)]
    pub hc: Option<f64>,
    /// Threshold disorder as a fraction of `hc` (default 0).
    #[serde(default)]
    pub disorder: Option<f64>,
    /// Astroid height (default 0.41).
    #[serde(default)]
    pub sw_b: Option<f64>,
    /// Astroid width (default 1).
    #[serde(default)]
    pub sw_c: Option<f64>,
    /// Astroid top/bottom pointiness (default 1.5).
    #[serde(default)]
    pub sw_beta: Option<f64>,
    /// Astroid tip pointiness (default 3.9).
    #[serde(default)]
    pub sw_gamma: Option<f64>,
    /// Dipolar cutoff in lattice units (default per geometry).
    #[serde(default)]
    pub neighbor_distance: Option<f64>,
    /// `max` (default), `max-rand`, `single` or `all`.
    #[serde(default)]
    pub flip_mode: Option<FlipMode>,
    /// Kelvin (default 0).
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Thermal nucleation moment, A·m².
    #[serde(default)]
    pub m_therm: Option<f64>,
    /// Attempt frequency, Hz (default 1e9).
    #[serde(default)]
    pub attempt_freq: Option<f64>,
    /// Seconds per relax for the thermal field (default 1).
    #[serde(default)]
    pub therm_timescale: Option<f64>,
    /// Seed for every random draw (default 0); `physrc run --seed` sets it.
    #[serde(default)]
    pub random_seed: Option<u64>,
    /// `incremental` (default) or `reference`.
    #[serde(default)]
    pub engine: Option<Engine>,
    /// Pinwheel rotation in degrees (default 45).
    #[serde(default)]
    pub spin_angle: Option<f64>,
    /// Pinwheel-random angle spread in degrees (default 0).
    #[serde(default)]
    pub spin_angle_disorder: Option<f64>,
    /// `custom`: N×2 `.npy` of positions in lattice units.
    #[serde(default)]
    pub positions: Option<PathBuf>,
    /// `custom`: N `.npy` of angles in radians.
    #[serde(default)]
    pub angles: Option<PathBuf>,
    /// `"polarized"` (default) or an N `.npy` of ±1 spins: the state `reset` returns to.
    #[serde(default)]
    pub init: Option<String>,
    /// N `.npy` of per-magnet thresholds (tesla), overriding `hc` and `disorder`.
    #[serde(default)]
    pub threshold: Option<PathBuf>,
    /// Input encoder (default `loop`).
    #[serde(default)]
    pub encoder: Encoder,
    /// Field amplitude at `u = −1`, tesla (default 0).
    #[serde(default)]
    pub h_min: f64,
    /// Field amplitude at `u = +1`, tesla (required).
    pub h_max: f64,
    /// Field angle in degrees for `loop`, `sine`, `triangle` and `constant` (default 45).
    #[serde(default)]
    pub phi: Option<f64>,
    /// `angle` encoder: angle at `u = −1`, degrees (default 0).
    #[serde(default)]
    pub phi0: Option<f64>,
    /// `angle` encoder: angle at `u = +1`, degrees (default 360).
    #[serde(default)]
    pub phi1: Option<f64>,
    /// Field samples per input for `sine`, `triangle` and `rotate` (default 100, flatspin's;
    /// at most [`MAX_TIMESTEPS`]).
    #[serde(default)]
    pub timesteps: Option<usize>,
    /// State read out (default `spins`).
    #[serde(default)]
    pub readout: Readout,
    /// `windows` readout: window side in lattice units (default 2). `vertex-types` readout:
    /// if given, vertex populations per window of this side (default: over the whole array).
    #[serde(default)]
    pub window: Option<f64>,
    /// Magnetic moment of one magnet in A·m² for the energy estimate (default
    /// [`DEFAULT_MOMENT`]).
    #[serde(default)]
    pub moment: Option<f64>,
    /// Spin-vortex ice: which bars are wide (default `none`: plain spin ice).
    #[serde(default)]
    pub wide_bars: WideBars,
    /// Mean switching threshold of the wide bars, tesla (default `0.85·hc`); their drawn
    /// thresholds are scaled by `hc_wide/hc`, keeping the relative disorder. Explicit
    /// `threshold` files are used as given.
    #[serde(default)]
    pub hc_wide: Option<f64>,
    /// See [`VortexParams::window`] (default 0.1).
    #[serde(default)]
    pub vortex_window: Option<f64>,
    /// See [`VortexParams::annihilation`] (default 1.3).
    #[serde(default)]
    pub vortex_annihilation: Option<f64>,
    /// FMR readout constants for `readout = "fmr"`.
    #[serde(default)]
    pub fmr: Option<FmrConfig>,
    /// Device-scale bars (table `[substrate.bar]`): dimensions and magnetisation, from which
    /// `alpha`, `hc`, `hc_wide` and `moment` are derived (giving those keys too is an error).
    #[serde(default)]
    pub bar: Option<BarConfig>,
}

impl NanomagnetConfig {
    /// The field encoder this table describes: how each input becomes field set points.
    ///
    /// # Errors
    ///
    /// As [`FieldEncoder::new`].
    pub fn field_encoder(&self) -> Result<FieldEncoder, NanomagnetError> {
        FieldEncoder::new(
            self.encoder,
            self.h_min,
            self.h_max,
            self.phi,
            self.phi0,
            self.phi1,
            self.timesteps,
        )
    }

    /// The key this table takes its seed under: `random_seed`, flatspin's name, like every
    /// other key here. `physrc run --seed` and the sweeps set it.
    pub const SEED_KEY: &'static str = "random_seed";

    fn array_config(&self) -> SimulationConfig {
        SimulationConfig {
            geometry: self.geometry,
            size: self.size,
            lattice_spacing: self.lattice_spacing,
            alpha: self.alpha,
            hc: self.hc,
            disorder: self.disorder,
            sw_b: self.sw_b,
            sw_c: self.sw_c,
            sw_beta: self.sw_beta,
            sw_gamma: self.sw_gamma,
            neighbor_distance: self.neighbor_distance,
            flip_mode: self.flip_mode,
            temperature: self.temperature,
            m_therm: self.m_therm,
            attempt_freq: self.attempt_freq,
            therm_timescale: self.therm_timescale,
            random_seed: self.random_seed,
            engine: self.engine,
            spin_angle: self.spin_angle,
            spin_angle_disorder: self.spin_angle_disorder,
            positions: self.positions.clone(),
            angles: self.angles.clone(),
            init: self.init.clone(),
            threshold: self.threshold.clone(),
            h_ext: PathBuf::new(),
        }
    }

    /// Builds the reservoir for inputs of dimension `input_dim` (relative paths resolve against
    /// `base_dir`).
    ///
    /// # Errors
    ///
    /// [`NanomagnetError::InvalidParameter`] for a bad value (`hc`, `h_max`, `phi`, …),
    /// [`NanomagnetError::InvalidChoice`] when `input_dim` is not what the encoder takes (2
    /// for `direct`, otherwise 1) or a key does not apply to the chosen encoder or readout;
    /// file errors for `custom`, `init` and `threshold`.
    pub fn build(
        &self,
        base_dir: &Path,
        input_dim: usize,
    ) -> Result<NanomagnetReservoir, NanomagnetError> {
        self.build_within(base_dir, input_dim, MemoryBudget::UNLIMITED)
    }

    /// As [`build`](Self::build), refusing before the array is allocated when it would need
    /// more memory than `budget` (see [`SimulationConfig::build_within`]).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build); [`NanomagnetError::Memory`] naming `size` or
    /// `neighbor_distance` and the estimate.
    pub fn build_within(
        &self,
        base_dir: &Path,
        input_dim: usize,
        budget: MemoryBudget,
    ) -> Result<NanomagnetReservoir, NanomagnetError> {
        match &self.bar {
            Some(bar) => self
                .with_bar(bar)?
                .build_scaled(base_dir, input_dim, budget, Some(bar)),
            None => self.build_scaled(base_dir, input_dim, budget, None),
        }
    }

    /// This config with the keys a `[substrate.bar]` table derives filled in.
    fn with_bar(&self, bar: &BarConfig) -> Result<NanomagnetConfig, NanomagnetError> {
        bar.check()?;
        for (name, given) in [
            ("alpha", self.alpha.is_some()),
            ("hc", self.hc.is_some()),
            ("hc_wide", self.hc_wide.is_some()),
            ("moment", self.moment.is_some()),
        ] {
            if given {
                return Err(NanomagnetError::InvalidChoice {
                    name,
                    message: "is derived from `[substrate.bar]`; give one or the other".into(),
                });
            }
        }
        let sw_b = self.sw_b.unwrap_or(ModelParams::default().sw_b);
        if !(sw_b.is_finite() && sw_b > 0.0) {
            return Err(NanomagnetError::param(
                "sw_b",
                "must be positive and finite",
                sw_b,
            ));
        }
        let mut c = self.clone();
        c.alpha = Some(bar.alpha());
        c.hc = Some(bar.threshold(false, sw_b));
        if self.wide_bars != WideBars::None {
            c.hc_wide = Some(bar.threshold(true, sw_b));
        }
        c.moment = Some(bar.moment());
        Ok(c)
    }

    fn build_scaled(
        &self,
        base_dir: &Path,
        input_dim: usize,
        budget: MemoryBudget,
        bar: Option<&BarConfig>,
    ) -> Result<NanomagnetReservoir, NanomagnetError> {
        let mut ice = self.array_config().build_within(base_dir, budget)?;
        self.make_vortex_ice(&mut ice)?;
        let want = self.encoder.input_dim();
        if input_dim != want {
            return Err(NanomagnetError::InvalidChoice {
                name: "input_dim",
                message: format!(
                    "encoder {:?} takes {want} input component(s), but the data has {input_dim}",
                    self.encoder.name()
                ),
            });
        }
        let drive = self.field_encoder()?;
        if self.window.is_some() && !matches!(self.readout, Readout::Windows | Readout::VertexTypes)
        {
            return Err(NanomagnetError::InvalidChoice {
                name: "window",
                message: format!(
                    "applies to readouts \"windows\" and \"vertex-types\" only, not {:?}",
                    self.readout.name()
                ),
            });
        }
        let moment = self.moment.unwrap_or(DEFAULT_MOMENT);
        if !(moment.is_finite() && moment > 0.0) {
            return Err(NanomagnetError::param(
                "moment",
                "must be positive and finite",
                moment,
            ));
        }
        if self.fmr.is_some() && self.readout != Readout::Fmr {
            return Err(NanomagnetError::InvalidChoice {
                name: "fmr",
                message: format!(
                    "applies to readout \"fmr\" only, not {:?}",
                    self.readout.name()
                ),
            });
        }
        let fmr = self.fmr.clone().unwrap_or_default();
        let model = fmr.model_for(bar.is_some());
        fmr.check(model)?;
        let shape_bar = bar.cloned().unwrap_or_default();
        let lineshape = fmr.lineshape.unwrap_or(match model {
            FmrModel::Kittel => Lineshape::Derivative,
            FmrModel::Phenomenological => Lineshape::Absorption,
        });
        let bins = fmr.bins_for(model);
        let mut spectrometer = Spectrometer::new(
            model,
            lineshape,
            fmr.channels(bins),
            fmr.linewidth,
            fmr.gamma,
            [fmr.f_narrow.unwrap_or(9.0), fmr.f_wide.unwrap_or(7.5)],
            [fmr.vortex_shift, fmr.vortex_amplitude],
            fmr.applied_field,
            [shape_bar.shape(false), shape_bar.shape(true)],
            shape_bar.volume(true) / shape_bar.volume(false),
            [drive.phi().cos(), drive.phi().sin()],
            [fmr.noise, fmr.drift, fmr.drift_time],
            ice.params().random_seed,
        );
        if model == FmrModel::Kittel && self.threshold.is_none() {
            // The drawn thresholds stand for bar-to-bar variation of the dimensions; the same
            // variation moves each bar's anisotropy field, so the lines spread as the
            // switching fields do (documented in docs/physics/nanomagnet.md).
            let hc = ice.params().hc;
            let hc_wide = self.hc_wide.unwrap_or(0.85 * hc);
            spectrometer.hk_scale = (0..ice.len())
                .map(|i| ice.thresholds()[i] / if ice.is_wide(i) { hc_wide } else { hc })
                .collect();
        }
        let a = ice.layout().lattice_spacing();
        // The side is in lattice units; in absolute units it must stay a positive finite
        // length, which a tiny or huge spacing could break.
        if let Some(w) = self.window
            && !(w.is_finite() && w > 0.0 && (w * a).is_finite() && w * a > 0.0)
        {
            return Err(NanomagnetError::param(
                "window",
                "must be positive and finite (also times `lattice_spacing`)",
                w,
            ));
        }
        let mut vertices = None;
        let windows = match self.readout {
            Readout::Windows => window_members(&ice, self.window.unwrap_or(2.0) * a),
            Readout::VertexTypes => {
                let v = SquareVertices::new(ice.layout())?;
                let windows = match self.window {
                    Some(w) => v.windows(w * a),
                    None => vec![(0..v.len()).collect()],
                };
                vertices = Some(v);
                windows
            }
            _ => Vec::new(),
        };
        Ok(NanomagnetReservoir::assemble(
            ice,
            drive,
            self.readout,
            self.wide_bars,
            windows,
            vertices,
            moment,
            spectrometer,
            bins,
        ))
    }

    /// Applies the spin-vortex keys: wide-bar thresholds and the vortex state.
    fn make_vortex_ice(&self, ice: &mut SpinIce) -> Result<(), NanomagnetError> {
        let svi_keys = self.hc_wide.is_some()
            || self.vortex_window.is_some()
            || self.vortex_annihilation.is_some();
        if self.wide_bars == WideBars::None {
            if svi_keys {
                return Err(NanomagnetError::InvalidChoice {
                    name: "wide_bars",
                    message: "hc_wide, vortex_window and vortex_annihilation need \
                              wide_bars = \"vertical\", \"horizontal\" or \"alternate\""
                        .into(),
                });
            }
            return Ok(());
        }
        let angles = ice.angles();
        let wide: Vec<bool> = (0..ice.len())
            .map(|i| {
                let a = angles[i].rem_euclid(PI);
                match self.wide_bars {
                    WideBars::None => false,
                    WideBars::Vertical => (a - PI / 2.0).abs() < 1e-6,
                    WideBars::Horizontal => a < 1e-6 || PI - a < 1e-6,
                    WideBars::Alternate => i % 2 == 1,
                }
            })
            .collect();
        let hc = ice.params().hc;
        let hc_wide = self.hc_wide.unwrap_or(0.85 * hc);
        if !(hc_wide.is_finite() && hc_wide > 0.0) {
            return Err(NanomagnetError::param(
                "hc_wide",
                "must be positive and finite",
                hc_wide,
            ));
        }
        if self.threshold.is_none() {
            let scale = hc_wide / hc;
            let th: ndarray::Array1<f64> = ice
                .thresholds()
                .iter()
                .zip(&wide)
                .map(|(&t, &w)| if w { t * scale } else { t })
                .collect();
            ice.set_thresholds(th.view())?;
        }
        let d = VortexParams::default();
        ice.enable_vortices(
            &wide,
            VortexParams {
                window: self.vortex_window.unwrap_or(d.window),
                annihilation: self.vortex_annihilation.unwrap_or(d.annihilation),
            },
        )
    }
}

fn finite(name: &'static str, v: f64) -> Result<(), NanomagnetError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(NanomagnetError::param(name, "must be finite", v))
    }
}

fn not_for(key: &'static str, bad: bool, encoder: &str) -> Result<(), NanomagnetError> {
    if bad {
        Err(NanomagnetError::InvalidChoice {
            name: key,
            message: format!("does not apply to encoder {encoder:?}"),
        })
    } else {
        Ok(())
    }
}

/// Magnets grouped into square windows of side `w` tiling the bounding box, row-major from
/// the lower left; empty windows are dropped.
fn window_members(ice: &SpinIce, w: f64) -> Vec<Vec<usize>> {
    let pos = ice.positions();
    let points: Vec<[f64; 2]> = pos.rows().into_iter().map(|r| [r[0], r[1]]).collect();
    tile(&points, w)
}

/// Points grouped into square windows of side `w` tiling their bounding box, row-major from
/// the lower left; empty windows are dropped.
///
/// Only occupied windows are materialised: the points are sorted by window (row, then column;
/// the sort is stable, so each window lists its points in ascending index), which takes memory
/// in the number of points whatever the number of windows the box holds. A window far smaller
/// than the spacing would otherwise ask for an empty list per cell of a grid with up to 10¹⁴
/// cells.
pub(crate) fn tile(points: &[[f64; 2]], w: f64) -> Vec<Vec<usize>> {
    let fold =
        |k: usize, f: fn(f64, f64) -> f64, init: f64| points.iter().map(|p| p[k]).fold(init, f);
    let xmin = fold(0, f64::min, f64::INFINITY);
    let ymin = fold(1, f64::min, f64::INFINITY);
    // Window coordinates saturate (a float-to-integer cast clamps), which only merges windows
    // beyond 2^64 cells, where no two points can be anyway.
    let cell = |p: &[f64; 2]| {
        (
            ((p[1] - ymin) / w).floor() as u64,
            ((p[0] - xmin) / w).floor() as u64,
        )
    };
    let mut order: Vec<(u64, u64, usize)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (cy, cx) = cell(p);
            (cy, cx, i)
        })
        .collect();
    order.sort_by_key(|&(cy, cx, _)| (cy, cx));
    let mut cells: Vec<Vec<usize>> = Vec::new();
    let mut last = None;
    for (cy, cx, i) in order {
        if last != Some((cy, cx)) {
            cells.push(Vec::new());
            last = Some((cy, cx));
        }
        if let Some(c) = cells.last_mut() {
            c.push(i);
        }
    }
    cells
}

/// Most field samples per input of the `sine`, `triangle` and `rotate` encoders. Each sample
/// is held in a buffer (16 bytes, and 12 more per sample of a batched rig block) and relaxes the
/// array once, so a count beyond this would take hours per input; flatspin's default is 100.
pub const MAX_TIMESTEPS: usize = 1_000_000;

/// The validated input encoding: how one normalised input becomes a sequence of global
/// fields (see the module docs).
///
/// The simulator and the physical rig share it, so a run on the rig applies exactly the field
/// sequence the simulator would.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldEncoder {
    encoder: Encoder,
    h_min: f64,
    h_max: f64,
    phi: f64,
    phi0: f64,
    phi1: f64,
    timesteps: usize,
}

impl FieldEncoder {
    /// Checks the encoder keys of a `[substrate]` table (fields in tesla, angles in degrees;
    /// `None` takes the documented default).
    ///
    /// # Errors
    ///
    /// [`NanomagnetError::InvalidParameter`] for a non-finite or out-of-order amplitude or
    /// angle, or `timesteps` outside `1..=`[`MAX_TIMESTEPS`]; [`NanomagnetError::InvalidChoice`] for a key that does not
    /// apply to the chosen encoder.
    pub fn new(
        encoder: Encoder,
        h_min: f64,
        h_max: f64,
        phi: Option<f64>,
        phi0: Option<f64>,
        phi1: Option<f64>,
        timesteps: Option<usize>,
    ) -> Result<Self, NanomagnetError> {
        finite("h_min", h_min)?;
        finite("h_max", h_max)?;
        if h_min < 0.0 {
            return Err(NanomagnetError::param(
                "h_min",
                "must be non-negative",
                h_min,
            ));
        }
        if h_max <= h_min && encoder != Encoder::Direct {
            return Err(NanomagnetError::param(
                "h_max",
                "must be larger than `h_min`",
                h_max,
            ));
        }
        if encoder == Encoder::Direct && h_max <= 0.0 {
            return Err(NanomagnetError::param("h_max", "must be positive", h_max));
        }
        let uses_phi = matches!(
            encoder,
            Encoder::Loop | Encoder::Sine | Encoder::Triangle | Encoder::Constant
        );
        not_for("phi", phi.is_some() && !uses_phi, encoder.name())?;
        let angle_keys = phi0.is_some() || phi1.is_some();
        not_for(
            "phi0/phi1",
            angle_keys && encoder != Encoder::Angle,
            encoder.name(),
        )?;
        not_for(
            "timesteps",
            timesteps.is_some() && !encoder.takes_timesteps(),
            encoder.name(),
        )?;
        let phi = phi.unwrap_or(45.0);
        let phi0 = phi0.unwrap_or(0.0);
        let phi1 = phi1.unwrap_or(360.0);
        for (name, v) in [("phi", phi), ("phi0", phi0), ("phi1", phi1)] {
            finite(name, v)?;
        }
        let timesteps = timesteps.unwrap_or(100);
        if !(1..=MAX_TIMESTEPS).contains(&timesteps) {
            return Err(NanomagnetError::param(
                "timesteps",
                "must be between 1 and 1000000",
                timesteps as f64,
            ));
        }
        Ok(FieldEncoder {
            encoder,
            h_min,
            h_max,
            phi: phi.to_radians(),
            phi0: phi0.to_radians(),
            phi1: phi1.to_radians(),
            timesteps,
        })
    }

    /// The encoder kind.
    pub fn encoder(&self) -> Encoder {
        self.encoder
    }

    /// Input components per step: 2 for `direct`, otherwise 1.
    pub fn input_dim(&self) -> usize {
        self.encoder.input_dim()
    }

    /// Field samples applied per input: `timesteps` for `sine`, `triangle` and `rotate`, 2
    /// for `loop`, otherwise 1.
    pub fn samples_per_input(&self) -> usize {
        match self.encoder {
            Encoder::Sine | Encoder::Triangle | Encoder::Rotate => self.timesteps,
            Encoder::Loop => 2,
            Encoder::Angle | Encoder::Constant | Encoder::Direct => 1,
        }
    }

    /// Field amplitude at `u = −1` and `u = +1`, tesla.
    pub fn amplitude_range(&self) -> (f64, f64) {
        (self.h_min, self.h_max)
    }

    /// Field angle of `loop`, `sine`, `triangle` and `constant`, radians.
    pub fn phi(&self) -> f64 {
        self.phi
    }

    /// The largest field magnitude any input in `[-1, 1]` can produce, tesla: what a rig's
    /// field limit must allow.
    pub fn max_field(&self) -> f64 {
        match self.encoder {
            Encoder::Direct => self.h_max * std::f64::consts::SQRT_2,
            Encoder::Angle => self.h_max.abs(),
            _ => self.h_min.abs().max(self.h_max.abs()),
        }
    }

    /// The field samples (tesla, global frame) for one input, written over `out`.
    ///
    /// # Errors
    ///
    /// The input check of [`check_input`]: wrong length, non-finite or outside `[-1, 1]`.
    pub fn fields(&self, input: &[f64], out: &mut Vec<[f64; 2]>) -> Result<(), Error> {
        check_input(input, self.input_dim())?;
        self.fields_unchecked(input, out);
        Ok(())
    }

    /// [`fields`](Self::fields) for an input already checked.
    fn fields_unchecked(&self, input: &[f64], out: &mut Vec<[f64; 2]>) {
        out.clear();
        let x = (input[0] + 1.0) / 2.0;
        let h = self.h_min + x * (self.h_max - self.h_min);
        let along = |a: f64| [a * self.phi.cos(), a * self.phi.sin()];
        let t = self.timesteps;
        let phase = |k: usize| 2.0 * PI * k as f64 / t as f64;
        match self.encoder {
            Encoder::Loop => {
                out.push(along(h));
                out.push(along(-h));
            }
            Encoder::Sine => out.extend((0..t).map(|k| along(h * phase(k).sin()))),
            Encoder::Triangle => out.extend((0..t).map(|k| along(h * triangle(phase(k))))),
            Encoder::Rotate => out.extend((0..t).map(|k| {
                let p = phase(k);
                [h * p.cos(), h * p.sin()]
            })),
            Encoder::Angle => {
                let a = self.phi0 + x * (self.phi1 - self.phi0);
                out.push([self.h_max * a.cos(), self.h_max * a.sin()]);
            }
            Encoder::Constant => out.push(along(h)),
            Encoder::Direct => out.push([input[0] * self.h_max, input[1] * self.h_max]),
        }
    }
}

/// A triangle wave of period 2π with value 0 and rising at `p = 0`, peak 1 at π/2.
fn triangle(p: f64) -> f64 {
    let s = (p + PI / 2.0).rem_euclid(2.0 * PI);
    if s < PI {
        -1.0 + 2.0 * s / PI
    } else {
        3.0 - 2.0 * s / PI
    }
}

/// An artificial spin ice driven as a reservoir; built by [`NanomagnetConfig::build`].
///
/// # Contract
///
/// Implements [`Reservoir`]: inputs are validated before the field is touched, `reset`
/// restores the initial spins and re-seeds the thermal and flip-mode randomness, and
/// [`energy`](Reservoir::energy) is the switching energy charged since the last reset (see
/// the module docs).
#[derive(Debug, Clone)]
pub struct NanomagnetReservoir {
    ice: SpinIce,
    drive: FieldEncoder,
    readout: Readout,
    wide_bars: WideBars,
    windows: Vec<Vec<usize>>,
    vertices: Option<SquareVertices>,
    moment: f64,
    fmr: Spectrometer,
    state_dim: usize,
    energy: f64,
    flips: u64,
    buf: Vec<[f64; 2]>,
    prev: Vec<i8>,
    /// The local fields the FMR readout needs every step, kept so it allocates nothing.
    fields: ndarray::Array2<f64>,
}

impl NanomagnetReservoir {
    fn assemble(
        ice: SpinIce,
        drive: FieldEncoder,
        readout: Readout,
        wide_bars: WideBars,
        windows: Vec<Vec<usize>>,
        vertices: Option<SquareVertices>,
        moment: f64,
        fmr: Spectrometer,
        bins: usize,
    ) -> Self {
        let state_dim = match readout {
            Readout::Spins => ice.len(),
            Readout::Magnetization => 2,
            Readout::Windows => 2 * windows.len(),
            Readout::Fmr => bins,
            Readout::VertexTypes => 4 * windows.len(),
        };
        let prev = ice.spins().to_vec();
        let fields = if readout == Readout::Fmr {
            ndarray::Array2::zeros((ice.len(), 2))
        } else {
            ndarray::Array2::zeros((0, 2))
        };
        NanomagnetReservoir {
            ice,
            drive,
            readout,
            wide_bars,
            windows,
            vertices,
            moment,
            fmr,
            state_dim,
            energy: 0.0,
            flips: 0,
            buf: Vec::new(),
            prev,
            fields,
        }
    }

    /// The array being driven.
    pub fn spin_ice(&self) -> &SpinIce {
        &self.ice
    }

    /// Magnets flipped since the last reset.
    pub fn flips(&self) -> u64 {
        self.flips
    }

    /// The input encoding this reservoir drives the array with.
    pub fn encoder(&self) -> &FieldEncoder {
        &self.drive
    }

    /// Sets a uniform field `(h_x, h_y)` in tesla and relaxes the array, charging the
    /// switching energy of every flip: one field sample of a [`step`](Reservoir::step).
    ///
    /// This is how an emulated rig drives its simulated sample with the field its coils
    /// actually produce.
    ///
    /// # Errors
    ///
    /// A non-finite component; the array is then unchanged.
    pub fn apply_field(&mut self, h: [f64; 2]) -> Result<(), NanomagnetError> {
        self.ice.set_field(h)?;
        self.ice.relax();
        let th = self.ice.thresholds();
        for (i, (p, &s)) in self.prev.iter_mut().zip(self.ice.spins()).enumerate() {
            if *p != s {
                *p = s;
                self.flips += 1;
                self.energy += 2.0 * self.moment * th[i];
            }
        }
        Ok(())
    }

    /// Reads the configured readout of the present state into `out` (`state_dim` values)
    /// without driving the array.
    ///
    /// # Errors
    ///
    /// `out` of the wrong length.
    pub fn read_state(&mut self, out: &mut [f64]) -> Result<(), Error> {
        check_state_len(out, self.state_dim)?;
        self.write_state(out);
        Ok(())
    }

    /// The local fields the FMR readout sees: the total field, less the applied field when
    /// `applied_field = false`.
    fn fmr_fields(&mut self) {
        self.ice.total_fields_into(&mut self.fields);
        if !self.fmr.applied_field {
            let h = &mut self.fields;
            let ang = self.ice.angles();
            for (i, (&s, hg)) in self.ice.spins().iter().zip(self.ice.applied()).enumerate() {
                let (c, sn) = (ang[i].cos(), ang[i].sin());
                let sf = f64::from(s);
                h[[i, 0]] -= sf * (hg[0] * c + hg[1] * sn);
                h[[i, 1]] -= sf * (-hg[0] * sn + hg[1] * c);
            }
        }
    }

    /// The FMR spectrum of the current state into `out` (one value per channel).
    fn write_fmr(&mut self, out: &mut [f64]) {
        self.fmr_fields();
        self.fmr.write(&self.ice, &self.fields, out);
    }

    /// The FMR model in effect (`readout = "fmr"`), its lineshape and channel frequencies (GHz).
    pub fn fmr_setup(&self) -> (FmrModel, Lineshape, &[f64]) {
        (self.fmr.model, self.fmr.lineshape, &self.fmr.channels)
    }

    /// The resonance frequency of every bar in the present state and field, GHz, as the FMR
    /// readout places its lines before drift (NaN for a macrospin beyond its stability limit,
    /// which has no mode). Allocates; a diagnostic, not part of a step.
    pub fn resonances(&mut self) -> Vec<f64> {
        if self.fields.nrows() != self.ice.len() {
            self.fields = ndarray::Array2::zeros((self.ice.len(), 2));
        }
        self.fmr_fields();
        let mut out = Vec::new();
        self.fmr.resonances(&self.ice, &self.fields, &mut out);
        out
    }

    fn write_state(&mut self, out: &mut [f64]) {
        if self.readout == Readout::Fmr {
            self.write_fmr(out);
            return;
        }
        let s = self.ice.spins();
        let ang = self.ice.angles();
        match self.readout {
            Readout::Spins => {
                for (o, &v) in out.iter_mut().zip(s) {
                    *o = f64::from(v);
                }
            }
            Readout::Magnetization => {
                let (mut mx, mut my) = (0.0, 0.0);
                for (i, &v) in s.iter().enumerate() {
                    mx += f64::from(v) * ang[i].cos();
                    my += f64::from(v) * ang[i].sin();
                }
                let n = s.len() as f64;
                out[0] = mx / n;
                out[1] = my / n;
            }
            Readout::Windows => {
                for (k, members) in self.windows.iter().enumerate() {
                    let (mut mx, mut my) = (0.0, 0.0);
                    for &i in members {
                        mx += f64::from(s[i]) * ang[i].cos();
                        my += f64::from(s[i]) * ang[i].sin();
                    }
                    let n = members.len() as f64;
                    out[2 * k] = mx / n;
                    out[2 * k + 1] = my / n;
                }
            }
            Readout::VertexTypes => {
                if let Some(v) = &self.vertices {
                    for (k, members) in self.windows.iter().enumerate() {
                        v.window_populations(members, s, &mut out[4 * k..4 * k + 4]);
                    }
                }
            }
            Readout::Fmr => unreachable!("handled above"),
        }
    }
}

impl Reservoir for NanomagnetReservoir {
    fn input_dim(&self) -> usize {
        self.drive.encoder.input_dim()
    }

    fn state_dim(&self) -> usize {
        self.state_dim
    }

    fn reset(&mut self) -> Result<(), Error> {
        self.ice.reset();
        self.fmr.reset();
        self.energy = 0.0;
        self.flips = 0;
        self.prev.clear();
        self.prev.extend_from_slice(self.ice.spins());
        Ok(())
    }

    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
        check_input(input, self.input_dim())?;
        check_state_len(state_out, self.state_dim)?;
        let mut fields = std::mem::take(&mut self.buf);
        self.drive.fields_unchecked(input, &mut fields);
        for h in &fields {
            // Finite by construction: finite inputs and finite, validated drive parameters.
            self.apply_field(*h)?;
        }
        self.buf = fields;
        self.write_state(state_out);
        Ok(())
    }

    fn info(&self) -> Info {
        let p = self.ice.params();
        Info::new("nanomagnet")
            .with("geometry", self.ice.layout().kind().name())
            .with("magnets", self.ice.len())
            .with("alpha", p.alpha)
            .with("hc", p.hc)
            .with("disorder", p.disorder)
            .with("temperature", p.temperature)
            .with("flip_mode", p.flip_mode.name())
            .with("random_seed", p.random_seed)
            .with("encoder", self.drive.encoder.name())
            .with("h_min", self.drive.h_min)
            .with("h_max", self.drive.h_max)
            .with("phi_deg", self.drive.phi.to_degrees())
            .with("readout", self.readout.name())
            .with("wide_bars", self.wide_bars.name())
            .with("vortices", self.ice.vortex_count())
            .with(
                "fmr_model",
                if self.readout == Readout::Fmr {
                    self.fmr.model.name()
                } else {
                    "none"
                },
            )
    }

    fn energy(&self) -> Option<f64> {
        Some(self.energy)
    }
}

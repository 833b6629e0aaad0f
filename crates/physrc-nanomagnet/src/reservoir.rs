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
//! the coarse-grained readout of Jensen & Tufte (ALIFE 2020).
//!
//! # Energy
//!
//! Each switching event is charged `2·moment·h_k,i` joules, the area of the easy-axis
//! Stoner–Wohlfarth hysteresis loop of magnet `i` (Stoner & Wohlfarth, Phil. Trans. R. Soc. A
//! 240, 599 (1948)): an upper bound on the energy one reversal dissipates. Drive electronics
//! are excluded.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use physrc_core::{Error, Info, Reservoir, check_input, check_state_len};
use serde::Deserialize;

use crate::config::{GeometryName, SimulationConfig};
use crate::error::NanomagnetError;
use crate::model::SpinIce;
use crate::params::{Engine, FlipMode};

/// How one normalised input becomes a sequence of global fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
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
    fn name(self) -> &'static str {
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

    fn input_dim(self) -> usize {
        if self == Encoder::Direct { 2 } else { 1 }
    }
}

/// What the reservoir state is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Readout {
    /// Every magnet's spin, ±1 (N components).
    #[default]
    Spins,
    /// Mean magnetisation `(⟨m_x⟩, ⟨m_y⟩)` of the whole array (2 components).
    Magnetization,
    /// Mean magnetisation `(⟨m_x⟩, ⟨m_y⟩)` in each non-empty square window (2 per window).
    Windows,
}

impl Readout {
    fn name(self) -> &'static str {
        match self {
            Readout::Spins => "spins",
            Readout::Magnetization => "magnetization",
            Readout::Windows => "windows",
        }
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NanomagnetConfig {
    /// Lattice type.
    pub geometry: GeometryName,
    /// `[nx, ny]` (default `[4, 4]`); ignored for `custom`.
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
    /// Field samples per input for `sine`, `triangle` and `rotate` (default 100, flatspin's).
    #[serde(default)]
    pub timesteps: Option<usize>,
    /// State read out (default `spins`).
    #[serde(default)]
    pub readout: Readout,
    /// `windows` readout: window side in lattice units (default 2).
    #[serde(default)]
    pub window: Option<f64>,
    /// Magnetic moment of one magnet in A·m² for the energy estimate (default
    /// [`DEFAULT_MOMENT`]).
    #[serde(default)]
    pub moment: Option<f64>,
}

impl NanomagnetConfig {
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
        let ice = self.array_config().build(base_dir)?;
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
        finite("h_min", self.h_min)?;
        finite("h_max", self.h_max)?;
        if self.h_min < 0.0 {
            return Err(NanomagnetError::param(
                "h_min",
                "must be non-negative",
                self.h_min,
            ));
        }
        if self.h_max <= self.h_min && self.encoder != Encoder::Direct {
            return Err(NanomagnetError::param(
                "h_max",
                "must be larger than `h_min`",
                self.h_max,
            ));
        }
        if self.encoder == Encoder::Direct && self.h_max <= 0.0 {
            return Err(NanomagnetError::param(
                "h_max",
                "must be positive",
                self.h_max,
            ));
        }
        let uses_phi = matches!(
            self.encoder,
            Encoder::Loop | Encoder::Sine | Encoder::Triangle | Encoder::Constant
        );
        not_for("phi", self.phi.is_some() && !uses_phi, self.encoder.name())?;
        let angle_keys = self.phi0.is_some() || self.phi1.is_some();
        not_for(
            "phi0/phi1",
            angle_keys && self.encoder != Encoder::Angle,
            self.encoder.name(),
        )?;
        not_for(
            "timesteps",
            self.timesteps.is_some() && !self.encoder.takes_timesteps(),
            self.encoder.name(),
        )?;
        let phi = self.phi.unwrap_or(45.0);
        let phi0 = self.phi0.unwrap_or(0.0);
        let phi1 = self.phi1.unwrap_or(360.0);
        for (name, v) in [("phi", phi), ("phi0", phi0), ("phi1", phi1)] {
            finite(name, v)?;
        }
        let timesteps = self.timesteps.unwrap_or(100);
        if timesteps == 0 {
            return Err(NanomagnetError::param(
                "timesteps",
                "must be at least 1",
                0.0,
            ));
        }
        if self.window.is_some() && self.readout != Readout::Windows {
            return Err(NanomagnetError::InvalidChoice {
                name: "window",
                message: format!(
                    "applies to readout \"windows\" only, not {:?}",
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
        let windows = match self.readout {
            Readout::Windows => {
                let w = self.window.unwrap_or(2.0);
                if !(w.is_finite() && w > 0.0) {
                    return Err(NanomagnetError::param(
                        "window",
                        "must be positive and finite",
                        w,
                    ));
                }
                window_members(&ice, w * ice.layout().lattice_spacing())
            }
            _ => Vec::new(),
        };
        Ok(NanomagnetReservoir::assemble(
            ice,
            Drive {
                encoder: self.encoder,
                h_min: self.h_min,
                h_max: self.h_max,
                phi: phi.to_radians(),
                phi0: phi0.to_radians(),
                phi1: phi1.to_radians(),
                timesteps,
            },
            self.readout,
            windows,
            moment,
        ))
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
    let n = ice.len();
    let xmin = pos.column(0).iter().copied().fold(f64::INFINITY, f64::min);
    let ymin = pos.column(1).iter().copied().fold(f64::INFINITY, f64::min);
    let xmax = pos
        .column(0)
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let ymax = pos
        .column(1)
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let nx = ((xmax - xmin) / w).floor() as usize + 1;
    let ny = ((ymax - ymin) / w).floor() as usize + 1;
    let mut cells = vec![Vec::new(); nx * ny];
    for i in 0..n {
        let cx = (((pos[[i, 0]] - xmin) / w).floor() as usize).min(nx - 1);
        let cy = (((pos[[i, 1]] - ymin) / w).floor() as usize).min(ny - 1);
        cells[cy * nx + cx].push(i);
    }
    cells.retain(|c| !c.is_empty());
    cells
}

#[derive(Debug, Clone)]
struct Drive {
    encoder: Encoder,
    h_min: f64,
    h_max: f64,
    phi: f64,
    phi0: f64,
    phi1: f64,
    timesteps: usize,
}

impl Drive {
    /// The field samples for one input, appended to `out`.
    fn fields(&self, input: &[f64], out: &mut Vec<[f64; 2]>) {
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
    drive: Drive,
    readout: Readout,
    windows: Vec<Vec<usize>>,
    moment: f64,
    state_dim: usize,
    energy: f64,
    flips: u64,
    buf: Vec<[f64; 2]>,
    prev: Vec<i8>,
}

impl NanomagnetReservoir {
    fn assemble(
        ice: SpinIce,
        drive: Drive,
        readout: Readout,
        windows: Vec<Vec<usize>>,
        moment: f64,
    ) -> Self {
        let state_dim = match readout {
            Readout::Spins => ice.len(),
            Readout::Magnetization => 2,
            Readout::Windows => 2 * windows.len(),
        };
        let prev = ice.spins().to_vec();
        NanomagnetReservoir {
            ice,
            drive,
            readout,
            windows,
            moment,
            state_dim,
            energy: 0.0,
            flips: 0,
            buf: Vec::new(),
            prev,
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

    fn write_state(&self, out: &mut [f64]) {
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
        self.drive.fields(input, &mut fields);
        for h in &fields {
            // Finite by construction: finite inputs and finite, validated drive parameters.
            self.ice.set_field(*h)?;
            self.ice.relax();
            let th = self.ice.thresholds();
            for (i, (p, &s)) in self.prev.iter_mut().zip(self.ice.spins()).enumerate() {
                if *p != s {
                    *p = s;
                    self.flips += 1;
                    self.energy += 2.0 * self.moment * th[i];
                }
            }
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
    }

    fn energy(&self) -> Option<f64> {
        Some(self.energy)
    }
}

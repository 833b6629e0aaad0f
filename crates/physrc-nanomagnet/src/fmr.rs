//! The FMR readout: line positions from the array's state, a lineshape sampled in frequency
//! channels, and seeded measurement noise and drift.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::kittel::BarShape;
use crate::model::SpinIce;

/// Which physics places the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FmrModel {
    /// Each macrospin bar's uniform mode from the Kittel / Smit–Beljers formula with the shape
    /// anisotropy of its rectangular prism and its local field along and across the moment.
    Kittel,
    /// One line per bar at `f_narrow` or `f_wide` plus `gamma·h∥`: the linearised shift.
    Phenomenological,
}

impl FmrModel {
    /// The name used in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            FmrModel::Kittel => "kittel",
            FmrModel::Phenomenological => "phenomenological",
        }
    }
}

/// What each channel records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Lineshape {
    /// Lorentzian absorption, peak 1 per bar.
    Absorption,
    /// The field derivative of the absorption, `dP/dH`, as recorded with field modulation and
    /// a lock-in: the frequency derivative of each line times its frequency's field slope.
    Derivative,
}

impl Lineshape {
    /// The name used in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Lineshape::Absorption => "absorption",
            Lineshape::Derivative => "derivative",
        }
    }
}

/// The validated spectrometer: every constant resolved, plus its noise generator.
#[derive(Debug, Clone)]
pub(crate) struct Spectrometer {
    pub model: FmrModel,
    pub lineshape: Lineshape,
    pub channels: Vec<f64>,
    pub half_width: f64,
    pub gamma: f64,
    pub f_narrow: f64,
    pub f_wide: f64,
    pub vortex_shift: f64,
    pub vortex_amplitude: f64,
    pub applied_field: bool,
    /// Narrow and wide bar shapes (Kittel model).
    pub shapes: [BarShape; 2],
    /// Each bar's anisotropy field relative to its nominal shape's: its switching threshold
    /// over the mean of its sublattice, so the threshold disorder, which stands for
    /// bar-to-bar variation of the dimensions, also spreads the lines (inhomogeneous
    /// broadening). Empty when every bar is nominal.
    pub hk_scale: Vec<f64>,
    /// Absorption amplitude of a wide bar relative to a narrow one (its volume ratio).
    pub wide_amplitude: f64,
    /// Direction of the modulation field for `dP/dH`, global frame (unit vector).
    pub modulation: [f64; 2],
    pub noise: f64,
    pub drift: f64,
    pub drift_rho: f64,
    pub seed: u64,
    rng: ChaCha8Rng,
    drift_now: f64,
    /// Scratch: one (frequency, weight) per line.
    lines: Vec<(f64, f64)>,
}

/// Offset of the spectrometer's random stream from the array's seed, so that switching the
/// noise on or off never changes which magnets switch.
const NOISE_STREAM: u64 = 0x464d_525f_6e6f_6973;

impl Spectrometer {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: FmrModel,
        lineshape: Lineshape,
        channels: Vec<f64>,
        linewidth: f64,
        gamma: f64,
        phen: [f64; 2],
        vortex: [f64; 2],
        applied_field: bool,
        shapes: [BarShape; 2],
        wide_amplitude: f64,
        modulation: [f64; 2],
        noise: [f64; 3],
        seed: u64,
    ) -> Self {
        let [noise, drift, drift_time] = noise;
        Spectrometer {
            model,
            lineshape,
            channels,
            half_width: linewidth / 2.0,
            gamma,
            f_narrow: phen[0],
            f_wide: phen[1],
            vortex_shift: vortex[0],
            vortex_amplitude: vortex[1],
            applied_field,
            shapes,
            hk_scale: Vec::new(),
            wide_amplitude,
            modulation,
            noise,
            drift,
            drift_rho: (-1.0 / drift_time).exp(),
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed ^ NOISE_STREAM),
            drift_now: 0.0,
            lines: Vec::new(),
        }
    }

    /// Restarts the noise and drift from the seed.
    pub fn reset(&mut self) {
        self.rng = ChaCha8Rng::seed_from_u64(self.seed ^ NOISE_STREAM);
        self.drift_now = 0.0;
    }

    /// The resonance of every bar, GHz (NaN for a bar with no mode: a macrospin beyond its
    /// stability limit). `h` holds the local fields (parallel, perpendicular), N × 2.
    pub fn resonances(&self, ice: &SpinIce, h: &ndarray::Array2<f64>, out: &mut Vec<f64>) {
        out.clear();
        for i in 0..ice.len() {
            out.push(self.line(ice, h, i).map_or(f64::NAN, |(f, _)| f));
        }
    }

    /// Frequency and weight (amplitude, or `dP/dH` weight) of bar `i`'s line, if it has one.
    #[inline]
    fn line(&self, ice: &SpinIce, h: &ndarray::Array2<f64>, i: usize) -> Option<(f64, f64)> {
        let s = ice.spins()[i];
        let wide = ice.is_wide(i);
        let amp = if wide { self.wide_amplitude } else { 1.0 };
        // The modulation direction in the moment's frame (for a vortex, the +1 frame; unused).
        let th = ice.angles()[i];
        let sf = if s == 0 { 1.0 } else { f64::from(s) };
        let (mx, my) = (sf * th.cos(), sf * th.sin());
        let [ex, ey] = self.modulation;
        let e = [ex * mx + ey * my, -ex * my + ey * mx];
        match self.model {
            FmrModel::Phenomenological => {
                if s == 0 {
                    Some((self.f_wide - self.vortex_shift, self.vortex_amplitude))
                } else {
                    let base = if wide { self.f_wide } else { self.f_narrow };
                    // The line moves at `gamma` per tesla of field along the moment, so its
                    // `dP/dH` weight is the modulation's component along the moment.
                    let w = match self.lineshape {
                        Lineshape::Absorption => 1.0,
                        Lineshape::Derivative => e[0],
                    };
                    Some((base + self.gamma * h[[i, 0]], w))
                }
            }
            FmrModel::Kittel => {
                let shape = &self.shapes[usize::from(wide)];
                let hk = shape.anisotropy_field() * self.hk_scale.get(i).copied().unwrap_or(1.0);
                if s == 0 {
                    // The vortex line sits `vortex_shift` below the wide bar's zero-field
                    // macrospin mode, computed with the bar's own anisotropy field so that
                    // dimension disorder spreads the vortex lines too, and is held there (model
                    // choice). In `dP/dH` it is given the weight of a line with the free-spin
                    // slope γ/2π, so a vortex shows as a line of its own rather than only as a
                    // missing macrospin line.
                    let f0 = shape
                        .mode_with_anisotropy([0.0, 0.0], [1.0, 0.0], self.gamma, hk)?
                        .f;
                    return Some((f0 - self.vortex_shift, self.vortex_amplitude * amp));
                }
                let m = shape.mode_with_anisotropy([h[[i, 0]], h[[i, 1]]], e, self.gamma, hk)?;
                let w = match self.lineshape {
                    Lineshape::Absorption => amp,
                    Lineshape::Derivative => amp * m.df / self.gamma,
                };
                Some((m.f, w))
            }
        }
    }

    /// The spectrum of the array into `out` (one value per channel). `h` holds the local fields
    /// of the state being read.
    pub fn write(&mut self, ice: &SpinIce, h: &ndarray::Array2<f64>, out: &mut [f64]) {
        let mut lines = std::mem::take(&mut self.lines);
        lines.clear();
        for i in 0..ice.len() {
            if let Some(l) = self.line(ice, h, i) {
                lines.push(l);
            }
        }
        // Slow drift: every line moves by a common offset following an Ornstein–Uhlenbeck
        // process (a sample temperature or field calibration wandering between readings).
        if self.drift > 0.0 {
            let xi: f64 = StandardNormal.sample(&mut self.rng);
            let r = self.drift_rho;
            self.drift_now = r * self.drift_now + self.drift * (1.0 - r * r).sqrt() * xi;
            for l in lines.iter_mut() {
                l.0 += self.drift_now;
            }
        }
        // Bars in the same local environment resonate at bit-identical frequencies; merging
        // them first makes the channel loop cost the number of distinct lines, not of bars.
        lines.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut merged = 0;
        for k in 0..lines.len() {
            if merged > 0 && lines[merged - 1].0 == lines[k].0 {
                lines[merged - 1].1 += lines[k].1;
            } else {
                lines[merged] = lines[k];
                merged += 1;
            }
        }
        lines.truncate(merged);
        let g = self.half_width;
        let g2 = g * g;
        out.fill(0.0);
        match self.lineshape {
            Lineshape::Absorption => {
                for &(f, w) in &lines {
                    for (o, &fk) in out.iter_mut().zip(&self.channels) {
                        let d = fk - f;
                        *o += w * g2 / (d * d + g2);
                    }
                }
            }
            Lineshape::Derivative => {
                // ∂L/∂f_i = 2·d·g²/(d² + g²)² with d = f − f_i; times g so that a line's
                // extreme is 3√3/8 ≈ 0.65 of its weight.
                let c = 2.0 * g * g2;
                for &(f, w) in &lines {
                    for (o, &fk) in out.iter_mut().zip(&self.channels) {
                        let d = fk - f;
                        let q = d * d + g2;
                        *o += w * c * d / (q * q);
                    }
                }
            }
        }
        let n = ice.len() as f64;
        for o in out.iter_mut() {
            *o /= n;
        }
        if self.noise > 0.0 {
            for o in out.iter_mut() {
                let xi: f64 = StandardNormal.sample(&mut self.rng);
                *o += self.noise * xi;
            }
        }
        self.lines = lines;
    }
}

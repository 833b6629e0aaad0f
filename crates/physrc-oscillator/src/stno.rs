//! Spin-torque nano-oscillator (STNO) reservoir: one magnetic tunnel junction, time-multiplexed
//! into virtual neurons (Torrejon et al., Nature 547, 428 (2017)).
//!
//! # Model
//!
//! The universal auto-oscillator model (Slavin & Tiberkevich, IEEE Trans. Magn. 45, 1875
//! (2009)) for the complex oscillation amplitude `c`, power `p = |c|²`:
//!
//! ```text
//! dc/dt = −i ω(p) c − Γ₊(p) c + Γ₋(p) c + f(t)
//! Γ₊(p) = Γ_G (1 + Q p)          positive (natural) damping, nonlinear through Q
//! Γ₋(p) = σ I (1 − p)            negative damping from spin-transfer torque, σ = Γ_G / I_th
//! ⟨f(t) f*(t')⟩ = 2 D(p) δ(t − t')   thermal noise
//! ```
//!
//! so that without noise `dp/dt = −2 [Γ_G (1 + Q p) − σ I (1 − p)] p`, whose stable fixed
//! point is `p₀ = (ζ − 1)/(ζ + Q)` above threshold (`ζ = I / I_th > 1`) and `p₀ = 0` below it,
//! approached at the rate `2 Γ_G |ζ − 1|`.
//!
//! # Thermal noise
//!
//! Two diffusion laws, chosen by [`StnoNoise`]:
//!
//! - `Constant`: `D = Γ_G p_T`, the same at every power. It is the low-power limit of the next
//!   one and what physrc used before the power-dependent law existed.
//! - `Thermal`: `D(p) = Γ₊(p) k_B T / λ = Γ_G (1 + Q p) p_T`, the fluctuation–dissipation form
//!   of the auto-oscillator theory (Slavin & Tiberkevich 2009, Sec. VI), with the oscillation
//!   energy `E(p) = λ p` linear in power so that `p_T = k_B T / E₀`, `E₀ = E(1)`. The positive
//!   damping that takes energy out of the mode is what lets the bath put it back, so the noise
//!   grows with `Γ₊(p)`; spin torque (`Γ₋`) is a current, not a bath, and adds none.
//!
//! With either law `p_T` is, to first order, the mean power at zero current. The thermal law is
//! integrated in the Itô sense with the drift term `+½ ∇D = Γ_G Q p_T c` added, which makes
//! the stationary distribution the theory's,
//! `P(p) ∝ exp(−(1/p_T) ∫₀^p [1 − Γ₋(p')/Γ₊(p')] dp')`, the Boltzmann distribution `e^{−E/k_B T}`
//! at zero current. Above threshold the phase diffuses with `⟨Δφ²⟩ = (D(p₀)/p₀) t`: a
//! Lorentzian line of full width at half maximum `2Δω = D(p₀)/p₀ = Γ₊(p₀) k_B T / E(p₀)`
//! (the generation linewidth of the theory without its nonlinear-frequency-shift factor
//! `1 + ν²`, since the model drops `ω(p)`; [`StnoModel::linewidth_mhz`]).
//!
//! # Why the frequency term is dropped
//!
//! The output is the amplitude `|c|`. The term `−i ω(p) c` only rotates the phase; in the frame
//! rotating with the accumulated phase, the amplitude obeys the same equation without it, and
//! the rotated thermal noise has the same (isotropic) statistics. Integrating in that frame gives
//! the amplitude the same law while avoiding the ~1 ns⁻¹ phase rotation that would otherwise
//! force sub-nanosecond steps.
//!
//! # Integration
//!
//! Stochastic Heun (predictor–corrector with the same noise increment for both stages): for
//! additive noise it converges strongly with order 1, and without noise it is the second-order
//! Heun method. The step is `θ / substeps`, fixed, so runs are deterministic given the seed.
//!
//! # Time multiplexing and drive
//!
//! Each normalised input `u ∈ [−1, 1]^d` is held for one frame of `M` virtual nodes of duration
//! `θ`; during node `i` the junction carries `I_i = I_bias + ΔI · Σ_d mask[i, d] u_d`. The state
//! is the amplitude `|c|` (or power `p`) at the end of each node. The configuration is rejected
//! when `|I_bias| + ΔI · max_i Σ_d |mask[i, d]|` exceeds the safe maximum `I_max`, so no input can
//! push the current past it.
//!
//! # Energy (model estimate)
//!
//! Joule heating in the junction, `Σ_i I_i² R θ`, summed over all virtual nodes since the last
//! reset. This is the energy drawn through the device only: it leaves out the input and readout
//! electronics (current source, rectifier, ADC) and the bias field magnet, which in a lab set-up
//! dominate.

use ndarray::{Array2, ArrayView2};
use num_complex::Complex64;
use physrc_core::{Error, Info, MemoryBudget, Reservoir, bytes_for, check_input, check_state_len};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Deserialize;

use crate::OscillatorError;
use crate::error::{at_least_one, delay_line_len, finite, non_negative, positive, substeps};
use crate::mask::{MaskKind, NOISE_STREAM, draw_mask, max_abs_row_sum};

/// The deterministic-plus-thermal dynamics of one STNO's amplitude, in nanoseconds and
/// milliamperes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StnoModel {
    gamma_g: f64,
    q: f64,
    i_threshold: f64,
    thermal_power: f64,
    noise: StnoNoise,
}

/// Boltzmann's constant, J/K (exact in the 2019 SI).
pub const BOLTZMANN_J_PER_K: f64 = 1.380_649e-23;

/// How the thermal noise of an STNO depends on its power (`noise` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StnoNoise {
    /// `D = Γ_G p_T` at every power: the low-power limit of `Thermal`.
    #[default]
    Constant,
    /// `D(p) = Γ₊(p) p_T = Γ_G (1 + Q p) k_B T / E₀`: the auto-oscillator theory's thermal
    /// noise (Slavin & Tiberkevich, IEEE Trans. Magn. 45, 1875 (2009)).
    Thermal,
}

impl StnoModel {
    /// A model with linear damping rate `Γ_G` (per ns), nonlinear damping `Q`, threshold current
    /// `I_th` (mA) and thermal power `p_T` (dimensionless, 0 switches noise off), with the
    /// constant diffusion law; [`with_noise`](Self::with_noise) selects the other.
    ///
    /// # Errors
    ///
    /// [`OscillatorError::InvalidParameter`] when `Γ_G` or `I_th` is not positive, or `Q` or
    /// `p_T` is negative or non-finite.
    pub fn new(
        gamma_g_per_ns: f64,
        q: f64,
        i_threshold_ma: f64,
        thermal_power: f64,
    ) -> Result<Self, OscillatorError> {
        Ok(StnoModel {
            gamma_g: positive("gamma_g_per_ns", gamma_g_per_ns)?,
            q: non_negative("q", q)?,
            i_threshold: positive("i_threshold_ma", i_threshold_ma)?,
            thermal_power: non_negative("thermal_power", thermal_power)?,
            noise: StnoNoise::Constant,
        })
    }

    /// The same model with the diffusion law `noise`.
    pub fn with_noise(self, noise: StnoNoise) -> Self {
        StnoModel { noise, ..self }
    }

    /// The diffusion law of the thermal noise.
    pub fn noise(&self) -> StnoNoise {
        self.noise
    }

    /// Diffusion coefficient `D(p)`, per ns: `⟨f f*⟩ = 2 D δ(t − t')`.
    pub fn diffusion(&self, p: f64) -> f64 {
        match self.noise {
            StnoNoise::Constant => self.gamma_g * self.thermal_power,
            StnoNoise::Thermal => self.gamma_g * (1.0 + self.q * p) * self.thermal_power,
        }
    }

    /// Generation linewidth, full width at half maximum in MHz, at a constant current above
    /// threshold: `D(p₀) / (2π p₀)` with `D` per ns, from the phase diffusion
    /// `⟨Δφ²⟩ = (D(p₀)/p₀) t` of the rotating-frame model (no nonlinear frequency shift).
    /// `None` at or below threshold, where the line is the thermal resonance instead.
    pub fn linewidth_mhz(&self, i_ma: f64) -> Option<f64> {
        let p0 = self.steady_power(i_ma);
        (p0 > 0.0).then(|| self.diffusion(p0) / p0 / (2.0 * std::f64::consts::PI) * 1e3)
    }

    /// Supercriticality `ζ = I / I_th`.
    pub fn supercriticality(&self, i_ma: f64) -> f64 {
        i_ma / self.i_threshold
    }

    /// Noise-free steady-state power: `(ζ − 1)/(ζ + Q)` above threshold, 0 at or below it.
    pub fn steady_power(&self, i_ma: f64) -> f64 {
        let z = self.supercriticality(i_ma);
        if z > 1.0 {
            (z - 1.0) / (z + self.q)
        } else {
            0.0
        }
    }

    /// Rate at which the noise-free power approaches its steady state once close to it,
    /// `2 Γ_G |ζ − 1|` per ns (the linearisation of `dp/dt` at the fixed point).
    pub fn power_relaxation_rate(&self, i_ma: f64) -> f64 {
        2.0 * self.gamma_g * (self.supercriticality(i_ma) - 1.0).abs()
    }

    /// The noise-free power equation `dp/dt = −2 [Γ_G (1 + Q p) − σ I (1 − p)] p`, per ns.
    pub fn power_derivative(&self, p: f64, i_ma: f64) -> f64 {
        -2.0 * self.net_damping(p, i_ma) * p
    }

    /// `Γ₊(p) − Γ₋(p)`.
    fn net_damping(&self, p: f64, i_ma: f64) -> f64 {
        self.gamma_g * (1.0 + self.q * p) - self.gamma_g * self.supercriticality(i_ma) * (1.0 - p)
    }

    /// Deterministic drift of the complex amplitude in the rotating frame.
    pub fn drift(&self, c: Complex64, i_ma: f64) -> Complex64 {
        c * (-self.net_damping(c.norm_sqr(), i_ma))
    }

    /// Largest relaxation rate the dynamics can show for currents up to `|i| ≤ i_peak_ma` and
    /// powers up to 1: bounds the stable step of the explicit integrator.
    fn stiffness(&self, i_peak_ma: f64) -> f64 {
        let z = self.supercriticality(i_peak_ma.abs());
        2.0 * self.gamma_g * (1.0 + self.q + 2.0 * z)
    }

    /// Mean power the oscillator sits at for a constant current: `p₀` above threshold; below
    /// it, the thermal equilibrium `p_T / (1 − ζ)` of the linearised dynamics; at threshold,
    /// `√(p_T / (1 + Q))`. These are mean-field values: they neglect the power fluctuations.
    pub fn resting_power(&self, i_ma: f64) -> f64 {
        let z = self.supercriticality(i_ma);
        if z > 1.0 {
            self.steady_power(i_ma)
        } else if z < 1.0 {
            self.thermal_power / (1.0 - z)
        } else {
            // At threshold the linear damping vanishes and the noise balances the nonlinear
            // term: 2 Γ_G (1 + Q) p² = 2 Γ_G p_T.
            (self.thermal_power / (1.0 + self.q)).sqrt()
        }
    }

    /// Advances `c` by one stochastic Heun step of `dt` ns at current `i_ma`. `rng` draws the
    /// thermal noise; it is not touched when `p_T = 0`.
    pub fn advance(&self, c: &mut Complex64, i_ma: f64, dt: f64, rng: &mut ChaCha8Rng) {
        if self.noise == StnoNoise::Thermal && self.thermal_power > 0.0 {
            self.advance_thermal(c, i_ma, dt, rng);
            return;
        }
        let noise = if self.thermal_power > 0.0 {
            // Each quadrature receives variance D dt, so ⟨|ξ|²⟩ = 2 D dt with D = Γ_G p_T.
            let s = (self.gamma_g * self.thermal_power * dt).sqrt();
            let a: f64 = StandardNormal.sample(rng);
            let b: f64 = StandardNormal.sample(rng);
            Complex64::new(s * a, s * b)
        } else {
            Complex64::new(0.0, 0.0)
        };
        let f0 = self.drift(*c, i_ma);
        let pred = *c + f0 * dt + noise;
        let f1 = self.drift(pred, i_ma);
        *c = *c + (f0 + f1) * (0.5 * dt) + noise;
    }

    /// One step with the power-dependent diffusion `D(p) = Γ_G (1 + Q p) p_T`.
    ///
    /// The noise amplitude is taken at the start of the step (Itô), and the drift carries the
    /// correction `+½ ∇D = Γ_G Q p_T c` (`∇p = 2c`), so that the density obeys
    /// `∂P/∂t = −∇·(A P) + ½ ∇·(D ∇P)`: zero flux then gives `d ln P / dp = −(Γ₊ − Γ₋)/D`,
    /// the stationary law of the theory. Without the correction the Itô equation would weight
    /// it by `1/Γ₊(p)`, a bias of order `Q p_T`.
    fn advance_thermal(&self, c: &mut Complex64, i_ma: f64, dt: f64, rng: &mut ChaCha8Rng) {
        let s = (self.diffusion(c.norm_sqr()) * dt).sqrt();
        let a: f64 = StandardNormal.sample(rng);
        let b: f64 = StandardNormal.sample(rng);
        let noise = Complex64::new(s * a, s * b);
        let ito = self.gamma_g * self.q * self.thermal_power;
        let f0 = self.drift(*c, i_ma) + *c * ito;
        let pred = *c + f0 * dt + noise;
        let f1 = self.drift(pred, i_ma) + pred * ito;
        *c = *c + (f0 + f1) * (0.5 * dt) + noise;
    }

    /// Linear damping rate `Γ_G`, per ns.
    pub fn gamma_g(&self) -> f64 {
        self.gamma_g
    }

    /// Nonlinear damping coefficient `Q`.
    pub fn q(&self) -> f64 {
        self.q
    }

    /// Threshold current `I_th`, mA.
    pub fn i_threshold(&self) -> f64 {
        self.i_threshold
    }

    /// Thermal power `p_T`.
    pub fn thermal_power(&self) -> f64 {
        self.thermal_power
    }
}

/// What the STNO reservoir reads out at each virtual node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StnoOutput {
    /// The oscillation amplitude `|c| = √p` (what Torrejon et al. measure through the rectified
    /// voltage envelope).
    #[default]
    Amplitude,
    /// The power `p = |c|²`.
    Power,
}

/// Configuration of an STNO reservoir (`model = "stno"` in the `[substrate]` table).
///
/// Units are in the key names: ns, mA, Ω. The defaults are representative orders of magnitude
/// for a vortex magnetic tunnel junction of a few hundred nm diameter (damping time ~50 ns,
/// threshold a few mA, tens of Ω); they are assumptions documented in
/// `docs/physics/oscillator.md`, not values fitted to Torrejon's device.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StnoConfig {
    /// Linear damping rate `Γ_G`, per ns (default 0.02: a 50 ns damping time).
    pub gamma_g_per_ns: f64,
    /// Nonlinear damping coefficient `Q` (default 2).
    pub q: f64,
    /// Threshold current `I_th`, mA (default 4).
    pub i_threshold_ma: f64,
    /// DC bias current, mA (default 6, so `ζ = 1.5` at rest).
    pub i_bias_ma: f64,
    /// Current swing per unit of masked input, mA (default 1.5).
    pub delta_i_ma: f64,
    /// Safe maximum current magnitude, mA (default 10). The configuration is rejected if the
    /// input range can drive past it.
    pub i_max_ma: f64,
    /// Thermal power `p_T = k_B T / E₀`, the mean power at zero current; 0 turns noise off.
    /// With `noise = "constant"` it defaults to 1e-4. With `noise = "thermal"` give either it
    /// or `temperature_k` and `mode_energy_j`, which set it, not both.
    pub thermal_power: Option<f64>,
    /// How the thermal noise depends on the power (default `"constant"`; `"thermal"` is the
    /// auto-oscillator theory's `D(p) = Γ₊(p) k_B T / E₀`).
    pub noise: StnoNoise,
    /// Junction temperature `T`, K, for `noise = "thermal"` (with `mode_energy_j`).
    pub temperature_k: Option<f64>,
    /// Energy of the oscillation mode at `p = 1`, `E₀`, J, for `noise = "thermal"` (with
    /// `temperature_k`): `p_T = k_B T / E₀`.
    pub mode_energy_j: Option<f64>,
    /// Junction resistance for the Joule-heating energy estimate, Ω (default 40).
    pub resistance_ohm: f64,
    /// Virtual nodes per input sample `M` (default 10); `M + feedback_offset` may not exceed
    /// 2^24.
    pub virtual_nodes: usize,
    /// Duration of one virtual node `θ`, ns (default 10).
    pub theta_ns: f64,
    /// Integration steps per virtual node (default 10, at most 1,000,000).
    pub substeps: usize,
    /// How the `M × d` input mask is drawn; its amplitude is 1 (the current scale is
    /// `delta_i_ma`).
    pub mask: MaskKind,
    /// What is read out at each virtual node.
    pub output: StnoOutput,
    /// Delayed-feedback gain `β`, mA per unit of amplitude (default 0: no loop).
    ///
    /// With a loop, the current through virtual node `i` adds `β·a_i`, where `a_i` is the
    /// amplitude the same node read one input step earlier (delay `τ = Mθ`), as in the
    /// delayed-feedback STNO of Riou et al., Phys. Rev. Applied 12, 024049 (2019). Without it
    /// the only memory is the oscillator's own relaxation, which fades within a few `1/Γ_p`;
    /// the loop carries the previous frame into the current one. The fed-back amplitude is
    /// clipped to `[0, 1]` (the loop amplifier saturates at the full-scale mode amplitude), so
    /// the current limit check can bound it.
    pub feedback_ma: f64,
    /// Extra node spacings in the feedback delay: `τ = (M + feedback_offset)·θ` (default 0).
    ///
    /// With an offset `d` node `i` hears the amplitude read `M + d` nodes earlier: for
    /// `d ≤ i` node `i − d` of the previous step, otherwise a node of an earlier step. It mixes
    /// the virtual nodes with each other the way Appeltant's desynchronised delay loop does.
    /// `M + d` may not exceed 2^24.
    pub feedback_offset: usize,
    /// Seed of the mask (ChaCha8 stream 0) and of the thermal noise (stream 1).
    pub seed: u64,
}

impl Default for StnoConfig {
    fn default() -> Self {
        StnoConfig {
            gamma_g_per_ns: 0.02,
            q: 2.0,
            i_threshold_ma: 4.0,
            i_bias_ma: 6.0,
            delta_i_ma: 1.5,
            i_max_ma: 10.0,
            thermal_power: None,
            noise: StnoNoise::Constant,
            temperature_k: None,
            mode_energy_j: None,
            resistance_ohm: 40.0,
            virtual_nodes: 10,
            theta_ns: 10.0,
            substeps: 10,
            mask: MaskKind::Binary,
            output: StnoOutput::Amplitude,
            feedback_ma: 0.0,
            feedback_offset: 0,
            seed: 0,
        }
    }
}

/// `p_T` of the constant-noise model when `thermal_power` is not given.
pub const DEFAULT_THERMAL_POWER: f64 = 1e-4;

impl StnoConfig {
    /// The thermal power `p_T` these keys ask for, checked.
    ///
    /// # Errors
    ///
    /// [`OscillatorError::InvalidParameter`] naming the key when `temperature_k` or
    /// `mode_energy_j` is given without `noise = "thermal"`, when only one of them is given, when
    /// `thermal_power` is given with them, when `noise = "thermal"` has neither, or when a
    /// value is out of range.
    pub fn thermal_power(&self) -> Result<f64, OscillatorError> {
        let physical = (self.temperature_k, self.mode_energy_j);
        match self.noise {
            StnoNoise::Constant => {
                if physical.0.is_some() {
                    return Err(OscillatorError::param(
                        "temperature_k",
                        "is only read with noise = \"thermal\"",
                        physical.0.unwrap_or_default(),
                    ));
                }
                if let Some(e) = physical.1 {
                    return Err(OscillatorError::param(
                        "mode_energy_j",
                        "is only read with noise = \"thermal\"",
                        e,
                    ));
                }
                non_negative(
                    "thermal_power",
                    self.thermal_power.unwrap_or(DEFAULT_THERMAL_POWER),
                )
            }
            StnoNoise::Thermal => match (self.thermal_power, physical) {
                (Some(p), (None, None)) => non_negative("thermal_power", p),
                (Some(p), _) => Err(OscillatorError::param(
                    "thermal_power",
                    "must not be given with temperature_k and mode_energy_j, which set it",
                    p,
                )),
                (None, (Some(t), Some(e))) => {
                    let t = non_negative("temperature_k", t)?;
                    let e = positive("mode_energy_j", e)?;
                    non_negative("thermal_power", BOLTZMANN_J_PER_K * t / e)
                }
                (None, (Some(t), None)) => Err(OscillatorError::param(
                    "mode_energy_j",
                    "must be given with temperature_k",
                    format!("nothing (temperature_k = {t})"),
                )),
                (None, (None, Some(e))) => Err(OscillatorError::param(
                    "temperature_k",
                    "must be given with mode_energy_j",
                    format!("nothing (mode_energy_j = {e})"),
                )),
                (None, (None, None)) => Err(OscillatorError::param(
                    "noise",
                    "= \"thermal\" needs temperature_k and mode_energy_j, or thermal_power",
                    "\"thermal\"",
                )),
            },
        }
    }

    /// Checks the size keys and the memory a reservoir for `input_dim` inputs needs: the
    /// `M × d` mask, the feedback line, this step's amplitudes and a state row.
    pub(crate) fn check_memory(
        &self,
        input_dim: usize,
        budget: MemoryBudget,
    ) -> Result<(), OscillatorError> {
        at_least_one("virtual_nodes", self.virtual_nodes)?;
        let line = delay_line_len(
            "virtual_nodes",
            self.virtual_nodes,
            "feedback_offset",
            self.feedback_offset,
        )?;
        substeps(self.substeps)?;
        let (m, d) = (self.virtual_nodes as u64, input_dim as u64);
        let bytes = bytes_for(m.saturating_mul(d), 8)
            .saturating_add(bytes_for((line as u64).saturating_add(2 * m), 8));
        budget.check(
            "virtual_nodes",
            format_args!("{} (with {input_dim} input columns)", self.virtual_nodes),
            bytes,
        )?;
        Ok(())
    }
}

/// A single STNO, time-multiplexed into `M` virtual neurons.
#[derive(Debug, Clone)]
pub struct StnoReservoir {
    cfg: StnoConfig,
    model: StnoModel,
    input_dim: usize,
    mask: Array2<f64>,
    dt: f64,
    c0: Complex64,
    c: Complex64,
    rng: ChaCha8Rng,
    /// Joules per (mA² · ns) through the junction: R · 1e-6 · 1e-9.
    joule_per_ma2_ns: f64,
    energy: f64,
    /// The feedback delay line: the last `M + feedback_offset` node amplitudes, oldest at
    /// `head`.
    line: Vec<f64>,
    head: usize,
    /// This step's amplitudes, committed to `line` once the step has succeeded.
    fresh: Vec<f64>,
}

impl StnoReservoir {
    /// Builds the reservoir for `input_dim` input components.
    ///
    /// # Errors
    ///
    /// [`OscillatorError::InvalidParameter`] for a parameter out of range (naming it), and
    /// [`OscillatorError::CurrentLimit`] when the input range could drive the current past
    /// `i_max_ma`.
    pub fn new(cfg: &StnoConfig, input_dim: usize) -> Result<Self, OscillatorError> {
        let model = StnoModel::new(
            cfg.gamma_g_per_ns,
            cfg.q,
            cfg.i_threshold_ma,
            cfg.thermal_power()?,
        )?
        .with_noise(cfg.noise);
        at_least_one("input_dim", input_dim)?;
        at_least_one("virtual_nodes", cfg.virtual_nodes)?;
        let line_len = delay_line_len(
            "virtual_nodes",
            cfg.virtual_nodes,
            "feedback_offset",
            cfg.feedback_offset,
        )?;
        substeps(cfg.substeps)?;
        finite("i_bias_ma", cfg.i_bias_ma)?;
        non_negative("delta_i_ma", cfg.delta_i_ma)?;
        positive("i_max_ma", cfg.i_max_ma)?;
        positive("theta_ns", cfg.theta_ns)?;
        non_negative("resistance_ohm", cfg.resistance_ohm)?;
        let mask = draw_mask(cfg.mask, cfg.virtual_nodes, input_dim, 1.0, cfg.seed);
        finite("feedback_ma", cfg.feedback_ma)?;
        // The fed-back amplitude is clipped to [0, 1], so the loop adds at most |β|.
        let peak =
            cfg.i_bias_ma.abs() + cfg.delta_i_ma * max_abs_row_sum(&mask) + cfg.feedback_ma.abs();
        if peak > cfg.i_max_ma {
            return Err(OscillatorError::CurrentLimit {
                peak_ma: peak,
                i_max_ma: cfg.i_max_ma,
            });
        }
        let dt = cfg.theta_ns / cfg.substeps as f64;
        // Heun is stable for real decay rates with dt·rate ≤ 2; ask for 1 to stay accurate.
        if dt * model.stiffness(cfg.i_max_ma) > 1.0 {
            return Err(OscillatorError::param(
                "substeps",
                "is too small: theta_ns / substeps must not exceed 1 / (2 Γ_G (1 + Q + 2 i_max_ma / i_threshold_ma))",
                cfg.substeps,
            ));
        }
        // At reset the junction has been sitting at the bias current: start from the power it
        // rests at. A residual amplitude of 1e-6 stands in for the thermal fluctuation that seeds
        // auto-oscillation when noise is switched off (c = 0 is a fixed point of the equation).
        let p_start = model.resting_power(cfg.i_bias_ma).max(1e-12);
        let c0 = Complex64::new(p_start.sqrt(), 0.0);
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        rng.set_stream(NOISE_STREAM);
        Ok(StnoReservoir {
            cfg: cfg.clone(),
            model,
            input_dim,
            mask,
            dt,
            c0,
            c: c0,
            rng,
            joule_per_ma2_ns: cfg.resistance_ohm * 1e-15,
            energy: 0.0,
            line: vec![c0.norm(); line_len],
            head: 0,
            fresh: vec![0.0; cfg.virtual_nodes],
        })
    }

    /// The underlying device model.
    pub fn model(&self) -> &StnoModel {
        &self.model
    }

    /// The `M × d` input mask.
    pub fn mask(&self) -> ArrayView2<'_, f64> {
        self.mask.view()
    }

    /// The configuration this reservoir was built from.
    pub fn config(&self) -> &StnoConfig {
        &self.cfg
    }

    /// The current oscillation power `p = |c|²`.
    pub fn power(&self) -> f64 {
        self.c.norm_sqr()
    }

    /// Junction current during virtual node `node` for a (validated) input.
    fn current(&self, node: usize, input: &[f64]) -> f64 {
        let drive: f64 = self
            .mask
            .row(node)
            .iter()
            .zip(input)
            .map(|(m, u)| m * u)
            .sum();
        self.cfg.i_bias_ma + self.cfg.delta_i_ma * drive
    }

    fn step_inner(&mut self, input: &[f64], out: &mut [f64]) -> Result<(), OscillatorError> {
        check_input(input, self.input_dim)?;
        check_state_len(out, self.cfg.virtual_nodes)?;
        let (c_old, rng_old, e_old) = (self.c, self.rng.clone(), self.energy);
        let len = self.line.len();
        for node in 0..self.cfg.virtual_nodes {
            // The amplitude τ = (M + d)θ ago: `len` nodes back, always from an earlier step.
            let delayed = self.line[(self.head + node) % len];
            let i = self.current(node, input) + self.cfg.feedback_ma * delayed.clamp(0.0, 1.0);
            for _ in 0..self.cfg.substeps {
                self.model.advance(&mut self.c, i, self.dt, &mut self.rng);
            }
            let p = self.c.norm_sqr();
            self.fresh[node] = p.sqrt();
            out[node] = match self.cfg.output {
                StnoOutput::Amplitude => p.sqrt(),
                StnoOutput::Power => p,
            };
            self.energy += i * i * self.cfg.theta_ns * self.joule_per_ma2_ns;
        }
        if !(self.c.re.is_finite() && self.c.im.is_finite()) {
            self.c = c_old;
            self.rng = rng_old;
            self.energy = e_old;
            return Err(OscillatorError::Diverged {
                model: "stno",
                detail: "the oscillation amplitude became non-finite".into(),
            });
        }
        for (node, &a) in self.fresh.iter().enumerate() {
            self.line[(self.head + node) % len] = a;
        }
        self.head = (self.head + self.fresh.len()) % len;
        Ok(())
    }
}

impl Reservoir for StnoReservoir {
    fn input_dim(&self) -> usize {
        self.input_dim
    }

    fn state_dim(&self) -> usize {
        self.cfg.virtual_nodes
    }

    fn reset(&mut self) -> Result<(), Error> {
        self.c = self.c0;
        self.rng = ChaCha8Rng::seed_from_u64(self.cfg.seed);
        self.rng.set_stream(NOISE_STREAM);
        self.energy = 0.0;
        self.line.fill(self.c0.norm());
        self.head = 0;
        Ok(())
    }

    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
        Ok(self.step_inner(input, state_out)?)
    }

    fn info(&self) -> Info {
        let c = &self.cfg;
        Info::new("oscillator")
            .with("model", "stno")
            .with("gamma_g_per_ns", c.gamma_g_per_ns)
            .with("q", c.q)
            .with("i_threshold_ma", c.i_threshold_ma)
            .with("i_bias_ma", c.i_bias_ma)
            .with("delta_i_ma", c.delta_i_ma)
            .with("i_max_ma", c.i_max_ma)
            .with("thermal_power", self.model.thermal_power())
            .with(
                "noise",
                match c.noise {
                    StnoNoise::Constant => "constant",
                    StnoNoise::Thermal => "thermal",
                },
            )
            .with("resistance_ohm", c.resistance_ohm)
            .with("virtual_nodes", c.virtual_nodes)
            .with("theta_ns", c.theta_ns)
            .with("substeps", c.substeps)
            .with(
                "output",
                match c.output {
                    StnoOutput::Amplitude => "amplitude",
                    StnoOutput::Power => "power",
                },
            )
            .with("feedback_ma", c.feedback_ma)
            .with("feedback_offset", c.feedback_offset)
            .with("seed", c.seed)
    }

    fn energy(&self) -> Option<f64> {
        Some(self.energy)
    }
}

//! Du et al. 2017: the WOx dynamic memristor with a decaying state.

use rand::Rng;
use serde::Deserialize;

use crate::device::{check_state, gaussian_factor};
use crate::error::{positive, require};
use crate::{Device, MemristorError, PulseResponse};

/// Parameters of the Du et al. (2017) WOx memristor model.
///
/// Values from Du et al., Nat. Commun. 8, 2204 (2017): `α = 1e-8 A`, `β = 0.5 /V`,
/// `γ = 1e-5 A`, `δ = 4 /V`, `λ = 1e-3`, `η = 8 /V`, `w_min = 0.1`, `w_max = 0.99`,
/// `τ = 50`.
///
/// # Time unit
///
/// The source leaves the unit of `t` in `dw/dt` open. We read `λ` per **second** and `τ` in
/// **milliseconds** (`tau = 0.05 s`): then one 1.5 V, 0.5 ms pulse from rest raises `w` by
/// 4 % (`λ·sinh(12)·0.5 ms = 0.041`, hand check in the tests) and the excess decays with a
/// 50 ms time constant (half-life 35 ms), the "few percent per pulse, decay over tens of ms"
/// behaviour of the devices. Reading both in the same unit cannot give both: in seconds the
/// memory would last 50 s, in milliseconds one pulse would saturate `w`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DuParams {
    /// Schottky-like current prefactor `α`, A.
    pub alpha: f64,
    /// Schottky-like exponent `β`, 1/V.
    pub beta: f64,
    /// Tunnelling current prefactor `γ`, A.
    pub gamma: f64,
    /// Tunnelling exponent `δ`, 1/V.
    pub delta: f64,
    /// Drift rate prefactor `λ`, 1/s.
    pub lambda: f64,
    /// Drift exponent `η`, 1/V.
    pub eta: f64,
    /// Lower bound and resting value of `w`.
    pub w_min: f64,
    /// Upper bound of `w`.
    pub w_max: f64,
    /// Decay time `τ`, s.
    pub tau: f64,
    /// Safe limit `|V| ≤ v_limit`, volts. Default 2.0 V, a little above the 1.5 V pulses of
    /// the source, which states no breakdown voltage; at 2 V one 0.5 ms pulse already drives
    /// `w` to its bound.
    pub v_limit: f64,
}

impl Default for DuParams {
    fn default() -> Self {
        DuParams {
            alpha: 1e-8,
            beta: 0.5,
            gamma: 1e-5,
            delta: 4.0,
            lambda: 1e-3,
            eta: 8.0,
            w_min: 0.1,
            w_max: 0.99,
            tau: 0.05,
            v_limit: 2.0,
        }
    }
}

impl DuParams {
    /// Checks every parameter.
    ///
    /// # Errors
    ///
    /// [`MemristorError::InvalidParameter`] naming the first bad parameter.
    pub fn validate(&self) -> Result<(), MemristorError> {
        positive("alpha", self.alpha)?;
        positive("beta", self.beta)?;
        positive("gamma", self.gamma)?;
        positive("delta", self.delta)?;
        positive("lambda", self.lambda)?;
        positive("eta", self.eta)?;
        require(
            self.w_min.is_finite() && self.w_min >= 0.0,
            "w_min",
            "must be non-negative",
            self.w_min,
        )?;
        require(
            self.w_max.is_finite() && self.w_max > self.w_min && self.w_max <= 1.0,
            "w_max",
            "must lie in (w_min, 1]",
            self.w_max,
        )?;
        positive("tau", self.tau)?;
        positive("v_limit", self.v_limit)?;
        // sinh(η·V) overflows near η·V ≈ 710; stay well clear of it.
        require(
            self.eta * self.v_limit < 700.0 && self.delta * self.v_limit < 700.0,
            "v_limit",
            "is too large for the exponents eta and delta (sinh overflows)",
            self.v_limit,
        )
    }

    /// A copy with device-to-device variation: `τ`, `λ` and `γ` each scaled by an independent
    /// Gaussian factor `1 + rel_std·ξ` (truncated to `(0, 2)`).
    pub fn varied<R: Rng + ?Sized>(&self, rel_std: f64, rng: &mut R) -> DuParams {
        if rel_std == 0.0 {
            return *self;
        }
        DuParams {
            tau: self.tau * gaussian_factor(rng, rel_std),
            lambda: self.lambda * gaussian_factor(rng, rel_std),
            gamma: self.gamma * gaussian_factor(rng, rel_std),
            ..*self
        }
    }
}

/// A Du et al. (2017) WOx dynamic memristor.
///
/// ```text
/// I = (1 − w)·α·[1 − exp(−βV)] + w·γ·sinh(δV)
/// dw/dt = λ·sinh(ηV) − (w − w_min)/τ,   w ∈ [w_min, w_max]
/// ```
///
/// # Integrator
///
/// During a pulse `V` is constant, so the state equation is linear in `w` and is solved
/// exactly: `w(t) = w∞ + (w0 − w∞)·e^(−t/τ)` with `w∞ = w_min + λ·τ·sinh(ηV)`. The solution is
/// monotone, so clipping it at the first bound it reaches is exact too; the scheme is stable
/// for any pulse width. The energy `∫ V·I dt` is integrated in closed form along the same
/// (clipped) trajectory, since `I` is affine in `w`.
#[derive(Debug, Clone, PartialEq)]
pub struct Du2017 {
    p: DuParams,
    w: f64,
}

impl Du2017 {
    /// Model name.
    pub const MODEL: &'static str = "du2017";

    /// A device at rest (`w = w_min`).
    ///
    /// # Errors
    ///
    /// As [`DuParams::validate`].
    pub fn new(p: DuParams) -> Result<Self, MemristorError> {
        p.validate()?;
        Ok(Du2017 { w: p.w_min, p })
    }

    /// The parameters.
    pub fn params(&self) -> &DuParams {
        &self.p
    }

    /// The two conduction channels at voltage `v`: `I = (1 − w)·a + w·b`.
    fn channels(&self, v: f64) -> (f64, f64) {
        let a = self.p.alpha * (1.0 - (-self.p.beta * v).exp());
        let b = self.p.gamma * (self.p.delta * v).sinh();
        (a, b)
    }

    fn current(&self, v: f64, w: f64) -> f64 {
        let (a, b) = self.channels(v);
        (1.0 - w) * a + w * b
    }

    /// Evolves `w` for `t` seconds towards `w_inf` with time constant τ, clipped to the bounds;
    /// returns the final `w` and `∫ w dt`.
    fn evolve(&self, w0: f64, w_inf: f64, t: f64) -> (f64, f64) {
        let (lo, hi) = (self.p.w_min, self.p.w_max);
        let tau = self.p.tau;
        // Free trajectory integral from 0 to s.
        let free = |s: f64| w_inf * s + (w0 - w_inf) * tau * (-(-s / tau).exp_m1());
        let bound = if w_inf > hi {
            Some(hi)
        } else if w_inf < lo {
            Some(lo)
        } else {
            None
        };
        if let Some(b) = bound {
            // Time at which the free trajectory reaches the bound (w0 lies inside).
            let ratio = (b - w_inf) / (w0 - w_inf);
            let tc = if ratio >= 1.0 { 0.0 } else { -tau * ratio.ln() };
            if tc < t {
                return (b, free(tc) + b * (t - tc));
            }
        }
        let w = w_inf + (w0 - w_inf) * (-t / tau).exp();
        (w.clamp(lo, hi), free(t))
    }
}

impl Device for Du2017 {
    fn model(&self) -> &'static str {
        Self::MODEL
    }
    fn v_limit(&self) -> f64 {
        self.p.v_limit
    }
    fn state(&self) -> f64 {
        self.w
    }
    fn state_bounds(&self) -> (f64, f64) {
        (self.p.w_min, self.p.w_max)
    }
    fn set_state(&mut self, value: f64) -> Result<(), MemristorError> {
        check_state(value, self.state_bounds(), Self::MODEL)?;
        self.w = value;
        Ok(())
    }
    fn reset(&mut self) {
        self.w = self.p.w_min;
    }
    fn read(&self, volts: f64) -> f64 {
        self.current(volts, self.w)
    }
    fn respond(&mut self, volts: f64, width: f64) -> Result<PulseResponse, MemristorError> {
        let w_inf = self.p.w_min + self.p.lambda * self.p.tau * (self.p.eta * volts).sinh();
        let (w, w_int) = self.evolve(self.w, w_inf, width);
        self.w = w;
        let (a, b) = self.channels(volts);
        // ∫ I dt = a·(width − ∫w) + b·∫w.
        let charge = a * (width - w_int) + b * w_int;
        Ok(PulseResponse {
            current: self.current(volts, w),
            energy: volts * charge,
        })
    }
    fn relax(&mut self, duration: f64) -> Result<(), MemristorError> {
        self.w = self.evolve(self.w, self.p.w_min, duration).0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Du2017 {
        Du2017::new(DuParams::default()).unwrap()
    }

    #[test]
    fn a_rate_one_pulse_raises_w_by_four_percent() {
        // Du et al. 2017 rate-1 stream: 1.5 V, 0.5 ms. λ·sinh(12) = 1e-3 · 81377.4 = 81.377/s,
        // w∞ = 0.1 + 81.377·0.05 = 4.1689, w = w∞ + (0.1 − w∞)·e^(−0.01) = 0.14049.
        let mut d = dev();
        let r = d.apply(1.5, 0.5e-3).unwrap();
        let w_inf = 0.1 + 1e-3 * 12f64.sinh() * 0.05;
        let w = w_inf + (0.1 - w_inf) * (-0.01f64).exp();
        assert!((w - 0.140_49).abs() < 1e-5, "{w}");
        assert!((d.state() - w).abs() < 1e-15);
        // I = (1 − w)·1e-8·(1 − e^−0.75) + w·1e-5·sinh(6) = 2.8341e-4 A.
        let i = (1.0 - w) * 1e-8 * (1.0 - (-0.75f64).exp()) + w * 1e-5 * 6f64.sinh();
        assert!((r.current - i).abs() < 1e-18);
        assert!((r.current - 2.8341e-4).abs() < 1e-7, "{}", r.current);
    }

    #[test]
    fn energy_integrates_the_current_along_the_pulse() {
        // Compare the closed form with a fine midpoint sum of V·I(w(t)).
        let mut d = dev();
        d.set_state(0.3).unwrap();
        let r = d.apply(1.2, 2e-3).unwrap();
        let p = DuParams::default();
        let w_inf = 0.1 + p.lambda * p.tau * (8.0 * 1.2f64).sinh();
        let n = 200_000;
        let dt = 2e-3 / n as f64;
        let mut e = 0.0;
        let probe = dev();
        for k in 0..n {
            let t = (k as f64 + 0.5) * dt;
            let w = w_inf + (0.3 - w_inf) * (-t / 0.05).exp();
            e += 1.2 * probe.current(1.2, w) * dt;
        }
        assert!((r.energy - e).abs() < 1e-9 * e, "{} vs {e}", r.energy);
    }

    #[test]
    fn w_decays_to_w_min_with_tau() {
        let mut d = dev();
        d.set_state(0.6).unwrap();
        d.idle(0.05).unwrap();
        // 0.1 + 0.5·e^(−1) = 0.28394.
        assert!((d.state() - (0.1 + 0.5 * (-1.0f64).exp())).abs() < 1e-15);
        // Half-life τ·ln 2 = 34.7 ms: "tens of milliseconds".
        let mut h = dev();
        h.set_state(0.6).unwrap();
        h.idle(0.05 * 2f64.ln()).unwrap();
        assert!((h.state() - 0.35).abs() < 1e-12);
    }

    #[test]
    fn saturation_clips_at_the_bounds_and_energy_follows() {
        // 2 V for 10 ms: w∞ = 0.1 + 1e-3·sinh(16)·0.05 ≫ 1, so w sits at 0.99.
        let mut d = dev();
        d.apply(2.0, 10e-3).unwrap();
        assert_eq!(d.state(), 0.99);
        // Once at the bound, a further pulse dissipates V·I(0.99)·width exactly.
        let r = d.apply(2.0, 1e-3).unwrap();
        let i = d.read(2.0);
        assert!((r.energy - 2.0 * i * 1e-3).abs() < 1e-12 * r.energy);
        // Negative pulses pull w down to w_min and no further.
        for _ in 0..10 {
            d.apply(-2.0, 10e-3).unwrap();
        }
        assert_eq!(d.state(), 0.1);
    }

    #[test]
    fn the_clip_time_is_where_the_free_solution_meets_the_bound() {
        let d = dev();
        // w0 = 0.5, w∞ = 2, τ = 0.05: reaches 0.99 at t_c = −τ·ln((0.99 − 2)/(0.5 − 2)).
        let tc = -0.05 * ((0.99f64 - 2.0) / (0.5 - 2.0)).ln();
        let (w, int) = d.evolve(0.5, 2.0, 0.1);
        assert_eq!(w, 0.99);
        let free = 2.0 * tc + (0.5 - 2.0) * 0.05 * (1.0 - (-tc / 0.05).exp());
        assert!((int - (free + 0.99 * (0.1 - tc))).abs() < 1e-15);
    }

    #[test]
    fn parameters_are_validated() {
        let d = DuParams::default();
        assert!(Du2017::new(DuParams { w_max: 0.05, ..d }).is_err());
        assert!(Du2017::new(DuParams { tau: 0.0, ..d }).is_err());
        assert!(
            Du2017::new(DuParams {
                v_limit: 100.0,
                ..d
            })
            .is_err()
        );
    }
}

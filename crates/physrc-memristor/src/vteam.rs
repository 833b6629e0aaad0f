//! The VTEAM threshold model (Kvatinsky et al. 2015) with a volatility term.

use rand::Rng;
use serde::Deserialize;

use crate::device::{check_state, gaussian_factor};
use crate::error::{finite, positive, require};
use crate::ode;
use crate::{Device, MemristorError, PulseResponse, Window};

/// Parameters of the VTEAM memristor with an added relaxation term.
///
/// Defaults: the device constants are MemTorch's `VTEAM` defaults (Lammie et al., after
/// Kvatinsky et al., IEEE TCAS-II 62, 786 (2015)): `R_off = 1 kΩ`, `R_on = 50 Ω`,
/// `D = 3 nm`, `k_on = −10 m/s`, `k_off = 5e-4 m/s`, `α_on = 3`, `α_off = 1`,
/// `v_on = −0.2 V`, `v_off = 0.02 V`, no window. The volatility (`tau`, `w_rest`) is added so
/// the device has fading memory; its defaults suit pulses of 10 ns: `tau = 100 ns`,
/// `w_rest = 0` (the `x_on` state MemTorch starts from).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VteamParams {
    /// ON (minimum) resistance, at `w = 0`, Ω.
    pub r_on: f64,
    /// OFF (maximum) resistance, at `w = 1`, Ω.
    pub r_off: f64,
    /// Width of the state variable's range `x_off − x_on`, m (the state is `w = x/D`).
    pub d: f64,
    /// Rate constant below `v_on`, m/s (negative).
    pub k_on: f64,
    /// Rate constant above `v_off`, m/s (positive).
    pub k_off: f64,
    /// Exponent below `v_on`.
    pub alpha_on: f64,
    /// Exponent above `v_off`.
    pub alpha_off: f64,
    /// Negative threshold, V.
    pub v_on: f64,
    /// Positive threshold, V.
    pub v_off: f64,
    /// Window function on `w`.
    pub window: Window,
    /// Window exponent `p`, at least 1.
    pub p: u32,
    /// Relaxation time of the added volatility term, s (`inf` disables it).
    pub tau: f64,
    /// State the device relaxes to, and starts from, in `[0, 1]`.
    pub w_rest: f64,
    /// Safe limit `|V| ≤ v_limit`, volts. Default 1 V, the drive amplitude of MemTorch's
    /// VTEAM hysteresis example.
    pub v_limit: f64,
}

impl Default for VteamParams {
    fn default() -> Self {
        VteamParams {
            r_on: 50.0,
            r_off: 1000.0,
            d: 3e-9,
            k_on: -10.0,
            k_off: 5e-4,
            alpha_on: 3.0,
            alpha_off: 1.0,
            v_on: -0.2,
            v_off: 0.02,
            window: Window::None,
            p: 1,
            tau: 100e-9,
            w_rest: 0.0,
            v_limit: 1.0,
        }
    }
}

impl VteamParams {
    /// Checks every parameter.
    ///
    /// # Errors
    ///
    /// [`MemristorError::InvalidParameter`] naming the first bad parameter.
    pub fn validate(&self) -> Result<(), MemristorError> {
        positive("r_on", self.r_on)?;
        positive("r_off", self.r_off)?;
        require(
            self.r_off > self.r_on,
            "r_off",
            "must exceed r_on",
            self.r_off,
        )?;
        positive("d", self.d)?;
        finite("k_on", self.k_on)?;
        require(self.k_on < 0.0, "k_on", "must be negative", self.k_on)?;
        positive("k_off", self.k_off)?;
        positive("alpha_on", self.alpha_on)?;
        positive("alpha_off", self.alpha_off)?;
        finite("v_on", self.v_on)?;
        require(self.v_on < 0.0, "v_on", "must be negative", self.v_on)?;
        positive("v_off", self.v_off)?;
        self.window
            .check_drift_params(self.p, self.tau, "w_rest", self.w_rest)?;
        positive("v_limit", self.v_limit)
    }

    /// A copy with device-to-device variation: `k_on`, `k_off`, `tau`, `R_on` and `R_off` each
    /// scaled by an independent Gaussian factor `1 + rel_std·ξ` (truncated to `(0, 2)`).
    pub fn varied<R: Rng + ?Sized>(&self, rel_std: f64, rng: &mut R) -> VteamParams {
        if rel_std == 0.0 {
            return *self;
        }
        VteamParams {
            k_on: self.k_on * gaussian_factor(rng, rel_std),
            k_off: self.k_off * gaussian_factor(rng, rel_std),
            tau: self.tau * gaussian_factor(rng, rel_std),
            r_on: self.r_on * gaussian_factor(rng, rel_std),
            r_off: self.r_off * gaussian_factor(rng, rel_std),
            ..*self
        }
    }

    /// The threshold drift rate `dw/dt` before the window, in 1/s.
    pub fn drift(&self, v: f64) -> f64 {
        if v > self.v_off {
            self.k_off / self.d * (v / self.v_off - 1.0).powf(self.alpha_off)
        } else if v < self.v_on {
            self.k_on / self.d * (v / self.v_on - 1.0).powf(self.alpha_on)
        } else {
            0.0
        }
    }
}

/// A VTEAM memristor with a window and relaxation.
///
/// The state `w = x/D ∈ [0, 1]` (0: ON, 1: OFF):
///
/// ```text
/// dw/dt = (k_off/D)·(V/v_off − 1)^α_off·f(w)   for V > v_off > 0
///       = 0                                      for v_on ≤ V ≤ v_off
///       = (k_on/D)·(V/v_on − 1)^α_on·f(w)      for V < v_on < 0
///       − (w − w_rest)/τ                         (added volatility, always)
/// R(w) = R_on + (R_off − R_on)·w,   I = V/R(w)
/// ```
///
/// Integrated with an adaptive Dormand–Prince 5(4) scheme; the energy `∫ V·I dt` alongside.
#[derive(Debug, Clone, PartialEq)]
pub struct Vteam {
    p: VteamParams,
    w: f64,
}

impl Vteam {
    /// Model name.
    pub const MODEL: &'static str = "vteam";

    /// A device at `w_rest`.
    ///
    /// # Errors
    ///
    /// As [`VteamParams::validate`].
    pub fn new(p: VteamParams) -> Result<Self, MemristorError> {
        p.validate()?;
        Ok(Vteam { w: p.w_rest, p })
    }

    /// The parameters.
    pub fn params(&self) -> &VteamParams {
        &self.p
    }

    fn resistance(&self, w: f64) -> f64 {
        self.p.r_on + (self.p.r_off - self.p.r_on) * w
    }
}

impl Device for Vteam {
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
        (0.0, 1.0)
    }
    fn set_state(&mut self, value: f64) -> Result<(), MemristorError> {
        check_state(value, self.state_bounds(), Self::MODEL)?;
        self.w = value;
        Ok(())
    }
    fn reset(&mut self) {
        self.w = self.p.w_rest;
    }
    fn read(&self, volts: f64) -> f64 {
        volts / self.resistance(self.w)
    }
    fn respond(&mut self, volts: f64, width: f64) -> Result<PulseResponse, MemristorError> {
        let drift = self.p.drift(volts);
        let up = drift > 0.0;
        let rate = drift.abs() * (1.0 + self.p.window.lipschitz(self.p.p)) + 1.0 / self.p.tau;
        let (w, response) = ode::resistive_pulse(
            Self::MODEL,
            self.w,
            volts,
            width,
            rate,
            |w| drift * self.p.window.value(w, up, self.p.p) - (w - self.p.w_rest) / self.p.tau,
            |w| self.resistance(w),
        )?;
        self.w = w;
        Ok(response)
    }
    fn relax(&mut self, duration: f64) -> Result<(), MemristorError> {
        self.w = self.p.w_rest + (self.w - self.p.w_rest) * (-duration / self.p.tau).exp();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> VteamParams {
        VteamParams {
            tau: f64::INFINITY,
            ..VteamParams::default()
        }
    }

    #[test]
    fn drift_rates_match_the_threshold_formula() {
        let p = VteamParams::default();
        // 1 V: 5e-4/3e-9 · (1/0.02 − 1)^1 = 1.6667e5 · 49 = 8.1667e6 per second.
        assert!((p.drift(1.0) - 5e-4 / 3e-9 * 49.0).abs() < 1e-3);
        assert!((p.drift(1.0) - 8.166_666_7e6).abs() < 1.0);
        // −0.4 V: −10/3e-9 · (−0.4/−0.2 − 1)^3 = −3.3333e9 per second.
        assert!((p.drift(-0.4) + 10.0 / 3e-9).abs() < 1e-3);
        // Between the thresholds nothing moves.
        assert_eq!(p.drift(0.02), 0.0);
        assert_eq!(p.drift(-0.2), 0.0);
        assert_eq!(p.drift(0.0), 0.0);
    }

    #[test]
    fn a_single_pulse_moves_the_state_linearly_without_window_or_relaxation() {
        let mut d = Vteam::new(plain()).unwrap();
        let r = d.apply(1.0, 10e-9).unwrap();
        // w = 8.1667e6 · 1e-8 = 0.081667.
        let w = 5e-4 / 3e-9 * 49.0 * 10e-9;
        assert!((d.state() - w).abs() < 1e-10, "{}", d.state());
        assert!((r.current - 1.0 / (50.0 + 950.0 * w)).abs() < 1e-12);
        // E = ∫ V²/R(w(t)) dt with w = a·t: (V²/(ΔR·a))·ln(R(w)/R_on).
        let a = w / 10e-9;
        let e = 1.0 / (950.0 * a) * ((50.0 + 950.0 * w) / 50.0).ln();
        assert!((r.energy - e).abs() < 1e-9 * e, "{} vs {e}", r.energy);
    }

    #[test]
    fn sub_threshold_pulses_only_relax() {
        let mut d = Vteam::new(VteamParams::default()).unwrap();
        d.set_state(0.5).unwrap();
        d.apply(0.01, 100e-9).unwrap();
        // w_rest + 0.5·e^(−1)
        assert!((d.state() - 0.5 * (-1.0f64).exp()).abs() < 1e-9);
        let mut e = d.clone();
        d.idle(50e-9).unwrap();
        e.apply(0.0, 50e-9).unwrap();
        assert!((d.state() - e.state()).abs() < 1e-9);
    }

    #[test]
    fn strong_on_pulse_saturates_at_zero() {
        let mut d = Vteam::new(plain()).unwrap();
        d.set_state(1.0).unwrap();
        d.apply(-1.0, 10e-9).unwrap();
        assert_eq!(d.state(), 0.0);
        assert!((d.read(0.5) - 0.01).abs() < 1e-15, "R_on = 50 Ω");
    }

    #[test]
    fn windows_stop_the_state_at_the_bound_it_is_driven_to() {
        for window in [Window::Joglekar, Window::Biolek] {
            let p = VteamParams {
                window,
                w_rest: 0.5,
                tau: f64::INFINITY,
                ..VteamParams::default()
            };
            let mut d = Vteam::new(p).unwrap();
            for _ in 0..200 {
                d.apply(1.0, 10e-9).unwrap();
            }
            assert!(
                d.state() <= 1.0 && d.state() > 0.99,
                "{window:?}: {}",
                d.state()
            );
        }
    }

    #[test]
    fn parameters_are_validated() {
        let d = VteamParams::default();
        assert!(Vteam::new(VteamParams { k_on: 1.0, ..d }).is_err());
        assert!(Vteam::new(VteamParams { v_on: 0.1, ..d }).is_err());
        assert!(Vteam::new(VteamParams { r_on: 2000.0, ..d }).is_err());
        let e = Vteam::new(VteamParams {
            window: Window::Joglekar,
            ..d
        })
        .unwrap_err();
        assert!(e.to_string().contains("locks"), "{e}");
    }
}

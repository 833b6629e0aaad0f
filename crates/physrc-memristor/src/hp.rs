//! The HP linear ion drift model (Strukov et al. 2008) with a window and a volatility term.

use rand::Rng;
use serde::Deserialize;

use crate::device::{check_state, gaussian_factor};
use crate::error::{positive, require};
use crate::ode;
use crate::{Device, MemristorError, PulseResponse, Window};

/// Parameters of the HP linear-drift memristor with an added relaxation term.
///
/// Defaults: the device constants are MemTorch's `LinearIonDrift` defaults (Lammie et al.,
/// after Strukov et al., Nature 453, 80 (2008)): `μ_v = 1e-14 m²/(V·s)`, `D = 10 nm`,
/// `R_on = 100 Ω`, `R_off = 16 kΩ`. The volatility (`tau`, `x_rest`) is not part of the HP
/// model; it is added so the device has fading memory, with defaults chosen for pulses of
/// `10 ms`: `tau = 0.1 s` (about ten pulses of memory), `x_rest = 0.1`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HpParams {
    /// Dopant mobility `μ_v`, m²/(V·s).
    pub mu_v: f64,
    /// Device thickness `D`, m.
    pub d: f64,
    /// Resistance when fully doped (`x = 1`), Ω.
    pub r_on: f64,
    /// Resistance when undoped (`x = 0`), Ω.
    pub r_off: f64,
    /// Window function.
    pub window: Window,
    /// Window exponent `p` (the formulas use `2p`), at least 1.
    pub p: u32,
    /// Relaxation time of the added volatility term, s (`inf` disables it).
    pub tau: f64,
    /// State the device relaxes to, and starts from, in `[0, 1]`.
    pub x_rest: f64,
    /// Safe limit `|V| ≤ v_limit`, volts. Default 5 V, the drive amplitude of MemTorch's HP
    /// hysteresis example; the HP paper gives no breakdown voltage.
    pub v_limit: f64,
}

impl Default for HpParams {
    fn default() -> Self {
        HpParams {
            mu_v: 1e-14,
            d: 10e-9,
            r_on: 100.0,
            r_off: 16e3,
            window: Window::Biolek,
            p: 1,
            tau: 0.1,
            x_rest: 0.1,
            v_limit: 5.0,
        }
    }
}

impl HpParams {
    /// Checks every parameter.
    ///
    /// With the Joglekar window, `x_rest` must lie strictly inside `(0, 1)`: the window
    /// vanishes at both bounds, so a device resting on one could never move.
    ///
    /// # Errors
    ///
    /// [`MemristorError::InvalidParameter`] naming the first bad parameter.
    pub fn validate(&self) -> Result<(), MemristorError> {
        positive("mu_v", self.mu_v)?;
        positive("d", self.d)?;
        positive("r_on", self.r_on)?;
        positive("r_off", self.r_off)?;
        require(
            self.r_off > self.r_on,
            "r_off",
            "must exceed r_on",
            self.r_off,
        )?;
        self.window
            .check_drift_params(self.p, self.tau, "x_rest", self.x_rest)?;
        positive("v_limit", self.v_limit)
    }

    /// The drift constant `k = μ_v·R_on / D²`, in 1/(A·s).
    pub fn k(&self) -> f64 {
        self.mu_v * self.r_on / (self.d * self.d)
    }

    /// A copy with device-to-device variation: `μ_v`, `tau`, `R_on` and `R_off` each scaled by
    /// an independent Gaussian factor `1 + rel_std·ξ` (truncated to `(0, 2)`).
    pub fn varied<R: Rng + ?Sized>(&self, rel_std: f64, rng: &mut R) -> HpParams {
        if rel_std == 0.0 {
            return *self;
        }
        HpParams {
            mu_v: self.mu_v * gaussian_factor(rng, rel_std),
            tau: self.tau * gaussian_factor(rng, rel_std),
            r_on: self.r_on * gaussian_factor(rng, rel_std),
            r_off: self.r_off * gaussian_factor(rng, rel_std),
            ..*self
        }
    }
}

/// The HP linear ion drift memristor with a window and relaxation.
///
/// ```text
/// R(x) = R_on·x + R_off·(1 − x),   i = V / R(x)
/// dx/dt = k·i·f(x, i) − (x − x_rest)/τ,   k = μ_v·R_on/D²,   x ∈ [0, 1]
/// ```
///
/// Integrated with an adaptive Dormand–Prince 5(4) scheme (relative tolerance 1e-9); the
/// energy `∫ V·i dt` is integrated alongside. At zero bias only the relaxation acts, and it is
/// solved exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct Hp {
    p: HpParams,
    k: f64,
    x: f64,
}

impl Hp {
    /// Model name.
    pub const MODEL: &'static str = "hp";

    /// A device at `x_rest`.
    ///
    /// # Errors
    ///
    /// As [`HpParams::validate`].
    pub fn new(p: HpParams) -> Result<Self, MemristorError> {
        p.validate()?;
        Ok(Hp {
            k: p.k(),
            x: p.x_rest,
            p,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &HpParams {
        &self.p
    }

    fn resistance(&self, x: f64) -> f64 {
        self.p.r_on * x + self.p.r_off * (1.0 - x)
    }

    /// `dx/dt` at voltage `v` and state `x`.
    fn rate(&self, v: f64, x: f64) -> f64 {
        let i = v / self.resistance(x);
        let drift = self.k * i * self.p.window.value(x, i > 0.0, self.p.p);
        drift - (x - self.p.x_rest) / self.p.tau
    }
}

impl Device for Hp {
    fn model(&self) -> &'static str {
        Self::MODEL
    }
    fn v_limit(&self) -> f64 {
        self.p.v_limit
    }
    fn state(&self) -> f64 {
        self.x
    }
    fn state_bounds(&self) -> (f64, f64) {
        (0.0, 1.0)
    }
    fn set_state(&mut self, value: f64) -> Result<(), MemristorError> {
        check_state(value, self.state_bounds(), Self::MODEL)?;
        self.x = value;
        Ok(())
    }
    fn reset(&mut self) {
        self.x = self.p.x_rest;
    }
    fn read(&self, volts: f64) -> f64 {
        volts / self.resistance(self.x)
    }
    fn respond(&mut self, volts: f64, width: f64) -> Result<PulseResponse, MemristorError> {
        // The fastest rate: full drift through R_on plus relaxation.
        let rate = self.k * volts.abs() / self.p.r_on * (1.0 + self.p.window.lipschitz(self.p.p))
            + 1.0 / self.p.tau;
        let (x, response) = ode::resistive_pulse(
            Self::MODEL,
            self.x,
            volts,
            width,
            rate,
            |x| self.rate(volts, x),
            |x| self.resistance(x),
        )?;
        self.x = x;
        Ok(response)
    }
    fn relax(&mut self, duration: f64) -> Result<(), MemristorError> {
        // At V = 0 the drift vanishes: x − x_rest decays exactly exponentially.
        self.x = self.p.x_rest + (self.x - self.p.x_rest) * (-duration / self.p.tau).exp();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_window_no_relax() -> HpParams {
        HpParams {
            window: Window::None,
            tau: f64::INFINITY,
            ..HpParams::default()
        }
    }

    /// Without window and relaxation, `R(x) dx = k·V dt` integrates to
    /// `R_off·x − (R_off − R_on)·x²/2 = R_off·x0 − (R_off − R_on)·x0²/2 + k·V·t`.
    fn closed_form(p: &HpParams, x0: f64, v: f64, t: f64) -> f64 {
        let a = (p.r_off - p.r_on) / 2.0;
        let c = p.r_off * x0 - a * x0 * x0 + p.k() * v * t;
        // a·x² − R_off·x + c = 0, the root in [0, 1].
        (p.r_off - (p.r_off * p.r_off - 4.0 * a * c).sqrt()) / (2.0 * a)
    }

    #[test]
    fn k_is_mobility_times_r_on_over_d_squared() {
        // 1e-14 · 100 / (1e-8)² = 1e4 per ampere-second.
        assert!((HpParams::default().k() - 1e4).abs() < 1e-9);
    }

    #[test]
    fn a_single_pulse_follows_the_charge_flux_closed_form() {
        let p = no_window_no_relax();
        let mut d = Hp::new(p).unwrap();
        d.set_state(0.1).unwrap();
        let r = d.apply(5.0, 0.02).unwrap();
        let x = closed_form(&p, 0.1, 5.0, 0.02);
        // By hand: c = 1600 − 7950·0.01 + 1e4·5·0.02 = 2520.5;
        // x = (16000 − √(16000² − 4·7950·2520.5))/15900 = (16000 − 13260.77)/15900 = 0.17228…
        assert!((x - 0.172_28).abs() < 1e-5, "{x}");
        assert!((d.state() - x).abs() < 1e-8, "{} vs {x}", d.state());
        assert!((r.current - 5.0 / (100.0 * x + 16e3 * (1.0 - x))).abs() < 1e-12);
        // Energy: dx/dt = k·i, so the charge is ∫ i dt = Δx/k and E = ∫ V·i dt = V·Δx/k.
        let e = 5.0 * (x - 0.1) / 1e4;
        assert!(
            (r.energy - e).abs() < 1e-9 * e.abs().max(1e-12),
            "{} vs {e}",
            r.energy
        );
    }

    #[test]
    fn negative_pulses_drive_the_state_down() {
        let p = no_window_no_relax();
        let mut d = Hp::new(p).unwrap();
        d.set_state(0.5).unwrap();
        let r = d.apply(-2.0, 0.01).unwrap();
        let x = closed_form(&p, 0.5, -2.0, 0.01);
        assert!((d.state() - x).abs() < 1e-8 && x < 0.5);
        assert!(r.current < 0.0 && r.energy > 0.0);
    }

    #[test]
    fn zero_bias_decays_exponentially_to_x_rest() {
        let mut d = Hp::new(HpParams::default()).unwrap();
        d.set_state(0.6).unwrap();
        d.idle(0.1).unwrap();
        // x_rest + (0.6 − 0.1)·e^(−1) = 0.28394…
        assert!((d.state() - (0.1 + 0.5 * (-1.0f64).exp())).abs() < 1e-15);
        // A 0 V pulse does the same through the integrator, and dissipates nothing.
        let mut e = Hp::new(HpParams::default()).unwrap();
        e.set_state(0.6).unwrap();
        let r = e.apply(0.0, 0.1).unwrap();
        assert!((e.state() - d.state()).abs() < 1e-9);
        assert_eq!(r.energy, 0.0);
    }

    #[test]
    fn the_joglekar_window_locks_the_bounds_and_biolek_does_not() {
        // Joglekar: f(0) = f(1) = 0 whatever the direction.
        assert_eq!(Window::Joglekar.value(1.0, false, 1), 0.0);
        assert_eq!(Window::Joglekar.value(0.0, true, 1), 0.0);
        assert_eq!(Window::Joglekar.value(0.5, true, 1), 1.0);
        // Biolek: f = 1 − x^2p moving up, 1 − (x − 1)^2p moving down.
        assert_eq!(Window::Biolek.value(1.0, true, 1), 0.0);
        assert_eq!(Window::Biolek.value(1.0, false, 1), 1.0);
        assert_eq!(Window::Biolek.value(0.0, false, 1), 0.0);
        assert_eq!(Window::Biolek.value(0.0, true, 1), 1.0);
        assert!((Window::Biolek.value(0.5, true, 2) - (1.0 - 0.0625)).abs() < 1e-15);
        for window in [Window::Joglekar, Window::Biolek] {
            let p = HpParams {
                window,
                tau: f64::INFINITY,
                x_rest: 0.5,
                ..HpParams::default()
            };
            let mut d = Hp::new(p).unwrap();
            d.set_state(1.0).unwrap();
            // Pushing further up does nothing for either window.
            d.apply(5.0, 0.01).unwrap();
            assert_eq!(d.state(), 1.0, "{window:?}");
            // Pushing down: Joglekar stays locked at the bound, Biolek leaves it.
            d.apply(-5.0, 0.01).unwrap();
            match window {
                Window::Joglekar => assert_eq!(d.state(), 1.0),
                _ => assert!(d.state() < 0.99, "{}", d.state()),
            }
        }
    }

    #[test]
    fn strong_drive_saturates_at_the_bound() {
        let p = HpParams {
            window: Window::None,
            ..HpParams::default()
        };
        let mut d = Hp::new(p).unwrap();
        for _ in 0..50 {
            d.apply(5.0, 0.05).unwrap();
        }
        assert_eq!(d.state(), 1.0);
        assert!((d.read(1.0) - 0.01).abs() < 1e-15, "R_on = 100 Ω");
        for _ in 0..50 {
            d.apply(-5.0, 0.05).unwrap();
        }
        assert_eq!(d.state(), 0.0);
    }

    #[test]
    fn parameters_are_validated() {
        let d = HpParams::default();
        let e = Hp::new(HpParams { r_off: 50.0, ..d }).unwrap_err();
        assert!(e.to_string().contains("`r_off` must exceed r_on"));
        let e = Hp::new(HpParams {
            window: Window::Joglekar,
            x_rest: 0.0,
            ..d
        })
        .unwrap_err();
        assert!(e.to_string().contains("locks"));
        assert!(Hp::new(HpParams { p: 0, ..d }).is_err());
        assert!(Hp::new(HpParams { tau: -1.0, ..d }).is_err());
    }
}

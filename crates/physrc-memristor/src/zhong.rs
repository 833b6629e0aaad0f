//! Zhong et al. 2021: the discrete behavioural map of a Ti/TiOx/TaOy/Pt dynamic memristor.

use rand::Rng;
use serde::Deserialize;

use crate::device::{check_state, gaussian_factor};
use crate::error::{positive, require};
use crate::{Device, MemristorError, PulseResponse};

/// Parameters of the Zhong et al. (2021) dynamic-memristor map.
///
/// Defaults are the values of the official MATLAB behavioural model published with
/// Zhong et al., Nat. Commun. 12, 408 (2021): `r = 0.99`, `G0 = 0.5`, `Kp = 9.13`,
/// `Kn = 0.32`, `α = 0.23`. Currents of that model are in microamperes (its I–V plot is
/// labelled μA), so [`Device::read`] and [`PulseResponse::current`] return `1e-6 ·` the map's
/// value in amperes.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ZhongParams {
    /// Per-pulse retention factor `r = e^(−Δt/τ)`, in `(0, 1)`; `0.99` means a memory of about
    /// 100 pulses.
    pub r: f64,
    /// Resting conductance `G0` (normalised), in `[0, 1]`.
    pub g0: f64,
    /// Current prefactor for positive voltages, μA/V³.
    pub kp: f64,
    /// Current prefactor for negative voltages, μA/V³.
    pub kn: f64,
    /// Update-strength parameter `α` of `s(V) = α|V| / (α|V| + 1)`, 1/V.
    pub alpha: f64,
    /// Safe limit `|V| ≤ v_limit`, volts. Default 3.0 V: the largest voltage applied to the
    /// device in the paper (3.0 V write pulses, ±3 V I–V sweeps).
    pub v_limit: f64,
}

impl Default for ZhongParams {
    fn default() -> Self {
        ZhongParams {
            r: 0.99,
            g0: 0.5,
            kp: 9.13,
            kn: 0.32,
            alpha: 0.23,
            v_limit: 3.0,
        }
    }
}

impl ZhongParams {
    /// Checks every parameter.
    ///
    /// Besides signs and ranges, it requires `α·v_limit ≤ r/(1 − r)`: then the update is a
    /// convex combination of `G`, `G0` and `H(V)` for every allowed pulse, which is what keeps
    /// `G` in `[0, 1]`.
    ///
    /// # Errors
    ///
    /// [`MemristorError::InvalidParameter`] naming the first bad parameter.
    pub fn validate(&self) -> Result<(), MemristorError> {
        require(
            self.r.is_finite() && self.r > 0.0 && self.r < 1.0,
            "r",
            "must lie in (0, 1)",
            self.r,
        )?;
        require(
            self.g0.is_finite() && (0.0..=1.0).contains(&self.g0),
            "g0",
            "must lie in [0, 1]",
            self.g0,
        )?;
        positive("kp", self.kp)?;
        positive("kn", self.kn)?;
        positive("alpha", self.alpha)?;
        positive("v_limit", self.v_limit)?;
        require(
            self.alpha * self.v_limit <= self.r / (1.0 - self.r),
            "alpha",
            "times v_limit must not exceed r/(1 − r), or G could leave [0, 1]",
            self.alpha,
        )
    }

    /// The retention time in pulses, `τ = −1/ln r`.
    pub fn tau_pulses(&self) -> f64 {
        -1.0 / self.r.ln()
    }

    /// A copy with device-to-device variation: the retention time `τ` (hence `r`), `α`, `Kp`
    /// and `Kn` are each multiplied by an independent Gaussian factor `1 + rel_std·ξ`
    /// (truncated to `(0, 2)`). `G0` and the voltage limit are kept.
    pub fn varied<R: Rng + ?Sized>(&self, rel_std: f64, rng: &mut R) -> ZhongParams {
        if rel_std == 0.0 {
            return *self;
        }
        let tau = self.tau_pulses() * gaussian_factor(rng, rel_std);
        ZhongParams {
            r: (-1.0 / tau).exp(),
            alpha: self.alpha * gaussian_factor(rng, rel_std),
            kp: self.kp * gaussian_factor(rng, rel_std),
            kn: self.kn * gaussian_factor(rng, rel_std),
            ..*self
        }
    }
}

/// A Zhong et al. (2021) dynamic memristor.
///
/// Per pulse of amplitude `V` (no time step: the map was fitted per pulse):
///
/// ```text
/// G ← r·G + (1 − r)·G0 + s(V)·[H(V) − G],   s(V) = α|V| / (α|V| + 1),   H(V) = 1 if V > 0 else 0
/// I = G·[Kp·max(V, 0)³ + Kn·min(V, 0)³]     (μA, with the updated G)
/// ```
///
/// The pulse width does not enter the map; it only sets the energy `V·I·width`.
/// [`relax`](Device::relax) is a no-op, because the decay between pulses is already inside
/// `r`; the reservoir therefore rejects a non-zero gap for this model.
#[derive(Debug, Clone, PartialEq)]
pub struct Zhong2021 {
    p: ZhongParams,
    /// `(1 − r)·G0`, computed once.
    rest: f64,
    g: f64,
}

impl Zhong2021 {
    /// Model name.
    pub const MODEL: &'static str = "zhong2021";

    /// A device at its resting conductance `G0`.
    ///
    /// # Errors
    ///
    /// As [`ZhongParams::validate`].
    pub fn new(p: ZhongParams) -> Result<Self, MemristorError> {
        p.validate()?;
        Ok(Zhong2021 {
            rest: (1.0 - p.r) * p.g0,
            g: p.g0,
            p,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &ZhongParams {
        &self.p
    }

    /// The map's current for voltage `v` at conductance `g`, in μA.
    #[inline]
    fn current_ua(&self, v: f64, g: f64) -> f64 {
        let drive = if v > 0.0 {
            self.p.kp * (v * v * v)
        } else {
            self.p.kn * (v * v * v)
        };
        g * drive
    }
}

impl Device for Zhong2021 {
    fn model(&self) -> &'static str {
        Self::MODEL
    }
    fn v_limit(&self) -> f64 {
        self.p.v_limit
    }
    fn state(&self) -> f64 {
        self.g
    }
    fn state_bounds(&self) -> (f64, f64) {
        (0.0, 1.0)
    }
    fn set_state(&mut self, value: f64) -> Result<(), MemristorError> {
        check_state(value, self.state_bounds(), Self::MODEL)?;
        self.g = value;
        Ok(())
    }
    fn reset(&mut self) {
        self.g = self.p.g0;
    }
    fn read(&self, volts: f64) -> f64 {
        self.current_ua(volts, self.g) * 1e-6
    }
    #[inline]
    fn respond(&mut self, volts: f64, width: f64) -> Result<PulseResponse, MemristorError> {
        let a = self.p.alpha * volts.abs();
        let s = a / (a + 1.0);
        let h = if volts > 0.0 { 1.0 } else { 0.0 };
        // Same association as the official model: r·G + (1 − r)·G0 + s·(H − G).
        self.g = self.p.r * self.g + self.rest + s * (h - self.g);
        let current = self.current_ua(volts, self.g) * 1e-6;
        Ok(PulseResponse {
            current,
            energy: volts * current * width,
        })
    }
    fn relax(&mut self, _duration: f64) -> Result<(), MemristorError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Zhong2021 {
        Zhong2021::new(ZhongParams::default()).unwrap()
    }

    // Hand computations from the map with the paper's parameters (r = 0.99, G0 = 0.5,
    // Kp = 9.13, Kn = 0.32, α = 0.23), Zhong et al. 2021 official behavioural model.

    #[test]
    fn one_positive_pulse_matches_the_hand_computation() {
        let mut d = dev();
        let r = d.apply(2.5, 1e-6).unwrap();
        // s = 0.575/1.575 = 0.365079365…; G = 0.495 + 0.005 + s·0.5 = 0.682539682…
        let g = 0.5 + 0.5 * (0.575 / 1.575);
        assert!((d.state() - g).abs() < 1e-15);
        assert!((d.state() - 0.682_539_682_539_682_5).abs() < 1e-12);
        // I = G·9.13·2.5³ = 0.6825397 × 142.65625 μA = 97.36855 μA.
        let i = g * 9.13 * 15.625 * 1e-6;
        assert!((r.current - i).abs() < 1e-18);
        assert!((r.current - 97.368_551_587_301_6e-6).abs() < 1e-15);
        // Energy V·I·width.
        assert!((r.energy - 2.5 * i * 1e-6).abs() < 1e-24);
    }

    #[test]
    fn one_negative_pulse_matches_the_hand_computation() {
        let mut d = dev();
        let r = d.apply(-0.8, 1e-6).unwrap();
        // s = 0.184/1.184; H = 0; G = 0.5 − 0.5·s = 0.422297297…
        let g = 0.5 - 0.5 * (0.184 / 1.184);
        assert!((d.state() - g).abs() < 1e-15);
        assert!((d.state() - 0.422_297_297_297_297_3).abs() < 1e-12);
        // I = G·0.32·(−0.512) μA, negative; energy V·I·w positive.
        assert!((r.current - g * 0.32 * -0.512 * 1e-6).abs() < 1e-18);
        assert!(r.current < 0.0 && r.energy > 0.0);
    }

    #[test]
    fn zero_volts_decays_geometrically_towards_g0() {
        // s(0) = 0: G − G0 shrinks by r per pulse, so after n pulses it is r^n (G − G0).
        let mut d = dev();
        d.set_state(1.0).unwrap();
        for _ in 0..100 {
            let r = d.apply(0.0, 1e-6).unwrap();
            assert_eq!(r.current, 0.0);
        }
        let expect = 0.5 + 0.99f64.powi(100) * 0.5;
        assert!((d.state() - expect).abs() < 1e-12, "{}", d.state());
        // About 1/e of the excess is left after τ ≈ 100 pulses.
        assert!((d.state() - 0.5 - 0.5 * 0.366).abs() < 1e-3);
    }

    #[test]
    fn repeated_pulses_saturate_at_the_fixed_point() {
        // G* = ((1 − r)G0 + s·H) / (1 − r + s).
        for v in [3.0, 1.0, -2.0, -3.0] {
            let mut d = dev();
            for _ in 0..5000 {
                d.apply(v, 1e-6).unwrap();
            }
            let a: f64 = 0.23 * f64::abs(v);
            let s = a / (a + 1.0);
            let h = if v > 0.0 { 1.0 } else { 0.0 };
            let fixed = (0.01 * 0.5 + s * h) / (0.01 + s);
            assert!((d.state() - fixed).abs() < 1e-12, "V = {v}");
            assert!((0.0..=1.0).contains(&d.state()));
        }
        // Strong positive drive approaches but never exceeds G = 1; negative drive, G = 0.
        let s3 = 0.69 / 1.69;
        assert!(((0.005 + s3) / (0.01 + s3)) < 1.0);
    }

    #[test]
    fn relax_is_a_no_op_for_the_pulse_map() {
        let mut d = dev();
        d.apply(2.0, 1e-6).unwrap();
        let g = d.state();
        d.idle(1.0).unwrap();
        assert_eq!(d.state(), g);
    }

    #[test]
    fn bad_pulses_are_errors_and_leave_the_state() {
        let mut d = dev();
        d.apply(1.0, 1e-6).unwrap();
        let g = d.state();
        for (v, w) in [
            (f64::NAN, 1e-6),
            (3.0001, 1e-6),
            (-3.5, 1e-6),
            (1.0, -1e-6),
            (1.0, 0.0),
            (1.0, f64::NAN),
        ] {
            let e = d.apply(v, w).unwrap_err();
            assert_eq!(
                physrc_core::HasErrorKind::kind(&e),
                physrc_core::ErrorKind::InvalidInput
            );
            assert_eq!(d.state(), g);
        }
        let e = d.apply(3.2, 1e-6).unwrap_err();
        assert_eq!(
            e.to_string(),
            "pulse of 3.2 V exceeds the safe limit of ±3 V of the zhong2021 model"
        );
        assert!(d.apply(-3.0, 1e-6).is_ok(), "the limit itself is allowed");
    }

    #[test]
    fn parameters_are_validated() {
        let bad = |p: ZhongParams| Zhong2021::new(p).unwrap_err().to_string();
        let d = ZhongParams::default();
        assert!(bad(ZhongParams { r: 1.0, ..d }).contains("`r` must lie in (0, 1)"));
        assert!(bad(ZhongParams { g0: 1.5, ..d }).contains("`g0`"));
        assert!(bad(ZhongParams { kp: -1.0, ..d }).contains("`kp` must be positive"));
        assert!(bad(ZhongParams { alpha: 100.0, ..d }).contains("r/(1 − r)"));
    }

    #[test]
    fn variation_keeps_parameters_physical_and_is_seeded() {
        use rand::SeedableRng;
        let p = ZhongParams::default();
        let mut a = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut b = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let va = p.varied(0.2, &mut a);
        assert_eq!(va, p.varied(0.2, &mut b));
        assert_ne!(va, p);
        assert!(va.validate().is_ok());
        // Zero spread keeps every parameter bit for bit.
        assert_eq!(p.varied(0.0, &mut a), p);
    }
}

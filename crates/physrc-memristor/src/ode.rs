//! An adaptive Dormand–Prince 5(4) integrator for the scalar state of the drift models.
//!
//! The state equations of the HP and VTEAM models are one-dimensional and autonomous during a
//! pulse (constant voltage), but the windowed ones are nonlinear and their rates span many
//! decades with the voltage, so a fixed step is either wasteful or unstable. The dissipated
//! power `V·I(x)` is integrated alongside the state with the same stages, so the energy is as
//! accurate as the state. The state is projected onto its bounds after every step and the
//! stages are evaluated at the projected state, which integrates the clipped dynamics.

use crate::{MemristorError, PulseResponse};

/// Integration tolerances and budget. The relative tolerance applies to the state and to the
/// energy increment of each step.
pub(crate) const RTOL: f64 = 1e-9;
pub(crate) const ATOL: f64 = 1e-12;
const MAX_STEPS: usize = 200_000;

// Dormand & Prince (1980) coefficients.
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
const B1: f64 = 35.0 / 384.0;
const B3: f64 = 500.0 / 1113.0;
const B4: f64 = 125.0 / 192.0;
const B5: f64 = -2187.0 / 6784.0;
const B6: f64 = 11.0 / 84.0;
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;

/// A constant-voltage pulse on a device whose state `x ∈ [0, 1]` sets its resistance `R(x)`:
/// integrates `dx/dt` over `width` with the Joule energy `∫ V²/R(x) dt` alongside, and returns
/// the new state with the pulse's response (the current at the end of the pulse).
///
/// `fastest_rate` bounds `|d(dx/dt)/dx|` during the pulse and sets the first step.
///
/// # Errors
///
/// [`MemristorError::StepLimit`] naming `model` when the step budget runs out.
pub(crate) fn resistive_pulse(
    model: &'static str,
    x0: f64,
    volts: f64,
    width: f64,
    fastest_rate: f64,
    dxdt: impl Fn(f64) -> f64,
    resistance: impl Fn(f64) -> f64,
) -> Result<(f64, PulseResponse), MemristorError> {
    let (x, energy) = integrate(x0, width, (0.0, 1.0), 0.05 / fastest_rate, dxdt, |x| {
        volts * volts / resistance(x)
    })
    .ok_or(MemristorError::StepLimit {
        model,
        volts,
        width,
        max_steps: MAX_STEPS,
    })?;
    let response = PulseResponse {
        current: volts / resistance(x),
        // Quadrature weights of mixed sign could in principle dip below zero; the dissipated
        // energy of a resistor cannot.
        energy: energy.max(0.0),
    };
    Ok((x, response))
}

/// Integrates `dx/dt = f(x)` on `[lo, hi]` over `duration`, together with `∫ q(x) dt`.
///
/// `h0` is a first step size (the adaptive control corrects it). Returns the final state and
/// the integral, or `None` when the step budget runs out.
pub(crate) fn integrate<F, Q>(
    x0: f64,
    duration: f64,
    (lo, hi): (f64, f64),
    h0: f64,
    f: F,
    q: Q,
) -> Option<(f64, f64)>
where
    F: Fn(f64) -> f64,
    Q: Fn(f64) -> f64,
{
    let clamp = |x: f64| x.clamp(lo, hi);
    let mut x = x0;
    let mut e = 0.0;
    let mut t = 0.0;
    let mut h = h0.min(duration).max(duration * 1e-12);
    let mut k1 = f(x);
    let mut l1 = q(x);
    for _ in 0..MAX_STEPS {
        let last = t + h >= duration;
        if last {
            h = duration - t;
        }
        let x2 = clamp(x + h * A21 * k1);
        // The fifth-order weights of stage 2 are zero, so its power is never needed.
        let k2 = f(x2);
        let x3 = clamp(x + h * (A31 * k1 + A32 * k2));
        let (k3, l3) = (f(x3), q(x3));
        let x4 = clamp(x + h * (A41 * k1 + A42 * k2 + A43 * k3));
        let (k4, l4) = (f(x4), q(x4));
        let x5 = clamp(x + h * (A51 * k1 + A52 * k2 + A53 * k3 + A54 * k4));
        let (k5, l5) = (f(x5), q(x5));
        let x6 = clamp(x + h * (A61 * k1 + A62 * k2 + A63 * k3 + A64 * k4 + A65 * k5));
        let (k6, l6) = (f(x6), q(x6));
        let xn = clamp(x + h * (B1 * k1 + B3 * k3 + B4 * k4 + B5 * k5 + B6 * k6));
        let (k7, l7) = (f(xn), q(xn));
        let err = h * (E1 * k1 + E3 * k3 + E4 * k4 + E5 * k5 + E6 * k6 + E7 * k7);
        let scale = ATOL + RTOL * x.abs().max(xn.abs());
        // The energy is controlled relative to its own increment: its scale is not known in
        // advance (nanojoules for one model, femtojoules for another).
        let de = h * (B1 * l1 + B3 * l3 + B4 * l4 + B5 * l5 + B6 * l6);
        let err_e = h * (E1 * l1 + E3 * l3 + E4 * l4 + E5 * l5 + E6 * l6 + E7 * l7);
        let ratio = (err / scale)
            .abs()
            .max((err_e / (RTOL * de.abs()).max(f64::MIN_POSITIVE)).abs());
        if ratio <= 1.0 || h <= duration * 1e-12 {
            e += de;
            t += h;
            x = xn;
            k1 = k7;
            l1 = l7;
            if last {
                return Some((x, e));
            }
        }
        let grow = if ratio == 0.0 {
            5.0
        } else {
            (0.9 * ratio.powf(-0.2)).clamp(0.2, 5.0)
        };
        h *= grow;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_decay_is_exact_to_tolerance() {
        // dx/dt = −x, x(0) = 1: x(2) = e^−2, ∫ x dt = 1 − e^−2.
        let (x, e) = integrate(1.0, 2.0, (0.0, 1.0), 0.1, |x| -x, |x| x).unwrap();
        assert!((x - (-2.0f64).exp()).abs() < 1e-8);
        assert!((e - (1.0 - (-2.0f64).exp())).abs() < 1e-8);
    }

    #[test]
    fn logistic_growth_matches_its_closed_form() {
        // dx/dt = 4x(1 − x): x(t) = 1 / (1 + ((1 − x0)/x0)·e^(−4t)).
        let x0 = 0.1;
        let (x, _) =
            integrate(x0, 1.0, (0.0, 1.0), 1e-3, |x| 4.0 * x * (1.0 - x), |_| 0.0).unwrap();
        let exact = 1.0 / (1.0 + 9.0 * (-4.0f64).exp());
        assert!((x - exact).abs() < 1e-8);
    }

    #[test]
    fn clipping_holds_the_bound() {
        let (x, e) = integrate(0.5, 10.0, (0.0, 1.0), 0.1, |_| 1.0, |x| x).unwrap();
        assert_eq!(x, 1.0);
        // ∫ x dt: 0.5 s of rising from 0.5 to 1 then 9.5 s at 1.
        assert!((e - (0.375 + 9.5)).abs() < 1e-6, "{e}");
    }

    #[test]
    fn the_step_budget_is_reported() {
        // A rate far beyond what any budget can resolve with accuracy.
        assert!(
            integrate(
                0.5,
                1.0,
                (0.0, 1.0),
                1e-20,
                |x| (1e9 * x).sin() * 1e9,
                |_| 0.0
            )
            .is_none()
        );
    }
}

//! The slew ramp planner: pure functions, no hardware.
//!
//! # Why the firmware ramps
//!
//! The coils are inductive and the sample responds to the field's path, not only to its end
//! point: a step that is too fast induces voltages in the coil driver and sweeps the sample
//! through fields nobody asked for. So a change of field Δ (a vector) is applied as `n` equal
//! updates, `n = ceil(|Δ| / (max_slew · RAMP_UPDATE_MS))` (at least 1), one every
//! [`RAMP_UPDATE_MS`]: no update moves the field by more than the slew limit allows in that
//! time (up to one DAC LSB of rounding per axis).
//!
//! # Float conventions
//!
//! `core` has no `sqrt`, `ceil` or `round`, so the planner compares squares in `f64` instead
//! of taking roots where it can, and takes its one root with a few Newton steps that it then
//! checks exactly (see [`ramp_updates`]).

/// Time between two updates of a ramp, in milliseconds.
pub const RAMP_UPDATE_MS: u32 = 1;

/// Most updates one ramp may take (10 s at [`RAMP_UPDATE_MS`]). A change that needs more is
/// refused with a slew-limit error rather than blocking the device for longer.
pub const MAX_RAMP_UPDATES: u32 = 10_000;

/// Longest settle time a request may ask for, in µs (10 s): the device blocks while it
/// settles.
pub const MAX_SETTLE_US: u32 = 10_000_000;

/// Why a ramp cannot be planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RampError {
    /// A field component is NaN or infinite.
    NonFinite,
    /// Reaching the field within the slew limit would take more than [`MAX_RAMP_UPDATES`]
    /// updates, or the slew limit is not a positive finite number.
    Slew,
}

/// Number of updates of the ramp from `from` to `to` (fields in mT) under a slew limit of
/// `max_slew_mt_per_ms`: `n = ceil(|Δ| / (max_slew · RAMP_UPDATE_MS))`, at least 1 (a request
/// for the present field still writes it once).
///
/// `|Δ|` is `sqrt(dx² + dy²)` with `dx = to.0 − from.0` in `f32` and the rest in `f64`; the
/// result is exact in the sense that `((n−1)·s)² < |Δ|² ≤ (n·s)²` holds in `f64`, where
/// `s = max_slew · RAMP_UPDATE_MS`.
///
/// # Errors
///
/// [`RampError::NonFinite`] if a field is not finite, [`RampError::Slew`] if the slew
/// limit is not a positive finite number or the ramp needs more than [`MAX_RAMP_UPDATES`]
/// updates.
pub fn ramp_updates(
    from: (f32, f32),
    to: (f32, f32),
    max_slew_mt_per_ms: f32,
) -> Result<u32, RampError> {
    if !(from.0.is_finite() && from.1.is_finite() && to.0.is_finite() && to.1.is_finite()) {
        return Err(RampError::NonFinite);
    }
    let step = f64::from(max_slew_mt_per_ms) * f64::from(RAMP_UPDATE_MS);
    if !(step.is_finite() && step > 0.0) {
        return Err(RampError::Slew);
    }
    let dx = f64::from(to.0 - from.0);
    let dy = f64::from(to.1 - from.1);
    let d2 = dx * dx + dy * dy;
    if !d2.is_finite() {
        return Err(RampError::Slew);
    }
    let limit = f64::from(MAX_RAMP_UPDATES);
    let fits = |n: f64| (n * step) * (n * step) >= d2;
    if !fits(limit) {
        return Err(RampError::Slew);
    }
    // Estimate, then correct so that the defining inequality holds exactly.
    let estimate = ceil_nonneg(sqrt_nonneg(d2) / step).clamp(1.0, limit);
    let mut n = estimate;
    while n < limit && !fits(n) {
        n += 1.0;
    }
    while n > 1.0 && fits(n - 1.0) {
        n -= 1.0;
    }
    // 1 ≤ n ≤ MAX_RAMP_UPDATES, an integer.
    Ok(n as u32)
}

/// Point `i` (1-based) of an `n`-update ramp from `from` to `to`:
/// `from + (to − from) · (i / n)`, evaluated in `f32` exactly as written; point `n` is `to`
/// itself.
#[must_use]
pub fn ramp_point(from: (f32, f32), to: (f32, f32), i: u32, n: u32) -> (f32, f32) {
    if i >= n {
        return to;
    }
    let t = i as f32 / n as f32;
    (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t)
}

/// `sqrt(v)` for finite `v ≥ 0` by Newton's method from a bit-level first guess; accurate to a
/// few ULP, which [`ramp_updates`] corrects for.
fn sqrt_nonneg(v: f64) -> f64 {
    if v <= 0.0 {
        return 0.0;
    }
    // Halving the exponent gives a guess within a factor of two.
    let mut x = f64::from_bits((v.to_bits() >> 1) + (1023_u64 << 51));
    for _ in 0..8 {
        x = 0.5 * (x + v / x);
    }
    x
}

/// `ceil(v)` for finite `0 ≤ v < 2^52`.
fn ceil_nonneg(v: f64) -> f64 {
    let t = v as u64 as f64;
    if t < v { t + 1.0 } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_count_is_the_ceiling() {
        assert_eq!(ramp_updates((0.0, 0.0), (2.0, 0.0), 0.5), Ok(4));
        assert_eq!(ramp_updates((0.0, 0.0), (2.1, 0.0), 0.5), Ok(5));
        assert_eq!(ramp_updates((0.0, 0.0), (3.0, 4.0), 1.0), Ok(5));
        assert_eq!(ramp_updates((1.0, 1.0), (1.0, 1.0), 1.0), Ok(1));
        assert_eq!(ramp_updates((0.0, 0.0), (0.1, 0.0), 1.0), Ok(1));
        for (d, s) in [
            (7.3_f32, 0.25_f32),
            (19.9, 0.7),
            (0.003, 0.001),
            (40.0, 0.01),
        ] {
            let expected = (f64::from(d) / f64::from(s)).ceil().max(1.0) as u32;
            assert_eq!(
                ramp_updates((0.0, 0.0), (0.0, d), s),
                Ok(expected),
                "{d} {s}"
            );
        }
    }

    #[test]
    fn too_slow_or_broken_slew_is_refused() {
        assert_eq!(
            ramp_updates((0.0, 0.0), (20.0, 0.0), 0.001),
            Err(RampError::Slew)
        );
        assert_eq!(
            ramp_updates((0.0, 0.0), (1.0, 0.0), 0.0),
            Err(RampError::Slew)
        );
        assert_eq!(
            ramp_updates((0.0, 0.0), (1.0, 0.0), f32::NAN),
            Err(RampError::Slew)
        );
        assert_eq!(
            ramp_updates((0.0, 0.0), (f32::NAN, 0.0), 1.0),
            Err(RampError::NonFinite)
        );
        assert_eq!(ramp_updates((0.0, 0.0), (10.0, 0.0), 0.001), Ok(10_000));
    }

    #[test]
    fn sqrt_is_close() {
        for v in [1e-9_f64, 0.25, 2.0, 4.0, 1e6, 3.3e12] {
            let r = sqrt_nonneg(v);
            assert!((r - v.sqrt()).abs() <= 4.0 * f64::EPSILON * v.sqrt(), "{v}");
        }
    }

    #[test]
    fn ramp_points_end_on_target() {
        assert_eq!(ramp_point((0.0, 0.0), (2.0, -1.0), 4, 4), (2.0, -1.0));
        assert_eq!(ramp_point((0.0, 0.0), (2.0, -1.0), 1, 4), (0.5, -0.25));
    }
}

//! Shape anisotropy and the uniform (Kittel) resonance of a thin rectangular bar.
//!
//! # Demagnetising factors
//!
//! A uniformly magnetised rectangular prism has the magnetometric demagnetising factors given in
//! closed form by Aharoni, "Demagnetizing factors for rectangular ferromagnetic prisms",
//! J. Appl. Phys. 83, 3432 (1998), Eq. (1); [`demag_factors`] evaluates it for each axis by
//! permuting the edges. They sum to one.
//!
//! # Resonance
//!
//! A single-domain bar with its moment in the plane, at angle `ψ` from its long axis, has the
//! energy density (in units of `μ0 M_s`, fields in tesla)
//! `e(ψ, δ) = ½ M_s (N_x m_x² + N_y m_y² + N_z m_z²) − h·m`, with `δ` the out-of-plane angle.
//! The applied plus dipolar in-plane field `(h∥, h⊥)` along and across the long axis (in the
//! frame of the macrospin's own direction) tilts the moment to the `ψ` where the torque
//! `H_K sin ψ cos ψ + h∥ sin ψ − h⊥ cos ψ` vanishes, `H_K = (N_y − N_x)·μ0 M_s`. The
//! Smit–Beljers formula then gives the uniform-mode frequency
//! `f = (γ/2π)·√(H_ψ·H_δ)` with the in-plane and out-of-plane stiffnesses
//! `H_ψ = H_K cos 2ψ + h∥ cos ψ + h⊥ sin ψ` and
//! `H_δ = h∥ cos ψ + h⊥ sin ψ + μ0 M_s (N_z − N_x cos²ψ − N_y sin²ψ)`.
//! With no transverse field (`ψ = 0`) this is Kittel's formula for an in-plane bar,
//! `f = (γ/2π)·√((h∥ + H_K)(h∥ + H_K + M_eff))`, `M_eff = (N_z − N_y)·μ0 M_s` (Kittel, Phys.
//! Rev. 73, 155 (1948)). A field against the moment (`h∥ < 0`) lowers `H_ψ`: the mode softens
//! and reaches zero at the Stoner–Wohlfarth switching field, where the state stops being a
//! minimum.

/// Magnetometric demagnetising factors `[N_x, N_y, N_z]` of a rectangular prism with edges
/// `lx`, `ly`, `lz` (any common unit), from Aharoni (1998), Eq. (1).
///
/// Edges must be positive and finite (the caller validates them).
pub fn demag_factors(lx: f64, ly: f64, lz: f64) -> [f64; 3] {
    // Aharoni's formula gives the factor along the third edge of a 2a × 2b × 2c prism; the
    // other two follow by permutation.
    let (a, b, c) = (lx / 2.0, ly / 2.0, lz / 2.0);
    [
        aharoni_dz(b, c, a),
        aharoni_dz(c, a, b),
        aharoni_dz(a, b, c),
    ]
}

/// Aharoni (1998), Eq. (1): the demagnetising factor along `c` of the prism `2a × 2b × 2c`.
fn aharoni_dz(a: f64, b: f64, c: f64) -> f64 {
    let (a2, b2, c2) = (a * a, b * b, c * c);
    let abc = (a2 + b2 + c2).sqrt();
    let ab = (a2 + b2).sqrt();
    let bc = (b2 + c2).sqrt();
    let ac = (a2 + c2).sqrt();
    let pi_dz = (b2 - c2) / (2.0 * b * c) * ((abc - a) / (abc + a)).ln()
        + (a2 - c2) / (2.0 * a * c) * ((abc - b) / (abc + b)).ln()
        + b / (2.0 * c) * ((ab + a) / (ab - a)).ln()
        + a / (2.0 * c) * ((ab + b) / (ab - b)).ln()
        + c / (2.0 * a) * ((bc - b) / (bc + b)).ln()
        + c / (2.0 * b) * ((ac - a) / (ac + a)).ln()
        + 2.0 * (a * b / (c * abc)).atan()
        + (a2 * a + b2 * b - 2.0 * c2 * c) / (3.0 * a * b * c)
        + (a2 + b2 - 2.0 * c2) / (3.0 * a * b * c) * abc
        + c / (a * b) * (ac + bc)
        - (ab.powi(3) + bc.powi(3) + ac.powi(3)) / (3.0 * a * b * c);
    pi_dz / std::f64::consts::PI
}

/// The magnetic constants of one bar shape that its uniform mode depends on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarShape {
    /// Demagnetising factor along the long axis.
    pub nx: f64,
    /// Demagnetising factor across the bar, in the plane.
    pub ny: f64,
    /// Demagnetising factor through the thickness.
    pub nz: f64,
    /// Saturation magnetisation as `μ0·M_s`, tesla.
    pub ms: f64,
}

impl BarShape {
    /// The shape of a `length × width × thickness` bar of saturation magnetisation
    /// `mu0_ms` (tesla).
    pub fn new(length: f64, width: f64, thickness: f64, mu0_ms: f64) -> Self {
        let [nx, ny, nz] = demag_factors(length, width, thickness);
        BarShape {
            nx,
            ny,
            nz,
            ms: mu0_ms,
        }
    }

    /// Shape anisotropy field `H_K = (N_y − N_x)·μ0 M_s`, tesla: the easy-axis field at which
    /// a coherently rotating (Stoner–Wohlfarth) bar reverses.
    pub fn anisotropy_field(&self) -> f64 {
        (self.ny - self.nx) * self.ms
    }

    /// The uniform mode in the local field `(h∥, h⊥)` (tesla, in the frame of the moment's
    /// macrospin direction), and the derivative of its frequency along the in-plane unit
    /// vector `(e∥, e⊥)` of that frame (GHz per tesla). `gamma` is `γ/2π` in GHz/T.
    ///
    /// `None` when the moment is not at an energy minimum in this field (beyond the
    /// Stoner–Wohlfarth switching field): it has no mode to absorb at.
    pub fn mode(&self, h: [f64; 2], e: [f64; 2], gamma: f64) -> Option<Mode> {
        self.mode_with_anisotropy(h, e, gamma, self.anisotropy_field())
    }

    /// [`mode`](Self::mode) with the in-plane anisotropy field `hk` (tesla) in place of the
    /// shape's own: a bar whose dimensions deviate from the nominal ones, as fabrication
    /// disorder makes them.
    pub fn mode_with_anisotropy(
        &self,
        h: [f64; 2],
        e: [f64; 2],
        gamma: f64,
        hk: f64,
    ) -> Option<Mode> {
        let (hp, hq) = (h[0], h[1]);
        // The tilt ψ as a unit vector (c, s) = (cos ψ, sin ψ), started from the small-angle
        // solution tan ψ = h⊥/(H_K + h∥) and refined by Newton steps on the torque. Each step
        // rotates by atan(Δ) instead of Δ, which keeps the convergence quadratic and needs a
        // square root instead of two trigonometric calls.
        let stiff0 = hk + hp;
        if stiff0 <= 0.0 {
            return None;
        }
        let n0 = (stiff0 * stiff0 + hq * hq).sqrt();
        let (mut c, mut s) = (stiff0 / n0, hq / n0);
        for _ in 0..8 {
            let torque = hk * s * c + hp * s - hq * c;
            let h_psi = hk * (c * c - s * s) + hp * c + hq * s;
            if h_psi <= 0.0 {
                return None;
            }
            let d = -torque / h_psi;
            let norm = (1.0 + d * d).sqrt();
            let (c1, s1) = ((c - s * d) / norm, (s + c * d) / norm);
            c = c1;
            s = s1;
            if d.abs() < 1e-13 {
                break;
            }
        }
        let h_psi = hk * (c * c - s * s) + hp * c + hq * s;
        let along = hp * c + hq * s;
        let h_delta = along + self.ms * (self.nz - self.nx * c * c - self.ny * s * s);
        if h_psi <= 0.0 || h_delta <= 0.0 {
            return None;
        }
        let root = (h_psi * h_delta).sqrt();
        let f = gamma * root;
        // Derivatives along e: the tilt follows from the torque balance (implicit function),
        // then both stiffnesses change through the field and the tilt.
        let (ep, eq) = (e[0], e[1]);
        let dpsi = -(ep * s - eq * c) / h_psi;
        let across = -hp * s + hq * c;
        let e_along = ep * c + eq * s;
        let d_psi_stiff = -4.0 * hk * s * c * dpsi + e_along + across * dpsi;
        let d_delta_stiff =
            e_along + across * dpsi + 2.0 * self.ms * (self.nx - self.ny) * s * c * dpsi;
        let df = gamma * (d_psi_stiff * h_delta + h_psi * d_delta_stiff) / (2.0 * root);
        Some(Mode { f, df })
    }
}

/// A resonance: frequency and its derivative along a field direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mode {
    /// Frequency, GHz.
    pub f: f64,
    /// `∂f/∂H` along the chosen direction, GHz per tesla.
    pub df: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cube_has_one_third_on_every_axis() {
        for n in demag_factors(2.0, 2.0, 2.0) {
            assert!((n - 1.0 / 3.0).abs() < 1e-12, "{n}");
        }
    }

    #[test]
    fn the_factors_sum_to_one_and_order_with_the_edges() {
        for (x, y, z) in [
            (600.0, 150.0, 20.0),
            (3.0, 2.0, 1.0),
            (470.0, 160.0, 20.0),
            (5.0, 5.0, 0.1),
        ] {
            let [nx, ny, nz] = demag_factors(x, y, z);
            assert!((nx + ny + nz - 1.0).abs() < 1e-10, "{x} {y} {z}");
            assert!(nx <= ny + 1e-12 && ny <= nz + 1e-12, "{nx} {ny} {nz}");
        }
    }

    /// Limits: a thin film has `N_z → 1`; a long rod of square section `N_x → 0` and
    /// `N_y = N_z → ½`.
    #[test]
    fn the_factors_reach_the_film_and_rod_limits() {
        let [_, _, nz] = demag_factors(1000.0, 1000.0, 0.01);
        assert!(nz > 0.9999, "{nz}");
        let [nx, ny, nz] = demag_factors(1e5, 1.0, 1.0);
        assert!(nx < 1e-4 && (ny - 0.5).abs() < 1e-4 && (nz - 0.5).abs() < 1e-4);
    }

    /// Along the easy axis the mode is Kittel's formula; the derivative matches a finite
    /// difference along any direction, with a transverse field too.
    #[test]
    fn the_mode_is_kittel_on_axis_and_its_derivative_is_consistent() {
        let bar = BarShape::new(600.0, 150.0, 20.0, 1.0);
        let hk = bar.anisotropy_field();
        let meff = (bar.nz - bar.ny) * bar.ms;
        for hp in [-0.03, 0.0, 0.05] {
            let m = bar.mode([hp, 0.0], [1.0, 0.0], 28.0).unwrap();
            let k = 28.0 * ((hp + hk) * (hp + hk + meff)).sqrt();
            assert!((m.f - k).abs() < 1e-9 * k, "{} {k}", m.f);
        }
        for (h, e) in [([0.02, 0.01], [0.6, 0.8]), ([-0.02, 0.015], [-0.6, 0.8])] {
            let m = bar.mode(h, e, 28.0).unwrap();
            let eps = 1e-6;
            let up = bar
                .mode([h[0] + eps * e[0], h[1] + eps * e[1]], e, 28.0)
                .unwrap();
            let dn = bar
                .mode([h[0] - eps * e[0], h[1] - eps * e[1]], e, 28.0)
                .unwrap();
            let fd = (up.f - dn.f) / (2.0 * eps);
            assert!(
                (m.df - fd).abs() < 1e-4 * fd.abs().max(1.0),
                "{} {fd}",
                m.df
            );
        }
        // Beyond the easy-axis switching field there is no minimum, so no mode.
        assert!(bar.mode([-1.01 * hk, 0.0], [1.0, 0.0], 28.0).is_none());
    }
}

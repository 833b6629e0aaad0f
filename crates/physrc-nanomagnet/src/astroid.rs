//! The generalised Stoner–Wohlfarth astroid: switching energy and the thermal field's direction.
//!
//! Source: Jensen et al., "flatspin: A large-scale artificial spin ice simulator",
//! Phys. Rev. B 106, 064408 (2022), Sec. II (switching) and II.D (thermal field).

/// Shape of the switching astroid `(h∥/(b·h_k))^(2/γ) + (h⊥/(c·h_k))^(2/β) = 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AstroidShape {
    /// Height along the parallel axis (`sw_b`).
    pub b: f64,
    /// Width along the perpendicular axis (`sw_c`).
    pub c: f64,
    /// Pointiness of the top and bottom (`sw_beta`).
    pub beta: f64,
    /// Pointiness of the left and right tips (`sw_gamma`).
    pub gamma: f64,
}

impl AstroidShape {
    /// The implicit astroid function `(h∥/(b·h_k))^(2/γ) + (h⊥/(c·h_k))^(2/β) − 1` in the
    /// operation order flatspin uses (divide, square, then the fractional power).
    #[inline]
    pub fn implicit(&self, h_par: f64, h_perp: f64, hk: f64) -> f64 {
        let x = h_par / (self.b * hk);
        let y = h_perp / (self.c * hk);
        (x * x).powf(1.0 / self.gamma) + (y * y).powf(1.0 / self.beta) - 1.0
    }

    /// The switching energy of one magnet given its total local field: the implicit function,
    /// forced to `−|E|` when `h_par ≥ −1e-12` because only a field with a component against
    /// the magnetisation can switch it. The magnet is flippable iff the result is positive.
    #[inline]
    pub fn switching_energy(&self, h_par: f64, h_perp: f64, hk: f64) -> f64 {
        let e = self.implicit(h_par, h_perp, hk);
        if h_par >= -PAR_EPS { -e.abs() } else { e }
    }
}

/// flatspin's tolerance on the parallel field: a perpendicular field must not make a magnet
/// flip back and forth through rounding.
pub(crate) const PAR_EPS: f64 = 1e-12;

/// flatspin's sampling of the astroid for the thermal field: 1801 points of the quadrant
/// `h∥ ≤ 0, h⊥ ≥ 0` in units of `h_k`, top (index 0) to tip (last index).
pub(crate) const ASTROID_RESOLUTION: usize = 1801;

/// A sampled quadrant of the astroid with outward normals, for the thermal field's direction
/// (the shortest way out of the astroid from the current field).
#[derive(Debug, Clone)]
pub(crate) struct AstroidTable {
    shape: AstroidShape,
    points: Vec<[f64; 2]>,
    normals: Vec<[f64; 2]>,
}

impl AstroidTable {
    pub fn new(shape: AstroidShape) -> Self {
        let n = ASTROID_RESOLUTION;
        let (t0, t1) = (std::f64::consts::FRAC_PI_2, std::f64::consts::PI);
        let step = (t1 - t0) / (n - 1) as f64;
        let mut points = Vec::with_capacity(n);
        for k in 0..n {
            let theta = if k == n - 1 { t1 } else { k as f64 * step + t0 };
            let h_par = shape.b * theta.cos();
            let x = h_par / shape.b;
            let h_perp = shape.c * (1.0 - (x * x).powf(1.0 / shape.gamma)).powf(shape.beta / 2.0);
            points.push([h_par, h_perp]);
        }
        let mut normals = vec![[0.0; 2]; n];
        for k in 1..n - 1 {
            let dx = points[k + 1][0] - points[k - 1][0];
            let dy = points[k + 1][1] - points[k - 1][1];
            let len = (dy * dy + dx * dx).sqrt();
            normals[k] = [dy / len, -dx / len];
        }
        normals[0] = normals[1];
        normals[n - 1] = normals[n - 2];
        AstroidTable {
            shape,
            points,
            normals,
        }
    }

    /// Index of, and distance to, the sampled astroid point nearest to `q`.
    ///
    /// The points are sorted by decreasing `h∥`, so a sweep outward from `q`'s position along
    /// that axis can stop once the axis distance alone exceeds the best distance found.
    fn nearest(&self, q: [f64; 2]) -> (usize, f64) {
        let p = &self.points;
        // First index whose h_par is <= q's.
        let mid = p.partition_point(|pt| pt[0] > q[0]);
        let d2 = |k: usize| {
            let dx = p[k][0] - q[0];
            let dy = p[k][1] - q[1];
            dx * dx + dy * dy
        };
        let mut best = (usize::MAX, f64::INFINITY);
        let consider = |k: usize, best: &mut (usize, f64)| {
            let d = d2(k);
            if d < best.1 || (d == best.1 && k < best.0) {
                *best = (k, d);
            }
        };
        let mut k = mid;
        while k < p.len() {
            let dx = p[k][0] - q[0];
            if dx * dx > best.1 {
                break;
            }
            consider(k, &mut best);
            k += 1;
        }
        let mut k = mid;
        while k > 0 {
            k -= 1;
            let dx = p[k][0] - q[0];
            if dx * dx > best.1 {
                break;
            }
            consider(k, &mut best);
        }
        (best.0, best.1.sqrt())
    }

    /// The thermal field (local frame, tesla) of signed length `magnitude` for a magnet whose
    /// non-thermal local field is `h` and whose threshold is `hk`.
    ///
    /// It points along the astroid's outward normal at the nearest sampled point, with the
    /// corrections for the non-smooth tip (`β > 2`) and top, and for fields above the astroid
    /// (where crossing the `h∥ = 0` axis is shorter); a negative magnitude (thermal energy
    /// against switching) is shortened so it never crosses the `h⊥ = 0` axis. This is the
    /// construction of flatspin's thermal field (Jensen et al. 2022, Sec. II.D).
    pub fn thermal_direction(&self, h: [f64; 2], magnitude: f64, hk: f64) -> [f64; 2] {
        let mut q = [h[0] / hk, h[1] / hk];
        let perp_negative = q[1] < 0.0;
        q[1] = q[1].abs();
        let (h_par, h_perp) = (q[0], q[1]);
        let mag = magnitude / hk;
        let (idx, dist) = self.nearest(q);
        let nearest = self.points[idx];
        let mut normal = self.normals[idx];
        let apex = self.points.len() - 1;
        if self.shape.beta > 2.0 && idx == apex && h_par < nearest[0] {
            let next = self.points[apex - 1];
            normal = unit([q[0] - next[0], q[1] - next[1]]);
        }
        if idx == 0 && h_par > 0.0 {
            let top = self.points[0];
            normal = unit([top[0] - q[0], top[1] - q[1]]);
        }
        if h_perp > self.shape.c && dist > h_par.abs() {
            normal = [-1.0, 0.0];
        }
        let mut dir = [normal[0] * mag, normal[1] * mag];
        let dest = h_perp + dir[1];
        if dest < 0.0 && mag < 0.0 {
            let scale = -h_perp / dir[1];
            dir[0] *= scale;
            dir[1] *= scale;
        }
        if perp_negative {
            dir[1] *= -1.0;
        }
        [dir[0] * hk, dir[1] * hk]
    }
}

fn unit(v: [f64; 2]) -> [f64; 2] {
    let len = (v[0] * v[0] + v[1] * v[1]).sqrt();
    [v[0] / len, v[1] / len]
}

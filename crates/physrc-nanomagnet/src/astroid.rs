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

/// Bins of the inner bound of [`InsideBound`] over `|h⊥|/(c·h_k)` ∈ [0, 1); a power of two so
/// that the bin index is exact.
const INSIDE_BINS: usize = 4096;

/// A conservative inner bound of the astroid that decides "surely not flippable" without the
/// two fractional powers of [`AstroidShape::implicit`].
///
/// Bin `k` holds the largest `|x| = |h∥|/(b·h_k)` for which
/// `(x²)^(1/γ) + (y²)^(1/β) ≤ 1 − 1e-9` at `|y| = (k+1)/K`, shrunk by a relative 1e-12 for the
/// rounding of the table itself. The implicit function grows with `|x|` and `|y|`, so every
/// field with `|y|` in bin `k` and `|x|` at most that bound has implicit value at most
/// `−1e-9` in exact arithmetic, far beyond the few ulps of rounding in its evaluation: such a
/// magnet has a negative switching energy, exactly as flatspin would compute it. Everything
/// else (the band near the astroid and outside it) is evaluated exactly, so the filter
/// changes no result, only the cost of the O(N) scan after every field change.
#[derive(Debug, Clone)]
pub(crate) struct InsideBound {
    b: f64,
    c: f64,
    x_max: Vec<f64>,
}

impl InsideBound {
    pub fn new(shape: AstroidShape) -> Self {
        let x_max = (0..INSIDE_BINS)
            .map(|k| {
                let y = (k + 1) as f64 / INSIDE_BINS as f64;
                let rest = 1.0 - 1e-9 - (y * y).powf(1.0 / shape.beta);
                if rest > 0.0 {
                    rest.powf(shape.gamma / 2.0) * (1.0 - 1e-12)
                } else {
                    -1.0
                }
            })
            .collect();
        InsideBound {
            b: shape.b,
            c: shape.c,
            x_max,
        }
    }

    /// True when the field `(h_par, h_perp)` is certainly strictly inside the astroid of
    /// threshold `hk` (implicit function negative); false means "evaluate exactly".
    #[inline]
    pub fn surely_inside(&self, h_par: f64, h_perp: f64, hk: f64) -> bool {
        let y = (h_perp / (self.c * hk)).abs();
        let bin = (y * INSIDE_BINS as f64) as usize;
        match self.x_max.get(bin) {
            Some(&xm) => (h_par / (self.b * hk)).abs() <= xm,
            None => false,
        }
    }
}

/// flatspin's tolerance on the parallel field: a perpendicular field must not make a magnet
/// flip back and forth through rounding.
pub(crate) const PAR_EPS: f64 = 1e-12;

/// flatspin's sampling of the astroid for the thermal field: 1801 points of the quadrant
/// `h∥ ≤ 0, h⊥ ≥ 0` in units of `h_k`, top (index 0) to tip (last index).
pub(crate) const ASTROID_RESOLUTION: usize = 1801;

/// Points per fine block of the nearest-point search.
const FINE: usize = 8;
/// Fine blocks per coarse block of the nearest-point search.
const FINE_PER_COARSE: usize = 8;

/// Axis-aligned bounding box `[min h∥, max h∥, min h⊥, max h⊥]` of a run of points.
type BBox = [f64; 4];

fn bbox(points: &[[f64; 2]]) -> BBox {
    let mut b = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in points {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].max(p[0]);
        b[2] = b[2].min(p[1]);
        b[3] = b[3].max(p[1]);
    }
    b
}

/// Squared distance from `q` to the box, computed so that it never exceeds the computed
/// squared distance from `q` to any point inside the box: floating-point subtraction,
/// squaring and addition are all monotone, so the bound also holds after rounding.
#[inline]
fn box_d2(b: &BBox, q: [f64; 2]) -> f64 {
    let dx = if q[0] < b[0] {
        b[0] - q[0]
    } else if q[0] > b[1] {
        q[0] - b[1]
    } else {
        0.0
    };
    let dy = if q[1] < b[2] {
        b[2] - q[1]
    } else if q[1] > b[3] {
        q[1] - b[3]
    } else {
        0.0
    };
    dx * dx + dy * dy
}

/// A sampled quadrant of the astroid with outward normals, for the thermal field's direction
/// (the shortest way out of the astroid from the current field).
#[derive(Debug, Clone)]
pub(crate) struct AstroidTable {
    shape: AstroidShape,
    points: Vec<[f64; 2]>,
    normals: Vec<[f64; 2]>,
    /// Bounding boxes of consecutive runs of `FINE` points.
    fine: Vec<BBox>,
    /// Bounding boxes of consecutive runs of `FINE_PER_COARSE` fine blocks.
    coarse: Vec<BBox>,
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
        let fine = points.chunks(FINE).map(bbox).collect();
        let coarse = points.chunks(FINE * FINE_PER_COARSE).map(bbox).collect();
        AstroidTable {
            shape,
            points,
            normals,
            fine,
            coarse,
        }
    }

    /// Index of, and distance to, the sampled astroid point nearest to `q` (Euclidean, the
    /// lowest index among exact ties), as a full scan of the 1801 points would find it.
    ///
    /// flatspin answers this query with a k-d tree; here a two-level hierarchy of bounding
    /// boxes over consecutive points prunes every block whose box is farther than the best
    /// point found so far. The coarse block with the nearest box is searched first to get a
    /// tight bound; the pruning is exact because a box's distance never exceeds the distance of
    /// any point in it (see `box_d2`), so a typical query computes ~30 box distances and a few
    /// dozen point distances instead of up to 1801.
    fn nearest(&self, q: [f64; 2]) -> (usize, f64) {
        let mut best = (usize::MAX, f64::INFINITY);
        let mut first = 0;
        let mut first_d2 = f64::INFINITY;
        for (c, b) in self.coarse.iter().enumerate() {
            let d2 = box_d2(b, q);
            if d2 < first_d2 {
                first = c;
                first_d2 = d2;
            }
        }
        self.search_coarse(first, q, &mut best);
        for c in 0..self.coarse.len() {
            if c != first && box_d2(&self.coarse[c], q) <= best.1 {
                self.search_coarse(c, q, &mut best);
            }
        }
        if best.0 == usize::MAX {
            // No distance compared: `q` is not finite, or so far out (a field of 1e154 times
            // the threshold) that every squared distance overflows. Any point is as near.
            return (0, f64::INFINITY);
        }
        (best.0, best.1.sqrt())
    }

    fn search_coarse(&self, c: usize, q: [f64; 2], best: &mut (usize, f64)) {
        let f0 = c * FINE_PER_COARSE;
        let f1 = (f0 + FINE_PER_COARSE).min(self.fine.len());
        for f in f0..f1 {
            if box_d2(&self.fine[f], q) > best.1 {
                continue;
            }
            let k0 = f * FINE;
            let k1 = (k0 + FINE).min(self.points.len());
            for k in k0..k1 {
                let dx = self.points[k][0] - q[0];
                let dy = self.points[k][1] - q[1];
                let d = dx * dx + dy * dy;
                if d < best.1 || (d == best.1 && k < best.0) {
                    *best = (k, d);
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The exhaustive definition: the lowest index among the points at minimal squared
    /// distance.
    fn brute(t: &AstroidTable, q: [f64; 2]) -> (usize, f64) {
        let mut best = (usize::MAX, f64::INFINITY);
        for (k, p) in t.points.iter().enumerate() {
            let (dx, dy) = (p[0] - q[0], p[1] - q[1]);
            let d = dx * dx + dy * dy;
            if d < best.1 {
                best = (k, d);
            }
        }
        (best.0, best.1.sqrt())
    }

    /// flatspin's default shape, the classic Stoner–Wohlfarth astroid, the fitted bar and the
    /// ellipse of the thermal test.
    const TEST_SHAPES: [AstroidShape; 4] = [
        AstroidShape {
            b: 0.41,
            c: 1.0,
            beta: 1.5,
            gamma: 3.9,
        },
        AstroidShape {
            b: 1.0,
            c: 1.0,
            beta: 3.0,
            gamma: 3.0,
        },
        AstroidShape {
            b: 0.212,
            c: 1.0,
            beta: 2.5,
            gamma: 3.0,
        },
        AstroidShape {
            b: 1.0,
            c: 3.0,
            beta: 1.0,
            gamma: 1.0,
        },
    ];

    /// The pruned search returns exactly the exhaustive answer for flatspin's default shape,
    /// the classic Stoner–Wohlfarth astroid, the fitted bar and the ellipse of the thermal
    /// test, on random queries inside, on and outside the curve, and on the axes.
    #[test]
    fn pruned_nearest_equals_exhaustive_scan() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for shape in TEST_SHAPES {
            let t = AstroidTable::new(shape);
            let mut queries: Vec<[f64; 2]> = (0..4000)
                .map(|_| [rng.random_range(-2.5..1.0), rng.random_range(0.0..3.5)])
                .collect();
            queries.extend((0..200).map(|k| [-2.0 + 0.015 * k as f64, 0.0]));
            queries.extend((0..200).map(|k| [0.0, 0.02 * k as f64]));
            queries.extend(t.points.iter().copied());
            for q in queries {
                assert_eq!(t.nearest(q), brute(&t, q), "{shape:?} at {q:?}");
            }
        }
    }

    /// Wherever the inner bound says "inside", the exact implicit function is negative, and
    /// the bound is tight: it covers most of the astroid's interior.
    #[test]
    fn inner_bound_never_claims_a_flippable_field() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        for shape in TEST_SHAPES {
            let bound = InsideBound::new(shape);
            let hk = 0.2;
            let (mut inside, mut claimed) = (0usize, 0usize);
            for _ in 0..200_000 {
                let hp = rng.random_range(-1.5..1.5) * shape.b * hk;
                let hq = rng.random_range(-1.5..1.5) * shape.c * hk;
                let e = shape.implicit(hp, hq, hk);
                if bound.surely_inside(hp, hq, hk) {
                    claimed += 1;
                    assert!(
                        e < 0.0,
                        "{shape:?}: ({hp}, {hq}) claimed inside, implicit {e}"
                    );
                }
                if e < -1e-3 {
                    inside += 1;
                }
            }
            assert!(
                claimed as f64 > 0.99 * inside as f64,
                "{shape:?}: {claimed} of {inside}"
            );
            // Points on the sampled curve itself are never claimed.
            let t = AstroidTable::new(shape);
            for p in &t.points {
                assert!(!bound.surely_inside(p[0] * hk, p[1] * hk, hk));
            }
        }
    }
}

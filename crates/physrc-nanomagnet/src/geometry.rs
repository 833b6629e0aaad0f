//! Array geometries with flatspin's names, index order, positions and angles.
//!
//! Every constructor reproduces the order in which flatspin 2.6 enumerates magnets and the exact
//! floating-point operations it uses to place them (running sums of `a`, `a/2` or `a·√3/2`), so
//! positions and angles exchange one-to-one with flatspin's `model.pos` and `model.angle`
//! (checked against fixtures in `tests/flatspin_geometry.rs`). Positions are in units of the
//! lattice spacing times `lattice_spacing` (flatspin multiplies by it); angles are in radians.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::error::NanomagnetError;

/// Which lattice a [`Layout`] was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryKind {
    /// flatspin `SquareSpinIceClosed` (symmetric edges).
    SquareClosed,
    /// flatspin `SquareSpinIceOpen`.
    SquareOpen,
    /// flatspin `PinwheelSpinIceDiamond`.
    PinwheelDiamond,
    /// flatspin `PinwheelSpinIceRandom`.
    PinwheelRandom,
    /// flatspin `KagomeSpinIce`.
    Kagome,
    /// flatspin `CustomSpinIce`: positions and angles given by the user.
    Custom,
}

impl GeometryKind {
    /// The name used in configuration files (`square-closed`, …).
    pub fn name(self) -> &'static str {
        match self {
            GeometryKind::SquareClosed => "square-closed",
            GeometryKind::SquareOpen => "square-open",
            GeometryKind::PinwheelDiamond => "pinwheel-diamond",
            GeometryKind::PinwheelRandom => "pinwheel-random",
            GeometryKind::Kagome => "kagome",
            GeometryKind::Custom => "custom",
        }
    }

    /// flatspin's default `neighbor_distance` for this geometry, in lattice units: 1, except
    /// √2 for square-open and 10 for the pinwheel geometries (whose tilted magnets couple
    /// further).
    pub fn default_neighbor_distance(self) -> f64 {
        match self {
            GeometryKind::SquareOpen => std::f64::consts::SQRT_2,
            GeometryKind::PinwheelDiamond | GeometryKind::PinwheelRandom => 10.0,
            _ => 1.0,
        }
    }
}

/// Magnet positions and angles of one array, plus the lattice spacing they were built with.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    kind: GeometryKind,
    positions: Array2<f64>,
    angles: Array1<f64>,
    lattice_spacing: f64,
}

/// Most cells `nx·ny` a lattice may have. Indices are stored as 32-bit integers in the
/// neighbour lists, and kagome ice has three magnets per cell; the memory budget refuses far
/// smaller arrays on most machines (square ice needs about 600 bytes per cell).
pub(crate) const MAX_CELLS: usize = 400_000_000;

fn check_size(nx: usize, ny: usize) -> Result<(), NanomagnetError> {
    if nx == 0 || ny == 0 {
        return Err(NanomagnetError::InvalidChoice {
            name: "size",
            message: format!("both entries must be at least 1, got [{nx}, {ny}]"),
        });
    }
    // Indices are stored as u32 in the neighbour lists.
    if nx.saturating_mul(ny) > MAX_CELLS {
        return Err(NanomagnetError::InvalidChoice {
            name: "size",
            message: format!("[{nx}, {ny}] is too large (more than 4e8 cells)"),
        });
    }
    Ok(())
}

fn check_spacing(a: f64) -> Result<(), NanomagnetError> {
    if !(a.is_finite() && a > 0.0) {
        return Err(NanomagnetError::param(
            "lattice_spacing",
            "must be positive and finite",
            a,
        ));
    }
    Ok(())
}

impl Layout {
    /// Square ice with closed (symmetric) edges, flatspin `SquareSpinIceClosed(size=(nx, ny))`.
    ///
    /// `2·ny + 1` rows, `a/2` apart, bottom to top; even rows hold `nx` horizontal magnets
    /// (θ = 0) starting at x = a/2, odd rows `nx + 1` vertical magnets (θ = π/2) starting at
    /// x = 0. Count `(ny + 1)·nx + ny·(nx + 1)`.
    ///
    /// # Errors
    ///
    /// `size` entries of 0, or a non-positive `lattice_spacing`.
    pub fn square_closed(nx: usize, ny: usize, a: f64) -> Result<Self, NanomagnetError> {
        check_size(nx, ny)?;
        check_spacing(a)?;
        let (pos, ang) = square_closed_raw(nx, ny, a);
        Ok(Self::from_parts(GeometryKind::SquareClosed, pos, ang, a))
    }

    /// Square ice with open edges, flatspin `SquareSpinIceOpen(size=(nx, ny))`: `nx·ny`
    /// magnets on the integer grid, index `row·nx + col` at `(col·a, row·a)`, angle π/4, or
    /// 3π/4 where `row + col` is odd.
    ///
    /// # Errors
    ///
    /// As [`Layout::square_closed`].
    pub fn square_open(nx: usize, ny: usize, a: f64) -> Result<Self, NanomagnetError> {
        check_size(nx, ny)?;
        check_spacing(a)?;
        let n = nx * ny;
        let mut pos = Array2::zeros((n, 2));
        let mut ang = Array1::zeros(n);
        for row in 0..ny {
            for col in 0..nx {
                let i = row * nx + col;
                pos[[i, 0]] = a * col as f64;
                pos[[i, 1]] = a * row as f64;
                let mut t = FRAC_PI_4;
                if (row % 2 == 0 && col % 2 == 1) || (row % 2 == 1 && col % 2 == 0) {
                    t += FRAC_PI_2;
                }
                ang[i] = t;
            }
        }
        Ok(Self::from_parts(GeometryKind::SquareOpen, pos, ang, a))
    }

    /// Pinwheel ice, flatspin `PinwheelSpinIceDiamond(size=(nx, ny), spin_angle=45)`: the
    /// closed square lattice with every magnet rotated by `-spin_angle` degrees.
    ///
    /// # Errors
    ///
    /// As [`Layout::square_closed`], or a non-finite `spin_angle`.
    pub fn pinwheel_diamond(
        nx: usize,
        ny: usize,
        a: f64,
        spin_angle_deg: f64,
    ) -> Result<Self, NanomagnetError> {
        check_size(nx, ny)?;
        check_spacing(a)?;
        if !spin_angle_deg.is_finite() {
            return Err(NanomagnetError::param(
                "spin_angle",
                "must be finite",
                spin_angle_deg,
            ));
        }
        let (pos, mut ang) = square_closed_raw(nx, ny, a);
        let rot = spin_angle_deg.to_radians();
        ang.mapv_inplace(|t| t - rot);
        Ok(Self::from_parts(GeometryKind::PinwheelDiamond, pos, ang, a))
    }

    /// Pinwheel ice with angle disorder, flatspin `PinwheelSpinIceRandom`: the diamond
    /// pinwheel with every angle perturbed by a Gaussian of standard deviation
    /// `spin_angle_disorder` degrees.
    ///
    /// The perturbations come from `ChaCha8Rng::seed_from_u64(seed)` on stream 1 (flatspin
    /// draws them from NumPy's generator, so individual angles differ from flatspin's while the
    /// distribution is the same).
    ///
    /// # Errors
    ///
    /// As [`Layout::pinwheel_diamond`], or a negative or non-finite `spin_angle_disorder`.
    pub fn pinwheel_random(
        nx: usize,
        ny: usize,
        a: f64,
        spin_angle_deg: f64,
        spin_angle_disorder_deg: f64,
        seed: u64,
    ) -> Result<Self, NanomagnetError> {
        let mut l = Self::pinwheel_diamond(nx, ny, a, spin_angle_deg)?;
        if !(spin_angle_disorder_deg.is_finite() && spin_angle_disorder_deg >= 0.0) {
            return Err(NanomagnetError::param(
                "spin_angle_disorder",
                "must be non-negative and finite",
                spin_angle_disorder_deg,
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        let normal = Normal::new(0.0, spin_angle_disorder_deg).map_err(|_| {
            NanomagnetError::param(
                "spin_angle_disorder",
                "must be non-negative and finite",
                spin_angle_disorder_deg,
            )
        })?;
        for t in l.angles.iter_mut() {
            let d: f64 = normal.sample(&mut rng);
            *t += d.to_radians();
        }
        l.kind = GeometryKind::PinwheelRandom;
        Ok(l)
    }

    /// Kagome ice, flatspin `KagomeSpinIce(size=(nx, ny))`: `2·ny + 1` rows `a·√3/2` apart;
    /// even rows hold ±30° magnets `a` apart (one fewer in the first and last row), odd rows
    /// vertical magnets `2a` apart. Count `4·nx + (2·nx + 1)(ny − 1) + (nx + 1)·ny`.
    ///
    /// # Errors
    ///
    /// As [`Layout::square_closed`].
    pub fn kagome(nx: usize, ny: usize, a: f64) -> Result<Self, NanomagnetError> {
        check_size(nx, ny)?;
        check_spacing(a)?;
        let n = 2 * nx * 2 + (2 * nx + 1) * (ny - 1) + (nx + 1) * ny;
        let mut pos = Array2::zeros((n, 2));
        let mut ang = Array1::zeros(n);
        let n_rows = 2 * ny + 1;
        let last_row = n_rows - 1;
        let dy = a * 3f64.sqrt() / 2.0;
        let thirty = 30f64.to_radians();
        let ninety = 90f64.to_radians();
        let mut y = 0.0;
        let mut i = 0;
        for row in 0..n_rows {
            if row % 2 == 0 {
                let mut n_cols = 2 * nx + 1;
                if row == 0 || row == last_row {
                    n_cols -= 1;
                }
                let mut x = a / 2.0;
                let mut col0 = 0;
                if ny % 2 == 0 && row == last_row {
                    x += a;
                    col0 += 1;
                }
                for col in col0..col0 + n_cols {
                    pos[[i, 0]] = x;
                    pos[[i, 1]] = y;
                    let mut t = thirty;
                    if (row % 4 == 0 && col % 2 == 0) || (row % 4 == 2 && col % 2 == 1) {
                        t = -t;
                    }
                    ang[i] = t;
                    x += a;
                    i += 1;
                }
            } else {
                let mut x = 0.0;
                if row % 4 == 3 {
                    x += a;
                }
                for _ in 0..nx + 1 {
                    pos[[i, 0]] = x;
                    pos[[i, 1]] = y;
                    ang[i] = ninety;
                    x += 2.0 * a;
                    i += 1;
                }
            }
            y += dy;
        }
        debug_assert_eq!(i, n);
        Ok(Self::from_parts(GeometryKind::Kagome, pos, ang, a))
    }

    /// User-defined magnets, flatspin `CustomSpinIce(magnet_coords=…, magnet_angles=…,
    /// radians=True)`: `coords` (N×2, lattice units) are multiplied by `lattice_spacing`;
    /// `angles` are in radians.
    ///
    /// # Errors
    ///
    /// Mismatched or empty shapes, non-finite values, or two magnets at the same position.
    pub fn custom(
        coords: ArrayView2<'_, f64>,
        angles: ArrayView1<'_, f64>,
        a: f64,
    ) -> Result<Self, NanomagnetError> {
        check_spacing(a)?;
        let n = angles.len();
        if n == 0 {
            return Err(NanomagnetError::shape("angles", &[1], &[0]));
        }
        if coords.dim() != (n, 2) {
            return Err(NanomagnetError::shape(
                "positions",
                &[n, 2],
                &[coords.nrows(), coords.ncols()],
            ));
        }
        check_finite("positions", coords.iter().copied())?;
        check_finite("angles", angles.iter().copied())?;
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&p, &q| {
            (coords[[p, 0]], coords[[p, 1]])
                .partial_cmp(&(coords[[q, 0]], coords[[q, 1]]))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        for w in order.windows(2) {
            let (p, q) = (w[0].min(w[1]), w[0].max(w[1]));
            if coords[[p, 0]] == coords[[q, 0]] && coords[[p, 1]] == coords[[q, 1]] {
                return Err(NanomagnetError::CoincidentMagnets {
                    first: p,
                    second: q,
                    x: coords[[p, 0]],
                    y: coords[[p, 1]],
                });
            }
        }
        let pos = coords.mapv(|v| v * a);
        Ok(Self::from_parts(
            GeometryKind::Custom,
            pos,
            angles.to_owned(),
            a,
        ))
    }

    fn from_parts(kind: GeometryKind, positions: Array2<f64>, angles: Array1<f64>, a: f64) -> Self {
        Layout {
            kind,
            positions,
            angles,
            lattice_spacing: a,
        }
    }

    /// Which geometry this is.
    pub fn kind(&self) -> GeometryKind {
        self.kind
    }

    /// Number of magnets.
    pub fn len(&self) -> usize {
        self.angles.len()
    }

    /// Always false: every constructor rejects empty arrays.
    pub fn is_empty(&self) -> bool {
        self.angles.is_empty()
    }

    /// Magnet centres, N×2 (flatspin `model.pos`).
    pub fn positions(&self) -> ArrayView2<'_, f64> {
        self.positions.view()
    }

    /// Magnet angles in radians, N (flatspin `model.angle`).
    pub fn angles(&self) -> ArrayView1<'_, f64> {
        self.angles.view()
    }

    /// The lattice spacing the positions were scaled by; the neighbour cutoff is
    /// `lattice_spacing · neighbor_distance`.
    pub fn lattice_spacing(&self) -> f64 {
        self.lattice_spacing
    }
}

fn square_closed_raw(nx: usize, ny: usize, a: f64) -> (Array2<f64>, Array1<f64>) {
    let n = (ny + 1) * nx + ny * (nx + 1);
    let mut pos = Array2::zeros((n, 2));
    let mut ang = Array1::zeros(n);
    let mut y = 0.0;
    let mut i = 0;
    for row in 0..2 * ny + 1 {
        let vertical = row % 2 == 1;
        let mut x = 0.0;
        let ncols = if vertical { nx + 1 } else { nx };
        if !vertical {
            x += a / 2.0;
        }
        for _ in 0..ncols {
            if vertical {
                ang[i] = PI / 2.0;
            }
            pos[[i, 0]] = x;
            pos[[i, 1]] = y;
            x += a;
            i += 1;
        }
        y += a / 2.0;
    }
    debug_assert_eq!(i, n);
    (pos, ang)
}

pub(crate) fn check_finite(
    what: &str,
    values: impl Iterator<Item = f64>,
) -> Result<(), NanomagnetError> {
    for (index, value) in values.enumerate() {
        if !value.is_finite() {
            return Err(NanomagnetError::NonFinite {
                what: what.to_owned(),
                index,
                value,
            });
        }
    }
    Ok(())
}

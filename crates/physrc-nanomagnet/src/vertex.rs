//! Vertex-type populations of square artificial spin ice.
//!
//! Where four bars of square ice meet, their moments point into or out of the vertex. The
//! sixteen configurations fall into four energy classes (Wang et al., "Artificial 'spin ice' in
//! a geometrically frustrated lattice of nanoscale ferromagnetic islands", Nature 439, 303
//! (2006); Morgan et al., "Thermal ground-state ordering and elementary excitations in
//! artificial magnetic square ice", Nat. Phys. 7, 75 (2011)):
//!
//! | type | in/out | count | net moment |
//! |------|--------|-------|------------|
//! | I    | two-in/two-out, the two in-bars opposite | 2 | zero (ground state) |
//! | II   | two-in/two-out, the two in-bars at right angles | 4 | non-zero |
//! | III  | three-in/one-out or one-in/three-out | 8 | non-zero (a monopole) |
//! | IV   | all-in or all-out | 2 | zero |
//!
//! Only vertices where four bars meet are classified. Edge vertices of the finite array, where
//! two or three bars meet, have no such classification and are excluded.
//!
//! "In" is decided geometrically from flatspin's positions and angles: bar `i` at `p_i` with
//! moment `s_i·(cos θ_i, sin θ_i)` points into the vertex at `v` when
//! `s_i·(cos θ_i, sin θ_i)·(v − p_i) > 0`. A bar in the vortex state (spin 0, spin-vortex ice)
//! points neither way; a vertex touching one is counted in no type.

use crate::error::NanomagnetError;
use crate::geometry::{GeometryKind, Layout};

/// One of the four vertex types of square ice (table in [`SquareVertices`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VertexType {
    /// Two-in/two-out with the in-bars opposite: zero net moment, the ground state.
    I,
    /// Two-in/two-out with the in-bars at right angles: a net moment (the polarised state).
    II,
    /// Three-in/one-out or one-in/three-out.
    III,
    /// All-in or all-out.
    IV,
}

impl VertexType {
    /// Position of this type in a population vector: I → 0, …, IV → 3.
    pub fn index(self) -> usize {
        match self {
            VertexType::I => 0,
            VertexType::II => 1,
            VertexType::III => 2,
            VertexType::IV => 3,
        }
    }
}

/// The four-bar vertices of a square-ice array, found once from its lattice, and their types.
///
/// The sixteen in/out configurations of four bars fall into four energy classes (Wang et al.,
/// Nature 439, 303 (2006); Morgan et al., Nat. Phys. 7, 75 (2011)):
///
/// | type | in/out | configurations | net moment |
/// |------|--------|----------------|------------|
/// | I    | two-in/two-out, in-bars opposite | 2 | zero (ground state) |
/// | II   | two-in/two-out, in-bars at right angles | 4 | non-zero (polarised state) |
/// | III  | three-in/one-out or one-in/three-out | 8 | non-zero |
/// | IV   | all-in or all-out | 2 | zero |
///
/// Bar `i` at `p_i` points into the vertex at `v` when `s_i·(cos θ_i, sin θ_i)·(v − p_i) > 0`,
/// from flatspin's positions and angles. Edge vertices, where two or three bars meet, are
/// excluded: they have no type in this classification. A bar in the vortex state (spin 0)
/// points neither way; a vertex touching one counts in no type.
///
/// For `square-closed` (`size = [nx, ny]`) the vertices are the lattice points `(c·a, r·a)`
/// with `1 ≤ c ≤ nx − 1`, `1 ≤ r ≤ ny − 1`: `(nx − 1)(ny − 1)` of them. For `square-open`
/// (bars on the integer grid at ±45°) they are the plaquette centres `((c + ½)a, (r + ½)a)`
/// with `c + r` even, where the four surrounding bars all point at the centre; the centres
/// with `c + r` odd are the lattice's empty squares. In both, the bars are the four whose
/// centres lie `a/2` (closed) or `a/√2` (open) from the vertex along their own axes, which
/// [`SquareVertices::new`] checks from the positions and angles.
#[derive(Debug, Clone, PartialEq)]
pub struct SquareVertices {
    centres: Vec<[f64; 2]>,
    bars: Vec<[usize; 4]>,
    /// `+1` when a positive spin points into the vertex, `−1` when it points out.
    toward: Vec<[i8; 4]>,
    /// Magnets in the array, so spin vectors can be checked.
    n_magnets: usize,
}

impl SquareVertices {
    /// Finds the four-bar vertices of `layout`.
    ///
    /// # Errors
    ///
    /// [`NanomagnetError::InvalidChoice`] naming `readout` when the geometry is not
    /// `square-closed` or `square-open`, or when the array is too small to have a vertex where
    /// four bars meet (closed needs `size ≥ [2, 2]`, open `size ≥ [2, 2]`).
    pub fn new(layout: &Layout) -> Result<Self, NanomagnetError> {
        let a = layout.lattice_spacing();
        let pos = layout.positions();
        let n = layout.len();
        let (centres, bars) = match layout.kind() {
            GeometryKind::SquareClosed => {
                // Index order of flatspin's SquareSpinIceClosed: rows of nx horizontal bars
                // (even rows) and nx + 1 vertical bars (odd rows), bottom to top.
                let nx = count_row(&pos);
                let ny = (n - nx) / (2 * nx + 1);
                let per = 2 * nx + 1;
                let mut centres = Vec::new();
                let mut bars = Vec::new();
                for r in 1..ny {
                    for c in 1..nx {
                        let h = r * per; // first horizontal bar of row r
                        let left = h + c - 1;
                        let right = h + c;
                        let below = (r - 1) * per + nx + c;
                        let above = r * per + nx + c;
                        centres.push([pos[[below, 0]], pos[[left, 1]]]);
                        bars.push([left, right, below, above]);
                    }
                }
                (centres, bars)
            }
            GeometryKind::SquareOpen => {
                let nx = count_row(&pos);
                let ny = n / nx;
                let mut centres = Vec::new();
                let mut bars = Vec::new();
                for r in 0..ny.saturating_sub(1) {
                    for c in 0..nx.saturating_sub(1) {
                        if (r + c) % 2 != 0 {
                            continue;
                        }
                        let ll = r * nx + c;
                        let ur = ll + nx + 1;
                        centres.push([
                            (pos[[ll, 0]] + pos[[ur, 0]]) / 2.0,
                            (pos[[ll, 1]] + pos[[ur, 1]]) / 2.0,
                        ]);
                        bars.push([ll, ur, ll + 1, ll + nx]);
                    }
                }
                (centres, bars)
            }
            other => {
                return Err(NanomagnetError::InvalidChoice {
                    name: "readout",
                    message: format!(
                        "\"vertex-types\" needs geometry \"square-closed\" or \"square-open\", \
                         got {:?}",
                        other.name()
                    ),
                });
            }
        };
        if bars.is_empty() {
            return Err(NanomagnetError::InvalidChoice {
                name: "readout",
                message: "\"vertex-types\" needs a vertex where four bars meet; \
                          use size of at least [2, 2]"
                    .into(),
            });
        }
        let ang = layout.angles();
        let reach = if layout.kind() == GeometryKind::SquareClosed {
            a / 2.0
        } else {
            a * std::f64::consts::FRAC_1_SQRT_2
        };
        let mut toward = Vec::with_capacity(bars.len());
        for (v, b) in centres.iter().zip(&bars) {
            let mut t = [0i8; 4];
            for (k, &i) in b.iter().enumerate() {
                let d = [v[0] - pos[[i, 0]], v[1] - pos[[i, 1]]];
                let (c, s) = (ang[i].cos(), ang[i].sin());
                let along = c * d[0] + s * d[1];
                let across = c * d[1] - s * d[0];
                // The lattice places every bar on the axis through its vertex; rotated or
                // disordered bar angles (`spin_angle`, `spin_angle_disorder`) break that, and
                // the vertex types would then be counted from the wrong ends.
                if (along.abs() - reach).abs() >= 1e-6 * a || across.abs() >= 1e-6 * a {
                    return Err(NanomagnetError::InvalidChoice {
                        name: "readout",
                        message: format!(
                            "\"vertex-types\" needs every bar pointing at its vertex, but magnet \
                             {i} is rotated off it (spin_angle or spin_angle_disorder); use the \
                             lattice's own angles"
                        ),
                    });
                }
                t[k] = if along > 0.0 { 1 } else { -1 };
            }
            toward.push(t);
        }
        Ok(SquareVertices {
            centres,
            bars,
            toward,
            n_magnets: n,
        })
    }

    /// Number of four-bar vertices.
    pub fn len(&self) -> usize {
        self.bars.len()
    }

    /// Always false: [`SquareVertices::new`] rejects arrays without a vertex.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }

    /// Vertex positions (same units as the magnet positions).
    pub fn centres(&self) -> &[[f64; 2]] {
        &self.centres
    }

    /// The four bars (magnet indices) of each vertex, in the order left, right, below, above
    /// for `square-closed` and lower-left, upper-right, lower-right, upper-left for
    /// `square-open`: consecutive pairs `(0, 1)` and `(2, 3)` are opposite each other.
    pub fn bars(&self) -> &[[usize; 4]] {
        &self.bars
    }

    /// The type of vertex `k` for `spins` (±1, or 0 for a vortex bar); `None` when one of its
    /// bars holds a vortex.
    ///
    /// # Errors
    ///
    /// [`NanomagnetError::InvalidParameter`] naming `vertex` when `k` is not below
    /// [`len`](SquareVertices::len); [`NanomagnetError::Shape`] when `spins` does not have one
    /// entry per magnet of the array the vertices were built for.
    pub fn classify(&self, k: usize, spins: &[i8]) -> Result<Option<VertexType>, NanomagnetError> {
        if k >= self.len() {
            return Err(NanomagnetError::InvalidParameter {
                name: "vertex",
                requirement: "must be below the number of vertices",
                value: k as f64,
            });
        }
        self.check_spins(spins)?;
        Ok(self.classify_unchecked(k, spins))
    }

    fn check_spins(&self, spins: &[i8]) -> Result<(), NanomagnetError> {
        if spins.len() == self.n_magnets {
            Ok(())
        } else {
            Err(NanomagnetError::Shape {
                what: "spins".into(),
                expected: format!("({},)", self.n_magnets),
                got: format!("({},)", spins.len()),
            })
        }
    }

    /// [`classify`](SquareVertices::classify) for an index and spins known to fit.
    fn classify_unchecked(&self, k: usize, spins: &[i8]) -> Option<VertexType> {
        let b = &self.bars[k];
        let t = &self.toward[k];
        let mut inward = [false; 4];
        for j in 0..4 {
            let s = spins[b[j]];
            if s == 0 {
                return None;
            }
            inward[j] = s * t[j] > 0;
        }
        let n_in = inward.iter().filter(|&&x| x).count();
        Some(match n_in {
            0 | 4 => VertexType::IV,
            1 | 3 => VertexType::III,
            // Bars 0/1 and 2/3 are opposite: two-in with both in one pair has no net moment.
            _ if inward[0] == inward[1] => VertexType::I,
            _ => VertexType::II,
        })
    }

    /// Fractions of the vertices of each type, `[I, II, III, IV]`, into `out` (length 4).
    /// Vertices touching a vortex bar count in none, so the fractions then sum to less than 1.
    ///
    /// # Errors
    ///
    /// [`NanomagnetError::Shape`] when `spins` does not have one entry per magnet or `out` is
    /// not of length 4.
    pub fn populations_into(&self, spins: &[i8], out: &mut [f64]) -> Result<(), NanomagnetError> {
        self.check_spins(spins)?;
        if out.len() != 4 {
            return Err(NanomagnetError::Shape {
                what: "vertex populations".into(),
                expected: "(4,)".into(),
                got: format!("({},)", out.len()),
            });
        }
        self.populations_of(0..self.len(), spins, out);
        Ok(())
    }

    /// As [`SquareVertices::populations_into`], over the vertices `ks` only.
    fn populations_of(
        &self,
        ks: impl ExactSizeIterator<Item = usize>,
        spins: &[i8],
        out: &mut [f64],
    ) {
        let n = ks.len() as f64;
        let mut counts = [0usize; 4];
        for k in ks {
            if let Some(t) = self.classify_unchecked(k, spins) {
                counts[t.index()] += 1;
            }
        }
        for (o, c) in out.iter_mut().zip(counts) {
            *o = c as f64 / n;
        }
    }

    /// Fractions `[I, II, III, IV]` of the vertices listed in `members`, into `out`.
    pub(crate) fn window_populations(&self, members: &[usize], spins: &[i8], out: &mut [f64]) {
        self.populations_of(members.iter().copied(), spins, out);
    }

    /// Vertices grouped into square windows of side `w` tiling their bounding box, row-major
    /// from the lower left; empty windows are dropped.
    pub(crate) fn windows(&self, w: f64) -> Vec<Vec<usize>> {
        crate::reservoir::tile(&self.centres, w)
    }
}

/// Number of magnets in the first row (equal y to magnet 0).
fn count_row(pos: &ndarray::ArrayView2<'_, f64>) -> usize {
    let y0 = pos[[0, 1]];
    (0..pos.nrows()).take_while(|&i| pos[[i, 1]] == y0).count()
}

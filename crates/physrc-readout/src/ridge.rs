//! Ridge regression: unfitted parameters, the solver choice, the streaming accumulator, and the
//! fitted readout.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2};

use faer::{MatMut, MatRef};

use crate::error::ReadoutError;
use crate::linalg::{
    Moments, affine_predict_into, check_finite, column_means, copy_shifted_colmajor, pack_fit,
    solve_ridge_svd,
};

/// How [`Ridge`] solves for its weights.
///
/// Both solvers minimise the same objective and agree to rounding on well-conditioned data;
/// they differ in which small directions of the states survive.
///
/// [`Solver::Cholesky`] (the default) works on the normal equations: it needs only the
/// centred `XᵀX` and `XᵀY`, so it streams ([`RidgeAccumulator`]) in `O(n²)` memory. But
/// forming `XᵀX` squares the singular values of the states: a direction whose singular value
/// is `1e-7` of the largest becomes an eigenvalue `1e-14` of the largest. Near or below
/// `n · ε · λ_max` (about `1e-13` for a few hundred features) the Cholesky solve either gives
/// way to the eigendecomposition fallback, which drops the direction as numerical noise, or
/// keeps it with a relative error of about `cond(XᵀX) · ε`: with six such directions among 200
/// features (`tests/svd.rs`) the normal equations missed the true weights by `1e-2` (training
/// NRMSE `1e-3`), the SVD by `6e-10` (NRMSE `6e-9`).
///
/// [`Solver::Svd`] solves the least-squares problem on the centred `X` itself through its
/// thin SVD, `W = V · diag(sᵢ / (sᵢ² + α)) · Uᵀ · Yc`, and drops only singular values below
/// `max(T, n) · ε · s_max` (`T` rows, `n` features) — the default cut of
/// `numpy.linalg.lstsq`. The tiny direction above is kept.
///
/// Choose `Svd` for physical reservoirs whose informative directions carry tiny variance: a
/// delay oscillator read out at its virtual nodes, where consecutive nodes are nearly
/// collinear and the task lives in their small differences. On such a reservoir the SVD
/// readout reached NARMA10 NRMSE 0.19 where the normal equations gave 0.43. The cost is
/// `O(T·n²)` like the Gram product, with a larger constant (a QR of the `T × n` states plus a
/// bidiagonal SVD), and it needs all rows in memory at once (the centred states, `U` and the
/// factorisation's workspace, a few copies of `X`), so it does not stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Solver {
    /// Normal equations `(XcᵀXc + αI) W = XcᵀYc` by Cholesky, with an eigendecomposition
    /// pseudo-inverse fallback for singular systems. Streamable. The default.
    #[default]
    Cholesky,
    /// Thin SVD of the centred features: keeps directions down to `max(T, n) · ε` of the
    /// largest singular value instead of `√(n · ε)`. Needs all rows at once ([`Ridge::fit`]).
    Svd,
}

/// The error an SVD ridge gives when asked to stream.
fn svd_cannot_stream() -> ReadoutError {
    ReadoutError::param(
        "solver",
        "the svd solver needs all rows at once; use fit(), or solver cholesky to stream",
    )
}

/// Ridge regression parameters (unfitted): the penalty `alpha` and whether to fit an intercept.
///
/// Fitting minimises `‖Y − 1bᵀ − XW‖² + α‖W‖²` over the weights `W` (features × outputs) and
/// the intercept `b`, which is not penalised. The penalty applies to the *summed* squared error,
/// as in scikit-learn and reservoirpy, so the same `alpha` regularises less as the number of
/// samples grows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ridge {
    alpha: f64,
    intercept: bool,
    solver: Solver,
}

impl Ridge {
    /// Ridge with penalty `alpha` and an intercept.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::InvalidAlpha`] unless `alpha` is finite and `>= 0`. `alpha = 0` is
    /// ordinary least squares; a singular system then falls back to the minimum-norm solution.
    pub fn new(alpha: f64) -> Result<Ridge, ReadoutError> {
        check_alpha(alpha)?;
        Ok(Ridge {
            alpha,
            intercept: true,
            solver: Solver::Cholesky,
        })
    }

    /// Whether to fit an unpenalised intercept (default `true`). Without one, the data are not
    /// centred and the fit goes through the origin.
    #[must_use]
    pub fn with_intercept(mut self, intercept: bool) -> Ridge {
        self.intercept = intercept;
        self
    }

    /// The solver (default [`Solver::Cholesky`]). See [`Solver`] for when to choose
    /// [`Solver::Svd`]: it keeps informative directions of tiny variance that the normal
    /// equations lose, but needs all rows at once, so [`Ridge::accumulator`] cannot stream with it.
    #[must_use]
    pub fn with_solver(mut self, solver: Solver) -> Ridge {
        self.solver = solver;
        self
    }

    /// The solver.
    pub fn solver(&self) -> Solver {
        self.solver
    }

    /// The penalty.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Whether an intercept is fitted.
    pub fn fits_intercept(&self) -> bool {
        self.intercept
    }

    /// Fits on all rows of `x` (samples × features) and `y` (samples × outputs) at once.
    ///
    /// With [`Solver::Cholesky`] the data are shifted by their exact column means in blocks of
    /// rows, so only one block is ever copied; the result matches a fit on explicitly centred
    /// data. With [`Solver::Svd`] the whole centred `X` (and `Y`) is copied once and factorised;
    /// see [`Solver`].
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] if the row counts differ,
    /// [`ReadoutError::NonFinite`] for NaN or infinite data,
    /// [`ReadoutError::NoSamples`] for zero rows,
    /// [`ReadoutError::Diverged`] if the system cannot be solved even by the fallback (or the
    /// SVD does not converge, or the data overflow).
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
    ) -> Result<FittedRidge, ReadoutError> {
        if self.solver == Solver::Svd {
            return self.fit_svd(x, y);
        }
        let moments = self.moments(x, y)?;
        let (weights, intercept) = moments.centred("ridge")?.solve(self.alpha)?;
        Ok(FittedRidge { weights, intercept })
    }

    /// The [`Solver::Svd`] fit: centre by the exact column means, factorise, add the intercept.
    fn fit_svd(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
    ) -> Result<FittedRidge, ReadoutError> {
        let (t, nf, nq) = (x.nrows(), x.ncols(), y.ncols());
        // Same validation, in the same order, as the streamed route, so errors are identical.
        Moments::new(nf, nq, self.intercept).validate(x, y)?;
        if t == 0 {
            return Err(ReadoutError::NoSamples { what: "ridge" });
        }
        let (mean_x, mean_y) = if self.intercept {
            (column_means(x), column_means(y))
        } else {
            (vec![0.0; nf], vec![0.0; nq])
        };
        let mut bx = vec![0.0; t * nf];
        let mut by = vec![0.0; t * nq];
        copy_shifted_colmajor(x, &mean_x, &mut bx);
        copy_shifted_colmajor(y, &mean_y, &mut by);
        let xc = MatMut::from_column_major_slice_mut(&mut bx, t, nf);
        let yc = MatRef::from_column_major_slice(&by, t, nq);
        let w = solve_ridge_svd(xc, yc, self.alpha)?;
        let (weights, intercept) = pack_fit(&mean_x, &mean_y, w.as_ref());
        Ok(FittedRidge { weights, intercept })
    }

    /// Validated one-shot sufficient statistics, shifted by the exact means.
    pub(crate) fn moments(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
    ) -> Result<Moments, ReadoutError> {
        let mut m = Moments::new(x.ncols(), y.ncols(), self.intercept);
        m.validate(x, y)?;
        if x.nrows() == 0 {
            return Err(ReadoutError::NoSamples { what: "ridge" });
        }
        m = m.with_shift(column_means(x), column_means(y));
        m.update_unchecked(x, y);
        Ok(m)
    }

    /// A streaming accumulator for data arriving in chunks (or as several sequences).
    ///
    /// Streaming needs the normal equations: with [`Solver::Svd`] the accumulator's
    /// [`update`](RidgeAccumulator::update) and [`finish`](RidgeAccumulator::finish) return
    /// [`ReadoutError::InvalidParameter`] naming `solver` (at the first chunk, before any data
    /// are summed for nothing).
    pub fn accumulator(&self, n_features: usize, n_outputs: usize) -> RidgeAccumulator {
        RidgeAccumulator {
            ridge: *self,
            moments: Moments::new(n_features, n_outputs, self.intercept),
        }
    }
}

pub(crate) fn check_alpha(alpha: f64) -> Result<(), ReadoutError> {
    if alpha.is_finite() && alpha >= 0.0 {
        Ok(())
    } else {
        Err(ReadoutError::InvalidAlpha(alpha))
    }
}

/// Accumulates the sufficient statistics of a ridge fit chunk by chunk.
///
/// It keeps `n`, the column sums, the lower half of `XᵀX`, `XᵀY` and the diagonal of `YᵀY`,
/// all around a shift (the first chunk's column means), so memory is
/// `O(n_features² + n_features·n_outputs)` however long the data. Chunks can be consecutive
/// pieces of one series or separate sequences (e.g. one per trial after washout): the fit is the
/// same as on their concatenation.
#[derive(Debug, Clone)]
pub struct RidgeAccumulator {
    ridge: Ridge,
    moments: Moments,
}

impl RidgeAccumulator {
    /// Adds a chunk of rows.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] if `x` or `y` has the wrong number of columns or their
    /// row counts differ; [`ReadoutError::NonFinite`] for NaN or infinite data;
    /// [`ReadoutError::InvalidParameter`] if the ridge uses [`Solver::Svd`], which cannot
    /// stream. A rejected chunk leaves the accumulator unchanged.
    pub fn update(
        &mut self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
    ) -> Result<(), ReadoutError> {
        if self.ridge.solver == Solver::Svd {
            return Err(svd_cannot_stream());
        }
        self.moments.update(x, y)
    }

    /// An empty accumulator for the same ridge, features and outputs: a second lane that
    /// takes a disjoint share of the chunks, to be [`merge`](Self::merge)d back.
    pub fn lane(&self) -> RidgeAccumulator {
        self.ridge
            .accumulator(self.moments.n_features, self.moments.n_outputs)
    }

    /// Adds the rows another accumulator of the same ridge has taken, as if they had been
    /// given to this one after its own.
    ///
    /// Each accumulator centres about its first chunk's mean; the other's sums are moved to
    /// this one's centre before they are added. With the lanes and the order of merging fixed,
    /// the result does not depend on which thread ran which lane or when.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] if the two differ in features or outputs.
    pub fn merge(&mut self, other: &RidgeAccumulator) -> Result<(), ReadoutError> {
        let shape = |m: &Moments| vec![m.n_features, m.n_outputs];
        if shape(&self.moments) != shape(&other.moments) {
            return Err(ReadoutError::ShapeMismatch {
                left: "the accumulator",
                left_shape: shape(&self.moments),
                right: "the merged accumulator",
                right_shape: shape(&other.moments),
                rule: "accumulators merge only with the same features and outputs",
            });
        }
        self.moments.merge(&other.moments);
        Ok(())
    }

    /// Number of rows accumulated so far.
    pub fn n_samples(&self) -> usize {
        self.moments.n
    }

    /// Number of features per row.
    pub fn n_features(&self) -> usize {
        self.moments.n_features
    }

    /// Number of outputs per row.
    pub fn n_outputs(&self) -> usize {
        self.moments.n_outputs
    }

    /// The ridge parameters this accumulator fits with.
    pub fn ridge(&self) -> Ridge {
        self.ridge
    }

    /// Solves for the weights from what was accumulated. The accumulator stays usable, so more
    /// data can be added and the fit repeated.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::NoSamples`] if nothing was accumulated, [`ReadoutError::Diverged`] if the
    /// system cannot be solved even by the fallback, [`ReadoutError::InvalidParameter`] if the
    /// ridge uses [`Solver::Svd`], which cannot stream.
    pub fn finish(&self) -> Result<FittedRidge, ReadoutError> {
        if self.ridge.solver == Solver::Svd {
            return Err(svd_cannot_stream());
        }
        let (weights, intercept) = self.moments.centred("ridge")?.solve(self.ridge.alpha)?;
        Ok(FittedRidge { weights, intercept })
    }
}

/// A fitted linear readout: `ŷ = x·W + b`.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedRidge {
    weights: Array2<f64>,
    intercept: Array1<f64>,
}

impl FittedRidge {
    /// Wraps weights and intercept the crate computed itself (already finite and consistent).
    pub(crate) fn from_solved(weights: Array2<f64>, intercept: Array1<f64>) -> FittedRidge {
        FittedRidge { weights, intercept }
    }

    /// Builds a readout from known weights (features × outputs) and intercept (outputs), e.g.
    /// loaded from a file.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] if the intercept length is not the number of weight
    /// columns, [`ReadoutError::NonFinite`] for NaN or infinite values.
    pub fn from_parts(
        weights: Array2<f64>,
        intercept: Array1<f64>,
    ) -> Result<FittedRidge, ReadoutError> {
        if intercept.len() != weights.ncols() {
            return Err(ReadoutError::shape(
                "weights",
                weights.shape(),
                "intercept",
                intercept.shape(),
                "the intercept needs one value per weight column",
            ));
        }
        check_finite("weights", weights.view())?;
        check_finite("intercept", intercept.view().insert_axis(ndarray::Axis(0)))?;
        Ok(FittedRidge { weights, intercept })
    }

    /// The weights, features × outputs.
    pub fn weights(&self) -> ArrayView2<'_, f64> {
        self.weights.view()
    }

    /// The intercept, one per output.
    pub fn intercept(&self) -> ArrayView1<'_, f64> {
        self.intercept.view()
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.weights.nrows()
    }

    /// Number of outputs.
    pub fn n_outputs(&self) -> usize {
        self.weights.ncols()
    }

    /// Predicts one row per row of `x`.
    ///
    /// # Errors
    ///
    /// As [`FittedRidge::predict_into`].
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>, ReadoutError> {
        let mut out = Array2::zeros((x.nrows(), self.n_outputs()));
        self.predict_into(x, out.view_mut())?;
        Ok(out)
    }

    /// Predicts into `out` (samples × outputs) without allocating.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] if `x` does not have one column per feature or `out` is
    /// not `x.nrows() × n_outputs`; [`ReadoutError::NonFinite`] if `x` holds NaN or infinities
    /// (`out` is then left untouched).
    pub fn predict_into(
        &self,
        x: ArrayView2<'_, f64>,
        out: ArrayViewMut2<'_, f64>,
    ) -> Result<(), ReadoutError> {
        affine_predict_into(x, self.weights.view(), Some(self.intercept.view()), out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, s};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn data(t: usize, n: usize, q: usize, seed: u64) -> (Array2<f64>, Array2<f64>, Array2<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((t, n), |(_, j)| {
            3.0 + j as f64 * 0.1 + rng.random_range(-1.0..1.0)
        });
        let w = Array2::from_shape_fn((n, q), |_| rng.random_range(-1.0..1.0));
        let noise = Array2::from_shape_fn((t, q), |_| 0.01 * rng.random_range(-1.0..1.0));
        let y = x.dot(&w) + 5.0 + noise;
        (x, y, w)
    }

    /// Ridge on explicitly centred copies, by the normal equations solved with a plain
    /// Gauss–Jordan elimination in the test (a reference independent of faer).
    fn reference(x: &Array2<f64>, y: &Array2<f64>, alpha: f64) -> (Array2<f64>, Array1<f64>) {
        let xm = x.mean_axis(ndarray::Axis(0)).unwrap();
        let ym = y.mean_axis(ndarray::Axis(0)).unwrap();
        let xc = x - &xm;
        let yc = y - &ym;
        let n = x.ncols();
        let mut a = xc.t().dot(&xc) + Array2::<f64>::eye(n) * alpha;
        let mut b = xc.t().dot(&yc);
        for k in 0..n {
            let p = a[[k, k]];
            for j in 0..n {
                a[[k, j]] /= p;
            }
            for j in 0..b.ncols() {
                b[[k, j]] /= p;
            }
            for i in 0..n {
                if i != k {
                    let f = a[[i, k]];
                    for j in 0..n {
                        a[[i, j]] -= f * a[[k, j]];
                    }
                    for j in 0..b.ncols() {
                        b[[i, j]] -= f * b[[k, j]];
                    }
                }
            }
        }
        let intercept = &ym - &xm.dot(&b);
        (b, intercept)
    }

    fn max_rel(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> f64 {
        let scale = b.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        a.iter()
            .zip(b.iter())
            .fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()))
            / scale
    }

    #[test]
    fn matches_centred_reference_multi_output() {
        let (x, y, _) = data(300, 12, 3, 1);
        let fit = Ridge::new(0.5).unwrap().fit(x.view(), y.view()).unwrap();
        let (w, b) = reference(&x, &y, 0.5);
        assert!(max_rel(fit.weights(), w.view()) < 1e-10);
        let bi = b.insert_axis(ndarray::Axis(0));
        assert!(max_rel(fit.intercept().insert_axis(ndarray::Axis(0)), bi.view()) < 1e-10);
    }

    #[test]
    fn recovers_noiseless_weights_with_offset_data() {
        let (x, _, w) = data(500, 8, 2, 2);
        // Large common offset: naive XᵀX − n·x̄x̄ᵀ centring would lose digits here.
        let x = x + 1.0e4;
        let y = x.dot(&w) - 7.0;
        let fit = Ridge::new(0.0).unwrap().fit(x.view(), y.view()).unwrap();
        assert!(
            max_rel(fit.weights(), w.view()) < 1e-7,
            "{}",
            max_rel(fit.weights(), w.view())
        );
        let pred = fit.predict(x.view()).unwrap();
        assert!(max_rel(pred.view(), y.view()) < 1e-9);
    }

    #[test]
    fn streamed_matches_one_shot() {
        let (x, y, _) = data(5000, 40, 2, 3);
        let ridge = Ridge::new(1e-3).unwrap();
        let one = ridge.fit(x.view(), y.view()).unwrap();
        let mut acc = ridge.accumulator(40, 2);
        for (a, b) in [(0, 7), (7, 1000), (1000, 3333), (3333, 5000)] {
            acc.update(x.slice(s![a..b, ..]), y.slice(s![a..b, ..]))
                .unwrap();
        }
        assert_eq!(acc.n_samples(), 5000);
        let st = acc.finish().unwrap();
        let rel = max_rel(st.weights(), one.weights());
        assert!(rel < 1e-10, "weights differ by {rel:e}");
        let rel_b = (&st.intercept() - &one.intercept())
            .iter()
            .fold(0.0_f64, |m, v| m.max(v.abs()))
            / one.intercept().iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        assert!(rel_b < 1e-10, "intercepts differ by {rel_b:e}");
    }

    #[test]
    fn no_intercept_goes_through_origin() {
        let (x, _, w) = data(200, 5, 1, 4);
        let y = x.dot(&w);
        let fit = Ridge::new(0.0)
            .unwrap()
            .with_intercept(false)
            .fit(x.view(), y.view())
            .unwrap();
        assert_eq!(fit.intercept()[0], 0.0);
        assert!(max_rel(fit.weights(), w.view()) < 1e-9);
    }

    #[test]
    fn singular_system_falls_back_to_minimum_norm() {
        // Two identical columns and alpha = 0: XᵀX is singular. The minimum-norm solution
        // splits the weight equally between the duplicates.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let t = 100;
        let c: Vec<f64> = (0..t).map(|_| rng.random_range(-1.0..1.0)).collect();
        let x = Array2::from_shape_fn((t, 2), |(i, _)| c[i]);
        let y = Array2::from_shape_fn((t, 1), |(i, _)| 2.0 * c[i] + 1.0);
        let fit = Ridge::new(0.0).unwrap().fit(x.view(), y.view()).unwrap();
        assert!(
            (fit.weights()[[0, 0]] - 1.0).abs() < 1e-8,
            "{}",
            fit.weights()
        );
        assert!((fit.weights()[[1, 0]] - 1.0).abs() < 1e-8);
        assert!((fit.intercept()[0] - 1.0).abs() < 1e-8);
    }

    #[test]
    fn more_features_than_samples_is_fine() {
        let (x, y, _) = data(10, 30, 1, 6);
        let fit = Ridge::new(0.0).unwrap().fit(x.view(), y.view()).unwrap();
        // Interpolates: the minimum-norm solution fits the training data exactly.
        let pred = fit.predict(x.view()).unwrap();
        assert!(max_rel(pred.view(), y.view()) < 1e-8);
    }

    #[test]
    fn a_streamed_chunk_with_a_non_finite_value_is_refused_and_leaves_the_sums_unchanged() {
        use crate::linalg::GRAM_BLOCK;
        let r = Ridge::new(1e-3).unwrap();
        let (x, y, _) = data(3 * GRAM_BLOCK, 7, 2, 11);
        // The same chunks without the bad value: the shift comes from the first chunk, so the
        // bits depend on where the chunks start.
        let clean = |start: usize| {
            let mut acc = r.accumulator(7, 2);
            if start > 0 {
                acc.update(x.slice(s![..start, ..]), y.slice(s![..start, ..]))
                    .unwrap();
            }
            acc.update(x.slice(s![start.., ..]), y.slice(s![start.., ..]))
                .unwrap();
            acc.finish().unwrap()
        };
        // The bad value in the first chunk (which sets the centring shift), in a later chunk
        // of one block, and in the last block of a chunk of several blocks; NaN and both
        // infinities.
        for (rows, bad_row, col, value) in [
            (0..100, 37, 3, f64::NAN),
            (100..600, 599, 0, f64::INFINITY),
            (
                100..3 * GRAM_BLOCK,
                2 * GRAM_BLOCK + 5,
                6,
                f64::NEG_INFINITY,
            ),
        ] {
            let mut acc = r.accumulator(7, 2);
            if rows.start > 0 {
                acc.update(x.slice(s![..rows.start, ..]), y.slice(s![..rows.start, ..]))
                    .unwrap();
            }
            let mut bad = x.slice(s![rows.clone(), ..]).to_owned();
            bad[[bad_row - rows.start, col]] = value;
            let e = acc
                .update(bad.view(), y.slice(s![rows.clone(), ..]))
                .unwrap_err();
            match e {
                ReadoutError::NonFinite {
                    what: "x",
                    row: got_row,
                    col: got_col,
                    value: got,
                } => {
                    assert_eq!((got_row, got_col), (bad_row - rows.start, col));
                    assert!(got.is_nan() == value.is_nan());
                }
                other => panic!("expected a non-finite error, got {other:?}"),
            }
            assert_eq!(acc.n_samples(), rows.start);
            // The refused chunk left nothing behind: the rest gives the clean fit's bits.
            acc.update(x.slice(s![rows.start.., ..]), y.slice(s![rows.start.., ..]))
                .unwrap();
            let fit = acc.finish().unwrap();
            let clean = clean(rows.start);
            assert_eq!(fit.weights(), clean.weights());
            assert_eq!(fit.intercept(), clean.intercept());
        }
    }

    #[test]
    fn two_lanes_merged_fit_what_one_accumulator_fits() {
        // Offset features, so the lanes' centres (their first chunks' means) differ from each
        // other and from zero, and the merge has to move one to the other.
        let (mut x, y, _) = data(5_000, 9, 2, 21);
        for (j, mut col) in x.columns_mut().into_iter().enumerate() {
            col += 3.0 * j as f64;
        }
        let r = Ridge::new(1e-4).unwrap();
        let mut one = r.accumulator(9, 2);
        let mut lanes = [r.accumulator(9, 2), r.accumulator(9, 2)];
        for (k, start) in (0..5_000).step_by(700).enumerate() {
            let rows = start..(start + 700).min(5_000);
            let (xs, ys) = (x.slice(s![rows.clone(), ..]), y.slice(s![rows, ..]));
            one.update(xs, ys).unwrap();
            lanes[k % 2].update(xs, ys).unwrap();
        }
        let [mut a, b] = lanes;
        a.merge(&b).unwrap();
        assert_eq!(a.n_samples(), 5_000);
        let (merged, single) = (a.finish().unwrap(), one.finish().unwrap());
        assert!(max_rel(merged.weights(), single.weights()) < 1e-10);
        assert!(
            max_rel(
                merged.intercept().view().insert_axis(ndarray::Axis(1)),
                single.intercept().view().insert_axis(ndarray::Axis(1))
            ) < 1e-10
        );
        // An empty lane changes nothing; merging into an empty one takes the other's sums.
        let mut c = one.lane();
        c.merge(&one).unwrap();
        c.merge(&one.lane()).unwrap();
        assert_eq!(c.finish().unwrap(), one.finish().unwrap());
        // Lanes of different shapes do not merge.
        let e = c.merge(&r.accumulator(8, 2)).unwrap_err();
        assert_eq!(
            physrc_core::HasErrorKind::kind(&e),
            physrc_core::ErrorKind::DimensionMismatch
        );
    }

    #[test]
    fn rejects_bad_input() {
        use physrc_core::{ErrorKind, HasErrorKind};
        assert_eq!(
            Ridge::new(-1.0).unwrap_err(),
            ReadoutError::InvalidAlpha(-1.0)
        );
        assert!(Ridge::new(f64::NAN).is_err());
        assert!(Ridge::new(f64::INFINITY).is_err());
        let r = Ridge::new(1.0).unwrap();
        let x = Array2::<f64>::zeros((5, 2));
        let y = Array2::<f64>::zeros((4, 1));
        let e = r.fit(x.view(), y.view()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
        assert!(e.to_string().contains("[5, 2]") && e.to_string().contains("[4, 1]"));
        let mut xn = Array2::<f64>::zeros((5, 2));
        xn[[3, 1]] = f64::NAN;
        let e = r.fit(xn.view(), Array2::zeros((5, 1)).view()).unwrap_err();
        assert!(matches!(
            e,
            ReadoutError::NonFinite {
                what: "x",
                row: 3,
                col: 1,
                ..
            }
        ));
        let e = r
            .fit(Array2::zeros((0, 2)).view(), Array2::zeros((0, 1)).view())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFitted);
        let acc = r.accumulator(2, 1);
        assert_eq!(acc.finish().unwrap_err().kind(), ErrorKind::NotFitted);
        let mut acc = r.accumulator(2, 1);
        let e = acc.update(Array2::zeros((3, 3)).view(), Array2::zeros((3, 1)).view());
        assert_eq!(e.unwrap_err().kind(), ErrorKind::DimensionMismatch);
        assert_eq!(acc.n_samples(), 0);
        let fit = r
            .fit(
                Array2::from_elem((3, 2), 1.0).view(),
                Array2::zeros((3, 1)).view(),
            )
            .unwrap();
        let e = fit.predict(Array2::zeros((3, 3)).view()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
        let mut out = Array2::zeros((2, 1));
        let e = fit.predict_into(Array2::zeros((3, 2)).view(), out.view_mut());
        assert_eq!(e.unwrap_err().kind(), ErrorKind::DimensionMismatch);
        let mut xi = Array2::zeros((2, 2));
        xi[[0, 0]] = f64::INFINITY;
        assert_eq!(
            fit.predict_into(xi.view(), out.view_mut())
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn overflowing_data_is_diverged_not_garbage() {
        use physrc_core::{ErrorKind, HasErrorKind};
        let x = Array2::from_shape_fn(
            (4, 2),
            |(i, j)| if (i + j) % 2 == 0 { 1e200 } else { -1e200 },
        );
        let y = Array2::zeros((4, 1));
        let e = Ridge::new(1.0)
            .unwrap()
            .fit(x.view(), y.view())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Diverged);
    }

    #[test]
    fn predict_into_non_contiguous_views() {
        let (x, y, _) = data(100, 4, 2, 7);
        let fit = Ridge::new(0.1).unwrap().fit(x.view(), y.view()).unwrap();
        let full = fit.predict(x.view()).unwrap();
        let xf = x.t().to_owned().reversed_axes(); // Fortran layout
        let mut out = Array2::zeros((2, 100)).reversed_axes();
        fit.predict_into(xf.view(), out.view_mut()).unwrap();
        assert!(max_rel(out.view(), full.view()) < 1e-14);
        let every_other = fit.predict(x.slice(s![..;2, ..])).unwrap();
        assert_eq!(every_other.row(3), full.row(6));
    }

    #[test]
    fn from_parts_checks_shapes() {
        assert!(FittedRidge::from_parts(Array2::zeros((3, 2)), Array1::zeros(3)).is_err());
        let f =
            FittedRidge::from_parts(Array2::ones((3, 2)), Array1::from(vec![1.0, 2.0])).unwrap();
        let p = f.predict(Array2::ones((1, 3)).view()).unwrap();
        assert_eq!(p.row(0).to_vec(), vec![4.0, 5.0]);
    }
}

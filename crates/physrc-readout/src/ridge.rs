//! Ridge regression: unfitted parameters, the streaming accumulator, and the fitted readout.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2};

use crate::error::ReadoutError;
use crate::linalg::{Moments, check_finite, column_means};

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
        })
    }

    /// Whether to fit an unpenalised intercept (default `true`). Without one, the data are not
    /// centred and the fit goes through the origin.
    #[must_use]
    pub fn with_intercept(mut self, intercept: bool) -> Ridge {
        self.intercept = intercept;
        self
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
    /// The data are shifted by their exact column means in blocks of rows, so only one block
    /// is ever copied; the result matches a fit on explicitly centred data.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] if the row counts differ,
    /// [`ReadoutError::NonFinite`] for NaN or infinite data,
    /// [`ReadoutError::NoSamples`] for zero rows,
    /// [`ReadoutError::Diverged`] if the system cannot be solved even by the fallback.
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
    ) -> Result<FittedRidge, ReadoutError> {
        let moments = self.moments(x, y)?;
        let (weights, intercept) = moments.centred("ridge")?.solve(self.alpha)?;
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
    /// row counts differ; [`ReadoutError::NonFinite`] for NaN or infinite data. A rejected
    /// chunk leaves the accumulator unchanged.
    pub fn update(
        &mut self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
    ) -> Result<(), ReadoutError> {
        self.moments.validate(x, y)?;
        self.moments.update_unchecked(x, y);
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
    /// system cannot be solved even by the fallback.
    pub fn finish(&self) -> Result<FittedRidge, ReadoutError> {
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
        mut out: ArrayViewMut2<'_, f64>,
    ) -> Result<(), ReadoutError> {
        if x.ncols() != self.n_features() {
            return Err(ReadoutError::shape(
                "x",
                x.shape(),
                "weights",
                self.weights.shape(),
                "x must have one column per weight row",
            ));
        }
        if out.dim() != (x.nrows(), self.n_outputs()) {
            return Err(ReadoutError::shape(
                "out",
                out.shape(),
                "x",
                x.shape(),
                "out must be x.nrows() × n_outputs",
            ));
        }
        check_finite("x", x)?;
        for mut row in out.rows_mut() {
            row.assign(&self.intercept);
        }
        ndarray::linalg::general_mat_mul(1.0, &x, &self.weights, 1.0, &mut out);
        Ok(())
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

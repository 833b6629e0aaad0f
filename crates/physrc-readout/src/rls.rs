//! Online recursive least squares with a forgetting factor.

use ndarray::{Array2, ArrayView2, ArrayViewMut2};

use crate::error::ReadoutError;
use crate::linalg::{affine_predict_into, check_finite_slice};

/// Recursive least squares: a linear readout updated one sample at a time, for online
/// training on a running rig or drifting substrates.
///
/// With inverse-correlation estimate `P` and weights `W`, each sample `(x, y)` does
///
/// ```text
/// k = P x / (λ + xᵀ P x)        e = y − Wᵀ x
/// W ← W + k eᵀ                  P ← (P − k xᵀ P) / λ
/// ```
///
/// (Haykin, *Adaptive Filter Theory*, ch. 10). With `P₀ = I/δ` and forgetting `λ = 1`, after
/// `T` samples `W` is exactly the ridge solution `(XᵀX + δI)⁻¹XᵀY`, so it tends to the
/// least-squares solution; `λ < 1` weighs a sample `t` steps old by `λᵗ` and tracks change.
///
/// By default a constant `1` is appended to every input so that an intercept is learned too
/// (penalised by `δ` like the weights, as in reservoirpy's `RLS` node); see
/// [`Rls::with_intercept`].
#[derive(Debug, Clone)]
pub struct Rls {
    n_features: usize,
    n_outputs: usize,
    forgetting: f64,
    delta: f64,
    intercept: bool,
    /// `P`, `d × d` with `d = n_features + intercept`, kept exactly symmetric.
    p: Array2<f64>,
    /// `W`, `d × n_outputs`; the last row is the intercept when there is one.
    w: Array2<f64>,
    /// Scratch: the augmented input, `P x`, and the output error.
    xa: Vec<f64>,
    px: Vec<f64>,
    err: Vec<f64>,
    n_updates: usize,
}

impl Rls {
    /// An RLS readout from `n_features` inputs to `n_outputs` outputs, with forgetting factor
    /// `forgetting` in `(0, 1]` and initial inverse correlation `P₀ = I/delta`.
    ///
    /// A small `delta` (e.g. `1e-2`) means little prior confidence in the zero initial
    /// weights, hence fast initial convergence; `delta` acts as the ridge penalty of the
    /// equivalent batch fit.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::InvalidParameter`] for zero features or outputs, `forgetting` outside
    /// `(0, 1]` or `delta` not finite and positive.
    pub fn new(
        n_features: usize,
        n_outputs: usize,
        forgetting: f64,
        delta: f64,
    ) -> Result<Rls, ReadoutError> {
        if n_features == 0 {
            return Err(ReadoutError::param(
                "n_features",
                "must be at least 1, got 0",
            ));
        }
        if n_outputs == 0 {
            return Err(ReadoutError::param(
                "n_outputs",
                "must be at least 1, got 0",
            ));
        }
        if !(forgetting > 0.0 && forgetting <= 1.0) {
            return Err(ReadoutError::param(
                "forgetting",
                format!("must be in (0, 1], got {forgetting}"),
            ));
        }
        if !(delta.is_finite() && delta > 0.0) {
            return Err(ReadoutError::param(
                "delta",
                format!("must be finite and > 0, got {delta}"),
            ));
        }
        Ok(Rls::build(n_features, n_outputs, forgetting, delta, true))
    }

    fn build(
        n_features: usize,
        n_outputs: usize,
        forgetting: f64,
        delta: f64,
        intercept: bool,
    ) -> Rls {
        let d = n_features + usize::from(intercept);
        Rls {
            n_features,
            n_outputs,
            forgetting,
            delta,
            intercept,
            p: Array2::eye(d) / delta,
            w: Array2::zeros((d, n_outputs)),
            xa: vec![0.0; d],
            px: vec![0.0; d],
            err: vec![0.0; n_outputs],
            n_updates: 0,
        }
    }

    /// Whether to learn an intercept (default `true`). Changing it resets the readout.
    #[must_use]
    pub fn with_intercept(self, intercept: bool) -> Rls {
        Rls::build(
            self.n_features,
            self.n_outputs,
            self.forgetting,
            self.delta,
            intercept,
        )
    }

    /// Forgets everything learned: `W = 0`, `P = I/delta`.
    pub fn reset(&mut self) {
        *self = Rls::build(
            self.n_features,
            self.n_outputs,
            self.forgetting,
            self.delta,
            self.intercept,
        );
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of outputs.
    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    /// Number of samples learned since construction or [`Rls::reset`].
    pub fn n_updates(&self) -> usize {
        self.n_updates
    }

    /// The weights, features × outputs.
    pub fn weights(&self) -> ArrayView2<'_, f64> {
        self.w.slice(ndarray::s![..self.n_features, ..])
    }

    /// The intercept, one per output (zeros without an intercept).
    pub fn intercept(&self) -> Vec<f64> {
        if self.intercept {
            self.w.row(self.n_features).to_vec()
        } else {
            vec![0.0; self.n_outputs]
        }
    }

    /// Learns one sample: features `x` and target `y`. Allocates nothing.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] for wrong lengths, [`ReadoutError::NonFinite`] for NaN
    /// or infinite values, [`ReadoutError::Diverged`] if `P` has lost positive definiteness or
    /// overflowed (e.g. `forgetting < 1` with inputs that stop exciting some direction). A
    /// rejected sample leaves the readout unchanged.
    pub fn update(&mut self, x: &[f64], y: &[f64]) -> Result<(), ReadoutError> {
        if x.len() != self.n_features {
            return Err(ReadoutError::shape(
                "x",
                &[x.len()],
                "the readout's features",
                &[self.n_features],
                "x must have one value per feature",
            ));
        }
        if y.len() != self.n_outputs {
            return Err(ReadoutError::shape(
                "y",
                &[y.len()],
                "the readout's outputs",
                &[self.n_outputs],
                "y must have one value per output",
            ));
        }
        check_finite_slice("x", x)?;
        check_finite_slice("y", y)?;
        let d = self.xa.len();
        self.xa[..self.n_features].copy_from_slice(x);
        if self.intercept {
            self.xa[self.n_features] = 1.0;
        }
        let p = self.p.as_slice().expect("P is built in standard layout");
        let mut xpx = 0.0;
        for i in 0..d {
            let row = &p[i * d..(i + 1) * d];
            let v: f64 = row.iter().zip(&self.xa).map(|(a, b)| a * b).sum();
            self.px[i] = v;
            xpx += self.xa[i] * v;
        }
        let denom = self.forgetting + xpx;
        if !(denom.is_finite() && denom > 0.0) {
            return Err(ReadoutError::Diverged(format!(
                "rls: the inverse correlation matrix is no longer positive definite or finite \
                 after {} updates (xᵀPx = {xpx}); lower the forgetting factor's effect or reset",
                self.n_updates
            )));
        }
        let w = self
            .w
            .as_slice_mut()
            .expect("W is built in standard layout");
        let q = self.n_outputs;
        for k in 0..q {
            let mut pred = 0.0;
            for i in 0..d {
                pred += w[i * q + k] * self.xa[i];
            }
            self.err[k] = y[k] - pred;
        }
        for i in 0..d {
            let gain = self.px[i] / denom;
            for k in 0..q {
                w[i * q + k] += gain * self.err[k];
            }
        }
        // `k xᵀP = (Px)(Px)ᵀ/denom` because P is symmetric; computing each product
        // `pxᵢ·pxⱼ` once for both triangles keeps P exactly symmetric.
        let inv_l = 1.0 / self.forgetting;
        let p = self
            .p
            .as_slice_mut()
            .expect("P is built in standard layout");
        for i in 0..d {
            for j in 0..=i {
                let v = (p[i * d + j] - self.px[i] * self.px[j] / denom) * inv_l;
                p[i * d + j] = v;
                p[j * d + i] = v;
            }
        }
        self.n_updates += 1;
        Ok(())
    }

    /// Predicts one row per row of `x` (samples × features) into `out` (samples × outputs)
    /// without allocating.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] for mismatched shapes, [`ReadoutError::NonFinite`] for
    /// NaN or infinite features (`out` is then left untouched).
    pub fn predict_into(
        &self,
        x: ArrayView2<'_, f64>,
        out: ArrayViewMut2<'_, f64>,
    ) -> Result<(), ReadoutError> {
        let intercept = self.intercept.then(|| self.w.row(self.n_features));
        affine_predict_into(x, self.weights(), intercept, out)
    }

    /// Predicts one row per row of `x`.
    ///
    /// # Errors
    ///
    /// As [`Rls::predict_into`].
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>, ReadoutError> {
        let mut out = Array2::zeros((x.nrows(), self.n_outputs));
        self.predict_into(x, out.view_mut())?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ridge;
    use ndarray::{Axis, concatenate};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn data(t: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((t, 5), |_| rng.random_range(-1.0..1.0));
        let w = Array2::from_shape_fn((5, 2), |_| rng.random_range(-2.0..2.0));
        let e = Array2::from_shape_fn((t, 2), |_| 0.1 * rng.random_range(-1.0..1.0));
        (x.clone(), x.dot(&w) + 0.7 + e)
    }

    fn max_abs(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> f64 {
        (&a - &b).mapv(f64::abs).fold(0.0, |m: f64, v| m.max(*v))
    }

    #[test]
    fn equals_ridge_with_penalised_bias_and_converges_to_least_squares() {
        let (x, y) = data(2000, 1);
        let delta = 1e-3;
        let mut rls = Rls::new(5, 2, 1.0, delta).unwrap();
        for (xr, yr) in x.rows().into_iter().zip(y.rows()) {
            rls.update(xr.as_slice().unwrap(), yr.as_slice().unwrap())
                .unwrap();
        }
        // Batch ridge on [x, 1] with the bias penalised too: the exact RLS fixed point.
        let xa = concatenate(Axis(1), &[x.view(), Array2::ones((2000, 1)).view()]).unwrap();
        let batch = Ridge::new(delta)
            .unwrap()
            .with_intercept(false)
            .fit(xa.view(), y.view())
            .unwrap();
        assert!(max_abs(rls.weights(), batch.weights().slice(ndarray::s![..5, ..])) < 1e-9);
        // And the least-squares solution with an intercept (delta is negligible here).
        let ls = Ridge::new(0.0).unwrap().fit(x.view(), y.view()).unwrap();
        assert!(max_abs(rls.weights(), ls.weights()) < 1e-5);
        for k in 0..2 {
            assert!((rls.intercept()[k] - ls.intercept()[k]).abs() < 1e-5);
        }
        let p1 = rls.predict(x.view()).unwrap();
        let p2 = ls.predict(x.view()).unwrap();
        assert!(max_abs(p1.view(), p2.view()) < 1e-5);
    }

    #[test]
    fn forgetting_tracks_a_change() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut rls = Rls::new(2, 1, 0.98, 1e-2).unwrap().with_intercept(false);
        for t in 0..2000 {
            let x = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
            let w = if t < 1000 { [1.0, -1.0] } else { [-2.0, 0.5] };
            rls.update(&x, &[w[0] * x[0] + w[1] * x[1]]).unwrap();
        }
        assert!((rls.weights()[[0, 0]] + 2.0).abs() < 1e-6);
        assert!((rls.weights()[[1, 0]] - 0.5).abs() < 1e-6);
        assert_eq!(rls.n_updates(), 2000);
        rls.reset();
        assert_eq!(rls.n_updates(), 0);
        assert_eq!(rls.weights()[[0, 0]], 0.0);
    }

    #[test]
    fn rejects_bad_input_and_leaves_state_unchanged() {
        assert!(Rls::new(0, 1, 1.0, 1.0).is_err());
        assert!(Rls::new(2, 0, 1.0, 1.0).is_err());
        assert!(Rls::new(2, 1, 0.0, 1.0).is_err());
        assert!(Rls::new(2, 1, 1.1, 1.0).is_err());
        assert!(Rls::new(2, 1, f64::NAN, 1.0).is_err());
        assert!(Rls::new(2, 1, 1.0, 0.0).is_err());
        let mut r = Rls::new(2, 1, 1.0, 1.0).unwrap();
        r.update(&[0.5, 0.2], &[1.0]).unwrap();
        let before = r.clone();
        assert!(matches!(
            r.update(&[1.0], &[1.0]),
            Err(ReadoutError::ShapeMismatch { .. })
        ));
        assert!(r.update(&[1.0, 2.0], &[1.0, 2.0]).is_err());
        assert!(matches!(
            r.update(&[1.0, f64::NAN], &[1.0]),
            Err(ReadoutError::NonFinite { row: 1, .. })
        ));
        assert_eq!(r.weights(), before.weights());
        assert_eq!(r.n_updates(), 1);
        let mut out = Array2::zeros((3, 1));
        assert!(
            r.predict_into(Array2::zeros((3, 3)).view(), out.view_mut())
                .is_err()
        );
        assert!(
            r.predict_into(Array2::zeros((2, 2)).view(), out.view_mut())
                .is_err()
        );
    }
}

//! Choosing the ridge penalty by cross-validation: generalised and leave-one-out
//! cross-validation in closed form, and k-fold over contiguous blocks.

use faer::{Mat, MatRef};
use ndarray::{ArrayView2, s};

use crate::error::ReadoutError;
use crate::linalg::{
    Centred, GRAM_BLOCK, Moments, column_means, copy_shifted_colmajor, mul, mul_tn, pinv_tolerance,
    ridge_filter, sym_eigen,
};
use crate::ridge::{FittedRidge, Ridge, check_alpha};

/// `n` values spaced evenly in log scale from `lo` to `hi`, both included exactly.
///
/// # Errors
///
/// [`ReadoutError::InvalidParameter`] unless `0 < lo <= hi` are finite, `n >= 1`, and `n >= 2`
/// when `lo < hi` (one point cannot span a range).
pub fn log_grid(lo: f64, hi: f64, n: usize) -> Result<Vec<f64>, ReadoutError> {
    if !(lo.is_finite() && lo > 0.0) {
        return Err(ReadoutError::param(
            "lo",
            format!("must be finite and > 0, got {lo}"),
        ));
    }
    if !(hi.is_finite() && hi >= lo) {
        return Err(ReadoutError::param(
            "hi",
            format!("must be finite and >= lo = {lo}, got {hi}"),
        ));
    }
    if n == 0 || (n == 1 && lo < hi) {
        return Err(ReadoutError::param(
            "n",
            format!("must be >= 2 to span [{lo}, {hi}], got {n}"),
        ));
    }
    if n == 1 {
        return Ok(vec![lo]);
    }
    let (a, b) = (lo.ln(), hi.ln());
    let step = (b - a) / (n - 1) as f64;
    let mut grid: Vec<f64> = (0..n).map(|i| (a + step * i as f64).exp()).collect();
    grid[0] = lo;
    grid[n - 1] = hi;
    Ok(grid)
}

/// How [`RidgeCv`] scores each penalty. Every score is a mean squared error (lower is better),
/// averaged over outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CvMethod {
    /// Generalised cross-validation (Golub, Heath & Wahba 1979):
    /// `(RSS/T) / (1 − df/T)²` with `df` the trace of the hat matrix. Needs no pass over the
    /// data beyond the moments, so it is the cheapest.
    Gcv,
    /// Exact leave-one-out: the mean of `(eᵢ / (1 − hᵢᵢ))²` over samples, which equals refitting
    /// without each sample in turn. One extra pass over the rows to get the hat diagonal.
    Loo,
    /// K-fold over contiguous blocks of rows: each block is held out once and predicted by a
    /// model fitted on the other blocks. Contiguous blocks respect the time order of
    /// reservoir states, whose neighbours are strongly correlated (random folds would leak).
    KFold {
        /// Number of blocks, at least 2.
        folds: usize,
    },
}

/// Ridge regression with the penalty chosen from a grid by cross-validation.
///
/// # Why closed form
///
/// With the centred Gram matrix `G = XcᵀXc = V Λ Vᵀ` and `C = Vᵀ XcᵀYc`, the weights for any
/// penalty are `W(α) = V diag(1/(λᵢ+α)) C`, the residual sum of squares and the trace of the
/// hat matrix are sums over the eigenvalues, and the hat diagonal is
/// `hₜ = 1/T + Σᵢ zₜᵢ²/(λᵢ+α)` with `Z = Xc V`. So one eigendecomposition (and, for
/// leave-one-out, one product `Xc V` streamed in blocks of rows) scores the whole grid, instead
/// of one factorisation per penalty. The intercept is not penalised, exactly as in [`Ridge`].
/// K-fold folds are contiguous blocks; each fold's training moments are the sum of the other
/// blocks' moments, so the data are multiplied through the Gram product once.
///
/// After scoring, the model is refitted on all data with the chosen penalty, by the same solve
/// as [`Ridge::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct RidgeCv {
    alphas: Vec<f64>,
    method: CvMethod,
    intercept: bool,
}

/// A [`RidgeCv`] fit: the chosen penalty, the score of each penalty, and the refitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedRidgeCv {
    alpha: f64,
    alphas: Vec<f64>,
    scores: Vec<f64>,
    method: CvMethod,
    ridge: FittedRidge,
}

impl RidgeCv {
    /// Cross-validation over the penalties `alphas` (in any order) with `method`.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::InvalidParameter`] for an empty grid or fewer than 2 folds,
    /// [`ReadoutError::InvalidAlpha`] for a negative or non-finite penalty.
    pub fn new(alphas: Vec<f64>, method: CvMethod) -> Result<RidgeCv, ReadoutError> {
        if alphas.is_empty() {
            return Err(ReadoutError::param(
                "alphas",
                "must hold at least one penalty, got an empty list",
            ));
        }
        for &a in &alphas {
            check_alpha(a)?;
        }
        if let CvMethod::KFold { folds } = method {
            if folds < 2 {
                return Err(ReadoutError::param(
                    "folds",
                    format!("must be at least 2, got {folds}"),
                ));
            }
        }
        Ok(RidgeCv {
            alphas,
            method,
            intercept: true,
        })
    }

    /// Whether to fit an unpenalised intercept (default `true`), as [`Ridge::with_intercept`].
    #[must_use]
    pub fn with_intercept(mut self, intercept: bool) -> RidgeCv {
        self.intercept = intercept;
        self
    }

    /// The penalty grid.
    pub fn alphas(&self) -> &[f64] {
        &self.alphas
    }

    /// The scoring method.
    pub fn method(&self) -> CvMethod {
        self.method
    }

    /// Scores every penalty on `x` (samples × features) and `y` (samples × outputs), picks the
    /// lowest score (the first in grid order on a tie) and refits on all rows with it.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] if the row counts differ, [`ReadoutError::NonFinite`]
    /// for NaN or infinite data, [`ReadoutError::NoSamples`] for zero rows,
    /// [`ReadoutError::TooFewSamples`] for fewer than 2 rows (fewer rows than folds for
    /// k-fold), [`ReadoutError::Diverged`] if a decomposition or solve fails, or if no
    /// penalty has a finite score (e.g. `α = 0` with as many features as samples).
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
    ) -> Result<FittedRidgeCv, ReadoutError> {
        let probe = Moments::new(x.ncols(), y.ncols(), self.intercept);
        probe.validate(x, y)?;
        let t = x.nrows();
        if t == 0 {
            return Err(ReadoutError::NoSamples { what: "ridge-cv" });
        }
        let needed = match self.method {
            CvMethod::KFold { folds } => folds,
            _ => 2,
        };
        if t < needed {
            return Err(ReadoutError::TooFewSamples {
                what: "ridge-cv",
                needed,
                got: t,
            });
        }
        let ridge = Ridge::new(0.0)?.with_intercept(self.intercept);
        let (scores, total) = match self.method {
            CvMethod::Gcv | CvMethod::Loo => {
                let centred = ridge.moments(x, y)?.centred("ridge-cv")?;
                let scores = if self.method == CvMethod::Gcv {
                    self.gcv_scores(&centred)?
                } else {
                    self.loo_scores(&centred, x, y)?
                };
                (scores, centred)
            }
            CvMethod::KFold { folds } => self.kfold_scores(x, y, folds)?,
        };
        let mut best: Option<usize> = None;
        for (i, s) in scores.iter().enumerate() {
            if s.is_finite() && best.is_none_or(|b| *s < scores[b]) {
                best = Some(i);
            }
        }
        let best = best.ok_or_else(|| {
            ReadoutError::Diverged(
                "no penalty in the grid has a finite cross-validation score (is alpha = 0 with \
                 at least as many features as samples?)"
                    .into(),
            )
        })?;
        let alpha = self.alphas[best];
        let (weights, intercept) = total.solve(alpha)?;
        Ok(FittedRidgeCv {
            alpha,
            alphas: self.alphas.clone(),
            scores,
            method: self.method,
            ridge: FittedRidge::from_solved(weights, intercept),
        })
    }

    /// Degrees of freedom taken by the intercept.
    fn df0(&self) -> f64 {
        if self.intercept { 1.0 } else { 0.0 }
    }

    fn gcv_scores(&self, c: &Centred) -> Result<Vec<f64>, ReadoutError> {
        let (vals, v) = sym_eigen(c.g.as_ref())?;
        let proj = mul_tn(v.as_ref(), c.b.as_ref());
        let tol = pinv_tolerance(&vals);
        let nq = c.b.ncols();
        let tt = c.n as f64;
        // Split `‖Yc‖²` into the part no penalty can fit (the least-squares residual) and the
        // energy `sᵢ² = cᵢ²/λᵢ` along each fitted direction, so that
        // `RSS(α) = RSS₀ + Σ sᵢ² (α/(λᵢ+α))²` is a sum of non-negative terms.
        let mut energy = vec![0.0; vals.len() * nq];
        let mut rss0 = c.syy.clone();
        for (i, &l) in vals.iter().enumerate() {
            if l > tol {
                for k in 0..nq {
                    let e = proj[(i, k)] * proj[(i, k)] / l;
                    energy[i * nq + k] = e;
                    rss0[k] -= e;
                }
            }
        }
        rss0.iter_mut().for_each(|r| *r = r.max(0.0));
        Ok(self
            .alphas
            .iter()
            .map(|&alpha| {
                let f = ridge_filter(&vals, alpha, tol);
                let mut df = self.df0();
                let mut rss = rss0.clone();
                for (i, &l) in vals.iter().enumerate() {
                    let lf = l.max(0.0) * f[i];
                    df += lf;
                    if l > tol {
                        let shrink = (1.0 - lf) * (1.0 - lf);
                        for k in 0..nq {
                            rss[k] += energy[i * nq + k] * shrink;
                        }
                    }
                }
                let denom = 1.0 - df / tt;
                if denom <= f64::EPSILON {
                    return f64::INFINITY;
                }
                rss.iter().sum::<f64>() / (nq as f64 * tt * denom * denom)
            })
            .collect())
    }

    fn loo_scores(
        &self,
        c: &Centred,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
    ) -> Result<Vec<f64>, ReadoutError> {
        let (vals, v) = sym_eigen(c.g.as_ref())?;
        let proj = mul_tn(v.as_ref(), c.b.as_ref());
        let tol = pinv_tolerance(&vals);
        let (nf, nq, na) = (vals.len(), c.b.ncols(), self.alphas.len());
        let filters: Vec<Vec<f64>> = self
            .alphas
            .iter()
            .map(|&a| ridge_filter(&vals, a, tol))
            .collect();
        // `fmat[:, a] = f(α_a)` gives every hat diagonal in one product `(Z∘Z)·fmat`, and
        // `dmat[:, a·q + k] = f(α_a)∘C[:, k]` every prediction in one product `Z·dmat`.
        let fmat = Mat::from_fn(nf, na, |i, a| filters[a][i]);
        let dmat = Mat::from_fn(nf, na * nq, |i, col| {
            filters[col / nq][i] * proj[(i, col % nq)]
        });
        let h0 = if self.intercept {
            1.0 / c.n as f64
        } else {
            0.0
        };
        let mut sse = vec![0.0; na];
        let mut bx = Vec::new();
        let mut zsq = Vec::new();
        let mut r = 0;
        while r < x.nrows() {
            let m = (x.nrows() - r).min(GRAM_BLOCK);
            let z = shifted_times(x.slice(s![r..r + m, ..]), &c.mean_x, v.as_ref(), &mut bx);
            zsq.clear();
            zsq.extend(
                (0..nf)
                    .flat_map(|j| (0..m).map(move |i| (i, j)))
                    .map(|(i, j)| {
                        let e = z[(i, j)];
                        e * e
                    }),
            );
            let hat = mul(MatRef::from_column_major_slice(&zsq, m, nf), fmat.as_ref());
            let pred = mul(z.as_ref(), dmat.as_ref());
            for i in 0..m {
                for a in 0..na {
                    let h = h0 + hat[(i, a)];
                    let lever = 1.0 - h;
                    for k in 0..nq {
                        let e = (y[[r + i, k]] - c.mean_y[k]) - pred[(i, a * nq + k)];
                        sse[a] += if lever > f64::EPSILON {
                            let l = e / lever;
                            l * l
                        } else {
                            f64::INFINITY
                        };
                    }
                }
            }
            r += m;
        }
        let denom = (c.n * nq) as f64;
        Ok(sse.into_iter().map(|s| s / denom).collect())
    }

    fn kfold_scores(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
        folds: usize,
    ) -> Result<(Vec<f64>, Centred), ReadoutError> {
        let (t, nf, nq, na) = (x.nrows(), x.ncols(), y.ncols(), self.alphas.len());
        let bounds: Vec<usize> = (0..=folds).map(|f| f * t / folds).collect();
        // Every block shares the global shift, so block moments add up exactly.
        let (sx, sy) = if self.intercept {
            (column_means(x), column_means(y))
        } else {
            (vec![0.0; nf], vec![0.0; nq])
        };
        let blocks: Vec<Moments> = (0..folds)
            .map(|f| {
                let rows = bounds[f]..bounds[f + 1];
                let mut m = Moments::new(nf, nq, self.intercept).with_shift(sx.clone(), sy.clone());
                m.update_unchecked(x.slice(s![rows.clone(), ..]), y.slice(s![rows, ..]));
                m
            })
            .collect();
        let sum_except = |skip: Option<usize>| {
            let mut acc = Moments::new(nf, nq, self.intercept).with_shift(sx.clone(), sy.clone());
            for (f, b) in blocks.iter().enumerate() {
                if Some(f) != skip {
                    acc.add_assign(b);
                }
            }
            acc
        };
        let mut sse = vec![0.0; na];
        let mut bx = Vec::new();
        for f in 0..folds {
            let train = sum_except(Some(f)).centred("ridge-cv fold")?;
            let (vals, v) = sym_eigen(train.g.as_ref())?;
            let proj = mul_tn(v.as_ref(), train.b.as_ref());
            let tol = pinv_tolerance(&vals);
            let dmat = Mat::from_fn(nf, na * nq, |i, col| {
                let d = vals[i].max(0.0) + self.alphas[col / nq];
                let fi = if d > tol { 1.0 / d } else { 0.0 };
                fi * proj[(i, col % nq)]
            });
            let mut r = bounds[f];
            while r < bounds[f + 1] {
                let m = (bounds[f + 1] - r).min(GRAM_BLOCK);
                let z = shifted_times(
                    x.slice(s![r..r + m, ..]),
                    &train.mean_x,
                    v.as_ref(),
                    &mut bx,
                );
                let pred = mul(z.as_ref(), dmat.as_ref());
                for i in 0..m {
                    for a in 0..na {
                        for k in 0..nq {
                            let e = (y[[r + i, k]] - train.mean_y[k]) - pred[(i, a * nq + k)];
                            sse[a] += e * e;
                        }
                    }
                }
                r += m;
            }
        }
        let total = sum_except(None).centred("ridge-cv")?;
        let denom = (t * nq) as f64;
        Ok((sse.into_iter().map(|s| s / denom).collect(), total))
    }
}

/// `(x − shift) · v` for a block of rows, through the reusable column-major buffer `buf`.
fn shifted_times(
    x: ArrayView2<'_, f64>,
    shift: &[f64],
    v: MatRef<'_, f64>,
    buf: &mut Vec<f64>,
) -> Mat<f64> {
    let (m, n) = x.dim();
    buf.resize(m * n, 0.0);
    copy_shifted_colmajor(x, shift, buf);
    mul(MatRef::from_column_major_slice(&buf[..m * n], m, n), v)
}

impl FittedRidgeCv {
    /// The chosen penalty.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The model refitted on all rows with [`FittedRidgeCv::alpha`].
    pub fn ridge(&self) -> &FittedRidge {
        &self.ridge
    }

    /// Consumes the fit, keeping the refitted model.
    pub fn into_ridge(self) -> FittedRidge {
        self.ridge
    }

    /// The score of each penalty of [`FittedRidgeCv::alphas`], in the same order (mean squared
    /// error per sample and output, lower is better; `inf` where undefined).
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// The penalty grid that was scored.
    pub fn alphas(&self) -> &[f64] {
        &self.alphas
    }

    /// The scoring method.
    pub fn method(&self) -> CvMethod {
        self.method
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Axis};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn data(t: usize, n: usize, noise: f64, seed: u64) -> (Array2<f64>, Array2<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((t, n), |(_, j)| {
            1.0 + 0.2 * j as f64 + rng.random_range(-1.0..1.0)
        });
        let w = Array2::from_shape_fn((n, 2), |_| rng.random_range(-1.0..1.0));
        let e = Array2::from_shape_fn((t, 2), |_| noise * rng.random_range(-1.0..1.0));
        (x.clone(), x.dot(&w) + 3.0 + e)
    }

    /// The explicit `T × T` hat matrix `11ᵀ/T + Xc (XcᵀXc + αI)⁻¹ Xcᵀ`, by Gauss–Jordan in the
    /// test (independent of faer), for the textbook GCV and LOO formulas.
    fn hat(x: &Array2<f64>, alpha: f64) -> Array2<f64> {
        let t = x.nrows();
        let xc = x - &x.mean_axis(Axis(0)).unwrap();
        let n = x.ncols();
        let mut a = xc.t().dot(&xc) + Array2::<f64>::eye(n) * alpha;
        let mut inv = Array2::<f64>::eye(n);
        for k in 0..n {
            let p = a[[k, k]];
            for j in 0..n {
                a[[k, j]] /= p;
                inv[[k, j]] /= p;
            }
            for i in 0..n {
                if i != k {
                    let f = a[[i, k]];
                    for j in 0..n {
                        a[[i, j]] -= f * a[[k, j]];
                        inv[[i, j]] -= f * inv[[k, j]];
                    }
                }
            }
        }
        xc.dot(&inv).dot(&xc.t()) + 1.0 / t as f64
    }

    #[test]
    fn log_grid_spans_and_validates() {
        let g = log_grid(1e-6, 1e2, 9).unwrap();
        assert_eq!(g.len(), 9);
        assert_eq!((g[0], g[8]), (1e-6, 1e2));
        assert!((g[6] - 1.0).abs() < 1e-12, "{g:?}");
        assert_eq!(log_grid(0.5, 0.5, 1).unwrap(), vec![0.5]);
        assert!(log_grid(0.0, 1.0, 3).is_err());
        assert!(log_grid(2.0, 1.0, 3).is_err());
        assert!(log_grid(1.0, 2.0, 1).is_err());
        assert!(log_grid(1.0, f64::NAN, 3).is_err());
    }

    #[test]
    fn gcv_matches_textbook_formula() {
        let (x, y) = data(40, 6, 0.5, 1);
        let alphas = vec![1e-3, 0.1, 1.0, 10.0, 100.0];
        let cv = RidgeCv::new(alphas.clone(), CvMethod::Gcv)
            .unwrap()
            .fit(x.view(), y.view())
            .unwrap();
        for (a, s) in alphas.iter().zip(cv.scores()) {
            let h = hat(&x, *a);
            let r = &y - &h.dot(&y);
            let tr: f64 = h.diag().sum();
            let t = 40.0;
            let want = r.mapv(|v| v * v).sum() / (2.0 * t) / (1.0 - tr / t).powi(2);
            assert!((s - want).abs() < 1e-9 * want, "alpha {a}: {s} vs {want}");
        }
    }

    #[test]
    fn loo_matches_brute_force_refits() {
        let (x, y) = data(25, 4, 0.3, 2);
        let alphas = vec![1e-4, 0.3, 5.0];
        let cv = RidgeCv::new(alphas.clone(), CvMethod::Loo)
            .unwrap()
            .fit(x.view(), y.view())
            .unwrap();
        for (a, s) in alphas.iter().zip(cv.scores()) {
            let mut sse = 0.0;
            for i in 0..25 {
                let keep: Vec<usize> = (0..25).filter(|&j| j != i).collect();
                let fit = Ridge::new(*a)
                    .unwrap()
                    .fit(
                        x.select(Axis(0), &keep).view(),
                        y.select(Axis(0), &keep).view(),
                    )
                    .unwrap();
                let p = fit.predict(x.slice(s![i..i + 1, ..])).unwrap();
                sse += (&p.row(0) - &y.row(i)).mapv(|v| v * v).sum();
            }
            let want = sse / 50.0;
            assert!((s - want).abs() < 1e-9 * want, "alpha {a}: {s} vs {want}");
        }
    }

    #[test]
    fn refit_equals_plain_ridge_at_chosen_alpha() {
        let (x, y) = data(200, 10, 2.0, 3);
        let grid = log_grid(1e-4, 1e4, 17).unwrap();
        for method in [CvMethod::Gcv, CvMethod::Loo] {
            let cv = RidgeCv::new(grid.clone(), method)
                .unwrap()
                .fit(x.view(), y.view())
                .unwrap();
            let plain = Ridge::new(cv.alpha())
                .unwrap()
                .fit(x.view(), y.view())
                .unwrap();
            assert_eq!(cv.ridge(), &plain, "{method:?}");
            // Noisy data: neither end of the grid should win.
            assert!(
                cv.alpha() > 1e-4 && cv.alpha() < 1e4,
                "{method:?} {}",
                cv.alpha()
            );
        }
    }

    #[test]
    fn gcv_and_loo_prefer_more_penalty_on_noisier_data() {
        let grid = log_grid(1e-3, 1e5, 33).unwrap();
        let pick = |noise: f64| {
            let (x, y) = data(60, 20, noise, 4);
            RidgeCv::new(grid.clone(), CvMethod::Loo)
                .unwrap()
                .fit(x.view(), y.view())
                .unwrap()
                .alpha()
        };
        assert!(pick(10.0) > pick(0.01));
    }

    #[test]
    fn rejects_bad_parameters_and_data() {
        assert!(RidgeCv::new(vec![], CvMethod::Gcv).is_err());
        assert_eq!(
            RidgeCv::new(vec![1.0, -2.0], CvMethod::Gcv).unwrap_err(),
            ReadoutError::InvalidAlpha(-2.0)
        );
        assert!(RidgeCv::new(vec![1.0], CvMethod::KFold { folds: 1 }).is_err());
        let cv = RidgeCv::new(vec![1.0], CvMethod::KFold { folds: 5 }).unwrap();
        let e = cv
            .fit(Array2::zeros((4, 2)).view(), Array2::zeros((4, 1)).view())
            .unwrap_err();
        assert!(matches!(
            e,
            ReadoutError::TooFewSamples {
                needed: 5,
                got: 4,
                ..
            }
        ));
        let mut x = Array2::zeros((10, 2));
        x[[2, 1]] = f64::NAN;
        let e = cv.fit(x.view(), Array2::zeros((10, 1)).view()).unwrap_err();
        assert!(matches!(e, ReadoutError::NonFinite { row: 2, col: 1, .. }));
        let e = cv
            .fit(Array2::zeros((10, 2)).view(), Array2::zeros((9, 1)).view())
            .unwrap_err();
        assert!(matches!(e, ReadoutError::ShapeMismatch { .. }));
        // alpha = 0 with more features than samples: GCV undefined everywhere.
        let (x, y) = data(5, 8, 0.1, 5);
        let e = RidgeCv::new(vec![0.0], CvMethod::Gcv)
            .unwrap()
            .fit(x.view(), y.view())
            .unwrap_err();
        assert!(matches!(e, ReadoutError::Diverged(_)));
    }
}

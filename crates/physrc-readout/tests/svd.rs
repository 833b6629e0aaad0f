//! The SVD ridge solver (`Solver::Svd`): agreement with the normal equations where both are
//! exact, the minimum-norm least-squares solution on rank-deficient data (as
//! `numpy.linalg.lstsq`), recovery of tiny-variance directions the normal equations lose,
//! determinism across thread counts, and the same input errors as the Cholesky route.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use physrc_core::{ErrorKind, HasErrorKind};
use physrc_readout::{ReadoutError, Ridge, Solver};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn uniform(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |_| rng.random_range(-1.0..1.0))
}

fn max_rel(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> f64 {
    let scale = b.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b.iter())
        .fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

fn svd(alpha: f64) -> Ridge {
    Ridge::new(alpha).unwrap().with_solver(Solver::Svd)
}

#[test]
fn api_defaults_and_builder() {
    let r = Ridge::new(1.0).unwrap();
    assert_eq!(r.solver(), Solver::Cholesky);
    assert_eq!(Solver::default(), Solver::Cholesky);
    let s = r.with_solver(Solver::Svd);
    assert_eq!(s.solver(), Solver::Svd);
    assert_eq!(s.alpha(), 1.0);
    assert!(s.fits_intercept());
}

#[test]
fn equals_cholesky_on_well_conditioned_data() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let (t, n, q) = (400, 15, 3);
    // An offset on every column, so the intercept and the centring are exercised.
    let x = uniform(t, n, &mut rng) + 4.0;
    let w = uniform(n, q, &mut rng);
    let y = x.dot(&w) + 2.5 + uniform(t, q, &mut rng) * 0.05;
    for alpha in [0.0, 1e-3, 0.7, 50.0] {
        let c = Ridge::new(alpha).unwrap().fit(x.view(), y.view()).unwrap();
        let s = svd(alpha).fit(x.view(), y.view()).unwrap();
        let dw = max_rel(s.weights(), c.weights());
        let db = max_rel(
            s.intercept().insert_axis(Axis(0)),
            c.intercept().insert_axis(Axis(0)),
        );
        assert!(dw < 1e-10, "alpha {alpha}: weights differ by {dw:e}");
        assert!(db < 1e-10, "alpha {alpha}: intercepts differ by {db:e}");
    }
    // Without an intercept neither route centres; they still agree.
    let c = Ridge::new(0.3)
        .unwrap()
        .with_intercept(false)
        .fit(x.view(), y.view())
        .unwrap();
    let s = svd(0.3)
        .with_intercept(false)
        .fit(x.view(), y.view())
        .unwrap();
    assert!(max_rel(s.weights(), c.weights()) < 1e-10);
    assert!(s.intercept().iter().all(|v| *v == 0.0));
}

#[test]
fn rank_deficient_gives_minimum_norm_least_squares() {
    // Columns c, c, 2c, d with y = 6c + 3d + 1 and alpha = 0. The centred design has rank 2;
    // numpy.linalg.lstsq returns the minimum-norm solution, which puts the c-weight along
    // v = (1, 1, 2) / |v|²: w = 6·v/6 = (1, 1, 2) on the c-columns and 3 on d (closed form:
    // the minimum-norm w with w·v = 6 is parallel to v).
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    let t = 200;
    let c: Vec<f64> = (0..t).map(|_| rng.random_range(-1.0..1.0)).collect();
    let d: Vec<f64> = (0..t).map(|_| rng.random_range(-1.0..1.0)).collect();
    let x = Array2::from_shape_fn((t, 4), |(i, j)| match j {
        0 | 1 => c[i],
        2 => 2.0 * c[i],
        _ => d[i],
    });
    let y = Array2::from_shape_fn((t, 1), |(i, _)| 6.0 * c[i] + 3.0 * d[i] + 1.0);
    let fit = svd(0.0).fit(x.view(), y.view()).unwrap();
    let want = [1.0, 1.0, 2.0, 3.0];
    for (j, w) in want.iter().enumerate() {
        let got = fit.weights()[[j, 0]];
        assert!((got - w).abs() < 1e-10, "weight {j}: {got} vs {w}");
    }
    assert!((fit.intercept()[0] - 1.0).abs() < 1e-10);

    // With alpha > 0 the system is regular, so the Cholesky route solves it exactly too and
    // the two must agree.
    let a = 0.5;
    let s = svd(a).fit(x.view(), y.view()).unwrap();
    let ch = Ridge::new(a).unwrap().fit(x.view(), y.view()).unwrap();
    assert!(max_rel(s.weights(), ch.weights()) < 1e-10);
    // The penalised weights stay in the row space: the c-weights are parallel to (1, 1, 2).
    let w = s.weights();
    assert!((w[[0, 0]] - w[[1, 0]]).abs() < 1e-12);
    assert!((w[[2, 0]] - 2.0 * w[[0, 0]]).abs() < 1e-12);
}

#[test]
fn more_features_than_samples_interpolates_with_minimum_norm() {
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let x = uniform(12, 30, &mut rng);
    let y = uniform(12, 2, &mut rng);
    let s = svd(0.0).fit(x.view(), y.view()).unwrap();
    let pred = s.predict(x.view()).unwrap();
    assert!(max_rel(pred.view(), y.view()) < 1e-10);
    // Minimum norm: the weights lie in the row space of the centred X, i.e. W = Xcᵀ·Z.
    // Equivalently the Cholesky route's eigen fallback (alpha = 0, singular Gram) agrees.
    let c = Ridge::new(0.0).unwrap().fit(x.view(), y.view()).unwrap();
    assert!(max_rel(s.weights(), c.weights()) < 1e-8);
}

/// States whose task-relevant directions carry a variance `1e-14` of the largest, mixed into
/// every column (as nearly collinear virtual nodes of a delay reservoir are): latent `S =
/// [Z₁, 1e-7·Z₂]`, `X = S·Mᵀ + offset` with `M` orthogonal, `y = S·β + 2` with `β` of size
/// `1e7` on the small latents, so they contribute O(1) to `y`. True weights `W = M·β`.
///
/// Scaling columns alone would not do: Cholesky is insensitive to a diagonal scaling, so the
/// tiny directions must be rotated across all columns to reproduce the physical problem.
fn ill_conditioned() -> (Array2<f64>, Array2<f64>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(24);
    let (t, n, small) = (2000, 200, 6);
    let mut s = uniform(t, n, &mut rng);
    for mut col in s.columns_mut().into_iter().skip(n - small) {
        col *= 1e-7;
    }
    // Orthogonal M by Gram–Schmidt (twice, for orthogonality to rounding) on a random matrix.
    let mut m = uniform(n, n, &mut rng);
    for _ in 0..2 {
        for j in 0..n {
            for k in 0..j {
                let p = m.column(j).dot(&m.column(k));
                let ck = m.column(k).to_owned();
                m.column_mut(j).scaled_add(-p, &ck);
            }
            let norm = m.column(j).dot(&m.column(j)).sqrt();
            m.column_mut(j).mapv_inplace(|v| v / norm);
        }
    }
    let beta = Array2::from_shape_fn((n, 1), |(j, _)| {
        let b = rng.random_range(0.5..1.5);
        if j >= n - small { b * 1e7 } else { b }
    });
    let x = s.dot(&m.t()) + 3.0;
    let y = s.dot(&beta) + 2.0;
    let w = m.dot(&beta);
    (x, y, w)
}

#[test]
fn svd_recovers_tiny_variance_directions_that_cholesky_loses() {
    let (x, y, w_true) = ill_conditioned();
    let s = svd(0.0).fit(x.view(), y.view()).unwrap();
    let c = Ridge::new(0.0).unwrap().fit(x.view(), y.view()).unwrap();
    let err_svd = max_rel(s.weights(), w_true.view());
    let err_chol = max_rel(c.weights(), w_true.view());
    // Training-fit NRMSE: the target's variance is O(1) from both latent groups.
    let nrmse = |pred: Array2<f64>| {
        let r = &pred - &y;
        let sd = y.std(0.0);
        (r.mapv(|v| v * v).mean().unwrap()).sqrt() / sd
    };
    let nrmse_svd = nrmse(s.predict(x.view()).unwrap());
    let nrmse_chol = nrmse(c.predict(x.view()).unwrap());
    eprintln!(
        "ill-conditioned: weight error svd {err_svd:.2e} cholesky {err_chol:.2e}; \
         nrmse svd {nrmse_svd:.2e} cholesky {nrmse_chol:.2e}"
    );
    assert!(err_svd < 1e-6, "svd weight error {err_svd:e}");
    assert!(nrmse_svd < 1e-6, "svd nrmse {nrmse_svd:e}");
    // Measured: cholesky weight error ≈ 1.0e-2 and nrmse ≈ 1.2e-3 (the squared condition
    // number 1e14 times ε), five orders of magnitude above the svd figures.
    assert!(err_chol > 1e-3, "cholesky weight error {err_chol:e}");
    assert!(nrmse_chol > 1e-4, "cholesky nrmse {nrmse_chol:e}");
    assert!(nrmse_chol > 1e4 * nrmse_svd);
}

#[test]
fn bit_identical_across_thread_counts() {
    // Sixteen outputs put the product Uᵀ·Yc (T·n·q ≈ 5.8e6 multiply–adds) above the crate's
    // parallel threshold (2²²), so it runs on the pool. The SVD itself is kept sequential:
    // with faer's parallel SVD, 1 and 2 threads differed in the last bits.
    let mut rng = ChaCha8Rng::seed_from_u64(25);
    let x = uniform(3000, 120, &mut rng).mapv(|v: f64| (2.0 * v).tanh());
    let y = uniform(3000, 16, &mut rng) + x.column(3).insert_axis(Axis(1));
    let bits: Vec<Vec<u64>> = [1, 2]
        .iter()
        .map(|&threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let fit = pool.install(|| svd(1e-4).fit(x.view(), y.view()).unwrap());
            fit.weights()
                .iter()
                .chain(fit.intercept().iter())
                .map(|v| v.to_bits())
                .collect()
        })
        .collect();
    assert_eq!(bits[0], bits[1], "1 thread vs 2 threads");
}

#[test]
fn input_errors_match_the_cholesky_route() {
    let chol = Ridge::new(1.0).unwrap();
    let s = chol.with_solver(Solver::Svd);
    let cases: Vec<(Array2<f64>, Array2<f64>)> = vec![
        (Array2::zeros((5, 2)), Array2::zeros((4, 1))),
        (
            {
                let mut a = Array2::zeros((5, 2));
                a[[3, 1]] = f64::NAN;
                a
            },
            Array2::zeros((5, 1)),
        ),
        (Array2::zeros((5, 2)), {
            let mut b = Array2::zeros((5, 1));
            b[[2, 0]] = f64::INFINITY;
            b
        }),
        (Array2::zeros((0, 2)), Array2::zeros((0, 1))),
    ];
    for (x, y) in &cases {
        let a = chol.fit(x.view(), y.view()).unwrap_err();
        let b = s.fit(x.view(), y.view()).unwrap_err();
        // Compared as messages: a NaN payload makes the errors unequal under `PartialEq`.
        assert_eq!(a.to_string(), b.to_string());
        assert_eq!(a.kind(), b.kind());
    }
    let e = s
        .fit(Array2::zeros((5, 2)).view(), Array2::zeros((4, 1)).view())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
    let mut xn = Array2::zeros((5, 2));
    xn[[3, 1]] = f64::NAN;
    assert!(matches!(
        s.fit(xn.view(), Array2::zeros((5, 1)).view()),
        Err(ReadoutError::NonFinite {
            what: "x",
            row: 3,
            col: 1,
            ..
        })
    ));
    // Data whose mean overflows: Diverged, never garbage weights.
    let x = Array2::from_shape_fn((4, 2), |(i, _)| if i < 2 { 1.7e308 } else { -1.7e308 });
    let e = s.fit(x.view(), Array2::zeros((4, 1)).view()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Diverged);
    // Huge but representable data (the Gram route overflows here): the SVD works on a
    // power-of-two rescaled copy and the filter 1/(s + α/s) cannot overflow, so the weights
    // come out right.
    let mut rng = ChaCha8Rng::seed_from_u64(26);
    let xb = uniform(50, 3, &mut rng) * 1e200;
    let yb = xb.dot(&Array1::from(vec![1.0, -2.0, 0.5]).insert_axis(Axis(1)));
    let fit = s.fit(xb.view(), yb.view()).unwrap();
    assert!(
        (fit.weights()[[1, 0]] + 2.0).abs() < 1e-6,
        "{}",
        fit.weights()
    );
}

#[test]
fn streaming_with_svd_is_a_clear_error() {
    let r = svd(1.0);
    let mut acc = r.accumulator(2, 1);
    let e = acc
        .update(Array2::ones((3, 2)).view(), Array2::ones((3, 1)).view())
        .unwrap_err();
    let want = ReadoutError::InvalidParameter {
        name: "solver",
        reason: "the svd solver needs all rows at once; use fit(), or solver cholesky to stream"
            .into(),
    };
    assert_eq!(e, want);
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
    assert_eq!(acc.n_samples(), 0);
    assert_eq!(acc.finish().unwrap_err(), want);
    // The Cholesky accumulator is untouched by the new field.
    let mut ok = Ridge::new(1.0).unwrap().accumulator(2, 1);
    ok.update(
        Array2::from_shape_fn((4, 2), |(i, j)| (i * 2 + j) as f64).view(),
        Array2::from_shape_fn((4, 1), |(i, _)| i as f64).view(),
    )
    .unwrap();
    assert!(ok.finish().is_ok());
}

//! `RidgeCv` with contiguous k-fold picks the
//! same penalty as an explicit loop of k `Ridge` fits scoring the held-out mean squared error by
//! hand.

use ndarray::{Array2, Axis, s};
use physrc_readout::{CvMethod, Ridge, RidgeCv, log_grid};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A noisy time-series regression: features are smoothed random walks (neighbouring rows are
/// correlated, as reservoir states are), the target a noisy linear read of them. With 40
/// features for 240 samples and strong noise, the best penalty lies inside the grid.
fn problem(seed: u64) -> (Array2<f64>, Array2<f64>) {
    let (t, n) = (240, 40);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array2::zeros((t, n));
    for j in 0..n {
        let mut v: f64 = 0.0;
        for i in 0..t {
            v = 0.8 * v + rng.random_range(-1.0..1.0);
            x[[i, j]] = v + 0.5;
        }
    }
    let w = Array2::from_shape_fn((n, 2), |_| rng.random_range(-0.3..0.3));
    let noise = Array2::from_shape_fn((t, 2), |_| 3.0 * rng.random_range(-1.0..1.0));
    let y = x.dot(&w) + 1.0 + noise;
    (x, y)
}

/// Held-out MSE of every penalty by an explicit loop: for each contiguous block, fit `Ridge` on
/// the other rows, predict the block, accumulate squared errors.
fn explicit_kfold(x: &Array2<f64>, y: &Array2<f64>, alphas: &[f64], k: usize) -> Vec<f64> {
    let t = x.nrows();
    alphas
        .iter()
        .map(|&alpha| {
            let mut sse = 0.0;
            for f in 0..k {
                let (a, b) = (f * t / k, (f + 1) * t / k);
                let train: Vec<usize> = (0..t).filter(|i| *i < a || *i >= b).collect();
                let fit = Ridge::new(alpha)
                    .unwrap()
                    .fit(
                        x.select(Axis(0), &train).view(),
                        y.select(Axis(0), &train).view(),
                    )
                    .unwrap();
                let pred = fit.predict(x.slice(s![a..b, ..])).unwrap();
                sse += (&pred - &y.slice(s![a..b, ..])).mapv(|e| e * e).sum();
            }
            sse / (t * y.ncols()) as f64
        })
        .collect()
}

#[test]
fn kfold_picks_the_same_alpha_as_an_explicit_loop() {
    let grid = log_grid(1e-3, 1e5, 25).unwrap();
    for (seed, k) in [(1, 5), (2, 4), (3, 7)] {
        let (x, y) = problem(seed);
        let cv = RidgeCv::new(grid.clone(), CvMethod::KFold { folds: k })
            .unwrap()
            .fit(x.view(), y.view())
            .unwrap();
        let want = explicit_kfold(&x, &y, &grid, k);
        for (i, (got, want)) in cv.scores().iter().zip(&want).enumerate() {
            assert!(
                (got - want).abs() <= 1e-9 * want,
                "seed {seed}, alpha {}: {got} vs {want}",
                grid[i]
            );
        }
        let best = want
            .iter()
            .enumerate()
            .fold(0, |b, (i, s)| if *s < want[b] { i } else { b });
        assert_eq!(cv.alpha(), grid[best], "seed {seed}, k {k}");
        // The test is only meaningful if the optimum is inside the grid.
        assert!(
            best > 0 && best + 1 < grid.len(),
            "seed {seed}: optimum at grid end {best}"
        );
        // The returned model is the refit on all rows with the chosen penalty.
        let all = Ridge::new(cv.alpha())
            .unwrap()
            .fit(x.view(), y.view())
            .unwrap();
        let d = (&cv.ridge().weights() - &all.weights())
            .mapv(f64::abs)
            .fold(0.0_f64, |m, v| m.max(*v));
        assert!(d < 1e-10, "refit differs by {d}");
    }
}

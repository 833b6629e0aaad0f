//! Determinism (CONTRIBUTING): the same data give bit-identical fits whatever the number of
//! threads. Sizes are chosen above the crate's threshold for parallel faer kernels, so the
//! Gram product, the Cholesky solve and the eigendecomposition really run on the pool.

use ndarray::{Array2, s};
use physrc_readout::{CvMethod, Ridge, RidgeCv, log_grid};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn data() -> (Array2<f64>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let x = Array2::from_shape_fn((2500, 260), |(_, j)| {
        (rng.random_range(-1.5..1.5_f64) + 0.01 * j as f64).tanh()
    });
    let y = Array2::from_shape_fn((2500, 2), |(i, k)| {
        x[[i, k]] - 0.5 * x[[i, 7]] + 0.1 * rng.random_range(-1.0..1.0)
    });
    (x, y)
}

/// Everything the crate computes in parallel, as plain numbers.
fn run_all(x: &Array2<f64>, y: &Array2<f64>) -> Vec<Vec<f64>> {
    let ridge = Ridge::new(1e-3).unwrap();
    let one = ridge.fit(x.view(), y.view()).unwrap();
    let mut acc = ridge.accumulator(x.ncols(), y.ncols());
    for r in (0..2500).step_by(700) {
        let e = (r + 700).min(2500);
        acc.update(x.slice(s![r..e, ..]), y.slice(s![r..e, ..]))
            .unwrap();
    }
    let streamed = acc.finish().unwrap();
    let grid = log_grid(1e-6, 1e3, 10).unwrap();
    let mut out = vec![
        one.weights().iter().copied().collect(),
        one.intercept().to_vec(),
        streamed.weights().iter().copied().collect(),
    ];
    for method in [CvMethod::Gcv, CvMethod::Loo, CvMethod::KFold { folds: 3 }] {
        let cv = RidgeCv::new(grid.clone(), method)
            .unwrap()
            .fit(x.view(), y.view())
            .unwrap();
        out.push(cv.scores().to_vec());
        out.push(cv.ridge().weights().iter().copied().collect());
    }
    out
}

#[test]
fn bit_identical_across_thread_counts() {
    let (x, y) = data();
    let results: Vec<Vec<Vec<u64>>> = [1, 2, 3]
        .iter()
        .map(|&threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| run_all(&x, &y))
                .into_iter()
                .map(|v| v.into_iter().map(f64::to_bits).collect())
                .collect()
        })
        .collect();
    assert_eq!(results[0], results[1], "1 thread vs 2 threads");
    assert_eq!(results[0], results[2], "1 thread vs 3 threads");
}

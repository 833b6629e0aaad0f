//! Criterion benchmarks for the ridge readout: a one-shot fit on 20,000 × 1,500 states with
//! one output (the side-by-side comparison with numpy/scipy is
//! `benches/peers/ridge_vs_numpy.py`), the same data streamed through
//! [`RidgeAccumulator`](physrc_readout::RidgeAccumulator) in chunks of 1,000 rows, and a
//! 25-point GCV grid on a smaller problem.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::{Array2, s};
use physrc_readout::{CvMethod, Ridge, RidgeCv, log_grid};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Reservoir-like states: tanh of random values with a per-feature offset, seeded.
fn states(t: usize, n: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((t, n), |(_, j)| {
        (rng.random_range(-1.5..1.5_f64) + 0.001 * j as f64).tanh()
    });
    let w: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let y = Array2::from_shape_fn((t, 1), |(i, _)| {
        x.row(i).iter().zip(&w).map(|(a, b)| a * b).sum::<f64>()
            + 0.01 * rng.random_range(-1.0..1.0)
    });
    (x, y)
}

fn bench_ridge(c: &mut Criterion) {
    let (x, y) = states(20_000, 1_500, 7);
    let ridge = Ridge::new(1e-6).expect("valid alpha");
    let mut g = c.benchmark_group("ridge");
    g.sample_size(10);
    g.bench_function("fit_20000x1500", |b| {
        b.iter(|| black_box(ridge.fit(x.view(), y.view()).expect("fit")))
    });
    g.bench_function("stream_20000x1500_chunks_1000", |b| {
        b.iter(|| {
            let mut acc = ridge.accumulator(1_500, 1);
            for r in (0..20_000).step_by(1_000) {
                acc.update(x.slice(s![r..r + 1_000, ..]), y.slice(s![r..r + 1_000, ..]))
                    .expect("update");
            }
            black_box(acc.finish().expect("finish"))
        })
    });
    let (xs, ys) = states(5_000, 300, 8);
    let cv = RidgeCv::new(log_grid(1e-8, 1e2, 25).expect("grid"), CvMethod::Gcv).expect("cv");
    g.bench_function("gcv_25_alphas_5000x300", |b| {
        b.iter(|| black_box(cv.fit(xs.view(), ys.view()).expect("cv fit")))
    });
    g.bench_function("fit_5000x300", |b| {
        b.iter(|| black_box(ridge.fit(xs.view(), ys.view()).expect("fit")))
    });
    g.finish();
}

criterion_group!(benches, bench_ridge);
criterion_main!(benches);

//! Steps per second of the ESN update for N = 100, 500 and 2000, with a sparse `W`
//! (10 % connectivity, the default) and with the same `W` stored dense; and the time to compute
//! the spectral radius of a sparse `W` of 1,000–4,000 units.
//!
//! The whole `physrc run` on NARMA10 with N = 500 can only stay several times faster than
//! reservoirpy (`benches/peers/narma10_vs_reservoirpy.py`) if the N = 500 sparse step stays
//! well under 10 µs.
//!
//! Run with `cargo bench -p physrc-esn --bench esn`; the reported throughput is in steps/s.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use physrc_core::Reservoir;
use physrc_esn::{Esn, EsnParams, StepThreads, Storage};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn bench_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("esn_run");
    group.sample_size(10);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let inputs = Array2::from_shape_fn((2_000, 1), |_| rng.random_range(-1.0..=1.0));
    for units in [100usize, 500, 2000] {
        let mut params = EsnParams::new(units, 1);
        params.spectral_radius = 0.9;
        params.connectivity = 0.1;
        params.leak_rate = 0.3;
        let esn = Esn::new(&params).expect("valid parameters");
        for storage in [Storage::Sparse, Storage::Dense] {
            let mut esn = esn.clone().with_storage(storage);
            // Fewer steps per iteration where a step is slow, so a sample stays short.
            let steps = if units == 2000 && storage == Storage::Dense {
                200
            } else {
                2_000
            };
            let u = inputs.slice(ndarray::s![..steps, ..]);
            let label = match storage {
                Storage::Sparse => "sparse-0.1",
                _ => "dense",
            };
            group.throughput(Throughput::Elements(steps as u64));
            group.bench_with_input(BenchmarkId::new(label, units), &units, |b, _| {
                b.iter(|| {
                    esn.reset().expect("reset");
                    black_box(esn.run(u).expect("run"))
                })
            });
        }
    }
    group.finish();
}

/// The spectral radius of a random `W` with 10 % connectivity, the cost of generating an ESN
/// beyond the draw itself: N = 4,000 should stay under half a second.
fn bench_spectral_radius(c: &mut Criterion) {
    let mut group = c.benchmark_group("spectral_radius");
    group.sample_size(10);
    for units in [1000usize, 2000, 4000] {
        let mut rng = ChaCha8Rng::seed_from_u64(units as u64);
        let w = Array2::from_shape_fn((units, units), |_| {
            if rng.random_bool(0.1) {
                rng.sample::<f64, _>(rand_distr::StandardNormal)
            } else {
                0.0
            }
        });
        group.bench_with_input(BenchmarkId::new("sparse-0.1", units), &units, |b, _| {
            b.iter(|| black_box(physrc_esn::spectral_radius(w.view()).expect("converges")))
        });
    }
    group.finish();
}

/// A step on one thread against the same step with `W·x` split over two (the states are the
/// same bits): where the split pays is where `StepThreads::Auto` switches.
fn bench_step_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("esn_step_threads");
    group.sample_size(10);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let inputs = Array2::from_shape_fn((500, 1), |_| rng.random_range(-1.0..=1.0));
    for units in [500usize, 1000, 2000, 4000] {
        let mut params = EsnParams::new(units, 1);
        params.spectral_radius = 0.9;
        let esn = Esn::new(&params).expect("valid parameters");
        for (label, threads) in [("one", StepThreads::One), ("two", StepThreads::Two)] {
            let mut esn = esn.clone().with_step_threads(threads);
            group.throughput(Throughput::Elements(inputs.nrows() as u64));
            group.bench_with_input(BenchmarkId::new(label, units), &units, |b, _| {
                b.iter(|| {
                    esn.reset().expect("reset");
                    black_box(esn.run(inputs.view()).expect("run"))
                })
            });
        }
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_run,
    bench_spectral_radius,
    bench_step_threads
);
criterion_main!(benches);

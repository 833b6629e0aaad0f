//! The flatspin field loop of Jensen et al. (2020): square closed ice, alpha 0.001, hc 0.2, disorder 0.05, a ramp −0.1 → 0.1 → −0.1 T at 45°
//! in 200 field steps with a relax after each. flatspin 2.6's OpenCL path (pocl, 2 CPU cores)
//! took 108 s for the 100×100 array on this class of machine.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use physrc_nanomagnet::{Layout, ModelParams, SpinIce};

/// The loop's 200-step triangular ramp at 45°.
fn ramp(steps: usize) -> Vec<[f64; 2]> {
    let half = steps / 2;
    let (c, s) = (45f64.to_radians().cos(), 45f64.to_radians().sin());
    (0..steps)
        .map(|t| {
            let h = if t < half {
                -0.1 + 0.2 * t as f64 / half as f64
            } else {
                0.1 - 0.2 * (t - half) as f64 / (steps - half) as f64
            };
            [h * c, h * s]
        })
        .collect()
}

fn model(n: usize) -> SpinIce {
    let params = ModelParams {
        disorder: 0.05,
        random_seed: 1,
        ..ModelParams::default()
    }
    .check()
    .expect("valid parameters");
    SpinIce::new(
        Layout::square_closed(n, n, 1.0).expect("valid size"),
        params,
    )
    .expect("valid model")
}

fn field_loop(c: &mut Criterion) {
    let fields = ramp(200);
    let mut group = c.benchmark_group("square_closed_200_step_loop");
    group.sample_size(10);
    for n in [10usize, 25, 100] {
        let base = model(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let mut ice = base.clone();
                let mut flips = 0;
                for h in &fields {
                    ice.set_field(*h).expect("finite field");
                    flips += ice.relax().flips;
                }
                flips
            })
        });
    }
    group.finish();
}

criterion_group!(benches, field_loop);
criterion_main!(benches);

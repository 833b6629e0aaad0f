//! What the energy accounting costs next to the step it accounts for, for the ESN at N = 500
//! and the square-ice nanomagnet array of the comparison (100 magnets, loop encoder).
//!
//! - `step/*`: one substrate step (`Reservoir::run` over 2,000 inputs, per input).
//! - `account/*`: the whole breakdown of a 2,000-step run (`physrc::energy::breakdown`: the
//!   readout and training counts and, for the array, the coil model's pass over the 2,000
//!   inputs), per input.
//!
//! The ESN's own estimate adds one integer increment to its step (the counts are fixed when it
//! is built), which `step/esn-500` includes. The accounting is under 2 % of a step when
//! `account/X` is below 2 % of `step/X`; `docs/performance.md` records the figures.
//!
//! Run with `cargo bench -p physrc --bench energy`.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use physrc::config::RunConfig;
use physrc::energy::{RunFacts, breakdown};
use physrc::substrate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const STEPS: usize = 2_000;

const SUBSTRATES: &[(&str, &str)] = &[
    (
        "esn-500",
        "kind = \"esn\"\nunits = 500\nspectral_radius = 0.9\nconnectivity = 0.1\nseed = 1",
    ),
    (
        "nanomagnet-square-100",
        "kind = \"nanomagnet\"\ngeometry = \"square-open\"\nsize = [10, 10]\ndisorder = 0.05\n\
         encoder = \"loop\"\nh_min = 0.076\nh_max = 0.086\nphi = 45",
    ),
];

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let inputs = Array2::from_shape_fn((STEPS, 1), |_| rng.random_range(-1.0..=1.0));
    let mut group = c.benchmark_group("energy");
    group.sample_size(10);
    group.throughput(Throughput::Elements(STEPS as u64));
    for (name, table) in SUBSTRATES {
        let text = format!(
            "[substrate]\n{table}\n[task]\nkind = \"narma10\"\n\
             [split]\nwashout = 100\ntrain = 1400\ntest = 500\n\
             [readout]\nkind = \"ridge-cv\"\n"
        );
        let cfg = RunConfig::from_toml_str(&text, Path::new("."), "bench").expect("config");
        let kind = cfg.substrate_kind().expect("kind").to_owned();
        let mut r = substrate::build(&kind, &cfg, 1).expect("builds");
        group.bench_with_input(BenchmarkId::new("step", name), name, |b, _| {
            b.iter(|| {
                r.reset().expect("reset");
                black_box(r.run(inputs.view()).expect("runs"))
            })
        });
        let info = r.info();
        let facts = RunFacts {
            info: &info,
            inputs: inputs.view(),
            substrate_joules: r.energy(),
            steps: STEPS,
            train_rows: 1_400,
            state_dim: r.state_dim(),
            features: r.state_dim(),
            outputs: 1,
        };
        group.bench_with_input(BenchmarkId::new("account", name), name, |b, _| {
            b.iter(|| black_box(breakdown(&cfg, black_box(&facts)).expect("breakdown")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

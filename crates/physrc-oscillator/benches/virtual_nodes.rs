//! Virtual-node throughput of the oscillator reservoirs: one input step of each model, timed
//! per virtual node (criterion reports elements per second = virtual nodes per second).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use physrc_core::Reservoir;
use physrc_oscillator::{
    DelayConfig, DelayReservoir, StnoConfig, StnoReservoir, StuartLandauConfig,
    StuartLandauReservoir,
};

/// A fixed, varied input sequence in [-1, 1] (no RNG needed).
fn inputs(n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| ((k as f64) * 0.618_033_988_75).fract() * 2.0 - 1.0)
        .collect()
}

fn bench_step<R: Reservoir>(c: &mut Criterion, group: &str, id: String, mut r: R, nodes: u64) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(nodes));
    let u = inputs(1024);
    let mut out = vec![0.0; r.state_dim()];
    let mut k = 0usize;
    g.bench_function(BenchmarkId::from_parameter(id), |b| {
        b.iter(|| {
            k = (k + 1) % u.len();
            r.step(&[u[k]], &mut out).expect("valid input");
        })
    });
    g.finish();
}

fn delay(c: &mut Criterion) {
    for &n in &[100usize, 400, 1600] {
        let cfg = DelayConfig {
            nodes: n,
            ..DelayConfig::default()
        };
        let r = DelayReservoir::new(&cfg, 1).expect("valid config");
        bench_step(c, "delay", format!("N={n}"), r, n as u64);
    }
}

fn stno(c: &mut Criterion) {
    for &substeps in &[10usize, 40] {
        let cfg = StnoConfig {
            virtual_nodes: 50,
            substeps,
            ..StnoConfig::default()
        };
        let r = StnoReservoir::new(&cfg, 1).expect("valid config");
        bench_step(c, "stno", format!("M=50,substeps={substeps}"), r, 50);
    }
}

fn stuart_landau(c: &mut Criterion) {
    for &n in &[10usize, 50, 200] {
        let cfg = StuartLandauConfig {
            oscillators: n,
            ..StuartLandauConfig::default()
        };
        let r = StuartLandauReservoir::new(&cfg, 1).expect("valid config");
        bench_step(
            c,
            "stuart-landau",
            format!("N={n},substeps=20"),
            r,
            n as u64,
        );
    }
}

criterion_group!(benches, delay, stno, stuart_landau);
criterion_main!(benches);

//! Batched throughput over a wire paced like a 115,200-baud serial line.
//!
//! The emulator serves the firmware core in this process, throttled to 10 bits a byte, with
//! the default 10×10 square-ice sample read as a 64-channel spectrum. Each input is two field
//! set points (the loop encoder) and one 64-channel measurement of 128 bytes of codes. The
//! wire's limit is 11,520 B/s ÷ 128 B = 90 measurements per second; the bench reports the
//! measured rate and its fraction of that limit.

use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use physrc_core::Reservoir;
use physrc_rig::RigConfig;

const BAUD: u32 = 115_200;
const INPUTS: usize = 256;

fn rig() -> physrc_rig::RigReservoir {
    let c: RigConfig = toml::from_str(
        "encoder = \"loop\"\nh_min = 0.062\nh_max = 0.086\nphi = 45\nsettle = 0\nbatch = 256",
    )
    .expect("a valid table");
    c.build_paced(Path::new("."), 1, BAUD)
        .expect("the emulator starts")
}

fn bench(c: &mut Criterion) {
    let mut r = rig();
    assert_eq!(r.state_dim(), 64);
    let u = Array2::from_shape_fn((INPUTS, 1), |(i, _)| ((i as f64) * 0.37).sin());
    r.reset().expect("reset");
    // One run outside the timing: the figure the docs quote.
    let t = Instant::now();
    r.run(u.view()).expect("run");
    let rate = INPUTS as f64 / t.elapsed().as_secs_f64();
    let limit = f64::from(BAUD) / 10.0 / (64.0 * 2.0);
    eprintln!(
        "rig throughput: {rate:.1} measurements/s, wire limit {limit:.1}/s, {:.1} % of the limit",
        100.0 * rate / limit
    );
    let mut g = c.benchmark_group("rig");
    g.sample_size(10);
    g.throughput(Throughput::Elements(INPUTS as u64));
    g.bench_function("batched_64ch_115200baud", |b| {
        b.iter(|| r.run(u.view()).expect("run"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Device-pulse throughput: how many pulses per second one core applies to one device, and a
//! whole reservoir step (Zhong's Hénon setting, N·M = 100 pulses per input).
//!
//! Fixed seeds and a fixed pulse train; run with
//! `cargo bench -p physrc-memristor --bench pulse`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use physrc_core::Reservoir;
use physrc_memristor::{
    Device, Du2017, DuParams, Hp, HpParams, MemristorReservoir, ReservoirParams, Vteam,
    VteamParams, Zhong2021, ZhongParams,
};

/// A reproducible pulse train in `[lo, hi]` (SplitMix64, no dependency).
fn train(n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let mut s: u64 = 0x1234_5678;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            lo + (hi - lo) * ((z >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

fn pulses<D: Device>(c: &mut Criterion, name: &str, mut dev: D, volts: &[f64], width: f64) {
    let mut g = c.benchmark_group("device_pulse");
    g.throughput(Throughput::Elements(volts.len() as u64));
    g.bench_function(name, |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for &v in volts {
                acc += dev.apply(black_box(v), width).expect("valid pulse").current;
            }
            black_box(acc)
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let zhong = train(4096, -0.8, 2.5);
    pulses(
        c,
        "zhong2021",
        Zhong2021::new(ZhongParams::default()).unwrap(),
        &zhong,
        4e-6,
    );
    pulses(
        c,
        "du2017",
        Du2017::new(DuParams::default()).unwrap(),
        &train(4096, 0.0, 1.5),
        0.5e-3,
    );
    pulses(
        c,
        "hp",
        Hp::new(HpParams::default()).unwrap(),
        &train(1024, -5.0, 5.0),
        10e-3,
    );
    pulses(
        c,
        "vteam",
        Vteam::new(VteamParams::default()).unwrap(),
        &train(1024, 0.0, 1.0),
        10e-9,
    );

    // One reservoir step of Zhong's Hénon setting: 25 devices × 4 pulses.
    let mut r = MemristorReservoir::new(ReservoirParams::zhong_henon(0)).unwrap();
    let inputs = train(1000, -1.0, 1.0);
    let mut out = vec![0.0; r.state_dim()];
    let mut g = c.benchmark_group("reservoir_step");
    g.throughput(Throughput::Elements((inputs.len() * 100) as u64));
    g.bench_function("zhong2021_henon_1000_steps", |b| {
        b.iter(|| {
            for &u in &inputs {
                r.step(&[black_box(u)], &mut out).expect("valid input");
            }
            black_box(out[0])
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

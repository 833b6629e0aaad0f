//! The cost of the Kittel FMR readout against the relax step it follows: 10×10 square closed
//! ice (220 bars) with device-scale bars (600 × 150 × 20 nm permalloy, 5 % threshold
//! disorder), the `loop` drive over 36–42 mT at 45°, inside the narrow bars' switching window,
//! one input per iteration. `relax_step` drives the array with the spins readout (a copy of
//! 220 values); `fmr_read_400` reads the 400-channel `dP/dH` spectrum of the state the step
//! left, with noise and drift on.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use physrc_core::Reservoir;
use physrc_nanomagnet::NanomagnetConfig;

fn reservoir(readout: &str) -> physrc_nanomagnet::NanomagnetReservoir {
    let text = format!(
        "geometry = \"square-closed\"\nsize = [10, 10]\ndisorder = 0.05\nrandom_seed = 1\n\
         h_min = 0.036\nh_max = 0.042\nphi = 45\nreadout = \"{readout}\"\n[bar]\n{}",
        if readout == "fmr" {
            "[fmr]\nbins = 400\nnoise = 0.002\ndrift = 0.02\n"
        } else {
            ""
        }
    );
    let cfg: NanomagnetConfig = toml::from_str(&text).expect("a valid config");
    cfg.build(Path::new("."), 1).expect("builds")
}

fn fmr_vs_relax(c: &mut Criterion) {
    let inputs: Vec<f64> = (0..256)
        .map(|t| (2.0 * std::f64::consts::PI * t as f64 / 30.0).sin())
        .collect();
    let mut group = c.benchmark_group("square_closed_10x10_per_input");
    let mut spins = reservoir("spins");
    let mut state = vec![0.0; spins.state_dim()];
    let mut t = 0;
    group.bench_function("relax_step", |b| {
        b.iter(|| {
            t = (t + 1) % inputs.len();
            spins.step(&[inputs[t]], &mut state).expect("valid input");
            state[0]
        })
    });
    let mut fmr = reservoir("fmr");
    let mut spectrum = vec![0.0; fmr.state_dim()];
    for &u in &inputs[..64] {
        fmr.step(&[u], &mut spectrum).expect("valid input");
    }
    group.bench_function("fmr_read_400", |b| {
        b.iter(|| {
            fmr.read_state(&mut spectrum).expect("right length");
            spectrum[0]
        })
    });
    let mut t = 0;
    // The read above sees one state; the spectrum of a changing state costs the same per
    // distinct line, so also time step + read together.
    group.bench_function("relax_step_and_fmr_read_400", |b| {
        b.iter(|| {
            t = (t + 1) % inputs.len();
            fmr.step(&[inputs[t]], &mut spectrum).expect("valid input");
            spectrum[0]
        })
    });
    group.finish();
}

criterion_group!(benches, fmr_vs_relax);
criterion_main!(benches);

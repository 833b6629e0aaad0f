//! Linear memory capacity (Jaeger, GMD Report 152, 2001) of each oscillator reservoir,
//! measured by `physrc run` with `[task] kind = "memory-capacity"`: one ridge readout per delay
//! k = 0 … K, K = min(2 · state_dim, train / 4), trained on 3000 steps and scored on 2000
//! held-out steps of an i.i.d. U[−1, 1] input; `metrics.memory_capacity` sums k ≥ 1.
//!
//! MC is bounded by the number of linearly independent state components (Jaeger's theorem),
//! and a reservoir that only echoes its current input has MC ≈ 0. The floors below sit about
//! 10 % under the value measured when they were set (printed by each test), so losing the
//! fading memory fails while the scoring's finite-sample scatter does not: with 2000 test
//! steps a useless readout's r² is about 1 / 2000 per delay, under the 0.01 below which a
//! delay counts as 0.

use std::path::Path;

use physrc::config::{ReadoutConfig, RidgeSettings, RidgeSolver, RunConfig};
use physrc::experiment;

/// The memory-capacity task, split and a ridge readout of penalty `alpha` on `substrate`.
fn memory_capacity(name: &str, substrate: toml::Table, alpha: f64) -> f64 {
    let mut cfg = RunConfig::from_toml_str(
        "[substrate]\nkind = \"oscillator\"\n[task]\nkind = \"memory-capacity\"\nseed = 11\n\
         [split]\nwashout = 200\ntrain = 3000\ntest = 2000\n",
        Path::new("."),
        name,
    )
    .unwrap();
    cfg.substrate = substrate;
    cfg.readout = ReadoutConfig::Ridge(RidgeSettings {
        alpha,
        features: Default::default(),
        standardize: false,
        solver: RidgeSolver::Cholesky,
    });
    let out = experiment::run(&cfg).unwrap_or_else(|e| panic!("{name}: {e}"));
    let m = &out.report.metrics;
    let per = out
        .report
        .capacity
        .and_then(|c| c.memory_per_delay)
        .unwrap_or_default();
    let head: Vec<String> = per.iter().take(13).map(|v| format!("{v:.3}")).collect();
    eprintln!(
        "{name}: MC = {:.3} over {} delays; MC_0..12 = [{}]",
        m["memory_capacity"],
        m["memory_capacity_max_delay"],
        head.join(", ")
    );
    m["memory_capacity"]
}

/// The `[substrate]` table and ridge penalty of a committed config.
fn committed(name: &str) -> (toml::Table, f64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("configs")
        .join(name);
    let cfg = RunConfig::from_path(&path).unwrap();
    let alpha = match &cfg.readout {
        ReadoutConfig::Ridge(r) => r.alpha,
        ReadoutConfig::Classifier(c) => c.alpha,
        other => panic!("{name}: a fixed-penalty readout, not {other:?}"),
    };
    (cfg.substrate, alpha)
}

#[test]
fn delay_reservoir_memory_capacity() {
    let (sub, alpha) = committed("appeltant2011-narma10-desync.toml");
    let mc = memory_capacity("delay (appeltant2011-narma10-desync)", sub, alpha);
    // NARMA10 needs about 10 steps of memory; Appeltant's operating point (η = 0.4, a weak
    // input) is nearly linear, so the 400 virtual nodes hold the input for many frames.
    assert!(mc >= FLOOR_DELAY, "delay MC {mc}");
}

#[test]
fn stno_memory_capacity() {
    let (sub, alpha) = committed("riou2019-waveform.toml");
    let mc = memory_capacity("stno (riou2019-waveform)", sub, alpha);
    // One oscillator's amplitude relaxes at about 2 Γ_G |ζ − 1| ≈ 0.02 / ns, well within one
    // 480 ns frame (24 nodes × 20 ns), and thermal noise blurs the rest: on its own it keeps
    // about one step. The config's delayed feedback carries the amplitude into the next
    // frames, which the sine/square task needs (tests/published.rs).
    assert!(mc >= FLOOR_STNO, "stno MC {mc}");
}

#[test]
fn stuart_landau_memory_capacity() {
    let mut sub = toml::Table::new();
    sub.insert("kind".into(), "oscillator".into());
    sub.insert("model".into(), "stuart-landau".into());
    let mc = memory_capacity("stuart-landau (defaults, 50 oscillators)", sub, 1e-9);
    // 50 oscillators below the Hopf point (λ = −0.2) with weak coupling decay over ~1/0.2 time
    // units = 2.5 frames each on their own; the coupling and detuning spread that memory.
    assert!(mc >= FLOOR_SL, "stuart-landau MC {mc}");
}

// Measured (seed 11 stream, 200 / 3000 / 2000 steps): delay (desynchronised loop) 10.89 over
// 750 delays (MC_1..7 = 1.000, MC_8 = 0.992, MC_9 = 0.922, then a tail from the η^k decay;
// the synchronised loop of appeltant2011-narma10.toml gives 8.85), STNO with the config's
// feedback loop 2.43 (MC_1 = 0.954, MC_2 = 0.843, MC_3 = 0.372, nothing beyond MC_5),
// Stuart–Landau 7.83. Floors sit about 10 % below.
const FLOOR_DELAY: f64 = 9.7;
const FLOOR_STNO: f64 = 2.2;
const FLOOR_SL: f64 = 7.0;

//! Linear memory capacity (Jaeger, GMD Report 152, 2001) of each oscillator reservoir:
//! `MC = Σ_k r²(u(t − k), ŷ_k(t))` over delays `k = 1..K`, each `ŷ_k` a ridge readout
//! trained on 3000 steps and scored on 2000 held-out steps of an i.i.d. `U[−1, 1]` input.
//!
//! MC is bounded by the number of linearly independent state components (Jaeger's theorem),
//! and a reservoir that only echoes its current input has MC ≈ 0 (delay ≥ 1). The floors below
//! were set from a first measurement (printed by each test) a little under the measured value,
//! so a regression that destroys the fading memory fails, while seeds of the scoring are not
//! tight. With 2000 test steps the chance r² of a useless readout is about 1/2000 per delay, so
//! the bias over K delays is at most K/2000 (≤ 0.1 here), far below every floor.

mod common;

use physrc_oscillator::{OscillatorConfig, StuartLandauConfig};

fn report(name: &str, cfg: &OscillatorConfig, k: usize, alpha: f64) -> f64 {
    let (mc, per) = common::memory_capacity(cfg, k, 200, 3000, 2000, alpha);
    let head: Vec<String> = per.iter().take(12).map(|v| format!("{v:.3}")).collect();
    eprintln!(
        "{name}: MC = {mc:.3} over {k} delays; MC_1..12 = [{}]",
        head.join(", ")
    );
    mc
}

#[test]
fn delay_reservoir_memory_capacity() {
    let run = common::load("appeltant2011-narma10.toml", None);
    let mc = report(
        "delay (appeltant2011-narma10)",
        &run.substrate,
        100,
        run.alpha,
    );
    // NARMA10 needs about 10 steps of memory; Appeltant's operating point (η = 0.4, a weak
    // input) is nearly linear, so the 400 virtual nodes hold the input for many frames.
    assert!(mc >= FLOOR_DELAY, "delay MC {mc}");
}

#[test]
fn stno_memory_capacity() {
    let run = common::load("torrejon2017-waveform.toml", None);
    let mc = report(
        "stno (torrejon2017-waveform)",
        &run.substrate,
        40,
        run.alpha,
    );
    // One oscillator's amplitude relaxes at about 2 Γ_G |ζ − 1| ≈ 0.02 / ns, well within one
    // 480 ns frame (24 nodes × 20 ns), and thermal noise blurs the rest: one step of memory.
    assert!(mc >= FLOOR_STNO, "stno MC {mc}");
}

#[test]
fn stuart_landau_memory_capacity() {
    let cfg = OscillatorConfig::StuartLandau(StuartLandauConfig::default());
    let mc = report("stuart-landau (defaults, 50 oscillators)", &cfg, 100, 1e-9);
    // 50 oscillators below the Hopf point (λ = −0.2) with weak coupling decay over ~1/0.2 time
    // units = 2.5 frames each on their own; the coupling and detuning spread that memory.
    assert!(mc >= FLOOR_SL, "stuart-landau MC {mc}");
}

// First measurement (seed 11 stream, 200 / 3000 / 2000 steps): delay 8.84 at τ = N θ (MC_1..5 ≈ 1,
// then a tail from the η^k decay), 11.74 with the config's τ = (N + 3) θ (MC_1..8 ≈ 1, MC_9 =
// 0.97, MC_10 = 0.83), STNO 1.03 (MC_1 = 0.99, nothing beyond: the amplitude relaxes within
// one 480 ns frame), Stuart–Landau 7.92. Floors sit ~10 % below, well above the K/2000 chance
// level, so losing the fading memory (or, for the STNO, the one-step memory) fails the test.
const FLOOR_DELAY: f64 = 10.5;
const FLOOR_STNO: f64 = 0.9;
const FLOOR_SL: f64 = 7.0;

//! The published results the committed configs reproduce, measured exactly as `physrc run`
//! measures them: each test reads a file in `configs/` with `RunConfig::from_path`, runs it
//! with `physrc::experiment::run` for seeds 0–9 (`--seed N` re-seeds the substrate and, where
//! it is random, the task) and asserts on the metric the report gives, against the figure of
//! the paper named next to the assertion.
//!
//! The per-seed values are printed; run with `--nocapture` to see them.

use std::path::Path;

use physrc::config::{ReadoutConfig, RidgeSolver, RunConfig};

mod common;
use common::{mean, per_seed};

/// Seeds 0–9: the ten runs every published figure below is averaged over.
const SEEDS: u64 = 10;

fn config(name: &str) -> RunConfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("configs")
        .join(name);
    RunConfig::from_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Zhong et al., Nat. Commun. 12, 408 (2021), Fig. 4: one-step Hénon prediction with 25
/// dynamic memristors, M = 4, reaches NRMSE 0.046 on real devices.
///
/// The noise-free model must do at least as well: measured 0.0143 ± 0.0017.
#[test]
fn zhong2021_henon_reaches_the_paper_nrmse() {
    let v = per_seed(&config("zhong2021-henon.toml"), "nrmse", SEEDS);
    let m = mean("zhong2021-henon NRMSE", &v);
    // Zhong et al., Nat. Commun. 12, 408 (2021), Fig. 4: NRMSE 0.046.
    assert!(m <= 0.046, "mean NRMSE {m} above the paper's 0.046");
    // The process noise σ = 0.0025 against the map's spread (sd ≈ 0.72) bounds the one-step
    // NRMSE below by about 0.0035: a run under it would be predicting the noise.
    assert!(v.iter().all(|&e| e > 0.003), "{v:?}");
}

/// Zhong et al., Nat. Commun. 12, 408 (2021) classify sine from square waveforms with 10
/// parallel memristors (M = 4, 2000/2000 samples of their official code). They give no
/// per-step accuracy this config could be compared with (docs/physics/memristor.md), so the
/// bound 0.98 is ours; measured 1.000 at every seed.
#[test]
fn zhong2021_waveform_classifies_sine_and_square() {
    let v = per_seed(&config("zhong2021-waveform.toml"), "accuracy", SEEDS);
    let m = mean("zhong2021-waveform accuracy", &v);
    assert!(m >= 0.98, "mean accuracy {m}");
}

/// Appeltant et al., Nat. Commun. 2, 468 (2011): one Mackey–Glass node with 400 virtual
/// nodes reaches NARMA10 NRMSE ≈ 0.15.
///
/// With the paper's synchronised loop (τ = N θ, `appeltant2011-narma10.toml`) the model gives
/// 0.243 ± 0.022 over seeds 0–9, above that figure (its `[expect]` table pins it). The
/// desynchronised loop (τ = 403 θ, `appeltant2011-narma10-desync.toml`) reaches 0.188 ± 0.031
/// with the readout solved on the states themselves (`solver = "svd"`); the test allows 0.05
/// above the paper's figure. The second half shows
/// why the config needs that solver: at η = 0.4 the loop forgets by η per frame, so the
/// u(k)·u(k−9) product NARMA10 needs sits ~1e-7 below the states' leading direction, and the
/// normal equations (`solver = "cholesky"`) square it below the rounding of XᵀX. Measured
/// 0.426 ± 0.033 that way.
#[test]
fn appeltant2011_delay_reservoir_reaches_the_paper_narma10_nrmse() {
    let cfg = config("appeltant2011-narma10-desync.toml");
    let svd = mean(
        "appeltant2011-narma10-desync NRMSE, solver = svd",
        &per_seed(&cfg, "nrmse", SEEDS),
    );
    // Appeltant et al., Nat. Commun. 2, 468 (2011): NRMSE ≈ 0.15.
    assert!(svd <= 0.15 + 0.05, "mean NRMSE {svd} above 0.20");

    let mut gram = cfg.clone();
    let ReadoutConfig::Ridge(r) = &mut gram.readout else {
        panic!("the config's readout is a ridge")
    };
    r.solver = RidgeSolver::Cholesky;
    let chol = mean(
        "appeltant2011-narma10-desync NRMSE, solver = cholesky",
        &per_seed(&gram, "nrmse", SEEDS),
    );
    assert!(
        chol >= svd + 0.15,
        "the normal equations should lose the NARMA product: {chol} against {svd} on the states"
    );
}

/// One spin-torque nano-oscillator time-multiplexed into virtual neurons (Torrejon et al.,
/// Nature 547, 428 (2017)) with the delayed feedback of Riou et al. (Phys. Rev. Applied 12,
/// 024049 (2019)) classifies sine from square periods (`riou2019-waveform.toml`); Marković et
/// al., APL 114, 012409 (2019) report more than 99 % with a single oscillator.
///
/// Measured: 0.9965 at seed 0, 0.9950 over seeds 0–9 (min 0.9825). At steps 2 and 6 of a
/// period both classes have the same input and only the previous sample tells them apart; the
/// oscillator forgets it within one 480 ns frame, below the thermal fluctuations, so the config
/// feeds the amplitude back through a delay loop (Riou et al., Phys. Rev. Applied 12, 024049
/// (2019)). Without the loop the same device scores 0.9425 at seed 0, and 1.0 without noise,
/// where the tiny residual memory of the previous sample is exact.
#[test]
fn riou2019_feedback_oscillator_classifies_sine_and_square_as_published() {
    let cfg = config("riou2019-waveform.toml");
    let seeds = per_seed(&cfg, "accuracy", SEEDS);
    let m = mean("riou2019-waveform accuracy", &seeds);
    // Marković et al., APL 114, 012409 (2019): > 99 % with a single oscillator.
    assert!(m >= 0.99, "mean accuracy {m} below the published 0.99");

    // Seed 0 is the config as written.
    let with_loop = seeds[0];
    let mut open_loop = cfg.clone();
    open_loop
        .substrate
        .insert("feedback_ma".to_owned(), toml::Value::Float(0.0));
    let without = per_seed(&open_loop, "accuracy", 1)[0];
    eprintln!("riou2019-waveform seed 0: {with_loop:.4} with the loop, {without:.4} without");
    assert!(
        with_loop - without >= 0.03,
        "the loop should carry the previous sample: {with_loop} with it, {without} without"
    );
    open_loop
        .substrate
        .insert("thermal_power".to_owned(), toml::Value::Float(0.0));
    let quiet = per_seed(&open_loop, "accuracy", 1)[0];
    eprintln!("riou2019-waveform seed 0 without loop and noise: {quiet:.4}");
    assert!(quiet >= 0.98, "noise-free open-loop accuracy {quiet}");
}

/// One vortex spin-torque nano-oscillator without a feedback loop, time-multiplexed as in
/// Torrejon et al., Nature 547, 428 (2017) (`torrejon2017-waveform.toml`: amplitude relaxation
/// 200 ns, θ = 100 ns, 24 virtual neurons, the thermal noise of the auto-oscillator theory at
/// 300 K for a vortex of gyration energy 8.5e-18 J). A loop-free oscillator would need more
/// than 0.95 per step to stand beside the > 99 % of Marković et al., APL 114, 012409 (2019).
///
/// Measured 0.8695 ± 0.0119 over seeds 0–4, at the bound 14/16 = 0.875 of a classifier that
/// has no memory of the previous sample, and 0.993 without noise: the thermal noise erases
/// the residue of the previous sample that the relaxation carries (docs/physics/oscillator.md).
#[test]
fn torrejon2017_loop_free_oscillator_is_held_at_the_memoryless_bound_by_thermal_noise() {
    let cfg = config("torrejon2017-waveform.toml");
    let m = mean(
        "torrejon2017-waveform accuracy",
        &per_seed(&cfg, "accuracy", 5),
    );
    // Everything a classifier can do from the current sample alone: 14/16.
    assert!(m >= 0.85, "mean accuracy {m}");
    // FIXME: the loop-free claim (≥ 0.95 per step over seeds 0–4) is not reproduced.
    assert!(
        m < 0.95,
        "the loop-free oscillator now reaches {m}: update this test, the config's [expect] \
         and docs/physics/oscillator.md"
    );

    let mut quiet = cfg.clone();
    quiet.substrate.remove("temperature_k");
    quiet.substrate.remove("mode_energy_j");
    quiet
        .substrate
        .insert("thermal_power".to_owned(), toml::Value::Float(0.0));
    let q = mean(
        "torrejon2017-waveform accuracy without noise",
        &per_seed(&quiet, "accuracy", 5),
    );
    assert!(
        q >= 0.98,
        "without noise the relaxation should carry the previous sample: {q}"
    );
}

/// Gartside et al., Nat. Nanotechnol. 17, 460 (2022) and Stenning et al., Nat. Commun.
/// (2024) find that nanomagnet arrays with vortex states read by their FMR spectrum beat
/// macrospin square ice on sin(t) → cos(2t)·sin(3t); Stenning et al. give a 31.6× lower MSE.
///
/// The model shows that gap between the spin-vortex ice read by FMR
/// (`nanomagnet-svi-transform.toml`) and macrospin ice read by its spins
/// (`nanomagnet-square-transform.toml`): measured NRMSE 0.0078 against 0.434 over seeds 0–9.
/// It does not show it between the two arrays read the same way: macrospin ice read by FMR
/// (`nanomagnet-square-fmr-transform.toml`) scores 0.0074, because the target is a polynomial
/// of the current input and the spectrum, read under the applied field, already carries it
/// (docs/physics/nanomagnet.md). The last assertion pins that shortfall of the model.
#[test]
fn nanomagnet_transform_vortex_ice_with_fmr_beats_macrospin_spins_as_published() {
    let svi = mean(
        "nanomagnet-svi-transform MSE",
        &per_seed(&config("nanomagnet-svi-transform.toml"), "mse", SEEDS),
    );
    let spins = mean(
        "nanomagnet-square-transform MSE",
        &per_seed(&config("nanomagnet-square-transform.toml"), "mse", SEEDS),
    );
    let fmr = mean(
        "nanomagnet-square-fmr-transform MSE",
        &per_seed(
            &config("nanomagnet-square-fmr-transform.toml"),
            "mse",
            SEEDS,
        ),
    );
    eprintln!(
        "MSE ratios: macrospin spins / vortex FMR {:.1}, macrospin FMR / vortex FMR {:.2}",
        spins / svi,
        fmr / svi
    );
    // Stenning et al., Nat. Commun. (2024): 31.6× lower MSE than macrospin ice.
    assert!(
        spins / svi >= 31.6,
        "vortex ice with FMR only {:.1}× better than macrospin spins",
        spins / svi
    );
    // FIXME: with the same readout the model's vortices give no such gain (see above).
    assert!(
        fmr / svi < 31.6,
        "the model now reproduces the readout-matched gap: {:.1}×; update this test and \
         docs/physics/nanomagnet.md",
        fmr / svi
    );
}

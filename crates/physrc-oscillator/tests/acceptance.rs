//! Acceptance figures of issue 5, measured from the repository's run configs exactly as
//! `physrc run` reads them (see `common`): Appeltant's delay reservoir on NARMA10 and
//! Torrejon's spin-torque oscillator on sine-versus-square classification.

mod common;

use ndarray::{Array2, s};
use physrc_tasks::Targets;

/// Test NRMSE of `configs/appeltant2011-narma10.toml` on NARMA10 for seeds 0..10 (substrate
/// mask and NARMA input stream both re-seeded, as `physrc run --seed` does), with the runner's
/// Gram-matrix ridge (`exact = false`) or a least-squares solve on the state matrix
/// (`exact = true`, [`common::lstsq_svd`]).
fn appeltant_scores(exact: bool) -> Vec<f64> {
    (0..10)
        .map(|seed| {
            let run = common::load("appeltant2011-narma10.toml", Some(seed));
            let (data, states) = common::drive(&run);
            let Targets::Regression(y) = &data.targets else {
                panic!("narma10 is a regression task")
            };
            let tr = run.washout..run.washout + run.train;
            let te = run.washout + run.train..run.washout + run.train + run.test;
            let (xs, ys) = (states.slice(s![tr.clone(), ..]), y.slice(s![tr, ..]));
            let fit = if exact {
                common::lstsq_svd(xs, ys)
            } else {
                common::ridge(xs, ys, run.alpha)
            };
            let pred = fit.predict(states.slice(s![te.clone(), ..]));
            common::nrmse(pred.view(), y.slice(s![te, ..]))
        })
        .collect()
}

fn summary(what: &str, scores: &[f64]) -> f64 {
    let n = scores.len() as f64;
    let mean = scores.iter().sum::<f64>() / n;
    let sd = (scores.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let (lo, hi) = scores
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    eprintln!(
        "appeltant NARMA10 test NRMSE ({what}) over 10 seeds: mean {mean:.4} ± {sd:.4} (sd), range [{lo:.4}, {hi:.4}]; {scores:?}"
    );
    mean
}

/// NARMA10 with the delay reservoir of Appeltant et al., Nat. Commun. 2, 468 (2011), over 10
/// seeds, read out through the Gram matrix (`solver = "cholesky"`, the runner's default).
///
/// This is not the acceptance figure: the config uses `solver = "svd"`, checked by the next
/// test. At η = 0.4 the loop forgets by a factor η per frame and the ~1e-3 drive uses only the
/// quadratic tail of F, so the u(k)·u(k−9) product NARMA needs is a direction ~1e-7 below the
/// states' leading singular value; forming XᵀX squares that to ~1e-14, below the
/// pseudo-inverse cut. Measured 0.421 ± 0.033 with the config's desynchronised loop
/// (τ = 403 θ); asserted so that a regression of either the reservoir or the Gram readout shows.
#[test]
fn appeltant_delay_reservoir_through_the_gram_readout_stays_near_0_42() {
    let mean = summary("Gram ridge, as the runner", &appeltant_scores(false));
    assert!(mean <= 0.45, "mean NRMSE {mean} above today's 0.45");
}

/// The same states read out by least squares on the state matrix (thin SVD, the precision of
/// the `pinv(X)` used by delay-reservoir reproductions): the reservoir meets the acceptance
/// target when the readout can resolve directions ~1e-12 below the leading one.
///
/// Measured 0.189 ± 0.033 (range 0.15–0.26) with τ = 403 θ; 0.282 ± 0.022 with Appeltant's
/// synchronised τ = 400 θ (crate example `delay_narma_study`). The bound is the acceptance
/// target itself; the run is deterministic (fixed seeds, fixed-order arithmetic).
#[test]
fn appeltant_delay_reservoir_meets_narma10_target_with_an_exact_least_squares_readout() {
    let mean = summary("least squares on X", &appeltant_scores(true));
    assert!(mean <= 0.20, "mean NRMSE {mean} above the 0.20 target");
}

/// Sine versus square periods (8 samples) with one spin-torque nano-oscillator (Torrejon et
/// al., Nature 547, 428 (2017); Marković et al., APL 114, 012409 (2019) report > 99 %), read
/// out as `physrc run` does (state-squared features, one-hot ridge + argmax).
///
/// Acceptance target: ≥ 98 % per-step test accuracy. Measured 0.9965 for the config (seed 0)
/// and 0.9950 mean over seeds 0–9 (min 0.9825), with thermal noise p_T = 1e-5.
///
/// At steps 2 and 6 of a period both classes have the same input and only the previous sample
/// differs; the oscillator's own relaxation forgets it within one 480 ns frame, below the
/// thermal fluctuations. The config's delayed-feedback loop (Riou et al., Phys. Rev. Applied
/// 12, 024049 (2019)) carries it over: the same device without the loop scores ≈ 0.94 (and
/// 1.0 without noise, where the tiny residual memory is exact), which the last check pins.
#[test]
fn torrejon_stno_classifies_sine_versus_square() {
    let run = common::load("torrejon2017-waveform.toml", None);
    let acc = waveform_accuracy(&run);
    eprintln!("torrejon sine/square per-step test accuracy (seed 0): {acc:.4}");
    assert!(acc >= 0.98, "accuracy {acc} below the 0.98 target");

    let seeds: Vec<f64> = (0..10)
        .map(|seed| waveform_accuracy(&common::load("torrejon2017-waveform.toml", Some(seed))))
        .collect();
    let mean = seeds.iter().sum::<f64>() / seeds.len() as f64;
    eprintln!("torrejon sine/square accuracy over seeds 0..10: mean {mean:.4}; {seeds:?}");
    assert!(mean >= 0.98, "mean accuracy {mean} below the 0.98 target");

    let mut open_loop = run.clone();
    stno(&mut open_loop).feedback_ma = 0.0;
    let without = waveform_accuracy(&open_loop);
    eprintln!("torrejon sine/square accuracy without the feedback loop: {without:.4}");
    assert!(
        acc - without >= 0.03,
        "the loop should carry the previous sample: {acc} with it, {without} without"
    );
    stno(&mut open_loop).thermal_power = 0.0;
    let quiet = waveform_accuracy(&open_loop);
    eprintln!("torrejon sine/square accuracy without loop and noise: {quiet:.4}");
    assert!(quiet >= 0.98, "noise-free open-loop accuracy {quiet}");
}

fn stno(run: &mut common::RunFile) -> &mut physrc_oscillator::StnoConfig {
    match &mut run.substrate {
        physrc_oscillator::OscillatorConfig::Stno(c) => c,
        _ => panic!("the config is an STNO"),
    }
}

fn waveform_accuracy(run: &common::RunFile) -> f64 {
    assert_eq!(run.readout_kind, "classifier");
    let (data, states) = common::drive(run);
    let Targets::Classes { labels, n_classes } = &data.targets else {
        panic!("sine-square is a classification task")
    };
    let onehot = Array2::from_shape_fn((labels.len(), *n_classes), |(t, c)| {
        f64::from(u8::from(labels[t] == c))
    });
    let tr = run.washout..run.washout + run.train;
    let te = run.washout + run.train..run.washout + run.train + run.test;
    let fit = common::ridge(
        states.slice(s![tr.clone(), ..]),
        onehot.slice(s![tr, ..]),
        run.alpha,
    );
    let pred = fit.predict(states.slice(s![te.clone(), ..]));
    let correct = pred
        .rows()
        .into_iter()
        .zip(labels.slice(s![te]).iter())
        .filter(|(p, l)| {
            let arg = if p[1] > p[0] { 1 } else { 0 };
            arg == **l
        })
        .count();
    correct as f64 / run.test as f64
}

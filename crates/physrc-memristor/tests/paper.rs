//! Acceptance: the two Zhong et al. (2021) configs in `configs/` reproduce the paper.
//!
//! Each test reads the run config file, builds the reservoir from its `[substrate]` table
//! through [`MemristorConfig::build`] (exactly what `physrc run` does), generates the task
//! from its `[task]` table with [`physrc_tasks::TaskSpec`], and follows the runner's semantics
//! (`docs/config.md`): inputs scaled into `[-1, 1]` from the task's range or from the rows
//! before the test split, one continuous drive from `reset`, `washout` dropped, a ridge readout
//! with an unpenalised intercept (centring) fitted on `train` rows and scored on `test` rows.
//! The ridge here is a small faer solve so the test depends on no other crate in progress.
//!
//! Reference values: Zhong et al., Nat. Commun. 12, 408 (2021) — Hénon one-step NRMSE 0.046
//! (M = 4, N = 25, 1000/1000); waveform classification with M = 4, N = 10 (the issue asks for
//! ≥ 98 % per-step accuracy). Run with `--nocapture` to see the per-seed figures.

use std::path::{Path, PathBuf};

use faer::Mat;
use faer::linalg::solvers::Solve;
use physrc_core::Reservoir;
use physrc_memristor::MemristorConfig;
use physrc_tasks::{Targets, TaskSpec};
use serde::Deserialize;

#[derive(Deserialize)]
struct Split {
    washout: usize,
    train: usize,
    test: usize,
}

#[derive(Deserialize)]
struct RunFile {
    substrate: toml::Table,
    task: toml::Table,
    split: Split,
    readout: toml::Table,
}

fn config_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../configs")
        .join(name)
}

/// What one seed scored: NRMSE for regression, per-step accuracy for classes.
fn run(name: &str, seed: u64) -> f64 {
    let path = config_path(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut cfg: RunFile = toml::from_str(&text).unwrap();
    // `physrc run --seed N` sets both the substrate's and the task's seed.
    let s = toml::Value::Integer(seed as i64);
    cfg.substrate.insert("seed".into(), s.clone());
    cfg.task.insert("seed".into(), s);
    assert_eq!(
        cfg.substrate.remove("kind").unwrap().as_str(),
        Some("memristor")
    );
    let sub: MemristorConfig = toml::Value::Table(cfg.substrate).try_into().unwrap();
    let task: TaskSpec = toml::Value::Table(cfg.task).try_into().unwrap();
    let alpha = cfg.readout["alpha"].as_float().unwrap();
    let kind = cfg.readout["kind"].as_str().unwrap().to_owned();

    let Split {
        washout,
        train,
        test,
    } = cfg.split;
    let total = washout + train + test;
    let data = task.generate(total).unwrap();
    let mut u: Vec<f64> = data.inputs.column(0).to_vec();
    // Input scaling as in the runner: the task's known range, else min/max before the test.
    let (lo, hi) = data.input_range.unwrap_or_else(|| {
        let fit = &u[..washout + train];
        let lo = fit.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = fit.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    });
    for v in &mut u {
        *v = (2.0 * (*v - lo) / (hi - lo) - 1.0).clamp(-1.0, 1.0);
    }

    let mut r = sub.build(path.parent().unwrap(), 1).unwrap();
    r.reset().unwrap();
    let n = r.state_dim();
    let mut x = Mat::<f64>::zeros(total, n);
    let mut out = vec![0.0; n];
    for (t, &v) in u.iter().enumerate() {
        r.step(&[v], &mut out).unwrap();
        for (j, &o) in out.iter().enumerate() {
            x[(t, j)] = o;
        }
    }

    let y = match &data.targets {
        Targets::Regression(y) => Mat::from_fn(total, y.ncols(), |i, j| y[[i, j]]),
        t @ Targets::Classes { .. } => {
            let m = t.to_matrix();
            Mat::from_fn(total, m.ncols(), |i, j| m[[i, j]])
        }
    };
    let tr = washout..washout + train;
    let te = washout + train..total;
    let pred = ridge_predict(&x, &y, tr, te.clone(), alpha);
    match kind.as_str() {
        "ridge" => {
            let yt: Vec<f64> = te.clone().map(|i| y[(i, 0)]).collect();
            let mean = yt.iter().sum::<f64>() / yt.len() as f64;
            let var = yt.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / yt.len() as f64;
            let mse = (0..yt.len())
                .map(|k| (pred[(k, 0)] - yt[k]).powi(2))
                .sum::<f64>()
                / yt.len() as f64;
            (mse / var).sqrt()
        }
        "classifier" => {
            let Targets::Classes { labels, .. } = &data.targets else {
                panic!("a classifier config needs a class task")
            };
            let hits = te
                .enumerate()
                .filter(|&(k, i)| {
                    let best = (0..pred.ncols())
                        .max_by(|&a, &b| pred[(k, a)].total_cmp(&pred[(k, b)]))
                        .unwrap();
                    best == labels[i]
                })
                .count();
            hits as f64 / test as f64
        }
        other => panic!("readout {other} not handled by this test"),
    }
}

/// Ridge with an unpenalised intercept: centre on the training rows, solve
/// `(XcᵀXc + αI) W = XcᵀYc` by Cholesky, predict the test rows.
fn ridge_predict(
    x: &Mat<f64>,
    y: &Mat<f64>,
    tr: std::ops::Range<usize>,
    te: std::ops::Range<usize>,
    alpha: f64,
) -> Mat<f64> {
    let (f, k, n) = (x.ncols(), y.ncols(), tr.len());
    let xm: Vec<f64> = (0..f)
        .map(|j| tr.clone().map(|i| x[(i, j)]).sum::<f64>() / n as f64)
        .collect();
    let ym: Vec<f64> = (0..k)
        .map(|j| tr.clone().map(|i| y[(i, j)]).sum::<f64>() / n as f64)
        .collect();
    let xc = Mat::from_fn(n, f, |i, j| x[(tr.start + i, j)] - xm[j]);
    let yc = Mat::from_fn(n, k, |i, j| y[(tr.start + i, j)] - ym[j]);
    let mut a = xc.transpose() * &xc;
    for j in 0..f {
        a[(j, j)] += alpha;
    }
    let b = xc.transpose() * &yc;
    let w = a
        .llt(faer::Side::Lower)
        .expect("ridge system is SPD")
        .solve(&b);
    Mat::from_fn(te.len(), k, |i, c| {
        ym[c]
            + (0..f)
                .map(|j| (x[(te.start + i, j)] - xm[j]) * w[(j, c)])
                .sum::<f64>()
    })
}

fn over_seeds(name: &str) -> (f64, f64, Vec<f64>) {
    let v: Vec<f64> = (0..10).map(|s| run(name, s)).collect();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
    (mean, sd, v)
}

#[test]
fn zhong_henon_config_reaches_the_paper_nrmse() {
    let (mean, sd, v) = over_seeds("zhong2021-henon.toml");
    eprintln!("zhong2021-henon: NRMSE {mean:.4} ± {sd:.4} (10 seeds, sample sd) {v:.4?}");
    // Issue acceptance: ≤ 0.06 averaged over 10 seeds (paper: 0.046).
    assert!(mean <= 0.06, "mean NRMSE {mean}");
    // The noise floor: σ = 0.0025 against the Hénon map's spread (std ≈ 0.72) bounds the
    // one-step NRMSE below by ≈ 0.0035; a reservoir cannot beat it.
    assert!(v.iter().all(|&e| e > 0.003), "{v:?}");
}

#[test]
fn zhong_waveform_config_classifies_sine_and_square() {
    let (mean, sd, v) = over_seeds("zhong2021-waveform.toml");
    eprintln!("zhong2021-waveform: accuracy {mean:.4} ± {sd:.4} (10 seeds, sample sd) {v:.4?}");
    assert!(mean >= 0.98, "mean accuracy {mean}");
}

//! Helpers shared by the integration tests that measure committed configs as `physrc run`
//! does: the run repeated with `--seed 0` to `--seed seeds − 1` and a metric of each report.

// Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use physrc::config::RunConfig;
use physrc::experiment;

/// `metrics.<metric>` of `cfg` run with `--seed 0` to `--seed seeds − 1`, or why not: the
/// seed whose run failed and its error, or the metrics the report has instead.
pub fn try_per_seed(cfg: &RunConfig, metric: &str, seeds: u64) -> Result<Vec<f64>, String> {
    (0..seeds)
        .map(|seed| {
            let mut c = cfg.clone();
            c.set_seed(seed)
                .map_err(|e| format!("--seed {seed}: {e}"))?;
            let report = experiment::run(&c)
                .map_err(|e| format!("{} --seed {seed}: {e}", cfg.origin))?
                .report;
            report.metrics.get(metric).copied().ok_or_else(|| {
                format!(
                    "{}: the report has no metric {metric:?} (it has {:?})",
                    cfg.origin,
                    report.metrics.keys().collect::<Vec<_>>()
                )
            })
        })
        .collect()
}

/// [`try_per_seed`] for tests that cannot go on without the values.
pub fn per_seed(cfg: &RunConfig, metric: &str, seeds: u64) -> Vec<f64> {
    try_per_seed(cfg, metric, seeds).unwrap_or_else(|e| panic!("{e}"))
}

/// Prints `values` with their mean and sample standard deviation, and returns the mean.
pub fn mean(what: &str, values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let m = values.iter().sum::<f64>() / n;
    let sd = if values.len() > 1 {
        (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    if m.abs() >= 1e-3 {
        eprintln!("{what}: mean {m:.4} ± {sd:.4} (sample sd) over {values:.4?}");
    } else {
        let v: Vec<String> = values.iter().map(|v| format!("{v:.3e}")).collect();
        eprintln!(
            "{what}: mean {m:.3e} ± {sd:.3e} (sample sd) over [{}]",
            v.join(", ")
        );
    }
    m
}

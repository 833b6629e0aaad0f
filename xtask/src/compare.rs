//! `cargo xtask compare`: the same tasks, the same readout, several substrates and seeds.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use physrc::config::RunConfig;

#[derive(serde::Serialize)]
struct Row {
    config: String,
    substrate: String,
    data: String,
    seeds: u64,
    metrics: BTreeMap<String, Stat>,
    seconds_per_step: f64,
    joules_per_step: Option<f64>,
    state_dim: usize,
}

#[derive(serde::Serialize)]
struct Stat {
    mean: f64,
    std: f64,
    min: f64,
    max: f64,
}

fn stat(v: &[f64]) -> Stat {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Stat {
        mean,
        std: var.sqrt(),
        min: v.iter().copied().fold(f64::INFINITY, f64::min),
        max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

pub(crate) fn run(mut configs: Vec<PathBuf>, seeds: u64, out: &Path) -> Result<(), String> {
    if seeds == 0 {
        return Err("--seeds must be at least 1".into());
    }
    if configs.is_empty() {
        let mut found: Vec<PathBuf> = std::fs::read_dir("configs")
            .map_err(|e| format!("configs/: {e}"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        found.sort();
        configs = found;
    }
    let mut rows = Vec::new();
    for path in &configs {
        let base = RunConfig::from_path(path).map_err(|e| e.to_string())?;
        let mut per_metric: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut secs = Vec::new();
        let mut joules = Vec::new();
        let mut last = None;
        for seed in 0..seeds {
            let mut cfg = base.clone();
            cfg.set_seed(seed);
            let o = physrc::experiment::run(&cfg)
                .map_err(|e| format!("{} (seed {seed}): {e}", path.display()))?;
            for (k, v) in &o.report.metrics {
                per_metric.entry(k.clone()).or_default().push(*v);
            }
            secs.push(o.report.timing.seconds_per_step);
            if let Some(e) = &o.report.energy {
                joules.push(e.joules_per_step);
            }
            eprintln!("{} seed {seed}: {:?}", path.display(), o.report.metrics);
            last = Some(o.report);
        }
        let r = last.expect("at least one seed");
        rows.push(Row {
            config: path.display().to_string(),
            substrate: r.substrate.name.clone(),
            data: r.data.name.clone(),
            seeds,
            metrics: per_metric
                .iter()
                .map(|(k, v)| (k.clone(), stat(v)))
                .collect(),
            seconds_per_step: stat(&secs).mean,
            joules_per_step: (!joules.is_empty()).then(|| stat(&joules).mean),
            state_dim: r.state_dim,
        });
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let json = serde_json::to_string_pretty(&rows).expect("rows serialise");
    std::fs::write(out.join("compare.json"), json).map_err(|e| e.to_string())?;
    let mut csv = String::from(
        "config,substrate,data,metric,mean,std,min,max,seeds,seconds_per_step,joules_per_step,state_dim\n",
    );
    let mut table = String::new();
    for r in &rows {
        for (k, s) in &r.metrics {
            let j = r
                .joules_per_step
                .map_or(String::new(), |j| format!("{j:e}"));
            let _ = writeln!(
                csv,
                "{},{},{},{k},{},{},{},{},{},{:e},{j},{}",
                r.config,
                r.substrate,
                r.data,
                s.mean,
                s.std,
                s.min,
                s.max,
                r.seeds,
                r.seconds_per_step,
                r.state_dim
            );
            let _ = writeln!(
                table,
                "{:<40} {:<12} {:<22} {:<16} {:>10.5} ± {:<9.5} {:>10.3e} s/step",
                r.config, r.substrate, r.data, k, s.mean, s.std, r.seconds_per_step
            );
        }
    }
    std::fs::write(out.join("compare.csv"), csv).map_err(|e| e.to_string())?;
    println!("{table}");
    println!("wrote {}/compare.json and compare.csv", out.display());
    Ok(())
}

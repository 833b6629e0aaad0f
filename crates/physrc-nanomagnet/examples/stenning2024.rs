//! The Imperial protocol study: runs the `configs/stenning2024-*.toml` arrays through
//! `physrc run` over seeds and prints a Markdown table of their test MSE (and NRMSE, memory
//! capacity) beside the values Stenning et al., Nat. Commun. 15 (2024) publish.
//!
//! `cargo build --release -p physrc && cargo run --release -p physrc-nanomagnet --example
//! stenning2024 -- target/release/physrc [SEEDS] [key=value ...]`
//!
//! Every number comes from the runner (`physrc run CONFIG --seed N`, its `report.json`), so
//! the table is what the committed configs give. `key=value` pairs (TOML values, dotted keys
//! for sub-tables such as `fmr.noise=0.0`) override `[substrate]` keys of every config, for
//! ablations. Mackey–Glass MSE is also given on the series scaled to `[0, 1]` as the paper
//! scales it: the raw MSE divided by the squared range of the target over the run.

use std::path::{Path, PathBuf};
use std::process::Command;

use physrc_tasks::{Targets, TaskSpec};

/// The published test MSE, or memory capacity and nonlinearity, for each config (Stenning et al.
/// 2024, results files; the memory capacities are the sums over delays 1–8 of the per-delay
/// terms, and the nonlinearities the values, in `Metrics_MC_NL/metrics.pkl` of the authors'
/// NeuroOverParam repository).
const PUBLISHED: &[(&str, &str)] = &[
    ("stenning2024-ms-mg", "0.0067"),
    ("stenning2024-pw-mg", "0.0034"),
    ("stenning2024-wm-mg", "0.0027"),
    ("stenning2024-ms-mg7", "0.066"),
    ("stenning2024-pw-mg7", "0.034"),
    ("stenning2024-wm-mg7", "0.036"),
    ("stenning2024-ms-transform", "31.6 × PW"),
    ("stenning2024-pw-transform", "MS / 31.6"),
    ("stenning2024-ms-memory", "MC 2.50, NL 0.377"),
    ("stenning2024-pw-memory", "MC 4.88, NL 0.727"),
    ("stenning2024-wm-memory", "MC 5.68, NL 0.391"),
    ("stenning2024-wm-memory-iid", "— (i.i.d. input)"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bin = PathBuf::from(
        args.first()
            .ok_or("usage: stenning2024 PATH/TO/physrc [SEEDS] [key=value ...]")?,
    );
    let seeds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let overrides: Vec<&String> = args
        .iter()
        .skip(if args.len() > 1 && args[1].parse::<u64>().is_ok() {
            2
        } else {
            1
        })
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tmp = std::env::temp_dir().join(format!("stenning2024-study-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    println!("| config | metric | physrc mean ± sd over {seeds} seeds | per seed | published |");
    println!("|---|---|---|---|---|");
    for (name, published) in PUBLISHED {
        let path = root.join("configs").join(format!("{name}.toml"));
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(_) if name.ends_with("-memory") => {
                // The macrospin and pinwheel memory rows are their Mackey–Glass configs with
                // the task and split of the width-modified array's memory config.
                let base = name.replace("-memory", "-mg");
                let t = std::fs::read_to_string(root.join("configs").join(format!("{base}.toml")))?;
                let mut doc: toml::Table = toml::from_str(&t)?;
                let wm = std::fs::read_to_string(
                    root.join("configs").join("stenning2024-wm-memory.toml"),
                )?;
                let wm: toml::Table = toml::from_str(&wm)?;
                for key in ["task", "split"] {
                    doc.insert(
                        key.into(),
                        wm.get(key).ok_or("no [task] or [split]")?.clone(),
                    );
                }
                toml::to_string(&doc)?
            }
            Err(_) => {
                // The t+7 variants are the t+1 configs with `horizons = [7]`.
                let Some(base) = name.strip_suffix("7") else {
                    continue;
                };
                let t = std::fs::read_to_string(root.join("configs").join(format!("{base}.toml")))?;
                let mut doc: toml::Table = toml::from_str(&t)?;
                let task = doc
                    .get_mut("task")
                    .and_then(|v| v.as_table_mut())
                    .ok_or("no [task]")?;
                task.insert(
                    "horizons".into(),
                    toml::Value::Array(vec![toml::Value::Integer(7)]),
                );
                toml::to_string(&doc)?
            }
        };
        let mut doc: toml::Table = toml::from_str(&text)?;
        doc.remove("expect");
        {
            let sub = doc
                .get_mut("substrate")
                .and_then(|v| v.as_table_mut())
                .ok_or("no [substrate]")?;
            for kv in &overrides {
                let (k, v) = kv.split_once('=').ok_or("overrides are key=value")?;
                let value: toml::Table = toml::from_str(&format!("v = {v}"))?;
                let mut table = &mut *sub;
                let mut parts: Vec<&str> = k.split('.').collect();
                let last = parts.pop().ok_or("empty key")?;
                for p in parts {
                    table = table
                        .entry(p)
                        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                        .as_table_mut()
                        .ok_or("not a table")?;
                }
                table.insert(last.to_owned(), value["v"].clone());
            }
        }
        // The target's range over the run, for the [0, 1] scaling of the Mackey–Glass series.
        let task: TaskSpec = doc.get("task").ok_or("no [task]")?.clone().try_into()?;
        let split = doc.get("split").ok_or("no [split]")?;
        let n: usize = ["washout", "train", "test"]
            .iter()
            .map(|k| split.get(k).and_then(|v| v.as_integer()).unwrap_or(0) as usize)
            .sum();
        let scale = match (&task, task.generate(n)?.targets) {
            (TaskSpec::MackeyGlass(_), Targets::Regression(y)) => {
                let lo = y.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                Some(1.0 / ((hi - lo) * (hi - lo)))
            }
            _ => None,
        };
        let cfg = tmp.join(format!("{name}.toml"));
        std::fs::write(&cfg, toml::to_string(&doc)?)?;
        let metric = if name.contains("-memory") {
            "memory_capacity"
        } else {
            "mse"
        };
        let mut values = Vec::new();
        let mut nrmse = Vec::new();
        let mut nonlinearity = Vec::new();
        for seed in 0..seeds {
            let out = tmp.join(format!("{name}-{seed}"));
            let status = Command::new(&bin)
                .arg("run")
                .arg(&cfg)
                .arg("--seed")
                .arg(seed.to_string())
                .arg("--out")
                .arg(&out)
                .arg("--force")
                .output()?;
            if !status.status.success() {
                return Err(format!(
                    "{name} --seed {seed}: {}",
                    String::from_utf8_lossy(&status.stderr)
                )
                .into());
            }
            let report: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("report.json"))?)?;
            let m = &report["metrics"];
            let v = m[metric]
                .as_f64()
                .ok_or(format!("{name}: no metric {metric}"))?;
            values.push(v * scale.unwrap_or(1.0));
            if let Some(x) = m["nrmse"].as_f64() {
                nrmse.push(x);
            }
            if let Some(x) = m["nonlinearity"].as_f64() {
                nonlinearity.push(x);
            }
        }
        let (mean, sd) = mean_sd(&values);
        let label = match (metric, scale) {
            ("mse", Some(_)) => "test MSE, series in [0, 1]",
            ("mse", None) => "test MSE",
            _ => "memory capacity",
        };
        println!(
            "| {name} | {label} | {mean:.4} ± {sd:.4} (NRMSE {:.3}) | {} | {published} |",
            mean_sd(&nrmse).0,
            values
                .iter()
                .map(|v| format!("{v:.4}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !nonlinearity.is_empty() {
            let (mean, sd) = mean_sd(&nonlinearity);
            println!(
                "| {name} | nonlinearity | {mean:.3} ± {sd:.3} | {} | {published} |",
                nonlinearity
                    .iter()
                    .map(|v| format!("{v:.3}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, var.sqrt())
}

//! `cargo xtask energy`: accuracy and energy per step of every substrate of `compare.toml`
//! and of the echo-state network at matched accuracy, on NARMA10, Mackey–Glass and the
//! waveform transformation, with the ratios `docs/energy.md` examines.
//!
//! Every number is a `physrc run` (through `physrc::experiment::run`) of a config assembled
//! from `compare.toml`: the same substrates at the same 100 readout features, the same
//! ridge-cv readout and the same full splits as `cargo xtask compare --full`. Each run adds an
//! `[energy] platform` table; the energy figures are the report's `energy_breakdown`. The ESN
//! is run at a ladder of sizes, and for each substrate and task the smallest ESN whose mean
//! NRMSE is at most the substrate's is its match. Writes `target/physrc-energy/results.json`
//! and `table.md` (the tables of `docs/energy.md`).

use std::fmt::Write as _;
use std::path::Path;

use physrc::config::RunConfig;
use physrc::energy::EnergyBreakdown;
use physrc::experiment;
use serde::Serialize;

use crate::root::project_root;

/// Arguments of `cargo xtask energy`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Seeds per cell (0 to N−1).
    #[arg(long, default_value_t = 3)]
    seeds: u64,
}

/// The tasks of the table, by their `compare.toml` names.
const TASKS: &[&str] = &["narma10", "mackey-glass-1", "transform"];

/// The ESN sizes tried for a match.
const ESN_UNITS: &[usize] = &[5, 10, 20, 50, 100, 200, 500];

/// The platforms every conventional part is priced on.
const PLATFORMS: &[&str] = &["horowitz-45nm", "fugaku-a64fx", "apollo3-m4f"];

/// Substrates of the table: every physical one of `compare.toml` except the emulated rig, whose
/// sample is the square ice's model behind the lab's protocol (its accuracy is the square
/// ice's and its drive the same coils) and which waits out the firmware's field ramps in real
/// time.
fn wanted(name: &str) -> bool {
    name != "rig" && name != "esn"
}

/// Mean over seeds of one configuration's accuracy and energy parts, joules per step.
#[derive(Debug, Clone, Serialize, Default)]
struct Cell {
    nrmse: f64,
    substrate: f64,
    substrate_model: String,
    drive: f64,
    drive_model: String,
    readout: f64,
    training_once: f64,
}

#[derive(Debug, Serialize)]
struct Row {
    task: String,
    substrate: String,
    platform: String,
    cell: Cell,
    esn_units: Option<usize>,
    esn: Option<Cell>,
    ratio_intrinsic: Option<f64>,
    ratio_with_drive: Option<f64>,
    ratio_with_readout: Option<f64>,
    ratio_all: Option<f64>,
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let root = project_root();
    let text = std::fs::read_to_string(root.join("compare.toml"))
        .map_err(|e| format!("compare.toml: {e}"))?;
    let file: toml::Table = toml::from_str(&text).map_err(|e| format!("compare.toml: {e}"))?;
    let features = file["matrix"]["features"]
        .as_integer()
        .ok_or("compare.toml: matrix.features")? as usize;
    let readout = file["readout"]
        .as_table()
        .ok_or("compare.toml: readout")?
        .clone();
    let substrates = file["substrate"]
        .as_array()
        .ok_or("compare.toml: substrate")?;
    let tasks = file["task"].as_array().ok_or("compare.toml: task")?;
    let esn_row = substrates
        .iter()
        .find(|s| s["name"].as_str() == Some("esn"))
        .ok_or("compare.toml has no esn substrate")?;
    let mut rows = Vec::new();
    for task_name in TASKS {
        let task = tasks
            .iter()
            .find(|t| t["name"].as_str() == Some(task_name))
            .ok_or_else(|| format!("compare.toml has no task {task_name:?}"))?;
        let task_cfg = task["config"].as_table().ok_or("task config")?;
        let split = task
            .get("full_split")
            .or_else(|| task.get("split"))
            .and_then(toml::Value::as_table)
            .ok_or("task split")?;
        for platform in PLATFORMS {
            let run_cell = |substrate: &toml::Table| {
                mean_cell(
                    &root, substrate, task_cfg, split, &readout, platform, args.seeds,
                )
            };
            // The ESN ladder, once per task and platform.
            let mut ladder = Vec::new();
            for &units in ESN_UNITS {
                let mut t = esn_row["config"].as_table().ok_or("esn config")?.clone();
                t.insert("units".into(), toml::Value::Integer(units as i64));
                // A tiny generated W can come out empty or nilpotent at this connectivity;
                // such a size is left out of the ladder rather than stopping the table.
                match run_cell(&t) {
                    Ok(c) => ladder.push((units, c)),
                    Err(e) => eprintln!("{task_name} {platform} esn N={units} left out: {e}"),
                }
            }
            for s in substrates {
                let name = s["name"].as_str().unwrap_or_default();
                if !wanted(name) {
                    continue;
                }
                let table = sized(s, features)?;
                let cell = run_cell(&table)?;
                let matched = ladder.iter().find(|(_, e)| e.nrmse <= cell.nrmse);
                let (units, esn) = match matched {
                    Some((u, e)) => (Some(*u), Some(e.clone())),
                    None => (None, None),
                };
                let ratio = |num: f64, den: f64| (den > 0.0).then_some(num / den);
                let r = |f: &dyn Fn(&Cell) -> f64| esn.as_ref().and_then(|e| ratio(f(e), f(&cell)));
                eprintln!(
                    "{task_name} {platform} {name}: nrmse {:.4}, total {:.3e} J/step, esn {:?}",
                    cell.nrmse,
                    cell.substrate + cell.drive + cell.readout,
                    units
                );
                rows.push(Row {
                    task: task_name.to_string(),
                    substrate: s["label"].as_str().unwrap_or(name).to_owned(),
                    platform: platform.to_string(),
                    ratio_intrinsic: r(&|c| c.substrate),
                    ratio_with_drive: esn
                        .as_ref()
                        .and_then(|e| ratio(e.substrate, cell.substrate + cell.drive)),
                    ratio_with_readout: r(&|c| c.substrate + c.readout),
                    ratio_all: r(&|c| c.substrate + c.drive + c.readout),
                    cell,
                    esn_units: units,
                    esn,
                });
            }
            let ladder_rows: Vec<String> = ladder
                .iter()
                .map(|(u, c)| format!("N={u}: {:.4} / {:.3e} J", c.nrmse, c.substrate))
                .collect();
            eprintln!(
                "{task_name} {platform} esn ladder: {}",
                ladder_rows.join(", ")
            );
        }
    }
    let out = root.join("target/physrc-energy");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let json = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
    std::fs::write(out.join("results.json"), json).map_err(|e| e.to_string())?;
    let md = tables(&rows, args.seeds);
    std::fs::write(out.join("table.md"), &md).map_err(|e| e.to_string())?;
    print!("{md}");
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// Runs one configuration on seeds `0..seeds` and averages.
fn mean_cell(
    root: &Path,
    substrate: &toml::Table,
    task: &toml::Table,
    split: &toml::Table,
    readout: &toml::Table,
    platform: &str,
    seeds: u64,
) -> Result<Cell, String> {
    let mut t = toml::Table::new();
    t.insert("substrate".into(), toml::Value::Table(substrate.clone()));
    t.insert("task".into(), toml::Value::Table(task.clone()));
    t.insert("split".into(), toml::Value::Table(split.clone()));
    t.insert("readout".into(), toml::Value::Table(readout.clone()));
    let mut energy = toml::Table::new();
    energy.insert("platform".into(), toml::Value::String(platform.to_owned()));
    t.insert("energy".into(), toml::Value::Table(energy));
    let text = toml::to_string(&t).map_err(|e| e.to_string())?;
    let mut sum = Cell::default();
    for seed in 0..seeds.max(1) {
        let mut cfg = RunConfig::from_toml_str(&text, root, "energy").map_err(|e| e.to_string())?;
        cfg.set_seed(seed).map_err(|e| e.to_string())?;
        let report = experiment::run(&cfg).map_err(|e| e.to_string())?.report;
        let b: EnergyBreakdown = report
            .energy_breakdown
            .ok_or("a task run reports an energy breakdown")?;
        sum.nrmse += report.metrics.get("nrmse").copied().unwrap_or(f64::NAN);
        sum.substrate += b.substrate.joules_per_step;
        sum.drive += b.drive.joules_per_step;
        sum.readout += b.readout_per_step.joules_per_step;
        sum.training_once += b.training.joules;
        sum.substrate_model = b.substrate.model;
        sum.drive_model = b.drive.model;
    }
    let n = seeds.max(1) as f64;
    Ok(Cell {
        nrmse: sum.nrmse / n,
        substrate: sum.substrate / n,
        drive: sum.drive / n,
        readout: sum.readout / n,
        training_once: sum.training_once / n,
        ..sum
    })
}

/// The substrate's config at `features` readout features, by `compare.toml`'s size rule.
fn sized(s: &toml::Value, features: usize) -> Result<toml::Table, String> {
    let size = s["size"].as_table().ok_or("substrate size")?;
    let per = size
        .get("per")
        .and_then(toml::Value::as_integer)
        .unwrap_or(1) as usize;
    let units = features / per.max(1);
    let grid = size
        .get("grid")
        .and_then(toml::Value::as_bool)
        .unwrap_or(false);
    let value = if grid {
        let nx = (1..=units)
            .take_while(|d| d * d <= units)
            .filter(|d| units.is_multiple_of(*d))
            .last()
            .unwrap_or(1);
        toml::Value::Array(vec![
            toml::Value::Integer((units / nx) as i64),
            toml::Value::Integer(nx as i64),
        ])
    } else {
        toml::Value::Integer(units as i64)
    };
    let mut table = s["config"].as_table().ok_or("substrate config")?.clone();
    let key = size["key"].as_str().ok_or("size key")?;
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().ok_or("empty size key")?;
    let mut t = &mut table;
    for p in parts {
        t = t
            .entry(p.to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or("size key is not a table")?;
    }
    t.insert(last.to_owned(), value);
    Ok(table)
}

fn e(v: f64) -> String {
    if v == 0.0 {
        "0".to_owned()
    } else {
        format!("{v:.2e}")
    }
}

/// Three significant digits, in scientific notation outside 0.01–10⁴.
fn significant(v: f64) -> String {
    if v != 0.0 && !(0.01..1e4).contains(&v.abs()) {
        format!("{v:.2e}")
    } else {
        let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 4) as usize;
        format!("{v:.digits$}")
    }
}

/// A ratio, or why there is none: no ESN up to the largest size matched the substrate's
/// accuracy, or the substrate's part is zero (no intrinsic model).
fn opt_ratio(row: &Row, r: Option<f64>) -> String {
    match (r, &row.esn) {
        (Some(v), _) => significant(v),
        (None, None) => "no match".to_owned(),
        (None, Some(_)) => "no model".to_owned(),
    }
}

/// The markdown tables of `docs/energy.md`.
fn tables(rows: &[Row], seeds: u64) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Means over seeds 0–{}; joules per input step; conventional parts on `horowitz-45nm`.\n",
        seeds.max(1) - 1
    );
    for task in TASKS {
        let _ = writeln!(md, "#### {task}\n");
        md.push_str(
            "| substrate | NRMSE | intrinsic | drive | readout | total | ESN match (N, NRMSE) | ESN compute | ESN + readout |\n\
             |---|---|---|---|---|---|---|---|---|\n",
        );
        for r in rows
            .iter()
            .filter(|r| r.task == *task && r.platform == "horowitz-45nm")
        {
            let c = &r.cell;
            let (m, ec, er) = match (&r.esn, r.esn_units) {
                (Some(es), Some(u)) => (
                    format!("{u}, {}", significant(es.nrmse)),
                    e(es.substrate),
                    e(es.substrate + es.readout),
                ),
                _ => ("none up to N = 500".to_owned(), "–".into(), "–".into()),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.substrate,
                significant(c.nrmse),
                e(c.substrate),
                e(c.drive),
                e(c.readout),
                e(c.substrate + c.drive + c.readout),
                m,
                ec,
                er
            );
        }
        md.push('\n');
    }
    let ratio_table = |md: &mut String, title: &str, keep: &dyn Fn(&Row) -> bool| {
        let _ = writeln!(
            md,
            "#### {title}\n\n\
             | task | substrate | platform | intrinsic only | with drive | with readout | with drive and readout |\n\
             |---|---|---|---|---|---|---|"
        );
        for task in TASKS {
            for r in rows.iter().filter(|r| r.task == *task && keep(r)) {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    r.task,
                    r.substrate,
                    r.platform,
                    opt_ratio(r, r.ratio_intrinsic),
                    opt_ratio(r, r.ratio_with_drive),
                    opt_ratio(r, r.ratio_with_readout),
                    opt_ratio(r, r.ratio_all)
                );
            }
        }
        md.push('\n');
    };
    ratio_table(
        &mut md,
        "ESN / substrate at matched accuracy, horowitz-45nm (above 1: the substrate uses less)",
        &|r| r.platform == "horowitz-45nm",
    );
    ratio_table(&mut md, "The spin ices on every platform", &|r| {
        r.substrate.contains(" ice")
    });
    md
}

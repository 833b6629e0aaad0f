//! `cargo xtask compare`: the substrate × task matrix of `compare.toml`.
//!
//! The run reads as parse → plan → execute → write. The plan assembles every cell's run
//! config (substrate table, task table, the task's split, the one readout), sizes every
//! substrate to the same number of readout features, and checks all of it, including that
//! each substrate builds and reports that many features, before the first cell runs. Each
//! cell is then run through `physrc::experiment::run`, the code behind `physrc run`, once per
//! seed. A cell that fails is recorded with its error and the others go on.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use physrc::config::{RunConfig, Split};
use physrc::experiment::Series;
use serde::{Deserialize, Serialize};

use crate::report;
use crate::root::project_root;
use crate::toml_edit::set_dotted;

/// Arguments of `cargo xtask compare`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The matrix definition (default: compare.toml at the root of the checkout).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The quick budget: short splits, few seeds (the default).
    #[arg(long, conflicts_with = "full")]
    quick: bool,
    /// The full budget: the longer splits and the seeds of `full_seeds`.
    #[arg(long)]
    full: bool,
    /// Seeds per cell, overriding the matrix file.
    #[arg(long)]
    seeds: Option<u64>,
    /// Readout features per substrate, overriding the matrix file.
    #[arg(long)]
    features: Option<usize>,
    /// Only these cells: `SUBSTRATE`, `SUBSTRATE/TASK` or `/TASK`, comma-separated.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Where to write the report (default: target/physrc-report at the root of the checkout).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `compare.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatrixFile {
    matrix: MatrixSection,
    readout: toml::Table,
    substrate: Vec<SubstrateRow>,
    task: Vec<TaskEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatrixSection {
    features: usize,
    seeds: u64,
    full_seeds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubstrateRow {
    name: String,
    label: String,
    size: SizeRule,
    #[serde(default)]
    quick_seeds: Option<u64>,
    config: toml::Table,
}

/// How a substrate's size follows from the feature count.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SizeRule {
    /// Dotted key inside `[substrate]`.
    key: String,
    /// Features per unit of the key (default 1).
    #[serde(default)]
    per: Option<usize>,
    /// The key is an `[nx, ny]` grid with `nx · ny` units.
    #[serde(default)]
    grid: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskEntry {
    name: String,
    label: String,
    #[serde(default)]
    metric: Option<String>,
    #[serde(default)]
    better: Option<Better>,
    #[serde(default)]
    columns: Option<Vec<ColumnEntry>>,
    config: toml::Table,
    #[serde(default)]
    full_config: Option<toml::Table>,
    #[serde(default)]
    split: Option<Split>,
    #[serde(default)]
    full_split: Option<Split>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnEntry {
    metric: String,
    label: String,
    better: Better,
}

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Better {
    Lower,
    Higher,
}

/// One column of the matrix: a task and the metric shown for it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Column {
    pub(crate) task: String,
    pub(crate) metric: String,
    pub(crate) label: String,
    pub(crate) better: Better,
}

/// A substrate as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SubstrateInfo {
    pub(crate) name: String,
    pub(crate) label: String,
    /// Whether the substrate's states change with its seed (checked by driving it at two
    /// seeds with the same input).
    pub(crate) seed_dependent: bool,
    /// Whether the substrate reports a model energy estimate.
    pub(crate) energy_model: bool,
}

/// One planned cell.
struct CellPlan {
    substrate: usize,
    task: usize,
    /// The assembled run config as TOML, written next to the report.
    text: String,
    cfg: RunConfig,
    seeds: Vec<u64>,
    seed_dependence: &'static str,
}

/// A metric over the seeds of a cell.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Stat {
    pub(crate) mean: f64,
    /// Sample standard deviation (0 for one seed).
    pub(crate) std: f64,
    /// Every seed's value, in seed order.
    pub(crate) values: Vec<f64>,
}

impl Stat {
    fn of(values: Vec<f64>) -> Stat {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = if values.len() > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        Stat { mean, std, values }
    }
}

/// The first output of a regression cell's test part, for the trace plots (first seed).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Trace {
    pub(crate) target: Vec<f64>,
    pub(crate) prediction: Vec<f64>,
}

/// One cell of `results.json`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CellResult {
    pub(crate) substrate: String,
    pub(crate) task: String,
    pub(crate) seeds: Vec<u64>,
    /// What the seeds vary: `"substrate and task"`, `"substrate"`, `"task data only"`, or
    /// `"none"` (then the cell runs once: more seeds would repeat the same numbers).
    pub(crate) seed_dependence: &'static str,
    pub(crate) metrics: BTreeMap<String, Stat>,
    pub(crate) seconds_per_step: Option<f64>,
    pub(crate) joules_per_step: Option<f64>,
    pub(crate) state_dim: Option<usize>,
    /// The readout penalty cross-validation chose, per seed.
    pub(crate) alpha_chosen: Vec<Option<f64>>,
    /// The cell's run config, relative to the report folder.
    pub(crate) config_file: String,
    /// The same config as TOML text.
    pub(crate) config: String,
    pub(crate) error: Option<String>,
    pub(crate) trace: Option<Trace>,
    /// Memory capacity per delay, mean over seeds.
    pub(crate) memory_per_delay: Option<Vec<f64>>,
    /// IPC per degree, mean over seeds.
    pub(crate) ipc_by_degree: Option<Vec<f64>>,
}

/// `results.json`.
#[derive(Debug, Serialize)]
pub(crate) struct Results {
    pub(crate) physrc_version: &'static str,
    pub(crate) commit: String,
    pub(crate) date: String,
    pub(crate) machine: BTreeMap<String, String>,
    pub(crate) mode: &'static str,
    pub(crate) features: usize,
    pub(crate) matrix_file: String,
    pub(crate) readout: toml::Table,
    pub(crate) substrates: Vec<SubstrateInfo>,
    pub(crate) columns: Vec<Column>,
    pub(crate) cells: Vec<CellResult>,
    pub(crate) total_seconds: f64,
}

/// Test steps kept per trace.
const TRACE_STEPS: usize = 150;

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let started = Instant::now();
    let root = project_root();
    let matrix_path = args
        .config
        .clone()
        .unwrap_or_else(|| root.join("compare.toml"));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("target/physrc-report"));
    let text = std::fs::read_to_string(&matrix_path)
        .map_err(|e| format!("{}: {e}", matrix_path.display()))?;
    let file: MatrixFile =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", matrix_path.display()))?;
    let full = args.full;
    let plan = plan(&file, args, full, &matrix_path)?;

    let runs: u64 = plan.cells.iter().map(|c| c.seeds.len() as u64).sum();
    let bar = ProgressBar::new(runs);
    if std::io::stdout().is_terminal() {
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} runs, ETA {eta} · {msg}",
            )
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
        );
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let mut cells = Vec::with_capacity(plan.cells.len());
    for cell in &plan.cells {
        cells.push(execute(&plan, cell, &bar));
    }
    bar.finish_and_clear();

    let results = Results {
        physrc_version: env!("CARGO_PKG_VERSION"),
        commit: commit(&root),
        date: report::utc_now(),
        machine: report::machine(),
        mode: if full { "full" } else { "quick" },
        features: plan.features,
        matrix_file: matrix_path.display().to_string(),
        readout: file.readout.clone(),
        substrates: plan.substrates.clone(),
        columns: plan.columns.clone(),
        cells,
        total_seconds: started.elapsed().as_secs_f64(),
    };
    write(&out, &plan, &results)?;
    println!("{}", report::terminal_table(&results));
    let failed = results.cells.iter().filter(|c| c.error.is_some()).count();
    println!(
        "{} cells ({} failed) in {:.0} s; report: {}",
        results.cells.len(),
        failed,
        results.total_seconds,
        out.join("index.html").display()
    );
    Ok(())
}

/// Everything the run needs, checked.
struct Plan {
    features: usize,
    /// Task names, in file order.
    tasks: Vec<String>,
    substrates: Vec<SubstrateInfo>,
    columns: Vec<Column>,
    cells: Vec<CellPlan>,
}

fn plan(file: &MatrixFile, args: &Args, full: bool, path: &Path) -> Result<Plan, String> {
    let features = args.features.unwrap_or(file.matrix.features);
    if features == 0 {
        return Err("features must be at least 1".into());
    }
    let seeds = args.seeds.unwrap_or(if full {
        file.matrix.full_seeds
    } else {
        file.matrix.seeds
    });
    if seeds == 0 {
        return Err("seeds must be at least 1".into());
    }
    let mut names = std::collections::BTreeSet::new();
    for s in &file.substrate {
        if !names.insert(format!("s:{}", s.name)) {
            return Err(format!("substrate {:?} is listed twice", s.name));
        }
    }
    for t in &file.task {
        if !names.insert(format!("t:{}", t.name)) {
            return Err(format!("task {:?} is listed twice", t.name));
        }
    }
    let filters = parse_only(&args.only, file)?;
    let wanted = |s: &str, t: &str| {
        filters.is_empty()
            || filters.iter().any(|(fs, ft)| {
                fs.as_deref().is_none_or(|x| x == s) && ft.as_deref().is_none_or(|x| x == t)
            })
    };

    let mut columns = Vec::new();
    for t in &file.task {
        match (&t.columns, &t.metric, t.better) {
            (Some(cols), None, None) if !cols.is_empty() => {
                columns.extend(cols.iter().map(|c| Column {
                    task: t.name.clone(),
                    metric: c.metric.clone(),
                    label: c.label.clone(),
                    better: c.better,
                }));
            }
            (None, Some(m), Some(b)) => columns.push(Column {
                task: t.name.clone(),
                metric: m.clone(),
                label: t.label.clone(),
                better: b,
            }),
            _ => {
                return Err(format!(
                    "task {:?}: give either `metric` and `better`, or a non-empty `columns`",
                    t.name
                ));
            }
        }
    }

    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut substrates = Vec::new();
    let mut cells = Vec::new();
    for (si, s) in file.substrate.iter().enumerate() {
        let sub = sized(s, features)?;
        // Every substrate is sized and its table checked; only those with a cell to run are
        // built and driven.
        let probe = if file.task.iter().any(|t| wanted(&s.name, &t.name)) {
            probe_substrate(s, &sub, features, file, &base_dir)?
        } else {
            Probe {
                seed_dependent: true,
                energy_model: false,
            }
        };
        substrates.push(SubstrateInfo {
            name: s.name.clone(),
            label: s.label.clone(),
            seed_dependent: probe.seed_dependent,
            energy_model: probe.energy_model,
        });
        for (ti, t) in file.task.iter().enumerate() {
            if !wanted(&s.name, &t.name) {
                continue;
            }
            let (task, split) = if full {
                (
                    t.full_config.as_ref().unwrap_or(&t.config),
                    t.full_split.or(t.split),
                )
            } else {
                (&t.config, t.split)
            };
            let text = cell_toml(&sub, task, split, &file.readout)?;
            let origin = format!("{}/{}", s.name, t.name);
            let cfg = RunConfig::from_toml_str(&text, &base_dir, &origin)
                .map_err(|e| format!("cell {origin}: {e}"))?;
            let task_dep = task_depends_on_seed(&cfg);
            let n = match (full, s.quick_seeds) {
                (false, Some(q)) if args.seeds.is_none() => q.min(seeds),
                _ => seeds,
            };
            let (seed_list, dep) = match (probe.seed_dependent, task_dep) {
                (true, true) => ((0..n).collect(), "substrate and task"),
                (true, false) => ((0..n).collect(), "substrate"),
                (false, true) => ((0..n).collect(), "task data only"),
                (false, false) => (vec![0], "none"),
            };
            cells.push(CellPlan {
                substrate: si,
                task: ti,
                text,
                cfg,
                seeds: seed_list,
                seed_dependence: dep,
            });
        }
    }
    if cells.is_empty() {
        return Err("no cell matches --only".into());
    }
    Ok(Plan {
        features,
        tasks: file.task.iter().map(|t| t.name.clone()).collect(),
        substrates,
        columns,
        cells,
    })
}

/// `--only` entries as (substrate, task) filters, every name checked against the file.
#[allow(clippy::type_complexity)]
fn parse_only(
    only: &[String],
    file: &MatrixFile,
) -> Result<Vec<(Option<String>, Option<String>)>, String> {
    let known_s: Vec<&str> = file.substrate.iter().map(|s| s.name.as_str()).collect();
    let known_t: Vec<&str> = file.task.iter().map(|t| t.name.as_str()).collect();
    only.iter()
        .map(|o| {
            let (s, t) = match o.split_once('/') {
                Some((s, t)) => (s, Some(t)),
                None => (o.as_str(), None),
            };
            let s = (!s.is_empty()).then(|| s.to_owned());
            let t = t.filter(|t| !t.is_empty()).map(str::to_owned);
            if let Some(s) = s.as_ref().filter(|s| !known_s.contains(&s.as_str())) {
                return Err(format!(
                    "--only: no substrate {s:?}; known: {}",
                    known_s.join(", ")
                ));
            }
            if let Some(t) = t.as_ref().filter(|t| !known_t.contains(&t.as_str())) {
                return Err(format!(
                    "--only: no task {t:?}; known: {}",
                    known_t.join(", ")
                ));
            }
            Ok((s, t))
        })
        .collect()
}

/// The substrate table with its size set from the feature count.
fn sized(s: &SubstrateRow, features: usize) -> Result<toml::Table, String> {
    let per = s.size.per.unwrap_or(1);
    if per == 0 || !features.is_multiple_of(per) {
        return Err(format!(
            "substrate {:?}: {features} features are not a whole number of units of {per}",
            s.name
        ));
    }
    let units = features / per;
    let value = if s.size.grid {
        // The most nearly square factorisation: the largest divisor not above the root.
        let nx = (1..=units)
            .take_while(|d| d * d <= units)
            .filter(|d| units.is_multiple_of(*d))
            .last()
            .unwrap_or(1);
        toml::Value::Array(vec![
            toml::Value::Integer(to_i64(units / nx)?),
            toml::Value::Integer(to_i64(nx)?),
        ])
    } else {
        toml::Value::Integer(to_i64(units)?)
    };
    let mut table = s.config.clone();
    set_dotted(&mut table, &s.size.key, value)
        .map_err(|e| format!("substrate {:?}: size key {:?}: {e}", s.name, s.size.key))?;
    Ok(table)
}

fn to_i64(v: usize) -> Result<i64, String> {
    i64::try_from(v).map_err(|_| format!("{v} does not fit a TOML integer"))
}

/// One cell's run config as TOML text.
fn cell_toml(
    substrate: &toml::Table,
    task: &toml::Table,
    split: Option<Split>,
    readout: &toml::Table,
) -> Result<String, String> {
    let mut t = toml::Table::new();
    t.insert("substrate".into(), toml::Value::Table(substrate.clone()));
    t.insert("task".into(), toml::Value::Table(task.clone()));
    if let Some(s) = split {
        t.insert(
            "split".into(),
            toml::Value::try_from(s).map_err(|e| e.to_string())?,
        );
    }
    t.insert("readout".into(), toml::Value::Table(readout.clone()));
    toml::to_string(&t).map_err(|e| e.to_string())
}

/// Whether the task's data change with the seed (generated tasks with a `seed` key).
fn task_depends_on_seed(cfg: &RunConfig) -> bool {
    let (mut a, mut b) = (cfg.clone(), cfg.clone());
    let _ = a.set_seed(0);
    let _ = b.set_seed(1);
    match (&a.source, &b.source) {
        (physrc::config::DataSource::Task(x), physrc::config::DataSource::Task(y)) => x != y,
        _ => false,
    }
}

struct Probe {
    seed_dependent: bool,
    energy_model: bool,
}

/// Builds the substrate at seeds 0 and 1, checks its feature count, and drives both with the
/// same input to see whether the seed changes anything.
fn probe_substrate(
    s: &SubstrateRow,
    sub: &toml::Table,
    features: usize,
    file: &MatrixFile,
    base_dir: &Path,
) -> Result<Probe, String> {
    let mut task = toml::Table::new();
    task.insert("kind".into(), "narma10".into());
    let split = Split {
        washout: 0,
        train: 1,
        test: 1,
    };
    let text = cell_toml(sub, &task, Some(split), &file.readout)?;
    let origin = format!("substrate {}", s.name);
    let cfg = RunConfig::from_toml_str(&text, base_dir, &origin).map_err(|e| e.to_string())?;
    let kind = cfg.substrate_kind().map_err(|e| e.to_string())?.to_owned();
    let u = ndarray::Array2::from_shape_fn((64, 1), |(t, _)| (0.37 * t as f64).sin());
    let mut outs = Vec::new();
    let mut energy_model = false;
    for seed in [0, 1] {
        let mut c = cfg.clone();
        c.set_seed(seed).map_err(|e| format!("{origin}: {e}"))?;
        let mut r = physrc::substrate::build(&kind, &c, 1).map_err(|e| format!("{origin}: {e}"))?;
        if r.state_dim() != features {
            return Err(format!(
                "{origin}: sized for {features} readout features but reports {}; fix its \
                 size rule in the matrix file",
                r.state_dim()
            ));
        }
        r.reset().map_err(|e| format!("{origin}: {e}"))?;
        outs.push(r.run(u.view()).map_err(|e| format!("{origin}: {e}"))?);
        energy_model = r.energy().is_some();
    }
    Ok(Probe {
        seed_dependent: outs[0] != outs[1],
        energy_model,
    })
}

/// Runs one cell over its seeds; an error or a panic becomes the cell's error.
fn execute(plan: &Plan, cell: &CellPlan, bar: &ProgressBar) -> CellResult {
    let sub = &plan.substrates[cell.substrate];
    let task = &cell.cfg.origin;
    let mut per_metric: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let (mut secs, mut joules, mut alphas) = (Vec::new(), Vec::new(), Vec::new());
    let (mut mc, mut ipc): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (Vec::new(), Vec::new());
    let mut trace = None;
    let mut state_dim = None;
    let mut error = None;
    for &seed in &cell.seeds {
        bar.set_message(format!("{task} seed {seed}"));
        let mut cfg = cell.cfg.clone();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cfg.set_seed(seed)?;
            physrc::experiment::run(&cfg)
        }));
        bar.inc(1);
        let o = match result {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => {
                error = Some(format!("seed {seed}: {e}"));
                break;
            }
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                error = Some(format!("seed {seed}: panicked: {msg}"));
                break;
            }
        };
        for (k, v) in &o.report.metrics {
            per_metric.entry(k.clone()).or_default().push(*v);
        }
        secs.push(o.report.timing.seconds_per_step);
        if let Some(e) = &o.report.energy {
            joules.push(e.joules_per_step);
        }
        alphas.push(o.report.readout.alpha_chosen);
        state_dim = Some(o.report.state_dim);
        if let Some(c) = &o.report.capacity {
            if let Some(v) = &c.memory_per_delay {
                mc.push(v.clone());
            }
            if let Some(v) = &c.ipc_by_degree {
                ipc.push(v.clone());
            }
        }
        if let (None, Series::Values(p), Series::Values(y)) = (&trace, &o.predictions, &o.targets)
            && p.ncols() > 0
            && p.nrows() > 0
        {
            let n = p.nrows().min(TRACE_STEPS);
            trace = Some(Trace {
                target: y.column(0).iter().take(n).copied().collect(),
                prediction: p.column(0).iter().take(n).copied().collect(),
            });
        }
    }
    let failed = error.is_some();
    let mean_of = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    CellResult {
        substrate: sub.name.clone(),
        task: cell_task_name(plan, cell),
        seeds: cell.seeds.clone(),
        seed_dependence: cell.seed_dependence,
        metrics: if failed {
            BTreeMap::new()
        } else {
            per_metric
                .into_iter()
                .map(|(k, v)| (k, Stat::of(v)))
                .collect()
        },
        seconds_per_step: mean_of(&secs).filter(|_| !failed),
        joules_per_step: mean_of(&joules).filter(|_| !failed),
        state_dim,
        alpha_chosen: alphas,
        config_file: format!("cells/{}.toml", cell_file_stem(plan, cell)),
        config: cell.text.clone(),
        error,
        trace: trace.filter(|_| !failed),
        memory_per_delay: mean_curve(&mc).filter(|_| !failed),
        ipc_by_degree: mean_curve(&ipc).filter(|_| !failed),
    }
}

fn cell_task_name(plan: &Plan, cell: &CellPlan) -> String {
    plan.tasks[cell.task].clone()
}

fn cell_file_stem(plan: &Plan, cell: &CellPlan) -> String {
    format!(
        "{}__{}",
        plan.substrates[cell.substrate].name,
        cell_task_name(plan, cell)
    )
}

/// The element-wise mean of equally long curves.
fn mean_curve(curves: &[Vec<f64>]) -> Option<Vec<f64>> {
    let first = curves.first()?;
    let n = curves.len() as f64;
    Some(
        (0..first.len())
            .map(|i| {
                curves
                    .iter()
                    .map(|c| c.get(i).copied().unwrap_or(0.0))
                    .sum::<f64>()
                    / n
            })
            .collect(),
    )
}

fn commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "HEAD"]) {
        Some(head) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty { format!("{head}-dirty") } else { head }
        }
        None => "unknown".into(),
    }
}

/// Writes `results.json`, `results.csv`, `table.md`, the cells' configs and `index.html`.
fn write(out: &Path, plan: &Plan, results: &Results) -> Result<(), String> {
    let cells_dir = out.join("cells");
    std::fs::create_dir_all(&cells_dir).map_err(|e| format!("{}: {e}", cells_dir.display()))?;
    for cell in &plan.cells {
        let p = cells_dir.join(format!("{}.toml", cell_file_stem(plan, cell)));
        let text = format!(
            "# One cell of `cargo xtask compare`: reproduce seed S with\n# `physrc run {} --seed S --out DIR`.\n{}",
            p.file_name()
                .map(|f| f.to_string_lossy())
                .unwrap_or_default(),
            cell.text
        );
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let p = out.join("results.json");
    let json = serde_json::to_string_pretty(results).map_err(|e| e.to_string())?;
    std::fs::write(&p, json + "\n").map_err(|e| format!("{}: {e}", p.display()))?;
    report::write_csv(&out.join("results.csv"), results)?;
    let p = out.join("table.md");
    std::fs::write(&p, report::markdown_table(results))
        .map_err(|e| format!("{}: {e}", p.display()))?;
    let p = out.join("index.html");
    std::fs::write(&p, report::html(results)?).map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(())
}

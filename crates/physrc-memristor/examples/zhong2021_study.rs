//! The dependence of Zhong et al.'s Hénon prediction on mask length, voltage window and
//! reservoir size (Nat. Commun. 12, 408 (2021), Fig. 4d/e), measured through `physrc run`.
//!
//! The study does not fit anything itself: it writes one run config per grid point, derived
//! from `configs/zhong2021-henon.toml` (25 devices, M = 4, [−0.8, 2.5] V, 1000/1000 steps,
//! ridge readout), runs the `physrc` binary on it once per seed (`--seed k` re-seeds both the
//! masks and the Hénon noise), and reads `metrics.nrmse` from each `report.json`. Every number
//! therefore comes from the same code path as any other `physrc run`.
//!
//! Two sweeps, as in the paper's Fig. 4:
//!
//! - **Mask length and voltage window** (Fig. 4d): `M` over the divisors of 100 with
//!   `N = 100 / M` devices, so the readout always sees `M·N = 100` features, against `V_max`
//!   from 2.0 to 3.0 V in steps of 0.1 V, at `V_min = −0.8 V` (the paper's Fig. 4 window).
//! - **Reservoir size** (Fig. 4e): `M = 4` and `V_max = 2.5 V`, `N` from 1 to 100 devices, so
//!   `M·N` from 4 to 400 features.
//!
//! Each point is the mean ± sample standard deviation over seeds 0 to `--seeds − 1`. The study
//! prints Markdown tables (the ones in `docs/physics/memristor.md`), writes every run's NRMSE
//! to `results.csv` and the generated configs to `configs/` under `--out`, and with `--svg`
//! draws both sweeps.
//!
//! Build the binary first, then run from the workspace root:
//!
//! ```text
//! cargo build --release --bin physrc
//! cargo run --release -p physrc-memristor --example zhong2021_study -- \
//!     --svg docs/physics/zhong2021-henon-study.svg
//! ```

#![deny(missing_docs)]

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use plotters::prelude::*;

/// Mask lengths of the first sweep: the divisors of 100, so `N = 100 / M` is whole.
const MASK_LENGTHS: [usize; 9] = [1, 2, 4, 5, 10, 20, 25, 50, 100];
/// Features the readout sees in the first sweep, as in the paper's Fig. 4d.
const FEATURES: usize = 100;
/// `V_max` grid of the first sweep in tenths of a volt: 2.0 to 3.0 V, the paper's range.
const V_MAX_TENTHS: std::ops::RangeInclusive<u32> = 20..=30;
/// Devices of the size sweep, at `M = 4`.
const SIZE_DEVICES: [usize; 13] = [1, 2, 3, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100];
/// Mask length and `V_max` of the size sweep: the paper's Fig. 4e keeps `M = 4`.
const SIZE_M: usize = 4;
const SIZE_V_MAX: f64 = 2.5;
/// The paper's hardware result at `M = 4`, `N = 25`, [−0.8, 2.5] V (Fig. 4a).
const HARDWARE_NRMSE: f64 = 0.046;
/// Above this NRMSE the paper's Fig. 4d colour map is black (saturated).
const COLOUR_CAP: f64 = 0.13;

const USAGE: &str = "\
usage: zhong2021_study [--physrc PATH] [--config PATH] [--out DIR] [--svg PATH]
                       [--seeds N] [--jobs N] [--v-min VOLTS] [--set KEY=VALUE]...

  --physrc PATH   the physrc binary [default: target/release/physrc]
  --config PATH   base run config [default: configs/zhong2021-henon.toml]
  --out DIR       generated configs, run folders and results.csv
                  [default: target/zhong2021-study]
  --svg PATH      also draw both sweeps into this SVG file
  --seeds N       seeds 0..N per point, N >= 2 [default: 10]
  --jobs N        runs at once [default: the number of cores]
  --v-min VOLTS   V_min of every point [default: -0.8, the paper's Fig. 4]
  --set KEY=VALUE set a [substrate] key of every point, VALUE in TOML syntax:
                  variation=0.1, read_noise=0.02, zhong2021.alpha=0.5 (repeatable)";

/// Command-line settings.
#[derive(Debug)]
struct Args {
    physrc: PathBuf,
    config: PathBuf,
    out: PathBuf,
    svg: Option<PathBuf>,
    seeds: u64,
    jobs: usize,
    v_min: f64,
    /// `[substrate]` keys set on every point (a dotted key reaches into a sub-table).
    sets: Vec<(Vec<String>, toml::Value)>,
}

/// The workspace root: the crate lives two folders below it.
fn workspace_root() -> &'static Path {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).unwrap_or(manifest)
}

/// Parses the command line; the error is a message for the user (empty for `--help`).
fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let root = workspace_root();
    let mut args = Args {
        physrc: root.join("target/release/physrc"),
        config: root.join("configs/zhong2021-henon.toml"),
        out: root.join("target/zhong2021-study"),
        svg: None,
        seeds: 10,
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        v_min: -0.8,
        sets: Vec::new(),
    };
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--physrc" => args.physrc = value.into(),
            "--config" => args.config = value.into(),
            "--out" => args.out = value.into(),
            "--svg" => args.svg = Some(value.into()),
            "--seeds" => {
                args.seeds = value.parse().ok().filter(|&n| n >= 2).ok_or_else(|| {
                    format!("--seeds {value:?}: need a whole number of at least 2 (for an sd)")
                })?;
            }
            "--jobs" => {
                args.jobs = value.parse().ok().filter(|&n| n >= 1).ok_or_else(|| {
                    format!("--jobs {value:?}: need a whole number of at least 1")
                })?;
            }
            "--v-min" => {
                args.v_min = value
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite() && *v < 2.0)
                    .ok_or_else(|| {
                        format!("--v-min {value:?}: need a voltage below the grid's 2.0 V")
                    })?;
            }
            "--set" => args.sets.push(parse_set(&value)?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

/// Parses `KEY=VALUE` for `--set`: a dotted key below `[substrate]` and a TOML value.
fn parse_set(s: &str) -> Result<(Vec<String>, toml::Value), String> {
    let (key, value) = s
        .split_once('=')
        .ok_or_else(|| format!("--set {s:?}: need KEY=VALUE, as variation=0.1"))?;
    let path: Vec<String> = key.trim().split('.').map(str::to_owned).collect();
    if path.iter().any(String::is_empty) {
        return Err(format!("--set {s:?}: the key {key:?} has an empty part"));
    }
    if path.len() == 1 && GRID_KEYS.contains(&path[0].as_str()) {
        return Err(format!(
            "--set {s:?}: {key} is set by the grid (use --v-min for the lower voltage)"
        ));
    }
    let parsed: toml::Table = format!("v = {}", value.trim())
        .parse()
        .map_err(|_| format!("--set {s:?}: {value:?} is not a TOML value (strings need quotes)"))?;
    let value = parsed
        .get("v")
        .cloned()
        .ok_or_else(|| format!("--set {s:?}: no value"))?;
    Ok((path, value))
}

/// The `[substrate]` keys each grid point sets.
const GRID_KEYS: [&str; 4] = ["devices", "virtual_nodes", "v_min", "v_max"];

/// The `--set` overrides as `key = value` text, for comments and legends.
fn describe_sets(sets: &[(Vec<String>, toml::Value)]) -> String {
    sets.iter()
        .map(|(k, v)| format!("{} = {v}", k.join(".")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which sweep a point belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sweep {
    /// Mask length against `V_max` at `M·N = 100`.
    Mask,
    /// Reservoir size at `M = 4`.
    Size,
}

impl Sweep {
    fn name(self) -> &'static str {
        match self {
            Sweep::Mask => "mask",
            Sweep::Size => "size",
        }
    }
}

/// One grid point: a device count, a mask length and a voltage window.
#[derive(Debug, Clone, Copy)]
struct Point {
    sweep: Sweep,
    m: usize,
    n: usize,
    v_max: f64,
}

impl Point {
    /// A file name that identifies the point.
    fn label(&self, v_min: f64) -> String {
        format!(
            "{}-m{}-n{}-vmin{v_min}-vmax{:.1}",
            self.sweep.name(),
            self.m,
            self.n,
            self.v_max
        )
    }
}

/// Every point of both sweeps.
fn points() -> Vec<Point> {
    let mut p = Vec::new();
    for m in MASK_LENGTHS {
        for t in V_MAX_TENTHS {
            p.push(Point {
                sweep: Sweep::Mask,
                m,
                n: FEATURES / m,
                v_max: f64::from(t) / 10.0,
            });
        }
    }
    for n in SIZE_DEVICES {
        p.push(Point {
            sweep: Sweep::Size,
            m: SIZE_M,
            n,
            v_max: SIZE_V_MAX,
        });
    }
    p
}

/// The base config with the point's `[substrate]` keys and the `--set` overrides applied,
/// headed by a comment naming its origin. The `[expect]` section is dropped: it states the base
/// point's result, not this one's.
fn point_config(
    base: &toml::Table,
    origin: &Path,
    p: &Point,
    v_min: f64,
    sets: &[(Vec<String>, toml::Value)],
) -> Result<String, String> {
    let mut cfg = base.clone();
    cfg.remove("expect");
    let sub = cfg
        .get_mut("substrate")
        .and_then(toml::Value::as_table_mut)
        .ok_or("the base config has no [substrate] table")?;
    if sub.get("kind").and_then(toml::Value::as_str) != Some("memristor") {
        return Err("the base config's substrate is not kind = \"memristor\"".to_owned());
    }
    let count = |v: usize| toml::Value::Integer(i64::try_from(v).unwrap_or(i64::MAX));
    sub.insert("devices".to_owned(), count(p.n));
    sub.insert("virtual_nodes".to_owned(), count(p.m));
    sub.insert("v_min".to_owned(), toml::Value::Float(v_min));
    sub.insert("v_max".to_owned(), toml::Value::Float(p.v_max));
    for (path, value) in sets {
        let (last, parents) = path.split_last().ok_or("--set with an empty key")?;
        let mut table = &mut *sub;
        for part in parents {
            table = table
                .entry(part.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .ok_or_else(|| {
                    format!(
                        "--set {}: [substrate] {part} is not a table",
                        path.join(".")
                    )
                })?;
        }
        table.insert(last.clone(), value.clone());
    }
    let set_note = if sets.is_empty() {
        String::new()
    } else {
        format!(", {}", describe_sets(sets))
    };
    let body = toml::to_string(&cfg).map_err(|e| format!("cannot write a config: {e}"))?;
    Ok(format!(
        "# Written by the zhong2021_study example of physrc-memristor from {}:\n\
         # M = {}, N = {}, [{v_min}, {:.1}] V{set_note}.\n\
         # Run it with `physrc run FILE --out DIR --seed K`.\n\n{body}",
        origin
            .strip_prefix(workspace_root())
            .unwrap_or(origin)
            .display(),
        p.m,
        p.n,
        p.v_max
    ))
}

/// Runs `physrc run CONFIG --seed SEED` into `dir` and returns `metrics.nrmse`.
fn run_one(physrc: &Path, config: &Path, seed: u64, dir: &Path) -> Result<f64, String> {
    let out = Command::new(physrc)
        .arg("run")
        .arg(config)
        .arg("--out")
        .arg(dir)
        .arg("--force")
        .arg("--seed")
        .arg(seed.to_string())
        .output()
        .map_err(|e| format!("cannot start {}: {e}", physrc.display()))?;
    if !out.status.success() {
        return Err(format!(
            "physrc run {} --seed {seed} failed: {}",
            config.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let report_path = dir.join("report.json");
    let text = fs::read_to_string(&report_path)
        .map_err(|e| format!("cannot read {}: {e}", report_path.display()))?;
    let report: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not JSON: {e}", report_path.display()))?;
    report["metrics"]["nrmse"]
        .as_f64()
        .ok_or_else(|| format!("{} has no metrics.nrmse", report_path.display()))
}

/// Mean and sample standard deviation.
fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

/// A point's result: its per-seed NRMSE.
#[derive(Debug, Clone)]
struct Measured {
    point: Point,
    nrmse: Vec<f64>,
}

impl Measured {
    fn stats(&self) -> (f64, f64) {
        mean_sd(&self.nrmse)
    }
}

/// Runs every (point, seed) on `jobs` worker threads, each with its own run folder.
fn run_all(args: &Args, configs: &[PathBuf], pts: &[Point]) -> Result<Vec<Measured>, String> {
    let seeds = args.seeds as usize;
    let tasks = pts.len() * seeds;
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![f64::NAN; tasks]);
    let failure: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|s| {
        for w in 0..args.jobs {
            let (next, results, failure) = (&next, &results, &failure);
            let dir = args.out.join("runs").join(format!("worker-{w}"));
            s.spawn(move || {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= tasks || failure.lock().map_or(true, |f| f.is_some()) {
                        break;
                    }
                    let (i, seed) = (k / seeds, (k % seeds) as u64);
                    match run_one(&args.physrc, &configs[i], seed, &dir) {
                        Ok(v) => {
                            if let Ok(mut r) = results.lock() {
                                r[k] = v;
                            }
                        }
                        Err(e) => {
                            if let Ok(mut f) = failure.lock() {
                                f.get_or_insert(e);
                            }
                            break;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    let values = results
        .into_inner()
        .map_err(|_| "a worker thread panicked".to_owned())?;
    Ok(pts
        .iter()
        .enumerate()
        .map(|(i, &point)| Measured {
            point,
            nrmse: values[i * seeds..(i + 1) * seeds].to_vec(),
        })
        .collect())
}

/// The Markdown tables of both sweeps.
fn tables(results: &[Measured], args: &Args) -> String {
    let mut s = String::new();
    let mask: Vec<&Measured> = results
        .iter()
        .filter(|r| r.point.sweep == Sweep::Mask)
        .collect();
    let v_maxes: Vec<f64> = V_MAX_TENTHS.map(|t| f64::from(t) / 10.0).collect();
    let at = |m: usize, v: f64| {
        mask.iter()
            .find(|r| r.point.m == m && (r.point.v_max - v).abs() < 1e-9)
            .map(|r| r.stats())
    };
    if !args.sets.is_empty() {
        let _ = writeln!(s, "Every point with {}.\n", describe_sets(&args.sets));
    }
    let _ = writeln!(
        s,
        "NRMSE at M·N = {FEATURES}, V_min = {} V: mean ± sd over seeds 0-{}\n",
        args.v_min,
        args.seeds - 1
    );
    let _ = writeln!(s, "| M | N | V_max = 2.0 V | 2.5 V | 3.0 V |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for m in MASK_LENGTHS {
        let _ = write!(s, "| {m} | {} |", FEATURES / m);
        for v in [2.0, 2.5, 3.0] {
            if let Some((mean, sd)) = at(m, v) {
                let _ = write!(s, " {mean:.4} ± {sd:.4} |");
            }
        }
        s.push('\n');
    }
    let _ = writeln!(s, "\nMean NRMSE on the whole V_max grid (V):\n");
    let _ = write!(s, "| M \\ V_max |");
    for v in &v_maxes {
        let _ = write!(s, " {v:.1} |");
    }
    let _ = write!(s, "\n|---|");
    for _ in &v_maxes {
        s.push_str("---|");
    }
    s.push('\n');
    for m in MASK_LENGTHS {
        let _ = write!(s, "| {m} |");
        for &v in &v_maxes {
            if let Some((mean, _)) = at(m, v) {
                let _ = write!(s, " {mean:.4} |");
            }
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "\nNRMSE against reservoir size at M = {SIZE_M}, [{}, {SIZE_V_MAX}] V: mean ± sd over \
         seeds 0-{}\n",
        args.v_min,
        args.seeds - 1
    );
    let _ = writeln!(s, "| N | M·N | NRMSE |");
    let _ = writeln!(s, "|---|---|---|");
    for r in results.iter().filter(|r| r.point.sweep == Sweep::Size) {
        let (mean, sd) = r.stats();
        let _ = writeln!(
            s,
            "| {} | {} | {mean:.4} ± {sd:.4} |",
            r.point.n,
            r.point.n * r.point.m
        );
    }
    s
}

/// Every run's NRMSE as CSV.
fn csv(results: &[Measured], v_min: f64) -> String {
    let mut s = String::from("sweep,m,n,features,v_min,v_max,seed,nrmse\n");
    for r in results {
        let p = r.point;
        for (seed, v) in r.nrmse.iter().enumerate() {
            let _ = writeln!(
                s,
                "{},{},{},{},{v_min},{:.1},{seed},{v}",
                p.sweep.name(),
                p.m,
                p.n,
                p.m * p.n,
                p.v_max
            );
        }
    }
    s
}

/// Mean and error bar (mean ± sd) of a series, as plot coordinates.
type Series = Vec<(f64, f64, f64)>;

fn series(
    results: &[Measured],
    keep: impl Fn(&Point) -> bool,
    x: impl Fn(&Point) -> f64,
) -> Series {
    results
        .iter()
        .filter(|r| keep(&r.point))
        .map(|r| {
            let (m, sd) = r.stats();
            (x(&r.point), m, sd)
        })
        .collect()
}

/// Draws one log–log panel: each series as a line with sample-sd error bars.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    x_desc: &str,
    x_range: (f64, f64),
    curves: &[(String, Series, RGBColor)],
    marks: &[(String, f64, f64, RGBColor)],
    hline: Option<(String, f64)>,
    legend: SeriesLabelPosition,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(55)
        .build_cartesian_2d(
            (x_range.0..x_range.1).log_scale(),
            (0.003f64..1.0).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("test NRMSE")
        .y_label_formatter(&|v| format!("{v:.3}"))
        .draw()?;
    for (name, s, colour) in curves {
        let c = *colour;
        chart
            .draw_series(LineSeries::new(s.iter().map(|&(x, m, _)| (x, m)), c))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], c));
        chart.draw_series(
            s.iter()
                .map(|&(x, m, _)| Circle::new((x, m), 3, c.filled())),
        )?;
        // Error bars: mean ± sample sd, floored at the axis so a wide bar stays drawable.
        chart.draw_series(
            s.iter()
                .map(|&(x, m, sd)| PathElement::new([(x, (m - sd).max(0.003)), (x, m + sd)], c)),
        )?;
    }
    for (name, x, y, colour) in marks {
        let c = *colour;
        chart
            .draw_series(std::iter::once(TriangleMarker::new(
                (*x, *y),
                6,
                c.filled(),
            )))?
            .label(name.as_str())
            .legend(move |(x, y)| TriangleMarker::new((x + 9, y), 5, c.filled()));
    }
    if let Some((name, y)) = hline {
        let grey = RGBColor(120, 120, 120);
        chart
            .draw_series(LineSeries::new(
                [(x_range.0, y), (x_range.1, y)],
                grey.stroke_width(1),
            ))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], grey));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 12))
        .position(legend)
        .draw()?;
    Ok(())
}

/// What the legend says about the model: nothing beyond its name unless `--set` changed it.
fn model_note(args: &Args) -> String {
    if args.sets.is_empty() {
        String::new()
    } else {
        format!(" ({})", describe_sets(&args.sets))
    }
}

/// Draws the two sweeps side by side.
fn plot(results: &[Measured], args: &Args, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1100, 450)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(550);
    let colours = [
        RGBColor(200, 60, 40),
        RGBColor(40, 120, 40),
        RGBColor(40, 70, 200),
    ];
    let curves: Vec<(String, Series, RGBColor)> = [2.0, 2.5, 3.0]
        .iter()
        .zip(colours)
        .map(|(&v, c)| {
            let s = series(
                results,
                |p| p.sweep == Sweep::Mask && (p.v_max - v).abs() < 1e-9,
                |p| p.m as f64,
            );
            (
                format!("physrc{}, V_max = {v:.1} V", model_note(args)),
                s,
                c,
            )
        })
        .collect();
    panel(
        &left,
        &format!("Mask length at M·N = {FEATURES}, V_min = {} V", args.v_min),
        "mask length M (N = 100/M devices)",
        (0.8, 125.0),
        &curves,
        &[(
            format!("paper, hardware (M = 4, 2.5 V): {HARDWARE_NRMSE}"),
            4.0,
            HARDWARE_NRMSE,
            BLACK,
        )],
        Some((
            format!("paper's Fig. 4d colour cap {COLOUR_CAP}"),
            COLOUR_CAP,
        )),
        // The curves are lowest in the middle of the M axis, which leaves its top free.
        SeriesLabelPosition::UpperMiddle,
    )?;
    let size = series(results, |p| p.sweep == Sweep::Size, |p| (p.m * p.n) as f64);
    panel(
        &right,
        &format!(
            "Reservoir size at M = {SIZE_M}, [{}, {SIZE_V_MAX}] V",
            args.v_min
        ),
        "reservoir size M·N (features)",
        (3.0, 550.0),
        &[(
            if args.sets.is_empty() {
                "physrc, noise-free model".to_owned()
            } else {
                format!("physrc{}", model_note(args))
            },
            size,
            colours[2],
        )],
        &[(
            format!("paper, hardware (N = 25): {HARDWARE_NRMSE}"),
            100.0,
            HARDWARE_NRMSE,
            BLACK,
        )],
        None,
        SeriesLabelPosition::UpperRight,
    )?;
    root.present()?;
    Ok(())
}

fn study(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    if !args.physrc.is_file() {
        return Err(format!(
            "no physrc binary at {}: build it with `cargo build --release --bin physrc` or \
             pass --physrc PATH",
            args.physrc.display()
        )
        .into());
    }
    let base: toml::Table = fs::read_to_string(&args.config)
        .map_err(|e| format!("cannot read {}: {e}", args.config.display()))?
        .parse()
        .map_err(|e| format!("{} is not TOML: {e}", args.config.display()))?;
    let pts = points();
    let cfg_dir = args.out.join("configs");
    fs::create_dir_all(&cfg_dir)
        .map_err(|e| format!("cannot create {}: {e}", cfg_dir.display()))?;
    let mut configs = Vec::with_capacity(pts.len());
    for p in &pts {
        let path = cfg_dir.join(format!("{}.toml", p.label(args.v_min)));
        fs::write(
            &path,
            point_config(&base, &args.config, p, args.v_min, &args.sets)?,
        )
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        configs.push(path);
    }
    eprintln!(
        "{} points x {} seeds = {} runs of {} on {} jobs",
        pts.len(),
        args.seeds,
        pts.len() as u64 * args.seeds,
        args.physrc.display(),
        args.jobs
    );
    let start = Instant::now();
    let results = run_all(args, &configs, &pts)?;
    let elapsed = start.elapsed().as_secs_f64();
    let csv_path = args.out.join("results.csv");
    fs::write(&csv_path, csv(&results, args.v_min))
        .map_err(|e| format!("cannot write {}: {e}", csv_path.display()))?;
    println!("{}", tables(&results, args));
    if let Some(svg) = &args.svg {
        plot(&results, args, svg)?;
        eprintln!("wrote {}", svg.display());
    }
    eprintln!(
        "{} runs in {elapsed:.1} s; wrote {} and the configs in {}",
        pts.len() as u64 * args.seeds,
        csv_path.display(),
        cfg_dir.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) if msg.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("error: {msg}\n\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match study(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

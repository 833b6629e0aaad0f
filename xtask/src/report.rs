//! The outputs of `cargo xtask compare` besides `results.json`: `results.csv`, the terminal
//! table, and `index.html`, a self-contained page (no network, no scripts) whose plots are
//! SVG drawn by plotters and inlined.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use crate::compare::{Better, CellResult, Column, Results};

/// The moment of the run in UTC, ISO 8601, from the system clock.
pub(crate) fn utc_now() -> String {
    crate::peers::now_utc().timestamp()
}

/// What the machine is: CPU, cores, memory, system. Timings mean nothing without it.
pub(crate) fn machine() -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    // `key : value` lines of /proc/cpuinfo and /proc/meminfo, `KEY=value` of os-release.
    let field = |text: &str, key: &str, sep: char| {
        text.lines()
            .filter_map(|l| l.split_once(sep))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().trim_matches('"').to_owned())
    };
    let model = field(&cpuinfo, "model name", ':').unwrap_or_else(|| "unknown".into());
    // The marketing name alone ("AMD EPYC") does not tell processor generations apart.
    let cpu = match (
        field(&cpuinfo, "cpu family", ':'),
        field(&cpuinfo, "model", ':'),
    ) {
        (Some(f), Some(m)) => format!("{model} (family {f}, model {m})"),
        _ => model,
    };
    m.insert("cpu".into(), cpu);
    m.insert(
        "cores".into(),
        std::thread::available_parallelism().map_or_else(|_| "unknown".into(), |n| n.to_string()),
    );
    let memory = field(&read("/proc/meminfo"), "MemTotal", ':')
        .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or_else(
            || "unknown".into(),
            |kb| format!("{:.1} GiB", kb / 1_048_576.0),
        );
    m.insert("memory".into(), memory);
    m.insert(
        "os".into(),
        field(&read("/etc/os-release"), "PRETTY_NAME", '=')
            .unwrap_or_else(|| std::env::consts::OS.into()),
    );
    m.insert("arch".into(), std::env::consts::ARCH.into());
    m
}

/// A number in at most four significant digits, without a long exponent for ordinary sizes.
fn num(v: f64) -> String {
    if v == 0.0 || (1e-3..1e4).contains(&v.abs()) {
        let digits = if v.abs() >= 100.0 {
            1
        } else if v.abs() >= 10.0 {
            2
        } else {
            3
        };
        format!("{v:.digits$}")
    } else {
        format!("{v:.2e}")
    }
}

fn find<'a>(r: &'a Results, substrate: &str, task: &str) -> Option<&'a CellResult> {
    r.cells
        .iter()
        .find(|c| c.substrate == substrate && c.task == task)
}

/// The cell's text for a column: `mean ± std`, `failed`, or `—` when not run.
fn cell_text(cell: Option<&CellResult>, col: &Column) -> String {
    match cell {
        None => "—".into(),
        Some(c) if c.error.is_some() => "failed".into(),
        Some(c) => match c.metrics.get(&col.metric) {
            Some(s) if c.seeds.len() > 1 => format!("{}±{}", num(s.mean), num(s.std)),
            Some(s) => num(s.mean),
            None => "n/a".into(),
        },
    }
}

/// The matrix as a terminal table: one line per column (task and metric), one column per
/// substrate, so that it fits a terminal.
pub(crate) fn terminal_table(r: &Results) -> String {
    let width = 15;
    let mut s = String::new();
    let _ = write!(s, "{:<30}", "task (metric)");
    for sub in &r.substrates {
        let _ = write!(s, " {:>width$}", truncate(&sub.name, width));
    }
    s.push('\n');
    for col in &r.columns {
        let arrow = match col.better {
            Better::Lower => "↓",
            Better::Higher => "↑",
        };
        let _ = write!(s, "{:<30}", truncate(&format!("{} {arrow}", col.label), 30));
        for sub in &r.substrates {
            let t = cell_text(find(r, &sub.name, &col.task), col);
            let _ = write!(s, " {:>width$}", truncate(&t, width));
        }
        s.push('\n');
    }
    let _ = write!(s, "{:<30}", "seconds per step");
    for sub in &r.substrates {
        let t = mean_seconds(r, &sub.name).map_or("—".into(), num);
        let _ = write!(s, " {t:>width$}");
    }
    s.push('\n');
    for c in r.cells.iter().filter(|c| c.error.is_some()) {
        let _ = writeln!(
            s,
            "failed: {}/{}: {}",
            c.substrate,
            c.task,
            c.error.as_deref().unwrap_or("")
        );
    }
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

fn mean_seconds(r: &Results, substrate: &str) -> Option<f64> {
    let v: Vec<f64> = r
        .cells
        .iter()
        .filter(|c| c.substrate == substrate)
        .filter_map(|c| c.seconds_per_step)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn mean_joules(r: &Results, substrate: &str) -> Option<f64> {
    let v: Vec<f64> = r
        .cells
        .iter()
        .filter(|c| c.substrate == substrate)
        .filter_map(|c| c.joules_per_step)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The matrix as a Markdown table (`table.md`), for `docs/benchmarks.md`: one row per column
/// of the matrix, one column per substrate, then seconds and joules per step.
pub(crate) fn markdown_table(r: &Results) -> String {
    let mut s = String::new();
    let _ = write!(s, "| task (metric) |");
    for sub in &r.substrates {
        let _ = write!(s, " {} |", sub.label);
    }
    s.push_str("\n|---|");
    for _ in &r.substrates {
        s.push_str("---|");
    }
    s.push('\n');
    for col in &r.columns {
        let arrow = match col.better {
            Better::Lower => "↓",
            Better::Higher => "↑",
        };
        let _ = write!(s, "| {} (`{}`) {arrow} |", col.label, col.metric);
        for sub in &r.substrates {
            let _ = write!(
                s,
                " {} |",
                cell_text(find(r, &sub.name, &col.task), col).replace('±', " ± ")
            );
        }
        s.push('\n');
    }
    let _ = write!(s, "| seconds per step |");
    for sub in &r.substrates {
        let _ = write!(
            s,
            " {} |",
            mean_seconds(r, &sub.name).map_or("—".into(), num)
        );
    }
    s.push('\n');
    let _ = write!(s, "| joules per step (model) |");
    for sub in &r.substrates {
        let _ = write!(
            s,
            " {} |",
            mean_joules(r, &sub.name).map_or("no model".into(), num)
        );
    }
    s.push('\n');
    s
}

/// One CSV row: a cell and one of its metrics.
#[derive(serde::Serialize)]
struct CsvRow<'a> {
    substrate: &'a str,
    task: &'a str,
    metric: &'a str,
    mean: Option<f64>,
    std: Option<f64>,
    seeds: usize,
    values: String,
    seed_dependence: &'a str,
    seconds_per_step: Option<f64>,
    joules_per_step: Option<f64>,
    state_dim: Option<usize>,
    config_file: &'a str,
    error: &'a str,
}

fn csv_row<'a>(
    c: &'a CellResult,
    metric: &'a str,
    mean: Option<f64>,
    std: Option<f64>,
    values: String,
) -> CsvRow<'a> {
    CsvRow {
        substrate: &c.substrate,
        task: &c.task,
        metric,
        mean,
        std,
        seeds: c.seeds.len(),
        values,
        seed_dependence: c.seed_dependence,
        seconds_per_step: c.seconds_per_step,
        joules_per_step: c.joules_per_step,
        state_dim: c.state_dim,
        config_file: &c.config_file,
        error: c.error.as_deref().unwrap_or(""),
    }
}

/// `results.csv`: one row per cell and metric (a failed cell gets one row with its error).
pub(crate) fn write_csv(path: &Path, r: &Results) -> Result<(), String> {
    let mut w = csv::Writer::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for c in &r.cells {
        if c.metrics.is_empty() {
            w.serialize(csv_row(c, "", None, None, String::new()))
                .map_err(|e| e.to_string())?;
        }
        for (k, s) in &c.metrics {
            let values = s
                .values
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(";");
            w.serialize(csv_row(c, k, Some(s.mean), Some(s.std), values))
                .map_err(|e| e.to_string())?;
        }
    }
    w.flush().map_err(|e| format!("{}: {e}", path.display()))
}

/// Colours of the substrates in every plot, in row order.
fn colour(i: usize) -> RGBColor {
    const P: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    P[i % P.len()]
}

type Svg = Result<String, String>;

fn plot_err<E: std::fmt::Display>(e: E) -> String {
    format!("plot: {e}")
}

/// The heatmap: substrates down, columns across, each cell coloured by its rank within the
/// column (green best, red worst) with its numbers written in it.
fn heatmap(r: &Results) -> Svg {
    let (left, top, cw, ch) = (236i32, 120i32, 104i32, 46i32);
    let w = left + cw * r.columns.len() as i32 + 10;
    let h = top + ch * r.substrates.len() as i32 + 10;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w as u32, h as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let label = ("sans-serif", 13).into_font();
        let small = ("sans-serif", 11).into_font();
        for (j, col) in r.columns.iter().enumerate() {
            let x = left + cw * j as i32 + cw / 2;
            let arrow = match col.better {
                Better::Lower => "lower is better",
                Better::Higher => "higher is better",
            };
            let style = label.clone().transform(FontTransform::Rotate270);
            root.draw(&Text::new(col.label.clone(), (x - 6, top - 8), style))
                .map_err(plot_err)?;
            let style = small
                .clone()
                .transform(FontTransform::Rotate270)
                .color(&RGBColor(90, 90, 90));
            root.draw(&Text::new(arrow, (x + 10, top - 8), style))
                .map_err(plot_err)?;
        }
        for (i, sub) in r.substrates.iter().enumerate() {
            let y = top + ch * i as i32;
            root.draw(&Text::new(
                sub.label.clone(),
                (6, y + ch / 2 - 7),
                label.clone(),
            ))
            .map_err(plot_err)?;
        }
        for (j, col) in r.columns.iter().enumerate() {
            let means: Vec<Option<f64>> = r
                .substrates
                .iter()
                .map(|s| {
                    find(r, &s.name, &col.task)
                        .filter(|c| c.error.is_none())
                        .and_then(|c| c.metrics.get(&col.metric))
                        .map(|s| s.mean)
                })
                .collect();
            let present: Vec<f64> = means.iter().flatten().copied().collect();
            let lo = present.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for (i, sub) in r.substrates.iter().enumerate() {
                let x = left + cw * j as i32;
                let y = top + ch * i as i32;
                let fill = match means[i] {
                    None => RGBColor(220, 220, 220),
                    Some(v) => {
                        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                        let good = match col.better {
                            Better::Lower => 1.0 - t,
                            Better::Higher => t,
                        };
                        ramp(good)
                    }
                };
                root.draw(&Rectangle::new(
                    [(x + 1, y + 1), (x + cw - 1, y + ch - 1)],
                    fill.filled(),
                ))
                .map_err(plot_err)?;
                let cell = find(r, &sub.name, &col.task);
                let main = match (cell, means[i]) {
                    (_, Some(v)) => num(v),
                    (Some(c), None) if c.error.is_some() => "failed".into(),
                    _ => "—".into(),
                };
                root.draw(&Text::new(main, (x + 8, y + 8), label.clone()))
                    .map_err(plot_err)?;
                if let Some(c) = cell.filter(|c| c.error.is_none()) {
                    let sub_line = match c.metrics.get(&col.metric) {
                        Some(s) if c.seeds.len() > 1 => {
                            format!("± {} (n={})", num(s.std), c.seeds.len())
                        }
                        Some(_) if c.seed_dependence == "none" => "n=1, deterministic".into(),
                        Some(_) => "n=1".into(),
                        None => String::new(),
                    };
                    root.draw(&Text::new(sub_line, (x + 8, y + 26), small.clone()))
                        .map_err(plot_err)?;
                }
            }
        }
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// Red (0) through yellow to green (1), light enough for black text.
fn ramp(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let (r, g) = if t < 0.5 {
        (1.0, 0.55 + 0.9 * t)
    } else {
        (1.0 - 1.1 * (t - 0.5), 1.0)
    };
    let c = |v: f64| (150.0 + 105.0 * v.clamp(0.0, 1.0)) as u8;
    RGBColor(c(r), c(g), 150)
}

/// Prediction (colour) against target (black) over the first test steps of one cell.
fn trace_plot(trace: &crate::compare::Trace, colour_index: usize) -> Svg {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (300, 150)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let all = trace.target.iter().chain(&trace.prediction);
        let lo = all.clone().copied().fold(f64::INFINITY, f64::min);
        let hi = all.copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.05).max(1e-9);
        let mut chart = ChartBuilder::on(&root)
            .margin(4)
            .x_label_area_size(18)
            .y_label_area_size(38)
            .build_cartesian_2d(0..trace.target.len(), (lo - pad)..(hi + pad))
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(4)
            .y_labels(4)
            .label_style(("sans-serif", 10))
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(LineSeries::new(
                trace.target.iter().copied().enumerate(),
                BLACK.stroke_width(1),
            ))
            .map_err(plot_err)?;
        chart
            .draw_series(LineSeries::new(
                trace.prediction.iter().copied().enumerate(),
                colour(colour_index).stroke_width(1),
            ))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// Memory capacity per delay, one line per substrate.
fn memory_plot(r: &Results, task: &str) -> Svg {
    let curves: Vec<(usize, &str, &Vec<f64>)> = r
        .substrates
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            find(r, &s.name, task)
                .and_then(|c| c.memory_per_delay.as_ref())
                .map(|v| (i, s.label.as_str(), v))
        })
        .collect();
    // Show delays up to the last one any substrate remembers, plus a margin.
    let last = curves
        .iter()
        .filter_map(|(_, _, v)| v.iter().rposition(|&x| x > 0.0))
        .max()
        .unwrap_or(10);
    let kmax = (last + 5).max(10);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(0..kmax, 0.0..1.05)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("delay k (steps)")
            .y_desc("memory capacity MC_k")
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(plot_err)?;
        for (i, label, v) in &curves {
            let c = colour(*i);
            chart
                .draw_series(LineSeries::new(
                    v.iter().copied().enumerate().take(kmax + 1),
                    c.stroke_width(2),
                ))
                .map_err(plot_err)?
                .label(label.to_string())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 12))
            .draw()
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// One column's headline metric against the estimated energy per step (log scale), for the
/// substrates with an energy model.
fn energy_plot(r: &Results, col: &Column) -> Svg {
    let points: Vec<(usize, &str, f64, f64)> = r
        .substrates
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let c = find(r, &s.name, &col.task)?;
            let m = c.metrics.get(&col.metric)?;
            Some((i, s.name.as_str(), c.joules_per_step?, m.mean))
        })
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (360, 240)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (jlo, jhi) = points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.2), b.max(p.2))
            });
        let (mlo, mhi) = points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.3), b.max(p.3))
            });
        let (jlo, jhi) = if points.is_empty() {
            (1e-15, 1e-6)
        } else {
            (jlo / 10.0, jhi * 10.0)
        };
        let (mlo, mhi) = if points.is_empty() {
            (0.0, 1.0)
        } else {
            let pad = ((mhi - mlo) * 0.15).max(mhi.abs() * 0.05).max(1e-6);
            (mlo - pad, mhi + pad)
        };
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .caption(&col.label, ("sans-serif", 13))
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d((jlo..jhi).log_scale(), mlo..mhi)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("J per step (model estimate)")
            .y_desc(col.metric.as_str())
            .x_labels(4)
            .x_label_formatter(&|v| format!("{v:.0e}"))
            .label_style(("sans-serif", 10))
            .draw()
            .map_err(plot_err)?;
        for (i, name, j, m) in &points {
            let c = colour(*i);
            chart
                .draw_series(std::iter::once(Circle::new((*j, *m), 5, c.filled())))
                .map_err(plot_err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    name.to_string(),
                    (*j, *m),
                    ("sans-serif", 10).into_font(),
                )))
                .map_err(plot_err)?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// Mean seconds per step of every substrate (log scale).
fn speed_plot(r: &Results) -> Svg {
    let bars: Vec<(usize, &str, f64)> = r
        .substrates
        .iter()
        .enumerate()
        .filter_map(|(i, s)| mean_seconds(r, &s.name).map(|v| (i, s.label.as_str(), v)))
        .collect();
    let n = bars.len().max(1);
    let lo = bars.iter().map(|b| b.2).fold(f64::INFINITY, f64::min);
    let hi = bars.iter().map(|b| b.2).fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if bars.is_empty() {
        (1e-9, 1.0)
    } else {
        (lo / 10.0, hi * 10.0)
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 60 + 28 * n as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(34)
            .y_label_area_size(250)
            .build_cartesian_2d((lo..hi).log_scale(), (0..n).into_segmented())
            .map_err(plot_err)?;
        let names: Vec<String> = bars.iter().map(|b| b.1.to_owned()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("seconds per input step (mean over the cells, this machine)")
            .x_label_formatter(&|v| format!("{v:.0e}"))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_labels(n)
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(k, (i, _, v))| {
                Rectangle::new(
                    [
                        (lo, SegmentValue::Exact(k)),
                        (*v, SegmentValue::Exact(k + 1)),
                    ],
                    colour(*i).filled(),
                )
            }))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `index.html`: every plot inline, every number also in a table.
pub(crate) fn html(r: &Results) -> Result<String, String> {
    let mut h = String::new();
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>physrc substrate comparison</title>
<style>
body {{ font-family: sans-serif; margin: 24px; color: #222; max-width: 1600px; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 18px; margin-top: 32px; }}
table {{ border-collapse: collapse; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 6px; text-align: right; }}
th {{ background: #f3f3f3; }} td.l, th.l {{ text-align: left; }}
.grid {{ display: flex; flex-wrap: wrap; gap: 10px; }}
.grid figure {{ margin: 0; }} figcaption {{ font-size: 12px; color: #555; }}
.meta {{ font-size: 13px; color: #444; }} .fail {{ color: #b00; }}
</style></head><body>
<h1>physrc: substrates compared on the same tasks, readout and budget</h1>
<p class="meta">{mode} matrix · {features} readout features per substrate · readout {readout} on
every cell · physrc {ver} · commit {commit} · {date}<br>
Machine: {cpu}, {cores} cores, {mem}, {os} · whole run {secs:.0} s</p>
"#,
        mode = r.mode,
        features = r.features,
        readout = esc(&r.readout.to_string().replace('\n', " ")),
        ver = r.physrc_version,
        commit = esc(&r.commit),
        date = r.date,
        cpu = esc(r.machine.get("cpu").map_or("?", |s| s)),
        cores = r.machine.get("cores").map_or("?", |s| s),
        mem = esc(r.machine.get("memory").map_or("?", |s| s)),
        os = esc(r.machine.get("os").map_or("?", |s| s)),
        secs = r.total_seconds,
    );

    h.push_str("<h2 id=\"scores\">Scores</h2>\n<p class=\"meta\">Mean over seeds, ± the sample standard deviation and the number of seeds. Colours rank the substrates within each column (green best). A cell marked <i>deterministic</i> gives the same numbers for every seed, so it ran once.</p>\n");
    h.push_str("<figure class=\"plot\" id=\"heatmap\">");
    h.push_str(&heatmap(r)?);
    h.push_str("</figure>\n");

    let failed: Vec<&CellResult> = r.cells.iter().filter(|c| c.error.is_some()).collect();
    if !failed.is_empty() {
        h.push_str("<h2>Failed cells</h2><ul>");
        for c in failed {
            let _ = write!(
                h,
                "<li class=\"fail\">{}/{}: {}</li>",
                esc(&c.substrate),
                esc(&c.task),
                esc(c.error.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</ul>\n");
    }

    h.push_str("<h2 id=\"traces\">Predictions against targets</h2>\n<p class=\"meta\">First test steps of the first seed: target in black, prediction in colour.</p>\n");
    for col in r.columns.iter().filter(|c| {
        r.cells
            .iter()
            .any(|cell| cell.task == c.task && cell.trace.is_some() && is_regression(c))
    }) {
        let _ = write!(h, "<h3>{}</h3><div class=\"grid\">", esc(&col.label));
        for (i, s) in r.substrates.iter().enumerate() {
            if let Some(t) = find(r, &s.name, &col.task).and_then(|c| c.trace.as_ref()) {
                let _ = write!(
                    h,
                    "<figure class=\"plot\">{}<figcaption>{}</figcaption></figure>",
                    trace_plot(t, i)?,
                    esc(&s.label)
                );
            }
        }
        h.push_str("</div>\n");
    }

    if let Some(col) = r.columns.iter().find(|c| c.metric == "memory_capacity") {
        h.push_str("<h2 id=\"memory\">Memory capacity per delay</h2>\n<p class=\"meta\">Squared correlation of a linear readout's output with the input k steps back (Jaeger 2001), on held-out steps, mean over seeds; terms below 0.01 count as 0.</p>\n<figure class=\"plot\">");
        h.push_str(&memory_plot(r, &col.task)?);
        h.push_str("</figure>\n");
    }

    h.push_str("<h2 id=\"energy\">Accuracy against estimated energy per step</h2>\n");
    let without: Vec<&str> = r
        .substrates
        .iter()
        .filter(|s| mean_joules(r, &s.name).is_none())
        .map(|s| s.label.as_str())
        .collect();
    let _ = write!(
        h,
        "<p class=\"meta\">Model estimates of the substrate's own dissipation per input step; they exclude the drive and readout electronics. Without an energy model: {}.</p><div class=\"grid\">",
        if without.is_empty() {
            "none".to_owned()
        } else {
            esc(&without.join(", "))
        }
    );
    for col in &r.columns {
        let _ = write!(
            h,
            "<figure class=\"plot\">{}</figure>",
            energy_plot(r, col)?
        );
    }
    h.push_str("</div>\n");

    h.push_str("<h2 id=\"speed\">Seconds per step</h2>\n<figure class=\"plot\">");
    h.push_str(&speed_plot(r)?);
    h.push_str("</figure>\n");

    h.push_str("<h2 id=\"table\">All numbers</h2>\n<table><tr><th class=\"l\">substrate</th><th class=\"l\">task</th><th class=\"l\">metric</th><th>mean</th><th>std</th><th>seeds</th><th class=\"l\">seeds vary</th><th>s/step</th><th>J/step</th><th class=\"l\">config</th></tr>\n");
    for c in &r.cells {
        let opt = |v: Option<f64>| v.map_or("—".into(), num);
        if let Some(e) = &c.error {
            let _ = writeln!(
                h,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l fail\" colspan=\"7\">{}</td><td class=\"l\"><a href=\"{}\">{}</a></td></tr>",
                esc(&c.substrate),
                esc(&c.task),
                esc(e),
                esc(&c.config_file),
                esc(&c.config_file)
            );
            continue;
        }
        for (k, s) in &c.metrics {
            let _ = writeln!(
                h,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td class=\"l\"><a href=\"{}\">{}</a></td></tr>",
                esc(&c.substrate),
                esc(&c.task),
                esc(k),
                num(s.mean),
                num(s.std),
                c.seeds.len(),
                c.seed_dependence,
                opt(c.seconds_per_step),
                opt(c.joules_per_step),
                esc(&c.config_file),
                esc(&c.config_file)
            );
        }
    }
    h.push_str("</table>\n<p class=\"meta\">Raw per-seed values, the resolved config of every cell and the machine are in <a href=\"results.json\">results.json</a> and <a href=\"results.csv\">results.csv</a>.</p>\n</body></html>\n");
    Ok(h)
}

/// Whether a column's task is scored on real-valued predictions (has a trace worth showing).
fn is_regression(c: &Column) -> bool {
    matches!(
        c.metric.as_str(),
        "nrmse" | "nmse" | "mse" | "symbol_error_rate"
    )
}

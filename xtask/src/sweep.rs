//! `cargo xtask sweep` and `cargo xtask merge`: a parameter grid over a run config.
//!
//! A sweep file names a base run config and a `[grid]` of dotted config keys, each with a list
//! of values or a `{ from, to, steps }` range, and optionally `seeds`. A *point* is one
//! combination of grid values with one seed; points are numbered by enumerating the keys in
//! alphabetical order, the last key varying fastest, then the seed. Every point is one
//! `physrc run` of the base config with its overrides, through the same
//! [`physrc::experiment::run`].
//!
//! The design follows from two facts about sweeps in a lab: they are long enough to be
//! interrupted, and they outgrow one machine.
//!
//! - Each finished point is appended to a results file (one JSON line) and synced to the disk
//!   at once, so a restarted sweep reads the file and computes only what is missing. A torn
//!   last line (the process died mid-write) is cut off and its point run again.
//! - The file's first line records a fingerprint of the sweep file and the base config, so a
//!   results file is never continued, or merged, by a sweep it does not belong to.
//! - `--shard I/N` runs the points whose index modulo `N` is `I`: shards need no coordination,
//!   so a cluster scheduler's job array is enough to spread a sweep (see `docs/scaling.md`
//!   and `tools/slurm/`). `cargo xtask merge` joins the shards' files into the table an
//!   unsharded sweep writes, byte for byte, because both are built by the same function from
//!   the same lines.
//! - The table holds only what is determined by the point: its values, seed, metrics and the
//!   kind of error it failed with. Timing lives in the results file only, so a table compares
//!   equal across machines, thread counts and shardings.
//! - Numbers are stored as text (Rust's shortest round-trip form) rather than JSON numbers,
//!   because JSON readers differ in how exactly they parse floats; text keeps every bit.
//! - Every point's config is built and checked before the first point runs, so a typo in a key
//!   fails at once rather than hours into a sweep, and fails every shard alike.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use physrc::config::{DataSource, RunConfig};
use physrc::{ErrorKind, HasErrorKind};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::root::project_root;
use crate::toml_edit::set_dotted;

/// The first line's `format`: bump it when the line layout changes, so old files are refused
/// with a clear message instead of misread.
const FORMAT: &str = "physrc-sweep/1";

/// Top-level sections of a run config a grid key may reach into.
const SECTIONS: &[&str] = &["substrate", "task", "data", "split", "readout", "output"];

/// Arguments of `cargo xtask sweep`.
#[derive(Debug, clap::Args)]
pub(crate) struct SweepArgs {
    /// The sweep file: a base run config and a `[grid]` of dotted keys.
    sweep: PathBuf,
    /// Folder for the results file and the table [default: target/sweeps/NAME under the
    /// workspace root].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run only shard I of N, numbered from 0: the points whose index modulo N is I (as
    /// Slurm's array task ids with --array=0-(N-1)).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Points run at once [default: one per core, or RAYON_NUM_THREADS].
    #[arg(long, value_name = "N")]
    jobs: Option<NonZeroUsize>,
    /// Check the sweep file and every point's config, list the points, and run none.
    #[arg(long)]
    dry_run: bool,
    /// After saving this many points, save no more and wait to be killed: lets the tests kill
    /// a sweep at a known place.
    #[arg(long, value_name = "K", hide = true)]
    hang_after: Option<usize>,
}

/// Arguments of `cargo xtask merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// Results files of the shards of one sweep (points-shard-I-of-N.jsonl), in any order.
    #[arg(required = true, value_name = "RESULTS")]
    shards: Vec<PathBuf>,
    /// The table to write (CSV).
    #[arg(long, value_name = "TABLE")]
    out: PathBuf,
}

/// One shard of a sweep: the points whose index modulo `count` is `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Shard {
    index: usize,
    count: usize,
}

impl Shard {
    fn owns(self, point: usize) -> bool {
        point % self.count == self.index
    }
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?} is not I/N (as 0/4, the first of four shards)"))?;
    let index: usize = i
        .trim()
        .parse()
        .map_err(|_| format!("shard index {i:?} is not a whole number"))?;
    let count: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("shard count {n:?} is not a whole number"))?;
    if count == 0 {
        return Err("the shard count must be at least 1".to_owned());
    }
    if index >= count {
        return Err(format!(
            "shard {index}/{count} does not exist: shards are numbered from 0 to {}",
            count - 1
        ));
    }
    Ok(Shard { index, count })
}

/// The sweep file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    /// The base run config, relative to the sweep file.
    base: PathBuf,
    /// Names the output folder; default the sweep file's stem.
    name: Option<String>,
    /// A count `N` (seeds 0..N) or a list of seeds.
    seeds: Option<toml::Value>,
    #[serde(default)]
    grid: toml::Table,
}

/// A checked sweep: everything needed to build any point's config.
#[derive(Debug)]
struct Sweep {
    name: String,
    fingerprint: String,
    base_path: PathBuf,
    base_dir: PathBuf,
    base: toml::Table,
    /// Grid keys in enumeration order (alphabetical) with their values.
    grid: Vec<(String, Vec<toml::Value>)>,
    seeds: Option<Vec<u64>>,
    points: usize,
}

impl Sweep {
    fn load(path: &Path) -> Result<Sweep, String> {
        let text = read_text(path)?;
        let file: SweepFile =
            toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
        let here = path.parent().unwrap_or(Path::new(""));
        let base_path = here.join(&file.base);
        let base_text = read_text(&base_path)?;
        let base_dir = base_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let origin = base_path.display().to_string();
        // The base config must stand on its own: a sweep of a broken config is a broken sweep.
        RunConfig::from_toml_str(&base_text, &base_dir, &origin).map_err(|e| e.to_string())?;
        let base: toml::Table = toml::from_str(&base_text).map_err(|e| format!("{origin}: {e}"))?;

        let name = match file.name {
            Some(n) => n,
            None => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            || name.starts_with('.')
        {
            return Err(format!(
                "{}: the sweep name {name:?} names a folder, so it may hold only letters, digits, \
                 '-', '_' and '.', and not start with '.'",
                path.display()
            ));
        }

        let in_file = |e: String| format!("{}: {e}", path.display());
        let mut grid = Vec::new();
        flatten_grid("", &file.grid, &mut grid).map_err(in_file)?;
        grid.sort_by(|a, b| a.0.cmp(&b.0));
        for pair in grid.windows(2) {
            if pair[0].0 == pair[1].0 {
                return Err(in_file(format!("[grid] key {} is given twice", pair[0].0)));
            }
        }
        for (key, _) in &grid {
            check_key_section(key, &base, &origin).map_err(in_file)?;
        }

        let seeds = match &file.seeds {
            None => None,
            Some(v) => Some(parse_seeds(v).map_err(in_file)?),
        };
        if seeds.is_some() {
            // The substrate's seed key is the one its crate names (flatspin's `random_seed` for
            // the nanomagnet, `seed` elsewhere).
            let substrate_seed = base
                .get("substrate")
                .and_then(|s| s.get("kind"))
                .and_then(toml::Value::as_str)
                .and_then(physrc::substrate::seed_key)
                .map(|k| format!("substrate.{k}"));
            for (key, _) in &grid {
                if key == "task.seed" || substrate_seed.as_deref() == Some(key.as_str()) {
                    return Err(in_file(format!(
                        "[grid] {key} conflicts with `seeds`, which sets the substrate's and the \
                         task's seeds; sweep seeds with one or the other"
                    )));
                }
            }
        }

        let mut points: usize = seeds.as_ref().map_or(1, Vec::len);
        for (key, values) in &grid {
            points = points.checked_mul(values.len()).ok_or_else(|| {
                in_file(format!("[grid] the number of points overflows at {key}"))
            })?;
        }

        Ok(Sweep {
            name,
            fingerprint: fingerprint(&text, &base_text),
            base_path,
            base_dir,
            base,
            grid,
            seeds,
            points,
        })
    }

    fn keys(&self) -> Vec<String> {
        self.grid.iter().map(|(k, _)| k.clone()).collect()
    }

    fn header(&self, shard: Option<Shard>) -> Header {
        Header {
            format: FORMAT.to_owned(),
            sweep: self.name.clone(),
            fingerprint: self.fingerprint.clone(),
            points: self.points,
            keys: self.keys(),
            seeds: self.seeds.clone(),
            shard,
        }
    }

    /// The grid values and seed of point `p`: mixed-radix digits, the seed fastest.
    fn coordinates(&self, p: usize) -> (Vec<&toml::Value>, Option<u64>) {
        let mut rest = p;
        let seed = self.seeds.as_ref().map(|s| {
            let seed = s[rest % s.len()];
            rest /= s.len();
            seed
        });
        let mut values = vec![None; self.grid.len()];
        for (slot, (_, vals)) in values.iter_mut().zip(&self.grid).rev() {
            *slot = Some(&vals[rest % vals.len()]);
            rest /= vals.len();
        }
        (values.into_iter().flatten().collect(), seed)
    }

    /// Point `p`'s values as table cells, by key.
    fn params(&self, p: usize) -> BTreeMap<String, String> {
        let (values, _) = self.coordinates(p);
        self.grid
            .iter()
            .zip(values)
            .map(|((k, _), v)| (k.clone(), cell(v)))
            .collect()
    }

    /// `substrate.units = 20, seed 1`: a point as people read it.
    fn describe(&self, p: usize) -> String {
        let (values, seed) = self.coordinates(p);
        let mut parts: Vec<String> = self
            .grid
            .iter()
            .zip(values)
            .map(|((k, _), v)| format!("{k} = {v}"))
            .collect();
        if let Some(s) = seed {
            parts.push(format!("seed {s}"));
        }
        if parts.is_empty() {
            "the base config".to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// Builds and checks point `p`'s run config.
    fn config(&self, p: usize) -> Result<RunConfig, String> {
        let context = |e: String| format!("point {p} ({}): {e}", self.describe(p));
        let (values, seed) = self.coordinates(p);
        let mut table = self.base.clone();
        for ((key, _), value) in self.grid.iter().zip(values) {
            set_dotted(&mut table, key, value.clone())
                .map_err(|e| context(format!("{key}: {e}")))?;
        }
        let text = toml::to_string(&table).map_err(|e| context(e.to_string()))?;
        let origin = self.base_path.display().to_string();
        // The parser names the line of a bad key, but in the text built here, not in any
        // file the user has; the key's name says enough.
        let mut cfg = RunConfig::from_toml_str(&text, &self.base_dir, &origin)
            .map_err(|e| context(without_line_hint(&e.to_string()).to_owned()))?;
        if let Some(s) = seed {
            cfg.set_seed(s).map_err(|e| context(e.to_string()))?;
        }
        check_substrate_keys(&cfg).map_err(context)?;
        check_task_keys(&cfg).map_err(context)?;
        Ok(cfg)
    }
}

fn without_line_hint(message: &str) -> &str {
    match message.rfind(" (line ") {
        Some(i) if message.ends_with(')') => &message[..i],
        _ => message,
    }
}

/// `1 point`, `3 points`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Collects `[grid]` leaves. TOML turns `substrate.units = [..]` into nested tables, so the
/// walk goes down tables until it meets a list or a range.
fn flatten_grid(
    prefix: &str,
    table: &toml::Table,
    out: &mut Vec<(String, Vec<toml::Value>)>,
) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Array(values) => {
                if values.is_empty() {
                    return Err(format!("[grid] {key} has no values"));
                }
                out.push((key, values.clone()));
            }
            toml::Value::Table(t) if is_range(t) => {
                let values = range(&key, t)?;
                out.push((key, values));
            }
            toml::Value::Table(t) => flatten_grid(&key, t, out)?,
            other => {
                return Err(format!(
                    "[grid] {key}: give a list of values or {{ from, to, steps }}, not the single \
                     value {other} (write [{other}] to fix it)"
                ));
            }
        }
    }
    Ok(())
}

/// Whether a `[grid]` table is a range rather than a section. A section's leaves are lists or
/// ranges, a range's are single values; the key names alone could mislead, since a config
/// may have a key called `steps` (`task.steps = [100, 200]`).
fn is_range(t: &toml::Table) -> bool {
    ["from", "to", "steps"].iter().any(|k| t.contains_key(*k))
        && t.values()
            .all(|v| !matches!(v, toml::Value::Array(_) | toml::Value::Table(_)))
}

/// Expands `{ from, to, steps, scale }` into values; both ends are hit exactly.
fn range(key: &str, t: &toml::Table) -> Result<Vec<toml::Value>, String> {
    if let Some(k) = t
        .keys()
        .find(|k| !["from", "to", "steps", "scale"].contains(&k.as_str()))
    {
        return Err(format!(
            "[grid] {key}: unknown key `{k}` in a range; expected from, to, steps, scale"
        ));
    }
    let number = |name: &str| -> Result<(f64, bool), String> {
        match t.get(name) {
            Some(toml::Value::Integer(i)) => Ok((*i as f64, true)),
            Some(toml::Value::Float(f)) if f.is_finite() => Ok((*f, false)),
            Some(other) => Err(format!(
                "[grid] {key}: `{name}` must be a finite number, not {other}"
            )),
            None => Err(format!("[grid] {key}: a range needs `{name}`")),
        }
    };
    let (from, from_int) = number("from")?;
    let (to, to_int) = number("to")?;
    let steps = match t.get("steps") {
        Some(toml::Value::Integer(n)) if *n >= 2 => *n as usize,
        Some(other) => {
            return Err(format!(
                "[grid] {key}: `steps` must be a whole number of at least 2, not {other} (for \
                 one value write [value])"
            ));
        }
        None => return Err(format!("[grid] {key}: a range needs `steps`")),
    };
    let log = match t.get("scale") {
        None => false,
        Some(toml::Value::String(s)) if s == "linear" => false,
        Some(toml::Value::String(s)) if s == "log" => true,
        Some(other) => {
            return Err(format!(
                "[grid] {key}: `scale` is \"linear\" or \"log\", not {other}"
            ));
        }
    };
    if log && (from <= 0.0 || to <= 0.0) {
        return Err(format!(
            "[grid] {key}: a log range needs from and to above 0, not {from} and {to}"
        ));
    }
    let integers = from_int && to_int;
    let mut values = Vec::with_capacity(steps);
    for i in 0..steps {
        let f = i as f64 / (steps - 1) as f64;
        let v = if i == 0 {
            from
        } else if i == steps - 1 {
            to
        } else if log {
            (from.ln() + (to.ln() - from.ln()) * f).exp()
        } else {
            from + (to - from) * f
        };
        if integers {
            let v = v.round() as i64;
            if values.last() == Some(&toml::Value::Integer(v)) {
                return Err(format!(
                    "[grid] {key}: {steps} whole-number steps from {from} to {to} repeat {v}; \
                     use fewer steps"
                ));
            }
            values.push(toml::Value::Integer(v));
        } else {
            // Thirteen significant digits: enough for any grid, and 0.8 + 0.1 reads as 0.9
            // instead of 0.9000000000000001.
            let v: f64 = format!("{v:.12e}").parse().unwrap_or(v);
            values.push(toml::Value::Float(v));
        }
    }
    Ok(values)
}

fn parse_seeds(v: &toml::Value) -> Result<Vec<u64>, String> {
    let seeds = match v {
        toml::Value::Integer(n) if *n >= 1 => (0..*n as u64).collect(),
        toml::Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|s| match s {
                toml::Value::Integer(i) if *i >= 0 => Ok(*i as u64),
                other => Err(format!(
                    "`seeds`: a seed is a whole number of at least 0, not {other}"
                )),
            })
            .collect::<Result<Vec<u64>, String>>()?,
        other => {
            return Err(format!(
                "`seeds` is a count of at least 1 or a non-empty list of seeds, not {other}"
            ));
        }
    };
    let mut seen = BTreeSet::new();
    if let Some(dup) = seeds.iter().find(|s| !seen.insert(**s)) {
        return Err(format!("`seeds` lists seed {dup} twice"));
    }
    Ok(seeds)
}

/// A dotted key must reach into a section the base config has, through tables it has; only
/// the last part may be new (a key left at its default in the base config).
fn check_key_section(key: &str, base: &toml::Table, origin: &str) -> Result<(), String> {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "[grid] {key}: name a key inside a section, as substrate.spectral_radius"
        ));
    }
    if !SECTIONS.contains(&parts[0]) {
        return Err(format!(
            "[grid] {key}: a run config has no [{}] section; the sections are {}",
            parts[0],
            SECTIONS.join(", ")
        ));
    }
    let mut table = base;
    for (depth, part) in parts[..parts.len() - 1].iter().enumerate() {
        let section = parts[..=depth].join(".");
        table = match table.get(*part) {
            Some(toml::Value::Table(t)) => t,
            Some(_) => {
                return Err(format!(
                    "[grid] {key}: {section} in {origin} is a value, not a section"
                ));
            }
            None => {
                return Err(format!(
                    "[grid] {key}: the base config {origin} has no [{section}] section"
                ));
            }
        };
    }
    Ok(())
}

/// Checks the `[substrate]` keys with the owning crate's config type, without building the
/// substrate. Building would also check values (a negative spectral radius), but it can be
/// slow (large arrays, matrix normalisation) and, for a rig, opens the instrument; a value the
/// substrate refuses makes that one point fail when it runs, recorded in its `error` column.
fn check_substrate_keys(cfg: &RunConfig) -> Result<(), String> {
    let kind = cfg.substrate_kind().map_err(|e| e.to_string())?;
    let mut t = cfg.substrate.clone();
    t.remove("kind");
    let v = toml::Value::Table(t);
    let res = match kind {
        "esn" => v.try_into::<physrc::esn::EsnConfig>().map(drop),
        "memristor" => v.try_into::<physrc::memristor::MemristorConfig>().map(drop),
        "oscillator" => v
            .try_into::<physrc::oscillator::OscillatorConfig>()
            .map(drop),
        "nanomagnet" => v
            .try_into::<physrc::nanomagnet::NanomagnetConfig>()
            .map(drop),
        "rig" => v.try_into::<physrc::rig::RigConfig>().map(drop),
        "recorded" => {
            if let Some(k) = cfg
                .substrate
                .keys()
                .find(|k| !["kind", "states", "drop_nonfinite"].contains(&k.as_str()))
            {
                return Err(format!(
                    "{}: [substrate]: unknown field `{k}`, expected `states` or `drop_nonfinite`",
                    cfg.origin
                ));
            }
            Ok(())
        }
        other => {
            return Err(format!(
                "{}: [substrate] kind {other:?} is not known; expected one of {}",
                cfg.origin,
                physrc::substrate::KINDS.join(", ")
            ));
        }
    };
    res.map_err(|e| format!("{}: [substrate]: {}", cfg.origin, e.message()))
}

fn check_task_keys(cfg: &RunConfig) -> Result<(), String> {
    if let DataSource::Task(t) = &cfg.source {
        toml::Value::Table(t.clone())
            .try_into::<physrc::tasks::TaskSpec>()
            .map_err(|e| format!("{}: [task]: {}", cfg.origin, e.message()))?;
    }
    Ok(())
}

/// A rig on a serial port is one instrument: its points run one at a time.
fn needs_instrument(cfg: &RunConfig) -> bool {
    cfg.substrate_kind().ok() == Some("rig")
        && cfg
            .substrate
            .get("port")
            .and_then(toml::Value::as_str)
            .is_some_and(|p| p != "emulator")
}

/// 64-bit FNV-1a over the sweep file and the base config, line endings normalised so a
/// checkout with CRLF line ends is the same sweep. Written out rather than taken from std,
/// whose hasher may change between Rust releases, which would orphan results files.
fn fingerprint(sweep: &str, base: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(b"physrc sweep\0");
    eat(sweep.replace("\r\n", "\n").as_bytes());
    eat(b"\0");
    eat(base.replace("\r\n", "\n").as_bytes());
    format!("{h:016x}")
}

/// A TOML value as a table cell: numbers in their shortest round-trip form, strings bare.
fn cell(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => float_cell(*f),
        toml::Value::Boolean(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// `Debug` is the shortest text that parses back to the same bits, with an exponent for very
/// large and small values (`1e-7`), and spells non-finite values (`NaN`, `inf`).
fn float_cell(f: f64) -> String {
    format!("{f:?}")
}

/// The first line of a results file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    sweep: String,
    fingerprint: String,
    points: usize,
    keys: Vec<String>,
    seeds: Option<Vec<u64>>,
    shard: Option<Shard>,
}

impl Header {
    /// Whether two files hold points of the same sweep (their shards may differ).
    fn same_sweep(&self, other: &Header) -> bool {
        self.sweep == other.sweep
            && self.fingerprint == other.fingerprint
            && self.points == other.points
            && self.keys == other.keys
            && self.seeds == other.seeds
    }
}

/// One finished point: a line of a results file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    point: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    /// Grid values as table cells, by key.
    params: BTreeMap<String, String>,
    /// Test-part metrics as text.
    metrics: BTreeMap<String, String>,
    /// Training-part metrics as text.
    train_metrics: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alpha_chosen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    energy_joules: Option<String>,
    /// Why the point failed, when the failure belongs to its parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<PointError>,
    /// Not part of the table: it differs from run to run.
    timing: PointTiming,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointError {
    kind: String,
    message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointTiming {
    seconds: f64,
    finished_unix: u64,
}

/// A results file as read back.
#[derive(Debug)]
struct Results {
    header: Header,
    /// Records in file order, with their line numbers.
    records: Vec<(usize, Record)>,
    /// Bytes up to the end of the last complete line.
    complete_len: u64,
    /// Bytes of a torn last line (a write cut short).
    torn_bytes: usize,
}

/// Reads a results file; `None` when it does not exist or not even its header was written.
fn read_results(path: &Path) -> Result<Option<Results>, String> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let torn_bytes = bytes.len() - complete;
    if complete == 0 {
        return Ok(None);
    }
    let text = std::str::from_utf8(&bytes[..complete])
        .map_err(|e| format!("{}: not a sweep results file: {e}", path.display()))?;
    let mut lines = text.lines().enumerate();
    let header: Header = match lines.next() {
        Some((_, line)) => serde_json::from_str(line).map_err(|e| {
            format!(
                "{}: line 1 is not the header of a sweep results file ({e})",
                path.display()
            )
        })?,
        None => return Ok(None),
    };
    if header.format != FORMAT {
        return Err(format!(
            "{}: results written in format {:?}; this xtask reads {FORMAT:?}",
            path.display(),
            header.format
        ));
    }
    let mut records = Vec::new();
    for (i, line) in lines {
        let record: Record = serde_json::from_str(line).map_err(|e| {
            format!(
                "{}: line {} is not a point record ({e})",
                path.display(),
                i + 1
            )
        })?;
        records.push((i + 1, record));
    }
    Ok(Some(Results {
        header,
        records,
        complete_len: complete as u64,
        torn_bytes,
    }))
}

/// Appends records to a results file, one synced line each.
struct Appender {
    file: File,
    path: PathBuf,
    saved: usize,
    hang_after: Option<usize>,
}

impl Appender {
    fn append(&mut self, record: &Record) -> Result<(), String> {
        let mut line = serde_json::to_string(record).map_err(|e| e.to_string())?;
        line.push('\n');
        // One write of the whole line, then a sync: a crash leaves at most one torn line at
        // the end, which the next reader cuts off.
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        self.saved += 1;
        if self.hang_after == Some(self.saved) {
            eprintln!(
                "saved {} points; --hang-after stops here and waits to be killed",
                self.saved
            );
            // The caller holds the lock on this appender, so no other point is saved.
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        Ok(())
    }
}

/// Opens the results file for appending: creates it with its header, or checks that the one
/// there is this sweep's and cuts off a torn last line. Returns the points already done.
fn open_results(
    path: &Path,
    header: &Header,
    sweep: &Sweep,
) -> Result<(File, BTreeSet<usize>), String> {
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    let Some(existing) = read_results(path)? else {
        let mut file = File::create(path).map_err(io)?;
        let mut line = serde_json::to_string(header).map_err(|e| e.to_string())?;
        line.push('\n');
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io)?;
        sync_parent(path);
        return Ok((file, BTreeSet::new()));
    };
    let found = &existing.header;
    if found.fingerprint != header.fingerprint || !found.same_sweep(header) {
        return Err(format!(
            "{} holds results of another sweep ({} {}, this is {} {}): the sweep file or its \
             base config changed since; move the file away or give another --out",
            path.display(),
            found.sweep,
            found.fingerprint,
            header.sweep,
            header.fingerprint
        ));
    }
    if found.shard != header.shard {
        return Err(format!(
            "{} holds {}, not {}",
            path.display(),
            shard_name(found.shard),
            shard_name(header.shard)
        ));
    }
    let mut done = BTreeSet::new();
    for (line, r) in &existing.records {
        let belongs = r.point < sweep.points
            && header.shard.is_none_or(|s| s.owns(r.point))
            && r.params == sweep.params(r.point)
            && r.seed == sweep.coordinates(r.point).1;
        if !belongs {
            return Err(format!(
                "{} line {line}: point {} is not this sweep's point {} (was the file edited?)",
                path.display(),
                r.point,
                r.point
            ));
        }
        if !done.insert(r.point) {
            return Err(format!(
                "{} line {line}: point {} is already recorded above; two sweeps wrote to one file?",
                path.display(),
                r.point
            ));
        }
    }
    if existing.torn_bytes > 0 {
        eprintln!(
            "{}: cutting off a torn last line ({} bytes, a point whose write was interrupted); \
             it will be run again",
            path.display(),
            existing.torn_bytes
        );
        OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| {
                f.set_len(existing.complete_len)?;
                f.sync_all()
            })
            .map_err(io)?;
    }
    let file = OpenOptions::new().append(true).open(path).map_err(io)?;
    Ok((file, done))
}

/// Makes a new file's directory entry durable too. Best effort: not every platform can open a
/// directory, and the file's own sync already holds its data.
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn shard_name(shard: Option<Shard>) -> String {
    match shard {
        Some(s) => format!("shard {}/{}", s.index, s.count),
        None => "an unsharded sweep".to_owned(),
    }
}

fn results_name(shard: Option<Shard>) -> String {
    match shard {
        Some(s) => format!("points-shard-{}-of-{}.jsonl", s.index, s.count),
        None => "points.jsonl".to_owned(),
    }
}

/// Errors that belong to the point's parameters: recording them lets the sweep go on, and
/// running the point again would fail the same way. Anything else (a file, a device, a
/// timeout) stops the sweep, so the point is run again once the cause is fixed.
fn belongs_to_point(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::InvalidParameter
            | ErrorKind::InvalidInput
            | ErrorKind::DimensionMismatch
            | ErrorKind::Diverged
            | ErrorKind::NotFitted
            // A point whose sizes need more memory than the machine has is a property of the
            // point, like an invalid parameter: the smaller points can still run.
            | ErrorKind::InsufficientMemory
    )
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs one point and builds its record; `Err` only for failures that stop the sweep.
fn run_point(sweep: &Sweep, p: usize) -> Result<Record, String> {
    let cfg = sweep.config(p)?;
    let (_, seed) = sweep.coordinates(p);
    let start = Instant::now();
    let outcome = physrc::experiment::run(&cfg);
    let seconds = start.elapsed().as_secs_f64();
    let texts = |m: &BTreeMap<String, f64>| -> BTreeMap<String, String> {
        m.iter().map(|(k, v)| (k.clone(), float_cell(*v))).collect()
    };
    let mut record = Record {
        point: p,
        seed,
        params: sweep.params(p),
        metrics: BTreeMap::new(),
        train_metrics: BTreeMap::new(),
        alpha_chosen: None,
        energy_joules: None,
        error: None,
        timing: PointTiming {
            seconds,
            finished_unix: unix_seconds(),
        },
    };
    match outcome {
        Ok(o) => {
            let r = o.report;
            record.metrics = texts(&r.metrics);
            record.train_metrics = texts(&r.train_metrics);
            record.alpha_chosen = r.readout.alpha_chosen.map(float_cell);
            record.energy_joules = r.energy.map(|e| float_cell(e.joules));
        }
        Err(e) if belongs_to_point(e.kind()) => {
            record.error = Some(PointError {
                kind: e.kind().to_string(),
                message: e.to_string(),
            });
        }
        Err(e) => return Err(format!("point {p} ({}): {e}", sweep.describe(p))),
    }
    Ok(record)
}

fn summary(record: &Record) -> String {
    if let Some(e) = &record.error {
        return format!("{}: {}", e.kind, e.message);
    }
    // Four decimals are enough to watch a sweep; the file and the table keep every digit.
    let metrics: Vec<String> = record
        .metrics
        .iter()
        .map(|(k, v)| match v.parse::<f64>() {
            Ok(x) => format!("{k} {x:.4}"),
            Err(_) => format!("{k} {v}"),
        })
        .collect();
    metrics.join(", ")
}

pub(crate) fn run(args: &SweepArgs) -> Result<(), String> {
    let sweep = Sweep::load(&args.sweep)?;
    let shard = args.shard;
    let keys = if sweep.grid.is_empty() {
        "no grid keys".to_owned()
    } else {
        sweep.keys().join(", ")
    };
    eprintln!(
        "sweep {}: {} over {keys}{}",
        sweep.name,
        count(sweep.points, "point"),
        sweep
            .seeds
            .as_ref()
            .map_or(String::new(), |s| format!(" × {} seeds", s.len()))
    );

    // Every point, not only this shard's: a bad key then fails every shard alike, before any
    // of them has spent time on the points that happen to come first.
    let mut instrument = false;
    for p in 0..sweep.points {
        let cfg = sweep.config(p)?;
        instrument |= needs_instrument(&cfg);
    }
    let mine: Vec<usize> = (0..sweep.points)
        .filter(|p| shard.is_none_or(|s| s.owns(*p)))
        .collect();
    if args.dry_run {
        for &p in &mine {
            println!("point {p}: {}", sweep.describe(p));
        }
        eprintln!(
            "every config checked; {} {}",
            count(mine.len(), "point"),
            match shard {
                Some(s) => format!("in shard {}/{}", s.index, s.count),
                None => "in all".to_owned(),
            }
        );
        return Ok(());
    }

    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => project_root()
            .join("target")
            .join("sweeps")
            .join(&sweep.name),
    };
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let path = out.join(results_name(shard));
    let header = sweep.header(shard);
    let (file, done) = open_results(&path, &header, &sweep)?;
    let pending: Vec<usize> = mine.iter().copied().filter(|p| !done.contains(p)).collect();
    if !done.is_empty() {
        eprintln!(
            "{} already done ({}), {} to compute",
            count(done.len(), "point"),
            path.display(),
            pending.len()
        );
    }

    let jobs = if instrument {
        eprintln!("a rig on a serial port is one instrument: running one point at a time");
        1
    } else {
        args.jobs.map_or(0, NonZeroUsize::get)
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| format!("cannot start the worker threads: {e}"))?;
    eprintln!(
        "computing {}, {} at a time; results in {}",
        count(pending.len(), "point"),
        pool.current_num_threads(),
        path.display()
    );
    let appender = Mutex::new(Appender {
        file,
        path: path.clone(),
        saved: 0,
        hang_after: args.hang_after,
    });
    let start = Instant::now();
    let total = pending.len();
    let failed = AtomicUsize::new(0);
    pool.install(|| {
        pending
            .par_iter()
            .with_max_len(1)
            .try_for_each(|&p| -> Result<(), String> {
                let record = run_point(&sweep, p)?;
                // A poisoned lock only means another point panicked; the file is still whole.
                let mut a = appender
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                a.append(&record)?;
                if record.error.is_some() {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                eprintln!(
                    "[{}/{total}] point {p} ({}): {} ({:.2} s)",
                    a.saved,
                    sweep.describe(p),
                    summary(&record),
                    record.timing.seconds
                );
                Ok(())
            })
    })?;
    let failed = failed.into_inner();
    eprintln!(
        "computed {} in {:.1} s{}",
        count(total, "point"),
        start.elapsed().as_secs_f64(),
        if failed > 0 {
            format!("; {failed} failed (see the error column)")
        } else {
            String::new()
        }
    );

    match shard {
        None => {
            let table = out.join("table.csv");
            write_table(&[path], &table)?;
            println!("{}", table.display());
        }
        Some(s) => {
            eprintln!(
                "shard {}/{} finished; once every shard has, join them with\n  cargo xtask merge \
                 {}/points-shard-*-of-{}.jsonl --out {}/table.csv",
                s.index,
                s.count,
                out.display(),
                s.count,
                out.display()
            );
        }
    }
    Ok(())
}

pub(crate) fn merge(args: &MergeArgs) -> Result<(), String> {
    write_table(&args.shards, &args.out)?;
    println!("{}", args.out.display());
    Ok(())
}

/// Reads results files of one sweep, checks that they hold every point exactly once, and
/// writes the table. Both an unsharded sweep and `merge` end here, so their tables are the
/// same bytes whenever they hold the same lines.
fn write_table(files: &[PathBuf], out: &Path) -> Result<(), String> {
    let mut first: Option<(&Path, Header)> = None;
    let mut points: BTreeMap<usize, (Record, &Path)> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for file in files {
        let results = read_results(file)?
            .ok_or_else(|| format!("{}: no sweep results header in it", file.display()))?;
        if results.torn_bytes > 0 {
            eprintln!(
                "{}: ignoring a torn last line (a point cut off mid-write; run its shard again \
                 to finish it)",
                file.display()
            );
        }
        match &first {
            None => first = Some((file, results.header.clone())),
            Some((f, h)) if !h.same_sweep(&results.header) => {
                return Err(format!(
                    "{} and {} are results of different sweeps ({} {} and {} {})",
                    f.display(),
                    file.display(),
                    h.sweep,
                    h.fingerprint,
                    results.header.sweep,
                    results.header.fingerprint
                ));
            }
            Some(_) => {}
        }
        for (_, r) in results.records {
            let p = r.point;
            if let Some((_, other)) = points.get(&p) {
                duplicates.push(format!(
                    "point {p} is in {} and in {}",
                    other.display(),
                    file.display()
                ));
            } else {
                points.insert(p, (r, file));
            }
        }
    }
    let Some((_, header)) = first else {
        return Err("no results files to merge".to_owned());
    };
    if !duplicates.is_empty() {
        let n = duplicates.len();
        duplicates.truncate(5);
        return Err(format!(
            "{n} points are recorded twice: {}{} (the same shard given twice, or shards of \
             different shard counts?)",
            duplicates.join("; "),
            if n > 5 { "; …" } else { "" }
        ));
    }
    if let Some((&p, _)) = points.range(header.points..).next() {
        return Err(format!(
            "point {p} is beyond the sweep's {} points",
            header.points
        ));
    }
    let missing: Vec<usize> = (0..header.points)
        .filter(|p| !points.contains_key(p))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing {} of {} points: {} (did every shard finish?)",
            missing.len(),
            header.points,
            list_points(&missing)
        ));
    }
    let records: Vec<&Record> = points.values().map(|(r, _)| r).collect();
    let csv = table_csv(&header, &records)?;
    write_atomically(out, &csv)
}

/// `1, 5, 9-12, …`: points as people read them, at most twenty runs.
fn list_points(points: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &p in points {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == p => *end = p,
            _ => runs.push((p, p)),
        }
    }
    let mut s = String::new();
    for (i, (a, b)) in runs.iter().enumerate() {
        if i == 20 {
            s.push_str(", …");
            break;
        }
        if i > 0 {
            s.push_str(", ");
        }
        if a == b {
            let _ = write!(s, "{a}");
        } else {
            let _ = write!(s, "{a}-{b}");
        }
    }
    s
}

/// The table: one row per point in index order; columns `point`, `seed` (with `seeds`), the
/// grid keys, the test metrics, the training metrics (`train_` prefix), `alpha_chosen` and
/// `energy_joules` when any point has them, and `error`.
fn table_csv(header: &Header, records: &[&Record]) -> Result<Vec<u8>, String> {
    let metrics: BTreeSet<&String> = records.iter().flat_map(|r| r.metrics.keys()).collect();
    let train: BTreeSet<&String> = records
        .iter()
        .flat_map(|r| r.train_metrics.keys())
        .collect();
    let alpha = records.iter().any(|r| r.alpha_chosen.is_some());
    let energy = records.iter().any(|r| r.energy_joules.is_some());

    let mut columns = vec!["point".to_owned()];
    if header.seeds.is_some() {
        columns.push("seed".to_owned());
    }
    columns.extend(header.keys.iter().cloned());
    columns.extend(metrics.iter().map(|m| (*m).clone()));
    columns.extend(train.iter().map(|m| format!("train_{m}")));
    if alpha {
        columns.push("alpha_chosen".to_owned());
    }
    if energy {
        columns.push("energy_joules".to_owned());
    }
    columns.push("error".to_owned());

    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let csv_err = |e: csv::Error| format!("writing the table: {e}");
    w.write_record(&columns).map_err(csv_err)?;
    for r in records {
        let mut row = vec![r.point.to_string()];
        if header.seeds.is_some() {
            row.push(r.seed.map_or(String::new(), |s| s.to_string()));
        }
        row.extend(
            header
                .keys
                .iter()
                .map(|k| r.params.get(k).cloned().unwrap_or_default()),
        );
        row.extend(
            metrics
                .iter()
                .map(|m| r.metrics.get(*m).cloned().unwrap_or_default()),
        );
        row.extend(
            train
                .iter()
                .map(|m| r.train_metrics.get(*m).cloned().unwrap_or_default()),
        );
        if alpha {
            row.push(r.alpha_chosen.clone().unwrap_or_default());
        }
        if energy {
            row.push(r.energy_joules.clone().unwrap_or_default());
        }
        row.push(r.error.as_ref().map_or(String::new(), |e| e.kind.clone()));
        w.write_record(&row).map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| format!("writing the table: {}", e.error()))
}

/// Writes next to `path` and renames, so a reader never sees half a table.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let mut f = File::create(&tmp).map_err(io)?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io)?;
    fs::rename(&tmp, path).map_err(io)?;
    sync_parent(path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_indices_beyond_the_count() {
        assert_eq!(parse_shard("0/4"), Ok(Shard { index: 0, count: 4 }));
        assert_eq!(parse_shard("3/4"), Ok(Shard { index: 3, count: 4 }));
        let e = parse_shard("5/4").unwrap_err();
        assert!(e.contains("shards are numbered from 0 to 3"), "{e}");
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("1/0").is_err());
        assert!(parse_shard("1").is_err());
        assert!(parse_shard("a/2").is_err());
    }

    #[test]
    fn ranges_hit_both_ends_and_read_cleanly() {
        let t: toml::Table = toml::from_str("from = 0.8\nto = 1.0\nsteps = 3").unwrap();
        let v = range("k", &t).unwrap();
        assert_eq!(
            v,
            vec![
                toml::Value::Float(0.8),
                toml::Value::Float(0.9),
                toml::Value::Float(1.0)
            ]
        );
        let t: toml::Table =
            toml::from_str("from = 100\nto = 1000\nsteps = 3\nscale = \"log\"").unwrap();
        let v = range("k", &t).unwrap();
        assert_eq!(
            v,
            vec![
                toml::Value::Integer(100),
                toml::Value::Integer(316),
                toml::Value::Integer(1000)
            ]
        );
        let t: toml::Table = toml::from_str("from = 1\nto = 2\nsteps = 5").unwrap();
        assert!(range("k", &t).unwrap_err().contains("repeat"));
        let t: toml::Table = toml::from_str("from = 1\nto = 2\nstep = 5").unwrap();
        assert!(range("k", &t).unwrap_err().contains("unknown key `step`"));
    }

    #[test]
    fn grid_keys_named_like_range_keys_are_keys() {
        let t: toml::Table = toml::from_str(
            "task.steps = [100, 200]\nsubstrate.h = { from = 1, to = 3, steps = 3 }",
        )
        .unwrap();
        let mut grid = Vec::new();
        flatten_grid("", &t, &mut grid).unwrap();
        grid.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(grid[0].0, "substrate.h");
        assert_eq!(grid[0].1.len(), 3);
        assert_eq!(grid[1].0, "task.steps");
        assert_eq!(grid[1].1.len(), 2);
    }

    #[test]
    fn point_lists_collapse_runs() {
        assert_eq!(list_points(&[1, 5, 9, 10, 11, 12]), "1, 5, 9-12");
    }

    #[test]
    fn float_cells_round_trip() {
        for v in [0.1, 1e-7, 0.176_123_456_789_012_34, 1e300, -2.5] {
            assert_eq!(float_cell(v).parse::<f64>().unwrap().to_bits(), v.to_bits());
        }
        assert_eq!(float_cell(f64::NAN), "NaN");
    }
}

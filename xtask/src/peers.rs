//! `cargo xtask peers`: the side-by-side comparisons with the peer tools, run in one go and
//! saved with a description of the machine they ran on.
//!
//! Each comparison is a script in `benches/peers/` that runs physrc and a peer tool on the same
//! inputs, in one process tree, in the same minute, so that the *ratio* of their times carries
//! over to other machines while the absolute times do not. This task validates the names it is
//! given, checks what the chosen comparisons need from the machine (an OpenCL platform for
//! flatspin, AVX-512 for the sparse-kernel floor), prepares a Python virtual environment under
//! `target/peers-venv` from `benches/peers/requirements.txt`, builds the release binaries the
//! scripts time, runs each comparison, and writes `benches/peers/results/<name>-<date>.json`:
//! the script's own JSON under `result`, next to the machine, the software versions, the load
//! average before and after, and a summary of the ratio and the agreement figures.
//! `benches/peers/README.md` describes the file format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::root::project_root;

/// Arguments of `cargo xtask peers`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Comparisons to run: narma10, ridge, flatspin, floor, recorded (default: all five, in
    /// that order).
    names: Vec<String>,
    /// Folder the result files are written to [default: benches/peers/results].
    #[arg(long, value_name = "DIR")]
    results: Option<PathBuf>,
    /// Python interpreter that creates the virtual environment.
    #[arg(long, value_name = "PATH", default_value = "python3")]
    python: String,
    /// Keep OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for the Python runs (by default they are
    /// removed, so numpy's OpenBLAS picks its kernels for this processor as it would for a user).
    #[arg(long)]
    keep_openblas_env: bool,
}

/// One side-by-side comparison: its name on the command line and what it runs.
#[derive(Debug)]
struct Comparison {
    name: &'static str,
    /// The script or program in `benches/peers/`.
    source: &'static str,
    /// What physrc is measured against.
    peer: &'static str,
    /// The heading of its terminal summary.
    title: &'static str,
}

impl Comparison {
    fn needs_python(&self) -> bool {
        self.source.ends_with(".py")
    }
}

/// Every comparison, in the order `cargo xtask peers` runs them.
const COMPARISONS: [Comparison; 5] = [
    Comparison {
        name: "narma10",
        source: "narma10_vs_reservoirpy.py",
        peer: "reservoirpy",
        title: "`physrc run` against reservoirpy fit + run",
    },
    Comparison {
        name: "ridge",
        source: "ridge_vs_numpy.py",
        peer: "numpy/scipy",
        title: "physrc-readout ridge fit against numpy/scipy",
    },
    Comparison {
        name: "flatspin",
        source: "flatspin_field_loop.py",
        peer: "flatspin",
        title: "physrc-nanomagnet field loop against flatspin on OpenCL",
    },
    Comparison {
        name: "floor",
        source: "sparse_kernel_floor.c",
        peer: "hand-written C kernels",
        title: "the fastest ways to do the ESN's sparse product on this processor",
    },
    Comparison {
        name: "recorded",
        source: "recorded_vs_numpy.py",
        peer: "numpy/scipy",
        title: "`physrc run` on recorded states against numpy/scipy load + fit + predict",
    },
];

/// The environment variables that pin numpy's OpenBLAS to one kernel family. Some machines set
/// them because old OpenBLAS builds misdetect their processor; the pinned numpy in
/// requirements.txt detects it correctly, and a benchmark against a peer held to older kernels
/// would flatter physrc.
const OPENBLAS_PINS: [&str; 2] = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

/// The Python packages whose versions are recorded with every Python comparison.
const PYTHON_PACKAGES: [&str; 6] = [
    "numpy",
    "scipy",
    "reservoirpy",
    "flatspin",
    "pyopencl",
    "threadpoolctl",
];

pub(crate) fn run(args: &Args) -> Result<(), String> {
    // Every name is checked before anything is built, installed or run.
    let selected = select(&args.names)?;
    let cpu = CpuInfo::read();
    for cmp in &selected {
        preflight(cmp, &cpu)?;
    }

    let root = project_root();
    let target = target_dir(&root);
    let scratch = target.join("peers");
    let results = match &args.results {
        Some(dir) => dir.clone(),
        None => root.join("benches/peers/results"),
    };
    for dir in [&scratch, &results] {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }

    let python = if selected.iter().any(|c| c.needs_python()) {
        Some(ensure_venv(&root, &target, &args.python)?)
    } else {
        None
    };
    build_binaries(&root, &selected)?;

    let machine = describe_machine(&root, &cpu);
    let removed_env: BTreeMap<&str, String> = if args.keep_openblas_env {
        BTreeMap::new()
    } else {
        OPENBLAS_PINS
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (*k, v)))
            .collect()
    };
    let python_env = match &python {
        Some(py) => Some(probe_python(&root, py, args.keep_openblas_env)?),
        None => None,
    };

    let ctx = Context {
        root,
        target,
        scratch,
        results,
        python,
        python_env,
        machine,
        removed_env,
        keep_openblas_env: args.keep_openblas_env,
    };
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for cmp in &selected {
        match run_one(cmp, &ctx) {
            Ok((summary, file)) => done.push((cmp.name, summary, file)),
            Err(e) => {
                eprintln!("error: {e}");
                failed.push(format!("{}: {e}", cmp.name));
            }
        }
    }

    if !done.is_empty() {
        print_overview(&done);
    }
    match failed.len() {
        0 => Ok(()),
        n => Err(format!(
            "{n} of {} comparisons failed:\n  {}",
            selected.len(),
            failed.join("\n  ")
        )),
    }
}

/// What every comparison of one invocation shares.
#[derive(Debug)]
struct Context {
    root: PathBuf,
    target: PathBuf,
    /// `target/peers`: logs, the scripts' raw JSON, the compiled floor program.
    scratch: PathBuf,
    results: PathBuf,
    /// The venv's interpreter, when a Python comparison was chosen.
    python: Option<PathBuf>,
    python_env: Option<Value>,
    machine: Machine,
    removed_env: BTreeMap<&'static str, String>,
    keep_openblas_env: bool,
}

/// Runs one comparison, writes its result file and prints its summary; returns the summary
/// and the file's path as shown.
fn run_one(cmp: &Comparison, ctx: &Context) -> Result<(Summary, String), String> {
    println!("\n== {} ({}) ==", cmp.name, cmp.source);
    let load_start = load_average();
    let started = now_utc();
    let (command, result) = match (cmp.name, &ctx.python) {
        ("floor", _) => run_floor(&ctx.root, &ctx.scratch)?,
        (_, Some(py)) => run_script(ctx, cmp, py)?,
        (_, None) => return Err(format!("{} needs the Python environment", cmp.name)),
    };
    let load_end = load_average();
    let summary = summarize(cmp, &result)?;
    let mut software = json!({
        "rustc": ctx.machine.rustc,
        "physrc_commit": ctx.machine.commit,
        "worktree_changed_files": ctx.machine.changed_files,
    });
    if cmp.needs_python() {
        software["python"] = ctx.python_env.clone().unwrap_or(Value::Null);
    } else {
        software["cc"] = json!(first_line_of(&ctx.root, "cc", &["--version"]));
    }
    let record = Record {
        comparison: cmp.name,
        source: format!("benches/peers/{}", cmp.source),
        peer: cmp.peer,
        date: started.timestamp(),
        command,
        machine: &ctx.machine.json,
        software,
        environment_removed: cmp.needs_python().then_some(&ctx.removed_env),
        load_average: json!({ "start": load_start, "end": load_end }),
        summary: &summary.json,
        result,
    };
    let path = result_path(&ctx.results, cmp.name, &started.day())?;
    let text = serde_json::to_string_pretty(&record)
        .map_err(|e| format!("cannot encode the {} record: {e}", cmp.name))?;
    fs::write(&path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let shown = display_path(&ctx.root, &path);
    summary.print(cmp, &shown);
    Ok((summary, shown))
}

/// One result file. The fields are written in this order, the context first and the script's
/// own JSON last.
#[derive(Debug, serde::Serialize)]
struct Record<'a> {
    comparison: &'a str,
    source: String,
    peer: &'a str,
    /// When the comparison started, UTC.
    date: String,
    command: Vec<String>,
    machine: &'a Value,
    software: Value,
    /// OpenBLAS pins taken out of the Python runs' environment, with their values.
    #[serde(skip_serializing_if = "Option::is_none")]
    environment_removed: Option<&'a BTreeMap<&'static str, String>>,
    load_average: Value,
    summary: &'a Value,
    result: Value,
}

/// The comparisons named on the command line, in the canonical order, or all of them. A name is
/// the short name or the file name of its script.
fn select(names: &[String]) -> Result<Vec<&'static Comparison>, String> {
    if names.is_empty() {
        return Ok(COMPARISONS.iter().collect());
    }
    let unknown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !COMPARISONS.iter().any(|c| c.name == *n || c.source == *n))
        .collect();
    if !unknown.is_empty() {
        let known: Vec<String> = COMPARISONS
            .iter()
            .map(|c| format!("{} ({})", c.name, c.source))
            .collect();
        return Err(format!(
            "unknown comparison {}; known comparisons: {}",
            unknown
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            known.join(", ")
        ));
    }
    Ok(COMPARISONS
        .iter()
        .filter(|c| names.iter().any(|n| c.name == n || c.source == n))
        .collect())
}

/// Refuses a comparison this machine cannot run, before anything is installed or built.
fn preflight(cmp: &Comparison, cpu: &CpuInfo) -> Result<(), String> {
    match cmp.name {
        "flatspin" => {
            // flatspin's field loop is measured on its OpenCL path; without a platform it would
            // fail only after the install and builds, or fall back to its far slower numpy path.
            let from_env = std::env::var_os("OCL_ICD_VENDORS").is_some();
            let registered = fs::read_dir("/etc/OpenCL/vendors").is_ok_and(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == "icd"))
            });
            if from_env || registered {
                Ok(())
            } else {
                Err(
                    "flatspin needs an OpenCL platform on the CPU, and no driver is registered \
                     in /etc/OpenCL/vendors: install Debian's pocl-opencl-icd \
                     (apt-get install pocl-opencl-icd)"
                        .into(),
                )
            }
        }
        "floor" => {
            if !cpu.flags.iter().any(|f| f == "avx512f") {
                return Err("the sparse-kernel floor uses AVX-512 intrinsics, and this \
                            processor has no avx512f flag in /proc/cpuinfo"
                    .into());
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Cargo's target folder: `CARGO_TARGET_DIR` if set (relative to the current directory, as
/// cargo reads it), else `target/` in the workspace root.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::path::absolute(PathBuf::from(&dir)).unwrap_or_else(|_| dir.into()),
        None => root.join("target"),
    }
}

/// Runs `cmd` to completion, copying its output to the terminal (indented) and to `log`;
/// returns its standard output. A failure names `what`, its exit status and the log.
fn run_logged(cmd: &mut Command, what: &str, log: &Path) -> Result<String, String> {
    let file =
        fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let file = Arc::new(Mutex::new(file));
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    let pump = |stream: Box<dyn Read + Send>, to_stderr: bool| {
        let file = Arc::clone(&file);
        std::thread::spawn(move || {
            let mut kept = String::new();
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if to_stderr {
                    eprintln!("    {line}");
                } else {
                    println!("    {line}");
                }
                if let Ok(mut f) = file.lock() {
                    // The log is a convenience copy; a full disk must not stop the comparison.
                    let _ = writeln!(f, "{line}");
                }
                kept.push_str(&line);
                kept.push('\n');
            }
            kept
        })
    };
    let out = child.stdout.take().map(|s| pump(Box::new(s), false));
    let err = child.stderr.take().map(|s| pump(Box::new(s), true));
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for {what}: {e}"))?;
    let stdout = out
        .map(|h| h.join().unwrap_or_default())
        .unwrap_or_default();
    if let Some(h) = err {
        let _ = h.join();
    }
    if status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{what} failed ({status}); its output is in {}",
            log.display()
        ))
    }
}

/// Runs `cmd` quietly and returns its standard output, or an error naming `what`.
fn capture(cmd: &mut Command, what: &str) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The Python interpreter of `target/peers-venv`, (re)built when it is missing or was not
/// finished for the current requirements.
///
/// A stamp holding a hash of `requirements.txt` and the interpreter's version is written only
/// after `pip install` succeeded, so an install that failed or was interrupted leaves no stamp
/// and the next run starts the venv afresh instead of trusting a half-installed one.
fn ensure_venv(root: &Path, target: &Path, python: &str) -> Result<PathBuf, String> {
    let venv = target.join("peers-venv");
    let venv_python = venv.join("bin/python");
    let stamp_path = venv.join("physrc-peers.stamp");
    let requirements = root.join("benches/peers/requirements.txt");
    let text = fs::read_to_string(&requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let version = capture(
        Command::new(python).arg("--version"),
        &format!("`{python} --version`"),
    )?;
    let stamp = format!(
        "requirements.txt fnv1a64 {:016x}\ninterpreter {python}: {}\n",
        fnv1a64(text.as_bytes()),
        version.trim()
    );
    if venv_python.is_file() && fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
        return Ok(venv_python);
    }
    if venv.exists() {
        println!(
            "{} is missing its stamp or was built for other requirements: rebuilding it",
            venv.display()
        );
        fs::remove_dir_all(&venv)
            .map_err(|e| format!("cannot remove the stale {}: {e}", venv.display()))?;
    }
    println!(
        "creating {} from {}",
        venv.display(),
        display_path(root, &requirements)
    );
    let log = target.join("peers-venv.log");
    run_logged(
        Command::new(python).args(["-m", "venv"]).arg(&venv),
        &format!("`{python} -m venv {}`", venv.display()),
        &log,
    )?;
    run_logged(
        Command::new(&venv_python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "-q",
                "-r",
            ])
            .arg(&requirements),
        &format!("pip install -r {}", display_path(root, &requirements)),
        &log,
    )?;
    fs::write(&stamp_path, stamp)
        .map_err(|e| format!("cannot write {}: {e}", stamp_path.display()))?;
    Ok(venv_python)
}

/// FNV-1a, 64 bits: a hash that is the same on every platform and Rust release, unlike std's
/// `DefaultHasher`, so a stamp written by one build is understood by the next.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Builds the release binaries the chosen scripts time, before any of them runs, so that no
/// compilation falls inside a measurement and a build error stops the run early. (The ridge
/// script builds its own example before timing.)
fn build_binaries(root: &Path, selected: &[&Comparison]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for cmp in selected {
        let args: &[&str] = match cmp.name {
            "narma10" | "recorded" => &["build", "--release", "-p", "physrc", "--bin", "physrc"],
            "flatspin" => &[
                "build",
                "--release",
                "-p",
                "physrc-nanomagnet",
                "--example",
                "field_loop",
            ],
            _ => continue,
        };
        println!("cargo {}", args.join(" "));
        let status = Command::new(&cargo)
            .args(args)
            .current_dir(root)
            .status()
            .map_err(|e| format!("cannot start cargo: {e}"))?;
        if !status.success() {
            return Err(format!(
                "`cargo {}` failed ({status}) while preparing the {} comparison",
                args.join(" "),
                cmp.name
            ));
        }
    }
    Ok(())
}

/// Runs one Python comparison script and returns its command line and its JSON result.
fn run_script(
    ctx: &Context,
    cmp: &Comparison,
    python: &Path,
) -> Result<(Vec<String>, Value), String> {
    let (root, scratch, target) = (&ctx.root, &ctx.scratch, &ctx.target);
    let json_path = scratch.join(format!("{}.json", cmp.name));
    // A result left by an earlier run must never be mistaken for this run's.
    let _ = fs::remove_file(&json_path);
    let script = root.join("benches/peers").join(cmp.source);
    let mut args: Vec<PathBuf> = vec![script];
    let extra: Vec<PathBuf> = match cmp.name {
        // The settings of the figures in docs/performance.md, so new runs line up with them.
        "narma10" => vec![
            "--repeats".into(),
            "5".into(),
            "--physrc".into(),
            target.join("release/physrc"),
        ],
        "ridge" => vec![
            "--rounds".into(),
            "3".into(),
            "--repeats".into(),
            "3".into(),
        ],
        "flatspin" => vec![
            "--size".into(),
            "100".into(),
            "--engine".into(),
            target.join("release/examples/field_loop"),
        ],
        "recorded" => vec![
            "--repeats".into(),
            "3".into(),
            "--physrc".into(),
            target.join("release/physrc"),
        ],
        other => return Err(format!("no script settings for comparison {other:?}")),
    };
    args.extend(extra);
    args.push("--json".into());
    args.push(json_path.clone());

    let mut cmd = Command::new(python);
    cmd.args(&args).current_dir(root);
    // Python buffers a piped stdout in blocks; unbuffered, the progress lines appear as they
    // are printed.
    cmd.env("PYTHONUNBUFFERED", "1");
    if !ctx.keep_openblas_env {
        for k in OPENBLAS_PINS {
            cmd.env_remove(k);
        }
    }
    let what = format!("benches/peers/{}", cmp.source);
    run_logged(&mut cmd, &what, &scratch.join(format!("{}.log", cmp.name)))?;

    let text = fs::read_to_string(&json_path).map_err(|e| {
        format!(
            "{what} exited successfully but wrote no {}: {e}",
            json_path.display()
        )
    })?;
    let result: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", json_path.display()))?;
    let mut command = vec![display_path(root, python)];
    command.extend(args.iter().map(|a| display_path(root, a)));
    Ok((command, result))
}

/// Compiles and runs `sparse_kernel_floor.c`, returning its command line and its timings as
/// JSON.
fn run_floor(root: &Path, scratch: &Path) -> Result<(Vec<String>, Value), String> {
    let source = root.join("benches/peers/sparse_kernel_floor.c");
    let binary = scratch.join("sparse_kernel_floor");
    // -ffp-contract=off keeps the C kernels from fusing multiplies and adds, as physrc's
    // kernels do not, so both sum every row in the same rounding.
    let flags = ["-O2", "-march=native", "-ffp-contract=off", "-pthread"];
    let mut compile = Command::new("cc");
    compile
        .args(flags)
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .arg("-lm");
    let compile_line = format!(
        "cc {} {} -o {} -lm",
        flags.join(" "),
        display_path(root, &source),
        display_path(root, &binary)
    );
    println!("{compile_line}");
    run_logged(
        &mut compile,
        "cc benches/peers/sparse_kernel_floor.c",
        &scratch.join("floor-cc.log"),
    )?;
    let stdout = run_logged(
        &mut Command::new(&binary),
        &display_path(root, &binary),
        &scratch.join("floor.log"),
    )?;
    let result = parse_floor(&stdout)?;
    Ok((vec![compile_line, display_path(root, &binary)], result))
}

/// The floor program prints a description of the matrix, then one line per kernel:
/// `NAME  X us/step  Y ns/nonzero  max |error| E`, where NAME may contain a space.
fn parse_floor(stdout: &str) -> Result<Value, String> {
    let mut setup = None;
    let mut kernels = Vec::new();
    for line in stdout.lines() {
        let Some((head, rest)) = line.split_once(" us/step") else {
            if setup.is_none() && !line.trim().is_empty() {
                setup = Some(line.trim().to_string());
            }
            continue;
        };
        let bad = || format!("cannot read the sparse_kernel_floor line {line:?}");
        let (name, us) = head.trim_end().rsplit_once(' ').ok_or_else(bad)?;
        let us: f64 = us.parse().map_err(|_| bad())?;
        let mut words = rest.split_whitespace();
        let ns: f64 = words.next().and_then(|w| w.parse().ok()).ok_or_else(bad)?;
        let error: f64 = words
            .next_back()
            .and_then(|w| w.parse().ok())
            .ok_or_else(bad)?;
        kernels.push(json!({
            "kernel": name.trim(),
            "us_per_step": us,
            "ns_per_nonzero": ns,
            "max_abs_error": error,
        }));
    }
    if kernels.is_empty() {
        return Err("sparse_kernel_floor printed no kernel timings".into());
    }
    Ok(json!({ "setup": setup, "kernels": kernels }))
}

/// What the terminal and the record show of one comparison.
#[derive(Debug)]
struct Summary {
    /// Label and text of each line of the terminal table.
    lines: Vec<(String, String)>,
    /// physrc's speed over the peer's, best time against best time.
    ratio_best: Option<f64>,
    /// The same on median times.
    ratio_median: Option<f64>,
    /// The agreement figures in one short phrase.
    agreement: String,
    json: Value,
}

impl Summary {
    fn print(&self, cmp: &Comparison, file: &str) {
        println!("\n{}: {}", cmp.name, cmp.title);
        for (label, text) in &self.lines {
            println!("  {label:<22} {text}");
        }
        println!("  {:<22} {file}", "result file");
    }
}

fn print_overview(done: &[(&str, Summary, String)]) {
    let ratio = |r: Option<f64>| r.map_or_else(|| "—".to_string(), |r| format!("{r:.2}×"));
    let mut table = String::new();
    let _ = writeln!(
        table,
        "\n{:<10} {:>10} {:>8}  {:<46} result file",
        "comparison", "best/best", "median", "agreement"
    );
    for (name, s, file) in done {
        let _ = writeln!(
            table,
            "{:<10} {:>10} {:>8}  {:<46} {file}",
            name,
            ratio(s.ratio_best),
            ratio(s.ratio_median),
            s.agreement
        );
    }
    print!("{table}");
}

/// The number at a dotted `path` of a script's JSON, or an error naming the comparison.
fn num(cmp: &str, v: &Value, path: &str) -> Result<f64, String> {
    path.split('.')
        .try_fold(v, |v, key| v.get(key))
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("the {cmp} result has no number at `{path}`"))
}

/// The numbers in the array at a dotted `path`.
fn nums(cmp: &str, v: &Value, path: &str) -> Result<Vec<f64>, String> {
    path.split('.')
        .try_fold(v, |v, key| v.get(key))
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| format!("the {cmp} result has no list of numbers at `{path}`"))
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn summarize(cmp: &Comparison, r: &Value) -> Result<Summary, String> {
    let name = cmp.name;
    match name {
        "narma10" => {
            let peer = nums(name, r, "reservoirpy.seconds_all")?;
            let ours = nums(name, r, "physrc.seconds_all")?;
            let (pb, ob) = (
                num(name, r, "reservoirpy.seconds_best")?,
                num(name, r, "physrc.seconds_best")?,
            );
            let (pm, om) = (median(&peer), median(&ours));
            let (pn, on) = (
                num(name, r, "reservoirpy.nrmse")?,
                num(name, r, "physrc.nrmse")?,
            );
            let dn = num(name, r, "nrmse_abs_diff")?;
            let dp = num(name, r, "physrc.max_abs_prediction_diff_vs_reservoirpy").ok();
            let agreement = match dp {
                Some(dp) => format!("|ΔNRMSE| {dn:.1e}, max |Δprediction| {dp:.1e}"),
                None => format!("|ΔNRMSE| {dn:.1e}"),
            };
            Ok(Summary {
                lines: vec![
                    (
                        "reservoirpy fit + run".into(),
                        format!("best {pb:.3} s, median {pm:.3} s, NRMSE {pn:.6}"),
                    ),
                    (
                        "physrc run (process)".into(),
                        format!("best {ob:.3} s, median {om:.3} s, NRMSE {on:.6}"),
                    ),
                    (
                        "physrc vs reservoirpy".into(),
                        format!("{:.2}× best vs best, {:.2}× medians", pb / ob, pm / om),
                    ),
                    ("agreement".into(), agreement.clone()),
                ],
                ratio_best: Some(pb / ob),
                ratio_median: Some(pm / om),
                json: json!({
                    "physrc_speedup_best": pb / ob,
                    "physrc_speedup_median": pm / om,
                    "nrmse_abs_diff": dn,
                    "max_abs_prediction_diff": dp,
                }),
                agreement,
            })
        }
        "ridge" => {
            let peer = nums(name, r, "numpy_scipy.fit_seconds")?;
            let ours = nums(name, r, "physrc.fit_seconds")?;
            let (pb, ob) = (
                num(name, r, "numpy_scipy.best")?,
                num(name, r, "physrc.best")?,
            );
            let (pm, om) = (median(&peer), median(&ours));
            let dw = num(name, r, "weights_max_rel_diff")?;
            let agreement = format!("max |ΔW| / max |W| {dw:.1e}");
            Ok(Summary {
                lines: vec![
                    (
                        "numpy/scipy fit".into(),
                        format!("best {pb:.3} s, median {pm:.3} s"),
                    ),
                    (
                        "physrc-readout fit".into(),
                        format!("best {ob:.3} s, median {om:.3} s"),
                    ),
                    (
                        "physrc vs numpy".into(),
                        format!("{:.2}× best vs best, {:.2}× medians", pb / ob, pm / om),
                    ),
                    ("agreement".into(), agreement.clone()),
                ],
                ratio_best: Some(pb / ob),
                ratio_median: Some(pm / om),
                json: json!({
                    "physrc_speedup_best": pb / ob,
                    "physrc_speedup_median": pm / om,
                    "weights_max_rel_diff": dw,
                }),
                agreement,
            })
        }
        "recorded" => {
            let peer = nums(name, r, "numpy_scipy.seconds_all")?;
            let ours = nums(name, r, "physrc.seconds_all")?;
            let (pb, ob) = (
                num(name, r, "numpy_scipy.seconds_best")?,
                num(name, r, "physrc.seconds_best")?,
            );
            let (pm, om) = (median(&peer), median(&ours));
            let dp = num(name, r, "predictions_max_rel_diff")?;
            // Where each side's best run spent its time, as the side reports it.
            let np_phase = |k: &str| num(name, r, &format!("numpy_scipy.phases_of_best.{k}"));
            let rs_phase = |k: &str| num(name, r, &format!("physrc.timing_of_best.{k}"));
            let agreement = format!("max |Δprediction| / max |prediction| {dp:.1e}");
            Ok(Summary {
                lines: vec![
                    (
                        "numpy/scipy".into(),
                        format!(
                            "best {pb:.3} s (load {:.3} s, fit {:.3} s), median {pm:.3} s",
                            np_phase("load")?,
                            np_phase("fit")?
                        ),
                    ),
                    (
                        "physrc run (process)".into(),
                        format!(
                            "best {ob:.3} s (reading {:.3} s, readout {:.3} s), median {om:.3} s",
                            rs_phase("reservoir_seconds")?,
                            rs_phase("readout_seconds")?
                        ),
                    ),
                    (
                        "physrc vs numpy".into(),
                        format!("{:.2}× best vs best, {:.2}× medians", pb / ob, pm / om),
                    ),
                    ("agreement".into(), agreement.clone()),
                ],
                ratio_best: Some(pb / ob),
                ratio_median: Some(pm / om),
                json: json!({
                    "physrc_speedup_best": pb / ob,
                    "physrc_speedup_median": pm / om,
                    "predictions_max_rel_diff": dp,
                }),
                agreement,
            })
        }
        "flatspin" => {
            let (fl, pl) = (
                num(name, r, "flatspin_loop_s")?,
                num(name, r, "physrc_loop_s")?,
            );
            let (fb, pp) = (
                num(name, r, "flatspin_build_s")?,
                num(name, r, "physrc_process_s")?,
            );
            let (ff, pf) = (
                num(name, r, "flatspin_steps")?,
                num(name, r, "physrc_flips")?,
            );
            // Counts are whole numbers; `num` reads them as f64 like every other figure.
            let mismatches = num(name, r, "final_state_mismatches")? as u64;
            let agreement = format!(
                "{} flips each{}, {mismatches} final-state mismatches",
                pf,
                if ff == pf { "" } else { " (NOT EQUAL)" }
            );
            Ok(Summary {
                lines: vec![
                    (
                        "flatspin OpenCL loop".into(),
                        format!("{fl:.3} s (build {fb:.3} s), {ff} flips"),
                    ),
                    (
                        "physrc loop".into(),
                        format!("{pl:.4} s (whole process {pp:.4} s), {pf} flips"),
                    ),
                    (
                        "physrc vs flatspin".into(),
                        format!(
                            "{:.0}× on the loop, {:.0}× build + loop vs the whole process",
                            fl / pl,
                            (fb + fl) / pp
                        ),
                    ),
                    ("agreement".into(), agreement.clone()),
                ],
                ratio_best: Some(fl / pl),
                ratio_median: None,
                json: json!({
                    "physrc_speedup_loop": fl / pl,
                    "physrc_speedup_build_plus_loop": (fb + fl) / pp,
                    "flips_equal": ff == pf,
                    "final_state_mismatches": mismatches,
                }),
                agreement,
            })
        }
        "floor" => {
            let kernels = r
                .get("kernels")
                .and_then(Value::as_array)
                .ok_or("the floor result has no kernel list")?;
            let mut lines = Vec::new();
            let mut scalar = None;
            let mut fastest_single: Option<(String, f64)> = None;
            let mut worst_error = 0.0_f64;
            for k in kernels {
                let kname = k.get("kernel").and_then(Value::as_str).unwrap_or("?");
                let us = num(name, k, "us_per_step")?;
                let ns = num(name, k, "ns_per_nonzero")?;
                let err = num(name, k, "max_abs_error")?;
                worst_error = worst_error.max(err);
                lines.push((
                    kname.to_string(),
                    format!("{us:.2} µs/step, {ns:.3} ns/nonzero, max |error| {err:.1e}"),
                ));
                if kname == "scalar" {
                    scalar = Some(us);
                }
                // Only the one-thread kernels bound what a single ESN step can do on one core.
                if !kname.contains("x2") && fastest_single.as_ref().is_none_or(|(_, b)| us < *b) {
                    fastest_single = Some((kname.to_string(), us));
                }
            }
            let (fast_name, fast_us) = fastest_single.ok_or("the floor result has no kernel")?;
            let scalar = scalar.ok_or("the floor result has no scalar kernel")?;
            lines.push((
                "fastest one-thread".into(),
                format!(
                    "{fast_name}: {:.2}× the scalar kernel physrc's compiles to",
                    scalar / fast_us
                ),
            ));
            let agreement = format!("max |error| vs a plain loop {worst_error:.1e}");
            lines.push(("agreement".into(), agreement.clone()));
            Ok(Summary {
                lines,
                ratio_best: None,
                ratio_median: None,
                json: json!({
                    "scalar_us_per_step": scalar,
                    "fastest_single_thread_kernel": fast_name,
                    "fastest_single_thread_us_per_step": fast_us,
                    "max_abs_error": worst_error,
                }),
                agreement,
            })
        }
        other => Err(format!("no summary for comparison {other:?}")),
    }
}

/// What `/proc/cpuinfo` says about the first processor.
#[derive(Debug, Default)]
struct CpuInfo {
    model: Option<String>,
    vendor: Option<String>,
    family: Option<u32>,
    model_number: Option<u32>,
    flags: Vec<String>,
}

impl CpuInfo {
    fn read() -> CpuInfo {
        let mut info = CpuInfo::default();
        let Ok(text) = fs::read_to_string("/proc/cpuinfo") else {
            return info;
        };
        // The first processor's block ends at the first blank line; the others repeat it.
        for line in text.lines().take_while(|l| !l.trim().is_empty()) {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "model name" => info.model = Some(value.to_string()),
                "vendor_id" => info.vendor = Some(value.to_string()),
                "cpu family" => info.family = value.parse().ok(),
                "model" => info.model_number = value.parse().ok(),
                "flags" => info.flags = value.split_whitespace().map(String::from).collect(),
                _ => {}
            }
        }
        info
    }
}

/// The description of the machine that goes into every record.
#[derive(Debug)]
struct Machine {
    json: Value,
    rustc: Option<String>,
    commit: Option<String>,
    changed_files: Option<usize>,
}

fn describe_machine(root: &Path, cpu: &CpuInfo) -> Machine {
    let lscpu = capture(&mut Command::new("lscpu"), "lscpu").unwrap_or_default();
    let lscpu_field = |key: &str| {
        lscpu.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    let cores = std::thread::available_parallelism().map(|n| n.get()).ok();
    let memory_kib = fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    });
    let os = fs::read_to_string("/etc/os-release").ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string())
    });
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string());
    let simd: Vec<&str> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512vl"]
        .into_iter()
        .filter(|f| cpu.flags.iter().any(|x| x == f))
        .collect();
    let commit = first_line_of(root, "git", &["rev-parse", "HEAD"]);
    // Other work in progress in the same tree is built into the binaries too; the count says so.
    let changed_files = capture(
        Command::new("git")
            .args(["status", "--porcelain", "--untracked-files=no"])
            .current_dir(root),
        "git status",
    )
    .ok()
    .map(|s| s.lines().count());
    let rustc = first_line_of(root, "rustc", &["--version"]);
    let json = json!({
        "cpu_model": cpu.model.clone().or_else(|| lscpu_field("Model name")),
        "cpu_vendor": cpu.vendor,
        "cpu_family": cpu.family,
        "cpu_model_number": cpu.model_number,
        "simd": simd,
        "hypervisor": lscpu_field("Hypervisor vendor"),
        "cores": cores,
        "threads_per_core": lscpu_field("Thread(s) per core").and_then(|v| v.parse::<u32>().ok()),
        "memory_kib": memory_kib,
        "memory_gib": memory_kib.map(|k| (k as f64 / 1_048_576.0 * 10.0).round() / 10.0),
        "os": os,
        "kernel": kernel,
    });
    Machine {
        json,
        rustc,
        commit,
        changed_files,
    }
}

/// The first line of a quiet command's output, run in the workspace root, if it succeeds.
fn first_line_of(root: &Path, program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
}

/// Python's version, the peer packages' versions, the BLAS numpy runs and the OpenCL platforms,
/// as the scripts will see them (the same environment, the same interpreter).
fn probe_python(root: &Path, python: &Path, keep_openblas_env: bool) -> Result<Value, String> {
    let program = format!(
        r#"
import importlib.metadata as md, json, platform
info = {{"version": platform.python_version(), "packages": {{}}}}
for name in {packages:?}:
    try:
        info["packages"][name] = md.version(name)
    except md.PackageNotFoundError:
        info["packages"][name] = None
try:
    import numpy, scipy.linalg
    from threadpoolctl import threadpool_info
    info["blas"] = [
        {{k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}}
        for p in threadpool_info()
    ]
except Exception as e:
    info["blas"] = "unknown: " + str(e)
try:
    import pyopencl
    info["opencl"] = [
        {{"platform": p.version, "devices": [d.name for d in p.get_devices()]}}
        for p in pyopencl.get_platforms()
    ]
except Exception as e:
    info["opencl"] = "unavailable: " + str(e)
print(json.dumps(info))
"#,
        packages = PYTHON_PACKAGES
    );
    let mut cmd = Command::new(python);
    cmd.args(["-c", &program]).current_dir(root);
    if !keep_openblas_env {
        for k in OPENBLAS_PINS {
            cmd.env_remove(k);
        }
    }
    let out = capture(&mut cmd, "the Python version probe")?;
    serde_json::from_str(out.trim())
        .map_err(|e| format!("the Python version probe printed no JSON: {e}"))
}

/// The 1, 5 and 15 minute load averages, which say how much the other work on the machine
/// competed with the measurement.
fn load_average() -> Option<[f64; 3]> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    let mut v = text.split_whitespace().map(|w| w.parse::<f64>().ok());
    Some([v.next()??, v.next()??, v.next()??])
}

/// A UTC time of day, to the second.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UtcTime {
    year: i64,
    month: u32,
    day: u32,
    secs_of_day: u64,
}

impl UtcTime {
    fn day(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    pub(crate) fn timestamp(&self) -> String {
        let s = self.secs_of_day;
        format!(
            "{}T{:02}:{:02}:{:02}Z",
            self.day(),
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

pub(crate) fn now_utc() -> UtcTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    UtcTime {
        year,
        month,
        day,
        secs_of_day: secs % 86_400,
    }
}

/// The proleptic Gregorian date of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), so the task needs no date crate for one date.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `<dir>/<name>-<day>.json`, or with a letter after the day (`b`, `c`, ...) when that file
/// exists, so a second run on the same day never overwrites the first.
fn result_path(dir: &Path, name: &str, day: &str) -> Result<PathBuf, String> {
    let first = dir.join(format!("{name}-{day}.json"));
    if !first.exists() {
        return Ok(first);
    }
    ('b'..='z')
        .map(|c| dir.join(format!("{name}-{day}{c}.json")))
        .find(|p| !p.exists())
        .ok_or_else(|| {
            format!(
                "{} already holds 26 {name} results for {day}",
                dir.display()
            )
        })
}

/// `path` relative to the workspace root when it lies inside it, for readable records.
fn display_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_are_listed_with_the_known_ones() {
        let err = select(&["narma10".into(), "nosuch".into()]).unwrap_err();
        assert!(err.contains("\"nosuch\""), "{err}");
        for c in &COMPARISONS {
            assert!(err.contains(c.name) && err.contains(c.source), "{err}");
        }
    }

    #[test]
    fn names_run_in_canonical_order_once() {
        let names = ["floor", "narma10_vs_reservoirpy.py", "floor"].map(String::from);
        let picked: Vec<&str> = select(&names).unwrap().iter().map(|c| c.name).collect();
        assert_eq!(picked, ["narma10", "floor"]);
        assert_eq!(select(&[]).unwrap().len(), 5);
        let names: Vec<&str> = select(&[]).unwrap().iter().map(|c| c.name).collect();
        assert_eq!(names, ["narma10", "ridge", "flatspin", "floor", "recorded"]);
    }

    #[test]
    fn dates_follow_the_gregorian_calendar() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_792), (2026, 12, 5));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn floor_output_is_parsed_including_two_word_names() {
        let out = "N = 500, 25000 nonzeros (10.0 %); sliced ELLPACK 25600 slots\n\
                   scalar         7.90 us/step   0.316 ns/nonzero  max |error| 0.0e+00\n\
                   scalar x2      5.10 us/step   0.204 ns/nonzero  max |error| 1.0e-16\n";
        let v = parse_floor(out).unwrap();
        assert_eq!(v["kernels"][1]["kernel"], "scalar x2");
        assert_eq!(v["kernels"][0]["us_per_step"], 7.9);
        assert_eq!(v["kernels"][1]["max_abs_error"], 1e-16);
        assert!(v["setup"].as_str().unwrap().starts_with("N = 500"));
        assert!(parse_floor("nothing\n").is_err());
    }

    #[test]
    fn a_failing_program_is_named_with_its_exit_status() {
        let log = std::env::temp_dir().join(format!("xtask-peers-{}.log", std::process::id()));
        let err = run_logged(
            Command::new("sh").args(["-c", "echo partial; exit 3"]),
            "benches/peers/example.py",
            &log,
        )
        .unwrap_err();
        let kept = fs::read_to_string(&log).unwrap_or_default();
        let _ = fs::remove_file(&log);
        assert!(err.starts_with("benches/peers/example.py failed"), "{err}");
        assert!(err.contains("exit status: 3"), "{err}");
        assert_eq!(kept, "partial\n");
    }

    #[test]
    fn the_recorded_summary_reads_both_sides_and_their_phases() {
        let r = json!({
            "numpy_scipy": {
                "seconds_best": 0.5, "seconds_all": [0.6, 0.5, 0.7],
                "phases_of_best": {"load": 0.1, "fit": 0.35, "predict_and_save": 0.05},
            },
            "physrc": {
                "seconds_best": 0.4, "seconds_all": [0.4, 0.45, 0.5],
                "timing_of_best": {"reservoir_seconds": 0.05, "readout_seconds": 0.3},
            },
            "predictions_max_rel_diff": 2e-15,
        });
        let cmp = select(&["recorded".into()]).unwrap()[0];
        let s = summarize(cmp, &r).unwrap();
        assert_eq!(s.ratio_best, Some(0.5 / 0.4));
        assert_eq!(s.ratio_median, Some(0.6 / 0.45));
        assert_eq!(s.json["predictions_max_rel_diff"], 2e-15);
        assert!(s.lines[0].1.contains("load 0.100 s"), "{:?}", s.lines);
        assert!(s.lines[1].1.contains("reading 0.050 s"), "{:?}", s.lines);
        let mut incomplete = r.clone();
        incomplete["physrc"]["timing_of_best"] = json!({});
        assert!(summarize(cmp, &incomplete).is_err());
    }

    #[test]
    fn fnv1a64_matches_the_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}

//! `physrc run --log` and `physrc log export` through the command line: a run killed with
//! SIGKILL resumes to the bits of an uninterrupted one, and an exported log reads back as
//! recorded states.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ndarray::Array2;
use ndarray_npy::{read_npy, write_npy};
use physrc::runlog;

fn physrc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_physrc"))
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut c = physrc();
    for a in args {
        c.arg(a);
    }
    c.output().unwrap()
}

fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "physrc failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A small ESN on NARMA10 over 100,100 steps: each step is cheap, but there are enough of
/// them for the run to last a few tenths of a second (mostly writing the log), plenty of
/// time to kill it part way.
const LONG: &str = r#"
[substrate]
kind = "esn"
units = 8
connectivity = 0.5
spectral_radius = 0.9
input_scaling = 0.25
bias_scaling = 0.25
seed = 3

[task]
kind = "narma10"
seed = 0

[split]
washout = 100
train = 80000
test = 20000
"#;

#[test]
fn a_run_killed_mid_way_resumes_to_the_bits_of_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = d.join("long.toml");
    std::fs::write(&cfg, LONG).unwrap();

    let (full, full_log) = (d.join("full"), d.join("full.log"));
    assert_ok(&run(&[
        &"run",
        &cfg,
        &"--out",
        &full,
        &"--log",
        &full_log,
        &"--states",
        &"--log-sync",
        &"1000000",
    ]));

    let (part, part_log) = (d.join("part"), d.join("part.log"));
    let mut command: Vec<std::ffi::OsString> = vec!["run".into(), cfg.clone().into()];
    for (flag, value) in [("--out", part.as_os_str()), ("--log", part_log.as_os_str())] {
        command.extend([flag.into(), value.to_owned()]);
    }
    // A kill loses nothing the kernel has, so the test needs no disk syncs, which would only
    // make it slower.
    command.extend(["--states", "--log-sync", "1000000"].map(Into::into));
    let mut child = physrc()
        .args(&command)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        if let Ok(c) = runlog::read(&part_log) {
            if c.steps.len() > 100 {
                break;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run finished before it could be killed"
        );
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the run never logged 100 steps"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap(); // SIGKILL on unix: no stop record, no report
    child.wait().unwrap();
    let killed = runlog::read(&part_log).unwrap();
    eprintln!("killed after {} of 100,100 steps", killed.steps.len());
    assert!(!killed.stopped, "a killed run leaves no stop record");
    assert!(
        (101..100_100).contains(&killed.steps.len()),
        "killed after {} steps",
        killed.steps.len()
    );
    assert!(!part.join("report.json").exists());

    // The same command again, with --resume.
    let o = physrc().args(&command).arg("--resume").output().unwrap();
    assert_ok(&o);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("resumed"), "{stderr}");

    let (a, b) = (
        runlog::read(&full_log).unwrap(),
        runlog::read(&part_log).unwrap(),
    );
    assert_eq!(b.steps.len(), 100_100);
    assert!(a.steps == b.steps, "the resumed log's steps differ");
    assert_eq!(b.stops.len(), 1);
    let (ra, rb) = (report(&full), report(&part));
    assert_eq!(ra["metrics"], rb["metrics"]);
    assert_eq!(ra["train_metrics"], rb["train_metrics"]);
    let resumed = rb["log"]["steps_resumed"].as_u64().unwrap() as usize;
    assert!(resumed >= killed.steps.len(), "{resumed}");
    for f in ["predictions.npy", "targets.npy", "states.npy"] {
        assert!(read(&full.join(f)) == read(&part.join(f)), "{f} differs");
    }
}

/// A 20-unit ESN on 60 steps of files, so the recorded config can reuse the targets.
const SMALL: &str = r#"
[substrate]
kind = "esn"
units = 20
spectral_radius = 0.9
seed = 1

[data]
inputs = "u.npy"
targets = "y.npy"
normalize = false

[split]
washout = 10
train = 30
test = 20
"#;

#[test]
fn an_exported_log_runs_as_recorded_states_with_the_same_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let u = Array2::from_shape_fn((60, 1), |(t, _)| ((t as f64) * 0.37).sin());
    let y = Array2::from_shape_fn((60, 1), |(t, _)| ((t as f64) * 0.37 + 0.37).sin());
    write_npy(d.join("u.npy"), &u).unwrap();
    write_npy(d.join("y.npy"), &y).unwrap();
    let cfg = d.join("small.toml");
    std::fs::write(&cfg, SMALL).unwrap();
    let (out, log) = (d.join("run"), d.join("run.log"));
    assert_ok(&run(&[&"run", &cfg, &"--out", &out, &"--log", &log]));

    let exp = d.join("export");
    assert_ok(&run(&[&"log", &"export", &log, &"--out", &exp]));
    let inputs: Array2<f64> = read_npy(exp.join("inputs.npy")).unwrap();
    assert_eq!(inputs, u);
    assert!(!exp.join("drive.npy").exists(), "the ESN reports no drive");
    let meta: serde_json::Value =
        serde_json::from_slice(&read(&exp.join("metadata.json"))).unwrap();
    assert_eq!(meta["steps"], 60);
    assert_eq!(meta["stop"]["status"], "success");
    assert_eq!(meta["start"]["substrate"]["name"], "esn");

    let recorded = SMALL
        .replace(
            "kind = \"esn\"\nunits = 20\nspectral_radius = 0.9\nseed = 1",
            "kind = \"recorded\"\nstates = \"export/states.npy\"",
        )
        .replace("inputs = \"u.npy\"", "inputs = \"export/inputs.npy\"");
    let rcfg = d.join("recorded.toml");
    std::fs::write(&rcfg, recorded).unwrap();
    let rout = d.join("recorded");
    assert_ok(&run(&[&"run", &rcfg, &"--out", &rout]));
    assert_eq!(report(&out)["metrics"], report(&rout)["metrics"]);
    assert!(read(&out.join("predictions.npy")) == read(&rout.join("predictions.npy")));
}

#[test]
fn the_cli_refuses_a_log_of_another_run_and_bad_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let u = Array2::from_shape_fn((60, 1), |(t, _)| ((t as f64) * 0.37).sin());
    write_npy(d.join("u.npy"), &u).unwrap();
    write_npy(d.join("y.npy"), &u).unwrap();
    let cfg = d.join("small.toml");
    std::fs::write(&cfg, SMALL).unwrap();
    let (out, log) = (d.join("run"), d.join("run.log"));
    assert_ok(&run(&[&"run", &cfg, &"--out", &out, &"--log", &log]));
    let before = read(&log);

    // Into a fresh folder, so that it is the log, not the outputs, that is refused.
    let o = run(&[&"run", &cfg, &"--out", &d.join("run2"), &"--log", &log]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("run.log") && err.contains("pass --resume") && err.contains("another --log"),
        "{err}"
    );

    let o = run(&[
        &"run",
        &cfg,
        &"--out",
        &out,
        &"--log",
        &log,
        &"--resume",
        &"--seed",
        &"7",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("cannot resume") && err.contains("seed is 7 in this run but 1 in the log"),
        "{err}"
    );
    assert!(read(&log) == before, "a refused log is untouched");

    for bad in [
        vec!["run", "small.toml", "--out", "x", "--resume"],
        vec![
            "run",
            "small.toml",
            "--out",
            "x",
            "--log",
            "y.log",
            "--log-sync",
            "0",
        ],
    ] {
        let o = physrc().current_dir(d).args(&bad).output().unwrap();
        assert!(!o.status.success(), "{bad:?} was accepted");
        assert!(!d.join("x").exists() && !d.join("y.log").exists());
    }
}

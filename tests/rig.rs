//! The rig through the path users run: `physrc run` with `kind = "rig"`, against the
//! in-process emulator and against `physrc rig emulate` on a pseudo-terminal.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const SAMPLE: &str = r#"geometry = "square-closed"
size = [4, 4]
disorder = 0.05
random_seed = 0
readout = "spins"
"#;

const ENCODER: &str = r#"encoder = "loop"
h_min = 0.076
h_max = 0.086
phi = 45
"#;

fn tail(washout: usize, train: usize, test: usize) -> String {
    format!(
        "[task]\nkind = \"narma10\"\nseed = 0\n\n[split]\nwashout = {washout}\ntrain = {train}\ntest = {test}\n\n[readout]\nkind = \"ridge\"\nalpha = 1e-6\n"
    )
}

fn run_config(dir: &Path, name: &str, text: &str) -> physrc::experiment::Outcome {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    let mut cfg = physrc::config::RunConfig::from_path(&p).unwrap();
    cfg.output.states = true;
    physrc::experiment::run(&cfg).unwrap()
}

/// The emulator is the simulator behind a wire: at zero noise and zero faults the rig's
/// NARMA10 score is the simulator's.
#[test]
fn rig_with_the_in_process_emulator_scores_as_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let t = tail(100, 800, 300);
    let sim = run_config(
        dir.path(),
        "sim.toml",
        &format!("[substrate]\nkind = \"nanomagnet\"\n{ENCODER}{SAMPLE}\n{t}"),
    );
    let rig = run_config(
        dir.path(),
        "rig.toml",
        &format!("[substrate]\nkind = \"rig\"\n{ENCODER}\n[substrate.emulator]\n{SAMPLE}\n{t}"),
    );
    let a = sim.report.metrics["nrmse"];
    let b = rig.report.metrics["nrmse"];
    assert!((a - b).abs() <= 1e-12, "simulator {a}, rig {b}");
    assert_eq!(rig.report.substrate.name, "rig");
}

struct Emulate(Child, String);

impl Emulate {
    fn start(dir: &Path, args: &[&str]) -> Emulate {
        let cfg = dir.join("sample.toml");
        std::fs::write(
            &cfg,
            format!("[substrate]\nkind = \"nanomagnet\"\n{ENCODER}{SAMPLE}"),
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_physrc"))
            .args(["rig", "emulate", "--config"])
            .arg(&cfg)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("port: ")
            .unwrap_or_else(|| panic!("first line {line:?}"))
            .to_owned();
        Emulate(child, port)
    }
}

impl Drop for Emulate {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_cli(dir: &Path, name: &str, port: &str, log: &Path) -> std::path::PathBuf {
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(
        &cfg,
        format!(
            "[substrate]\nkind = \"rig\"\nport = \"{port}\"\ntimeout = 0.05\nbatch = 16\n{ENCODER}\n{}",
            tail(100, 1400, 500)
        ),
    )
    .unwrap();
    let out = dir.join(format!("out-{name}"));
    let st = Command::new(env!("CARGO_BIN_EXE_physrc"))
        .args(["run"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .arg("--states")
        .arg("--log")
        .arg(log)
        .status()
        .unwrap();
    assert!(st.success(), "physrc run failed for {name}");
    out
}

/// Over a pseudo-terminal, a 2,000-step run against an emulator that faults one frame in a
/// hundred each way and resets every 500 commands records every step exactly once, with the
/// states of a fault-free run bit for bit.
#[cfg(unix)]
#[test]
fn faulted_run_over_a_pty_records_every_step_once_with_clean_states() {
    let dir = tempfile::tempdir().unwrap();
    let clean = {
        let emu = Emulate::start(dir.path(), &["--seed", "7"]);
        run_cli(dir.path(), "clean", &emu.1, &dir.path().join("clean.log"))
    };
    let faulty = {
        let emu = Emulate::start(
            dir.path(),
            &[
                "--fault-rate",
                "0.01",
                "--reset-every",
                "500",
                "--seed",
                "7",
            ],
        );
        run_cli(dir.path(), "faulty", &emu.1, &dir.path().join("faulty.log"))
    };
    let a = std::fs::read(clean.join("states.npy")).unwrap();
    let b = std::fs::read(faulty.join("states.npy")).unwrap();
    assert!(
        a == b,
        "states differ between the clean and the faulted run"
    );
    let log = physrc::runlog::read(&dir.path().join("faulty.log")).unwrap();
    assert_eq!(log.steps.len(), 2000);
    for (i, s) in log.steps.iter().enumerate() {
        assert_eq!(s.index, i as u64, "step records out of order or repeated");
        assert_eq!(
            s.drive.len(),
            4,
            "loop encoder: two field set points of (x, y)"
        );
    }
    let clean_log = physrc::runlog::read(&dir.path().join("clean.log")).unwrap();
    assert_eq!(clean_log.steps.len(), 2000);
    for (x, y) in clean_log.steps.iter().zip(&log.steps) {
        assert_eq!(x.state, y.state);
        assert_eq!(x.input, y.input);
    }
}

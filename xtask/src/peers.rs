//! `cargo xtask peers`: side-by-side runs against the peer tools, in a Python virtual
//! environment under `target/peers-venv` (created on first use from
//! `benches/peers/requirements.txt`). Results go to `target/peers/*.json`.

use std::path::Path;
use std::process::Command;

fn sh(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("{cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

pub(crate) fn run(which: &[String]) -> Result<(), String> {
    let venv = Path::new("target/peers-venv");
    let py = venv.join("bin/python");
    if !py.exists() {
        sh(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
        sh(Command::new(&py).args([
            "-m",
            "pip",
            "install",
            "-q",
            "-r",
            "benches/peers/requirements.txt",
        ]))?;
    }
    std::fs::create_dir_all("target/peers").map_err(|e| e.to_string())?;
    let all = which.is_empty();
    let wants = |name: &str| all || which.iter().any(|w| w == name);
    if wants("narma10") {
        sh(Command::new("cargo").args(["build", "--release", "-p", "physrc"]))?;
        sh(Command::new(&py).args([
            "benches/peers/narma10_vs_reservoirpy.py",
            "--physrc",
            "target/release/physrc",
            "--json",
            "target/peers/narma10_vs_reservoirpy.json",
        ]))?;
    }
    if wants("ridge") {
        sh(Command::new(&py).args([
            "benches/peers/ridge_vs_numpy.py",
            "--json",
            "target/peers/ridge_vs_numpy.json",
        ]))?;
    }
    Ok(())
}

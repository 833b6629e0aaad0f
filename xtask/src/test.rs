//! `cargo xtask test`: every test of the checkout, Rust and Python, in one command.
//!
//! `cargo test --workspace` runs the Rust tests. The Python package (`crates/physrc-py` with
//! `python/physrc`) is tested from Python, as its users call it, so this task then prepares a
//! virtual environment under `target/pyvenv` (maturin, numpy, pytest, reservoirpy), installs
//! the package into it with `pip install .`, and runs pytest on `python/tests` with
//! `PHYSRC_BIN` naming the `physrc` program the tests compare against.
//!
//! The package is built in cargo's dev profile here, not the release profile a user's
//! `pip install .` uses: the dev build reuses the dependencies `cargo test` just compiled, so
//! the Python step adds about a minute instead of a release build of the whole dependency
//! tree. Results do not depend on the profile (physrc's kernels never fuse a multiply and an
//! add), which the bit-identity tests against the dev-built `physrc` program check.

use std::path::Path;
use std::process::Command;

use crate::root::project_root;

/// Arguments of `cargo xtask test`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Pass `--locked` to cargo and maturin, as CI does.
    #[arg(long)]
    locked: bool,
    /// Only the Python tests (skip `cargo test --workspace`).
    #[arg(long)]
    python_only: bool,
    /// Python interpreter that creates the virtual environment.
    #[arg(long, value_name = "PATH", default_value = "python3")]
    python: String,
    /// Arguments passed on to pytest (after `--`).
    #[arg(last = true)]
    pytest_args: Vec<String>,
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let root = project_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let locked: &[&str] = if args.locked { &["--locked"] } else { &[] };

    if !args.python_only {
        status(
            Command::new(&cargo)
                .current_dir(&root)
                .args(["test", "--workspace"])
                .args(locked),
            "cargo test --workspace",
        )?;
    }
    // The program the bit-identity tests compare `physrc.run` against. The workspace tests
    // build it for their own use; building it again on its own would resolve the workspace's
    // features differently and recompile half the dependency tree, so it is built here only
    // when those tests were skipped.
    if args.python_only {
        status(
            Command::new(&cargo)
                .current_dir(&root)
                .args(["build", "--bin", "physrc"])
                .args(locked),
            "cargo build --bin physrc",
        )?;
    }
    // Cargo puts its build where `CARGO_TARGET_DIR` says, relative to the project when it is
    // relative, and under `target/` otherwise.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"));
    let physrc_bin = target_dir.join("debug").join("physrc");

    let venv = root.join("target").join("pyvenv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        status(
            Command::new(&args.python).arg("-m").arg("venv").arg(&venv),
            "creating the virtual environment target/pyvenv",
        )?;
    }
    pip(
        &python,
        &[
            "install",
            "--quiet",
            "maturin>=1.9,<2",
            "numpy",
            "pytest",
            // For the test of physrc.reservoirpy.Node in a reservoirpy pipeline.
            "reservoirpy==0.4.2",
        ],
    )?;
    // Built without isolation, with the maturin just installed, so no build environment is
    // downloaded on every run; pip's build backend finds `maturin` on the PATH.
    let path = std::env::join_paths(std::iter::once(venv.join("bin")).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .map_err(|e| format!("the PATH cannot hold {}: {e}", venv.display()))?;
    let mut maturin_args = String::from("--profile dev");
    if args.locked {
        maturin_args.push_str(" --locked");
    }
    status(
        Command::new(&python)
            .current_dir(&root)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-build-isolation",
                ".",
            ])
            .env("MATURIN_PEP517_ARGS", maturin_args)
            .env("PATH", path),
        "pip install . (the physrc Python package)",
    )?;
    status(
        Command::new(&python)
            .current_dir(&root)
            .args(["-m", "pytest", "python/tests"])
            .args(&args.pytest_args)
            .env("PHYSRC_BIN", &physrc_bin),
        "pytest python/tests",
    )
}

fn pip(python: &Path, args: &[&str]) -> Result<(), String> {
    status(
        Command::new(python).args(["-m", "pip"]).args(args),
        &format!("pip {}", args.join(" ")),
    )
}

/// Runs `cmd`, failing with `what` when it cannot start or exits unsuccessfully.
fn status(cmd: &mut Command, what: &str) -> Result<(), String> {
    eprintln!("== {what}");
    let s = cmd
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if s.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({s})"))
    }
}

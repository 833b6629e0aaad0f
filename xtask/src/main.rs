//! `cargo xtask`: developer tasks for physrc. One file per task; this file only parses
//! arguments and dispatches.

mod compare;
mod energy;
mod peers;
mod report;
mod root;
mod sweep;
mod test;
mod toml_edit;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// The substrate × task matrix of compare.toml: every substrate on every task with the
    /// same readout, budget and seeds; writes results.json, results.csv and index.html.
    Compare(compare::Args),
    /// Accuracy and energy per step of every substrate and of the ESN at matched accuracy
    /// (NARMA10, Mackey–Glass, the transformation): the tables of docs/energy.md.
    Energy(energy::Args),
    /// Run a parameter grid over dotted config keys, appending each finished point at once.
    Sweep(sweep::SweepArgs),
    /// Join the results of sweep shards into the table an unsharded sweep writes.
    Merge(sweep::MergeArgs),
    /// Run the side-by-side peer comparisons (reservoirpy, numpy, flatspin, a sparse-kernel
    /// floor) in a Python venv under target/.
    Peers(peers::Args),
    /// Every test: `cargo test --workspace`, then the Python package's tests (pytest in a
    /// venv under target/).
    Test(test::Args),
}

fn main() -> ExitCode {
    let res = match Cli::parse().task {
        Task::Compare(args) => compare::run(&args),
        Task::Energy(args) => energy::run(&args),
        Task::Sweep(args) => sweep::run(&args),
        Task::Merge(args) => sweep::merge(&args),
        Task::Peers(args) => peers::run(&args),
        Task::Test(args) => test::run(&args),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

//! `cargo xtask`: developer tasks for physrc. One file per task; this file only parses
//! arguments and dispatches.

mod compare;
mod peers;

use std::path::PathBuf;
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
    /// Run configs over several seeds and tabulate their test metrics side by side.
    Compare {
        /// Run configs; default: every `configs/*.toml`.
        configs: Vec<PathBuf>,
        /// Number of seeds (0..N) per config.
        #[arg(long, default_value_t = 1)]
        seeds: u64,
        /// Where to write compare.json and compare.csv.
        #[arg(long, default_value = "target/compare")]
        out: PathBuf,
    },
    /// Run the side-by-side peer scripts (reservoirpy, numpy) in a Python venv under target/.
    Peers {
        /// Which comparisons: narma10, ridge (default: both).
        which: Vec<String>,
    },
}

fn main() -> ExitCode {
    let res = match Cli::parse().task {
        Task::Compare {
            configs,
            seeds,
            out,
        } => compare::run(configs, seeds, &out),
        Task::Peers { which } => peers::run(&which),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

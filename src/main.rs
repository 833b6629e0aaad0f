//! The `physrc` command-line program.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use physrc::config::RunConfig;
use physrc::experiment;

/// Physical reservoir computing: drive a substrate, train a linear readout, score it.
#[derive(Debug, Parser)]
#[command(name = "physrc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run an experiment: substrate + task (or .npy data) + split + readout → report.
    ///
    /// Writes report.json, predictions.npy and targets.npy (test part), and states.npy when
    /// asked.
    Run {
        /// The run configuration (TOML; keys in docs/config.md).
        config: PathBuf,
        /// Output folder, created if missing.
        #[arg(long)]
        out: PathBuf,
        /// Override the seed of the substrate and of a generated task.
        #[arg(long)]
        seed: Option<u64>,
        /// Also write states.npy (all steps), as `[output] states = true` does.
        #[arg(long)]
        states: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            config,
            out,
            seed,
            states,
        } => {
            let res = (|| {
                let mut cfg = RunConfig::from_path(&config)?;
                if let Some(s) = seed {
                    cfg.set_seed(s);
                }
                cfg.output.states |= states;
                let outcome = experiment::run(&cfg)?;
                experiment::write_outcome(&outcome, &out)?;
                Ok::<_, physrc::RunError>(outcome)
            })();
            match res {
                Ok(outcome) => {
                    let m: Vec<String> = outcome
                        .report
                        .metrics
                        .iter()
                        .map(|(k, v)| format!("{k} = {v:.6}"))
                        .collect();
                    eprintln!(
                        "{} on {}: {} ({:.3} s); wrote {}",
                        outcome.report.substrate.name,
                        outcome.report.data.name,
                        m.join(", "),
                        outcome.report.timing.total_seconds,
                        out.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => report_error(&e),
            }
        }
    }
}

fn report_error(e: &physrc::RunError) -> ExitCode {
    eprintln!("error: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        eprintln!("  caused by: {s}");
        src = s.source();
    }
    ExitCode::from(1)
}

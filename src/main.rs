//! The `physrc` command-line program.

use std::num::NonZeroUsize;
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
    /// Writes report.json, predictions.npy and targets.npy (test part), states.npy when asked,
    /// and the trained setup (model.json and model-*.npy) for `physrc predict`.
    Run {
        /// The run configuration (TOML; keys in docs/config.md).
        config: PathBuf,
        /// Output folder, created if missing; checked before the first step.
        #[arg(long)]
        out: PathBuf,
        /// Replace the outputs of an earlier run in the output folder (implied by --resume).
        #[arg(long)]
        force: bool,
        /// Override the seed of the substrate and of a generated task.
        #[arg(long)]
        seed: Option<u64>,
        /// Also write states.npy (all steps), as `[output] states = true` does.
        #[arg(long)]
        states: bool,
        /// Keep a crash-safe run log of every step in FILE (format in docs/run-log.md).
        #[arg(long, value_name = "FILE")]
        log: Option<PathBuf>,
        /// Continue the run the --log file records: replay its steps, then go on.
        #[arg(long, requires = "log")]
        resume: bool,
        /// Sync the run log to the disk every N records.
        #[arg(long, value_name = "N", default_value_t = 256,
              value_parser = clap::value_parser!(u32).range(1..))]
        log_sync: u32,
    },
    /// Apply a finished run's trained setup to new inputs: drive the same substrate from
    /// reset, scale the inputs as the run did, apply its readout.
    ///
    /// Writes predictions.npy (one row per input step; class labels for a classifier) and
    /// predict.json.
    Predict {
        /// The output folder of a `physrc run` (holding model.json).
        run: PathBuf,
        /// `.npy` of raw inputs, T × d (a length-T vector is T × 1), as the run's data had them.
        #[arg(long)]
        inputs: PathBuf,
        /// Output folder, created if missing.
        #[arg(long)]
        out: PathBuf,
        /// Replace the outputs of an earlier prediction in the output folder.
        #[arg(long)]
        force: bool,
    },
    /// Work with run logs.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Control a nanomagnet rig from the shell, or serve an emulated one.
    Rig {
        #[command(subcommand)]
        command: physrc::rig_cli::RigCommand,
    },
    /// Simulate a substrate on its own, without a readout, for validation against the
    /// reference tools.
    Simulate {
        #[command(subcommand)]
        substrate: Simulate,
    },
    /// Print the JSON Schema of the config files (`physrc run` and `physrc simulate`), as
    /// shipped in docs/physrc.schema.json, for editors that complete and check TOML keys.
    Schema,
}

#[derive(Debug, Subcommand)]
enum LogCommand {
    /// Write a run log's steps as .npy files: inputs.npy (T×d), states.npy (T×n, readable by
    /// `[substrate] kind = "recorded"`), drive.npy (when drives were logged) and
    /// metadata.json (start record, stop record or null, step count).
    Export {
        /// The run log.
        log: PathBuf,
        /// Output folder, created if missing.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum Simulate {
    /// Artificial spin ice under a field sequence (flatspin's model and key names).
    ///
    /// The whole TOML file is a `physrc_nanomagnet::SimulationConfig`. Writes spins.npy
    /// (T×N, ±1 after each relax), flips.npy (T), positions.npy (N×2), angles.npy (N,
    /// radians) and thresholds.npy (N).
    Nanomagnet {
        /// The simulation configuration (TOML).
        config: PathBuf,
        /// Output folder, created if missing.
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            config,
            out,
            force,
            seed,
            states,
            log,
            resume,
            log_sync,
        } => {
            let res = (|| {
                let mut cfg = RunConfig::from_path(&config)?;
                if let Some(s) = seed {
                    if !cfg.set_seed(s)?.any() {
                        eprintln!(
                            "note: --seed {s} changes nothing here: neither the substrate nor \
                             the data of {} take a seed",
                            cfg.origin
                        );
                    }
                }
                cfg.output.states |= states;
                // A resumed run writes the outputs of the run its log records, so it may
                // replace what an earlier attempt of that run left in the folder.
                physrc::outdir::prepare(&out, &physrc::outdir::RUN_OUTPUTS, force || resume)?;
                let opts = experiment::RunOptions {
                    log: log.map(|path| experiment::LogOptions {
                        path,
                        resume,
                        sync_every: NonZeroUsize::new(log_sync as usize)
                            .unwrap_or(NonZeroUsize::MIN),
                    }),
                    ..experiment::RunOptions::default()
                };
                let outcome = experiment::run_with(&cfg, &opts)?;
                experiment::write_outcome(&outcome, &out)?;
                Ok::<_, physrc::RunError>(outcome)
            })();
            match res {
                Ok(outcome) => {
                    if let Some(l) = outcome.report.log.as_ref().filter(|l| l.steps_resumed > 0) {
                        eprintln!("resumed {} logged steps from {}", l.steps_resumed, l.path);
                    }
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
        Command::Predict {
            run,
            inputs,
            out,
            force,
        } => match predict(&run, &inputs, &out, force) {
            Ok(r) => {
                eprintln!(
                    "{} steps predicted ({} input values clipped to the run's range); wrote {}",
                    r.steps,
                    r.clipped_values,
                    out.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => report_error(&e),
        },
        Command::Rig { command } => match physrc::rig_cli::run(command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => report_error(&e),
        },
        Command::Log {
            command: LogCommand::Export { log, out },
        } => match physrc::runlog::export(&log, &out) {
            Ok(x) => {
                let end = x
                    .stop
                    .map_or("did not finish".to_owned(), |s| s.to_string());
                eprintln!("{} steps (run: {end}); wrote {}", x.steps, out.display());
                ExitCode::SUCCESS
            }
            Err(e) => report_error(&e),
        },
        Command::Simulate {
            substrate: Simulate::Nanomagnet { config, out },
        } => match simulate_nanomagnet(&config, &out) {
            Ok(summary) => {
                eprintln!("{summary}; wrote {}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => report_error(&e),
        },
        Command::Schema => {
            print!("{}", physrc::schema::config_schema_json());
            ExitCode::SUCCESS
        }
    }
}

fn simulate_nanomagnet(
    config: &std::path::Path,
    out: &std::path::Path,
) -> Result<String, physrc::RunError> {
    use physrc::RunError;
    let text = std::fs::read_to_string(config).map_err(|source| RunError::Io {
        path: config.to_path_buf(),
        source,
    })?;
    let cfg: physrc::nanomagnet::SimulationConfig =
        toml::from_str(&text).map_err(|e| RunError::Config {
            origin: config.display().to_string(),
            message: physrc::config::toml_error(&text, &e),
        })?;
    let base = config.parent().unwrap_or(std::path::Path::new("."));
    let o = physrc::nanomagnet::simulate_within(&cfg, base, physrc::substrate::available_memory())
        .map_err(RunError::from_component)?;
    std::fs::create_dir_all(out).map_err(|source| RunError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    physrc::npy::write(&out.join("spins.npy"), &o.spins)?;
    physrc::npy::write(&out.join("flips.npy"), &o.flips)?;
    physrc::npy::write(&out.join("positions.npy"), &o.positions)?;
    physrc::npy::write(&out.join("angles.npy"), &o.angles)?;
    physrc::npy::write(&out.join("thresholds.npy"), &o.thresholds)?;
    Ok(format!(
        "{} magnets, {} field steps, {} flips",
        o.angles.len(),
        o.flips.len(),
        o.flips.sum()
    ))
}

fn predict(
    run: &std::path::Path,
    inputs: &std::path::Path,
    out: &std::path::Path,
    force: bool,
) -> Result<physrc::model::PredictReport, physrc::RunError> {
    use physrc::RunError;
    // Read the setup before touching the output folder, so a wrong run folder changes nothing.
    physrc::model::SavedModel::read(run)?;
    physrc::outdir::prepare(out, &physrc::outdir::PREDICT_OUTPUTS, force)?;
    let (series, report) = physrc::model::predict(run, inputs)?;
    let p = out.join("predictions.npy");
    match &series {
        experiment::Series::Values(v) => physrc::npy::write(&p, v)?,
        experiment::Series::Labels(l) => physrc::npy::write(&p, &l.mapv(|c| c as i64))?,
    }
    let p = out.join("predict.json");
    let json = serde_json::to_string_pretty(&report).expect("reports serialise");
    std::fs::write(&p, json + "\n").map_err(|source| RunError::Io { path: p, source })?;
    Ok(report)
}

fn report_error(e: &physrc::RunError) -> ExitCode {
    let mut shown = e.to_string();
    eprintln!("error: {shown}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        // Messages that already include their cause (an OS error after a path) are not
        // repeated.
        let text = s.to_string();
        if !shown.contains(&text) {
            eprintln!("  caused by: {text}");
            shown.push_str(&text);
        }
        src = s.source();
    }
    ExitCode::from(1)
}

//! The experiment runner: substrate + data + split + readout → report.
//!
//! # Contract
//!
//! - States run continuously over the whole `washout + train + test` sequence from one
//!   `reset`: the substrate never sees a break between training and testing, as in a lab run.
//! - The first `washout` states are dropped, the next `train` train the readout, the next
//!   `test` are scored. Rows of the data beyond `washout + train + test` are ignored.
//! - Inputs are scaled into `[-1, 1]` using only the rows before the test split (or the task's
//!   known input range), so nothing about the test part leaks into training. Test values that
//!   fall outside the training range are clipped to the range and counted in the report
//!   (`normalization.clipped_values`), never silently.
//! - The substrate is driven in chunks. The plain ridge readout (Cholesky solver, no
//!   standardisation) and the online readout take the training states chunk by chunk, so such
//!   a run never holds all states unless `[output] states = true` asks for them; the readouts
//!   that need every training row at once (cross-validation, standardisation, the SVD
//!   solver, the classifier) hold the training part, never the washout or the test part.
//! - With a run log ([`run_with`], [`LogOptions`]) the substrate is stepped one step at a time
//!   and every step is appended to the log. A resumed run takes the logged steps' states from
//!   the log, re-creates the substrate's state by `reset` and `replay` of their inputs, and
//!   goes on from there: its outputs are the bits of an uninterrupted run.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView2, Axis, s};
use physrc_core::{Info, Reservoir};
use physrc_tasks::{Dataset, Targets};
use serde::Serialize;

use crate::config::{DataSource, Features, ReadoutConfig, RunConfig, Split};
use crate::error::RunError;
use crate::runlog::{self, LogWriter, LoggedStates, StartRecord, Status, StopRecord};
use crate::{measures, npy, readout_driver, substrate};

/// Rows driven through the substrate per chunk.
const CHUNK: usize = 1024;

/// What a run produced: the report and the arrays written next to it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The summary written to `report.json`.
    pub report: Report,
    /// Predictions on the test part.
    pub predictions: Series,
    /// Targets of the test part.
    pub targets: Series,
    /// All states (washout included) when `[output] states = true`.
    pub states: Option<Array2<f64>>,
    /// The trained setup, for `physrc predict`; `None` for recorded states (nothing to drive
    /// again), the online readout and runs that train nothing.
    pub model: Option<crate::model::SavedModel>,
}

/// A test-part series: real values (`test × k`) or class labels.
#[derive(Debug, Clone, PartialEq)]
pub enum Series {
    /// Regression values, `test × k`.
    Values(Array2<f64>),
    /// Class labels, length `test`.
    Labels(Array1<usize>),
}

/// The summary of one run, serialised to `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// physrc's version.
    pub physrc_version: &'static str,
    /// The config file.
    pub config: String,
    /// The substrate's name and parameters.
    pub substrate: Info,
    /// The data set.
    pub data: DataReport,
    /// The split used.
    pub split: Split,
    /// The readout and what it chose.
    pub readout: ReadoutReport,
    /// Test-part metrics (`nrmse`, `nmse`, `mse` for regression; `accuracy`, `error_rate` for
    /// classification; `memory_capacity` for the memory-capacity task).
    pub metrics: BTreeMap<String, f64>,
    /// The same metrics on the training part.
    pub train_metrics: BTreeMap<String, f64>,
    /// Number of state components per step.
    pub state_dim: usize,
    /// Wall-clock timing.
    pub timing: Timing,
    /// The substrate's model energy estimate, when it has one.
    pub energy: Option<EnergyReport>,
    /// How inputs were scaled into `[-1, 1]`.
    pub normalization: Option<NormalizationReport>,
    /// Per-delay memory capacity or per-degree information processing capacity, for those
    /// tasks.
    pub capacity: Option<CapacityReport>,
    /// The run log, when the run kept one.
    pub log: Option<LogReport>,
    /// What was read of recorded states (`kind = "recorded"` only).
    pub recorded: Option<RecordedReport>,
    /// The run's energy part by part (substrate, drive, readout, training), each with its
    /// model; `None` for kernel-rank runs, which train no readout.
    pub energy_breakdown: Option<crate::energy::EnergyBreakdown>,
}

/// What a run on recorded states read of them, in `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedReport {
    /// Channels (columns) in the states file.
    pub channels: usize,
    /// Indices in the file (0-based, ascending) of the channels left out because they hold a
    /// NaN or an infinite value in the rows the run uses (`drop_nonfinite = true`); the
    /// states are the other channels, in the file's order.
    pub dropped_channels: Vec<usize>,
    /// How many non-finite values the dropped channels held in those rows.
    pub dropped_values: usize,
}

/// The curves behind the capacity metrics, in `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityReport {
    /// The ridge penalty of the capacity readouts (chosen by cross-validation for
    /// `ridge-cv`).
    pub alpha: f64,
    /// `memory_per_delay[k]` is the memory capacity for delay `k` (`memory-capacity` task).
    pub memory_per_delay: Option<Vec<f64>>,
    /// `ipc_by_degree[d]` sums the capacities of total degree `d` (`ipc` task).
    pub ipc_by_degree: Option<Vec<f64>>,
}

/// What every energy figure in a report is, and is not.
pub(crate) const ENERGY_NOTE: &str =
    "model estimate of the substrate's own dissipation; excludes drive and readout electronics";

/// The run log of a run, in `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct LogReport {
    /// The log file.
    pub path: String,
    /// Steps taken from the log rather than driven (0 for a fresh run).
    pub steps_resumed: usize,
    /// Bytes of a torn tail cut from the log before resuming.
    pub discarded_bytes: u64,
}

/// How to run beyond the config: whether to keep a run log, and a way to cancel the run from
/// another thread. Build it with `RunOptions { log: ..., ..RunOptions::default() }`; fields
/// may be added.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Keep a run log, and resume from it when asked.
    pub log: Option<LogOptions>,
    /// When another thread sets this flag, the run stops before its next block of states
    /// (at most 1,024 steps later) with [`RunError::Cancelled`]. An interactive caller
    /// (the Python bindings' Ctrl-C) sets it; the substrate is left where it stopped.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// The run log of [`RunOptions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogOptions {
    /// The log file.
    pub path: PathBuf,
    /// Continue the run the log records. Without it, an existing non-empty log is an error.
    /// With it, a missing or empty log starts a new run.
    pub resume: bool,
    /// Sync the log to the disk every this many records (and after the start and stop
    /// records).
    pub sync_every: NonZeroUsize,
}

impl LogOptions {
    /// Records between syncs unless asked otherwise.
    pub const DEFAULT_SYNC_EVERY: NonZeroUsize = NonZeroUsize::new(256).expect("not zero");

    /// A new log at `path`, not resuming, synced every [`Self::DEFAULT_SYNC_EVERY`] records.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LogOptions {
            path: path.into(),
            resume: false,
            sync_every: Self::DEFAULT_SYNC_EVERY,
        }
    }
}

/// Where the data came from.
#[derive(Debug, Clone, Serialize)]
pub struct DataReport {
    /// Task name or the inputs file.
    pub name: String,
    /// Rows available.
    pub steps_available: usize,
    /// Input components per step.
    pub input_dim: usize,
    /// Target components per step (classes for a classifier).
    pub outputs: usize,
}

/// The readout's settings and fitted choices.
#[derive(Debug, Clone, Serialize)]
pub struct ReadoutReport {
    /// The `[readout]` settings.
    pub settings: ReadoutConfig,
    /// Number of features after the feature map.
    pub features: usize,
    /// The regularisation chosen by cross-validation, if any.
    pub alpha_chosen: Option<f64>,
}

/// Wall-clock timing of the phases of a run, in seconds.
///
/// The readout trains on a second thread while the substrate runs, so `reservoir_seconds +
/// readout_seconds` may exceed `total_seconds`.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// Driving the substrate (all steps).
    pub reservoir_seconds: f64,
    /// `reservoir_seconds` per step.
    pub seconds_per_step: f64,
    /// Fitting the readout (time the trainer was busy, overlapping the reservoir) and
    /// predicting.
    pub readout_seconds: f64,
    /// The whole run, data generation and loading included.
    pub total_seconds: f64,
}

/// The substrate's energy estimate.
#[derive(Debug, Clone, Serialize)]
pub struct EnergyReport {
    /// Joules over the whole run.
    pub joules: f64,
    /// Joules per input step.
    pub joules_per_step: f64,
    /// Always a reminder of what the number is.
    pub note: &'static str,
}

/// How inputs were scaled.
#[derive(Debug, Clone, Serialize)]
pub struct NormalizationReport {
    /// Per input component, the raw value mapped to −1.
    pub min: Vec<f64>,
    /// Per input component, the raw value mapped to +1.
    pub max: Vec<f64>,
    /// Where the range came from: `"task"` or `"training part"`.
    pub source: &'static str,
    /// Values outside the range that were clipped (only possible in the test part).
    pub clipped_values: usize,
}

/// Runs one experiment.
///
/// # Errors
///
/// [`RunError`] naming the config key, file or component that failed.
pub fn run(cfg: &RunConfig) -> Result<Outcome, RunError> {
    run_with(cfg, &RunOptions::default())
}

/// Runs one experiment with options: a run log, kept and resumed as [`LogOptions`] says.
///
/// With a log, a start record is written before the first step, a step record after every
/// step, and a stop record at the end: `success`, or `fail` with the error's message. A
/// resumed run checks that the log's start record has this run's split, seed and config and
/// that every logged step has this run's input, bit for bit, before it changes anything;
/// it then cuts a torn tail off the log, resets the substrate, replays the logged inputs
/// ([`Reservoir::replay`]) and goes on stepping and logging from the first step not logged.
/// The logged states stand for the steps already taken. A log whose stop record says
/// success is recomputed from the log alone: the substrate is not driven, the log not written.
///
/// # Errors
///
/// As [`run`]; [`RunError::Log`] when the log cannot be written, already exists (without
/// `resume`), or records another run (naming what differs: the split, the seed, a config
/// key, or the step whose input differs).
pub fn run_with(cfg: &RunConfig, opts: &RunOptions) -> Result<Outcome, RunError> {
    run_inner(cfg, opts, None)
}

/// Runs one experiment on a substrate the caller built (a rig already connected, a test
/// double) instead of the one `[substrate]` describes. The config's `[substrate]` table is
/// still what the report and the run log record.
///
/// # Errors
///
/// As [`run_with`]; [`RunError::Config`] for `kind = "recorded"`, which drives nothing, and
/// [`RunError::Data`] when the substrate's input dimension is not the data's.
pub fn run_on(
    cfg: &RunConfig,
    substrate: Box<dyn Reservoir + Send>,
    opts: &RunOptions,
) -> Result<Outcome, RunError> {
    run_inner(cfg, opts, Some(substrate))
}

fn run_inner(
    cfg: &RunConfig,
    opts: &RunOptions,
    given: Option<Box<dyn Reservoir + Send>>,
) -> Result<Outcome, RunError> {
    let t_start = Instant::now();
    if let Some(spec) = kernel_rank_spec(cfg)? {
        if opts.log.is_some() {
            return Err(RunError::config(
                &cfg.origin,
                "a run log records one continuous run; [task] kind = \"kernel-rank\" resets \
                 the substrate for every stream, so it cannot be logged",
            ));
        }
        if cfg.substrate_kind()? == "recorded" {
            return Err(RunError::config(
                &cfg.origin,
                "[task] kind = \"kernel-rank\" drives the substrate from reset; recorded \
                 states cannot be driven",
            ));
        }
        return measures::kernel_rank(cfg, &spec, given, t_start);
    }
    let split = cfg.split;
    let total = split.total();
    let kind = cfg.substrate_kind()?.to_owned();

    let (data, normalize, recorded) = load_data(cfg, total)?;
    let steps_available = data.len();
    if steps_available < total {
        return Err(RunError::Data(format!(
            "{}: {} steps available but [split] needs washout + train + test = {} + {} + {} = {}",
            data.name, steps_available, split.washout, split.train, split.test, total
        )));
    }
    let mut inputs = data.inputs.slice(s![..total, ..]).to_owned();
    let normalization = if normalize && recorded.is_none() {
        Some(normalize_inputs(
            &mut inputs,
            data.input_range,
            split.washout + split.train,
        ))
    } else {
        if recorded.is_none() {
            check_prenormalized(&inputs, &data.name)?;
        }
        None
    };
    let targets = slice_targets(&data.targets, total);

    // Drive the substrate (or take the recorded states) chunk by chunk.
    let recorded_report = recorded.as_ref().map(|r| RecordedReport {
        channels: r.channels(),
        dropped_channels: r.dropped_channels(),
        dropped_values: r.dropped_values(),
    });
    let (info, states_src): (Info, StateSource) = match (recorded, given) {
        (Some(_), Some(_)) => {
            return Err(RunError::config(
                &cfg.origin,
                "[substrate] kind = \"recorded\" drives no substrate; a substrate built by \
                 the caller cannot replace it",
            ));
        }
        (None, Some(r)) => {
            if r.input_dim() != inputs.ncols() {
                return Err(RunError::Data(format!(
                    "{}: the substrate takes {} input components, the data has {}",
                    data.name,
                    r.input_dim(),
                    inputs.ncols()
                )));
            }
            (r.info(), StateSource::Live(r))
        }
        (Some(states), None) => (
            Info::new("recorded").with(
                "states",
                cfg.substrate
                    .get("states")
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            ),
            StateSource::Recorded(states),
        ),
        (None, None) => {
            let r = substrate::build(&kind, cfg, inputs.ncols())?;
            (r.info(), StateSource::Live(r))
        }
    };
    let mut driver = Driver {
        src: states_src,
        inputs: inputs.view(),
        pos: 0,
        secs: 0.0,
        all_states: None,
        mc_states: None,
        log: None,
        logged: None,
        resumed: 0,
        written: 0,
        logged_energy: None,
        input_buf: vec![0.0; inputs.ncols()],
        cancel: opts.cancel.clone(),
    };
    let state_dim = driver.state_dim();
    let log_report = match &opts.log {
        Some(lo) => Some(open_log(
            lo,
            cfg,
            &info,
            inputs.view(),
            state_dim,
            &mut driver,
        )?),
        None => None,
    };

    let prep = Prepared {
        data,
        inputs: inputs.view(),
        targets,
        info,
        normalization,
        log_report,
        recorded: recorded_report,
        steps_available,
        t_start,
    };
    let result = attempt(cfg, &mut driver, prep);

    if let Some(mut w) = driver.log.take() {
        if !w.is_broken() {
            let (status, message) = match &result {
                Ok(_) => (Status::Success, String::new()),
                Err(e) => (Status::Fail, e.to_string()),
            };
            let stop = StopRecord {
                status,
                message,
                steps: driver.written,
                energy_joules: driver.energy(),
                stopped_unix_seconds: runlog::unix_seconds(),
            };
            let stopped = w.stop(&stop);
            // A run that failed reports its own error, not a failure to log it.
            if result.is_ok() {
                stopped?;
            }
        }
    }
    result
}

/// What a run has prepared before its first step.
struct Prepared<'a> {
    data: Dataset,
    inputs: ArrayView2<'a, f64>,
    targets: Targets,
    info: Info,
    normalization: Option<NormalizationReport>,
    log_report: Option<LogReport>,
    recorded: Option<RecordedReport>,
    steps_available: usize,
    t_start: Instant,
}

/// One attempt at the run, from the substrate's reset to the report: what a stop record
/// records the end of.
fn attempt(cfg: &RunConfig, driver: &mut Driver<'_>, p: Prepared<'_>) -> Result<Outcome, RunError> {
    let Prepared {
        data,
        inputs,
        targets,
        info,
        normalization,
        log_report,
        recorded,
        steps_available,
        t_start,
    } = p;
    let split = cfg.split;
    let total = split.total();
    let state_dim = driver.state_dim();
    if driver.logged_energy.is_none() {
        driver.reset()?;
        driver.replay()?;
    }
    let keep_states = cfg.output.states;
    driver.all_states = keep_states.then(|| Array2::zeros((0, state_dim)));
    let features = readout_features(&cfg.readout);
    let n_features = match features {
        Features::State => state_dim,
        Features::StateSquared => 2 * state_dim,
    };
    // The readout's matrices grow with the square of the features: a state of a million
    // components asks for terabytes. Checked against what the machine has left now that the
    // substrate is built, before its first step.
    substrate::available_memory()
        .check(
            "[readout]",
            format_args!(
                "{} over {n_features} features (the substrate's state has {state_dim} \
                 components)",
                cfg.readout.kind_name()
            ),
            readout_driver::memory_needed(
                &cfg.readout,
                n_features,
                targets.n_outputs(),
                split.train,
                split.test,
            ),
        )
        .map_err(RunError::from_component)?;

    // The capacity tasks are scored from the states themselves (one readout per delayed
    // target), so their post-washout states are kept; what that and their readouts need is
    // checked now, before the first step.
    let spec = task_spec(cfg)?;
    let capacity_task = spec
        .as_ref()
        .is_some_and(physrc_tasks::TaskSpec::scored_from_states);
    if let Some(spec) = spec.as_ref().filter(|_| capacity_task) {
        substrate::available_memory()
            .check(
                "[task]",
                format_args!(
                    "{} over {state_dim} state components and {} + {} rows",
                    spec.kind(),
                    split.train,
                    split.test
                ),
                measures::memory_needed(spec, state_dim, split),
            )
            .map_err(RunError::from_component)?;
    }

    // Washout.
    let mut readout_secs = 0.0;
    let mut remaining = split.washout;
    while remaining > 0 {
        let n = remaining.min(CHUNK);
        driver.next(n)?;
        remaining -= n;
    }
    driver.mc_states = capacity_task.then(Vec::new);

    // Training. The readout accumulates on a second thread while the substrate produces the
    // next chunk, so a run costs about the larger of the two rather than their sum. Chunks
    // reach the trainer in order through a short queue, so the sums, and every bit of the
    // fit, are what a single thread would compute. A simulated substrate keeps a core busy,
    // so the trainer runs in a one-thread rayon pool where its linear algebra does not
    // compete with it. Recorded states cost only their reading, a fraction of the readout's
    // work, so there the trainer takes as many threads as the caller's pool has; the readout's
    // products split their output, never a sum, so the bits do not depend on that count.
    // A simulated substrate goes on to the test part after its last training chunk; once it
    // has produced that too it idles until the fit is done, so the chunks still queued then
    // are trained on every thread of the caller's pool.
    //
    // The trainer's core is shared with the substrate: it is marked busy while the trainer
    // updates, and a substrate that can split its step over two threads (a large enough ESN)
    // does so only while it is free, so the gaps between updates, the washout and the test
    // part use both cores without the two competing for one. The split changes no bits.
    let all_threads = rayon::current_num_threads();
    let trainer_threads = match &driver.src {
        StateSource::Recorded(_) => all_threads,
        StateSource::Live(_) => 1,
    };
    let shared_core = physrc_core::SharedCore::new();
    if let StateSource::Live(r) = &mut driver.src {
        r.share_core(shared_core.clone());
    }
    let substrate_idle = std::sync::atomic::AtomicBool::new(false);
    let recorded_states = matches!(driver.src, StateSource::Recorded(_));
    let trainer = readout_driver::Trainer::new(&cfg.readout, &targets, n_features, &cfg.origin)?;
    let mut row = split.washout;
    let mut test_x: Vec<Array2<f64>> = Vec::new();
    let (trainer, train_secs) = std::thread::scope(|scope| -> Result<_, RunError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(Array2<f64>, std::ops::Range<usize>)>(2);
        // Chunks the trainer is done with come back to be filled again, by later training
        // chunks and by the test part: a chunk of fresh memory costs a page fault per 4 KiB on
        // the substrate's thread, which is the run's critical path (for a 500-unit ESN on
        // NARMA10, some 7,000 faults and about a tenth of the run).
        let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Array2<f64>>();
        let substrate_idle = &substrate_idle;
        // The test part's chunks are kept until the fit is done, so they are fresh memory
        // whatever is recycled. The trainer's thread touches it while it waits for its first
        // chunk, off the substrate's critical path, and hands it over as spent chunks.
        let prefault = match (&driver.src, features) {
            (StateSource::Live(_), Features::State) => split.test.div_ceil(CHUNK),
            _ => 0,
        };
        let shared_core = &shared_core;
        let consumer = scope.spawn(move || -> Result<_, RunError> {
            let mut trainer = trainer;
            let mut secs = 0.0;
            let build = |threads: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .map_err(|e| {
                        RunError::Internal(format!("cannot start the readout thread: {e}"))
                    })
            };
            // Recorded states train the streamed ridge in two lanes, each on one core without
            // the synchronisation of a parallel product: the even chunks here, the odd ones in
            // a second thread, merged once at the end. The lanes do not depend on the number
            // of threads, so neither do the bits. Recorded states are checked as they are
            // read, so a lane cannot fail on data; an error there is reported after this
            // lane's.
            if let (true, Some(lane)) = (recorded_states, trainer.lane()) {
                let one = build(1)?;
                return std::thread::scope(|lanes| -> Result<_, RunError> {
                    let (ltx, lrx) =
                        std::sync::mpsc::sync_channel::<(Array2<f64>, std::ops::Range<usize>)>(1);
                    let second = lanes.spawn(move || -> Result<_, RunError> {
                        let mut lane = lane;
                        let one = build(1)?;
                        for (x, rows) in lrx {
                            one.install(|| lane.update(x, rows))?;
                        }
                        Ok(lane)
                    });
                    let t1 = Instant::now();
                    let mut first = Ok(());
                    for (k, (x, rows)) in rx.into_iter().enumerate() {
                        if k % 2 == 1 {
                            if ltx.send((x, rows)).is_err() {
                                break;
                            }
                        } else if first.is_ok() {
                            first = one.install(|| trainer.update(x, rows)).map(drop);
                        }
                    }
                    drop(ltx);
                    let lane = match second.join() {
                        Ok(result) => result,
                        Err(panic) => std::panic::resume_unwind(panic),
                    };
                    first?;
                    trainer.merge(&lane?)?;
                    Ok((trainer, t1.elapsed().as_secs_f64()))
                });
            }
            let pool = build(trainer_threads)?;
            let mut wide = None;
            for _ in 0..prefault {
                // Written, not just allocated: zeroed memory is mapped only on first touch,
                // which is what this moves off the substrate's thread.
                let mut a = Array2::<f64>::zeros((CHUNK, state_dim));
                a.fill(0.0);
                if spent_tx.send(a).is_err() {
                    break;
                }
            }
            for (x, rows) in rx {
                let t1 = Instant::now();
                let idle = substrate_idle.load(std::sync::atomic::Ordering::Acquire)
                    && all_threads > trainer_threads;
                if idle && wide.is_none() {
                    wide = Some(build(all_threads)?);
                }
                let pool = match (&wide, idle) {
                    (Some(wide), true) => wide,
                    _ => &pool,
                };
                shared_core.set_busy(true);
                let updated = pool.install(|| trainer.update(x, rows));
                shared_core.set_busy(false);
                if let Some(spent) = updated? {
                    // Once the substrate has produced everything, nothing takes these.
                    let _ = spent_tx.send(spent);
                }
                secs += t1.elapsed().as_secs_f64();
            }
            Ok((trainer, secs))
        });
        let produced = (|| -> Result<(), RunError> {
            while row < split.washout + split.train {
                let n = (split.washout + split.train - row).min(CHUNK);
                let x = apply_features(driver.next_into(n, spent_rx.try_recv().ok())?, features);
                if tx.send((x, row..row + n)).is_err() {
                    // The trainer stopped on an error, which the join below reports.
                    break;
                }
                row += n;
            }
            Ok(())
        })();
        drop(tx);
        // The test part is produced while the trainer works through the chunks still queued,
        // rather than after the fit: the test states do not depend on the readout, and the
        // trainer is still one to three chunks behind when the last training chunk is sent.
        // Recorded states are read in a fraction of the trainer's time, so there the reading
        // is done long before the fit. Chunks still queued once the substrate has nothing left
        // to do are trained on every thread (`substrate_idle`).
        let prefetched = (|| -> Result<(), RunError> {
            let trained_all = produced.is_ok() && row == split.washout + split.train;
            if trained_all {
                while row < total {
                    let n = (total - row).min(CHUNK);
                    let spent = spent_rx.try_recv().ok();
                    test_x.push(apply_features(driver.next_into(n, spent)?, features));
                    row += n;
                }
            }
            Ok(())
        })();
        substrate_idle.store(true, std::sync::atomic::Ordering::Release);
        let consumed = match consumer.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        // The trainer's error comes first: it concerns earlier rows than anything the
        // substrate, running up to three chunks ahead, may have failed on since. This is the
        // error a sequential run would report.
        let trained = consumed?;
        produced?;
        prefetched?;
        Ok(trained)
    })?;
    readout_secs += train_secs;
    let t1 = Instant::now();
    let fitted = trainer.finish()?;
    readout_secs += t1.elapsed().as_secs_f64();

    // Testing. The test part was produced while the trainer finished; this only completes
    // it should any of it be left.
    while row < total {
        let n = (total - row).min(CHUNK);
        test_x.push(apply_features(driver.next(n)?, features));
        row += n;
    }
    let t1 = Instant::now();
    let test_range = split.washout + split.train..total;
    let (predictions, test_targets, metrics) = fitted.score(&test_x, test_range)?;
    readout_secs += t1.elapsed().as_secs_f64();
    let train_metrics = fitted.train_metrics().clone();
    let mut metrics = metrics;
    let mut capacity = None;
    if capacity_task {
        let mc_states = driver.mc_states.take().unwrap_or_default();
        let views: Vec<ArrayView2<'_, f64>> = mc_states.iter().map(|a| a.view()).collect();
        let x = ndarray::concatenate(Axis(0), &views)
            .map_err(|e| RunError::Internal(format!("joining chunks of states: {e}")))?;
        let u = inputs.slice(s![split.washout..total, 0]);
        let (m, c) = match &spec {
            Some(physrc_tasks::TaskSpec::Ipc(ipc)) => measures::information_processing_capacity(
                x.view(),
                u,
                ipc,
                &cfg.readout,
                fitted.alpha_chosen(),
                split,
            )?,
            Some(physrc_tasks::TaskSpec::MemoryCapacity(mc)) => measures::memory_capacity(
                x.view(),
                u,
                mc,
                &cfg.readout,
                fitted.alpha_chosen(),
                split,
            )?,
            _ => {
                return Err(RunError::Internal(
                    "states were kept for a task that is not scored from them".to_owned(),
                ));
            }
        };
        metrics.extend(m);
        capacity = Some(c);
    }
    if spec
        .as_ref()
        .is_some_and(physrc_tasks::TaskSpec::scored_as_symbols)
    {
        if let (Series::Values(p), Series::Values(y)) = (&predictions, &test_targets) {
            // With the symbol itself as the target (Jaeger & Haas 2004), the readout's output
            // is rounded to the nearest symbol and scored by the symbol error rate.
            if p.ncols() == 1 {
                let ser = physrc_readout::metrics::symbol_error_rate(
                    &p.column(0).to_vec(),
                    &y.column(0).to_vec(),
                )
                .map_err(RunError::from_component)?;
                metrics.insert("symbol_error_rate".to_owned(), ser);
            }
        }
    }

    let energy = driver.energy().map(|j| EnergyReport {
        joules: j,
        joules_per_step: j / total as f64,
        note: ENERGY_NOTE,
    });
    let energy_breakdown = crate::energy::breakdown(
        cfg,
        &crate::energy::RunFacts {
            info: &info,
            inputs,
            substrate_joules: driver.energy(),
            steps: total,
            train_rows: split.train,
            state_dim,
            features: n_features,
            outputs: data.targets.n_outputs(),
        },
    )?;
    let report = Report {
        physrc_version: env!("CARGO_PKG_VERSION"),
        config: cfg.origin.clone(),
        substrate: info,
        data: DataReport {
            name: data.name.clone(),
            steps_available,
            input_dim: inputs.ncols(),
            outputs: data.targets.n_outputs(),
        },
        split,
        readout: ReadoutReport {
            settings: cfg.readout.clone(),
            features: n_features,
            alpha_chosen: fitted.alpha_chosen(),
        },
        metrics,
        train_metrics,
        state_dim,
        timing: Timing {
            reservoir_seconds: driver.secs,
            seconds_per_step: driver.secs / total as f64,
            readout_seconds: readout_secs,
            total_seconds: t_start.elapsed().as_secs_f64(),
        },
        energy,
        normalization,
        capacity,
        log: log_report,
        recorded,
        energy_breakdown: Some(energy_breakdown),
    };
    let model = match (fitted.export(), cfg.substrate_kind()?) {
        (Some(e), kind) if kind != "recorded" => Some(crate::model::SavedModel {
            meta: crate::model::ModelMeta {
                physrc_version: env!("CARGO_PKG_VERSION").to_owned(),
                config: runlog::resolved_config(cfg),
                base_dir: std::path::absolute(&cfg.base_dir).unwrap_or(cfg.base_dir.clone()),
                origin: cfg.origin.clone(),
                readout: e.kind.to_owned(),
                features,
                input_dim: inputs.ncols(),
                state_dim,
                input_range: report
                    .normalization
                    .as_ref()
                    .map(|n| (n.min.clone(), n.max.clone())),
            },
            weights: e.weights,
            intercept: e.intercept,
            scaler: e.scaler,
        }),
        _ => None,
    };
    Ok(Outcome {
        report,
        predictions,
        targets: test_targets,
        states: driver.all_states.take(),
        model,
    })
}

/// Opens the run log: a new one with its start record, or, when resuming, the checked
/// existing one, with the driver set to take the logged steps from it.
fn open_log(
    lo: &LogOptions,
    cfg: &RunConfig,
    info: &Info,
    inputs: ArrayView2<'_, f64>,
    state_dim: usize,
    driver: &mut Driver<'_>,
) -> Result<LogReport, RunError> {
    let start = StartRecord {
        physrc_version: env!("CARGO_PKG_VERSION").to_owned(),
        substrate: serde_json::to_value(info).expect("infos serialise"),
        config: runlog::resolved_config(cfg),
        origin: cfg.origin.clone(),
        seed: runlog::substrate_seed(cfg),
        split: cfg.split,
        steps: inputs.nrows(),
        input_dim: inputs.ncols(),
        state_dim,
        inputs_crc32c: runlog::inputs_crc32c(inputs),
        started_unix_seconds: runlog::unix_seconds(),
    };
    let non_empty = std::fs::metadata(&lo.path).is_ok_and(|m| m.len() > 0);
    let mut report = LogReport {
        path: lo.path.display().to_string(),
        steps_resumed: 0,
        discarded_bytes: 0,
    };
    if lo.resume && non_empty {
        let plan = runlog::check_resume(&lo.path, &start, inputs)?;
        if plan.steps > 0 {
            driver.logged = Some(LoggedStates::open(&lo.path, plan.steps)?);
        }
        driver.resumed = plan.steps;
        report.steps_resumed = plan.steps;
        match plan.finished {
            // A finished run is recomputed from its log alone; the log is left as it is.
            Some(stop) => driver.logged_energy = Some(stop.energy_joules),
            None => {
                let mut w = LogWriter::reopen(&lo.path, plan.valid_len, lo.sync_every)?;
                if !plan.has_start {
                    w.start(&start)?;
                }
                report.discarded_bytes = plan.torn.map_or(0, |t| t.bytes);
                driver.log = Some(w);
            }
        }
    } else {
        let mut w = LogWriter::create(&lo.path, lo.sync_every)?;
        w.start(&start)?;
        driver.log = Some(w);
    }
    driver.written = driver.resumed;
    Ok(report)
}

/// Writes an outcome into `dir`: `report.json`, `predictions.npy`, `targets.npy` and, when
/// present, `states.npy` and the trained setup (`model.json` and its arrays, see
/// [`crate::model`]).
///
/// # Errors
///
/// [`RunError::Io`] when the folder or a file cannot be written.
pub fn write_outcome(outcome: &Outcome, dir: &std::path::Path) -> Result<(), RunError> {
    std::fs::create_dir_all(dir).map_err(|source| RunError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let json = serde_json::to_string_pretty(&outcome.report).expect("reports serialise");
    let p = dir.join("report.json");
    std::fs::write(&p, json + "\n").map_err(|source| RunError::Io { path: p, source })?;
    write_series(&outcome.predictions, &dir.join("predictions.npy"))?;
    write_series(&outcome.targets, &dir.join("targets.npy"))?;
    if let Some(states) = &outcome.states {
        npy::write(&dir.join("states.npy"), states)?;
    }
    if let Some(m) = &outcome.model {
        m.write(dir)?;
    }
    Ok(())
}

fn write_series(s: &Series, path: &std::path::Path) -> Result<(), RunError> {
    match s {
        Series::Values(v) => npy::write(path, v),
        Series::Labels(l) => npy::write(path, &l.mapv(|c| c as i64)),
    }
}

enum StateSource {
    Live(Box<dyn Reservoir + Send>),
    Recorded(substrate::RecordedStates),
}

/// The substrate (or recorded states) with what the run keeps of its output.
struct Driver<'a> {
    src: StateSource,
    inputs: ArrayView2<'a, f64>,
    pos: usize,
    /// Wall time spent producing states.
    secs: f64,
    /// Every state, washout included, when the run writes `states.npy`.
    all_states: Option<Array2<f64>>,
    /// Post-washout states for the memory-capacity task (switched on after the washout).
    mc_states: Option<Vec<Array2<f64>>>,
    /// The run log, when the run keeps one: every driven step is appended.
    log: Option<LogWriter>,
    /// Reads the states of the steps resumed from the log.
    logged: Option<LoggedStates>,
    /// Steps `0..resumed` come from the log.
    resumed: usize,
    /// Step records in the log (the next step's index).
    written: usize,
    /// The logged energy of a run resumed after it finished: the substrate is not driven.
    logged_energy: Option<Option<f64>>,
    /// One input row, contiguous, for `step`.
    input_buf: Vec<f64>,
    /// Set by another thread to stop the run before its next block of states.
    cancel: Option<Arc<AtomicBool>>,
}

impl Driver<'_> {
    fn reset(&mut self) -> Result<(), RunError> {
        self.pos = 0;
        if let StateSource::Live(r) = &mut self.src {
            r.reset()?;
        }
        Ok(())
    }

    fn state_dim(&self) -> usize {
        match &self.src {
            StateSource::Live(r) => r.state_dim(),
            StateSource::Recorded(x) => x.state_dim(),
        }
    }

    fn energy(&self) -> Option<f64> {
        if let Some(e) = self.logged_energy {
            return e;
        }
        match &self.src {
            StateSource::Live(r) => r.energy(),
            StateSource::Recorded(_) => None,
        }
    }

    /// Brings the substrate to the state after the resumed steps by replaying their inputs.
    fn replay(&mut self) -> Result<(), RunError> {
        if let (StateSource::Live(r), k @ 1..) = (&mut self.src, self.resumed) {
            let t0 = Instant::now();
            r.replay(self.inputs.slice(s![..k, ..]))?;
            self.secs += t0.elapsed().as_secs_f64();
        }
        Ok(())
    }

    /// The next `n` states, timed and kept as the run asked.
    fn next(&mut self, n: usize) -> Result<Array2<f64>, RunError> {
        self.next_into(n, None)
    }

    /// As [`next`](Self::next), filling `spent`, an array the caller is done with, when it
    /// has the right shape and the states come straight from a live substrate.
    fn next_into(&mut self, n: usize, spent: Option<Array2<f64>>) -> Result<Array2<f64>, RunError> {
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(RunError::Cancelled { steps: self.pos });
        }
        let range = self.pos..self.pos + n;
        self.pos += n;
        let t0 = Instant::now();
        let st = if self.log.is_none() && range.start >= self.resumed {
            match &mut self.src {
                StateSource::Live(r) => {
                    let u = self.inputs.slice(s![range, ..]);
                    match spent {
                        Some(mut st)
                            if st.dim() == (n, r.state_dim()) && st.is_standard_layout() =>
                        {
                            r.run_into(u, st.view_mut())?;
                            st
                        }
                        _ => r.run(u)?,
                    }
                }
                StateSource::Recorded(x) => x.read(range)?,
            }
        } else {
            self.next_logged(range)?
        };
        self.secs += t0.elapsed().as_secs_f64();
        if let Some(a) = self.all_states.as_mut() {
            a.append(Axis(0), st.view()).expect("same width");
        }
        if let Some(mc) = self.mc_states.as_mut() {
            mc.push(st.clone());
        }
        Ok(st)
    }

    /// The states of `rows` one step at a time: from the log for resumed steps, otherwise
    /// from the substrate, appending each step to the log.
    fn next_logged(&mut self, rows: std::ops::Range<usize>) -> Result<Array2<f64>, RunError> {
        let dim = self.state_dim();
        let mut st = Array2::zeros((rows.len(), dim));
        let live = rows.start.max(self.resumed)..rows.end.max(self.resumed);
        // Recorded states are read for the whole chunk at once, as without a log.
        let mut recorded = None;
        match &mut self.src {
            StateSource::Live(r) => {
                // As `run` does: a bad input anywhere in the chunk is reported before any
                // step.
                physrc_core::validate_sequence(
                    self.inputs.slice(s![live.clone(), ..]),
                    r.input_dim(),
                )
                .map_err(RunError::from_component)?;
            }
            StateSource::Recorded(x) => recorded = Some(x.read(live.clone())?),
        }
        for (t, mut out) in rows.zip(st.rows_mut()) {
            let out = out
                .as_slice_mut()
                .expect("rows of a freshly allocated standard-layout array are contiguous");
            if t < self.resumed {
                let logged = self
                    .logged
                    .as_mut()
                    .expect("resumed steps have a log reader");
                let v = logged.next_state()?;
                if v.len() != dim {
                    return Err(RunError::Data(format!(
                        "the log's step {t} has {} state components, the substrate {dim}",
                        v.len()
                    )));
                }
                out.copy_from_slice(&v);
                continue;
            }
            for (b, &v) in self.input_buf.iter_mut().zip(self.inputs.row(t)) {
                *b = v;
            }
            let drive: &[f64] = match &mut self.src {
                StateSource::Live(r) => {
                    r.step(&self.input_buf, out)?;
                    (**r).last_drive()
                }
                StateSource::Recorded(_) => {
                    let x = recorded.as_ref().expect("read above for the live rows");
                    for (o, &v) in out.iter_mut().zip(x.row(t - live.start)) {
                        *o = v;
                    }
                    &[]
                }
            };
            if let Some(w) = self.log.as_mut() {
                w.step(t as u64, &self.input_buf, drive, out)?;
                self.written += 1;
            }
        }
        Ok(st)
    }
}

/// The `[task]` table as a [`KernelRank`](physrc_tasks::KernelRank), when it is one.
fn kernel_rank_spec(cfg: &RunConfig) -> Result<Option<physrc_tasks::KernelRank>, RunError> {
    match task_spec(cfg)? {
        Some(physrc_tasks::TaskSpec::KernelRank(k)) => Ok(Some(k)),
        _ => Ok(None),
    }
}

fn task_spec(cfg: &RunConfig) -> Result<Option<physrc_tasks::TaskSpec>, RunError> {
    match &cfg.source {
        DataSource::Task(table) => toml::Value::Table(table.clone())
            .try_into()
            .map(Some)
            .map_err(|e: toml::de::Error| {
                RunError::config(&cfg.origin, format!("[task]: {}", e.message()))
            }),
        DataSource::Files(_) => Ok(None),
    }
}

fn readout_features(r: &ReadoutConfig) -> Features {
    match r {
        ReadoutConfig::Ridge(s) => s.features,
        ReadoutConfig::RidgeCv(s) => s.features,
        ReadoutConfig::Classifier(s) => s.features,
        ReadoutConfig::Rls(s) => s.features,
    }
}

fn apply_features(states: Array2<f64>, f: Features) -> Array2<f64> {
    match f {
        Features::State => states,
        Features::StateSquared => {
            let sq = states.mapv(|v| v * v);
            ndarray::concatenate(Axis(1), &[states.view(), sq.view()]).expect("same number of rows")
        }
    }
}

/// Loads the data set; for recorded states also returns them. The flag says whether to
/// normalise inputs.
fn load_data(
    cfg: &RunConfig,
    total: usize,
) -> Result<(Dataset, bool, Option<substrate::RecordedStates>), RunError> {
    let recorded = if cfg.substrate_kind()? == "recorded" {
        Some(substrate::load_recorded(cfg, total)?)
    } else {
        None
    };
    match &cfg.source {
        DataSource::Task(table) => {
            let spec: physrc_tasks::TaskSpec = toml::Value::Table(table.clone())
                .try_into()
                .map_err(|e: toml::de::Error| {
                    RunError::config(&cfg.origin, format!("[task]: {}", e.message()))
                })?;
            // The run takes the first `total` recorded rows as its states.
            if let Some(x) = &recorded
                && x.nrows() < total
            {
                return Err(RunError::Data(format!(
                    "recorded states have {} rows but the split needs {total}",
                    x.nrows()
                )));
            }
            let data = spec.generate(total).map_err(RunError::from_component)?;
            Ok((data, true, recorded))
        }
        DataSource::Files(files) => {
            let tpath = cfg.resolve(&files.targets);
            let classes = matches!(cfg.readout, ReadoutConfig::Classifier(_));
            let targets = if classes {
                let labels = npy::read_labels(&tpath)?;
                let n_classes = labels.iter().max().map_or(0, |m| m + 1);
                Targets::Classes { labels, n_classes }
            } else {
                Targets::Regression(npy::read_matrix(&tpath, "targets")?)
            };
            let t = targets.len();
            let (inputs, name) = match &files.inputs {
                Some(p) => {
                    let ipath = cfg.resolve(p);
                    let u = npy::read_matrix(&ipath, "inputs")?;
                    if u.nrows() != t {
                        return Err(RunError::Npy {
                            path: ipath,
                            message: format!(
                                "inputs have {} rows but targets ({}) have {t}",
                                u.nrows(),
                                tpath.display()
                            ),
                        });
                    }
                    if let Some(((r, c), v)) = u.indexed_iter().find(|(_, v)| !v.is_finite()) {
                        return Err(RunError::Npy {
                            path: ipath,
                            message: format!("input at row {r}, column {c} is not finite ({v})"),
                        });
                    }
                    (u, p.display().to_string())
                }
                None if recorded.is_some() => (Array2::zeros((t, 0)), tpath.display().to_string()),
                None => {
                    return Err(RunError::config(
                        &cfg.origin,
                        "[data] inputs is required unless the substrate is `recorded`",
                    ));
                }
            };
            if let Targets::Regression(y) = &targets {
                if let Some(((r, c), v)) = y.indexed_iter().find(|(_, v)| !v.is_finite()) {
                    return Err(RunError::Npy {
                        path: tpath,
                        message: format!("target at row {r}, column {c} is not finite ({v})"),
                    });
                }
            }
            if let Some(x) = &recorded {
                if x.nrows() < total.min(t) {
                    return Err(RunError::Data(format!(
                        "recorded states have {} rows but the split needs {total}",
                        x.nrows()
                    )));
                }
            }
            let data =
                Dataset::new(name, inputs, targets, None).map_err(RunError::from_component)?;
            Ok((data, files.normalize, recorded))
        }
    }
}

fn slice_targets(t: &Targets, total: usize) -> Targets {
    match t {
        Targets::Regression(y) => Targets::Regression(y.slice(s![..total, ..]).to_owned()),
        Targets::Classes { labels, n_classes } => Targets::Classes {
            labels: labels.slice(s![..total]).to_owned(),
            n_classes: *n_classes,
        },
    }
}

/// Scales each input column into `[-1, 1]` from the task's range or from the rows before the
/// test split; clips (and counts) test values outside it.
fn normalize_inputs(
    u: &mut Array2<f64>,
    range: Option<(f64, f64)>,
    fit_rows: usize,
) -> NormalizationReport {
    let d = u.ncols();
    let (lo, hi, source) = match range {
        Some((a, b)) => (vec![a; d], vec![b; d], "task"),
        None => {
            let fit = u.slice(s![..fit_rows, ..]);
            let lo = fit
                .fold_axis(Axis(0), f64::INFINITY, |a, &b| a.min(b))
                .to_vec();
            let hi = fit
                .fold_axis(Axis(0), f64::NEG_INFINITY, |a, &b| a.max(b))
                .to_vec();
            (lo, hi, "training part")
        }
    };
    let mut report = NormalizationReport {
        min: lo,
        max: hi,
        source,
        clipped_values: 0,
    };
    report.clipped_values = apply_normalization(u, &report.min, &report.max);
    report
}

/// Maps each column of `u` from `[min, max]` onto `[-1, 1]`, clipping outside values, and
/// returns how many were clipped. A column whose range is empty carries no information and is
/// mapped to 0 rather than divided by zero. `physrc predict` applies a run's saved range with
/// this same function, so its inputs are the run's to the bit.
pub(crate) fn apply_normalization(u: &mut Array2<f64>, min: &[f64], max: &[f64]) -> usize {
    let mut clipped = 0;
    for j in 0..u.ncols() {
        let (a, b) = (min[j], max[j]);
        if b <= a {
            u.column_mut(j).fill(0.0);
            continue;
        }
        for v in u.column_mut(j).iter_mut() {
            let x = 2.0 * (*v - a) / (b - a) - 1.0;
            if !(-1.0..=1.0).contains(&x) {
                clipped += 1;
            }
            *v = x.clamp(-1.0, 1.0);
        }
    }
    clipped
}

fn check_prenormalized(u: &Array2<f64>, name: &str) -> Result<(), RunError> {
    if let Some(((r, c), v)) = u.indexed_iter().find(|(_, v)| !(-1.0..=1.0).contains(*v)) {
        return Err(RunError::Data(format!(
            "{name}: input at row {r}, column {c} is {v}, outside [-1, 1]; \
             set [data] normalize = true to scale inputs from the training part"
        )));
    }
    Ok(())
}

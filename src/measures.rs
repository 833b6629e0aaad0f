//! Task-independent measures computed by the runner from the states themselves: memory
//! capacity, information processing capacity, and kernel quality with generalisation rank.
//!
//! They are part of `physrc run` (not a separate tool) so that a comparison of substrates
//! measures them through the same substrate construction, input scaling and readout settings
//! as every other task.

use std::collections::BTreeMap;
use std::time::Instant;

use ndarray::{Array2, ArrayView1, ArrayView2};
use physrc_core::Reservoir;
use physrc_readout as ro;
use physrc_tasks::{InformationProcessingCapacity, KernelRank, MemoryCapacity, RankStreams};

use crate::config::{ReadoutConfig, RunConfig, Split};
use crate::error::RunError;
use crate::experiment::{
    CapacityReport, DataReport, EnergyReport, Outcome, ReadoutReport, Report, Series, Timing,
};
use crate::readout_driver::comp;
use crate::substrate;

/// The ridge penalty of the capacity readouts. A fixed-penalty readout lends its `alpha`;
/// for `ridge-cv` it is the penalty the run's readout chose by cross-validation on the task's
/// own target, the input itself (delay 0), on the training rows. One penalty for every delayed
/// target keeps the per-delay terms comparable; choosing it on all delays at once would let
/// the many delays a substrate has forgotten (pure noise to a readout) push it up and erase
/// the recent ones. The online readout has no penalty, so a tiny one stands in.
fn capacity_alpha(readout: &ReadoutConfig, chosen: Option<f64>) -> f64 {
    match (readout, chosen) {
        (ReadoutConfig::Ridge(r), _) => r.alpha,
        (ReadoutConfig::Classifier(c), _) => c.alpha,
        (ReadoutConfig::RidgeCv(_), Some(a)) => a,
        (ReadoutConfig::RidgeCv(_) | ReadoutConfig::Rls(_), _) => 1e-8,
    }
}

/// Memory capacity (Jaeger 2001) of the post-washout states `x` for inputs `u`: delays up to
/// the task's `max_delay`, or by default up to twice the state dimension (capped so that the
/// training part keeps at least four rows per delay), readouts trained on the `train` rows and
/// scored on the `test` rows.
pub(crate) fn memory_capacity(
    x: ArrayView2<'_, f64>,
    u: ArrayView1<'_, f64>,
    spec: &MemoryCapacity,
    readout: &ReadoutConfig,
    chosen: Option<f64>,
    split: Split,
) -> Result<(BTreeMap<String, f64>, CapacityReport), RunError> {
    let max_delay = spec
        .max_delay
        .unwrap_or_else(|| (2 * x.ncols()).min(split.train / 4).max(1));
    let alpha = capacity_alpha(readout, chosen);
    let used = x.nrows() - max_delay;
    let train_rows = split.train.saturating_sub(max_delay);
    let opts = ro::CapacityOptions {
        max_delay,
        washout: 0,
        train_fraction: train_rows as f64 / used as f64,
        alpha,
        ..ro::CapacityOptions::default()
    };
    let mc = ro::memory_capacity(x, u, &opts).map_err(comp)?;
    let mut m = BTreeMap::new();
    m.insert("memory_capacity".to_owned(), mc.sum_from(1));
    m.insert("memory_capacity_with_delay_0".to_owned(), mc.total);
    m.insert("memory_capacity_max_delay".to_owned(), max_delay as f64);
    let report = CapacityReport {
        alpha,
        memory_per_delay: Some(mc.per_delay),
        ipc_by_degree: None,
    };
    Ok((m, report))
}

/// Information processing capacity (Dambre et al. 2012) of the post-washout states, with the
/// task's degree and delay range, readouts trained on the `train` rows and scored on the
/// `test` rows.
pub(crate) fn information_processing_capacity(
    x: ArrayView2<'_, f64>,
    u: ArrayView1<'_, f64>,
    spec: &InformationProcessingCapacity,
    readout: &ReadoutConfig,
    chosen: Option<f64>,
    split: Split,
) -> Result<(BTreeMap<String, f64>, CapacityReport), RunError> {
    let max_delay = spec.max_delay;
    if split.train < max_delay + 2 || split.test < 2 {
        return Err(RunError::Data(format!(
            "ipc: [split] train = {} must exceed max_delay = {max_delay} by at least 2, and \
             test = {} must be at least 2",
            split.train, split.test
        )));
    }
    let alpha = capacity_alpha(readout, chosen);
    let used = x.nrows() - max_delay;
    let opts = ro::IpcOptions {
        max_degree: spec.max_degree,
        max_delay,
        washout: 0,
        train_fraction: (split.train - max_delay) as f64 / used as f64,
        alpha,
        ..ro::IpcOptions::default()
    };
    let ipc = ro::information_processing_capacity(x, u, &opts).map_err(comp)?;
    let mut m = BTreeMap::new();
    m.insert("ipc_total".to_owned(), ipc.total);
    for (d, c) in ipc.by_degree.iter().enumerate().skip(1) {
        m.insert(format!("ipc_degree_{d}"), *c);
    }
    let report = CapacityReport {
        alpha,
        memory_per_delay: None,
        ipc_by_degree: Some(ipc.by_degree),
    };
    Ok((m, report))
}

/// Kernel quality and generalisation rank (Legenstein & Maass 2007): the substrate is reset
/// before every stream, driven through it, and its last state becomes a row of the rank
/// matrix. Nothing is trained, so the `[readout]` section is recorded but not used.
pub(crate) fn kernel_rank(
    cfg: &RunConfig,
    spec: &KernelRank,
    given: Option<Box<dyn Reservoir + Send>>,
    t_start: Instant,
) -> Result<Outcome, RunError> {
    spec.validate().map_err(comp)?;
    let mut r = match given {
        Some(r) => r,
        None => substrate::build(cfg.substrate_kind()?, cfg, 1)?,
    };
    if r.input_dim() != 1 {
        return Err(RunError::Data(format!(
            "kernel-rank: the streams are scalar but the substrate takes {} input components",
            r.input_dim()
        )));
    }
    let info = r.info();
    let state_dim = r.state_dim();
    let m = spec.streams.unwrap_or(state_dim);
    let mut secs = 0.0;
    let mut joules: Option<f64> = Some(0.0);
    let mut final_states = |kind: RankStreams| -> Result<Array2<f64>, RunError> {
        let u = spec.streams(kind, m).map_err(comp)?;
        let mut last = Array2::zeros((m, state_dim));
        for (i, stream) in u.rows().into_iter().enumerate() {
            let t0 = Instant::now();
            r.reset()?;
            let states = r.run(stream.insert_axis(ndarray::Axis(1)))?;
            secs += t0.elapsed().as_secs_f64();
            joules = joules.zip(r.energy()).map(|(a, b)| a + b);
            last.row_mut(i).assign(&states.row(states.nrows() - 1));
        }
        if let Some(((row, col), v)) = last.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(RunError::Data(format!(
                "kernel-rank: state component {col} after stream {row} is not finite ({v})"
            )));
        }
        Ok(last)
    };
    let independent = final_states(RankStreams::Independent)?;
    let shared = final_states(RankStreams::SharedTail)?;
    let kq = ro::metrics::kernel_quality(independent.view(), spec.tolerance).map_err(comp)?;
    let gr = ro::metrics::generalisation_rank(shared.view(), independent.view(), spec.tolerance)
        .map_err(comp)?;
    let steps = 2 * m * spec.steps;
    let mut metrics = BTreeMap::new();
    metrics.insert("kernel_quality".to_owned(), kq as f64);
    metrics.insert("generalisation_rank".to_owned(), gr as f64);
    metrics.insert("rank_streams".to_owned(), m as f64);
    let report = Report {
        physrc_version: env!("CARGO_PKG_VERSION"),
        config: cfg.origin.clone(),
        substrate: info,
        data: DataReport {
            name: "kernel-rank".to_owned(),
            steps_available: steps,
            input_dim: 1,
            outputs: 0,
        },
        split: cfg.split,
        readout: ReadoutReport {
            settings: cfg.readout.clone(),
            features: state_dim,
            alpha_chosen: None,
        },
        metrics,
        train_metrics: BTreeMap::new(),
        state_dim,
        timing: Timing {
            reservoir_seconds: secs,
            seconds_per_step: secs / steps as f64,
            readout_seconds: 0.0,
            total_seconds: t_start.elapsed().as_secs_f64(),
        },
        energy: joules.map(|j| EnergyReport {
            joules: j,
            joules_per_step: j / steps as f64,
            note: crate::experiment::ENERGY_NOTE,
        }),
        normalization: None,
        capacity: None,
        log: None,
        recorded: None,
        energy_breakdown: None,
    };
    Ok(Outcome {
        report,
        predictions: Series::Values(Array2::zeros((0, 0))),
        targets: Series::Values(Array2::zeros((0, 0))),
        states: None,
        model: None,
    })
}

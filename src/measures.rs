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
use physrc_tasks::{
    InformationProcessingCapacity, KernelRank, MemoryCapacity, RankStreams, TaskSpec,
};

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

/// The longest delay the memory capacity scores: the task's `max_delay`, or twice the state
/// dimension capped so that the training part keeps at least four rows per delay.
pub(crate) fn memory_delays(spec: &MemoryCapacity, state_dim: usize, split: Split) -> usize {
    spec.max_delay
        .unwrap_or_else(|| (2 * state_dim).min(split.train / 4).max(1))
}

/// The training share that gives exactly `train` of `used` rows: the capacity functions
/// round the share times the rows down, and `train / used` itself can land a hair below the
/// whole number and lose a row.
fn row_fraction(train: usize, used: usize) -> f64 {
    (train as f64 + 0.5) / used as f64
}

/// Bytes the capacity measure of `spec` needs beyond the run itself, for a state of
/// `state_dim` components: the kept post-washout states, the delayed (or polynomial) targets
/// with their predictions, and the ridge fit's Gram matrix and weights. Checked before the
/// first step, so that a delay count too large for the machine fails at once instead of
/// aborting after the run.
pub(crate) fn memory_needed(spec: &TaskSpec, state_dim: usize, split: Split) -> u64 {
    let targets = match spec {
        TaskSpec::MemoryCapacity(m) => memory_delays(m, state_dim, split) as u64 + 1,
        TaskSpec::Ipc(c) => {
            ro::ipc_term_count(c.max_degree, c.max_delay).map_or(u64::MAX, |n| n as u64)
        }
        _ => return 0,
    };
    let rows = (split.train as u64).saturating_add(split.test as u64);
    let n = state_dim as u64;
    let values = rows
        .saturating_mul(n)
        .saturating_add(rows.saturating_mul(targets).saturating_mul(2))
        .saturating_add(n.saturating_mul(n).saturating_mul(2))
        .saturating_add(n.saturating_mul(targets));
    physrc_core::bytes_for(values, 8)
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
    let max_delay = memory_delays(spec, x.ncols(), split);
    let alpha = capacity_alpha(readout, chosen);
    let used = x.nrows() - max_delay;
    let train_rows = split.train.saturating_sub(max_delay);
    let opts = ro::CapacityOptions {
        max_delay,
        washout: 0,
        train_fraction: row_fraction(train_rows, used),
        alpha,
        ..ro::CapacityOptions::default()
    };
    let mc = ro::memory_capacity(x, u, &opts).map_err(comp)?;
    let mut m = BTreeMap::new();
    if spec.nonlinearity {
        // The same rows and split as the memory capacity: the delays 0..max_delay − 1 the
        // linear models see need one row fewer than the memory capacity's 0..=max_delay, so
        // the first row is dropped as washout to keep the two on the same test rows.
        let nl = ro::nonlinearity(
            x,
            u,
            &ro::NonlinearityOptions {
                delays: max_delay,
                washout: max_delay,
                train_fraction: opts.train_fraction,
                alpha,
                ..ro::NonlinearityOptions::default()
            },
        )
        .map_err(comp)?;
        m.insert("nonlinearity".to_owned(), nl.value);
    }
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
        train_fraction: row_fraction(split.train - max_delay, used),
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

#[cfg(test)]
mod tests {
    use super::row_fraction;

    /// The capacity functions split `floor(fraction · used)` rows off for training; the share
    /// passed must give back exactly the rows intended, for every size.
    #[test]
    fn the_training_share_gives_back_every_row_count() {
        for used in 1..=3000usize {
            for train in 0..=used {
                let got = (row_fraction(train, used) * used as f64).floor() as usize;
                assert_eq!(got, train, "{train} of {used}");
            }
        }
    }
}

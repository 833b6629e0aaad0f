//! The `[task]` table of a run config.

use serde::{Deserialize, Serialize};

use crate::{
    ChannelEqualization, Dataset, Henon, HenonZhong, InformationProcessingCapacity, KernelRank,
    MackeyGlass, MemoryCapacity, Narma, SignalTransform, SineSquare, TaskError,
};

/// NARMA10: [`Narma`] with the order fixed at 10.
///
/// A separate kind because NARMA10 is *the* benchmark most papers quote; `order` is not
/// accepted here (use `kind = "narma"` for other orders).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Narma10 {
    /// Seed of the input stream (default 0).
    pub seed: u64,
    /// Steps run and discarded before the first row (default 200).
    pub burn_in: usize,
}

impl Default for Narma10 {
    fn default() -> Self {
        let n = Narma::default();
        Narma10 {
            seed: n.seed,
            burn_in: n.burn_in,
        }
    }
}

impl From<&Narma10> for Narma {
    fn from(c: &Narma10) -> Self {
        Narma {
            order: 10,
            seed: c.seed,
            burn_in: c.burn_in,
            ..Narma::default()
        }
    }
}

/// A benchmark task as written in the `[task]` table of a run config; the CLI dispatches
/// on `kind`.
///
/// ```toml
/// [task]
/// kind = "mackey-glass"
/// horizons = [1, 3, 5]
/// ```
///
/// Every key except `kind` is optional and defaults as documented on the task's struct
/// (seeds default to 0). Unknown keys are rejected with an error naming the key: each
/// variant wraps a struct with `#[serde(deny_unknown_fields)]`, which serde applies after
/// removing the `kind` tag (checked by the tests, since `deny_unknown_fields` on internally
/// tagged enums has had quirks).
///
/// | `kind` | task |
/// |---|---|
/// | `narma10` | [`Narma10`] |
/// | `narma` | [`Narma`] (`order`, default 10) |
/// | `mackey-glass` | [`MackeyGlass`] |
/// | `henon` | [`Henon`] |
/// | `henon-zhong` | [`HenonZhong`] |
/// | `transform` | [`SignalTransform`] (`target = "cos2t-sin3t" \| "square" \| "cos"`) |
/// | `sine-square` | [`SineSquare`] |
/// | `channel-equalization` | [`ChannelEqualization`] |
/// | `memory-capacity` | [`MemoryCapacity`] |
/// | `ipc` | [`InformationProcessingCapacity`] |
/// | `kernel-rank` | [`KernelRank`] (separate streams from reset; not one sequence) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TaskSpec {
    /// NARMA10.
    Narma10(Narma10),
    /// NARMA-n.
    Narma(Narma),
    /// Mackey–Glass prediction.
    MackeyGlass(MackeyGlass),
    /// Classic Hénon map prediction.
    Henon(Henon),
    /// Hénon map with Zhong's process noise.
    HenonZhong(HenonZhong),
    /// Signal transformation.
    Transform(SignalTransform),
    /// Sine versus square classification.
    SineSquare(SineSquare),
    /// Nonlinear channel equalisation.
    ChannelEqualization(ChannelEqualization),
    /// Memory capacity input stream.
    MemoryCapacity(MemoryCapacity),
    /// Information processing capacity input stream.
    Ipc(InformationProcessingCapacity),
    /// Kernel quality and generalisation rank.
    KernelRank(KernelRank),
}

impl TaskSpec {
    /// Whether the task is scored from the states themselves rather than by one readout:
    /// memory capacity and information processing capacity fit a readout per delayed target,
    /// so a runner keeps the post-washout states for them.
    pub fn scored_from_states(&self) -> bool {
        matches!(self, TaskSpec::MemoryCapacity(_) | TaskSpec::Ipc(_))
    }

    /// Whether the target is a symbol value whose readout output is rounded to the nearest
    /// symbol and scored by the symbol error rate (channel equalisation with
    /// `target = "symbol"`, as in Jaeger & Haas 2004).
    pub fn scored_as_symbols(&self) -> bool {
        matches!(self, TaskSpec::ChannelEqualization(c) if c.target == crate::ChannelTarget::Symbol)
    }

    /// The config `kind` of this task.
    pub fn kind(&self) -> &'static str {
        match self {
            TaskSpec::Narma10(_) => "narma10",
            TaskSpec::Narma(_) => "narma",
            TaskSpec::MackeyGlass(_) => "mackey-glass",
            TaskSpec::Henon(_) => "henon",
            TaskSpec::HenonZhong(_) => "henon-zhong",
            TaskSpec::Transform(_) => "transform",
            TaskSpec::SineSquare(_) => "sine-square",
            TaskSpec::ChannelEqualization(_) => "channel-equalization",
            TaskSpec::MemoryCapacity(_) => "memory-capacity",
            TaskSpec::Ipc(_) => "ipc",
            TaskSpec::KernelRank(_) => "kernel-rank",
        }
    }

    /// Checks the parameters without generating anything, so a config can be rejected
    /// before any simulation starts.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] naming the offending parameter.
    pub fn validate(&self) -> Result<(), TaskError> {
        match self {
            TaskSpec::Narma10(c) => Narma::from(c).validate(),
            TaskSpec::Narma(c) => c.validate(),
            TaskSpec::MackeyGlass(c) => c.validate().map(|_| ()),
            TaskSpec::Henon(c) => c.validate(),
            TaskSpec::HenonZhong(c) => c.validate(),
            TaskSpec::Transform(c) => c.validate(),
            TaskSpec::SineSquare(c) => c.validate(),
            TaskSpec::ChannelEqualization(c) => c.validate(),
            TaskSpec::MemoryCapacity(c) => c.validate(),
            TaskSpec::Ipc(c) => c.validate(),
            TaskSpec::KernelRank(c) => c.validate(),
        }
    }

    /// Generates `length` time steps of the task.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] for bad parameters or `length` 0;
    /// [`TaskError::Diverged`] as documented per task.
    pub fn generate(&self, length: usize) -> Result<Dataset, TaskError> {
        match self {
            TaskSpec::Narma10(c) => Narma::from(c).generate(length),
            TaskSpec::Narma(c) => c.generate(length),
            TaskSpec::MackeyGlass(c) => c.generate(length),
            TaskSpec::Henon(c) => c.generate(length),
            TaskSpec::HenonZhong(c) => c.generate(length),
            TaskSpec::Transform(c) => c.generate(length),
            TaskSpec::SineSquare(c) => c.generate(length),
            TaskSpec::ChannelEqualization(c) => c.generate(length),
            TaskSpec::MemoryCapacity(c) => c.generate(length),
            TaskSpec::Ipc(c) => c.generate(length),
            TaskSpec::KernelRank(c) => c.generate(length),
        }
    }
}

//! Benchmark tasks for physical reservoir computing, deterministic given a seed.
//!
//! Each task generates a [`Dataset`]: raw inputs (`T × d`, not normalised, with the task's
//! natural input range when it is known), and targets aligned so that row `t` is what the
//! readout should produce from the reservoir state *after* input row `t`. The experiment
//! runner scales the inputs into `[-1, 1]`, drives the reservoir, and fits a linear readout;
//! this crate only makes data. Random tasks draw from
//! `rand_chacha::ChaCha8Rng::seed_from_u64(seed)`, so the same config and seed give
//! bit-identical data on every machine.
//!
//! # The tasks and what they measure
//!
//! | task | measures | source |
//! |---|---|---|
//! | [`Narma`] / NARMA10 | memory of the last `n` inputs combined with a quadratic nonlinearity | Atiya & Parlos 2000 |
//! | [`MackeyGlass`] | learning a smooth chaotic flow: `t + k` prediction, free-running generation | Mackey & Glass 1977; Jaeger & Haas 2004 |
//! | [`Henon`] | one-step prediction of a chaotic map (quadratic + one step of memory) | Hénon 1976 |
//! | [`HenonZhong`] | the same with process noise, as benchmarked on a memristor reservoir | Zhong et al. 2021 |
//! | [`SignalTransform`] | generating harmonics / phase shifts from a pure tone | Gartside et al. 2022; Stenning et al. 2024 |
//! | [`SineSquare`] | classifying waveforms sample by sample (short memory, mild nonlinearity) | Paquot 2012; Torrejon 2017; Zhong 2021 |
//! | [`ChannelEqualization`] | undoing inter-symbol interference, distortion and noise; symbol error rate | Jaeger & Haas 2004 |
//! | [`MemoryCapacity`] | the i.i.d. `U[−1, 1]` stream for linear memory capacity and IPC, or a Mackey–Glass series as the input of the Imperial nanomagnet protocol | Jaeger 2001; Dambre et al. 2012; Stenning et al. 2024 |
//!
//! Every generator documents its formula, index convention, transient handling and any
//! reading of the source that had to be chosen (noise power, noise standard deviation,
//! NARMA's divergence). Parameters are validated before anything is generated; bad ones
//! give a [`TaskError`] of kind `InvalidParameter` naming the parameter, never a panic.
//!
//! # Configs
//!
//! [`TaskSpec`] is the `[task]` table of a run config, dispatched on its `kind` key, with
//! unknown keys rejected.
#![deny(missing_docs)]

mod channel;
mod dataset;
mod error;
mod henon;
mod kernel;
mod mackey_glass;
mod memory;
mod narma;
mod sine_square;
mod spec;
mod transform;

pub use channel::{ChannelEqualization, ChannelTarget, SYMBOLS};
pub use dataset::{Dataset, Targets};
pub use error::TaskError;
pub use henon::{Henon, HenonZhong};
pub use kernel::{InformationProcessingCapacity, KernelRank, RankStreams};
pub use mackey_glass::MackeyGlass;
pub use memory::{MAX_MEMORY_DELAY, MemoryCapacity, MemoryInput};
pub use narma::{MAX_STANDARD_ORDER, Narma, NarmaForm};
pub use sine_square::{SINE, SQUARE, SineSquare};
pub use spec::{Narma10, TaskSpec};
pub use transform::{SignalTransform, TransformTarget};

/// Longest sequence (and longest burn-in, horizon or order) any task accepts: 10⁸ steps.
///
/// Far beyond any benchmark in the literature; it exists so that a typo in a config fails
/// with a clear error instead of exhausting memory.
pub const MAX_LENGTH: usize = 100_000_000;

//! Oscillator substrates for physrc: reservoirs built from nonlinear oscillators.
//!
//! Three models, each a [`Reservoir`]:
//!
//! - [`StnoReservoir`]: one spin-torque nano-oscillator time-multiplexed into virtual neurons,
//!   driven through its current (Torrejon et al., Nature 547, 428 (2017)); the universal
//!   auto-oscillator model with thermal noise and a Joule-heating energy estimate.
//! - [`DelayReservoir`]: one Mackey–Glass node with delayed feedback, `N` virtual nodes on the
//!   delay line (Appeltant et al., Nat. Commun. 2, 468 (2011)), its delay differential equation
//!   integrated on a grid finer than the node spacing by a second-order exponential integrator.
//! - [`StuartLandauReservoir`]: a network of coupled Stuart–Landau oscillators integrated with a
//!   fixed-step RK4.
//!
//! [`OscillatorConfig`] is the `[substrate]` table of a run config (`kind = "oscillator"`,
//! dispatched by `model`), and [`OscillatorConfig::build`] turns it into an
//! [`OscillatorReservoir`].
//!
//! # Why time multiplexing
//!
//! A single physical oscillator has one or two state variables, too few for a linear readout.
//! Holding each input for a frame and sampling the response at `M` instants spaced `θ` (with a
//! mask making each instant see a different drive) turns the oscillator's transient into `M`
//! "virtual nodes"; the oscillator's relaxation time, comparable to `θ`, couples neighbouring
//! nodes and gives the fading memory. The physics and parameter sources are in
//! `docs/physics/oscillator.md`.
//!
//! # Determinism
//!
//! Masks, weights and thermal noise come from `ChaCha8Rng::seed_from_u64(seed)` on separate
//! streams; integrators use fixed steps. `reset` re-seeds the noise, so the same input sequence
//! reproduces the same states bit for bit.
#![deny(missing_docs)]

mod delay;
mod error;
pub mod mask;
pub mod ode;
mod stno;
mod stuart_landau;

use std::path::Path;

use ndarray::{ArrayView2, ArrayViewMut2};
use physrc_core::{Error, Info, MemoryBudget, Reservoir};
use serde::Deserialize;

pub use delay::{DelayConfig, DelayReservoir, MackeyGlass};
pub use error::OscillatorError;
pub use mask::MaskKind;
pub use stno::{
    BOLTZMANN_J_PER_K, DEFAULT_THERMAL_POWER, StnoConfig, StnoModel, StnoNoise, StnoOutput,
    StnoReservoir,
};
pub use stuart_landau::{
    MAX_OSCILLATORS, StuartLandauConfig, StuartLandauNetwork, StuartLandauReadout,
    StuartLandauReservoir,
};

/// The `[substrate]` table of a run config for `kind = "oscillator"`, without `kind`.
///
/// Tagged by `model`; every model's keys are optional (defaults in each config type), and an
/// unknown key is an error naming it.
///
/// ```
/// use physrc_oscillator::OscillatorConfig;
/// let cfg: OscillatorConfig = toml::from_str(r#"
///     model = "delay"
///     nodes = 400
///     theta = 0.2
/// "#).unwrap();
/// let r = cfg.build(std::path::Path::new("."), 1).unwrap();
/// assert_eq!(physrc_core::Reservoir::state_dim(&r), 400);
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum OscillatorConfig {
    /// `model = "stno"`: spin-torque nano-oscillator.
    Stno(StnoConfig),
    /// `model = "delay"`: delay-coupled Mackey–Glass node.
    Delay(DelayConfig),
    /// `model = "stuart-landau"`: coupled Stuart–Landau network.
    StuartLandau(StuartLandauConfig),
}

impl OscillatorConfig {
    /// The key this table takes its seed under. `physrc run --seed` and the sweeps set it.
    pub const SEED_KEY: &'static str = "seed";

    /// Builds the reservoir for `input_dim` input components. `base_dir` is the config file's
    /// folder (no oscillator model reads files today; it is accepted for the common substrate
    /// interface).
    ///
    /// # Errors
    ///
    /// [`OscillatorError::InvalidParameter`] or [`OscillatorError::CurrentLimit`] when the
    /// configuration is not admissible.
    pub fn build(
        &self,
        base_dir: &Path,
        input_dim: usize,
    ) -> Result<OscillatorReservoir, OscillatorError> {
        self.build_within(base_dir, input_dim, MemoryBudget::UNLIMITED)
    }

    /// As [`build`](Self::build), refusing before anything is allocated when the model would
    /// need more memory than `budget`.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build); [`OscillatorError::Memory`] naming the size key and the
    /// estimate.
    pub fn build_within(
        &self,
        _base_dir: &Path,
        input_dim: usize,
        budget: MemoryBudget,
    ) -> Result<OscillatorReservoir, OscillatorError> {
        match self {
            OscillatorConfig::Stno(c) => c.check_memory(input_dim, budget)?,
            OscillatorConfig::Delay(c) => c.check_memory(input_dim, budget)?,
            OscillatorConfig::StuartLandau(c) => c.check_memory(input_dim, budget)?,
        }
        Ok(match self {
            OscillatorConfig::Stno(c) => {
                OscillatorReservoir::Stno(Box::new(StnoReservoir::new(c, input_dim)?))
            }
            OscillatorConfig::Delay(c) => {
                OscillatorReservoir::Delay(DelayReservoir::new(c, input_dim)?)
            }
            OscillatorConfig::StuartLandau(c) => {
                OscillatorReservoir::StuartLandau(StuartLandauReservoir::new(c, input_dim)?)
            }
        })
    }
}

/// Any oscillator reservoir, as built from an [`OscillatorConfig`].
#[derive(Debug, Clone)]
pub enum OscillatorReservoir {
    /// A spin-torque nano-oscillator (boxed: its configuration and delay line make it the
    /// largest variant by far).
    Stno(Box<StnoReservoir>),
    /// A delay-coupled Mackey–Glass node.
    Delay(DelayReservoir),
    /// A coupled Stuart–Landau network.
    StuartLandau(StuartLandauReservoir),
}

macro_rules! each {
    ($self:expr, $r:ident => $e:expr) => {
        match $self {
            OscillatorReservoir::Stno($r) => $e,
            OscillatorReservoir::Delay($r) => $e,
            OscillatorReservoir::StuartLandau($r) => $e,
        }
    };
}

impl Reservoir for OscillatorReservoir {
    fn input_dim(&self) -> usize {
        each!(self, r => r.input_dim())
    }
    fn state_dim(&self) -> usize {
        each!(self, r => r.state_dim())
    }
    fn reset(&mut self) -> Result<(), Error> {
        each!(self, r => r.reset())
    }
    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
        each!(self, r => r.step(input, state_out))
    }
    fn info(&self) -> Info {
        each!(self, r => r.info())
    }
    fn energy(&self) -> Option<f64> {
        each!(self, r => r.energy())
    }
    fn run_into(
        &mut self,
        inputs: ArrayView2<'_, f64>,
        states: ArrayViewMut2<'_, f64>,
    ) -> Result<(), Error> {
        each!(self, r => r.run_into(inputs, states))
    }
}

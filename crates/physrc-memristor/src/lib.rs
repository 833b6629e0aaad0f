//! Memristor reservoirs: dynamic-memristor device models behind one small [`Device`] trait, and
//! Zhong et al.'s parallel reservoir of `N` masked devices as a [`physrc_core::Reservoir`].
//!
//! # Why these models
//!
//! Labs building memristor reservoirs compare against published numbers before they compare
//! substrates, so the models are the published ones with their published parameters:
//!
//! - [`Zhong2021`]: the discrete behavioural map of Zhong et al., Nat. Commun. 12, 408 (2021),
//!   with the parameters of their official code. It reproduces their Hénon-map and waveform
//!   results (see `docs/physics/memristor.md`).
//! - [`Du2017`]: the WOx model of Du et al., Nat. Commun. 8, 2204 (2017), with a continuous
//!   state equation integrated exactly (the time-unit choice is documented on [`DuParams`]).
//! - [`Hp`] and [`Vteam`]: the generic compact models (HP linear ion drift with Joglekar or
//!   Biolek windows; VTEAM), each with an added relaxation term, because without one they
//!   have no fading memory and cannot serve as reservoirs.
//!
//! Real arrays differ from device to device: [`MemristorReservoir`] draws every device's
//! parameters with a seeded Gaussian spread and adds seeded read noise.
//!
//! # Hardware honesty
//!
//! A pulse beyond a model's safe voltage limit is an error, never clipped; the reservoir checks
//! its whole voltage window against the limit when it is built. Energy is `∫ V·I dt` over each
//! pulse of its actual width — a model estimate that excludes drive and readout electronics.
//!
//! # Units
//!
//! Volts, seconds, amperes and joules at the [`Device`] level; reservoir states are currents
//! in microamperes, so readouts see numbers of order one to a thousand rather than `1e-6`.
#![deny(missing_docs)]

mod config;
mod device;
mod du;
mod error;
mod hp;
mod ode;
mod reservoir;
mod vteam;
mod zhong;

pub use config::{MemristorConfig, Model};
pub use device::{Device, PulseResponse, Window, check_pulse};
pub use du::{Du2017, DuParams};
pub use error::MemristorError;
pub use hp::{Hp, HpParams};
pub use reservoir::{MemristorReservoir, ModelParams, ReservoirParams};
pub use vteam::{Vteam, VteamParams};
pub use zhong::{Zhong2021, ZhongParams};

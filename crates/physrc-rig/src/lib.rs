//! The serial-attached nanomagnet rig: a host driver, an emulator, and the rig as a
//! [`Reservoir`](physrc_core::Reservoir).
//!
//! # Why a rig crate
//!
//! The same experiment should run first in simulation and then on the lab's own sample, with
//! nothing changed but `kind = "rig"`. This crate owns everything between the `Reservoir` trait
//! and the wire: the blocking [`Rig`] driver over any `embedded_io` link (a serial port in the
//! lab), the [`RigReservoir`] that turns inputs into coil fields with the simulator's own
//! encoders, and the [`Emulator`], which runs the firmware core itself against simulated
//! peripherals and the nanomagnet simulator, so every part of the chain is tested on a laptop.
//!
//! # Errors
//!
//! [`RigError`] maps to the shared kinds: a rig that stops answering is a `Timeout`, a refused
//! request or a device reset a `DeviceFault`, a field beyond the limits `InvalidInput`, a bad
//! key `InvalidParameter`, a port that cannot be opened `Io`.
//!
//! Only this crate and the firmware core touch the link; the simulators know nothing of it.
#![deny(missing_docs)]

mod config;
mod driver;
pub mod emulator;
mod error;
mod link;
mod reservoir;

pub use config::{
    EMULATOR_PORT, ENCODER_KEYS, MAX_BATCH, MAX_RETRIES, RigConfig, build_sample,
    default_sample_table, emulator_from_table, emulator_from_table_within,
};
pub use driver::{DriverOptions, LinkStats, Rig, code_to_value, samples};
pub use emulator::{Emulator, EmulatorReport, Faults, Hardware};
pub use error::RigError;
pub use link::{MemoryLink, POLL_INTERVAL, Transport, memory_pair};
pub use physrc_rig_protocol as protocol;
pub use reservoir::{RigDrive, RigReservoir};

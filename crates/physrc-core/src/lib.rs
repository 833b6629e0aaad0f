//! The spine of physrc: the [`Reservoir`] trait every substrate implements, the shared
//! [`ErrorKind`] callers match on, and the contract test kit.
//!
//! # Why a trait this small
//!
//! A physical reservoir is anything whose state we can drive with an input and read back:
//! a simulated nanomagnet array, a memristor crossbar, an oscillator, or the real rig on a
//! serial port. The readout never cares which. So the trait asks for only what every one of
//! them can honestly provide — dimensions, `reset`, one `step` — and provides the rest
//! (`run` over a whole sequence) on top. A substrate that can do better (the rig batches a
//! whole sequence into one transaction) overrides the provided method.
//!
//! # Inputs are normalised
//!
//! Every input reaching a substrate lies in `[-1, 1]`. Each substrate maps that range to its
//! own physical drive (field, voltage, current), which is where hardware limits live: an input
//! outside the range is a typed error, never a silently clipped drive. The experiment runner
//! is what scales raw data into the range.
//!
//! # Errors
//!
//! Every crate keeps its own `thiserror` type with the detail it knows about; each maps to one
//! shared, non-exhaustive [`ErrorKind`] through [`HasErrorKind`], and converts into the boxed
//! [`Error`] the trait returns. Generic code (a sweep, the CLI, a retry loop around the rig)
//! matches on the kind; a person reads the message.
//!
//! # Memory
//!
//! A substrate estimates the memory its configuration needs before it allocates and checks
//! the estimate against a [`MemoryBudget`] ([`MemoryError`] names the key); the caller, which
//! may do I/O, decides the budget.
//!
//! The core does no I/O.
#![deny(missing_docs)]

mod error;
mod info;
mod input;
mod memory;
mod reservoir;
mod shared_core;

#[cfg(feature = "contract")]
pub mod contract;

pub use error::{Error, ErrorKind, HasErrorKind};
pub use info::{Info, ParamValue};
pub use input::{InputError, check_input, check_state_len};
pub use memory::{MemoryBudget, MemoryError, bytes_for};
pub use reservoir::{Reservoir, RunInputError, check_states_shape, validate_sequence};
pub use shared_core::SharedCore;

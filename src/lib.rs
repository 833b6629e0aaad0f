//! physrc: physical reservoir computing.
//!
//! This facade re-exports the member crates and holds what ties them together: the run
//! configuration ([`config`]), the experiment runner ([`experiment`]), the crash-safe run log
//! it keeps and resumes from ([`runlog`]) and the `physrc` command-line program. A library
//! user who only needs one substrate can depend on its crate directly; the facade is for
//! running experiments across substrates.
//!
//! ```no_run
//! use physrc::config::RunConfig;
//!
//! let cfg = RunConfig::from_path("configs/esn-narma10.toml".as_ref())?;
//! let outcome = physrc::experiment::run(&cfg)?;
//! println!("NRMSE {}", outcome.report.metrics["nrmse"]);
//! # Ok::<(), physrc::RunError>(())
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod energy;
mod error;
pub mod experiment;
mod measures;
pub mod model;
pub mod npy;
pub mod outdir;
mod readout_driver;
pub mod rig_cli;
pub mod runlog;
pub mod schema;
pub mod substrate;

pub use error::RunError;
pub use physrc_core as core;
pub use physrc_core::{Error, ErrorKind, HasErrorKind, Reservoir};
pub use physrc_esn as esn;
pub use physrc_memristor as memristor;
pub use physrc_nanomagnet as nanomagnet;
pub use physrc_oscillator as oscillator;
pub use physrc_readout as readout;
pub use physrc_rig as rig;
pub use physrc_tasks as tasks;

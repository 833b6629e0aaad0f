//! physrc-readout (under construction).
#![deny(missing_docs)]

mod capacity;
mod classifier;
mod cv;
mod error;
mod features;
mod linalg;
pub mod metrics;
mod ridge;
mod rls;

pub use capacity::*;
pub use classifier::*;
pub use cv::*;
pub use error::ReadoutError;
pub use features::*;
pub use ridge::{FittedRidge, Ridge, RidgeAccumulator};
pub use rls::*;

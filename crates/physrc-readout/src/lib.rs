//! Trained linear readouts for physical reservoir computing: ridge regression streamed over
//! chunks, its penalty chosen by closed-form cross-validation, ridge classification, online
//! recursive least squares, feature maps, metrics, memory / information processing capacity
//! and nonlinearity.
//!
//! In reservoir computing only the readout is trained, so its numbers *are* the result a
//! physicist quotes. The design follows from that:
//!
//! - **Centring, not a penalised bias column.** [`Ridge`] fits an unpenalised intercept by
//!   centring features and targets, as scikit-learn and reservoirpy do, so the same `alpha`
//!   gives the same weights as those tools and a constant offset in a device's readings (a
//!   bias current, a mean magnetisation) costs nothing in the penalty. Centring is done
//!   exactly around a shift inside the accumulated moments, never by `XᵀX − n·x̄x̄ᵀ` on raw
//!   sums, which would lose every digit for states with a large offset.
//! - **Streaming.** A fit needs only `n`, the column sums, `XᵀX` and `XᵀY`, so
//!   [`RidgeAccumulator`] takes the states chunk by chunk (or sequence by sequence) in
//!   `O(features²)` memory: a long run on a rig, or thousands of trials, never needs all
//!   states in memory at once.
//! - **Closed-form cross-validation.** One eigendecomposition of the centred `XᵀX` gives the
//!   weights, residuals, hat-matrix trace and hat diagonal for *every* penalty of a grid, so
//!   [`RidgeCv`] scores generalised or leave-one-out cross-validation for about the cost of
//!   one fit. Time series get k-fold over contiguous blocks instead of random folds.
//! - **Linear algebra by faer** (Cholesky with an eigendecomposition fallback for singular
//!   systems, products computing only the lower triangle of `XᵀX`); ndarray at the API.
//! - **An SVD solver for tiny-variance features.** The normal equations square the singular
//!   values of the states, so a direction `1e-7` below the largest becomes `1e-14` in `XᵀX`,
//!   under the `n · ε · λ_max` cut where the Cholesky route gives up on it. Physical
//!   reservoirs put task information there (the small differences between nearly collinear
//!   virtual nodes of a delay oscillator): `Ridge::new(α)?.with_solver(Solver::Svd)` solves on
//!   the centred `X` through its thin SVD, cutting only at `max(T, n) · ε · s_max` (numpy's
//!   `lstsq` default). On a delay-oscillator reservoir this took NARMA10 NRMSE from 0.43 to
//!   0.19. It costs `O(T·n²)` like the Gram product with a larger constant and holds all rows,
//!   so it does not stream; see [`Solver`].
//! - **Determinism.** Every sum runs in a fixed order over fixed-size blocks, and faer's
//!   parallel kernels split only output tiles, so results are bit-identical whatever the
//!   number of threads.
//! - **Typed errors.** Every input is validated (shapes naming both arrays, NaN or infinities
//!   with their position, penalties, labels); nothing panics on user input. [`ReadoutError`]
//!   converts into [`physrc_core::Error`] with `?`.
//!
//! Unfitted types ([`Ridge`], [`RidgeCv`], [`RidgeClassifier`], [`Standardize`]) hold
//! parameters; fitting returns separate fitted types ([`FittedRidge`], [`FittedRidgeCv`],
//! [`FittedRidgeClassifier`], [`FittedStandardize`]) whose `predict_into` writes into a
//! caller's buffer without allocating.
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
pub use classifier::{FittedRidgeClassifier, Pooling, RidgeClassifier};
pub use cv::{CvMethod, FittedRidgeCv, RidgeCv, log_grid};
pub use error::ReadoutError;
pub use features::{FeatureMap, FittedStandardize, Standardize};
pub use ridge::{FittedRidge, Ridge, RidgeAccumulator, Solver};
pub use rls::Rls;

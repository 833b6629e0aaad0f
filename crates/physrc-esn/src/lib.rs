//! The software echo-state network (ESN): the baseline every physical substrate is measured
//! against.
//!
//! # Why a software baseline
//!
//! A physical reservoir earns its place only if it does something a few hundred lines of
//! arithmetic cannot do as well, as fast or as cheaply. So every benchmark task is run on this
//! ESN too, with the same readout, washout and data: a nanomagnet array that scores NARMA10
//! NRMSE 0.3 means little until it sits next to an ESN of the same state dimension. For that
//! comparison to mean anything the baseline must be the *standard* ESN, not a variant of our
//! own, which is why it follows reservoirpy 0.4.2 — the reference ESN library of the field —
//! to the operation, and reproduces its states given the same matrices.
//!
//! # The update
//!
//! With state `x ∈ ℝᴺ`, input `u ∈ [-1, 1]ᵈ`, recurrent matrix `W` (N×N), input matrix `Win`
//! (N×d), bias `b` (N), leak rate `lr ∈ (0, 1]` and activation `f` (`tanh`, or the identity
//! for a linear ESN):
//!
//! ```text
//! x[0]   = 0
//! x[t+1] = (1 − lr)·x[t] + lr·f(W·x[t] + Win·u[t+1] + b)
//! ```
//!
//! [`Reservoir::step`](physrc_core::Reservoir::step) with input `u[t+1]` returns `x[t+1]`: the
//! state *after* the input is the feature. There are no other terms (no noise, no feedback, no
//! input bias column), so given the same `W`, `Win` and `b` the states equal reservoirpy's.
//!
//! ## Correspondence with reservoirpy 0.4.2
//!
//! reservoirpy's `Reservoir._step` computes `next = f(W @ s + Win @ x + bias)` then
//! `(1 - lr) * s + lr * next`, from `s = 0`. This crate performs the same floating-point
//! operations in the same order: each component of `W·x` and `Win·u` is one running sum over
//! the row's nonzero entries in increasing column order (scipy's CSR kernel), then
//! `(W·x + Win·u) + b`, then `(1 − lr)·x + lr·f(·)`. Only `tanh` differs: this crate evaluates
//! its own branch-free `tanh` (within 3 units in the last place of the C library's, the same
//! bits on every platform; it vectorises, where the library call took a third of a step), so
//! the states agree to rounding. The test suite runs reservoirpy's
//! own matrices (the committed Mackey–Glass fixture, N = 200, leak rate 0.3) and compares the
//! states with reservoirpy's update rule written out as plain loops: max |Δ| ≤ 1e-12 is
//! required, 1.0e-15 is found; the predictions of a whole run are checked against reservoirpy's at
//! the workspace level.
//!
//! The generated matrices follow reservoirpy's defaults and algorithms, but not its random
//! numbers (numpy's generator is not ours), see [`EsnParams`]: `W` has exactly
//! `round(connectivity·N²)` nonzero entries at uniformly drawn positions, drawn from N(0, 1)
//! and rescaled so that its largest eigenvalue modulus is `spectral_radius` (computed by a
//! Krylov–Schur iteration on the nonzeros for a sparse `W` of 200 units or more, as reservoirpy
//! asks ARPACK, and by faer's dense eigenvalue solver otherwise; see [`spectral_radius`]);
//! `Win` has `round(input_connectivity·N·d)` entries of ±`input_scaling`; the bias is zero unless
//! `bias_scaling` is positive. [`WInit::Orthogonal`] gives a Haar-random orthogonal `W` scaled
//! by the spectral radius, so every eigenvalue has modulus `spectral_radius`: with the
//! identity activation that is the classic linear reservoir whose memory capacity approaches
//! N.
//!
//! # Speed and determinism
//!
//! `W` and `Win` are stored sparse when fewer than 30 % of their entries are nonzero (also
//! when they came dense from a file), dense otherwise; both layouts work on eight rows at a
//! time and give bit-identical results (see [`Storage`]). A step allocates nothing, and
//! [`Reservoir::run`](physrc_core::Reservoir::run) is overridden to validate the whole sequence
//! once and then update in a tight loop; it equals repeated `step` bit for bit. Generation is
//! seeded ([`rand_chacha::ChaCha8Rng`]) and its linear algebra runs on one thread, so the same
//! parameters give bit-identical networks and states whatever the thread count.
//!
//! # Example
//!
//! ```
//! use physrc_core::Reservoir;
//! use physrc_esn::{Esn, EsnParams};
//!
//! let mut params = EsnParams::new(100, 1);
//! params.spectral_radius = 0.9;
//! let mut esn = Esn::new(&params)?;
//! let inputs = ndarray::Array2::from_shape_fn((50, 1), |(t, _)| (t as f64 * 0.3).sin());
//! let states = esn.run(inputs.view())?;
//! assert_eq!(states.dim(), (50, 100));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod activation;
mod config;
pub mod energy;
mod error;
mod esn;
mod generate;
mod krylov;
mod matrix;

pub use config::EsnConfig;
pub use error::EsnError;
pub use esn::{
    Activation, Esn, EsnParams, MAX_UNITS, SPLIT_STEP_FROM_NNZ, SPLIT_WHEN_FREE_FROM_NNZ,
    StepThreads, WInit,
};
pub use generate::spectral_radius;
pub use matrix::Storage;

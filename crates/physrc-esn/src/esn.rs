use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2};
use physrc_core::{
    Error, Info, Reservoir, SharedCore, check_input, check_state_len, check_states_shape,
    validate_sequence,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::EsnError;
use crate::error::shape2;
use crate::generate::{self, Dist};
use crate::matrix::{Storage, Weights};

/// The nonlinearity `f` of the update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `tanh`, reservoirpy's default.
    #[default]
    Tanh,
    /// `f(a) = a`: a linear ESN, whose memory capacity has closed-form bounds.
    Identity,
}

impl Activation {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Identity => "identity",
        }
    }
}

/// How the recurrent matrix `W` is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WInit {
    /// Sparse, nonzero entries from N(0, 1), then rescaled to the spectral radius
    /// (reservoirpy 0.4.2's default `W = normal`).
    #[default]
    Normal,
    /// Sparse, nonzero entries from U[-1, 1), then rescaled to the spectral radius
    /// (reservoirpy's `uniform`).
    Uniform,
    /// A dense Haar-random orthogonal matrix times the spectral radius, so every eigenvalue
    /// has modulus exactly `spectral_radius` (reservoirpy's `orthogonal`); `connectivity` is
    /// not used.
    Orthogonal,
}

impl WInit {
    pub(crate) fn name(self) -> &'static str {
        match self {
            WInit::Normal => "normal",
            WInit::Uniform => "uniform",
            WInit::Orthogonal => "orthogonal",
        }
    }
}

/// Parameters of a randomly generated ESN, validated once by [`Esn::new`].
///
/// [`EsnParams::new`] fills in reservoirpy 0.4.2's defaults for its `Reservoir` node:
///
/// | field | default | reservoirpy 0.4.2 |
/// |---|---|---|
/// | `spectral_radius` | 1.0 | `sr=1.0` |
/// | `input_scaling` | 1.0 | `input_scaling=1.0` |
/// | `connectivity` | 0.1 | `rc_connectivity=0.1` |
/// | `input_connectivity` | 0.1 | `input_connectivity=0.1` |
/// | `bias_scaling` | 0.0 (no bias) | `bias=0.0` |
/// | `leak_rate` | 1.0 | `lr=1.0` |
/// | `activation` | tanh | `activation=tanh` |
/// | `w_init` | normal | `W=normal` |
///
/// `Win` is always reservoirpy's `bernoulli`: `round(input_connectivity · N · d)` entries of
/// ±`input_scaling`. A positive `bias_scaling` gives a dense bias of ±`bias_scaling` (what
/// reservoirpy's `bias=bernoulli` gives for scale 1).
#[derive(Debug, Clone, PartialEq)]
pub struct EsnParams {
    /// Number of units N (the state dimension).
    pub units: usize,
    /// Number of input components d.
    pub input_dim: usize,
    /// Largest eigenvalue modulus `W` is rescaled to; must be positive and finite.
    pub spectral_radius: f64,
    /// Magnitude of the nonzero entries of `Win`; must be positive and finite.
    pub input_scaling: f64,
    /// Fraction of nonzero entries in `W`, in (0, 1].
    pub connectivity: f64,
    /// Fraction of nonzero entries in `Win`, in (0, 1].
    pub input_connectivity: f64,
    /// Magnitude of the bias entries; 0 means no bias. Must be finite and non-negative.
    pub bias_scaling: f64,
    /// Leak rate, in (0, 1].
    pub leak_rate: f64,
    /// The nonlinearity.
    pub activation: Activation,
    /// How `W` is generated.
    pub w_init: WInit,
    /// Seed of the generator; `W`, `Win` and the bias use separate ChaCha8 streams (0, 1, 2)
    /// of it, so `W` does not change with the input dimension.
    pub seed: u64,
    /// Memory layout of `W` and `Win`; does not change any result.
    pub storage: Storage,
}

impl EsnParams {
    /// `units` units taking `input_dim` inputs, everything else at reservoirpy 0.4.2's
    /// defaults, seed 0.
    pub fn new(units: usize, input_dim: usize) -> Self {
        EsnParams {
            units,
            input_dim,
            spectral_radius: 1.0,
            input_scaling: 1.0,
            connectivity: 0.1,
            input_connectivity: 0.1,
            bias_scaling: 0.0,
            leak_rate: 1.0,
            activation: Activation::Tanh,
            w_init: WInit::Normal,
            seed: 0,
            storage: Storage::Auto,
        }
    }
}

/// Stream numbers of the seeded generator, one per matrix.
const W_STREAM: u64 = 0;
const WIN_STREAM: u64 = 1;
const BIAS_STREAM: u64 = 2;

fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<(), EsnError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(EsnError::Parameter {
            name,
            expected: "positive and finite",
            value,
        })
    }
}

pub(crate) fn check_fraction(name: &'static str, value: f64) -> Result<(), EsnError> {
    if value > 0.0 && value <= 1.0 {
        Ok(())
    } else {
        Err(EsnError::Parameter {
            name,
            expected: "in (0, 1]",
            value,
        })
    }
}

pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<(), EsnError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(EsnError::Parameter {
            name,
            expected: "finite and non-negative",
            value,
        })
    }
}

/// Most units a generated `W` may have.
///
/// `W` is generated dense, so memory grows as N² (about 24·N² bytes at the peak, 24 TB at this
/// bound); a sparse `W`'s spectral radius costs several hundred sparse products, a dense
/// one's grows as N³. The bound keeps the size arithmetic
/// far from overflow; the memory budget of
/// [`EsnConfig::build_within`](crate::EsnConfig::build_within) is what refuses sizes the
/// machine cannot hold.
pub const MAX_UNITS: usize = 1_000_000;

/// Checks the number of units of a generated `W`: at least 1, at most [`MAX_UNITS`].
pub(crate) fn check_units(units: usize) -> Result<(), EsnError> {
    check_count("units", units)?;
    if units <= MAX_UNITS {
        Ok(())
    } else {
        Err(EsnError::Parameter {
            name: "units",
            expected: "at most 1000000",
            value: units as f64,
        })
    }
}

pub(crate) fn check_count(name: &'static str, value: usize) -> Result<(), EsnError> {
    if value >= 1 {
        Ok(())
    } else {
        Err(EsnError::Parameter {
            name,
            expected: "at least 1",
            value: 0.0,
        })
    }
}

/// Generates `W` and returns it with its spectral radius.
pub(crate) fn generate_w(
    units: usize,
    init: WInit,
    spectral_radius: f64,
    connectivity: f64,
    seed: u64,
) -> Result<Array2<f64>, EsnError> {
    check_units(units)?;
    check_positive("spectral_radius", spectral_radius)?;
    check_fraction("connectivity", connectivity)?;
    let mut rng = rng_for(seed, W_STREAM);
    let dist = match init {
        WInit::Orthogonal => {
            return Ok(generate::random_orthogonal(units, &mut rng) * spectral_radius);
        }
        WInit::Normal => Dist::Normal,
        WInit::Uniform => Dist::Uniform,
    };
    let w = generate::random_sparse(units, units, connectivity, dist, &mut rng);
    let largest = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest == 0.0 {
        return Err(EsnError::EmptyMatrix {
            matrix: "w",
            key: "connectivity",
            connectivity,
            shape: shape2(units, units),
        });
    }
    let found = generate::spectral_radius(w.view())?;
    // A nilpotent pattern (all cycles absent) has eigenvalues that are zero up to rounding.
    if found <= 1e-10 * largest {
        return Err(EsnError::ZeroSpectralRadius {
            found,
            requested: spectral_radius,
        });
    }
    Ok(w * (spectral_radius / found))
}

pub(crate) fn generate_win(
    units: usize,
    input_dim: usize,
    input_scaling: f64,
    input_connectivity: f64,
    seed: u64,
) -> Result<Array2<f64>, EsnError> {
    check_count("units", units)?;
    check_count("input_dim", input_dim)?;
    check_positive("input_scaling", input_scaling)?;
    check_fraction("input_connectivity", input_connectivity)?;
    let mut rng = rng_for(seed, WIN_STREAM);
    let win = generate::random_sparse(
        units,
        input_dim,
        input_connectivity,
        Dist::Bernoulli,
        &mut rng,
    );
    if win.iter().all(|v| *v == 0.0) {
        return Err(EsnError::EmptyMatrix {
            matrix: "win",
            key: "input_connectivity",
            connectivity: input_connectivity,
            shape: shape2(units, input_dim),
        });
    }
    Ok(win * input_scaling)
}

pub(crate) fn generate_bias(
    units: usize,
    bias_scaling: f64,
    seed: u64,
) -> Result<Array1<f64>, EsnError> {
    check_non_negative("bias_scaling", bias_scaling)?;
    if bias_scaling == 0.0 {
        return Ok(Array1::zeros(units));
    }
    let mut rng = rng_for(seed, BIAS_STREAM);
    Ok(generate::bernoulli_vector(units, bias_scaling, &mut rng))
}

/// A software echo-state network: the baseline reservoir.
///
/// ```text
/// x[t+1] = (1 − lr)·x[t] + lr·f(W·x[t] + Win·u[t+1] + bias),   x[0] = 0
/// ```
///
/// `step` returns `x[t+1]`, the state after the input. See the [crate docs](crate) for the
/// correspondence with reservoirpy.
#[derive(Debug, Clone)]
pub struct Esn {
    w: Weights,
    win: Weights,
    bias: Vec<f64>,
    leak_rate: f64,
    activation: Activation,
    units: usize,
    input_dim: usize,
    /// The state `x[t]`.
    x: Vec<f64>,
    /// Scratch: `W·x`, `Win·u`, the next state. Kept so that a step never allocates.
    wx: Vec<f64>,
    drive: Vec<f64>,
    next: Vec<f64>,
    /// Scratch for one input row in `run`.
    row: Vec<f64>,
    /// Whether `W·x` is split over two threads, and the scratch that needs.
    step_threads: StepThreads,
    split_scratch: Vec<f64>,
    /// When the caller's readout occupies the other core (see [`Reservoir::share_core`]).
    shared_core: Option<SharedCore>,
    info: Info,
    /// Per-step operation counts and their price, fixed at build time, and the steps taken
    /// since the last reset: the energy estimate is their product, so a step pays one
    /// integer increment for it.
    energy: crate::energy::EsnEnergy,
    steps: u64,
}

/// How many threads compute `W·x` in a step.
///
/// Two threads each take half of the rows (halves of equal work for a sparse `W`); every
/// component is still one row's sum in column order, so the states are the same bits either
/// way, and only the speed changes. The hand-over costs a few microseconds a step, which pays
/// once `W` has enough nonzeros ([`StepThreads::Auto`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepThreads {
    /// When the caller's rayon pool has more than one thread: if the caller shares a core
    /// ([`Reservoir::share_core`], as the experiment runner does), two threads from
    /// [`SPLIT_WHEN_FREE_FROM_NNZ`] nonzeros of `W` for the steps that start while that core
    /// is free; otherwise two threads from [`SPLIT_STEP_FROM_NNZ`] nonzeros. One thread
    /// otherwise.
    #[default]
    Auto,
    /// Always one thread.
    One,
    /// Two threads whenever the caller's rayon pool has more than one.
    Two,
}

/// Which steps of a run split `W·x` over two threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    Never,
    Always,
    /// While the shared core is free.
    WhenFree,
}

impl Split {
    /// Whether the next step splits, given the network's shared core.
    #[inline]
    fn now(self, core: Option<&SharedCore>) -> bool {
        match self {
            Split::Never => false,
            Split::Always => true,
            Split::WhenFree => core.is_some_and(|c| !c.is_busy()),
        }
    }
}

/// Nonzeros of `W` from which [`StepThreads::Auto`] splits a step over two threads while the
/// caller's readout leaves the second core free ([`Reservoir::share_core`]).
///
/// Measured on an AMD EPYC (Zen 4), 10 % connectivity. Alone (`benches/esn.rs`,
/// `esn_step_threads`) 500 units (25,000 nonzeros) took 9.9 µs a step on one thread and 7.5 µs
/// on two, 1,000 units 36 µs and 20 µs. In a whole `physrc run` of NARMA10 (15,000 training
/// steps) splitting the free steps made the 1,000-unit run faster (0.76–0.79 s against
/// 0.88–0.91 s) but the 500-unit one slower (0.30–0.35 s against 0.27–0.31 s): there the
/// readout keeps the other core busy most of the time and the hand-overs in its short gaps
/// cost more than they save. The threshold sits between the two.
pub const SPLIT_WHEN_FREE_FROM_NNZ: usize = 50_000;

/// Nonzeros of `W` from which [`StepThreads::Auto`] splits every step over two threads when
/// no core is shared with the caller's readout.
///
/// Measured with `benches/esn.rs` (`esn_step_threads`, 10 % connectivity, two cores shared
/// with other work): 1,000 units (100,000 nonzeros) took 30 µs a step on one thread and 55 µs
/// on two, 2,000 units (400,000) 153 µs and 125 µs, 4,000 units 450 µs and 426 µs. The
/// hand-over to the pool's other thread costs about 10 µs, so the split pays only once a step
/// takes well over that.
pub const SPLIT_STEP_FROM_NNZ: usize = 300_000;

impl Esn {
    /// Generates the matrices from `params` and validates everything.
    ///
    /// # Errors
    ///
    /// [`EsnError::Parameter`] naming the first parameter out of range;
    /// [`EsnError::EmptyMatrix`] when a connectivity is so low that `W` or `Win` gets no
    /// nonzero entry; [`EsnError::ZeroSpectralRadius`] when `W` cannot be rescaled.
    pub fn new(params: &EsnParams) -> Result<Esn, EsnError> {
        let p = params;
        check_fraction("leak_rate", p.leak_rate)?;
        let w = generate_w(p.units, p.w_init, p.spectral_radius, p.connectivity, p.seed)?;
        let win = generate_win(
            p.units,
            p.input_dim,
            p.input_scaling,
            p.input_connectivity,
            p.seed,
        )?;
        let bias = generate_bias(p.units, p.bias_scaling, p.seed)?;
        let mut info = Info::new("esn")
            .with("units", p.units)
            .with("input_dim", p.input_dim)
            .with("leak_rate", p.leak_rate)
            .with("activation", p.activation.name())
            .with("w", p.w_init.name())
            .with("spectral_radius", p.spectral_radius);
        if p.w_init != WInit::Orthogonal {
            info = info.with("connectivity", p.connectivity);
        }
        let info = info
            .with("win", "bernoulli")
            .with("input_scaling", p.input_scaling)
            .with("input_connectivity", p.input_connectivity)
            .with("bias_scaling", p.bias_scaling)
            .with("seed", p.seed);
        Esn::assemble(w, win, bias, p.leak_rate, p.activation, p.storage, info)
    }

    /// An ESN with the given matrices, used as they are (no rescaling): `w` is N×N, `win` is
    /// N×d, `bias` has length N. This is how to reproduce a reservoirpy network: export its
    /// `W`, `Win` and `bias` (`.toarray()` for sparse ones).
    ///
    /// # Errors
    ///
    /// [`EsnError::Shape`] naming the matrix with the expected and the given shape;
    /// [`EsnError::NonFinite`] naming the matrix and entry; [`EsnError::Parameter`] for a leak
    /// rate outside (0, 1].
    pub fn from_matrices(
        w: Array2<f64>,
        win: Array2<f64>,
        bias: Array1<f64>,
        leak_rate: f64,
        activation: Activation,
    ) -> Result<Esn, EsnError> {
        let info = Info::new("esn")
            .with("units", w.nrows())
            .with("input_dim", win.ncols())
            .with("leak_rate", leak_rate)
            .with("activation", activation.name())
            .with("w", "explicit")
            .with("win", "explicit")
            .with("bias", "explicit");
        Esn::assemble(w, win, bias, leak_rate, activation, Storage::Auto, info)
    }

    /// Validates the parts and builds the network; `info` gets the storage appended.
    pub(crate) fn assemble(
        w: Array2<f64>,
        win: Array2<f64>,
        bias: Array1<f64>,
        leak_rate: f64,
        activation: Activation,
        storage: Storage,
        info: Info,
    ) -> Result<Esn, EsnError> {
        check_fraction("leak_rate", leak_rate)?;
        let (n, m) = w.dim();
        if n == 0 || n != m {
            return Err(EsnError::Shape {
                matrix: "w",
                expected: "square N×N with N ≥ 1".to_owned(),
                found: shape2(n, m),
            });
        }
        if win.nrows() != n || win.ncols() == 0 {
            return Err(EsnError::Shape {
                matrix: "win",
                expected: format!("{n}×d with d ≥ 1 (N = {n} from `w`)"),
                found: shape2(win.nrows(), win.ncols()),
            });
        }
        if bias.len() != n {
            return Err(EsnError::Shape {
                matrix: "bias",
                expected: format!("{n} (N from `w`)"),
                found: bias.len().to_string(),
            });
        }
        check_finite2("w", w.view())?;
        check_finite2("win", win.view())?;
        if let Some((i, &value)) = bias.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(EsnError::NonFinite {
                matrix: "bias",
                index: format!("[{i}]"),
                value,
            });
        }
        let d = win.ncols();
        let w = Weights::new(w.view(), storage);
        let win = Weights::new(win.view(), storage);
        let info = with_storage_info(info, &w);
        let energy =
            crate::energy::EsnEnergy::new(&crate::energy::shape_of(&w, &win, n, d, activation));
        Ok(Esn {
            w,
            win,
            bias: bias.to_vec(),
            leak_rate,
            activation,
            units: n,
            input_dim: d,
            x: vec![0.0; n],
            wx: vec![0.0; n],
            drive: vec![0.0; n],
            next: vec![0.0; n],
            row: vec![0.0; d],
            step_threads: StepThreads::Auto,
            split_scratch: Vec::new(),
            shared_core: None,
            info,
            energy,
            steps: 0,
        }
        .with_step_threads(StepThreads::Auto))
    }

    /// The same network computing `W·x` on one or two threads (see [`StepThreads`]). States do
    /// not change, bit for bit; only speed does.
    pub fn with_step_threads(mut self, threads: StepThreads) -> Esn {
        self.step_threads = threads;
        self.split_scratch = vec![0.0; self.w.split_scratch_len()];
        self
    }

    /// Which steps split `W·x` over two threads in the current rayon pool.
    fn split_policy(&self) -> Split {
        if rayon::current_num_threads() < 2 {
            return Split::Never;
        }
        let nnz = self.w.nnz();
        match (self.step_threads, &self.shared_core) {
            (StepThreads::One, _) => Split::Never,
            (StepThreads::Two, _) => Split::Always,
            (StepThreads::Auto, Some(_)) if nnz >= SPLIT_WHEN_FREE_FROM_NNZ => Split::WhenFree,
            (StepThreads::Auto, None) if nnz >= SPLIT_STEP_FROM_NNZ => Split::Always,
            (StepThreads::Auto, _) => Split::Never,
        }
    }

    /// The same network with `W` and `Win` in another memory layout. Results do not change,
    /// bit for bit; only speed does.
    pub fn with_storage(mut self, storage: Storage) -> Esn {
        self.w = Weights::new(self.w.to_dense().view(), storage);
        self.win = Weights::new(self.win.to_dense().view(), storage);
        self.info
            .params
            .retain(|(k, _)| k != "w_storage" && k != "w_nnz");
        self.info = with_storage_info(self.info, &self.w);
        let shape = crate::energy::shape_of(
            &self.w,
            &self.win,
            self.units,
            self.input_dim,
            self.activation,
        );
        self.energy = crate::energy::EsnEnergy::new(&shape);
        let threads = self.step_threads;
        self.with_step_threads(threads)
    }

    /// The operations and memory accesses of one step, counted when the network was built
    /// (see [`energy`](crate::energy)).
    pub fn operation_counts(&self) -> &crate::energy::OpCounts {
        &self.energy.counts
    }

    /// `W` as a dense N×N array.
    pub fn w(&self) -> Array2<f64> {
        self.w.to_dense()
    }

    /// `Win` as a dense N×d array.
    pub fn win(&self) -> Array2<f64> {
        self.win.to_dense()
    }

    /// The bias, length N.
    pub fn bias(&self) -> Array1<f64> {
        Array1::from(self.bias.clone())
    }

    /// The leak rate.
    pub fn leak_rate(&self) -> f64 {
        self.leak_rate
    }

    /// The nonlinearity.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Whether `W` is stored sparse.
    pub fn w_is_sparse(&self) -> bool {
        self.w.is_sparse()
    }

    /// The current state `x[t]`.
    pub fn state(&self) -> &[f64] {
        &self.x
    }

    /// One update from an already validated input; on divergence the state is left as it was.
    #[inline]
    fn advance(&mut self, u: &[f64], split: bool) -> Result<(), EsnError> {
        if split {
            self.w
                .matvec_split(&self.x, &mut self.wx, &mut self.split_scratch);
        } else {
            self.w.matvec(&self.x, &mut self.wx);
        }
        self.win.matvec(u, &mut self.drive);
        let lr = self.leak_rate;
        let keep = 1.0 - lr;
        // The same operations, in the same order, as reservoirpy's
        // `f(W @ s + Win @ x + bias)` then `(1 - lr) * s + lr * next`.
        match self.activation {
            Activation::Tanh => {
                crate::activation::leaky_tanh(
                    &mut self.next,
                    &self.x,
                    &self.wx,
                    &self.drive,
                    &self.bias,
                    keep,
                    lr,
                );
            }
            Activation::Identity => {
                let parts = self
                    .next
                    .iter_mut()
                    .zip(&self.x)
                    .zip(self.wx.iter().zip(&self.drive).zip(&self.bias));
                for ((next, &x), ((&wx, &drive), &b)) in parts {
                    *next = keep * x + lr * (wx + drive + b);
                }
            }
        }
        if let Some((unit, &value)) = self.next.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(EsnError::Diverged { unit, value });
        }
        std::mem::swap(&mut self.x, &mut self.next);
        self.steps += 1;
        Ok(())
    }
}

fn with_storage_info(info: Info, w: &Weights) -> Info {
    info.with("w_storage", if w.is_sparse() { "sparse" } else { "dense" })
        .with("w_nnz", w.nnz())
}

fn check_finite2(matrix: &'static str, m: ArrayView2<'_, f64>) -> Result<(), EsnError> {
    match m.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some(((i, j), &value)) => Err(EsnError::NonFinite {
            matrix,
            index: format!("[{i}, {j}]"),
            value,
        }),
        None => Ok(()),
    }
}

impl Reservoir for Esn {
    fn input_dim(&self) -> usize {
        self.input_dim
    }

    fn state_dim(&self) -> usize {
        self.units
    }

    /// Sets the state back to zero. Nothing is random after construction, so there is nothing
    /// to re-seed.
    fn reset(&mut self) -> Result<(), Error> {
        self.x.fill(0.0);
        self.steps = 0;
        Ok(())
    }

    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
        check_input(input, self.input_dim)?;
        check_state_len(state_out, self.units)?;
        let split = self.split_policy().now(self.shared_core.as_ref());
        self.advance(input, split)?;
        state_out.copy_from_slice(&self.x);
        Ok(())
    }

    fn info(&self) -> Info {
        self.info.clone()
    }

    /// With [`StepThreads::Auto`], a `W` of at least [`SPLIT_WHEN_FREE_FROM_NNZ`] nonzeros
    /// splits the steps that start while `core` is free, and only those, whatever its size:
    /// beside a 4,000-unit readout, splitting every step made two threads of the step and the
    /// readout's one share two cores, and a half preempted by the readout stalled the step.
    fn share_core(&mut self, core: SharedCore) {
        self.shared_core = Some(core);
    }

    /// The steps since the last reset times the per-step operation counts priced on
    /// [`HOROWITZ_45NM`](crate::energy::HOROWITZ_45NM): the arithmetic and memory energy of
    /// the network's own computation (see [`energy`](crate::energy)).
    fn energy(&self) -> Option<f64> {
        Some(self.steps as f64 * self.energy.joules_per_step)
    }

    /// Validates the whole sequence, then runs the same update as [`step`](Reservoir::step)
    /// writing straight into the caller's rows, without per-step checks or allocation.
    fn run_into(
        &mut self,
        inputs: ArrayView2<'_, f64>,
        mut states: ArrayViewMut2<'_, f64>,
    ) -> Result<(), Error> {
        check_states_shape(inputs, &states, self.units)?;
        validate_sequence(inputs, self.input_dim)?;
        let split = self.split_policy();
        let pooled = split != Split::Never;
        // A handle of its own, since the loop below borrows the network mutably.
        let core = self.shared_core.clone();
        let mut steps = || -> Result<(), EsnError> {
            for (u, mut out) in inputs.rows().into_iter().zip(states.rows_mut()) {
                for (r, &v) in self.row.iter_mut().zip(u.iter()) {
                    *r = v;
                }
                let row = std::mem::take(&mut self.row);
                let res = self.advance(&row, split.now(core.as_ref()));
                self.row = row;
                res?;
                for (o, &x) in out.iter_mut().zip(&self.x) {
                    *o = x;
                }
            }
            Ok(())
        };
        if pooled {
            // The whole sequence runs on a thread of the pool, so that each step hands its
            // second half to the other thread through the pool's own queue (about a
            // microsecond) rather than from outside the pool (a wake-up and a block per step).
            rayon::scope(|_| steps())?;
        } else {
            steps()?;
        }
        Ok(())
    }
}

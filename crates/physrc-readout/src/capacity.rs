//! Task-independent measures computed from recorded states: memory capacity (Jaeger 2001),
//! information processing capacity (Dambre et al. 2012) and the nonlinearity Stenning et al.
//! (2024) report beside the memory capacity.
//!
//! The conventions both share are documented on [`CapacityOptions`], the public entry point.

use ndarray::{Array2, ArrayView1, ArrayView2, s};
use rayon::prelude::*;

use crate::error::ReadoutError;
use crate::linalg::check_finite;
use crate::ridge::{Ridge, check_alpha};

/// Options of [`memory_capacity`].
///
/// # Conventions shared by [`memory_capacity`] and [`information_processing_capacity`]
///
/// - `states` is `T × N` and `inputs` has length `T`; `states[t]` is the state *after* the
///   reservoir has taken input `u[t]` (what [`physrc_core::Reservoir::run`] returns). Delay
///   `k` therefore means the target `u[t − k]`, `k ≥ 0`, and delay 0 — the input just taken —
///   is part of the measures (see [`memory_capacity`] for why).
/// - Rows `t < max(washout, max_delay)` are dropped, so that the initial transient is gone and
///   every delayed target exists for every remaining row. The remaining rows are split in
///   time order: the first `train_fraction` of them train the readouts, the rest score them.
///   Scoring on held-out rows removes the positive finite-sample bias of in-sample scores
///   (about `N / T_train` per target for `N` state variables); what remains for a target the
///   states know nothing about is about `χ²₁ / T_test` (mean `1 / T_test`), which the
///   `threshold` removes.
/// - Each readout is a [`Ridge`] with an unpenalised intercept, fitted on the raw states.
///
/// Inputs should be i.i.d. `U[−1, 1]` (e.g. `physrc_tasks::MemoryCapacity`): the bounds
/// (total ≤ N) and the orthogonality of the IPC targets hold for i.i.d. input only; the
/// functions cannot check independence.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityOptions {
    /// Largest delay `k` measured; delays `0..=max_delay` are measured. About twice the state
    /// dimension is the usual rule (Jaeger 2001; reservoirpy's `k_max = 2·units`).
    pub max_delay: usize,
    /// Rows dropped at the start besides those needed for the delays: the rows used start at
    /// `max(washout, max_delay)`.
    pub washout: usize,
    /// Fraction of the used rows (the first ones, in time order) that train the readouts; the
    /// rest score them. In (0, 1).
    pub train_fraction: f64,
    /// Ridge penalty of the readouts (on the summed squared error, as [`Ridge`]); `>= 0`.
    pub alpha: f64,
    /// Per-delay capacities below this are set to 0, cutting the finite-sample noise floor
    /// (about `1 / T_test` per delay; Dambre et al. 2012 threshold their capacities the same
    /// way). In `[0, 1)`.
    pub threshold: f64,
}

impl Default for CapacityOptions {
    /// `max_delay` 100 (≈ 2N for N = 50), washout 100, train fraction 0.7, `alpha` 1e-8,
    /// threshold 0.01.
    fn default() -> Self {
        CapacityOptions {
            max_delay: 100,
            washout: 100,
            train_fraction: 0.7,
            alpha: 1e-8,
            threshold: 0.01,
        }
    }
}

impl CapacityOptions {
    /// The defaults with `max_delay` set, e.g. `2 · N` for a reservoir of `N` units.
    pub fn new(max_delay: usize) -> Self {
        CapacityOptions {
            max_delay,
            ..CapacityOptions::default()
        }
    }
}

/// Result of [`memory_capacity`].
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryCapacity {
    /// `Σ_{k=0}^{max_delay} MC_k`, thresholded terms included as 0.
    pub total: f64,
    /// `per_delay[k]` is `MC_k`, the thresholded capacity for delay `k` (target `u[t − k]`);
    /// length `max_delay + 1`.
    pub per_delay: Vec<f64>,
}

impl MemoryCapacity {
    /// `Σ_{k ≥ first_delay} MC_k`. `sum_from(1)` is the sum as Jaeger (2001) and reservoirpy
    /// 0.4's `memory_capacity` write it, which leave out the current input.
    pub fn sum_from(&self, first_delay: usize) -> f64 {
        self.per_delay.iter().skip(first_delay).sum()
    }
}

/// Options of [`information_processing_capacity`]; the split and delay conventions are those
/// of [`CapacityOptions`].
#[derive(Debug, Clone, PartialEq)]
pub struct IpcOptions {
    /// Largest total degree of the target polynomials; `>= 1`.
    pub max_degree: usize,
    /// Largest delay a factor of a target may have; delays `0..=max_delay` are used.
    pub max_delay: usize,
    /// As [`CapacityOptions::washout`].
    pub washout: usize,
    /// As [`CapacityOptions::train_fraction`].
    pub train_fraction: f64,
    /// As [`CapacityOptions::alpha`].
    pub alpha: f64,
    /// Capacities below this are set to 0. With thousands of targets the noise floor adds up
    /// (each target with no true capacity scores about `χ²₁ / T_test`), so this should sit
    /// well above `1 / T_test`. In `[0, 1)`.
    pub threshold: f64,
}

impl Default for IpcOptions {
    /// Degree up to 3, delays up to 30, washout 100, train fraction 0.7, `alpha` 1e-8,
    /// threshold 0.01.
    fn default() -> Self {
        IpcOptions {
            max_degree: 3,
            max_delay: 30,
            washout: 100,
            train_fraction: 0.7,
            alpha: 1e-8,
            threshold: 0.01,
        }
    }
}

/// One IPC target: the product of `P̃_degree(u[t − delay])` over its factors, delays strictly
/// increasing, every degree `>= 1`.
pub type IpcTerm = Vec<(usize, usize)>;

/// Result of [`information_processing_capacity`].
#[derive(Debug, Clone, PartialEq)]
pub struct Ipc {
    /// Sum of all capacities (after the threshold).
    pub total: f64,
    /// `by_degree[d]` is the summed capacity of the targets of total degree `d`; length
    /// `max_degree + 1`, and `by_degree[0]` is always 0 (the constant carries no
    /// information). `by_degree[1]` is the linear memory capacity, delay 0 included.
    pub by_degree: Vec<f64>,
    /// The targets whose capacity survived the threshold, each as its `(delay, degree)`
    /// factors with its capacity, in enumeration order (by total degree, then
    /// lexicographically by factors).
    pub terms: Vec<(IpcTerm, f64)>,
}

/// Largest number of targets [`information_processing_capacity`] accepts. Each target costs
/// about `2 · T · N` multiply–adds, so this is already minutes for `T = 10⁴`, `N = 100`.
pub const IPC_MAX_TERMS: usize = 100_000;

/// Targets fitted together: one multi-output ridge per batch, all batches of one degree sharing
/// the same states. Bounds the memory to `T × IPC_BATCH` target values per batch in flight.
const IPC_BATCH: usize = 256;

/// Row range and split common to both measures.
struct Split {
    /// First used row.
    start: usize,
    /// Number of training rows (the test rows follow them up to the end).
    train: usize,
    /// Number of test rows.
    test: usize,
}

/// Validates the shared inputs and options and computes the split.
fn prepare(
    what: &'static str,
    states: ArrayView2<'_, f64>,
    inputs: ArrayView1<'_, f64>,
    max_delay: usize,
    washout: usize,
    train_fraction: f64,
    alpha: f64,
    threshold: f64,
) -> Result<Split, ReadoutError> {
    if states.nrows() != inputs.len() {
        return Err(ReadoutError::shape(
            "states",
            states.shape(),
            "inputs",
            inputs.shape(),
            "there must be one state row per input",
        ));
    }
    if !(train_fraction > 0.0 && train_fraction < 1.0) {
        return Err(ReadoutError::param(
            "train_fraction",
            format!("must be in (0, 1), got {train_fraction}"),
        ));
    }
    check_alpha(alpha)?;
    if !(0.0..1.0).contains(&threshold) {
        return Err(ReadoutError::param(
            "threshold",
            format!("must be in [0, 1), got {threshold}"),
        ));
    }
    if states.ncols() == 0 {
        return Err(ReadoutError::param(
            "states",
            "must have at least one column (state variable), got 0",
        ));
    }
    let start = washout.max(max_delay);
    // Smallest number of used rows that leaves at least two rows on each side of the split:
    // fewer make the test correlations meaningless. It exists because 0 < f < 1.
    let split = |n: usize| {
        let train = (train_fraction * n as f64).floor() as usize;
        (train, n - train)
    };
    let mut min_rows = 4;
    while {
        let (a, b) = split(min_rows);
        a < 2 || b < 2
    } {
        min_rows += 1;
    }
    let rows = inputs.len().saturating_sub(start);
    if rows < min_rows {
        return Err(ReadoutError::TooFewSamples {
            what,
            needed: start + min_rows,
            got: inputs.len(),
        });
    }
    check_finite("states", states)?;
    check_finite("inputs", inputs.insert_axis(ndarray::Axis(1)))?;
    let (train, test) = split(rows);
    Ok(Split { start, train, test })
}

/// Memory capacity (Jaeger, "Short term memory in echo state networks", GMD Report 152,
/// 2001): `MC = Σ_k MC_k` with
/// `MC_k = cov²(u[t − k], ŷ_k[t]) / (var u[t − k] · var ŷ_k[t])`, the squared correlation
/// between the delayed input and a linear readout `ŷ_k` of the state trained to reproduce it.
///
/// All delays `k = 0..=max_delay` are fitted at once as one multi-output [`Ridge`] on the
/// training rows; the correlations are computed on the held-out rows (see the
/// [conventions](CapacityOptions)), clamped to `[0, 1]`, and values below `opts.threshold` are
/// set to 0. A readout whose held-out output is constant has `MC_k = 0`.
///
/// **Delay 0 counts.** Because `states[t]` already holds `u[t]`, the current input is one of
/// the things a state remembers, and the theorem that a linear network with i.i.d. input has
/// `MC = rank` of its controllability matrix (`= N` generically; Gonon, Grigoryeva & Ortega,
/// "Memory and forecasting capacities of nonlinear recurrent networks", Physica D 414 (2020))
/// sums from delay 0 in this convention; it also makes `MC` the degree-1 part of the
/// [`information_processing_capacity`]. Jaeger and reservoirpy sum from `k = 1`: use
/// [`MemoryCapacity::sum_from`]`(1)` to compare with them. Either sum is at most `N` for
/// i.i.d. input.
///
/// # Errors
///
/// [`ReadoutError::ShapeMismatch`] if `states` does not have one row per input,
/// [`ReadoutError::NonFinite`] for NaN or infinite data, [`ReadoutError::InvalidParameter`] or
/// [`ReadoutError::InvalidAlpha`] for options out of range,
/// [`ReadoutError::TooFewSamples`] if fewer than two rows remain on either side of the split,
/// [`ReadoutError::ZeroVariance`] if a delayed input is constant over the test rows,
/// [`ReadoutError::Diverged`] if a fit fails.
pub fn memory_capacity(
    states: ArrayView2<'_, f64>,
    inputs: ArrayView1<'_, f64>,
    opts: &CapacityOptions,
) -> Result<MemoryCapacity, ReadoutError> {
    let split = prepare(
        "memory capacity",
        states,
        inputs,
        opts.max_delay,
        opts.washout,
        opts.train_fraction,
        opts.alpha,
        opts.threshold,
    )?;
    let Split { start, train, test } = split;
    let rows = train + test;
    let delays = opts.max_delay + 1;
    let targets = Array2::from_shape_fn((rows, delays), |(i, k)| inputs[start + i - k]);
    let x = states.slice(s![start.., ..]);
    let fit =
        Ridge::new(opts.alpha)?.fit(x.slice(s![..train, ..]), targets.slice(s![..train, ..]))?;
    let pred = fit.predict(x.slice(s![train.., ..]))?;
    let truth = targets.slice(s![train.., ..]);
    let mut per_delay = Vec::with_capacity(delays);
    for k in 0..delays {
        let r2 = squared_correlation(truth.column(k), pred.column(k)).ok_or(
            ReadoutError::ZeroVariance {
                what: "memory capacity",
                output: k,
            },
        )?;
        per_delay.push(if r2 < opts.threshold { 0.0 } else { r2 });
    }
    Ok(MemoryCapacity {
        total: per_delay.iter().sum(),
        per_delay,
    })
}

/// Options of [`nonlinearity`].
#[derive(Debug, Clone, PartialEq)]
pub struct NonlinearityOptions {
    /// How many recent inputs the linear model of each state variable sees: `u[t]`,
    /// `u[t − 1]`, …, `u[t − delays + 1]`. At least 1.
    pub delays: usize,
    /// How many state variables are scored: those with the largest variance over the
    /// training rows (fewer if fewer vary). At least 1.
    pub channels: usize,
    /// Rows dropped at the start besides those the delays need (as in [`CapacityOptions`]).
    pub washout: usize,
    /// Fraction of the used rows that train the models; the rest score them. In (0, 1).
    pub train_fraction: f64,
    /// Ridge penalty of the models; `>= 0`.
    pub alpha: f64,
}

impl Default for NonlinearityOptions {
    /// 8 delays and 60 channels (Stenning et al., Nat. Commun. 15 (2024), their published
    /// analysis code), washout 100, train fraction 0.7, `alpha` 1e-8.
    fn default() -> Self {
        NonlinearityOptions {
            delays: 8,
            channels: 60,
            washout: 100,
            train_fraction: 0.7,
            alpha: 1e-8,
        }
    }
}

/// Result of [`nonlinearity`].
#[derive(Debug, Clone, PartialEq)]
pub struct Nonlinearity {
    /// `1 − mean r²` over the scored state variables.
    pub value: f64,
    /// `(state variable, r²)` of every variable scored, in decreasing training variance.
    pub per_channel: Vec<(usize, f64)>,
}

/// Nonlinearity of a reservoir's response, as Stenning et al. (Nat. Commun. 15, 2024) report
/// it beside the memory capacity: each of the most variable state variables is fitted by a
/// linear model (a [`Ridge`] with intercept) of the recent inputs `u[t] … u[t − delays + 1]`
/// on the training rows, its held-out squared correlation `r²` is taken, and the
/// nonlinearity is `1 − mean r²`: 0 for a reservoir whose states are linear filters of the
/// recent input, towards 1 for states no linear function of it explains. It is the mirror
/// image of the memory capacity, which fits the inputs from the states.
///
/// Rows and the split follow the [conventions](CapacityOptions) with `max_delay = delays −
/// 1`. A scored variable that is constant over the test rows is left out of the mean.
///
/// # Errors
///
/// [`ReadoutError::ShapeMismatch`] if `states` does not have one row per input,
/// [`ReadoutError::NonFinite`] for NaN or infinite data, [`ReadoutError::InvalidParameter`] or
/// [`ReadoutError::InvalidAlpha`] for options out of range (`delays` or `channels` 0),
/// [`ReadoutError::TooFewSamples`] if fewer than two rows remain on either side of the split,
/// [`ReadoutError::ZeroVariance`] if no state variable varies over the training rows or none
/// of those scored varies over the test rows, [`ReadoutError::Diverged`] if a fit fails.
pub fn nonlinearity(
    states: ArrayView2<'_, f64>,
    inputs: ArrayView1<'_, f64>,
    opts: &NonlinearityOptions,
) -> Result<Nonlinearity, ReadoutError> {
    for (name, v) in [("delays", opts.delays), ("channels", opts.channels)] {
        if v == 0 {
            return Err(ReadoutError::param(name, "must be at least 1, got 0"));
        }
    }
    let Split { start, train, test } = prepare(
        "nonlinearity",
        states,
        inputs,
        opts.delays - 1,
        opts.washout,
        opts.train_fraction,
        opts.alpha,
        0.0,
    )?;
    let rows = train + test;
    let recent = Array2::from_shape_fn((rows, opts.delays), |(i, k)| inputs[start + i - k]);
    let x = states.slice(s![start.., ..]);
    let fitted = x.slice(s![..train, ..]);
    let mut order: Vec<(usize, f64)> = fitted
        .columns()
        .into_iter()
        .enumerate()
        .map(|(j, c)| {
            let m = c.sum() / train as f64;
            (j, c.iter().map(|v| (v - m) * (v - m)).sum::<f64>())
        })
        .filter(|(_, v)| *v > 0.0)
        .collect();
    if order.is_empty() {
        return Err(ReadoutError::ZeroVariance {
            what: "nonlinearity",
            output: 0,
        });
    }
    // Largest variance first; ties keep the lower index, so the choice is deterministic.
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    order.truncate(opts.channels);
    let cols: Vec<usize> = order.iter().map(|&(j, _)| j).collect();
    let y = x.select(ndarray::Axis(1), &cols);
    let fit =
        Ridge::new(opts.alpha)?.fit(recent.slice(s![..train, ..]), y.slice(s![..train, ..]))?;
    let pred = fit.predict(recent.slice(s![train.., ..]))?;
    let truth = y.slice(s![train.., ..]);
    let per_channel: Vec<(usize, f64)> = cols
        .iter()
        .enumerate()
        .filter_map(|(c, &j)| {
            squared_correlation(truth.column(c), pred.column(c)).map(|r2| (j, r2))
        })
        .collect();
    if per_channel.is_empty() {
        return Err(ReadoutError::ZeroVariance {
            what: "nonlinearity",
            output: cols[0],
        });
    }
    let mean = per_channel.iter().map(|&(_, r2)| r2).sum::<f64>() / per_channel.len() as f64;
    Ok(Nonlinearity {
        value: 1.0 - mean,
        per_channel,
    })
}

/// Squared correlation of `a` (the target) and `b` (the prediction), clamped to `[0, 1]`;
/// `None` if `a` is constant, 0 if `b` is.
fn squared_correlation(a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>) -> Option<f64> {
    let n = a.len() as f64;
    let ma = a.sum() / n;
    let mb = b.sum() / n;
    let (mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b.iter()) {
        let (dx, dy) = (x - ma, y - mb);
        saa += dx * dx;
        sbb += dy * dy;
        sab += dx * dy;
    }
    if saa <= 0.0 {
        return None;
    }
    // A constant prediction (a dead reservoir: the readout outputs its intercept) carries no
    // information; test equality directly because rounding in the mean can leave a spurious
    // nonzero spread.
    if sbb <= 0.0 || b.iter().all(|v| *v == b[0]) {
        return Some(0.0);
    }
    Some((sab * sab / (saa * sbb)).clamp(0.0, 1.0))
}

/// Number of IPC targets of total degree `1..=max_degree` over delays `0..=max_delay`:
/// `Σ_d C(L + d − 1, d)` with `L = max_delay + 1` (a target of degree `d` is a multiset of
/// `d` delays). Counting stops past [`IPC_MAX_TERMS`]: `None` means "more than that".
pub fn ipc_term_count(max_degree: usize, max_delay: usize) -> Option<usize> {
    let l = max_delay as u128 + 1;
    let mut total: u128 = 0;
    // C(L + d − 1, d) = C(L + d − 2, d − 1) · (L + d − 1) / d, exact at every step. Every
    // term is at least 1, so the loop ends within IPC_MAX_TERMS + 1 steps.
    let mut c: u128 = 1;
    for d in 1..=max_degree as u128 {
        c = c * (l + d - 1) / d;
        total += c;
        if total > IPC_MAX_TERMS as u128 {
            return None;
        }
    }
    Some(total as usize)
}

/// All targets of total degree exactly `degree` over delays `0..delays`, in lexicographic
/// order of their `(delay, degree)` factors.
fn terms_of_degree(degree: usize, delays: usize) -> Vec<IpcTerm> {
    fn rec(first: usize, left: usize, delays: usize, cur: &mut IpcTerm, out: &mut Vec<IpcTerm>) {
        if left == 0 {
            out.push(cur.clone());
            return;
        }
        for k in first..delays {
            for e in 1..=left {
                cur.push((k, e));
                rec(k + 1, left - e, delays, cur, out);
                cur.pop();
            }
        }
    }
    let mut out = Vec::new();
    rec(0, degree, delays, &mut Vec::new(), &mut out);
    out
}

/// `P̃_d(x) = sqrt(2d + 1) · P_d(x)` for `d = 0..=max_degree`: the Legendre polynomials
/// normalised so that `E[P̃_d(u)²] = 1` for `u ~ U[−1, 1]` (Dambre et al. 2012), by the
/// Bonnet recurrence `(n + 1) P_{n+1} = (2n + 1) x P_n − n P_{n−1}`.
fn legendre_normalised(x: f64, max_degree: usize, out: &mut [f64]) {
    let (mut p_prev, mut p) = (1.0, x);
    out[0] = 1.0;
    if max_degree >= 1 {
        out[1] = 3f64.sqrt() * x;
    }
    for n in 1..max_degree {
        let nf = n as f64;
        let next = ((2.0 * nf + 1.0) * x * p - nf * p_prev) / (nf + 1.0);
        p_prev = p;
        p = next;
        out[n + 1] = (2.0 * (nf + 1.0) + 1.0).sqrt() * p;
    }
}

/// Information processing capacity (Dambre, Verstraeten, Schrauwen & Massar, "Information
/// processing capacity of dynamical systems", Sci. Rep. 2, 514 (2012)).
///
/// The targets are products `z[t] = Π_i P̃_{d_i}(u[t − k_i])` of normalised Legendre
/// polynomials (`E[P̃_d(u)²] = 1` for `u ~ U[−1, 1]`) of the input at distinct delays
/// `k_i ∈ 0..=max_delay`, with total degree `Σ d_i ∈ 1..=max_degree`; for i.i.d. uniform
/// input they are orthonormal. Each target's capacity is
/// `C[z] = 1 − ⟨(z − ŷ)²⟩ / ⟨z²⟩` on the held-out rows (`⟨·⟩` the mean over those rows; see
/// the [conventions](CapacityOptions)), where `ŷ` is a [`Ridge`] readout of the states trained on the training rows; it is clamped
/// to `[0, 1]` and set to 0 below `opts.threshold`. All targets of one degree are fitted as
/// multi-output ridges against the same states, in batches of 256 columns (run in parallel,
/// with the same result for any thread count).
///
/// For a system with fading memory and `N` linearly independent state variables the total
/// over *all* targets is `N`; a finite degree and delay range sees a part of it, so
/// `total ≤ N` up to the estimation noise. The degree-1 part is the linear memory capacity
/// with delay 0 included (see [`memory_capacity`], which uses the squared correlation instead
/// of `1 − NMSE`; the two agree closely).
///
/// # Errors
///
/// As [`memory_capacity`], and [`ReadoutError::OutOfRange`] for an input outside `[−1, 1]`,
/// [`ReadoutError::InvalidParameter`] if `max_degree` is 0 or the number of targets
/// ([`ipc_term_count`]) exceeds [`IPC_MAX_TERMS`], [`ReadoutError::ZeroVariance`] if a
/// target is identically 0 on the test rows (its `output` is the target's position in the
/// enumeration order, counted over all degrees).
pub fn information_processing_capacity(
    states: ArrayView2<'_, f64>,
    inputs: ArrayView1<'_, f64>,
    opts: &IpcOptions,
) -> Result<Ipc, ReadoutError> {
    if opts.max_degree == 0 {
        return Err(ReadoutError::param(
            "max_degree",
            "must be at least 1, got 0",
        ));
    }
    let count = ipc_term_count(opts.max_degree, opts.max_delay);
    if count.is_none() {
        return Err(ReadoutError::param(
            "max_degree",
            format!(
                "and `max_delay` give more than {IPC_MAX_TERMS} targets (degree <= {}, delays \
                 0..={}): lower the degree or the delay range",
                opts.max_degree, opts.max_delay
            ),
        ));
    }
    let split = prepare(
        "information processing capacity",
        states,
        inputs,
        opts.max_delay,
        opts.washout,
        opts.train_fraction,
        opts.alpha,
        opts.threshold,
    )?;
    if let Some((index, &value)) = inputs
        .iter()
        .enumerate()
        .find(|(_, v)| !(-1.0..=1.0).contains(*v))
    {
        return Err(ReadoutError::OutOfRange {
            what: "inputs",
            index,
            value,
            lo: -1.0,
            hi: 1.0,
        });
    }
    let Split { start, train, test } = split;
    let rows = train + test;
    let ridge = Ridge::new(opts.alpha)?;

    // Legendre values of every input used, row-major: legendre[(t, d)] = P̃_d(u[t]).
    let first = start - opts.max_delay;
    let used = inputs.slice(s![first..]);
    let mut legendre = Array2::zeros((used.len(), opts.max_degree + 1));
    let mut buf = vec![0.0; opts.max_degree + 1];
    for (mut row, &u) in legendre.rows_mut().into_iter().zip(used.iter()) {
        legendre_normalised(u, opts.max_degree, &mut buf);
        row.assign(&ArrayView1::from(&buf[..]));
    }
    let x = states.slice(s![start.., ..]);
    let (x_train, x_test) = (x.slice(s![..train, ..]), x.slice(s![train.., ..]));

    let mut by_degree = vec![0.0; opts.max_degree + 1];
    let mut terms_out = Vec::new();
    let mut offset = 0;
    for degree in 1..=opts.max_degree {
        let terms = terms_of_degree(degree, opts.max_delay + 1);
        let n_terms = terms.len();
        let batches: Vec<&[IpcTerm]> = terms.chunks(IPC_BATCH).collect();
        let scores: Vec<Vec<f64>> = batches
            .par_iter()
            .enumerate()
            .map(|(b, batch)| -> Result<Vec<f64>, ReadoutError> {
                // Row i of the targets is time start + i, i.e. row i + max_delay of `legendre`.
                let z = Array2::from_shape_fn((rows, batch.len()), |(i, j)| {
                    batch[j]
                        .iter()
                        .map(|&(k, d)| legendre[(i + opts.max_delay - k, d)])
                        .product::<f64>()
                });
                let fit = ridge.fit(x_train, z.slice(s![..train, ..]))?;
                let pred = fit.predict(x_test)?;
                let z_test = z.slice(s![train.., ..]);
                (0..batch.len())
                    .map(|j| {
                        let (zc, pc) = (z_test.column(j), pred.column(j));
                        let power = zc.iter().map(|v| v * v).sum::<f64>();
                        if power <= 0.0 {
                            return Err(ReadoutError::ZeroVariance {
                                what: "information processing capacity",
                                output: offset + b * IPC_BATCH + j,
                            });
                        }
                        let err = zc
                            .iter()
                            .zip(pc.iter())
                            .map(|(a, p)| (a - p) * (a - p))
                            .sum::<f64>();
                        let c = (1.0 - err / power).clamp(0.0, 1.0);
                        Ok(if c < opts.threshold { 0.0 } else { c })
                    })
                    .collect::<Result<Vec<f64>, ReadoutError>>()
            })
            .collect::<Result<_, ReadoutError>>()?;
        for (term, c) in terms.into_iter().zip(scores.into_iter().flatten()) {
            if c > 0.0 {
                by_degree[degree] += c;
                terms_out.push((term, c));
            }
        }
        offset += n_terms;
    }
    Ok(Ipc {
        total: by_degree.iter().sum(),
        by_degree,
        terms: terms_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `C(L + d − 1, d)`, the number of targets of degree exactly `d` over `L` delays.
    fn terms_of_degree_len(degree: usize, delays: usize) -> usize {
        let mut c: u128 = 1;
        for d in 1..=degree {
            c = c * (delays + d - 1) as u128 / d as u128;
        }
        c as usize
    }

    #[test]
    fn legendre_matches_closed_forms() {
        // P2 = (3x² − 1)/2, P3 = (5x³ − 3x)/2, P4 = (35x⁴ − 30x² + 3)/8 (Abramowitz & Stegun
        // 22.3.8), each times sqrt(2d + 1).
        let mut out = [0.0; 5];
        for &x in &[-1.0, -0.3, 0.0, 0.7, 1.0] {
            legendre_normalised(x, 4, &mut out);
            let p = [
                1.0,
                x,
                (3.0 * x * x - 1.0) / 2.0,
                (5.0 * x * x * x - 3.0 * x) / 2.0,
                (35.0 * x.powi(4) - 30.0 * x * x + 3.0) / 8.0,
            ];
            for d in 0..=4 {
                let want = (2.0 * d as f64 + 1.0).sqrt() * p[d];
                assert!(
                    (out[d] - want).abs() < 1e-12,
                    "d={d} x={x}: {} vs {want}",
                    out[d]
                );
            }
        }
    }

    #[test]
    fn legendre_is_orthonormal_under_uniform() {
        // ∫_{-1}^{1} P̃_a P̃_b dx / 2 = δ_ab, by a 2000-point midpoint rule.
        let n = 2000;
        let mut g = [[0.0; 4]; 4];
        let mut v = [0.0; 4];
        for i in 0..n {
            let x = -1.0 + (i as f64 + 0.5) * 2.0 / n as f64;
            legendre_normalised(x, 3, &mut v);
            for a in 0..4 {
                for b in 0..4 {
                    g[a][b] += v[a] * v[b] / n as f64;
                }
            }
        }
        for a in 0..4 {
            for b in 0..4 {
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((g[a][b] - want).abs() < 1e-4, "({a},{b}) = {}", g[a][b]);
            }
        }
    }

    #[test]
    fn term_enumeration_counts() {
        // Degree 2 over 3 delays: 3 squares + 3 pairs = C(4, 2) = 6.
        let t = terms_of_degree(2, 3);
        assert_eq!(
            t,
            vec![
                vec![(0, 1), (1, 1)],
                vec![(0, 1), (2, 1)],
                vec![(0, 2)],
                vec![(1, 1), (2, 1)],
                vec![(1, 2)],
                vec![(2, 2)],
            ]
        );
        for (deg, delays) in [(1, 5), (2, 7), (3, 11), (4, 4)] {
            assert_eq!(
                terms_of_degree(deg, delays).len(),
                terms_of_degree_len(deg, delays)
            );
        }
        // 51 + 1326 + 23426 (C(51,1), C(52,2), C(53,3)).
        assert_eq!(ipc_term_count(3, 50), Some(24_803));
        assert_eq!(ipc_term_count(1, 0), Some(1));
        assert_eq!(ipc_term_count(60, usize::MAX), None);
        // One delay: one target per degree; huge degrees stop at the cap instead of looping.
        assert_eq!(ipc_term_count(7, 0), Some(7));
        assert_eq!(ipc_term_count(usize::MAX, 0), None);
    }
}

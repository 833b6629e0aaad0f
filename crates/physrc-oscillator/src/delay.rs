//! Delay reservoir with one Mackey–Glass nonlinear node (Appeltant et al., Nat. Commun. 2, 468
//! (2011)).
//!
//! # Model
//!
//! ```text
//! dX/dt = −X(t) + F(X(t − τ) + γ J(t)),   F(z) = η z / (1 + z^p)
//! ```
//!
//! in units of the node's response time. Each input sample is held for one delay `τ = N θ` and
//! multiplied by a mask: during the `i`-th interval of length `θ` the drive is
//! `J_i(k) = Σ_d mask[i, d] (offset + scale · u_d(k))`. The `N` virtual nodes are the values of
//! `X` at the ends of these intervals.
//!
//! # Discretisation
//!
//! The equation is integrated on a grid of `K = substeps` points per node interval, step
//! `h = θ / K`, and the history of `X` is kept at that resolution: the delay is `L = (N + d) K`
//! grid steps exactly. Over one step the linear part `−X` is solved exactly and the drive
//! `g(t) = F(X(t − τ) + γ J(t))` is interpolated linearly between its values at the two ends
//! of the step (an exponential integrator of second order):
//!
//! ```text
//! X_{n+1} = e^{−h} X_n + (1 − e^{−h}) g_n + (1 − (1 − e^{−h})/h) (g_{n+1} − g_n)
//! g_n = F(X_{n−L} + γ J),   g_{n+1} = F(X_{n+1−L} + γ J)
//! ```
//!
//! `J` is piecewise constant (one value per node interval), so both ends use the input of the
//! interval being integrated. Both delayed values are already in the history because
//! `L ≥ N K ≥ 1`, so a frame is computed from the history alone and committed at the end. The
//! virtual nodes are `X` at the ends of the intervals.
//!
//! Holding the delayed term at its node value over a whole interval (the map
//! `x_i(k) = e^{−θ} x_{i−1}(k) + (1 − e^{−θ}) F(x_i(k − 1) + γ J_i(k))`) is first order and,
//! at `d = 0`, drops the coupling between neighbouring nodes that the continuous delayed signal
//! carries: during interval `i` the true `X(t − τ)` moves from node `i − 1` of the previous
//! frame to node `i`. The grid keeps that coupling. The default `K = 8` is set by the
//! convergence study in `tests/delay_discretisation.rs`.
//!
//! Consecutive virtual nodes are coupled through the node's inertia (`e^{−θ}`), each node to its
//! own past through the delay loop. With [`DelayConfig::delay_offset`] `= d > 0` the delay is
//! `τ = (N + d) θ` and node `i` reads node `i − d` of the previous frame instead (a
//! desynchronised loop).
//!
//! # Input scaling
//!
//! The runner delivers inputs normalised to `[−1, 1]`. Appeltant drive the node with the raw task
//! input (NARMA10: `u ∈ [0, 0.5]`), and the achievable error depends on that operating point, so
//! the configuration maps the normalised input back: `u_raw = input_offset + input_scale · u`.
//! With `input_offset = input_scale = 0.25` a NARMA input normalised by `4u − 1` is restored
//! exactly to `[0, 0.5]`.
//!
//! # Energy
//!
//! The model is dimensionless (an electronic Mackey–Glass circuit has no energy scale given in
//! the paper), so [`Reservoir::energy`] returns `None`.

use ndarray::{Array2, ArrayView2};
use physrc_core::{Error, Info, MemoryBudget, Reservoir, bytes_for, check_input, check_state_len};
use serde::Deserialize;

use crate::OscillatorError;
use crate::error::{
    MAX_DELAY_LINE, at_least_one, delay_line_len, finite, non_negative, positive, substeps,
};
use crate::mask::{MaskKind, draw_mask};

/// The Mackey–Glass nonlinearity `F(z) = η z / (1 + z^p)`.
///
/// Integer exponents use repeated multiplication (so negative `z` is allowed); non-integer
/// exponents need `z ≥ 0`, and return NaN otherwise, which the reservoir reports as divergence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MackeyGlass {
    eta: f64,
    p: f64,
    p_int: Option<i32>,
}

impl MackeyGlass {
    /// The nonlinearity with feedback strength `η` and exponent `p`.
    ///
    /// # Errors
    ///
    /// [`OscillatorError::InvalidParameter`] when `η` or `p` is not finite, or `p` is not
    /// positive.
    pub fn new(eta: f64, p: f64) -> Result<Self, OscillatorError> {
        finite("eta", eta)?;
        positive("p", p)?;
        let p_int = if p.fract() == 0.0 && p <= i32::MAX as f64 {
            Some(p as i32)
        } else {
            None
        };
        Ok(MackeyGlass { eta, p, p_int })
    }

    /// Evaluates `η z / (1 + z^p)`.
    pub fn eval(&self, z: f64) -> f64 {
        let zp = match self.p_int {
            Some(1) => z,
            Some(n) => z.powi(n),
            None => z.powf(self.p),
        };
        self.eta * z / (1.0 + zp)
    }
}

/// Configuration of a delay reservoir (`model = "delay"` in the `[substrate]` table).
///
/// Defaults are Appeltant et al.'s NARMA10 set: `N = 400`, `θ = 0.2`, `η = 0.4`, `γ = 0.05`,
/// `p = 1`, binary mask `±0.1`, with the identity input mapping.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DelayConfig {
    /// Number of virtual nodes `N` (the delay is `τ = N θ`); `N + delay_offset` may not exceed
    /// 2^24.
    pub nodes: usize,
    /// Node spacing `θ`, in units of the node's response time.
    pub theta: f64,
    /// Feedback strength `η`.
    pub eta: f64,
    /// Input scaling `γ`.
    pub gamma: f64,
    /// Mackey–Glass exponent `p`.
    pub p: f64,
    /// Mask amplitude (entries `±mask_amplitude` for a binary mask).
    pub mask_amplitude: f64,
    /// How the mask is drawn.
    pub mask: MaskKind,
    /// `u_raw = input_offset + input_scale · u` maps the normalised input to the raw drive.
    pub input_offset: f64,
    /// See `input_offset`.
    pub input_scale: f64,
    /// Seed of the mask (ChaCha8 stream 0).
    pub seed: u64,
    /// Extra node spacings in the delay: `τ = (N + delay_offset) θ`. `0` (the default) is
    /// Appeltant et al.'s synchronised loop, where each virtual node sees its own value one
    /// frame earlier; `1` is the desynchronised loop of Paquot et al. (Sci. Rep. 2, 287 (2012)),
    /// where node `i` sees node `i − 1` of the previous frame.
    pub delay_offset: usize,
    /// Integration steps per node interval `K` (step `h = θ / K`); the history is kept at this
    /// resolution, so `(N + delay_offset) · K` may not exceed 2^24.
    pub substeps: usize,
}

/// Steps per node interval unless the configuration says otherwise: at Appeltant's θ = 0.2 the
/// virtual-node states at `K = 8` and `K = 16` differ by less than 2e-5 of max |X|
/// (measured 7e-6, second order; `tests/delay_discretisation.rs`), and a step costs one
/// evaluation of `F`.
const DEFAULT_DELAY_SUBSTEPS: usize = 8;

impl Default for DelayConfig {
    fn default() -> Self {
        DelayConfig {
            nodes: 400,
            theta: 0.2,
            eta: 0.4,
            gamma: 0.05,
            p: 1.0,
            mask_amplitude: 0.1,
            mask: MaskKind::Binary,
            input_offset: 0.0,
            input_scale: 1.0,
            seed: 0,
            delay_offset: 0,
            substeps: DEFAULT_DELAY_SUBSTEPS,
        }
    }
}

impl DelayConfig {
    /// Checks the size keys and the memory a reservoir for `input_dim` inputs needs: the
    /// `N × d` mask, the delay line, the frame scratch and a state row.
    pub(crate) fn check_memory(
        &self,
        input_dim: usize,
        budget: MemoryBudget,
    ) -> Result<(), OscillatorError> {
        at_least_one("nodes", self.nodes)?;
        let grid = self.grid_len()?;
        let (n, d) = (self.nodes as u64, input_dim as u64);
        // The mask, the history (one delay plus one point), the frame's grid scratch, the
        // frame's node values and the raw input.
        let k = self.substeps as u64;
        let bytes = bytes_for(n.saturating_mul(d), 8).saturating_add(bytes_for(
            (grid as u64)
                .saturating_add(1)
                .saturating_add(n.saturating_mul(k))
                .saturating_add(n)
                .saturating_add(d),
            8,
        ));
        budget.check(
            "nodes",
            format_args!("{} (with {input_dim} input columns)", self.nodes),
            bytes,
        )?;
        Ok(())
    }

    /// The delay in grid steps, `L = (N + delay_offset) · K`, checked against the 2^24 bound
    /// on the history.
    fn grid_len(&self) -> Result<usize, OscillatorError> {
        let line = delay_line_len("nodes", self.nodes, "delay_offset", self.delay_offset)?;
        let k = substeps(self.substeps)?;
        match line.checked_mul(k) {
            Some(l) if l <= MAX_DELAY_LINE => Ok(l),
            _ => Err(OscillatorError::param(
                "substeps",
                "makes the history longer than 2^24 points ((nodes + delay_offset) · substeps)",
                k,
            )),
        }
    }
}

/// A delay-coupled Mackey–Glass node read out at `N` virtual nodes.
#[derive(Debug, Clone)]
pub struct DelayReservoir {
    cfg: DelayConfig,
    f: MackeyGlass,
    input_dim: usize,
    mask: Array2<f64>,
    /// `e^{−h}` for the grid step `h = θ / K`.
    decay: f64,
    /// Weight of the drive at the start of a step, `1 − e^{−h}`.
    w0: f64,
    /// Weight of the drive's change over a step, `1 − (1 − e^{−h}) / h`.
    w1: f64,
    /// The history on the grid: the last `L + 1` values of `X`, oldest (`X(t − τ)`) at `head`.
    line: Vec<f64>,
    head: usize,
    /// The most recent grid value (the start of the next interval).
    last: f64,
    /// Scratch for the `N K` grid values of the frame being computed.
    grid: Vec<f64>,
    /// Scratch for the frame's `N` node values.
    next: Vec<f64>,
    raw: Vec<f64>,
}

impl DelayReservoir {
    /// Builds the reservoir for `input_dim` input components.
    ///
    /// # Errors
    ///
    /// [`OscillatorError::InvalidParameter`] naming the first parameter out of range.
    pub fn new(cfg: &DelayConfig, input_dim: usize) -> Result<Self, OscillatorError> {
        at_least_one("input_dim", input_dim)?;
        at_least_one("nodes", cfg.nodes)?;
        let lag = cfg.grid_len()?;
        positive("theta", cfg.theta)?;
        finite("gamma", cfg.gamma)?;
        non_negative("mask_amplitude", cfg.mask_amplitude)?;
        finite("input_offset", cfg.input_offset)?;
        finite("input_scale", cfg.input_scale)?;
        let f = MackeyGlass::new(cfg.eta, cfg.p)?;
        let mask = draw_mask(cfg.mask, cfg.nodes, input_dim, cfg.mask_amplitude, cfg.seed);
        let h = cfg.theta / cfg.substeps as f64;
        // `1 − e^{−h}` through `exp_m1`, and the ramp weight through its series when `h` is
        // so small that `1 − (1 − e^{−h})/h` would cancel to noise.
        let w0 = -(-h).exp_m1();
        let w1 = if h > 1e-4 {
            1.0 - w0 / h
        } else {
            h / 2.0 - h * h / 6.0
        };
        let decay = 1.0 - w0;
        Ok(DelayReservoir {
            cfg: cfg.clone(),
            f,
            input_dim,
            mask,
            decay,
            w0,
            w1,
            line: vec![0.0; lag + 1],
            head: 0,
            last: 0.0,
            grid: vec![0.0; cfg.nodes * cfg.substeps],
            next: vec![0.0; cfg.nodes],
            raw: vec![0.0; input_dim],
        })
    }

    /// Builds the reservoir with a given `N × d` mask instead of drawing one from the seed (a
    /// mask measured on a rig, or one shared between two models being compared).
    /// `mask_amplitude`, `mask` and `seed` of `cfg` are then unused.
    ///
    /// # Errors
    ///
    /// As [`new`](DelayReservoir::new), and [`OscillatorError::InvalidParameter`] when the mask
    /// is not `nodes × input_dim` or holds a non-finite value.
    pub fn with_mask(cfg: &DelayConfig, mask: Array2<f64>) -> Result<Self, OscillatorError> {
        let mut r = DelayReservoir::new(cfg, mask.ncols())?;
        if mask.nrows() != cfg.nodes {
            return Err(OscillatorError::param(
                "mask",
                "must have one row per virtual node (`nodes` rows)",
                format!("{} rows for {} nodes", mask.nrows(), cfg.nodes),
            ));
        }
        if let Some(v) = mask.iter().find(|v| !v.is_finite()) {
            return Err(OscillatorError::param("mask", "must be finite", v));
        }
        r.mask = mask;
        Ok(r)
    }

    /// The `N × d` input mask.
    pub fn mask(&self) -> ArrayView2<'_, f64> {
        self.mask.view()
    }

    /// The configuration this reservoir was built from.
    pub fn config(&self) -> &DelayConfig {
        &self.cfg
    }

    /// The nonlinearity.
    pub fn nonlinearity(&self) -> &MackeyGlass {
        &self.f
    }

    fn step_inner(&mut self, input: &[f64], out: &mut [f64]) -> Result<(), OscillatorError> {
        check_input(input, self.input_dim)?;
        check_state_len(out, self.cfg.nodes)?;
        for (r, &u) in self.raw.iter_mut().zip(input) {
            *r = self.cfg.input_offset + self.cfg.input_scale * u;
        }
        let k = self.cfg.substeps;
        let len = self.line.len();
        let (decay, w0, w1) = (self.decay, self.w0, self.w1);
        let mut prev = self.last;
        // `X(t − τ)` at the start of the step: grid point `head` of the history. Every delayed
        // value this frame needs is in the history (L ≥ N K), so it is only read here.
        let mut head = self.head;
        let mut delayed = self.line[head];
        for i in 0..self.cfg.nodes {
            let j: f64 = self
                .mask
                .row(i)
                .iter()
                .zip(&self.raw)
                .map(|(m, u)| m * u)
                .sum();
            let gj = self.cfg.gamma * j;
            // The drive at the start of this interval's first step uses this interval's input.
            let mut g0 = self.f.eval(delayed + gj);
            for s in 0..k {
                head += 1;
                if head == len {
                    head = 0;
                }
                delayed = self.line[head];
                let g1 = self.f.eval(delayed + gj);
                let x = decay * prev + w0 * g0 + w1 * (g1 - g0);
                if !x.is_finite() {
                    // Only the scratch has been written: the history is untouched.
                    return Err(OscillatorError::Diverged {
                        model: "delay",
                        detail: format!(
                            "F(z) is not finite at virtual node {i} (z = {}, p = {})",
                            delayed + gj,
                            self.cfg.p
                        ),
                    });
                }
                self.grid[i * k + s] = x;
                prev = x;
                g0 = g1;
            }
            self.next[i] = prev;
        }
        // Commit the frame: grid value `s` replaces the point one delay before it, which only
        // steps up to `s` needed, so the head moves on by the frame's N K points.
        let mut h = self.head;
        for &v in &self.grid {
            self.line[h] = v;
            h = if h + 1 == len { 0 } else { h + 1 };
        }
        self.head = h;
        self.last = prev;
        out.copy_from_slice(&self.next);
        Ok(())
    }
}

impl Reservoir for DelayReservoir {
    fn input_dim(&self) -> usize {
        self.input_dim
    }

    fn state_dim(&self) -> usize {
        self.cfg.nodes
    }

    fn reset(&mut self) -> Result<(), Error> {
        self.line.iter_mut().for_each(|v| *v = 0.0);
        self.head = 0;
        self.last = 0.0;
        Ok(())
    }

    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
        Ok(self.step_inner(input, state_out)?)
    }

    fn info(&self) -> Info {
        let c = &self.cfg;
        Info::new("oscillator")
            .with("model", "delay")
            .with("nodes", c.nodes)
            .with("theta", c.theta)
            .with("eta", c.eta)
            .with("gamma", c.gamma)
            .with("p", c.p)
            .with("mask_amplitude", c.mask_amplitude)
            .with("input_offset", c.input_offset)
            .with("input_scale", c.input_scale)
            .with("seed", c.seed)
            .with("delay_offset", c.delay_offset)
            .with("substeps", c.substeps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The integrator written out naively for a one-column mask: the whole history on a
    /// growing vector with `(N + d) K` zeros before the first frame, the delayed value `L`
    /// grid points back, the drive interpolated linearly over each step.
    fn by_hand(d: usize, mask: &[f64], u: &[f64], cfg: &DelayConfig) -> Vec<Vec<f64>> {
        let f = MackeyGlass::new(cfg.eta, cfg.p).unwrap();
        let (n, k) = (mask.len(), cfg.substeps);
        let h = cfg.theta / k as f64;
        let e = (-h).exp();
        let lag = (n + d) * k;
        let mut seq = vec![0.0; lag + 1];
        let mut frames = Vec::new();
        for &uk in u {
            let raw = cfg.input_offset + cfg.input_scale * uk;
            let mut frame = Vec::new();
            for &m in mask {
                let gj = cfg.gamma * m * raw;
                for _ in 0..k {
                    let t = seq.len() - 1;
                    let g0 = f.eval(seq[t - lag] + gj);
                    let g1 = f.eval(seq[t + 1 - lag] + gj);
                    let x = e * seq[t] + (1.0 - e) * g0 + (1.0 - (1.0 - e) / h) * (g1 - g0);
                    seq.push(x);
                }
                frame.push(*seq.last().unwrap());
            }
            frames.push(frame);
        }
        frames
    }

    #[test]
    fn the_integrator_matches_the_scheme_written_out_by_hand() {
        let mask = [0.1, -0.1, 0.1];
        let u = [0.9, -0.4, 0.3, 1.0, -1.0, 0.2, 0.7];
        for (d, k) in [(0, 1), (0, 4), (1, 1), (1, 3), (2, 2), (5, 8)] {
            let cfg = DelayConfig {
                nodes: 3,
                eta: 1.3,
                gamma: 2.0,
                delay_offset: d,
                substeps: k,
                ..DelayConfig::default()
            };
            let mut r = DelayReservoir::with_mask(
                &cfg,
                Array2::from_shape_vec((3, 1), mask.to_vec()).unwrap(),
            )
            .unwrap();
            let want = by_hand(d, &mask, &u, &cfg);
            let mut out = [0.0; 3];
            for (f, &uk) in u.iter().enumerate() {
                r.step(&[uk], &mut out).unwrap();
                for i in 0..3 {
                    assert!(
                        (out[i] - want[f][i]).abs() <= 1e-14 * want[f][i].abs().max(1.0),
                        "d = {d}, substeps = {k}, frame {f}, node {i}: {} vs {}",
                        out[i],
                        want[f][i]
                    );
                }
            }
            // The offset must matter once the history has filled (frames ≥ 2).
            if d > 0 {
                let sync = by_hand(
                    0,
                    &mask,
                    &u,
                    &DelayConfig {
                        delay_offset: 0,
                        ..cfg.clone()
                    },
                );
                assert_ne!(sync[4], want[4], "d = {d}");
            }
        }
    }
}

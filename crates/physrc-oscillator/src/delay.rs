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
//! Over one interval the delayed term is held at its node value, `X(t − τ) ≈ x_i(k − 1)`; the
//! remaining linear equation is then solved exactly:
//!
//! ```text
//! x_i(k) = e^{−θ} x_{i−1}(k) + (1 − e^{−θ}) F(x_i(k − 1) + γ J_i(k)),   x_0(k) = x_N(k − 1)
//! ```
//!
//! Consecutive virtual nodes are coupled through the node's inertia (`e^{−θ}`), each node to its
//! own past through the delay loop. With [`DelayConfig::delay_offset`] `= d > 0` the delay is
//! `τ = (N + d) θ` and node `i` reads node `i − d` of the previous frame instead (a
//! desynchronised loop); the state is then a delay line of `N + d` node values.
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
use crate::error::{at_least_one, delay_line_len, finite, non_negative, positive};
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
}

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
        let line = delay_line_len("nodes", self.nodes, "delay_offset", self.delay_offset)?;
        let (n, d) = (self.nodes as u64, input_dim as u64);
        let bytes = bytes_for(n.saturating_mul(d), 8).saturating_add(bytes_for(
            (line as u64).saturating_add(2 * n).saturating_add(d),
            8,
        ));
        budget.check(
            "nodes",
            format_args!("{} (with {input_dim} input columns)", self.nodes),
            bytes,
        )?;
        Ok(())
    }
}

/// A delay-coupled Mackey–Glass node read out at `N` virtual nodes.
#[derive(Debug, Clone)]
pub struct DelayReservoir {
    cfg: DelayConfig,
    f: MackeyGlass,
    input_dim: usize,
    mask: Array2<f64>,
    decay: f64,
    /// The delay line: the last `N + delay_offset` node values, oldest at `head`.
    line: Vec<f64>,
    head: usize,
    /// The most recent node value (the start of the next interval).
    last: f64,
    /// Scratch for the frame being computed.
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
        let line_len = delay_line_len("nodes", cfg.nodes, "delay_offset", cfg.delay_offset)?;
        positive("theta", cfg.theta)?;
        finite("gamma", cfg.gamma)?;
        non_negative("mask_amplitude", cfg.mask_amplitude)?;
        finite("input_offset", cfg.input_offset)?;
        finite("input_scale", cfg.input_scale)?;
        let f = MackeyGlass::new(cfg.eta, cfg.p)?;
        let mask = draw_mask(cfg.mask, cfg.nodes, input_dim, cfg.mask_amplitude, cfg.seed);
        Ok(DelayReservoir {
            cfg: cfg.clone(),
            f,
            input_dim,
            mask,
            decay: (-cfg.theta).exp(),
            line: vec![0.0; line_len],
            head: 0,
            last: 0.0,
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
        let gain = 1.0 - self.decay;
        let len = self.line.len();
        let mut prev = self.last;
        let mut head = self.head;
        for (i, o) in self.next.iter_mut().enumerate() {
            let j: f64 = self
                .mask
                .row(i)
                .iter()
                .zip(&self.raw)
                .map(|(m, u)| m * u)
                .sum();
            // The value τ = (N + delay_offset) θ ago.
            let z = self.line[head] + self.cfg.gamma * j;
            let xi = self.decay * prev + gain * self.f.eval(z);
            if !xi.is_finite() {
                // Only the scratch frame has been written: the delay line is untouched.
                return Err(OscillatorError::Diverged {
                    model: "delay",
                    detail: format!(
                        "F(z) is not finite at virtual node {i} (z = {z}, p = {})",
                        self.cfg.p
                    ),
                });
            }
            *o = xi;
            prev = xi;
            head = (head + 1) % len;
        }
        // Commit the frame: the N new values replace the N oldest ones.
        let mut h = self.head;
        for &v in self.next.iter() {
            self.line[h] = v;
            h = (h + 1) % len;
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The map written out by hand for `N = 3`: each node reads the delay line `N + d` node
    /// spacings back, and the first node of a frame continues from the last node of the
    /// previous frame through the inertia `e^{−θ}`.
    fn by_hand(d: usize, mask: &[f64], u: &[f64], cfg: &DelayConfig) -> Vec<Vec<f64>> {
        let f = MackeyGlass::new(cfg.eta, cfg.p).unwrap();
        let n = mask.len();
        let e = (-cfg.theta).exp();
        // Global node sequence, with N + d zeros of history before the first frame.
        let mut seq = vec![0.0; n + d];
        let mut frames = Vec::new();
        for &uk in u {
            let raw = cfg.input_offset + cfg.input_scale * uk;
            let mut frame = Vec::new();
            for &m in mask {
                let t = seq.len();
                let delayed = seq[t - (n + d)];
                let prev = seq[t - 1];
                let x = e * prev + (1.0 - e) * f.eval(delayed + cfg.gamma * m * raw);
                seq.push(x);
                frame.push(x);
            }
            frames.push(frame);
        }
        frames
    }

    #[test]
    fn delay_offset_reads_the_line_n_plus_d_nodes_back() {
        let mask = [0.1, -0.1, 0.1];
        let u = [0.9, -0.4, 0.3, 1.0, -1.0, 0.2, 0.7];
        for d in [0, 1, 2, 5] {
            let cfg = DelayConfig {
                nodes: 3,
                eta: 1.3,
                gamma: 2.0,
                delay_offset: d,
                ..DelayConfig::default()
            };
            let mut r = DelayReservoir::with_mask(
                &cfg,
                Array2::from_shape_vec((3, 1), mask.to_vec()).unwrap(),
            )
            .unwrap();
            let want = by_hand(d, &mask, &u, &cfg);
            let mut out = [0.0; 3];
            for (k, &uk) in u.iter().enumerate() {
                r.step(&[uk], &mut out).unwrap();
                for i in 0..3 {
                    assert!(
                        (out[i] - want[k][i]).abs() <= 1e-15 * want[k][i].abs().max(1.0),
                        "d = {d}, frame {k}, node {i}: {} vs {}",
                        out[i],
                        want[k][i]
                    );
                }
            }
            // The offset must matter once the history has filled (frames ≥ 2).
            if d > 0 {
                let sync = by_hand(0, &mask, &u, &cfg);
                assert_ne!(sync[4], want[4], "d = {d}");
            }
        }
    }
}

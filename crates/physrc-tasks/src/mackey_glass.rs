//! Mackey–Glass delay differential equation.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::error::{check_length, invalid, positive};
use crate::{Dataset, Targets, TaskError};

const TASK: &str = "mackey-glass";

/// Largest history buffer (`tau / dt` steps) accepted, a guard against a typo in `dt`.
const MAX_DELAY_STEPS: usize = 10_000_000;

/// Mackey–Glass chaotic time-series prediction (Mackey & Glass 1977, Science 197; the ESN
/// benchmark of Jaeger & Haas 2004, Science 304).
///
/// ```text
/// dx/dt = a·x(t−τ) / (1 + x(t−τ)ⁿ) − b·x(t),   a = 0.2, b = 0.1, n = 10, τ = 17, x0 = 1.2
/// ```
///
/// With τ = 17 the attractor is chaotic (low-dimensional, largest Lyapunov exponent of
/// order 10⁻² per time unit, Farmer 1982), so the task measures how well a reservoir learns a smooth
/// chaotic flow: `t + k` prediction (Stenning et al. 2024 use k = 1, 3, 5, 7, 9, 11) and,
/// by feeding the prediction back, free-running generation.
///
/// # Integration
///
/// Classical RK4 with step `dt` (default 0.1). `τ/dt` must be an integer (170 by default),
/// so the delayed value at the start and end of every step is a stored grid value. The RK4
/// midpoint stages need the delayed value half a step off the grid; it is taken from the
/// cubic Hermite interpolant through the two neighbouring grid values and their derivatives
/// (the derivative at a grid point is the right-hand side, already computed as that step's
/// first stage), which is fourth-order accurate and so keeps the scheme fourth order. Only
/// the last `τ/dt + 2` grid values are kept.
///
/// The history is constant, `x(t) = x0` for `t ∈ [−τ, 0]`.
///
/// # Sampling and alignment
///
/// The solution is sampled every `sample_interval` time units (default 1; 3 is also common
/// in ESN papers; it must be a whole number of `dt` steps). The first `discard` samples
/// (default 1000) are the transient from the constant history and are dropped. Row `t` has
/// input `x(t_s)` and, for each prediction horizon `k` (in samples, default `[1]`), one
/// target column `x(t_s + k·sample_interval)`, with `t_s = (discard + t)·sample_interval`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MackeyGlass {
    /// Production rate `a` (default 0.2).
    pub a: f64,
    /// Decay rate `b` (default 0.1).
    pub b: f64,
    /// Hill exponent `n` (default 10).
    pub n: f64,
    /// Delay `τ` (default 17).
    pub tau: f64,
    /// Initial value and constant history `x0` (default 1.2). Must be positive.
    pub x0: f64,
    /// Integration step (default 0.1). `tau` and `sample_interval` must be whole multiples.
    pub dt: f64,
    /// Time between samples (default 1).
    pub sample_interval: f64,
    /// Samples dropped as transient (default 1000).
    pub discard: usize,
    /// Prediction horizons in samples, one target column each (default `[1]`). Each at
    /// least 1.
    pub horizons: Vec<usize>,
}

impl Default for MackeyGlass {
    fn default() -> Self {
        MackeyGlass {
            a: 0.2,
            b: 0.1,
            n: 10.0,
            tau: 17.0,
            x0: 1.2,
            dt: 0.1,
            sample_interval: 1.0,
            discard: 1000,
            horizons: vec![1],
        }
    }
}

/// `value / dt` as a whole number of steps, if it is one (up to rounding of the decimal
/// inputs, such as 17 / 0.1 = 170.00000000000003).
fn whole_steps(value: f64, dt: f64) -> Option<usize> {
    let r = value / dt;
    let k = r.round();
    if k >= 1.0 && (r - k).abs() <= 1e-9 * k && k <= MAX_DELAY_STEPS as f64 {
        Some(k as usize)
    } else {
        None
    }
}

impl MackeyGlass {
    /// Checks the parameters and returns `(τ/dt, sample_interval/dt)` in steps.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] if a rate, the exponent, `tau`, `x0`, `dt` or
    /// `sample_interval` is not finite and positive, `tau` or `sample_interval` is not a whole
    /// multiple of `dt` (at most 10⁷ steps), `horizons` is empty or holds 0, or `discard` or a
    /// horizon exceeds [`MAX_LENGTH`](crate::MAX_LENGTH).
    pub fn validate(&self) -> Result<(usize, usize), TaskError> {
        positive(TASK, "a", self.a)?;
        positive(TASK, "b", self.b)?;
        positive(TASK, "n", self.n)?;
        positive(TASK, "tau", self.tau)?;
        positive(TASK, "x0", self.x0)?;
        positive(TASK, "dt", self.dt)?;
        positive(TASK, "sample_interval", self.sample_interval)?;
        let delay = whole_steps(self.tau, self.dt).ok_or_else(|| {
            invalid(
                TASK,
                "tau",
                format!(
                    "a whole multiple of dt = {} (at most {MAX_DELAY_STEPS} steps)",
                    self.dt
                ),
                self.tau,
            )
        })?;
        let stride = whole_steps(self.sample_interval, self.dt).ok_or_else(|| {
            invalid(
                TASK,
                "sample_interval",
                format!(
                    "a whole multiple of dt = {} (at most {MAX_DELAY_STEPS} steps)",
                    self.dt
                ),
                self.sample_interval,
            )
        })?;
        if self.horizons.is_empty() {
            return Err(invalid(TASK, "horizons", "non-empty", "[]"));
        }
        if let Some(&h) = self
            .horizons
            .iter()
            .find(|&&h| h == 0 || h > crate::MAX_LENGTH)
        {
            return Err(invalid(
                TASK,
                "horizons",
                format!("between 1 and {} samples each", crate::MAX_LENGTH),
                h,
            ));
        }
        if self.discard > crate::MAX_LENGTH {
            return Err(invalid(
                TASK,
                "discard",
                format!("at most {}", crate::MAX_LENGTH),
                self.discard,
            ));
        }
        Ok((delay, stride))
    }

    /// Generates `length` rows: input `x(t_s)`, one target column per horizon.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] for bad parameters or `length` 0;
    /// [`TaskError::Diverged`] if the solution stops being finite (it cannot for positive
    /// parameters; this guards against extreme ones).
    pub fn generate(&self, length: usize) -> Result<Dataset, TaskError> {
        let (delay, stride) = self.validate()?;
        let max_h = self.horizons.iter().copied().max().unwrap_or(1);
        let needed = check_length(TASK, length, self.discard + max_h)?;
        let samples = self.integrate(needed, delay, stride)?;
        let d = self.discard;
        let inputs = Array2::from_shape_fn((length, 1), |(t, _)| samples[d + t]);
        let targets = Array2::from_shape_fn((length, self.horizons.len()), |(t, j)| {
            samples[d + t + self.horizons[j]]
        });
        Dataset::new(TASK, inputs, Targets::Regression(targets), None)
    }

    /// The right-hand side `a·xd/(1 + xdⁿ) − b·x`.
    fn rhs(&self, x: f64, delayed: f64) -> f64 {
        self.a * delayed / (1.0 + delayed.powf(self.n)) - self.b * x
    }

    /// Integrates and returns `count` samples `x(k·sample_interval)`, `k = 0..count`.
    fn integrate(&self, count: usize, delay: usize, stride: usize) -> Result<Vec<f64>, TaskError> {
        let dt = self.dt;
        // Ring buffers of grid values x_j and derivatives f_j = rhs(x_j, x_{j−delay}). Step
        // j → j+1 reads grid points j − delay and j − delay + 1 while j is the newest stored,
        // so delay + 2 slots suffice.
        let cap = delay + 2;
        let slot = |j: usize| j % cap;
        let mut xs = vec![self.x0; cap];
        let mut fs = vec![0.0; cap];
        // The history is constant, so x(−τ) = x0 and f_0 is the right derivative at t = 0.
        fs[0] = self.rhs(self.x0, self.x0);

        let mut samples = Vec::with_capacity(count);
        let mut j: usize = 0;
        loop {
            let x = xs[slot(j)];
            if j % stride == 0 {
                samples.push(x);
                if samples.len() == count {
                    return Ok(samples);
                }
            }
            // Delayed values at the middle and end of the step: the interval [i, i+1] with
            // i = j − delay. For j < delay it lies in the constant history (i + 1 ≤ 0).
            let (mid, end) = if j < delay {
                (self.x0, self.x0)
            } else {
                let i = j - delay;
                let (xa, fa) = (xs[slot(i)], fs[slot(i)]);
                let (xb, fb) = (xs[slot(i + 1)], fs[slot(i + 1)]);
                // Cubic Hermite interpolant at the interval midpoint.
                (0.5 * (xa + xb) + dt * (fa - fb) / 8.0, xb)
            };
            let k1 = fs[slot(j)];
            let k2 = self.rhs(x + 0.5 * dt * k1, mid);
            let k3 = self.rhs(x + 0.5 * dt * k2, mid);
            let k4 = self.rhs(x + dt * k3, end);
            let next = x + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
            j += 1;
            if !next.is_finite() {
                return Err(TaskError::Diverged {
                    task: TASK,
                    detail: format!("the solution became {next} at t = {}", j as f64 * dt),
                });
            }
            // `end` is x(t_j − τ) for the new grid point.
            xs[slot(j)] = next;
            fs[slot(j)] = self.rhs(next, end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use physrc_core::{ErrorKind, HasErrorKind};

    fn series(cfg: &MackeyGlass, length: usize) -> (Vec<f64>, Array2<f64>) {
        let d = cfg.generate(length).unwrap();
        let Targets::Regression(y) = d.targets else {
            panic!("mackey-glass targets are regression")
        };
        (d.inputs.column(0).to_vec(), y)
    }

    #[test]
    fn converged_against_a_ten_times_finer_step() {
        // RK4 is fourth order, so dt = 0.1 and dt = 0.01 must agree closely on the first
        // samples after the 1000-unit transient, before chaos (λ of order 10⁻² per unit)
        // amplifies the difference.
        let coarse = MackeyGlass::default();
        let fine = MackeyGlass {
            dt: 0.01,
            ..MackeyGlass::default()
        };
        let (xc, _) = series(&coarse, 300);
        let (xf, _) = series(&fine, 300);
        let worst = xc
            .iter()
            .zip(&xf)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        // Measured: 2.2e-7 over these 300 samples.
        assert!(worst < 1e-6, "max |Δ| = {worst}");
    }

    #[test]
    fn fourth_order_convergence() {
        // Halving dt must shrink the error against a dt = 0.01 reference by about 2⁴ = 16
        // (measured 16.0), which also shows the Hermite midpoint keeps RK4 fourth order
        // (linear interpolation would cap it at second order).
        let run = |dt: f64| {
            series(
                &MackeyGlass {
                    dt,
                    ..MackeyGlass::default()
                },
                300,
            )
            .0
        };
        let reference = run(0.01);
        let err = |x: &[f64]| {
            x.iter()
                .zip(&reference)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max)
        };
        let ratio = err(&run(0.1)) / err(&run(0.05));
        assert!((12.0..20.0).contains(&ratio), "error ratio {ratio}");
    }

    #[test]
    fn satisfies_the_delay_equation() {
        // Independent of the integrator: sample every dt, then the central difference of
        // the samples must match the right-hand side with the delayed sample 170 steps back.
        let cfg = MackeyGlass {
            sample_interval: 0.1,
            discard: 10_000,
            ..MackeyGlass::default()
        };
        let (x, _) = series(&cfg, 2_000);
        let h = 0.1;
        let lag = 170;
        let mut worst: f64 = 0.0;
        for t in lag + 1..x.len() - 1 {
            let dxdt = (x[t + 1] - x[t - 1]) / (2.0 * h);
            let xd = x[t - lag];
            let rhs = 0.2 * xd / (1.0 + xd.powi(10)) - 0.1 * x[t];
            worst = worst.max((dxdt - rhs).abs());
        }
        // Central-difference error h²/6·|x'''| is about 1e-4 here.
        assert!(worst < 1e-3, "max |dx/dt − rhs| = {worst}");
    }

    #[test]
    fn chaotic_statistics_and_horizons() {
        let cfg = MackeyGlass {
            horizons: vec![1, 3, 11],
            ..MackeyGlass::default()
        };
        let (x, y) = series(&cfg, 10_000);
        let min = x.iter().cloned().fold(f64::MAX, f64::min);
        let max = x.iter().cloned().fold(f64::MIN, f64::max);
        // The τ = 17 attractor lies in about [0.2, 1.4] (Mackey & Glass 1977; Jaeger's plots).
        assert!(min > 0.2 && max < 1.4, "range [{min}, {max}]");
        assert!(
            min < 0.5 && max > 1.2,
            "range [{min}, {max}] too narrow for chaos"
        );
        // Columns are the input shifted by each horizon.
        assert_eq!(y.ncols(), 3);
        for t in 0..x.len() - 11 {
            assert_eq!(y[[t, 0]], x[t + 1]);
            assert_eq!(y[[t, 1]], x[t + 3]);
            assert_eq!(y[[t, 2]], x[t + 11]);
        }
        // Not periodic: no lag between 10 and 300 samples (the quasi-period is about 50)
        // repeats the sequence.
        for lag in 10..300 {
            let diff = (0..2000)
                .map(|t| (x[t] - x[t + lag]).abs())
                .fold(0.0, f64::max);
            assert!(diff > 0.1, "looks periodic with lag {lag}");
        }
    }

    #[test]
    fn sampling_every_three_units_subsamples() {
        let one = MackeyGlass {
            discard: 300,
            ..MackeyGlass::default()
        };
        let three = MackeyGlass {
            sample_interval: 3.0,
            discard: 100,
            ..MackeyGlass::default()
        };
        let (x1, _) = series(&one, 300);
        let (x3, _) = series(&three, 100);
        for k in 0..100 {
            assert!((x3[k] - x1[3 * k]).abs() < 1e-12, "sample {k}");
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        let bad = |cfg: MackeyGlass| cfg.generate(10).unwrap_err();
        let e = bad(MackeyGlass {
            tau: 17.05,
            ..MackeyGlass::default()
        });
        assert_eq!(e.kind(), ErrorKind::InvalidParameter);
        assert!(
            e.to_string()
                .contains("`tau` must be a whole multiple of dt"),
            "{e}"
        );
        let e = bad(MackeyGlass {
            dt: f64::INFINITY,
            ..MackeyGlass::default()
        });
        assert!(
            e.to_string().contains("`dt` must be finite and positive"),
            "{e}"
        );
        let e = bad(MackeyGlass {
            horizons: vec![],
            ..MackeyGlass::default()
        });
        assert!(e.to_string().contains("`horizons`"), "{e}");
        let e = bad(MackeyGlass {
            horizons: vec![1, 0],
            ..MackeyGlass::default()
        });
        assert!(e.to_string().contains("got 0"), "{e}");
        let e = bad(MackeyGlass {
            x0: -1.0,
            ..MackeyGlass::default()
        });
        assert!(e.to_string().contains("`x0`"), "{e}");
        let e = bad(MackeyGlass {
            dt: 1e-9,
            ..MackeyGlass::default()
        });
        assert!(e.to_string().contains("at most 10000000 steps"), "{e}");
        assert!(MackeyGlass::default().generate(0).is_err());
    }
}

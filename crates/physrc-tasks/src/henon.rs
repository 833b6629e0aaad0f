//! The Hénon map, clean and with Zhong's process noise.

use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::error::{check_length, finite, invalid, non_negative};
use crate::{Dataset, Targets, TaskError};

/// Beyond this magnitude an orbit has left the attractor's basin and runs off to infinity.
/// The attractor itself lies within |x| < 1.3.
const ESCAPE_BOUND: f64 = 1e3;

/// One-step prediction of the classic Hénon map (Hénon 1976, Commun. Math. Phys. 50).
///
/// ```text
/// x(n+1) = 1 − 1.4·x(n)² + y(n),   y(n+1) = 0.3·x(n)
/// ```
///
/// A two-dimensional chaotic map; the reservoir sees only `x`, so predicting `x(n+1)` needs
/// a quadratic function of the current input plus one step of memory (`y(n) = 0.3·x(n−1)`).
///
/// Row `t` has input `x(n)` and target `x(n+1)`, with `n = burn_in + t`; the orbit starts at
/// `(x0, y0)` (default `(0, 0)`, which lies in the basin of the attractor) and the first
/// `burn_in` iterates (default 100) are dropped so the data lies on the attractor. The map is
/// deterministic, so there is no seed: vary `x0`/`y0` for independent trajectories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Henon {
    /// Initial `x` (default 0).
    pub x0: f64,
    /// Initial `y` (default 0).
    pub y0: f64,
    /// Iterates dropped before the first row (default 100).
    pub burn_in: usize,
}

impl Default for Henon {
    fn default() -> Self {
        Henon {
            x0: 0.0,
            y0: 0.0,
            burn_in: 100,
        }
    }
}

impl Henon {
    const TASK: &'static str = "henon";

    /// Checks the parameters.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] if `x0` or `y0` is not finite or `burn_in` exceeds
    /// [`MAX_LENGTH`](crate::MAX_LENGTH).
    pub fn validate(&self) -> Result<(), TaskError> {
        finite(Self::TASK, "x0", self.x0)?;
        finite(Self::TASK, "y0", self.y0)?;
        check_burn_in(Self::TASK, self.burn_in)
    }

    /// Generates `length` rows: input `x(n)`, target `x(n+1)`.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] for bad parameters or `length` 0;
    /// [`TaskError::Diverged`] if the initial point lies outside the attractor's basin and
    /// the orbit runs off.
    pub fn generate(&self, length: usize) -> Result<Dataset, TaskError> {
        self.validate()?;
        // x(0) … x(burn_in + length): one more than the rows, for the last target.
        let total = check_length(Self::TASK, length, self.burn_in + 1)?;
        let mut xs = Vec::with_capacity(total);
        let (mut x, mut y) = (self.x0, self.y0);
        xs.push(x);
        for n in 1..total {
            (x, y) = (1.0 - 1.4 * x * x + y, 0.3 * x);
            check_orbit(Self::TASK, x, n)?;
            xs.push(x);
        }
        series_dataset(Self::TASK, &xs, self.burn_in, length, None)
    }
}

/// One-step prediction of the Hénon map with additive process noise, as used by Zhong et al.
/// 2021 (Nat. Commun. 12, 408) for a memristor reservoir (NRMSE 0.046 there).
///
/// ```text
/// x(n) = 1 − 1.4·x(n−1)² + 0.3·x(n−2) + w(n),   w(n) ~ N(0, σ²), σ = 0.0025
/// ```
///
/// Eliminating `y` from the classic map gives exactly this recurrence with `w = 0`. The
/// paper writes the noise as N(0, 0.0025²), which we read as a standard deviation of 0.0025
/// (`sigma`, configurable); the noise makes the sequence only partly predictable, so the
/// best achievable NRMSE is bounded below by the noise.
///
/// The recursion starts from `x(−2) = x(−1) = 0`; the first `burn_in` values (default 100)
/// are dropped. Row `t` has input `x(n)` and target `x(n+1)`, with `n = burn_in + t`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HenonZhong {
    /// Standard deviation of the process noise (default 0.0025). Non-negative.
    pub sigma: f64,
    /// Seed of the noise (default 0).
    pub seed: u64,
    /// Values dropped before the first row (default 100).
    pub burn_in: usize,
}

impl Default for HenonZhong {
    fn default() -> Self {
        HenonZhong {
            sigma: 0.0025,
            seed: 0,
            burn_in: 100,
        }
    }
}

impl HenonZhong {
    const TASK: &'static str = "henon-zhong";

    /// Checks the parameters.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] if `sigma` is negative or not finite, or `burn_in`
    /// exceeds [`MAX_LENGTH`](crate::MAX_LENGTH).
    pub fn validate(&self) -> Result<(), TaskError> {
        non_negative(Self::TASK, "sigma", self.sigma)?;
        check_burn_in(Self::TASK, self.burn_in)
    }

    /// Generates `length` rows: input `x(n)`, target `x(n+1)`.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] for bad parameters or `length` 0;
    /// [`TaskError::Diverged`] if the noise kicks the orbit out of the attractor's basin
    /// (not observed at σ = 0.0025; possible for large `sigma`).
    pub fn generate(&self, length: usize) -> Result<Dataset, TaskError> {
        self.validate()?;
        let total = check_length(Self::TASK, length, self.burn_in + 1)?;
        let noise = Normal::new(0.0, self.sigma)
            .map_err(|e| invalid(Self::TASK, "sigma", e.to_string(), self.sigma))?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut xs = Vec::with_capacity(total);
        let (mut prev2, mut prev1) = (0.0, 0.0);
        for n in 0..total {
            let x = 1.0 - 1.4 * prev1 * prev1 + 0.3 * prev2 + noise.sample(&mut rng);
            check_orbit(Self::TASK, x, n)?;
            xs.push(x);
            (prev2, prev1) = (prev1, x);
        }
        series_dataset(Self::TASK, &xs, self.burn_in, length, None)
    }
}

fn check_burn_in(task: &'static str, burn_in: usize) -> Result<(), TaskError> {
    if burn_in > crate::MAX_LENGTH {
        return Err(invalid(
            task,
            "burn_in",
            format!("at most {}", crate::MAX_LENGTH),
            burn_in,
        ));
    }
    Ok(())
}

fn check_orbit(task: &'static str, x: f64, n: usize) -> Result<(), TaskError> {
    if x.is_finite() && x.abs() <= ESCAPE_BOUND {
        Ok(())
    } else {
        Err(TaskError::Diverged {
            task,
            detail: format!(
                "the orbit left the attractor's basin (x = {x} at iterate {n}); \
                 start closer to the attractor or lower the noise"
            ),
        })
    }
}

/// Rows `t = 0..length`: input `xs[skip + t]`, target `xs[skip + t + 1]`.
pub(crate) fn series_dataset(
    name: &str,
    xs: &[f64],
    skip: usize,
    length: usize,
    input_range: Option<(f64, f64)>,
) -> Result<Dataset, TaskError> {
    let inputs = Array2::from_shape_fn((length, 1), |(t, _)| xs[skip + t]);
    let targets = Array2::from_shape_fn((length, 1), |(t, _)| xs[skip + t + 1]);
    Dataset::new(name, inputs, Targets::Regression(targets), input_range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use physrc_core::{ErrorKind, HasErrorKind};

    fn xy(d: &Dataset) -> (Vec<f64>, Vec<f64>) {
        let Targets::Regression(y) = &d.targets else {
            panic!("henon targets are regression")
        };
        (d.inputs.column(0).to_vec(), y.column(0).to_vec())
    }

    #[test]
    fn classic_first_iterates_by_hand() {
        // From (0, 0): x1 = 1, y1 = 0; x2 = 1 − 1.4 = −0.4, y2 = 0.3;
        // x3 = 1 − 1.4·0.16 + 0.3 = 1.076, y3 = −0.12; x4 = 1 − 1.4·1.076² − 0.12.
        let d = Henon {
            burn_in: 0,
            ..Henon::default()
        }
        .generate(4)
        .unwrap();
        let (x, y) = xy(&d);
        assert_eq!(x[0], 0.0);
        assert_eq!(y[0], 1.0);
        assert!((y[1] + 0.4).abs() < 1e-15);
        assert!((y[2] - 1.076).abs() < 1e-15);
        assert!((y[3] - (1.0 - 1.4 * 1.076 * 1.076 - 0.12)).abs() < 1e-14);
        assert_eq!(&x[1..], &y[..3]);
    }

    #[test]
    fn classic_recurrence_on_the_attractor() {
        let d = Henon::default().generate(10_000).unwrap();
        let (x, y) = xy(&d);
        for t in 1..x.len() {
            // y(n) = 0.3·x(n−1), so x(n+1) = 1 − 1.4·x(n)² + 0.3·x(n−1).
            let expect = 1.0 - 1.4 * x[t] * x[t] + 0.3 * x[t - 1];
            assert!((y[t] - expect).abs() < 1e-12, "row {t}");
        }
        // The attractor spans x ∈ [−1.2846, 1.2730] (Hénon 1976).
        let min = x.iter().cloned().fold(f64::MAX, f64::min);
        let max = x.iter().cloned().fold(f64::MIN, f64::max);
        assert!(
            min > -1.29 && min < -1.25 && max > 1.24 && max < 1.28,
            "[{min}, {max}]"
        );
    }

    #[test]
    fn zhong_noise_has_the_documented_std() {
        // The residual of the deterministic recurrence is the noise w(n+1).
        let d = HenonZhong::default().generate(100_000).unwrap();
        let (x, y) = xy(&d);
        let w: Vec<f64> = (1..x.len())
            .map(|t| y[t] - (1.0 - 1.4 * x[t] * x[t] + 0.3 * x[t - 1]))
            .collect();
        let mean = w.iter().sum::<f64>() / w.len() as f64;
        let std = (w.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / w.len() as f64).sqrt();
        assert!(mean.abs() < 5e-5, "mean {mean}");
        assert!((std / 0.0025 - 1.0).abs() < 0.02, "std {std}");
    }

    #[test]
    fn zhong_without_noise_is_the_classic_map() {
        // x(−2) = x(−1) = 0 gives x(0) = 1, which is the classic map's x(1) from (0, 0).
        let z = HenonZhong {
            sigma: 0.0,
            ..HenonZhong::default()
        }
        .generate(500)
        .unwrap();
        let c = Henon {
            burn_in: 101,
            ..Henon::default()
        }
        .generate(500)
        .unwrap();
        assert_eq!(z.inputs, c.inputs);
        assert_eq!(z.targets, c.targets);
    }

    #[test]
    fn zhong_stays_on_the_attractor_for_several_seeds() {
        for seed in 0..4 {
            let d = HenonZhong {
                seed,
                ..HenonZhong::default()
            }
            .generate(100_000)
            .unwrap();
            assert!(d.inputs.iter().all(|v| v.abs() < 1.4));
        }
    }

    #[test]
    fn errors() {
        let e = Henon {
            x0: 5.0,
            ..Henon::default()
        }
        .generate(10)
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Diverged);
        let e = Henon {
            y0: f64::NAN,
            ..Henon::default()
        }
        .generate(10)
        .unwrap_err();
        assert_eq!(e.to_string(), "henon: `y0` must be finite, got NaN");
        let e = HenonZhong {
            sigma: -0.1,
            ..HenonZhong::default()
        }
        .generate(10)
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidParameter);
        let e = HenonZhong {
            sigma: 1.0,
            ..HenonZhong::default()
        }
        .generate(10_000)
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Diverged);
        assert!(HenonZhong::default().generate(0).is_err());
    }
}

//! Input streams for memory capacity and information processing capacity.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::check_length;
use crate::{Dataset, Targets, TaskError};

const TASK: &str = "memory-capacity";

/// The i.i.d. input stream for memory capacity (Jaeger 2001, GMD Report 152) and information
/// processing capacity (Dambre et al. 2012, Sci. Rep. 2, 514): `u(t) ~ U[−1, 1]`.
///
/// Memory capacity `MC = Σ_k MC_k` with `MC_k = cov²(u(t−k), ŷ_k(t)) / (var u · var ŷ_k)`
/// needs one readout per delay `k`, up to about twice the reservoir size, so the delayed
/// targets depend on the reservoir and are built by the runner from the inputs. The dataset's
/// target is the input itself (delay 0, `MC_0`), which keeps it a well-formed regression
/// dataset that any runner can fit. The uniform stream on `[−1, 1]` is also the one whose
/// normalised Legendre polynomials give IPC's orthogonal target basis.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryCapacity {
    /// Seed of the stream (default 0).
    pub seed: u64,
}

impl MemoryCapacity {
    /// Generates `length` i.i.d. samples of `U[−1, 1]`; the target is the input (delay 0).
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] if `length` is 0.
    pub fn generate(&self, length: usize) -> Result<Dataset, TaskError> {
        check_length(TASK, length, 0)?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let inputs = Array2::from_shape_fn((length, 1), |_| rng.random_range(-1.0..=1.0));
        let targets = Targets::Regression(inputs.clone());
        Dataset::new(TASK, inputs, targets, Some((-1.0, 1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_on_minus_one_one() {
        let d = MemoryCapacity::default().generate(100_000).unwrap();
        let u = d.inputs.column(0);
        assert!(u.iter().all(|v| (-1.0..=1.0).contains(v)));
        let mean = u.sum() / u.len() as f64;
        let var = u.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / u.len() as f64;
        // U[−1, 1]: mean 0, variance 1/3.
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0 / 3.0).abs() < 0.005, "var {var}");
        // Successive samples uncorrelated.
        let lag1 = (1..u.len()).map(|t| u[t] * u[t - 1]).sum::<f64>() / (u.len() - 1) as f64;
        assert!(lag1.abs() < 0.01, "lag-1 {lag1}");
        assert_eq!(d.targets, Targets::Regression(d.inputs.clone()));
    }
}

//! Sine versus square waveform classification.

use std::f64::consts::PI;

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{check_length, invalid};
use crate::{Dataset, Targets, TaskError};

const TASK: &str = "sine-square";

/// Class label of a sine period.
pub const SINE: usize = 0;
/// Class label of a square period.
pub const SQUARE: usize = 1;

/// Sine versus square classification (Paquot et al. 2012; Torrejon et al. 2017, Nature 547;
/// Zhong et al. 2021, Nat. Commun. 12; Marković et al. 2019 report > 99 % with a spin-torque
/// oscillator).
///
/// A random sequence of whole periods, each a sine or a square wave with equal probability:
/// sine samples `sin(2πk/P)`, square samples `+1` for the first `P/2` and `−1` for the last
/// `P/2`, `k = 0..P`, `P = samples_per_period` (default 8). The two waveforms agree in sign
/// at every sample, so the reservoir must use the amplitude pattern and remember where in
/// the period it is: a short-memory, mildly nonlinear classification.
///
/// Every sample carries the label of its period ([`SINE`] = 0, [`SQUARE`] = 1), as in
/// the papers' scoring by accuracy (Zhong also reports NRMSE on the label). If `length` is
/// not a multiple of `P` the last period is cut short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SineSquare {
    /// Seed of the period sequence (default 0).
    pub seed: u64,
    /// Samples per period `P` (default 8). Even and at least 2.
    pub samples_per_period: usize,
}

impl Default for SineSquare {
    fn default() -> Self {
        SineSquare {
            seed: 0,
            samples_per_period: 8,
        }
    }
}

impl SineSquare {
    /// Checks the parameters.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] if `samples_per_period` is odd, below 2 or above
    /// [`MAX_LENGTH`](crate::MAX_LENGTH).
    pub fn validate(&self) -> Result<(), TaskError> {
        let p = self.samples_per_period;
        if p < 2 || p % 2 != 0 || p > crate::MAX_LENGTH {
            return Err(invalid(
                TASK,
                "samples_per_period",
                format!("even and between 2 and {}", crate::MAX_LENGTH),
                p,
            ));
        }
        Ok(())
    }

    /// Generates `length` samples with their period's label.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] for bad parameters or `length` 0.
    pub fn generate(&self, length: usize) -> Result<Dataset, TaskError> {
        self.validate()?;
        check_length(TASK, length, 0)?;
        let p = self.samples_per_period;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut inputs = Array2::zeros((length, 1));
        let mut labels = Array1::zeros(length);
        let mut class = SINE;
        for t in 0..length {
            let k = t % p;
            if k == 0 {
                class = if rng.random_bool(0.5) { SQUARE } else { SINE };
            }
            inputs[[t, 0]] = match class {
                SINE => (2.0 * PI * k as f64 / p as f64).sin(),
                _ if 2 * k < p => 1.0,
                _ => -1.0,
            };
            labels[t] = class;
        }
        Dataset::new(
            TASK,
            inputs,
            Targets::Classes {
                labels,
                n_classes: 2,
            },
            Some((-1.0, 1.0)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waveforms_and_labels_per_period() {
        let d = SineSquare::default().generate(8 * 200 + 5).unwrap();
        let Targets::Classes { labels, n_classes } = &d.targets else {
            panic!("classes")
        };
        assert_eq!(*n_classes, 2);
        let u = d.inputs.column(0);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let sine = [0.0, h, 1.0, h, 0.0, -h, -1.0, -h];
        let square = [1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0];
        let mut counts = [0; 2];
        for start in (0..d.len()).step_by(8) {
            let end = (start + 8).min(d.len());
            let class = labels[start];
            // One label per period.
            assert!((start..end).all(|t| labels[t] == class));
            let wave = if class == SINE { &sine } else { &square };
            for t in start..end {
                assert!((u[t] - wave[t - start]).abs() < 1e-15, "t = {t}");
            }
            counts[class] += 1;
        }
        // 201 fair coin flips: both classes well represented.
        assert!(counts[0] > 70 && counts[1] > 70, "{counts:?}");
    }

    #[test]
    fn rejects_odd_period() {
        let e = SineSquare {
            samples_per_period: 7,
            ..SineSquare::default()
        }
        .generate(10)
        .unwrap_err();
        assert!(
            e.to_string().contains("`samples_per_period` must be even"),
            "{e}"
        );
    }
}

//! Signal transformation: sine in, another waveform out.

use std::f64::consts::PI;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::error::{check_length, invalid};
use crate::{Dataset, Targets, TaskError};

const TASK: &str = "transform";

/// Which waveform the reservoir must produce from the sine input.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum TransformTarget {
    /// `cos(2t)·sin(3t) = ½(sin t + sin 5t)`: needs odd harmonics up to the fifth.
    #[default]
    #[serde(rename = "cos2t-sin3t")]
    Cos2tSin3t,
    /// `square(t) = sign(sin t)`: +1 on `[0, π)`, −1 on `[π, 2π)` of each period (all odd
    /// harmonics; the hardest of the three for a smooth reservoir).
    #[serde(rename = "square")]
    Square,
    /// `cos t`: a quarter-period phase shift (memory, no nonlinearity).
    #[serde(rename = "cos")]
    Cos,
}

/// Signal transformation (Gartside et al. 2022, Nat. Nanotechnol. 17; Stenning et al. 2024,
/// Nat. Commun. 15): input `sin t`, target one of `cos(2t)·sin(3t)`, `square(t)` or
/// `cos t`.
///
/// It measures which harmonics and phase shifts a reservoir can generate from a pure tone:
/// `cos t` needs memory (a phase shift), the other two need nonlinearity (higher odd
/// harmonics).
///
/// The input is sampled at `t_k = 2π·k / samples_per_period` (default 32 samples per period,
/// step 2π/32 ≈ 0.196, enough to resolve the fifth harmonic of `cos(2t)·sin(3t)` with about
/// 6 samples per its period). The phase is computed from `k mod samples_per_period`, so
/// samples are exact and periodic however long the sequence. Row `k` has input `sin t_k`
/// and the target at the same `t_k`. The signal is deterministic: no seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SignalTransform {
    /// The target waveform (default `"cos2t-sin3t"`).
    pub target: TransformTarget,
    /// Samples per period of the input sine (default 32). At least 4.
    pub samples_per_period: usize,
}

impl Default for SignalTransform {
    fn default() -> Self {
        SignalTransform {
            target: TransformTarget::Cos2tSin3t,
            samples_per_period: 32,
        }
    }
}

impl SignalTransform {
    /// Checks the parameters.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] if `samples_per_period` is below 4 (a square wave and
    /// a cosine need at least four samples per period to be told apart from the sine) or
    /// above [`MAX_LENGTH`](crate::MAX_LENGTH).
    pub fn validate(&self) -> Result<(), TaskError> {
        if !(4..=crate::MAX_LENGTH).contains(&self.samples_per_period) {
            return Err(invalid(
                TASK,
                "samples_per_period",
                format!("between 4 and {}", crate::MAX_LENGTH),
                self.samples_per_period,
            ));
        }
        Ok(())
    }

    /// Generates `length` rows: input `sin t_k`, target the chosen waveform at `t_k`.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] for bad parameters or `length` 0.
    pub fn generate(&self, length: usize) -> Result<Dataset, TaskError> {
        self.validate()?;
        check_length(TASK, length, 0)?;
        let p = self.samples_per_period;
        let phase = |k: usize| 2.0 * PI * (k % p) as f64 / p as f64;
        let inputs = Array2::from_shape_fn((length, 1), |(k, _)| phase(k).sin());
        let targets = Array2::from_shape_fn((length, 1), |(k, _)| {
            let t = phase(k);
            match self.target {
                TransformTarget::Cos2tSin3t => (2.0 * t).cos() * (3.0 * t).sin(),
                // Decided on the integer phase so sin's rounding at t = π cannot flip a sign.
                TransformTarget::Square => {
                    if 2 * (k % p) < p {
                        1.0
                    } else {
                        -1.0
                    }
                }
                TransformTarget::Cos => t.cos(),
            }
        });
        let name = match self.target {
            TransformTarget::Cos2tSin3t => "transform-cos2t-sin3t",
            TransformTarget::Square => "transform-square",
            TransformTarget::Cos => "transform-cos",
        };
        Dataset::new(
            name,
            inputs,
            Targets::Regression(targets),
            Some((-1.0, 1.0)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(which: TransformTarget, p: usize, len: usize) -> (Vec<f64>, Vec<f64>) {
        let d = SignalTransform {
            target: which,
            samples_per_period: p,
        }
        .generate(len)
        .unwrap();
        let Targets::Regression(y) = &d.targets else {
            panic!("regression")
        };
        (d.inputs.column(0).to_vec(), y.column(0).to_vec())
    }

    #[test]
    fn waveforms_at_known_phases() {
        // 8 samples per period: t_k = kπ/4.
        let (u, y) = target(TransformTarget::Cos2tSin3t, 8, 16);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let expect_u = [0.0, h, 1.0, h, 0.0, -h, -1.0, -h];
        // cos(2t)·sin(3t) at t = kπ/4.
        let expect_y = [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0];
        for k in 0..16 {
            assert!((u[k] - expect_u[k % 8]).abs() < 1e-15, "u[{k}]");
            assert!((y[k] - expect_y[k % 8]).abs() < 1e-15, "y[{k}]");
        }
        let (_, sq) = target(TransformTarget::Square, 8, 16);
        assert_eq!(&sq[..8], &[1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0]);
        assert_eq!(&sq[8..], &sq[..8]);
        let (_, c) = target(TransformTarget::Cos, 8, 8);
        let expect_c = [1.0, h, 0.0, -h, -1.0, -h, 0.0, h];
        for k in 0..8 {
            assert!((c[k] - expect_c[k]).abs() < 1e-15, "cos[{k}]");
        }
    }

    #[test]
    fn product_identity_and_square_is_sign_of_sine() {
        let (u, y) = target(TransformTarget::Cos2tSin3t, 32, 1000);
        let (_, sq) = target(TransformTarget::Square, 32, 1000);
        for k in 0..1000 {
            // cos 2t · sin 3t = ½(sin t + sin 5t), and sin 5t from the integer phase.
            let t = 2.0 * std::f64::consts::PI * (k % 32) as f64 / 32.0;
            assert!((y[k] - 0.5 * (u[k] + (5.0 * t).sin())).abs() < 1e-14);
            if u[k].abs() > 1e-12 {
                assert_eq!(sq[k], u[k].signum(), "k = {k}");
            }
        }
    }

    #[test]
    fn rejects_too_few_samples_per_period() {
        let e = SignalTransform {
            samples_per_period: 3,
            ..SignalTransform::default()
        }
        .generate(10)
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "transform: `samples_per_period` must be between 4 and 100000000, got 3"
        );
    }
}

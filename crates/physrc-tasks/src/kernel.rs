//! Input streams for information processing capacity and for kernel quality and
//! generalisation rank.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{check_length, invalid};
use crate::{Dataset, MemoryCapacity, TaskError};

const IPC: &str = "ipc";
const KERNEL: &str = "kernel-rank";

/// Information processing capacity (Dambre, Verstraeten, Schrauwen & Massar, Sci. Rep. 2, 514
/// (2012)): the i.i.d. `U[−1, 1]` stream of [`MemoryCapacity`], scored by the runner against
/// every product of normalised Legendre polynomials of delayed inputs up to `max_degree`
/// (`physrc_readout::information_processing_capacity`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InformationProcessingCapacity {
    /// Seed of the stream (default 0).
    pub seed: u64,
    /// Largest total degree of the target polynomials (default 3: linear memory, quadratic
    /// and cubic terms).
    pub max_degree: usize,
    /// Largest delay of a factor (default 20). With `max_degree` 3 that is 1,770 targets.
    pub max_delay: usize,
}

impl Default for InformationProcessingCapacity {
    fn default() -> Self {
        InformationProcessingCapacity {
            seed: 0,
            max_degree: 3,
            max_delay: 20,
        }
    }
}

impl InformationProcessingCapacity {
    /// Checks the parameters.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] if `max_degree` is not in `1..=5` or `max_delay` is
    /// above 200 (beyond those the number of targets explodes).
    pub fn validate(&self) -> Result<(), TaskError> {
        if !(1..=5).contains(&self.max_degree) {
            return Err(invalid(IPC, "max_degree", "in 1..=5", self.max_degree));
        }
        if self.max_delay > 200 {
            return Err(invalid(IPC, "max_delay", "at most 200", self.max_delay));
        }
        Ok(())
    }

    /// Generates `length` i.i.d. samples of `U[−1, 1]` (the target is the input itself, as for
    /// [`MemoryCapacity`]).
    ///
    /// # Errors
    ///
    /// As [`InformationProcessingCapacity::validate`]; also if `length` is 0.
    pub fn generate(&self, length: usize) -> Result<Dataset, TaskError> {
        self.validate()?;
        let d = MemoryCapacity {
            seed: self.seed,
            ..MemoryCapacity::default()
        }
        .generate(length)?;
        Dataset::new(IPC, d.inputs, d.targets, Some((-1.0, 1.0)))
    }
}

/// Kernel quality and generalisation rank (Legenstein & Maass, Neural Networks 20, 323
/// (2007)): the substrate is reset and driven by `streams` separate input streams of `steps`
/// inputs each, and the state after each stream's last input becomes a row of a matrix whose
/// effective rank is measured (`physrc_readout::kernel_quality`,
/// `physrc_readout::generalisation_rank`).
///
/// For kernel quality the streams are independent `U[−1, 1]` sequences. For generalisation
/// rank they share their last `shared` inputs and differ only in the first
/// `steps − shared`, the distant past a readout should be able to ignore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct KernelRank {
    /// Seed of the streams (default 0).
    pub seed: u64,
    /// Number of streams, the rows of the rank matrices (default: the substrate's state
    /// dimension, so that a full rank is the state dimension).
    pub streams: Option<usize>,
    /// Inputs per stream (default 60); `streams × steps` may not exceed
    /// [`MAX_LENGTH`](crate::MAX_LENGTH).
    pub steps: usize,
    /// Inputs at the end of every stream shared by the generalisation streams (default 50).
    pub shared: usize,
    /// Directions of the states whose spread is below this fraction of the largest spread
    /// under independent inputs do not count (default 0.01).
    pub tolerance: f64,
}

impl Default for KernelRank {
    fn default() -> Self {
        KernelRank {
            seed: 0,
            streams: None,
            steps: 60,
            shared: 50,
            tolerance: 0.01,
        }
    }
}

/// Which rank matrix a set of streams is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankStreams {
    /// Independent random streams (kernel quality).
    Independent,
    /// Streams with a shared recent past (generalisation rank).
    SharedTail,
}

impl KernelRank {
    /// Largest number of streams accepted: each is a separate run from reset.
    pub const MAX_STREAMS: usize = 100_000;

    /// Checks the parameters.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] if `steps` is 0 or above
    /// [`MAX_LENGTH`](crate::MAX_LENGTH), `shared >= steps` (the streams must differ
    /// somewhere), `streams` is 0 or above [`KernelRank::MAX_STREAMS`], `streams × steps` is
    /// above [`MAX_LENGTH`](crate::MAX_LENGTH), or `tolerance` is not in `[0, 1)`.
    pub fn validate(&self) -> Result<(), TaskError> {
        if self.steps == 0 {
            return Err(invalid(KERNEL, "steps", "at least 1", self.steps));
        }
        if self.steps > crate::MAX_LENGTH {
            return Err(invalid(
                KERNEL,
                "steps",
                format!("at most {}", crate::MAX_LENGTH),
                self.steps,
            ));
        }
        if self.shared >= self.steps {
            return Err(invalid(
                KERNEL,
                "shared",
                format!("below steps = {} so that the streams differ", self.steps),
                self.shared,
            ));
        }
        if let Some(m) = self.streams {
            if m == 0 || m > Self::MAX_STREAMS {
                return Err(invalid(
                    KERNEL,
                    "streams",
                    format!("in 1..={}", Self::MAX_STREAMS),
                    m,
                ));
            }
            self.check_total(m)?;
        }
        if !(0.0..1.0).contains(&self.tolerance) {
            return Err(invalid(KERNEL, "tolerance", "in [0, 1)", self.tolerance));
        }
        Ok(())
    }

    /// The `m` input streams of one rank matrix: `m × steps` values in `[−1, 1]`, row `i` the
    /// stream `i`. The two kinds use different random draws, and the shared tail of
    /// [`RankStreams::SharedTail`] is one draw copied into every row.
    ///
    /// # Errors
    ///
    /// As [`KernelRank::validate`]; also if `m` is 0.
    pub fn streams(&self, kind: RankStreams, m: usize) -> Result<Array2<f64>, TaskError> {
        self.validate()?;
        check_length(KERNEL, m, 0)?;
        self.check_total(m)?;
        let salt = match kind {
            RankStreams::Independent => 0x6b71,
            RankStreams::SharedTail => 0x6772,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ (salt << 48));
        let mut u = Array2::from_shape_fn((m, self.steps), |_| rng.random_range(-1.0..=1.0));
        if kind == RankStreams::SharedTail {
            let first = self.steps - self.shared;
            let tail: Vec<f64> = (0..self.shared)
                .map(|_| rng.random_range(-1.0..=1.0))
                .collect();
            for mut row in u.rows_mut() {
                for (j, v) in tail.iter().enumerate() {
                    row[first + j] = *v;
                }
            }
        }
        Ok(u)
    }

    /// Every stream is held and driven whole: `m` streams of `steps` inputs are at most
    /// [`MAX_LENGTH`](crate::MAX_LENGTH) inputs in all, as one generated sequence is.
    fn check_total(&self, m: usize) -> Result<(), TaskError> {
        if m.checked_mul(self.steps)
            .is_none_or(|n| n > crate::MAX_LENGTH)
        {
            return Err(invalid(
                KERNEL,
                "steps",
                format!(
                    "such that streams × steps ({m} × {}) is at most {}",
                    self.steps,
                    crate::MAX_LENGTH
                ),
                self.steps,
            ));
        }
        Ok(())
    }

    /// `kernel-rank` drives separate streams from reset, so it has no single sequence; the
    /// runner calls [`KernelRank::streams`] instead.
    ///
    /// # Errors
    ///
    /// Always [`TaskError::InvalidParameter`], naming what to call instead.
    pub fn generate(&self, _length: usize) -> Result<Dataset, TaskError> {
        Err(invalid(
            KERNEL,
            "kind",
            "run through `physrc run`, which resets the substrate for every stream \
             (KernelRank::streams), not generated as one sequence",
            KERNEL,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_tail_streams_differ_only_before_the_tail() {
        let k = KernelRank::default();
        let u = k.streams(RankStreams::SharedTail, 7).unwrap();
        assert_eq!(u.dim(), (7, 60));
        for i in 1..7 {
            assert_eq!(
                u.row(i).slice(ndarray::s![10..]),
                u.row(0).slice(ndarray::s![10..])
            );
            assert_ne!(
                u.row(i).slice(ndarray::s![..10]),
                u.row(0).slice(ndarray::s![..10])
            );
        }
        let v = k.streams(RankStreams::Independent, 7).unwrap();
        assert_ne!(
            v.row(1).slice(ndarray::s![10..]),
            v.row(0).slice(ndarray::s![10..])
        );
        assert!(u.iter().chain(v.iter()).all(|x| (-1.0..=1.0).contains(x)));
        // Same seed, same streams.
        assert_eq!(k.streams(RankStreams::Independent, 7).unwrap(), v);
    }

    #[test]
    fn bad_parameters_are_named() {
        let k = KernelRank {
            shared: 60,
            ..KernelRank::default()
        };
        let e = k.validate().unwrap_err().to_string();
        assert!(e.contains("shared"), "{e}");
        let k = KernelRank {
            streams: Some(0),
            ..KernelRank::default()
        };
        assert!(k.validate().unwrap_err().to_string().contains("streams"));
        let i = InformationProcessingCapacity {
            max_degree: 0,
            ..Default::default()
        };
        assert!(
            i.generate(10)
                .unwrap_err()
                .to_string()
                .contains("max_degree")
        );
        let d = InformationProcessingCapacity::default()
            .generate(50)
            .unwrap();
        assert_eq!(d.name, "ipc");
    }
}

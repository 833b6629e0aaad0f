use ndarray::{Array1, Array2};

use crate::TaskError;

/// One generated benchmark: an input sequence and the targets aligned with it.
///
/// # Alignment
///
/// Row `t` of the targets is what the readout should produce from the reservoir state
/// *after* it has been driven with input row `t`. Each task documents how that maps to the
/// indices of its source paper (for NARMA, row `t` pairs `u(t)` with `y(t+1)`).
///
/// Nothing is washed out here beyond each task's own transient (documented per task); the
/// runner decides the reservoir washout and the train/test split.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Short task name for reports, such as `"narma10"` or `"mackey-glass"`.
    pub name: String,
    /// Raw inputs, `T × d` (not normalised). The runner scales them into `[-1, 1]`.
    pub inputs: Array2<f64>,
    /// Targets, `T` rows aligned with the inputs.
    pub targets: Targets,
    /// The task's natural input range `(low, high)` when it is known a priori (NARMA: `u ∈
    /// [0, 0.5]`), so the runner can normalise exactly instead of from the sample's extremes.
    /// `None` when the inputs are unbounded (noise) or only known empirically.
    pub input_range: Option<(f64, f64)>,
}

/// Targets of a [`Dataset`].
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// Real-valued targets, `T × k` (one column per output, such as one per prediction
    /// horizon).
    Regression(Array2<f64>),
    /// One class label per time step.
    Classes {
        /// Labels in `0..n_classes`, length `T`.
        labels: Array1<usize>,
        /// Number of classes (the width of a one-hot readout).
        n_classes: usize,
    },
}

impl Targets {
    /// Number of rows (time steps).
    pub fn len(&self) -> usize {
        match self {
            Targets::Regression(y) => y.nrows(),
            Targets::Classes { labels, .. } => labels.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Width of a readout trained on these targets: the number of regression columns, or the
    /// number of classes (one-hot).
    pub fn n_outputs(&self) -> usize {
        match self {
            Targets::Regression(y) => y.ncols(),
            Targets::Classes { n_classes, .. } => *n_classes,
        }
    }

    /// The targets as a real matrix for a linear readout: regression targets as they are,
    /// class labels one-hot (1 in the label's column, 0 elsewhere).
    pub fn to_matrix(&self) -> Array2<f64> {
        match self {
            Targets::Regression(y) => y.clone(),
            Targets::Classes { labels, n_classes } => {
                let mut m = Array2::zeros((labels.len(), *n_classes));
                for (t, &c) in labels.iter().enumerate() {
                    // Labels are checked in range by `Dataset::new`; a hand-built out-of-range
                    // label simply gets an all-zero row rather than a panic.
                    if c < *n_classes {
                        m[[t, c]] = 1.0;
                    }
                }
                m
            }
        }
    }
}

impl Dataset {
    /// Assembles a dataset, checking that its parts fit together.
    ///
    /// # Errors
    ///
    /// [`TaskError::Inconsistent`] if the inputs and targets have different row counts, a value
    /// is NaN or infinite, a label is not below `n_classes`, or `input_range` is not an
    /// ordered pair of finite numbers.
    pub fn new(
        name: impl Into<String>,
        inputs: Array2<f64>,
        targets: Targets,
        input_range: Option<(f64, f64)>,
    ) -> Result<Self, TaskError> {
        let name = name.into();
        let fail = |detail: String| TaskError::Inconsistent {
            dataset: name.clone(),
            detail,
        };
        if inputs.nrows() != targets.len() {
            return Err(fail(format!(
                "inputs have {} rows but targets have {}",
                inputs.nrows(),
                targets.len()
            )));
        }
        if let Some(((t, j), v)) = inputs.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(fail(format!("input [{t}, {j}] is not finite ({v})")));
        }
        match &targets {
            Targets::Regression(y) => {
                if let Some(((t, j), v)) = y.indexed_iter().find(|(_, v)| !v.is_finite()) {
                    return Err(fail(format!("target [{t}, {j}] is not finite ({v})")));
                }
            }
            Targets::Classes { labels, n_classes } => {
                if let Some((t, c)) = labels.iter().enumerate().find(|(_, c)| **c >= *n_classes) {
                    return Err(fail(format!(
                        "label {c} at row {t} is not below n_classes = {n_classes}"
                    )));
                }
            }
        }
        if let Some((lo, hi)) = input_range {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(fail(format!(
                    "input range ({lo}, {hi}) is not an ordered pair of finite numbers"
                )));
            }
        }
        Ok(Dataset {
            name,
            inputs,
            targets,
            input_range,
        })
    }

    /// Number of time steps.
    pub fn len(&self) -> usize {
        self.inputs.nrows()
    }

    /// Whether there are no time steps.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Input dimension `d`.
    pub fn input_dim(&self) -> usize {
        self.inputs.ncols()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use physrc_core::{ErrorKind, HasErrorKind};

    #[test]
    fn rejects_mismatched_rows_and_bad_labels() {
        let err = Dataset::new(
            "x",
            Array2::zeros((3, 1)),
            Targets::Regression(Array2::zeros((2, 1))),
            None,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DimensionMismatch);
        assert!(err.to_string().contains("3 rows"), "{err}");

        let err = Dataset::new(
            "x",
            Array2::zeros((2, 1)),
            Targets::Classes {
                labels: array![0, 2],
                n_classes: 2,
            },
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("label 2 at row 1"), "{err}");

        let err = Dataset::new(
            "x",
            array![[0.0], [f64::NAN]],
            Targets::Regression(Array2::zeros((2, 1))),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("input [1, 0]"), "{err}");

        let err = Dataset::new(
            "x",
            Array2::zeros((2, 1)),
            Targets::Regression(Array2::zeros((2, 1))),
            Some((1.0, 1.0)),
        )
        .unwrap_err();
        assert!(err.to_string().contains("input range"), "{err}");
    }

    #[test]
    fn one_hot_matrix() {
        let t = Targets::Classes {
            labels: array![1, 0, 2],
            n_classes: 3,
        };
        assert_eq!(
            t.to_matrix(),
            array![[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
        );
        assert_eq!(t.n_outputs(), 3);
        assert_eq!(t.len(), 3);
    }
}

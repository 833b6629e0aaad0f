use physrc_core::{ErrorKind, HasErrorKind};

/// Why a readout, a metric or a capacity measurement refused its input.
///
/// Every variant names what was wrong in lowercase, specific words; [`HasErrorKind`] maps it to
/// the shared [`ErrorKind`] so `?` converts it into [`physrc_core::Error`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadoutError {
    /// Two arrays whose shapes must agree did not.
    #[error("{left} has shape {left_shape:?} but {right} has shape {right_shape:?}: {rule}")]
    ShapeMismatch {
        /// Name of the first array (`x`, `weights`, ...).
        left: &'static str,
        /// Its shape.
        left_shape: Vec<usize>,
        /// Name of the second array.
        right: &'static str,
        /// Its shape.
        right_shape: Vec<usize>,
        /// The rule that was broken ("row counts must agree").
        rule: &'static str,
    },
    /// An array contained NaN or an infinity.
    #[error("{what} contains a non-finite value ({value}) at row {row}, column {col}")]
    NonFinite {
        /// Name of the array.
        what: &'static str,
        /// Row of the first offending element (0 for one-dimensional data).
        row: usize,
        /// Column of the first offending element.
        col: usize,
        /// The offending value.
        value: f64,
    },
    /// The ridge penalty was negative, NaN or infinite.
    #[error("`alpha` must be finite and >= 0, got {0}")]
    InvalidAlpha(f64),
    /// Some other parameter was out of its range.
    #[error("`{name}` {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// What it must be and what it was ("must be in (0, 1], got 1.5").
        reason: String,
    },
    /// A fit was asked for without any samples.
    #[error("cannot fit {what}: no samples were given")]
    NoSamples {
        /// What was being fitted.
        what: &'static str,
    },
    /// There were samples, but too few for what was asked.
    #[error("{what} needs at least {needed} samples, got {got}")]
    TooFewSamples {
        /// What needed them.
        what: &'static str,
        /// How many are needed.
        needed: usize,
        /// How many there were.
        got: usize,
    },
    /// A label lay outside `0..n_classes`.
    #[error("label {label} at position {index} is outside 0..{n_classes}")]
    LabelOutOfRange {
        /// Position of the label.
        index: usize,
        /// The label.
        label: usize,
        /// Number of classes of the classifier.
        n_classes: usize,
    },
    /// A value lay outside the range a computation assumes.
    #[error("{what} value {value} at position {index} is outside [{lo}, {hi}]")]
    OutOfRange {
        /// Name of the data.
        what: &'static str,
        /// Position of the first offending value.
        index: usize,
        /// The value.
        value: f64,
        /// Lower end of the allowed range.
        lo: f64,
        /// Upper end of the allowed range.
        hi: f64,
    },
    /// A normalising variance was zero, so the normalised score is undefined.
    #[error("{what}: output {output} of the target has zero variance")]
    ZeroVariance {
        /// The metric or computation.
        what: &'static str,
        /// Which output column.
        output: usize,
    },
    /// A linear system could not be solved, or produced non-finite numbers.
    #[error("{0}")]
    Diverged(String),
}

impl HasErrorKind for ReadoutError {
    fn kind(&self) -> ErrorKind {
        match self {
            ReadoutError::ShapeMismatch { .. } => ErrorKind::DimensionMismatch,
            ReadoutError::NonFinite { .. }
            | ReadoutError::LabelOutOfRange { .. }
            | ReadoutError::OutOfRange { .. }
            | ReadoutError::ZeroVariance { .. }
            | ReadoutError::TooFewSamples { .. } => ErrorKind::InvalidInput,
            ReadoutError::InvalidAlpha(_) | ReadoutError::InvalidParameter { .. } => {
                ErrorKind::InvalidParameter
            }
            ReadoutError::NoSamples { .. } => ErrorKind::NotFitted,
            ReadoutError::Diverged(_) => ErrorKind::Diverged,
        }
    }
}

impl ReadoutError {
    pub(crate) fn shape(
        left: &'static str,
        left_shape: &[usize],
        right: &'static str,
        right_shape: &[usize],
        rule: &'static str,
    ) -> Self {
        ReadoutError::ShapeMismatch {
            left,
            left_shape: left_shape.to_vec(),
            right,
            right_shape: right_shape.to_vec(),
            rule,
        }
    }

    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        ReadoutError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_messages() {
        let e = ReadoutError::shape("x", &[10, 3], "y", &[9, 1], "row counts must agree");
        assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
        assert_eq!(
            e.to_string(),
            "x has shape [10, 3] but y has shape [9, 1]: row counts must agree"
        );
        assert_eq!(
            ReadoutError::InvalidAlpha(-1.0).kind(),
            ErrorKind::InvalidParameter
        );
        assert_eq!(
            ReadoutError::NoSamples { what: "ridge" }.kind(),
            ErrorKind::NotFitted
        );
        assert_eq!(
            ReadoutError::Diverged("x".into()).kind(),
            ErrorKind::Diverged
        );
        let core: physrc_core::Error = ReadoutError::InvalidAlpha(f64::NAN).into();
        assert_eq!(core.kind(), ErrorKind::InvalidParameter);
        assert!(core.downcast_ref::<ReadoutError>().is_some());
    }
}

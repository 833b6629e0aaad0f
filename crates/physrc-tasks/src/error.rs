use physrc_core::{ErrorKind, HasErrorKind};

/// Why a task could not be generated.
///
/// Every variant names the task and what was wrong, so a message read in a sweep log is
/// enough to fix the run config.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaskError {
    /// A parameter (or the requested length) was not acceptable.
    #[error("{task}: `{name}` must be {requirement}, got {value}")]
    InvalidParameter {
        /// The task, as in its config `kind`.
        task: &'static str,
        /// The parameter, as spelled in the config.
        name: &'static str,
        /// What the parameter must satisfy.
        requirement: String,
        /// The rejected value.
        value: String,
    },
    /// The generating system left its bounded regime and could not be brought back by the
    /// documented remedy (redrawing inputs, see the task's docs).
    #[error("{task}: {detail}")]
    Diverged {
        /// The task, as in its config `kind`.
        task: &'static str,
        /// What diverged and what to change.
        detail: String,
    },
    /// A [`Dataset`](crate::Dataset) was assembled from parts that do not fit together.
    #[error("dataset `{dataset}`: {detail}")]
    Inconsistent {
        /// The dataset's name.
        dataset: String,
        /// What did not fit.
        detail: String,
    },
}

impl HasErrorKind for TaskError {
    fn kind(&self) -> ErrorKind {
        match self {
            TaskError::InvalidParameter { .. } => ErrorKind::InvalidParameter,
            TaskError::Diverged { .. } => ErrorKind::Diverged,
            TaskError::Inconsistent { .. } => ErrorKind::DimensionMismatch,
        }
    }
}

/// Builds an [`TaskError::InvalidParameter`].
pub(crate) fn invalid(
    task: &'static str,
    name: &'static str,
    requirement: impl Into<String>,
    value: impl std::fmt::Display,
) -> TaskError {
    TaskError::InvalidParameter {
        task,
        name,
        requirement: requirement.into(),
        value: value.to_string(),
    }
}

/// Checks that `value` is finite.
pub(crate) fn finite(task: &'static str, name: &'static str, value: f64) -> Result<(), TaskError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(invalid(task, name, "finite", value))
    }
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(
    task: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), TaskError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(invalid(task, name, "finite and positive", value))
    }
}

/// Checks that `value` is finite and not negative.
pub(crate) fn non_negative(
    task: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), TaskError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(task, name, "finite and non-negative", value))
    }
}

/// Checks a requested output length and returns `length + extra` (burn-in, look-ahead).
///
/// The cap [`MAX_LENGTH`](crate::MAX_LENGTH) catches typos that would otherwise exhaust
/// memory or overflow the index arithmetic.
pub(crate) fn check_length(
    task: &'static str,
    length: usize,
    extra: usize,
) -> Result<usize, TaskError> {
    if length == 0 {
        return Err(invalid(task, "length", "at least 1", length));
    }
    if length > crate::MAX_LENGTH {
        return Err(invalid(
            task,
            "length",
            format!("at most {}", crate::MAX_LENGTH),
            length,
        ));
    }
    if extra > crate::MAX_LENGTH {
        return Err(invalid(
            task,
            "length",
            format!(
                "such that the burn-in/look-ahead ({extra} samples) stays below {}",
                crate::MAX_LENGTH
            ),
            length,
        ));
    }
    // Both terms are below MAX_LENGTH, far from usize::MAX.
    Ok(length + extra)
}

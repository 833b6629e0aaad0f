use crate::{ErrorKind, HasErrorKind};

/// Why an input or output buffer handed to a substrate was rejected.
///
/// Produced by [`check_input`] and [`check_state_len`], which every substrate calls before it
/// touches its state, so a rejected step leaves the reservoir exactly as it was.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    /// An input component was NaN or infinite.
    #[error("input component {index} is not finite ({value})")]
    NonFinite {
        /// Which component.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// An input component lay outside the normalised range `[-1, 1]`.
    #[error("input component {index} is {value}, outside the normalised range [-1, 1]")]
    OutOfRange {
        /// Which component.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The input had the wrong number of components.
    #[error("input has {got} components but the reservoir takes {expected}")]
    InputDimension {
        /// The reservoir's input dimension.
        expected: usize,
        /// What was given.
        got: usize,
    },
    /// The state buffer had the wrong length.
    #[error("state buffer has length {got} but the reservoir state has {expected} components")]
    StateDimension {
        /// The reservoir's state dimension.
        expected: usize,
        /// What was given.
        got: usize,
    },
}

impl HasErrorKind for InputError {
    fn kind(&self) -> ErrorKind {
        match self {
            InputError::NonFinite { .. } | InputError::OutOfRange { .. } => ErrorKind::InvalidInput,
            InputError::InputDimension { .. } | InputError::StateDimension { .. } => {
                ErrorKind::DimensionMismatch
            }
        }
    }
}

/// Checks one input vector: its length is `expected`, every component is finite and in `[-1, 1]`.
///
/// # Errors
///
/// [`InputError::InputDimension`], [`InputError::NonFinite`] or [`InputError::OutOfRange`],
/// naming the first offending component.
pub fn check_input(input: &[f64], expected: usize) -> Result<(), InputError> {
    if input.len() != expected {
        return Err(InputError::InputDimension {
            expected,
            got: input.len(),
        });
    }
    for (index, &value) in input.iter().enumerate() {
        if !value.is_finite() {
            return Err(InputError::NonFinite { index, value });
        }
        if !(-1.0..=1.0).contains(&value) {
            return Err(InputError::OutOfRange { index, value });
        }
    }
    Ok(())
}

/// Checks that a state buffer has the reservoir's state dimension.
///
/// # Errors
///
/// [`InputError::StateDimension`] when the lengths differ.
pub fn check_state_len(state: &[f64], expected: usize) -> Result<(), InputError> {
    if state.len() != expected {
        return Err(InputError::StateDimension {
            expected,
            got: state.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_closed_range() {
        assert!(check_input(&[-1.0, 0.0, 1.0], 3).is_ok());
    }

    #[test]
    fn rejects_each_kind_of_bad_input() {
        let e = check_input(&[0.0, f64::NAN], 2).unwrap_err();
        assert!(matches!(e, InputError::NonFinite { index: 1, .. }));
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = check_input(&[f64::NEG_INFINITY], 1).unwrap_err();
        assert!(matches!(e, InputError::NonFinite { index: 0, .. }));
        let e = check_input(&[1.0 + 1e-12], 1).unwrap_err();
        assert!(matches!(e, InputError::OutOfRange { index: 0, .. }));
        assert!(e.to_string().contains("outside the normalised range"));
        let e = check_input(&[0.0], 2).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
        let e = check_state_len(&[0.0; 3], 4).unwrap_err();
        assert_eq!(
            e,
            InputError::StateDimension {
                expected: 4,
                got: 3
            }
        );
    }

    #[test]
    fn converts_into_the_shared_error_with_its_kind() {
        let e: crate::Error = check_input(&[2.0], 1).unwrap_err().into();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.downcast_ref::<InputError>().is_some());
        assert_eq!(
            e.to_string(),
            "input component 0 is 2, outside the normalised range [-1, 1]"
        );
    }
}

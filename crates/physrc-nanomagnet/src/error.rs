//! The crate's error type.

use std::path::PathBuf;

use physrc_core::{ErrorKind, HasErrorKind, MemoryError};

/// Everything that can go wrong building or driving a nanomagnet array.
///
/// Every variant names the offending parameter, file or index, so a message alone tells the user
/// what to fix. Converts into [`physrc_core::Error`] with `?` through [`HasErrorKind`].
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum NanomagnetError {
    /// A scalar parameter was out of its allowed range or not finite.
    #[error("`{name}` {requirement}, got {value}")]
    InvalidParameter {
        /// The parameter's name (flatspin spelling).
        name: &'static str,
        /// What it must be ("must be positive").
        requirement: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A parameter had a value that is not one of its allowed words or forms.
    #[error("`{name}`: {message}")]
    InvalidChoice {
        /// The parameter's name.
        name: &'static str,
        /// What was wrong and what is allowed.
        message: String,
    },
    /// An array had the wrong length or shape.
    #[error("{what}: expected shape {expected}, got {got}")]
    Shape {
        /// Which array (or file).
        what: String,
        /// The expected shape, e.g. `(40, 2)`.
        expected: String,
        /// The shape that was given.
        got: String,
    },
    /// An array element was NaN or infinite.
    #[error("{what}: element {index} is not finite ({value})")]
    NonFinite {
        /// Which array.
        what: String,
        /// Flat index of the element.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// An array element was outside its allowed range (a spin not ±1, a threshold not positive).
    #[error("{what}: element {index} {requirement}, got {value}")]
    OutOfRange {
        /// Which array.
        what: String,
        /// Flat index of the element.
        index: usize,
        /// What it must be.
        requirement: &'static str,
        /// Its value.
        value: f64,
    },
    /// Two magnets were placed at the same position, which makes the dipolar field infinite.
    #[error("magnets {first} and {second} share the position ({x}, {y})")]
    CoincidentMagnets {
        /// Lower index.
        first: usize,
        /// Higher index.
        second: usize,
        /// Shared x.
        x: f64,
        /// Shared y.
        y: f64,
    },
    /// A `.npy` file could not be read.
    #[error("cannot read {}: {message}", path.display())]
    ReadNpy {
        /// The file.
        path: PathBuf,
        /// The underlying reason.
        message: String,
    },
    /// The configuration needs more memory than the budget it was built with.
    #[error(transparent)]
    Memory(#[from] MemoryError),
}

impl NanomagnetError {
    pub(crate) fn param(name: &'static str, requirement: &'static str, value: f64) -> Self {
        NanomagnetError::InvalidParameter {
            name,
            requirement,
            value,
        }
    }

    pub(crate) fn shape(what: impl Into<String>, expected: &[usize], got: &[usize]) -> Self {
        NanomagnetError::Shape {
            what: what.into(),
            expected: fmt_shape(expected),
            got: fmt_shape(got),
        }
    }
}

pub(crate) fn fmt_shape(s: &[usize]) -> String {
    match s {
        [a] => format!("({a},)"),
        _ => {
            let parts: Vec<String> = s.iter().map(|v| v.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

impl HasErrorKind for NanomagnetError {
    fn kind(&self) -> ErrorKind {
        match self {
            NanomagnetError::InvalidParameter { .. }
            | NanomagnetError::InvalidChoice { .. }
            | NanomagnetError::CoincidentMagnets { .. } => ErrorKind::InvalidParameter,
            NanomagnetError::Shape { .. } => ErrorKind::DimensionMismatch,
            NanomagnetError::NonFinite { .. } | NanomagnetError::OutOfRange { .. } => {
                ErrorKind::InvalidInput
            }
            NanomagnetError::ReadNpy { .. } => ErrorKind::Io,
            NanomagnetError::Memory(e) => e.kind(),
        }
    }
}

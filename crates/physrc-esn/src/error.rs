use std::path::PathBuf;

use physrc_core::{ErrorKind, HasErrorKind, MemoryError};

/// Everything that can go wrong building or running an [`Esn`](crate::Esn).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum EsnError {
    /// A numeric parameter was outside its range.
    #[error("`{name}` must be {expected}, got {value}")]
    Parameter {
        /// The parameter's name, as in the config file.
        name: &'static str,
        /// The accepted range, in words.
        expected: &'static str,
        /// What was given.
        value: f64,
    },
    /// A matrix had the wrong shape.
    #[error("`{matrix}` has shape {found} but {expected} was expected")]
    Shape {
        /// Which matrix (`w`, `win`, `bias`).
        matrix: &'static str,
        /// The shape required, e.g. `500×1`.
        expected: String,
        /// The shape given.
        found: String,
    },
    /// A matrix entry was NaN or infinite.
    #[error("`{matrix}` entry {index} is not finite ({value})")]
    NonFinite {
        /// Which matrix (`w`, `win`, `bias`).
        matrix: &'static str,
        /// Where, e.g. `[3, 7]`.
        index: String,
        /// The value found.
        value: f64,
    },
    /// The generated matrix came out without a single nonzero entry.
    #[error(
        "`{key}` = {connectivity} leaves `{matrix}` ({shape}) without a single nonzero entry; \
         raise it (round(connectivity × entries) must be at least 1)"
    )]
    EmptyMatrix {
        /// Which matrix.
        matrix: &'static str,
        /// The connectivity key that controls it.
        key: &'static str,
        /// Its value.
        connectivity: f64,
        /// The matrix shape.
        shape: String,
    },
    /// The recurrent matrix has no eigenvalue away from zero, so it cannot be rescaled to a
    /// spectral radius.
    #[error(
        "`w` has spectral radius {found:e} (numerically zero), so it cannot be rescaled to \
         `spectral_radius` = {requested}"
    )]
    ZeroSpectralRadius {
        /// The measured spectral radius.
        found: f64,
        /// The requested spectral radius.
        requested: f64,
    },
    /// An eigenvalue or QR computation failed.
    #[error("linear algebra failed while {what}: {detail}")]
    LinearAlgebra {
        /// What was being computed.
        what: &'static str,
        /// The solver's message.
        detail: String,
    },
    /// Config keys that cannot be used together.
    #[error("`{given}` is given explicitly, so {keys} must not be set ({why})")]
    ConflictingKeys {
        /// The key that was given.
        given: &'static str,
        /// The keys that conflict with it, formatted.
        keys: String,
        /// Why they conflict.
        why: &'static str,
    },
    /// A config key that is needed was missing.
    #[error("`{key}` is required {when}")]
    MissingKey {
        /// The missing key.
        key: &'static str,
        /// When it is required.
        when: &'static str,
    },
    /// A `.npy` file could not be read.
    #[error("cannot read `{key}` file {path}: {detail}")]
    Npy {
        /// The config key naming the file.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// A `.npy` file held an array of the wrong shape.
    #[error("`{key}` file {path} holds an array of shape {found} but {expected} was expected")]
    NpyShape {
        /// The config key naming the file.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// The shape required.
        expected: String,
        /// The shape found.
        found: String,
    },
    /// The state became NaN or infinite (only possible with the identity activation or
    /// enormous weights); the step was not applied.
    #[error(
        "state component {unit} became non-finite ({value}); with the identity activation the \
         network diverges unless the spectral radius of `w` is below 1"
    )]
    Diverged {
        /// The first non-finite unit.
        unit: usize,
        /// Its would-be value.
        value: f64,
    },
    /// The configuration needs more memory than the budget it was built with.
    #[error(transparent)]
    Memory(#[from] MemoryError),
}

impl HasErrorKind for EsnError {
    fn kind(&self) -> ErrorKind {
        match self {
            EsnError::Parameter { .. }
            | EsnError::NonFinite { .. }
            | EsnError::EmptyMatrix { .. }
            | EsnError::ZeroSpectralRadius { .. }
            | EsnError::ConflictingKeys { .. }
            | EsnError::MissingKey { .. } => ErrorKind::InvalidParameter,
            EsnError::Shape { .. } | EsnError::NpyShape { .. } => ErrorKind::DimensionMismatch,
            EsnError::Npy { .. } => ErrorKind::Io,
            EsnError::Diverged { .. } => ErrorKind::Diverged,
            EsnError::LinearAlgebra { .. } => ErrorKind::Other,
            EsnError::Memory(e) => e.kind(),
        }
    }
}

/// `rows×cols`, the shape notation every message uses.
pub(crate) fn shape2(rows: usize, cols: usize) -> String {
    format!("{rows}×{cols}")
}

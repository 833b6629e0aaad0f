//! The facade's error type.

use std::path::PathBuf;

use physrc_core::{ErrorKind, HasErrorKind};

/// Everything that can go wrong in `physrc run`, `physrc simulate` and `physrc log`.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The configuration is not acceptable; the message names the key or section.
    #[error("{origin}: {message}")]
    Config {
        /// The config file (or `"<string>"`).
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// The output folder cannot take this run's outputs.
    #[error("{}: {message}", path.display())]
    Output {
        /// The folder.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A `.npy` file could not be read, or has the wrong element type.
    #[error("{}: {message}", path.display())]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Data (from files or a task) does not fit the configuration: too few rows, a wrong
    /// number of columns, values out of range.
    #[error("{0}")]
    Data(String),
    /// Something physrc itself could not do that no input explains (a thread that could not
    /// start); the message says what.
    #[error("{0}")]
    Internal(String),
    /// The caller cancelled the run (through [`crate::experiment::RunOptions::cancel`]) before
    /// it finished.
    #[error("the run was cancelled after {steps} steps")]
    Cancelled {
        /// Input steps driven before the run stopped.
        steps: usize,
    },
    /// The substrate, readout or task reported an error.
    #[error(transparent)]
    Component(#[from] physrc_core::Error),
    /// The run log could not be written or read, or records another run.
    #[error(transparent)]
    Log(#[from] crate::runlog::LogError),
}

impl RunError {
    pub(crate) fn config(origin: &str, message: impl Into<String>) -> Self {
        RunError::Config {
            origin: origin.to_owned(),
            message: message.into(),
        }
    }

    /// Wraps any crate error that has a shared kind.
    pub fn from_component<E>(e: E) -> Self
    where
        E: HasErrorKind + std::error::Error + Send + Sync + 'static,
    {
        RunError::Component(physrc_core::Error::from(e))
    }
}

impl HasErrorKind for RunError {
    fn kind(&self) -> ErrorKind {
        match self {
            RunError::Io { .. } | RunError::Npy { .. } | RunError::Output { .. } => ErrorKind::Io,
            RunError::Config { .. } => ErrorKind::InvalidParameter,
            RunError::Data(_) => ErrorKind::DimensionMismatch,
            RunError::Internal(_) | RunError::Cancelled { .. } => ErrorKind::Other,
            RunError::Component(e) => e.kind(),
            RunError::Log(e) => e.kind(),
        }
    }
}

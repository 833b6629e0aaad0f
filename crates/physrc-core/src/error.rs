use std::error::Error as StdError;
use std::fmt;

/// What went wrong, in terms generic code can react to.
///
/// A sweep skips a configuration whose parameters are invalid, a driver retries a timeout and
/// aborts on a device fault, the CLI maps kinds to exit messages. New kinds may be added, so
/// matches need a wildcard arm.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An input value was not acceptable: NaN, infinite, or outside `[-1, 1]`.
    InvalidInput,
    /// Lengths or shapes did not agree (input dimension, state buffer, feature count).
    DimensionMismatch,
    /// A parameter or configuration value was not acceptable (negative threshold, unknown key).
    InvalidParameter,
    /// A device did not answer in time.
    Timeout,
    /// A device answered with a fault or tripped a hardware limit.
    DeviceFault,
    /// A simulation or solver diverged or produced non-finite numbers.
    Diverged,
    /// A readout was used before it was fitted, or a fit had no data.
    NotFitted,
    /// Reading or writing a file or a port failed, or a file had the wrong format.
    Io,
    /// The configuration needs more memory than is available; nothing was allocated.
    InsufficientMemory,
    /// Anything not covered above.
    Other,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::DimensionMismatch => "dimension mismatch",
            ErrorKind::InvalidParameter => "invalid parameter",
            ErrorKind::Timeout => "timeout",
            ErrorKind::DeviceFault => "device fault",
            ErrorKind::Diverged => "diverged",
            ErrorKind::NotFitted => "not fitted",
            ErrorKind::Io => "i/o error",
            ErrorKind::InsufficientMemory => "insufficient memory",
            ErrorKind::Other => "other error",
        };
        f.write_str(s)
    }
}

/// Implemented by every crate's own error type, so it can name its shared [`ErrorKind`].
pub trait HasErrorKind {
    /// The shared kind of this error.
    fn kind(&self) -> ErrorKind;
}

/// The error the [`Reservoir`](crate::Reservoir) trait returns: a shared kind plus the crate's
/// own detailed error inside.
///
/// Any error type implementing [`HasErrorKind`] converts into it with `?`. The original error
/// stays reachable through [`Error::downcast_ref`] and [`std::error::Error::source`].
pub struct Error {
    kind: ErrorKind,
    inner: Box<dyn StdError + Send + Sync + 'static>,
}

impl Error {
    /// Wraps `err` with an explicit kind.
    pub fn new<E>(kind: ErrorKind, err: E) -> Self
    where
        E: Into<Box<dyn StdError + Send + Sync + 'static>>,
    {
        Error {
            kind,
            inner: err.into(),
        }
    }

    /// The shared kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The crate-specific error inside, if it is of type `E`.
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        self.inner.downcast_ref::<E>()
    }

    /// The crate-specific error inside.
    pub fn get_ref(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.inner
    }

    /// Unwraps the crate-specific error inside.
    pub fn into_inner(self) -> Box<dyn StdError + Send + Sync + 'static> {
        self.inner
    }
}

impl<E> From<E> for Error
where
    E: HasErrorKind + StdError + Send + Sync + 'static,
{
    fn from(err: E) -> Self {
        Error {
            kind: err.kind(),
            inner: Box::new(err),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("inner", &self.inner)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The inner message is already specific; the kind would only repeat it.
        fmt::Display::fmt(&self.inner, f)
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.source()
    }
}

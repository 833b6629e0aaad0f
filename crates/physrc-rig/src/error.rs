use std::time::Duration;

use physrc_core::{ErrorKind, HasErrorKind};
use physrc_rig_protocol::ErrorCode;

/// What went wrong talking to the rig, or with its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RigError {
    /// The rig did not answer a request in time, after every retry.
    #[error("the rig did not answer {what} within {timeout:?} after {attempts} attempts")]
    Timeout {
        /// The request.
        what: &'static str,
        /// The time allowed for each attempt.
        timeout: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// The rig answered a request with an error.
    #[error("the rig refused {what}: {} (code {}, detail {detail})", code.description(), *code as u8)]
    Device {
        /// The request.
        what: &'static str,
        /// The device's error code.
        code: ErrorCode,
        /// The device's detail word.
        detail: u32,
    },
    /// The rig was reset since the last answer: its cached replies and loaded blocks are gone
    /// and the sample's state is uncertain.
    #[error("the rig was reset (boot id {old:#010x} became {new:#010x})")]
    DeviceReset {
        /// The boot id before.
        old: u32,
        /// The boot id now.
        new: u32,
    },
    /// A field beyond the rig's limit was asked for; nothing was sent.
    #[error(
        "field ({x_mt} mT, {y_mt} mT) has magnitude {magnitude_mt} mT, beyond the limit of {limit_mt} mT"
    )]
    FieldLimit {
        /// Requested x component, mT.
        x_mt: f64,
        /// Requested y component, mT.
        y_mt: f64,
        /// Its magnitude, mT.
        magnitude_mt: f64,
        /// The limit, mT.
        limit_mt: f64,
    },
    /// A configuration value was not acceptable.
    #[error("{key}: {message}")]
    InvalidParameter {
        /// The configuration key.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Opening or configuring the serial port failed.
    #[error("serial port {port}: {message}")]
    Port {
        /// The port's path.
        port: String,
        /// What the operating system said.
        message: String,
    },
    /// The link failed (closed, hung up, or an operating-system error).
    #[error("the link to the rig failed: {0}")]
    Link(String),
    /// The rig answered something this host did not expect.
    #[error("unexpected answer to {what}: {got}")]
    Protocol {
        /// The request.
        what: &'static str,
        /// What came back.
        got: String,
    },
    /// The emulated sample's configuration was not acceptable.
    #[error("emulated sample: {0}")]
    Sample(#[source] physrc_nanomagnet::NanomagnetError),
    /// The emulator could not be started.
    #[error("emulator: {0}")]
    Emulator(String),
    /// The configuration needs more memory than the budget it was built with.
    #[error(transparent)]
    Memory(#[from] physrc_core::MemoryError),
}

impl RigError {
    pub(crate) fn param(key: &'static str, message: impl Into<String>) -> Self {
        RigError::InvalidParameter {
            key,
            message: message.into(),
        }
    }
}

impl HasErrorKind for RigError {
    fn kind(&self) -> ErrorKind {
        match self {
            RigError::Timeout { .. } => ErrorKind::Timeout,
            RigError::Device {
                code: ErrorCode::FieldLimit,
                ..
            }
            | RigError::FieldLimit { .. } => ErrorKind::InvalidInput,
            RigError::Device { .. } | RigError::DeviceReset { .. } | RigError::Protocol { .. } => {
                ErrorKind::DeviceFault
            }
            RigError::InvalidParameter { .. } => ErrorKind::InvalidParameter,
            RigError::Port { .. } | RigError::Link(_) => ErrorKind::Io,
            RigError::Sample(e) => e.kind(),
            RigError::Emulator(_) => ErrorKind::Other,
            RigError::Memory(e) => e.kind(),
        }
    }
}

use physrc_core::{ErrorKind, HasErrorKind, MemoryError};

/// Everything that can go wrong when building or driving a memristor model or reservoir.
///
/// Each variant maps to one shared [`ErrorKind`] through [`HasErrorKind`], so `?` turns it
/// into a [`physrc_core::Error`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MemristorError {
    /// A pulse voltage was NaN or infinite.
    #[error("pulse voltage must be finite, got {volts}")]
    NonFiniteVoltage {
        /// The rejected voltage, in volts.
        volts: f64,
    },
    /// A pulse voltage exceeded the device's safe limit. Pulses are never clipped.
    #[error("pulse of {volts} V exceeds the safe limit of ±{limit} V of the {model} model")]
    VoltageOutOfRange {
        /// The rejected voltage, in volts.
        volts: f64,
        /// The device's safe limit `|V| ≤ limit`, in volts.
        limit: f64,
        /// The model name.
        model: &'static str,
    },
    /// A pulse width was negative, zero, NaN or infinite.
    #[error("pulse width must be positive and finite, got {width} s")]
    InvalidPulseWidth {
        /// The rejected width, in seconds.
        width: f64,
    },
    /// An idle (zero-voltage) duration was negative, NaN or infinite.
    #[error("idle duration must be non-negative and finite, got {duration} s")]
    InvalidDuration {
        /// The rejected duration, in seconds.
        duration: f64,
    },
    /// A state value handed to [`Device::set_state`](crate::Device::set_state) lay outside
    /// the model's physical bounds.
    #[error("state {value} is outside the physical bounds [{lo}, {hi}] of the {model} model")]
    StateOutOfBounds {
        /// The rejected value.
        value: f64,
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
        /// The model name.
        model: &'static str,
    },
    /// A model or reservoir parameter was not acceptable.
    #[error("`{name}` {reason}, got {value}")]
    InvalidParameter {
        /// The parameter's name as it appears in a config file.
        name: &'static str,
        /// What it must be ("must be positive").
        reason: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// The voltage window `[v_min, v_max]` was empty or beyond the model's safe limit.
    #[error(
        "voltage window [{v_min}, {v_max}] V {reason} (safe limit of the {model} model: ±{limit} V; raise it with `[substrate.{model}] v_limit` only if the device tolerates it)"
    )]
    InvalidVoltageWindow {
        /// Lower end of the window.
        v_min: f64,
        /// Upper end of the window.
        v_max: f64,
        /// The model's safe limit.
        limit: f64,
        /// The model name.
        model: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A device drawn with device-to-device variation broke a model constraint.
    #[error("device {device} drawn with variation {variation}: {source}")]
    VariedDevice {
        /// Index of the device in the reservoir.
        device: usize,
        /// The relative spread that produced it.
        variation: f64,
        /// The constraint it broke.
        #[source]
        source: Box<MemristorError>,
    },
    /// A parameter table was given for a model other than the selected one.
    #[error("a `[substrate.{table}]` table was given but the model is `{model}`")]
    TableForOtherModel {
        /// The table's name.
        table: &'static str,
        /// The selected model.
        model: &'static str,
    },
    /// A setting that the selected model does not define.
    #[error("`{name}` is not defined for the {model} model: {why}")]
    NotForModel {
        /// The setting.
        name: &'static str,
        /// The selected model.
        model: &'static str,
        /// Why it does not apply.
        why: &'static str,
    },
    /// The adaptive integrator of a continuous model needed too many steps for one pulse.
    #[error(
        "the {model} integrator needed more than {max_steps} steps for a {volts} V, {width} s pulse; shorten the pulse or lower the voltage"
    )]
    StepLimit {
        /// The model name.
        model: &'static str,
        /// The pulse voltage.
        volts: f64,
        /// The pulse width (or idle duration, at 0 V).
        width: f64,
        /// The step budget.
        max_steps: usize,
    },
    /// The configuration needs more memory than the budget it was built with.
    #[error(transparent)]
    Memory(#[from] MemoryError),
}

impl HasErrorKind for MemristorError {
    fn kind(&self) -> ErrorKind {
        match self {
            MemristorError::NonFiniteVoltage { .. }
            | MemristorError::VoltageOutOfRange { .. }
            | MemristorError::InvalidPulseWidth { .. }
            | MemristorError::InvalidDuration { .. }
            | MemristorError::StateOutOfBounds { .. } => ErrorKind::InvalidInput,
            MemristorError::InvalidParameter { .. }
            | MemristorError::InvalidVoltageWindow { .. }
            | MemristorError::VariedDevice { .. }
            | MemristorError::TableForOtherModel { .. }
            | MemristorError::NotForModel { .. } => ErrorKind::InvalidParameter,
            MemristorError::StepLimit { .. } => ErrorKind::Diverged,
            MemristorError::Memory(e) => e.kind(),
        }
    }
}

/// Checks a parameter with a predicate, naming it in the error.
pub(crate) fn require(
    ok: bool,
    name: &'static str,
    reason: &'static str,
    value: f64,
) -> Result<(), MemristorError> {
    if ok {
        Ok(())
    } else {
        Err(MemristorError::InvalidParameter {
            name,
            reason,
            value,
        })
    }
}

/// `value` is finite and strictly positive.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<(), MemristorError> {
    require(
        value.is_finite() && value > 0.0,
        name,
        "must be positive and finite",
        value,
    )
}

/// `value` is finite.
pub(crate) fn finite(name: &'static str, value: f64) -> Result<(), MemristorError> {
    require(value.is_finite(), name, "must be finite", value)
}

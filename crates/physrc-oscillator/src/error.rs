use physrc_core::{ErrorKind, HasErrorKind, InputError, MemoryError};

/// Everything that can go wrong when building or driving an oscillator reservoir.
///
/// Parameters are checked once, when a reservoir is built; after that only bad input (the
/// [`Input`](OscillatorError::Input) variant, state untouched) or a numerical blow-up
/// ([`Diverged`](OscillatorError::Diverged), state untouched) can fail a step.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OscillatorError {
    /// A parameter was out of its admissible range.
    #[error("`{name}` {requirement}, got {value}")]
    InvalidParameter {
        /// The configuration key.
        name: &'static str,
        /// What it must satisfy, as a phrase ("must be positive").
        requirement: &'static str,
        /// The offending value, as written.
        value: String,
    },
    /// The drive current that the normalised input range maps to would exceed the device's
    /// safe maximum current. Raised when the configuration is built, so an out-of-limit current
    /// is never applied, not even for one virtual node.
    #[error(
        "the drive current can reach {peak_ma} mA (|i_bias_ma| + delta_i_ma × max row sum of |mask|), \
         above the safe maximum i_max_ma = {i_max_ma} mA"
    )]
    CurrentLimit {
        /// Largest current magnitude the input range can produce, in mA.
        peak_ma: f64,
        /// The configured safe maximum, in mA.
        i_max_ma: f64,
    },
    /// The input vector or state buffer was rejected.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The configuration needs more memory than the budget it was built with.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// The simulation produced a non-finite number (for example the Mackey–Glass denominator
    /// `1 + z^p` reached zero). The step is discarded and the state left as it was.
    #[error("the {model} model diverged: {detail}")]
    Diverged {
        /// Which model.
        model: &'static str,
        /// What happened, with the values involved.
        detail: String,
    },
}

impl OscillatorError {
    pub(crate) fn param(
        name: &'static str,
        requirement: &'static str,
        value: impl ToString,
    ) -> Self {
        OscillatorError::InvalidParameter {
            name,
            requirement,
            value: value.to_string(),
        }
    }
}

impl HasErrorKind for OscillatorError {
    fn kind(&self) -> ErrorKind {
        match self {
            OscillatorError::InvalidParameter { .. } | OscillatorError::CurrentLimit { .. } => {
                ErrorKind::InvalidParameter
            }
            OscillatorError::Input(e) => e.kind(),
            OscillatorError::Diverged { .. } => ErrorKind::Diverged,
            OscillatorError::Memory(e) => e.kind(),
        }
    }
}

/// Checks that `v` is finite and strictly positive.
pub(crate) fn positive(name: &'static str, v: f64) -> Result<f64, OscillatorError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(OscillatorError::param(
            name,
            "must be positive and finite",
            v,
        ))
    }
}

/// Checks that `v` is finite and not negative.
pub(crate) fn non_negative(name: &'static str, v: f64) -> Result<f64, OscillatorError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(OscillatorError::param(
            name,
            "must be non-negative and finite",
            v,
        ))
    }
}

/// Checks that `v` is finite.
pub(crate) fn finite(name: &'static str, v: f64) -> Result<f64, OscillatorError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(OscillatorError::param(name, "must be finite", v))
    }
}

/// Longest delay line (in nodes) a loop may have: 2^24 values, 128 MiB. Far beyond any
/// useful delay, it keeps a mistyped offset from exhausting memory.
pub(crate) const MAX_DELAY_LINE: usize = 1 << 24;

/// Checks that `nodes + offset` fits in a delay line of at most [`MAX_DELAY_LINE`] values,
/// naming `nodes_name` when the node count alone is too large and `name` otherwise.
pub(crate) fn delay_line_len(
    nodes_name: &'static str,
    nodes: usize,
    name: &'static str,
    offset: usize,
) -> Result<usize, OscillatorError> {
    if nodes > MAX_DELAY_LINE {
        return Err(OscillatorError::param(
            nodes_name,
            "must not exceed 2^24",
            nodes,
        ));
    }
    match nodes.checked_add(offset) {
        Some(len) if len <= MAX_DELAY_LINE => Ok(len),
        _ => Err(OscillatorError::param(
            name,
            "makes the delay line longer than 2^24 nodes",
            offset,
        )),
    }
}

/// Most integration steps per virtual node. Steps allocate nothing, so the bound is not about
/// memory: a million steps per node is far finer than any model here needs, and a mistyped
/// count beyond it would make every input take hours.
pub(crate) const MAX_SUBSTEPS: usize = 1_000_000;

/// Checks an integration step count: at least 1, at most [`MAX_SUBSTEPS`].
pub(crate) fn substeps(v: usize) -> Result<usize, OscillatorError> {
    if (1..=MAX_SUBSTEPS).contains(&v) {
        Ok(v)
    } else {
        Err(OscillatorError::param(
            "substeps",
            "must be between 1 and 1000000",
            v,
        ))
    }
}

/// Checks that a count is at least one.
pub(crate) fn at_least_one(name: &'static str, v: usize) -> Result<usize, OscillatorError> {
    if v >= 1 {
        Ok(v)
    } else {
        Err(OscillatorError::param(name, "must be at least 1", v))
    }
}

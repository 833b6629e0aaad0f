use rand::Rng;
use rand_distr::StandardNormal;
use serde::Deserialize;

use crate::MemristorError;
use crate::error::require;

/// What one voltage pulse did to a device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PulseResponse {
    /// Current through the device at the end of the pulse, in amperes, computed from the
    /// state after the pulse (the read convention of Zhong et al.'s behavioural model).
    pub current: f64,
    /// Model estimate of the energy dissipated in the device during the pulse,
    /// `∫ V·I dt` over the pulse width, in joules. Drive and readout electronics are excluded.
    pub energy: f64,
}

/// One memristor model: apply a voltage pulse of a given amplitude and width, get a current.
///
/// The trait is deliberately small: a model only has to say how it responds to a pulse that
/// is already known to be valid ([`respond`](Device::respond)) and how it relaxes at zero
/// bias ([`relax`](Device::relax)); the checked entry points [`apply`](Device::apply) and
/// [`idle`](Device::idle) are provided, so every model rejects the same bad pulses with the
/// same errors.
///
/// # Contract
///
/// For model authors:
/// - [`state`](Device::state) always lies within [`state_bounds`](Device::state_bounds), for
///   any sequence of valid pulses.
/// - [`respond`](Device::respond) may assume `|volts| ≤ v_limit()` and a positive, finite
///   width; it must not panic and must leave the state unchanged when it returns an error.
/// - The returned energy is finite and non-negative (a passive device only dissipates).
///
/// For users: call [`apply`](Device::apply) and [`idle`](Device::idle); [`respond`] and
/// [`relax`] are the unchecked model hooks behind them.
///
/// [`respond`]: Device::respond
/// [`relax`]: Device::relax
pub trait Device {
    /// Short model name (`"zhong2021"`, `"du2017"`, `"hp"`, `"vteam"`).
    fn model(&self) -> &'static str;

    /// The safe limit of the pulse amplitude: `|V| ≤ v_limit()`, in volts.
    fn v_limit(&self) -> f64;

    /// The internal state variable (conductance `G`, occupation `w`, doped fraction `x`).
    fn state(&self) -> f64;

    /// Physical bounds of [`state`](Device::state), inclusive.
    fn state_bounds(&self) -> (f64, f64);

    /// Sets the internal state, for experiments that start from a prepared device.
    ///
    /// # Errors
    ///
    /// [`MemristorError::StateOutOfBounds`] if `value` is not finite or lies outside
    /// [`state_bounds`](Device::state_bounds).
    fn set_state(&mut self, value: f64) -> Result<(), MemristorError>;

    /// Returns the device to its initial state (parameters are kept).
    fn reset(&mut self);

    /// The current in amperes that a voltage `volts` would draw at the present state, without
    /// changing it (an ideal non-disturbing read).
    fn read(&self, volts: f64) -> f64;

    /// Model hook: the response to a pulse that the caller has validated.
    ///
    /// # Errors
    ///
    /// Only models integrated numerically fail, with [`MemristorError::StepLimit`], and leave
    /// the state unchanged when they do.
    fn respond(&mut self, volts: f64, width: f64) -> Result<PulseResponse, MemristorError>;

    /// Model hook: evolution at zero bias for `duration` seconds (validated by the caller).
    ///
    /// # Errors
    ///
    /// As for [`respond`](Device::respond).
    fn relax(&mut self, duration: f64) -> Result<(), MemristorError>;

    /// Applies one voltage pulse and returns the current at its end and its energy.
    ///
    /// # Errors
    ///
    /// [`MemristorError::NonFiniteVoltage`], [`MemristorError::VoltageOutOfRange`] (a pulse
    /// beyond the safe limit is rejected, never clipped), [`MemristorError::InvalidPulseWidth`]
    /// (zero, negative, NaN or infinite), or a model error from [`respond`](Device::respond).
    /// The state is unchanged on error.
    fn apply(&mut self, volts: f64, width: f64) -> Result<PulseResponse, MemristorError> {
        check_pulse(volts, width, self.v_limit(), self.model())?;
        self.respond(volts, width)
    }

    /// Leaves the device at zero bias for `duration` seconds (the gap between pulses).
    ///
    /// # Errors
    ///
    /// [`MemristorError::InvalidDuration`] for a negative or non-finite duration, or a model
    /// error from [`relax`](Device::relax). The state is unchanged on error.
    fn idle(&mut self, duration: f64) -> Result<(), MemristorError> {
        if !(duration.is_finite() && duration >= 0.0) {
            return Err(MemristorError::InvalidDuration { duration });
        }
        if duration == 0.0 {
            return Ok(());
        }
        self.relax(duration)
    }
}

/// Checks one pulse against a safe voltage limit.
///
/// # Errors
///
/// [`MemristorError::NonFiniteVoltage`], [`MemristorError::VoltageOutOfRange`] or
/// [`MemristorError::InvalidPulseWidth`].
#[inline]
pub fn check_pulse(
    volts: f64,
    width: f64,
    limit: f64,
    model: &'static str,
) -> Result<(), MemristorError> {
    if !volts.is_finite() {
        return Err(MemristorError::NonFiniteVoltage { volts });
    }
    if volts.abs() > limit {
        return Err(MemristorError::VoltageOutOfRange {
            volts,
            limit,
            model,
        });
    }
    if !(width.is_finite() && width > 0.0) {
        return Err(MemristorError::InvalidPulseWidth { width });
    }
    Ok(())
}

/// Checks a state value against bounds, for [`Device::set_state`].
pub(crate) fn check_state(
    value: f64,
    (lo, hi): (f64, f64),
    model: &'static str,
) -> Result<(), MemristorError> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(MemristorError::StateOutOfBounds {
            value,
            lo,
            hi,
            model,
        })
    }
}

/// Window function `f(x)` of a drift model: it slows the state near the bounds `0` and `1`.
///
/// `p` is the integer exponent (`2p` in the formulas); larger `p` gives a flatter window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Window {
    /// `f = 1`: no boundary effect (the state is still clipped to `[0, 1]`).
    #[default]
    None,
    /// Joglekar & Wolf (2009): `f(x) = 1 − (2x − 1)^(2p)`. Zero at both bounds whatever the
    /// drive direction, so a device that reaches a bound stays there (the "boundary lock").
    Joglekar,
    /// Biolek et al. (2009): `f(x, i) = 1 − (x − stp(−i))^(2p)`, with `stp` the unit step. Zero
    /// only at the bound the drive pushes towards, so a device can always leave a bound.
    Biolek,
}

impl Window {
    /// The window value at state `x ∈ [0, 1]` when the drive moves the state upwards
    /// (`up = true`, positive current in the HP model) or downwards.
    #[inline]
    pub fn value(self, x: f64, up: bool, p: u32) -> f64 {
        let e = 2 * p as i32;
        match self {
            Window::None => 1.0,
            Window::Joglekar => 1.0 - (2.0 * x - 1.0).powi(e),
            Window::Biolek => {
                // stp(−i) is 1 when the current is not positive, i.e. when the drive moves x down.
                let stp = if up { 0.0 } else { 1.0 };
                1.0 - (x - stp).powi(e)
            }
        }
    }

    /// A bound on `|df/dx|` over `[0, 1]`, used to size integration steps.
    pub(crate) fn lipschitz(self, p: u32) -> f64 {
        match self {
            Window::None => 0.0,
            Window::Joglekar => 4.0 * p as f64,
            Window::Biolek => 2.0 * p as f64,
        }
    }

    /// The name used in config files.
    pub fn name(self) -> &'static str {
        match self {
            Window::None => "none",
            Window::Joglekar => "joglekar",
            Window::Biolek => "biolek",
        }
    }

    /// Validates the parameters a windowed drift model with relaxation shares: the window
    /// exponent `p`, the relaxation time `tau` and the rest state (named `rest_name`) the
    /// device relaxes to. The Joglekar window locks a device at either bound, so there the rest
    /// state must lie strictly inside.
    pub(crate) fn check_drift_params(
        self,
        p: u32,
        tau: f64,
        rest_name: &'static str,
        rest: f64,
    ) -> Result<(), MemristorError> {
        require(
            (1..=16).contains(&p),
            "p",
            "must be an integer in 1..=16",
            f64::from(p),
        )?;
        require(
            tau > 0.0 && !tau.is_nan(),
            "tau",
            "must be positive (inf disables relaxation)",
            tau,
        )?;
        require(
            rest.is_finite() && (0.0..=1.0).contains(&rest),
            rest_name,
            "must lie in [0, 1]",
            rest,
        )?;
        if self == Window::Joglekar {
            require(
                rest > 0.0 && rest < 1.0,
                rest_name,
                "must lie strictly inside (0, 1) with the joglekar window, which locks a device at either bound",
                rest,
            )?;
        }
        Ok(())
    }
}

/// Draws a Gaussian factor `1 + rel_std·ξ`, truncated to `(0, 2)` by redrawing, so a varied
/// parameter keeps its sign and its mean.
pub(crate) fn gaussian_factor<R: Rng + ?Sized>(rng: &mut R, rel_std: f64) -> f64 {
    if rel_std == 0.0 {
        return 1.0;
    }
    loop {
        let xi: f64 = rng.sample(StandardNormal);
        let f = 1.0 + rel_std * xi;
        if f > 0.0 && f < 2.0 {
            return f;
        }
    }
}

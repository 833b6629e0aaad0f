//! Model parameters with flatspin's names and defaults, validated once into [`CheckedParams`].

use serde::Deserialize;

use crate::astroid::AstroidShape;
use crate::error::NanomagnetError;

/// How `step()` chooses which flippable magnets to flip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FlipMode {
    /// The magnet with the largest switching energy; ties go to the lowest index.
    #[default]
    Max,
    /// The largest switching energy; ties broken uniformly at random.
    MaxRand,
    /// A uniformly random flippable magnet (Budrikis-style Monte Carlo).
    Single,
    /// Every flippable magnet at once.
    All,
}

impl FlipMode {
    /// The flatspin spelling.
    pub fn name(self) -> &'static str {
        match self {
            FlipMode::Max => "max",
            FlipMode::MaxRand => "max-rand",
            FlipMode::Single => "single",
            FlipMode::All => "all",
        }
    }
}

/// Which relax engine to run. Both give the same flip sequence for every flip mode except
/// `single` (where each picks its random magnet from a differently ordered set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// Update only the flipped magnet's neighbours and keep the candidates in an indexed
    /// max-heap: O(flips · k² + N) per relax for k neighbours.
    #[default]
    Incremental,
    /// Recompute every field and energy at every step, as flatspin does: O(flips · N · k).
    /// Kept as the executable definition the incremental engine is tested against.
    Reference,
}

/// Boltzmann constant as flatspin 2.6 uses it (CODATA 2014), J/K.
pub const KB: f64 = 1.380_648_52e-23;

/// Parameters of a [`SpinIce`](crate::SpinIce), named and defaulted as in flatspin 2.6's
/// `SpinIce.__init__`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelParams {
    /// Coupling strength `α = μ0·M/(4π a³)` in tesla (default 0.001).
    pub alpha: f64,
    /// Mean switching threshold `h_k` in tesla (default 0.2).
    pub hc: f64,
    /// Threshold disorder as a fraction of `hc`: thresholds ~ |Normal(hc, hc·disorder)|
    /// (default 0).
    pub disorder: f64,
    /// Astroid height along the easy axis (default 0.41).
    pub sw_b: f64,
    /// Astroid width along the hard axis (default 1).
    pub sw_c: f64,
    /// Astroid pointiness at top and bottom (default 1.5).
    pub sw_beta: f64,
    /// Astroid pointiness at the tips (default 3.9).
    pub sw_gamma: f64,
    /// Dipolar cutoff in lattice units (`+1e-5` is added as flatspin does); `None` takes the
    /// geometry's default. `f64::INFINITY` couples every pair.
    pub neighbor_distance: Option<f64>,
    /// Flip selection (default `max`).
    pub flip_mode: FlipMode,
    /// Temperature in kelvin (default 0: no thermal field).
    pub temperature: f64,
    /// Thermal nucleation moment in A·m² (default `0.2·860e3·220e-9·80e-9·25e-9`).
    pub m_therm: f64,
    /// Attempt frequency in Hz (default 1e9).
    pub attempt_freq: f64,
    /// Duration of one relax in seconds for the thermal field (default 1).
    pub therm_timescale: f64,
    /// Seed of every random draw (thresholds, thermal field, random flip modes).
    pub random_seed: u64,
    /// Relax engine (default incremental).
    pub engine: Engine,
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            alpha: 0.001,
            hc: 0.2,
            disorder: 0.0,
            sw_b: 0.41,
            sw_c: 1.0,
            sw_beta: 1.5,
            sw_gamma: 3.9,
            neighbor_distance: None,
            flip_mode: FlipMode::Max,
            temperature: 0.0,
            m_therm: 0.2 * 860e3 * 220e-9 * 80e-9 * 25e-9,
            attempt_freq: 1e9,
            therm_timescale: 1.0,
            random_seed: 0,
            engine: Engine::Incremental,
        }
    }
}

/// [`ModelParams`] that passed [`ModelParams::check`]; the only way to build a
/// [`SpinIce`](crate::SpinIce).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedParams(ModelParams);

impl CheckedParams {
    /// The validated values.
    pub fn get(&self) -> &ModelParams {
        &self.0
    }

    pub(crate) fn astroid(&self) -> AstroidShape {
        AstroidShape {
            b: self.0.sw_b,
            c: self.0.sw_c,
            beta: self.0.sw_beta,
            gamma: self.0.sw_gamma,
        }
    }
}

fn positive(name: &'static str, v: f64) -> Result<(), NanomagnetError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(NanomagnetError::param(
            name,
            "must be positive and finite",
            v,
        ))
    }
}

fn non_negative(name: &'static str, v: f64) -> Result<(), NanomagnetError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(NanomagnetError::param(
            name,
            "must be non-negative and finite",
            v,
        ))
    }
}

impl ModelParams {
    /// Validates every value once.
    ///
    /// # Errors
    ///
    /// [`NanomagnetError::InvalidParameter`] naming the first bad parameter: `hc`, `sw_*`,
    /// `m_therm`, `attempt_freq`, `therm_timescale` must be positive and finite; `alpha`,
    /// `disorder`, `temperature` non-negative and finite; `neighbor_distance` positive (it may
    /// be infinite).
    pub fn check(self) -> Result<CheckedParams, NanomagnetError> {
        non_negative("alpha", self.alpha)?;
        positive("hc", self.hc)?;
        non_negative("disorder", self.disorder)?;
        positive("sw_b", self.sw_b)?;
        positive("sw_c", self.sw_c)?;
        positive("sw_beta", self.sw_beta)?;
        positive("sw_gamma", self.sw_gamma)?;
        if let Some(nd) = self.neighbor_distance {
            if nd.is_nan() || nd <= 0.0 {
                return Err(NanomagnetError::param(
                    "neighbor_distance",
                    "must be positive",
                    nd,
                ));
            }
        }
        non_negative("temperature", self.temperature)?;
        positive("m_therm", self.m_therm)?;
        positive("attempt_freq", self.attempt_freq)?;
        positive("therm_timescale", self.therm_timescale)?;
        Ok(CheckedParams(self))
    }
}

//! Device-scale bars: the dimensions and magnetisation that set an array's switching fields,
//! dipolar coupling and FMR modes (`[substrate.bar]`).

use serde::Deserialize;

use crate::error::NanomagnetError;
use crate::kittel::BarShape;

/// Vacuum permeability, T·m/A (CODATA 2018 value of `μ0`, 1.25663706212e-6).
pub const MU0: f64 = 1.256_637_062_12e-6;

/// Largest bar edge or lattice pitch accepted, nm: a millimetre, far beyond any single-domain
/// bar, and small enough that volumes and moments stay well inside floating point.
pub const MAX_BAR_NM: f64 = 1e6;

/// Dimensions and material of the bars of a device-scale array (table `[substrate.bar]`).
///
/// With this table the array is in device units: the dipolar coupling `alpha`
/// `= μ0·M_s·V/(4π·pitch³)` (the point-dipole prefactor of flatspin, Jensen et al., Phys. Rev. B
/// 106, 064408 (2022)), the moment used for the switching energy `M_s·V`, and the mean switching
/// thresholds `hc` (and `hc_wide` for the wide bars of a spin-vortex ice) are derived from it:
/// the easy-axis switching field `sw_b·hc` is `switching_fraction` times the shape anisotropy
/// field `H_K = (N_y − N_x)·μ0 M_s` of the bar, with demagnetising factors of the rectangular
/// prism from Aharoni, J. Appl. Phys. 83, 3432 (1998). Real bars reverse by nucleation at their
/// ends well below the coherent-rotation field `H_K`; the fraction is a model parameter, not
/// a fit. The Kittel FMR model uses the same shapes. Defaults and their sources:
/// `docs/physics/nanomagnet.md`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BarConfig {
    /// Bar length along its easy axis, nm (default 600).
    pub length: f64,
    /// Width of the ordinary (narrow) bars, nm (default 150).
    pub width: f64,
    /// Width of the wide bars of a spin-vortex ice (`wide_bars`), nm (default 250).
    pub wide_width: f64,
    /// Film thickness, nm (default 20).
    pub thickness: f64,
    /// Saturation magnetisation, A/m (default 800e3, permalloy).
    pub ms: f64,
    /// Lattice spacing of the array (`lattice_spacing = 1` in flatspin's units), nm (default
    /// 800).
    pub pitch: f64,
    /// Easy-axis switching field as a fraction of the shape anisotropy field (default 0.37).
    pub switching_fraction: f64,
}

impl Default for BarConfig {
    fn default() -> Self {
        BarConfig {
            length: 600.0,
            width: 150.0,
            wide_width: 250.0,
            thickness: 20.0,
            ms: 800e3,
            pitch: 800.0,
            switching_fraction: 0.37,
        }
    }
}

impl BarConfig {
    /// Checks every value.
    ///
    /// # Errors
    ///
    /// [`NanomagnetError::InvalidParameter`] naming the key (`bar.width`, ...) for a value that
    /// is not positive and finite, an edge or pitch above [`MAX_BAR_NM`], `ms` above 1e7 A/m
    /// (five times iron's), a `switching_fraction` above 1, a width not below the length, or a
    /// thickness above a width.
    pub fn check(&self) -> Result<(), NanomagnetError> {
        for (name, v, max) in [
            ("bar.length", self.length, MAX_BAR_NM),
            ("bar.width", self.width, MAX_BAR_NM),
            ("bar.wide_width", self.wide_width, MAX_BAR_NM),
            ("bar.thickness", self.thickness, MAX_BAR_NM),
            ("bar.pitch", self.pitch, MAX_BAR_NM),
            ("bar.ms", self.ms, 1e7),
            ("bar.switching_fraction", self.switching_fraction, 1.0),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= max) {
                return Err(NanomagnetError::param(
                    name,
                    "must be positive, finite and within its documented bound",
                    v,
                ));
            }
        }
        for (name, w) in [
            ("bar.width", self.width),
            ("bar.wide_width", self.wide_width),
        ] {
            if w >= self.length {
                return Err(NanomagnetError::param(
                    name,
                    "must be smaller than `bar.length` (the long axis is the easy axis)",
                    w,
                ));
            }
            if self.thickness > w {
                return Err(NanomagnetError::param(
                    "bar.thickness",
                    "must not exceed the bar widths (an in-plane bar)",
                    self.thickness,
                ));
            }
        }
        Ok(())
    }

    /// `μ0·M_s`, tesla.
    pub fn mu0_ms(&self) -> f64 {
        MU0 * self.ms
    }

    /// The shape of a narrow (`wide = false`) or wide bar.
    pub fn shape(&self, wide: bool) -> BarShape {
        let w = if wide { self.wide_width } else { self.width };
        BarShape::new(self.length, w, self.thickness, self.mu0_ms())
    }

    /// Volume of a narrow or wide bar, m³.
    pub fn volume(&self, wide: bool) -> f64 {
        let w = if wide { self.wide_width } else { self.width };
        self.length * w * self.thickness * 1e-27
    }

    /// Moment `M_s·V` of a narrow bar, A·m².
    pub fn moment(&self) -> f64 {
        self.ms * self.volume(false)
    }

    /// flatspin's dipolar prefactor `μ0·M_s·V/(4π·a³)` for narrow bars at this pitch, tesla.
    pub fn alpha(&self) -> f64 {
        let a = self.pitch * 1e-9;
        MU0 * self.moment() / (4.0 * std::f64::consts::PI * a * a * a)
    }

    /// Mean threshold `hc` giving an easy-axis switching field `sw_b·hc` of
    /// `switching_fraction·H_K` for a narrow or wide bar, tesla.
    pub fn threshold(&self, wide: bool, sw_b: f64) -> f64 {
        self.switching_fraction * self.shape(wide).anisotropy_field() / sw_b
    }
}

//! The firmware's error types.

use core::fmt;

use embedded_hal::{digital, spi};
use physrc_rig_protocol::ErrorCode;

/// A coil axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// The x coil pair (`dac_x`).
    X,
    /// The y coil pair (`dac_y`).
    Y,
}

/// A hardware fault: a bus or pin operation failed. The inner kinds are the embedded-hal error
/// kinds the board's drivers reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A coil DAC's SPI device failed.
    Dac {
        /// Which axis.
        axis: Axis,
        /// What the SPI driver reported.
        kind: spi::ErrorKind,
    },
    /// The LDAC line could not be driven.
    Ldac(digital::ErrorKind),
    /// The coil-enable interlock could not be driven.
    CoilEnable(digital::ErrorKind),
    /// The ADC's SPI device failed.
    Adc(spi::ErrorKind),
    /// The sweep trigger line could not be driven.
    SweepTrigger(digital::ErrorKind),
}

impl Fault {
    /// The wire error code: [`ErrorCode::DacFault`] for the coil drive (DACs, LDAC,
    /// interlock), [`ErrorCode::AdcFault`] for the readout (ADC, sweep trigger).
    pub const fn code(&self) -> ErrorCode {
        match self {
            Fault::Dac { .. } | Fault::Ldac(_) | Fault::CoilEnable(_) => ErrorCode::DacFault,
            Fault::Adc(_) | Fault::SweepTrigger(_) => ErrorCode::AdcFault,
        }
    }

    /// The `detail` word of the `Error` reply: which part failed. 0 = x DAC, 1 = y DAC,
    /// 2 = LDAC line, 3 = coil-enable interlock (with [`ErrorCode::DacFault`]); 0 = ADC,
    /// 1 = sweep trigger (with [`ErrorCode::AdcFault`]).
    pub const fn detail(&self) -> u32 {
        match self {
            Fault::Dac { axis: Axis::X, .. } | Fault::Adc(_) => 0,
            Fault::Dac { axis: Axis::Y, .. } | Fault::SweepTrigger(_) => 1,
            Fault::Ldac(_) => 2,
            Fault::CoilEnable(_) => 3,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Dac { axis, kind } => {
                let axis = match axis {
                    Axis::X => "x",
                    Axis::Y => "y",
                };
                write!(f, "{axis} coil dac (ad5791) spi fault: {kind}")
            }
            Fault::Ldac(kind) => write!(f, "ldac line fault: {kind}"),
            Fault::CoilEnable(kind) => write!(f, "coil-enable interlock line fault: {kind}"),
            Fault::Adc(kind) => write!(f, "adc (ads8681) spi fault: {kind}"),
            Fault::SweepTrigger(kind) => write!(f, "sweep trigger line fault: {kind}"),
        }
    }
}

/// A [`crate::DeviceConfig`] value that the device refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// `channels` is 0 or above [`crate::MAX_CHANNELS`].
    Channels(u16),
    /// `limits.max_field_mt` is not a positive finite number, or exceeds
    /// `calibration.field_full_scale_mt` (the DACs could not produce it).
    MaxField,
    /// `limits.max_slew_mt_per_ms` is not a positive finite number.
    MaxSlew,
    /// A ramp across the whole field range (from `-max_field_mt` to `+max_field_mt`) would
    /// take more than [`crate::MAX_RAMP_UPDATES`] updates at `limits.max_slew_mt_per_ms`.
    RampTooLong,
    /// `limits.watchdog_ms` is 0 or above [`crate::MAX_WATCHDOG_MS`].
    Watchdog(u32),
    /// `calibration.field_full_scale_mt` is not a positive finite number.
    FieldFullScale,
    /// `calibration.adc_full_scale` is not a positive finite number.
    AdcFullScale,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Channels(n) => write!(
                f,
                "channels must be in 1..={}, not {n}",
                crate::MAX_CHANNELS
            ),
            ConfigError::MaxField => f.write_str(
                "limits.max_field_mt must be positive, finite and at most calibration.field_full_scale_mt",
            ),
            ConfigError::MaxSlew => {
                f.write_str("limits.max_slew_mt_per_ms must be positive and finite")
            }
            ConfigError::RampTooLong => write!(
                f,
                "limits.max_slew_mt_per_ms is too small: a ramp across the field range would need more than {} updates",
                crate::MAX_RAMP_UPDATES
            ),
            ConfigError::Watchdog(ms) => write!(
                f,
                "limits.watchdog_ms must be in 1..={}, not {ms}",
                crate::MAX_WATCHDOG_MS
            ),
            ConfigError::FieldFullScale => {
                f.write_str("calibration.field_full_scale_mt must be positive and finite")
            }
            ConfigError::AdcFullScale => {
                f.write_str("calibration.adc_full_scale must be positive and finite")
            }
        }
    }
}

/// Why [`crate::Device::new`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirmwareError {
    /// The configuration was refused; no part was touched.
    Config(ConfigError),
    /// A part failed during initialisation; the coil interlock was driven low if it could be.
    Fault(Fault),
}

impl From<ConfigError> for FirmwareError {
    fn from(e: ConfigError) -> Self {
        FirmwareError::Config(e)
    }
}

impl From<Fault> for FirmwareError {
    fn from(e: Fault) -> Self {
        FirmwareError::Fault(e)
    }
}

impl fmt::Display for FirmwareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FirmwareError::Config(e) => write!(f, "invalid device configuration: {e}"),
            FirmwareError::Fault(e) => write!(f, "initialisation failed: {e}"),
        }
    }
}

impl core::error::Error for ConfigError {}
impl core::error::Error for Fault {}
impl core::error::Error for FirmwareError {}

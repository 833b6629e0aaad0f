//! The nanomagnet rig's firmware core: the part of the microcontroller program that does not
//! depend on the board.
//!
//! The rig holds an artificial-spin-ice sample between two pairs of coils. Two AD5791 20-bit
//! DACs (one per axis, sharing an LDAC line) set the coil currents, a coil-enable interlock cuts
//! them, and an ADS8681 16-bit ADC samples the K points of the detector's sweep. The host talks
//! to the microcontroller over a serial link with the frames of [`physrc_rig_protocol`].
//!
//! [`Device`] is the whole core: it owns the parts through embedded-hal 1.0 traits
//! ([`SpiDevice`](embedded_hal::spi::SpiDevice) per chip, [`OutputPin`](embedded_hal::digital::OutputPin)
//! per line, [`DelayNs`](embedded_hal::delay::DelayNs)), takes received bytes and the time,
//! and writes replies to any [`embedded_io::Write`]. A board support package supplies the
//! parts, a millisecond clock and the serial link, and calls [`Device::receive`] and
//! [`Device::poll`] from its main loop (see `docs/rig-hardware.md` for the wiring and a sketch
//! of that loop). The same core runs unchanged in the host crate's emulator, on simulated
//! parts.
//!
//! # Why a core without a board
//!
//! Everything that decides what current flows through the coils — limits, ramps, the
//! duplicate-request rule, the watchdog — lives here, behind traits, so it is tested on the host
//! with scripted bus transactions down to the exact SPI frames, and the emulator the host
//! driver is developed against runs the very code the microcontroller runs.
//!
//! # Modules
//!
//! - [`ad5791`] and [`ads8681`]: small drivers for the two chips (frames, registers, codes).
//! - [`ramp`]: the slew ramp planner (pure functions).
//! - [`Device`]: frames, dispatch, reply cache, blocks, error queue, watchdog.
//!
//! `no_std`, no allocation, no panics on any received bytes.
#![no_std]
#![deny(missing_docs)]

pub mod ad5791;
pub mod ads8681;
mod coils;
mod device;
mod error;
pub mod ramp;

pub use ad5791::DacCode;
pub use device::{
    Calibration, Device, DeviceConfig, ERROR_QUEUE_LEN, FIRMWARE_VERSION, MAX_CHANNELS,
    MAX_WATCHDOG_MS, Peripherals,
};
pub use error::{Axis, ConfigError, Fault, FirmwareError};
pub use ramp::{MAX_RAMP_UPDATES, MAX_SETTLE_US, RAMP_UPDATE_MS};

/// The protocol crate, re-exported so that a board support package and the emulator use the
/// same version of the message types as the core.
pub use physrc_rig_protocol as protocol;

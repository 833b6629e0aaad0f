//! Driver for the ADS8681, the 16-bit 1 MSPS SAR ADC that samples the detector's K channels.
//!
//! # Frames
//!
//! SPI mode 0, one 32-bit frame per chip-select assertion. The command word is bits 31..25
//! opcode, 24..16 register address, 15..0 data; the all-zero word is a NOP. A conversion starts
//! on the rising edge of chip select and its 16-bit result (straight binary, `0x8000` = 0 V) is
//! shifted out MSB first in the first 16 bits of the *next* frame. Every frame is one
//! `SpiDevice::transfer_in_place` of four bytes, so the result is read while the command is
//! written.
//!
//! # A sweep
//!
//! The K channels are the K points of the detector front-end's sweep. [`Ads8681::read_sweep`]
//! pulses the sweep trigger (which restarts the sweep at point 0), sends one *start* NOP frame
//! (starting the conversion of point 0; the data it returns is stale and discarded), then K NOP
//! frames: frame k returns point k's result and starts the next conversion. The conversion that
//! the last frame starts is discarded by the next sweep's start frame. Before every frame that
//! reads a result the driver waits [`CONVERSION_WAIT_NS`], longer than the 665 ns maximum
//! conversion time.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;
use embedded_hal::spi::SpiDevice;

/// Number of bits of a conversion result.
pub const ADC_BITS: u8 = 16;

/// Opcode byte of the WRITE (half word) command: `0b1101_000` in bits 31..25, so the first
/// byte of the frame is `0xD0 | address bit 8`.
pub const OP_WRITE_HWORD: u8 = 0xD0;

/// Address of the RANGE_SEL register.
pub const REG_RANGE_SEL: u16 = 0x14;

/// RANGE_SEL value for ±3·V_REF (±12.288 V with the internal 4.096 V reference).
pub const RANGE_PM_3VREF: u16 = 0x0000;

/// The all-zero NOP frame.
pub const NOP_FRAME: [u8; 4] = [0; 4];

/// Wait between a frame that starts a conversion and the frame that reads it, in ns
/// (t_conv ≤ 665 ns).
pub const CONVERSION_WAIT_NS: u32 = 1_000;

/// The 32-bit WRITE (half word) frame that writes `data` to register `address` (9 bits).
#[must_use]
pub const fn write_frame(address: u16, data: u16) -> [u8; 4] {
    [
        OP_WRITE_HWORD | ((address >> 8) & 1) as u8,
        address as u8,
        (data >> 8) as u8,
        data as u8,
    ]
}

/// Why a sweep failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepError<S, P> {
    /// The ADC's SPI device failed.
    Spi(S),
    /// The sweep trigger line could not be driven.
    Trigger(P),
}

/// One ADS8681 on its own [`SpiDevice`] (its own chip select, SPI mode 0).
#[derive(Debug)]
pub struct Ads8681<SPI> {
    spi: SPI,
}

impl<SPI: SpiDevice> Ads8681<SPI> {
    /// Wraps the device. Sends nothing: call [`Ads8681::init`] before use.
    pub const fn new(spi: SPI) -> Self {
        Ads8681 { spi }
    }

    /// Sends one 32-bit frame and returns the 16-bit result of the previous conversion that
    /// the part shifts out meanwhile. The frame itself starts a new conversion.
    ///
    /// # Errors
    ///
    /// The SPI device's error.
    pub fn frame(&mut self, command: [u8; 4]) -> Result<u16, SPI::Error> {
        let mut buf = command;
        self.spi.transfer_in_place(&mut buf)?;
        Ok(u16::from_be_bytes([buf[0], buf[1]]))
    }

    /// Writes the 16-bit register at `address` (a WRITE half-word frame).
    ///
    /// # Errors
    ///
    /// The SPI device's error.
    pub fn write_register(&mut self, address: u16, data: u16) -> Result<(), SPI::Error> {
        self.frame(write_frame(address, data)).map(|_| ())
    }

    /// Initialises the part: selects the ±3·V_REF input range.
    ///
    /// # Errors
    ///
    /// The SPI device's error.
    pub fn init(&mut self) -> Result<(), SPI::Error> {
        self.write_register(REG_RANGE_SEL, RANGE_PM_3VREF)
    }

    /// Reads one sweep of `out.len()` channels into `out` (see the module docs for the frame
    /// sequence). The delay is used between frames.
    ///
    /// # Errors
    ///
    /// The first SPI or trigger-line failure; `out` is then partly written.
    pub fn read_sweep<P: OutputPin, D: DelayNs>(
        &mut self,
        trigger: &mut P,
        delay: &mut D,
        out: &mut [u16],
    ) -> Result<(), SweepError<SPI::Error, P::Error>> {
        trigger.set_high().map_err(SweepError::Trigger)?;
        trigger.set_low().map_err(SweepError::Trigger)?;
        self.frame(NOP_FRAME).map_err(SweepError::Spi)?;
        for slot in out.iter_mut() {
            delay.delay_ns(CONVERSION_WAIT_NS);
            *slot = self.frame(NOP_FRAME).map_err(SweepError::Spi)?;
        }
        Ok(())
    }

    /// Gives the SPI device back.
    pub fn release(self) -> SPI {
        self.spi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_select_frame() {
        assert_eq!(
            write_frame(REG_RANGE_SEL, RANGE_PM_3VREF),
            [0xD0, 0x14, 0x00, 0x00]
        );
        assert_eq!(write_frame(0x114, 0xABCD), [0xD1, 0x14, 0xAB, 0xCD]);
    }
}

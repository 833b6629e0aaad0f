//! Driver for the AD5791, the 20-bit voltage-output DAC that drives one coil axis.
//!
//! Only what the rig needs: register writes (no read-back), offset-binary coding, and the
//! initialisation that takes the output out of its power-up clamp. The output update is done by
//! the shared LDAC line, which this driver does not own: [`crate::Device`] pulses it after
//! writing both axes so that x and y change together.
//!
//! # Frames
//!
//! SPI mode 1 (CPOL 0, CPHA 1), one 24-bit frame per chip-select assertion, MSB first:
//! bit 23 is R/W̅ (0 = write), bits 22..20 the register address, bits 19..0 the data. Every
//! frame is sent as one `SpiDevice::write` of three bytes.

use embedded_hal::spi::SpiDevice;

/// Number of bits of the DAC code.
pub const DAC_BITS: u8 = 20;

/// Largest DAC code, `2^20 − 1`.
pub const CODE_MAX: u32 = (1 << DAC_BITS) - 1;

/// Mid-scale code `2^19`: zero output (zero coil current) in offset-binary coding.
pub const CODE_MID: u32 = 1 << (DAC_BITS - 1);

/// The AD5791's registers the firmware writes (address bits 22..20 of a frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Register {
    /// `0b001`: the DAC register (the output code).
    Dac = 0b001,
    /// `0b010`: the control register.
    Control = 0b010,
    /// `0b011`: the clearcode register (the code loaded by the CLR̅ pin).
    ClearCode = 0b011,
    /// `0b100`: the software control register (LDAC, CLR and RESET by software).
    SoftwareControl = 0b100,
}

/// Control register bit 1, RBUF: the output amplifier is configured for an external buffer
/// (unity gain), as on the rig's board.
pub const CTRL_RBUF: u32 = 1 << 1;
/// Control register bit 2, OPGND: output clamped to ground (1 at power-up).
pub const CTRL_OPGND: u32 = 1 << 2;
/// Control register bit 3, DACTRI: DAC tri-stated (1 at power-up).
pub const CTRL_DACTRI: u32 = 1 << 3;
/// Control register bit 4, BIN/2sC: 1 selects offset-binary coding, 0 two's complement.
pub const CTRL_BIN2SC: u32 = 1 << 4;
/// Control register bit 5, SDODIS: disables the serial data output.
pub const CTRL_SDODIS: u32 = 1 << 5;

/// The control word written at initialisation: RBUF and offset binary, with OPGND and DACTRI
/// cleared so that the output follows the DAC register. As a frame: `0x20_0012`.
pub const CONTROL_INIT: u32 = CTRL_RBUF | CTRL_BIN2SC;

/// A 20-bit DAC code; the type guarantees it is at most [`CODE_MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DacCode(u32);

impl DacCode {
    /// Mid-scale: zero coil current.
    pub const MID: DacCode = DacCode(CODE_MID);
    /// Negative full scale (code 0).
    pub const MIN: DacCode = DacCode(0);
    /// Positive full scale minus one LSB (code `2^20 − 1`).
    pub const MAX: DacCode = DacCode(CODE_MAX);

    /// The code `raw`, or `None` if it does not fit in 20 bits.
    #[must_use]
    pub const fn new(raw: u32) -> Option<Self> {
        if raw <= CODE_MAX {
            Some(DacCode(raw))
        } else {
            None
        }
    }

    /// The raw 20-bit value.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The code for field `field_mt` on a coil axis whose field at full scale is
    /// `full_scale_mt`: `round(field / full_scale · 2^19) + 2^19`, clamped to `[0, 2^20 − 1]`.
    ///
    /// The quotient is computed in `f32`; the product by `2^19` is exact, and the rounding
    /// (half away from zero, like `f32::round`) is done in `f64` so that adding one half is
    /// exact. A non-finite input or a non-positive full scale gives mid-scale; the device
    /// rejects such requests before converting, this only keeps the function total.
    #[must_use]
    pub fn from_field(field_mt: f32, full_scale_mt: f32) -> Self {
        if !field_mt.is_finite() || !full_scale_mt.is_finite() || full_scale_mt <= 0.0 {
            return Self::MID;
        }
        let scaled = field_mt / full_scale_mt * CODE_MID as f32;
        let rounded = round_half_away(scaled) + i64::from(CODE_MID);
        let clamped = rounded.clamp(0, i64::from(CODE_MAX));
        // In range by the clamp above.
        DacCode(clamped as u32)
    }

    /// The field this code produces: `(code − 2^19) / 2^19 · full_scale_mt`, in `f32`.
    ///
    /// Mid-scale maps to exactly `0.0`.
    #[must_use]
    pub fn to_field(self, full_scale_mt: f32) -> f32 {
        let offset = self.0 as i32 - CODE_MID as i32;
        offset as f32 / CODE_MID as f32 * full_scale_mt
    }
}

/// Rounds half away from zero (the rule of `f32::round`, which `core` lacks), in `f64`.
///
/// `value` must be finite; saturates otherwise.
fn round_half_away(value: f32) -> i64 {
    let v = f64::from(value);
    if v >= 0.0 {
        (v + 0.5) as i64
    } else {
        -((-v + 0.5) as i64)
    }
}

/// The 24-bit write frame for `data` into `register`, as the three bytes sent MSB first.
///
/// Bits of `data` above bit 19 are ignored.
#[must_use]
pub const fn write_frame(register: Register, data: u32) -> [u8; 3] {
    let word = ((register as u32) << 20) | (data & CODE_MAX);
    [(word >> 16) as u8, (word >> 8) as u8, word as u8]
}

/// One AD5791 on its own [`SpiDevice`] (its own chip select, SPI mode 1).
#[derive(Debug)]
pub struct Ad5791<SPI> {
    spi: SPI,
}

impl<SPI: SpiDevice> Ad5791<SPI> {
    /// Wraps the device. Sends nothing: call [`Ad5791::init`] before use.
    pub const fn new(spi: SPI) -> Self {
        Ad5791 { spi }
    }

    /// Writes `data` into `register` (one 24-bit frame).
    ///
    /// # Errors
    ///
    /// The SPI device's error; the register may or may not have been written.
    pub fn write_register(&mut self, register: Register, data: u32) -> Result<(), SPI::Error> {
        self.spi.write(&write_frame(register, data))
    }

    /// Loads `code` into the DAC register. The output changes on the next LDAC pulse.
    ///
    /// # Errors
    ///
    /// The SPI device's error.
    pub fn write_code(&mut self, code: DacCode) -> Result<(), SPI::Error> {
        self.write_register(Register::Dac, code.get())
    }

    /// Initialises the part: loads mid-scale into the DAC register, then writes the control
    /// register ([`CONTROL_INIT`]: offset binary, output released from its clamp).
    ///
    /// # Contract
    ///
    /// The DAC register powers up at code 0, which in offset-binary coding is *negative full
    /// scale*. Loading mid-scale first, while the output is still clamped to ground, means the
    /// output never sees full scale when the clamp is released. The caller still pulses LDAC
    /// and keeps the coil interlock low until it wants current.
    ///
    /// # Errors
    ///
    /// The SPI device's error; the part is then in an unknown state.
    pub fn init(&mut self) -> Result<(), SPI::Error> {
        self.write_code(DacCode::MID)?;
        self.write_register(Register::Control, CONTROL_INIT)
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
    fn init_frame_matches_the_design() {
        assert_eq!(
            write_frame(Register::Control, CONTROL_INIT),
            [0x20, 0x00, 0x12]
        );
        assert_eq!(write_frame(Register::Dac, CODE_MID), [0x18, 0x00, 0x00]);
        assert_eq!(write_frame(Register::Dac, CODE_MAX), [0x1F, 0xFF, 0xFF]);
    }

    #[test]
    fn field_to_code_follows_the_formula() {
        let fs = 10.0_f32;
        for b in [
            -10.0_f32, -3.3, -0.01, 0.0, 0.5, 1.234_567, 9.99, 10.0, 12.0, -12.0,
        ] {
            let expected = (((b / fs) * 524_288.0).round() as i64 + 524_288).clamp(0, 1_048_575);
            assert_eq!(
                i64::from(DacCode::from_field(b, fs).get()),
                expected,
                "b = {b}"
            );
        }
        assert_eq!(DacCode::from_field(0.0, fs), DacCode::MID);
        assert_eq!(DacCode::from_field(f32::NAN, fs), DacCode::MID);
        assert_eq!(DacCode::from_field(f32::INFINITY, fs), DacCode::MID);
        assert_eq!(DacCode::MID.to_field(fs), 0.0);
        assert_eq!(DacCode::MIN.to_field(fs), -10.0);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_away(0.5), 1);
        assert_eq!(round_half_away(-0.5), -1);
        assert_eq!(round_half_away(0.499_999_97), 0);
        assert_eq!(round_half_away(-2.5), -3);
    }
}

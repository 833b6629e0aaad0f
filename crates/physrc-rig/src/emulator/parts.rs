//! Simulated peripherals: the coil DACs, the detector ADC, the three control lines and the
//! clock, modelled at the level of their SPI frames and pin edges.
//!
//! The firmware core cannot tell these from the real parts: an AD5791 model decodes the
//! 24-bit frames of the Analog Devices datasheet (control register, DAC register, output
//! update on LDAC), an ADS8681 model answers the 32-bit frames of the TI datasheet (a
//! conversion starts when chip select rises and is shifted out in the next frame). So a bug in
//! the firmware's register sequences shows up in emulation exactly as it would on the bench:
//! a DAC left clamped to ground produces no field, a missed conversion frame shifts the
//! spectrum by one channel.

use std::cell::RefCell;
use std::convert::Infallible;
use std::rc::Rc;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType as PinErrorType, OutputPin};
use embedded_hal::spi::{ErrorType as SpiErrorType, Operation, SpiDevice};

use super::world::World;

/// Which coil axis a DAC drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// The x coils.
    X,
    /// The y coils.
    Y,
}

/// The registers of one AD5791 that matter to the field it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ad5791State {
    /// The control register (power-up value: OPGND and DACTRI set, two's complement).
    pub control: u32,
    /// The DAC (input) register, 20 bits.
    pub dac: u32,
    /// The code driving the output since the last LDAC update.
    pub output: u32,
}

impl Default for Ad5791State {
    fn default() -> Self {
        Ad5791State {
            control: AD5791_OPGND | AD5791_DACTRI,
            dac: 0,
            output: 0,
        }
    }
}

/// Control register bit 2: output clamped to ground through 6 kΩ.
pub const AD5791_OPGND: u32 = 1 << 2;
/// Control register bit 3: DAC output tri-stated.
pub const AD5791_DACTRI: u32 = 1 << 3;
/// Control register bit 4: offset binary coding when set, two's complement when clear.
pub const AD5791_BIN: u32 = 1 << 4;

impl Ad5791State {
    /// The output as a fraction of full scale in `[-1, 1)`, or 0 while the output is clamped
    /// to ground or tri-stated.
    pub fn output_fraction(&self) -> f64 {
        if self.control & (AD5791_OPGND | AD5791_DACTRI) != 0 {
            return 0.0;
        }
        let half = f64::from(1u32 << 19);
        let code = self.output & 0xF_FFFF;
        if self.control & AD5791_BIN != 0 {
            (f64::from(code) - half) / half
        } else {
            // Two's complement: bit 19 is the sign.
            let signed = ((code << 12) as i32) >> 12;
            f64::from(signed) / half
        }
    }

    /// Applies one 24-bit write frame (read frames change nothing).
    fn write_frame(&mut self, frame: u32) {
        if frame & (1 << 23) != 0 {
            return;
        }
        let data = frame & 0xF_FFFF;
        match (frame >> 20) & 0x7 {
            0b001 => self.dac = data,
            0b010 => self.control = data & 0x3FE,
            // The software control register's LDAC bit updates the output at once.
            0b100 if data & 1 != 0 => self.output = self.dac,
            _ => {}
        }
    }
}

/// A bus fault of a simulated part: a frame of a length the part does not take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameError {
    /// Bytes clocked in the transaction.
    pub bytes: usize,
}

impl embedded_hal::spi::Error for FrameError {
    fn kind(&self) -> embedded_hal::spi::ErrorKind {
        embedded_hal::spi::ErrorKind::Other
    }
}

/// Runs one SPI transaction against a part: collects the bytes the controller clocks out,
/// and clocks `miso` back in the same positions.
fn clock_transaction(operations: &mut [Operation<'_, u8>], miso: &[u8]) -> Vec<u8> {
    let mut mosi = Vec::with_capacity(miso.len());
    let mut at = 0usize;
    let next = |at: &mut usize| {
        let b = miso.get(*at).copied().unwrap_or(0);
        *at += 1;
        b
    };
    for op in operations.iter_mut() {
        match op {
            Operation::Read(buf) => {
                for b in buf.iter_mut() {
                    mosi.push(0);
                    *b = next(&mut at);
                }
            }
            Operation::Write(buf) => {
                for &b in buf.iter() {
                    mosi.push(b);
                    at += 1;
                }
            }
            Operation::Transfer(read, write) => {
                let n = read.len().max(write.len());
                for k in 0..n {
                    mosi.push(write.get(k).copied().unwrap_or(0));
                    let b = next(&mut at);
                    if let Some(r) = read.get_mut(k) {
                        *r = b;
                    }
                }
            }
            Operation::TransferInPlace(buf) => {
                for b in buf.iter_mut() {
                    mosi.push(*b);
                    *b = next(&mut at);
                }
            }
            Operation::DelayNs(_) => {}
        }
    }
    mosi
}

/// A simulated AD5791 on its own chip select.
#[derive(Debug)]
pub struct SimAd5791 {
    world: Rc<RefCell<World>>,
    axis: Axis,
}

impl SimAd5791 {
    /// The DAC of `axis` in `world`.
    pub fn new(world: Rc<RefCell<World>>, axis: Axis) -> Self {
        SimAd5791 { world, axis }
    }
}

impl SpiErrorType for SimAd5791 {
    type Error = FrameError;
}

impl SpiDevice for SimAd5791 {
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), FrameError> {
        let mosi = clock_transaction(operations, &[]);
        let [a, b, c] = mosi[..] else {
            return Err(FrameError { bytes: mosi.len() });
        };
        let frame = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
        let mut w = self.world.borrow_mut();
        w.dac_mut(self.axis).write_frame(frame);
        w.after_dac_frame();
        Ok(())
    }
}

/// The ADS8681's RANGE_SEL register address.
pub const ADS8681_RANGE_SEL: u16 = 0x14;

/// A simulated ADS8681 on its own chip select.
#[derive(Debug)]
pub struct SimAds8681 {
    world: Rc<RefCell<World>>,
    /// The result of the conversion started at the end of the previous frame.
    pending: u16,
    range_sel: u16,
}

impl SimAds8681 {
    /// The detector ADC of `world`.
    pub fn new(world: Rc<RefCell<World>>) -> Self {
        SimAds8681 {
            world,
            pending: 0x8000,
            range_sel: 0,
        }
    }

    /// The RANGE_SEL register as last written.
    pub fn range_sel(&self) -> u16 {
        self.range_sel
    }
}

impl SpiErrorType for SimAds8681 {
    type Error = FrameError;
}

impl SpiDevice for SimAds8681 {
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), FrameError> {
        let out = self.pending.to_be_bytes();
        let miso = [out[0], out[1], 0, 0];
        let mosi = clock_transaction(operations, &miso);
        let [a, b, c, d] = mosi[..] else {
            return Err(FrameError { bytes: mosi.len() });
        };
        // Opcode 0b1101_000 (first byte 0xD0 or 0xD1): write a half word.
        if a & 0xFE == 0xD0 {
            let address = (u16::from(a & 1) << 8) | u16::from(b);
            if address == ADS8681_RANGE_SEL {
                self.range_sel = u16::from_be_bytes([c, d]);
            }
        }
        // Chip select rises: the next conversion starts and is read in the next frame.
        self.pending = self.world.borrow_mut().convert(self.range_sel);
        Ok(())
    }
}

/// Which control line a pin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// LDAC of both DACs: a low level loads the DAC registers into the outputs.
    Ldac,
    /// The coil-enable interlock: high lets the amplifiers drive the coils.
    CoilEnable,
    /// The detector sweep trigger: a rising edge restarts the sweep at point 0.
    SweepTrigger,
}

/// A simulated output pin wired to one control line.
#[derive(Debug)]
pub struct SimPin {
    world: Rc<RefCell<World>>,
    line: Line,
}

impl SimPin {
    /// The pin driving `line` in `world`.
    pub fn new(world: Rc<RefCell<World>>, line: Line) -> Self {
        SimPin { world, line }
    }
}

impl PinErrorType for SimPin {
    type Error = Infallible;
}

impl OutputPin for SimPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.world.borrow_mut().set_line(self.line, false);
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        self.world.borrow_mut().set_line(self.line, true);
        Ok(())
    }
}

/// A delay that advances the emulator's virtual clock instead of sleeping, so a long
/// experiment emulates in a fraction of its real duration; the wire's pace is kept
/// separately by the server's throttling.
#[derive(Debug)]
pub struct SimDelay {
    world: Rc<RefCell<World>>,
}

impl SimDelay {
    /// The clock of `world`.
    pub fn new(world: Rc<RefCell<World>>) -> Self {
        SimDelay { world }
    }
}

impl DelayNs for SimDelay {
    fn delay_ns(&mut self, ns: u32) {
        self.world.borrow_mut().advance_ns(u64::from(ns));
    }
}

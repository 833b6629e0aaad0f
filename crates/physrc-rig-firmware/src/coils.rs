//! The coil drive: both AD5791s, the shared LDAC line and the coil-enable interlock.
//!
//! # Contract
//!
//! - Both axes change together: codes are written to both DAC registers first and take effect
//!   on one LDAC pulse (low, then high; LDAC idles high).
//! - The interlock (high = coils enabled) is raised only after the DACs hold a code the caller
//!   asked for, and [`Coils::off`] lowers it even when a DAC write before it failed: on a fault
//!   the one thing that must still happen is the interlock going low.

use embedded_hal::digital::{self, OutputPin};
use embedded_hal::spi::{self, SpiDevice};

use crate::ad5791::{Ad5791, DacCode};
use crate::error::{Axis, Fault};

/// The two coil DACs, the LDAC line and the coil-enable interlock.
#[derive(Debug)]
pub struct Coils<DX, DY, LDAC, EN> {
    dac_x: Ad5791<DX>,
    dac_y: Ad5791<DY>,
    ldac: LDAC,
    enable: EN,
    codes: (DacCode, DacCode),
    /// Whether the DAC outputs are known to hold `codes`: false after any failed DAC write or
    /// LDAC pulse, until a switch-off succeeds.
    known: bool,
    enabled: bool,
}

impl<DX, DY, LDAC, EN> Coils<DX, DY, LDAC, EN>
where
    DX: SpiDevice,
    DY: SpiDevice,
    LDAC: OutputPin,
    EN: OutputPin,
{
    /// Takes the parts and brings them to a safe state: interlock low, LDAC high, both DACs
    /// initialised ([`Ad5791::init`]), then [`Coils::off`].
    ///
    /// # Errors
    ///
    /// The first fault; the interlock has been driven low if it could be.
    pub fn new(dac_x: DX, dac_y: DY, ldac: LDAC, enable: EN) -> (Self, Result<(), Fault>) {
        let mut coils = Coils {
            dac_x: Ad5791::new(dac_x),
            dac_y: Ad5791::new(dac_y),
            ldac,
            enable,
            codes: (DacCode::MID, DacCode::MID),
            // Unknown until written and driven low: assume the worst.
            known: false,
            enabled: true,
        };
        let result = coils.init();
        (coils, result)
    }

    fn init(&mut self) -> Result<(), Fault> {
        let interlock = self.disable();
        let ldac = self.ldac.set_high().map_err(ldac_fault);
        let x = self.dac_x.init().map_err(dac_fault(Axis::X));
        let y = self.dac_y.init().map_err(dac_fault(Axis::Y));
        let off = self.off();
        interlock.and(ldac).and(x).and(y).and(off)
    }

    /// Switches the coils off: mid-scale code to both DACs, one LDAC pulse, interlock low.
    /// Every step is attempted even if an earlier one failed.
    ///
    /// # Errors
    ///
    /// The first fault met. The recorded codes are mid-scale either way, and the coils count
    /// as off if the interlock went low.
    pub fn off(&mut self) -> Result<(), Fault> {
        let x = self
            .dac_x
            .write_code(DacCode::MID)
            .map_err(dac_fault(Axis::X));
        let y = self
            .dac_y
            .write_code(DacCode::MID)
            .map_err(dac_fault(Axis::Y));
        let pulse = self.pulse_ldac();
        self.codes = (DacCode::MID, DacCode::MID);
        self.known = x.is_ok() && y.is_ok() && pulse.is_ok();
        let interlock = self.disable();
        x.and(y).and(pulse).and(interlock)
    }

    /// Writes `codes` (x, y) to the DAC registers and pulses LDAC so that both outputs change
    /// together. Does not touch the interlock.
    ///
    /// # Errors
    ///
    /// The first fault; the caller must then switch the coils off.
    pub fn apply(&mut self, codes: (DacCode, DacCode)) -> Result<(), Fault> {
        let result = self.write_both(codes);
        if result.is_ok() {
            self.codes = codes;
        }
        result
    }

    fn write_both(&mut self, codes: (DacCode, DacCode)) -> Result<(), Fault> {
        self.known = false;
        self.dac_x.write_code(codes.0).map_err(dac_fault(Axis::X))?;
        self.dac_y.write_code(codes.1).map_err(dac_fault(Axis::Y))?;
        self.pulse_ldac()?;
        self.known = true;
        Ok(())
    }

    /// Raises the interlock. Call it while the coils are off, so that the DACs hold mid-scale
    /// and enabling passes no current. If a DAC write or LDAC pulse failed since the last
    /// successful switch-off, the outputs are not known to be at mid-scale: mid-scale is
    /// written and latched again first.
    ///
    /// # Errors
    ///
    /// The first fault; the interlock stays low if it was.
    pub fn enable(&mut self) -> Result<(), Fault> {
        if !self.known || self.codes != (DacCode::MID, DacCode::MID) {
            self.write_both((DacCode::MID, DacCode::MID))?;
            self.codes = (DacCode::MID, DacCode::MID);
        }
        self.enable.set_high().map_err(enable_fault)?;
        self.enabled = true;
        Ok(())
    }

    /// The codes the DAC outputs hold (mid-scale when off).
    pub fn codes(&self) -> (DacCode, DacCode) {
        self.codes
    }

    /// Whether the interlock is high (or could not be driven low).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn pulse_ldac(&mut self) -> Result<(), Fault> {
        self.ldac.set_low().map_err(ldac_fault)?;
        self.ldac.set_high().map_err(ldac_fault)
    }

    fn disable(&mut self) -> Result<(), Fault> {
        self.enable.set_low().map_err(enable_fault)?;
        self.enabled = false;
        Ok(())
    }

    /// Gives the parts back: (dac_x, dac_y, ldac, enable).
    pub fn release(self) -> (DX, DY, LDAC, EN) {
        (
            self.dac_x.release(),
            self.dac_y.release(),
            self.ldac,
            self.enable,
        )
    }
}

fn dac_fault<E: spi::Error>(axis: Axis) -> impl Fn(E) -> Fault {
    move |e| Fault::Dac {
        axis,
        kind: e.kind(),
    }
}

fn ldac_fault<E: digital::Error>(e: E) -> Fault {
    Fault::Ldac(e.kind())
}

fn enable_fault<E: digital::Error>(e: E) -> Fault {
    Fault::CoilEnable(e.kind())
}

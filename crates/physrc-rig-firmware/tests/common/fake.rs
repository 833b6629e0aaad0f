//! Recording fakes: every part appends what it sees to one shared, ordered log, and any part
//! can be told to fail. The embedded-hal-mock SPI mock cannot return errors, and separate mocks
//! cannot check the order of events across parts; these can.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use embedded_hal::digital::{self, OutputPin};
use embedded_hal::spi::{self, Operation, SpiDevice};
use embedded_hal_mock::eh1::delay::NoopDelay;
use physrc_rig_firmware::{Device, DeviceConfig, FirmwareError, Peripherals};

/// A part of the rig.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    DacX,
    DacY,
    Adc,
    Ldac,
    Enable,
    Trigger,
}

/// One observed event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// An SPI frame (bytes written), `ok = false` if the fake failed it.
    Spi(Part, Vec<u8>, bool),
    /// A pin set high (`true`) or low, `ok = false` if the fake failed it.
    Pin(Part, bool, bool),
}

#[derive(Default)]
struct State {
    log: Vec<Event>,
    /// Number of further operations each part fails.
    failures: HashMap<Part, u32>,
    /// What the ADC returns in the first 16 bits of each frame (then repeats the last).
    adc_codes: Vec<u16>,
}

/// The shared log and failure switches.
#[derive(Clone, Default)]
pub struct Bench(Rc<RefCell<State>>);

impl Bench {
    /// Makes `part` fail its next `count` operations.
    pub fn fail(&self, part: Part, count: u32) {
        self.0.borrow_mut().failures.insert(part, count);
    }

    /// Takes the events logged so far.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut self.0.borrow_mut().log)
    }

    fn record(&self, part: Part, event: impl FnOnce(bool) -> Event) -> bool {
        let mut s = self.0.borrow_mut();
        let remaining = s.failures.entry(part).or_insert(0);
        let ok = *remaining == 0;
        if !ok {
            *remaining -= 1;
        }
        s.log.push(event(ok));
        ok
    }

    fn spi(&self, part: Part) -> FakeSpi {
        FakeSpi {
            part,
            bench: self.clone(),
        }
    }

    fn pin(&self, part: Part) -> FakePin {
        FakePin {
            part,
            bench: self.clone(),
        }
    }

    /// Peripherals made of fakes.
    pub fn peripherals(
        &self,
    ) -> Peripherals<FakeSpi, FakeSpi, FakeSpi, FakePin, FakePin, FakePin, NoopDelay> {
        Peripherals {
            dac_x: self.spi(Part::DacX),
            dac_y: self.spi(Part::DacY),
            adc: self.spi(Part::Adc),
            ldac: self.pin(Part::Ldac),
            coil_enable: self.pin(Part::Enable),
            sweep_trigger: self.pin(Part::Trigger),
            delay: NoopDelay::new(),
        }
    }

    /// A device on fakes.
    pub fn device(&self, cfg: DeviceConfig) -> Result<FakeDevice, FirmwareError> {
        Device::new(self.peripherals(), cfg).map_err(|(_, e)| e)
    }
}

/// A device built from fakes.
pub type FakeDevice = Device<FakeSpi, FakeSpi, FakeSpi, FakePin, FakePin, FakePin, NoopDelay>;

/// The error every fake returns.
#[derive(Debug)]
pub struct FakeError;

impl spi::Error for FakeError {
    fn kind(&self) -> spi::ErrorKind {
        spi::ErrorKind::Overrun
    }
}

impl digital::Error for FakeError {
    fn kind(&self) -> digital::ErrorKind {
        digital::ErrorKind::Other
    }
}

/// An SPI device that logs the bytes of each transaction.
pub struct FakeSpi {
    part: Part,
    bench: Bench,
}

impl spi::ErrorType for FakeSpi {
    type Error = FakeError;
}

impl SpiDevice for FakeSpi {
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), FakeError> {
        let mut written = Vec::new();
        let mut reads: Vec<&mut [u8]> = Vec::new();
        for op in operations.iter_mut() {
            match op {
                Operation::Write(w) => written.extend_from_slice(w),
                Operation::TransferInPlace(buf) => {
                    written.extend_from_slice(buf);
                    reads.push(buf);
                }
                Operation::Transfer(r, w) => {
                    written.extend_from_slice(w);
                    reads.push(r);
                }
                Operation::Read(r) => reads.push(r),
                Operation::DelayNs(_) => {}
            }
        }
        let ok = self
            .bench
            .record(self.part, |ok| Event::Spi(self.part, written.clone(), ok));
        if !ok {
            return Err(FakeError);
        }
        if self.part == Part::Adc {
            let mut s = self.bench.0.borrow_mut();
            let code = if s.adc_codes.len() > 1 {
                s.adc_codes.remove(0)
            } else {
                s.adc_codes.first().copied().unwrap_or(0x8000)
            };
            for buf in reads {
                for (b, v) in buf
                    .iter_mut()
                    .zip(code.to_be_bytes().into_iter().chain([0, 0]))
                {
                    *b = v;
                }
            }
        }
        Ok(())
    }
}

/// An output pin that logs every level set.
pub struct FakePin {
    part: Part,
    bench: Bench,
}

impl digital::ErrorType for FakePin {
    type Error = FakeError;
}

impl OutputPin for FakePin {
    fn set_low(&mut self) -> Result<(), FakeError> {
        self.set(false)
    }

    fn set_high(&mut self) -> Result<(), FakeError> {
        self.set(true)
    }
}

impl FakePin {
    fn set(&mut self, high: bool) -> Result<(), FakeError> {
        if self
            .bench
            .record(self.part, |ok| Event::Pin(self.part, high, ok))
        {
            Ok(())
        } else {
            Err(FakeError)
        }
    }
}

/// The events of a coil switch-off, all succeeding.
pub fn coils_off_events() -> Vec<Event> {
    vec![
        Event::Spi(Part::DacX, vec![0x18, 0, 0], true),
        Event::Spi(Part::DacY, vec![0x18, 0, 0], true),
        Event::Pin(Part::Ldac, false, true),
        Event::Pin(Part::Ldac, true, true),
        Event::Pin(Part::Enable, false, true),
    ]
}

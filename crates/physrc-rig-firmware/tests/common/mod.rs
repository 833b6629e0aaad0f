//! Test kit: scripted mocks of the rig's parts, the expected frames computed from the
//! datasheet formulas, a serial sink, and request/reply helpers.

pub mod fake;

use std::convert::Infallible;

use embedded_hal_mock::eh1::delay::NoopDelay;
use embedded_hal_mock::eh1::digital::{Mock as PinMock, State, Transaction as PinTx};
use embedded_hal_mock::eh1::spi::{Mock as SpiMock, Transaction as SpiTx};
use heapless::String;
use physrc_rig_firmware::protocol::{
    Frame, FrameAccumulator, Limits, MAX_ENCODED_FRAME, Reply, Request,
};
use physrc_rig_firmware::{Calibration, Device, DeviceConfig, Peripherals};

/// Field at DAC full scale used by every test, mT.
pub const FS_MT: f32 = 10.0;
/// ADC full scale reported in the identity.
pub const ADC_FS: f32 = 2.5;
/// Boot id used by every test.
pub const BOOT_ID: u32 = 0x5EED_B007;

/// A device driven entirely by mocks.
pub type MockDevice<D> =
    Device<SpiMock<u8>, SpiMock<u8>, SpiMock<u8>, PinMock, PinMock, PinMock, D>;

/// A configuration: K channels, field and slew limits, watchdog.
pub fn config(channels: u16, max_field_mt: f32, slew: f32, watchdog_ms: u32) -> DeviceConfig {
    DeviceConfig {
        maker: String::try_from("physrc").unwrap(),
        model: String::try_from("asi-rig").unwrap(),
        serial: String::try_from("T-0001").unwrap(),
        firmware: String::try_from(physrc_rig_firmware::FIRMWARE_VERSION).unwrap(),
        channels,
        limits: Limits {
            max_field_mt,
            max_slew_mt_per_ms: slew,
            watchdog_ms,
        },
        calibration: Calibration {
            field_full_scale_mt: FS_MT,
            adc_full_scale: ADC_FS,
        },
        boot_id: BOOT_ID,
    }
}

// ---------------------------------------------------------------------------------------------
// Expected frames, from the datasheet formulas.

/// AD5791 code for field `b` (mT): round(b / B_fs · 2^19) + 2^19, clamped to 20 bits.
pub fn code(b: f32) -> u32 {
    let c = (b / FS_MT * 524_288.0).round() as i64 + 524_288;
    c.clamp(0, 1_048_575) as u32
}

/// The field a code produces: (code − 2^19) / 2^19 · B_fs.
pub fn field(code: u32) -> f32 {
    (code as i32 - 524_288) as f32 / 524_288.0 * FS_MT
}

/// The AD5791 24-bit frame writing `code` to the DAC register (address 0b001).
pub fn dac_frame(code: u32) -> Vec<u8> {
    let word = (0b001 << 20) | code;
    vec![(word >> 16) as u8, (word >> 8) as u8, word as u8]
}

/// One `SpiDevice::write` of `bytes` as the SPI mock sees it.
pub fn spi_write(bytes: Vec<u8>) -> Vec<SpiTx<u8>> {
    vec![
        SpiTx::transaction_start(),
        SpiTx::write_vec(bytes),
        SpiTx::transaction_end(),
    ]
}

/// One 32-bit ADS8681 frame: `command` out, `response` in.
pub fn adc_frame(command: [u8; 4], response: [u8; 4]) -> Vec<SpiTx<u8>> {
    vec![
        SpiTx::transaction_start(),
        SpiTx::transfer_in_place(command.to_vec(), response.to_vec()),
        SpiTx::transaction_end(),
    ]
}

/// The ADC frames of one sweep returning `codes`: a start NOP (its stale data `0xDEAD` is
/// discarded), then one NOP per channel, the result in the first 16 bits, MSB first.
pub fn sweep_frames(codes: &[u16]) -> Vec<SpiTx<u8>> {
    let mut v = adc_frame([0; 4], [0xDE, 0xAD, 0x00, 0x00]);
    for c in codes {
        let [hi, lo] = c.to_be_bytes();
        v.extend(adc_frame([0; 4], [hi, lo, 0x00, 0x00]));
    }
    v
}

/// The sweep trigger's pulse.
pub fn trigger_pulse() -> Vec<PinTx> {
    vec![PinTx::set(State::High), PinTx::set(State::Low)]
}

/// The LDAC pulse (low, then back high).
pub fn ldac_pulse() -> Vec<PinTx> {
    vec![PinTx::set(State::Low), PinTx::set(State::High)]
}

/// ADC codes of a recognisable test pattern.
pub fn pattern(k: usize, salt: u16) -> Vec<u16> {
    (0..k)
        .map(|i| (i as u16).wrapping_mul(257).wrapping_add(salt))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The mocks.

/// Scripted mocks of every part; each field is a clone of what the device holds.
pub struct Mocks {
    pub dac_x: SpiMock<u8>,
    pub dac_y: SpiMock<u8>,
    pub adc: SpiMock<u8>,
    pub ldac: PinMock,
    pub enable: PinMock,
    pub trigger: PinMock,
}

impl Mocks {
    /// Mocks expecting exactly the construction sequence: interlock low, LDAC high, each DAC
    /// mid-scale then control `0x20_0012`, the ADC's RANGE_SEL write, trigger low, then the
    /// coil switch-off (mid-scale to both, LDAC pulse, interlock low).
    pub fn for_construction() -> Self {
        let dac = [
            spi_write(dac_frame(0x8_0000)),
            spi_write(vec![0x20, 0x00, 0x12]),
            spi_write(dac_frame(0x8_0000)),
        ]
        .concat();
        let mut ldac = vec![PinTx::set(State::High)];
        ldac.extend(ldac_pulse());
        Mocks {
            dac_x: SpiMock::new(&dac),
            dac_y: SpiMock::new(&dac),
            adc: SpiMock::new(&adc_frame([0xD0, 0x14, 0x00, 0x00], [0; 4])),
            ldac: PinMock::new(&ldac),
            enable: PinMock::new(&[PinTx::set(State::Low), PinTx::set(State::Low)]),
            trigger: PinMock::new(&[PinTx::set(State::Low)]),
        }
    }

    /// Builds the device with `delay` (checking the construction sequence) and leaves every
    /// mock expecting nothing further.
    pub fn device<D: embedded_hal::delay::DelayNs>(
        &mut self,
        cfg: DeviceConfig,
        delay: D,
    ) -> MockDevice<D> {
        let p = Peripherals {
            dac_x: self.dac_x.clone(),
            dac_y: self.dac_y.clone(),
            adc: self.adc.clone(),
            ldac: self.ldac.clone(),
            coil_enable: self.enable.clone(),
            sweep_trigger: self.trigger.clone(),
            delay,
        };
        let device = Device::new(p, cfg).unwrap_or_else(|(_, e)| panic!("construction: {e}"));
        self.expect(Script::default());
        device
    }

    /// Checks the previous script was consumed and expects `script` next.
    pub fn expect(&mut self, script: Script) {
        self.dac_x.update_expectations(&script.dac_x);
        self.dac_y.update_expectations(&script.dac_y);
        self.adc.update_expectations(&script.adc);
        self.ldac.update_expectations(&script.ldac);
        self.enable.update_expectations(&script.enable);
        self.trigger.update_expectations(&script.trigger);
    }

    /// Checks every script was consumed. Call once, at the end of a test.
    pub fn done(&mut self) {
        self.dac_x.done();
        self.dac_y.done();
        self.adc.done();
        self.ldac.done();
        self.enable.done();
        self.trigger.done();
    }
}

/// What each part is expected to see next.
#[derive(Default)]
pub struct Script {
    pub dac_x: Vec<SpiTx<u8>>,
    pub dac_y: Vec<SpiTx<u8>>,
    pub adc: Vec<SpiTx<u8>>,
    pub ldac: Vec<PinTx>,
    pub enable: Vec<PinTx>,
    pub trigger: Vec<PinTx>,
}

impl Script {
    /// Adds one coil update: x and y codes, then the LDAC pulse.
    pub fn update(&mut self, x_code: u32, y_code: u32) {
        self.dac_x.extend(spi_write(dac_frame(x_code)));
        self.dac_y.extend(spi_write(dac_frame(y_code)));
        self.ldac.extend(ldac_pulse());
    }

    /// Adds the interlock going high.
    pub fn coils_enabled(&mut self) {
        self.enable.push(PinTx::set(State::High));
    }

    /// Adds the coil switch-off: mid-scale to both, LDAC pulse, interlock low.
    pub fn coils_off(&mut self) {
        self.update(0x8_0000, 0x8_0000);
        self.enable.push(PinTx::set(State::Low));
    }

    /// Adds one sweep returning `codes`.
    pub fn sweep(&mut self, codes: &[u16]) {
        self.trigger.extend(trigger_pulse());
        self.adc.extend(sweep_frames(codes));
    }
}

/// A device with no-op delays built from fresh mocks.
pub fn mock_device(cfg: DeviceConfig) -> (Mocks, MockDevice<NoopDelay>) {
    let mut mocks = Mocks::for_construction();
    let device = mocks.device(cfg, NoopDelay::new());
    (mocks, device)
}

// ---------------------------------------------------------------------------------------------
// The serial link.

/// Collects what the device writes.
#[derive(Default)]
pub struct Wire(pub Vec<u8>);

impl embedded_io::ErrorType for Wire {
    type Error = Infallible;
}

impl embedded_io::Write for Wire {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// The wire bytes of `request` with `seq`.
pub fn request(seq: u16, request: &Request) -> Vec<u8> {
    let mut buf = [0u8; MAX_ENCODED_FRAME];
    let n = request.encode(seq, &mut buf).unwrap();
    buf[..n].to_vec()
}

/// Decodes every frame in `bytes`; all must be valid replies carrying [`BOOT_ID`].
pub fn replies(bytes: &[u8]) -> Vec<Frame<Reply>> {
    let mut acc = FrameAccumulator::<MAX_ENCODED_FRAME>::new();
    let frames: Vec<_> = acc
        .replies(bytes)
        .map(|f| f.expect("device sent a rejected frame"))
        .collect();
    assert_eq!(acc.stats().dropped(), 0, "device sent a corrupt frame");
    assert_eq!(acc.pending(), 0, "device sent a partial frame");
    for f in &frames {
        assert_eq!(f.header.boot_id, BOOT_ID);
    }
    frames
}

/// Sends one request and returns the raw reply bytes.
pub fn exchange_raw<D: embedded_hal::delay::DelayNs>(
    device: &mut MockDevice<D>,
    seq: u16,
    req: &Request,
    now_ms: u32,
) -> Vec<u8> {
    let mut wire = Wire::default();
    device
        .receive(&request(seq, req), now_ms, &mut wire)
        .unwrap();
    wire.0
}

/// Sends one request and returns its replies (the reply, plus any streamed follow-up), checking
/// that the first carries `seq`.
pub fn exchange<D: embedded_hal::delay::DelayNs>(
    device: &mut MockDevice<D>,
    seq: u16,
    req: &Request,
    now_ms: u32,
) -> Vec<Reply> {
    let frames = replies(&exchange_raw(device, seq, req, now_ms));
    assert!(!frames.is_empty(), "no reply to {req:?}");
    assert_eq!(frames[0].header.seq, seq);
    frames.into_iter().map(|f| f.message).collect()
}

/// Sends one request and returns its single reply.
pub fn ask<D: embedded_hal::delay::DelayNs>(
    device: &mut MockDevice<D>,
    seq: u16,
    req: &Request,
    now_ms: u32,
) -> Reply {
    let mut r = exchange(device, seq, req, now_ms);
    assert_eq!(r.len(), 1, "expected one reply, got {r:?}");
    r.remove(0)
}

/// Runs one `poll` and returns the frames it sent.
pub fn poll<D: embedded_hal::delay::DelayNs>(
    device: &mut MockDevice<D>,
    now_ms: u32,
) -> Vec<Frame<Reply>> {
    let mut wire = Wire::default();
    device.poll(now_ms, &mut wire).unwrap();
    replies(&wire.0)
}

/// Little-endian sample bytes of `codes`.
pub fn le_bytes(codes: &[u16]) -> Vec<u8> {
    codes.iter().flat_map(|c| c.to_le_bytes()).collect()
}

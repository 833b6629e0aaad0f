//! The physical world behind the simulated peripherals: coils, sample and detector.

use physrc_core::Reservoir;
use physrc_nanomagnet::NanomagnetReservoir;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::parts::{Ad5791State, Axis, Line};

/// The ADS8681's internal reference, volts.
const VREF: f64 = 4.096;

/// The ADS8681 bipolar input ranges selected by RANGE_SEL bits 3..0, as multiples of VREF
/// (datasheet table "Input range selection").
fn adc_range_volts(range_sel: u16) -> f64 {
    let k = match range_sel & 0xF {
        0 => 3.0,
        1 => 2.5,
        2 => 1.5,
        3 => 1.25,
        4 => 0.625,
        // Unipolar ranges are not wired on this rig; read them as the default.
        _ => 3.0,
    };
    k * VREF
}

/// The detector front-end maps readout units to volts so that `adc_full_scale` units fill
/// the default ±3·VREF input range.
const FRONT_END_FULL_SCALE_VOLTS: f64 = 3.0 * VREF;

/// The coils, the sample between them and the detector, as the peripherals see them.
#[derive(Debug)]
pub struct World {
    sample: NanomagnetReservoir,
    /// Field of either coil pair at DAC full scale, tesla.
    field_full_scale: f64,
    adc_full_scale: f64,
    dac_x: Ad5791State,
    dac_y: Ad5791State,
    ldac_low: bool,
    coils_enabled: bool,
    trigger_high: bool,
    applied: [f64; 2],
    spectrum: Vec<f64>,
    point: usize,
    noise_sigma: f64,
    rng: ChaCha8Rng,
    virtual_ns: u64,
    field_updates: u64,
}

impl World {
    /// A world around `sample`: coils of `field_full_scale` tesla at DAC full scale, a
    /// detector whose full scale is `adc_full_scale` readout units, Gaussian detector noise
    /// of `noise_sigma` readout units drawn from `seed`.
    pub fn new(
        sample: NanomagnetReservoir,
        field_full_scale: f64,
        adc_full_scale: f64,
        noise_sigma: f64,
        seed: u64,
    ) -> Self {
        let k = sample.state_dim();
        World {
            sample,
            field_full_scale,
            adc_full_scale,
            dac_x: Ad5791State::default(),
            dac_y: Ad5791State::default(),
            ldac_low: false,
            coils_enabled: false,
            trigger_high: false,
            applied: [0.0; 2],
            spectrum: vec![0.0; k],
            point: k,
            noise_sigma,
            rng: ChaCha8Rng::seed_from_u64(seed),
            virtual_ns: 0,
            field_updates: 0,
        }
    }

    /// Readout channels of the detector.
    pub fn channels(&self) -> usize {
        self.spectrum.len()
    }

    /// The simulated sample.
    pub fn sample(&self) -> &NanomagnetReservoir {
        &self.sample
    }

    /// The field the coils make now, tesla.
    pub fn applied_field(&self) -> [f64; 2] {
        self.applied
    }

    /// Whether the coil interlock is closed.
    pub fn coils_enabled(&self) -> bool {
        self.coils_enabled
    }

    /// How many times the coil field was (re)applied to the sample.
    pub fn field_updates(&self) -> u64 {
        self.field_updates
    }

    /// Virtual time spent in the firmware's delays, nanoseconds.
    pub fn virtual_ns(&self) -> u64 {
        self.virtual_ns
    }

    pub(crate) fn dac_mut(&mut self, axis: Axis) -> &mut Ad5791State {
        match axis {
            Axis::X => &mut self.dac_x,
            Axis::Y => &mut self.dac_y,
        }
    }

    /// With LDAC held low the AD5791 updates its output at the end of every DAC write.
    pub(crate) fn after_dac_frame(&mut self) {
        if self.ldac_low {
            self.load_outputs();
        }
    }

    fn load_outputs(&mut self) {
        self.dac_x.output = self.dac_x.dac;
        self.dac_y.output = self.dac_y.dac;
        self.update_field();
    }

    /// The coils follow their DACs when the interlock is closed and carry no current when it
    /// is open; either way the sample relaxes in the new field. The sample's model has no
    /// time scale, so every coil update is one quasi-static relax, as one field sample of the
    /// simulator is.
    fn update_field(&mut self) {
        let h = if self.coils_enabled {
            [
                self.dac_x.output_fraction() * self.field_full_scale,
                self.dac_y.output_fraction() * self.field_full_scale,
            ]
        } else {
            [0.0, 0.0]
        };
        self.applied = h;
        self.field_updates += 1;
        // Finite by construction: DAC fractions are in [-1, 1) and the scale is validated.
        let _ = self.sample.apply_field(h);
    }

    pub(crate) fn set_line(&mut self, line: Line, high: bool) {
        match line {
            Line::Ldac => {
                let falling = !high && !self.ldac_low;
                self.ldac_low = !high;
                if falling {
                    self.load_outputs();
                }
            }
            Line::CoilEnable => {
                if high != self.coils_enabled {
                    self.coils_enabled = high;
                    self.update_field();
                }
            }
            Line::SweepTrigger => {
                let rising = high && !self.trigger_high;
                self.trigger_high = high;
                if rising {
                    // The sample does not change while it is measured, so the whole sweep
                    // sees the state of this instant.
                    let _ = self.sample.read_state(&mut self.spectrum);
                    self.point = 0;
                }
            }
        }
    }

    /// One conversion: the present sweep point (plus noise) through the front-end and the
    /// ADC's range, as a straight-binary 16-bit code; the sweep then advances.
    pub(crate) fn convert(&mut self, range_sel: u16) -> u16 {
        let value = match self.spectrum.get(self.point) {
            Some(&v) => {
                let noise = if self.noise_sigma > 0.0 {
                    let z: f64 = StandardNormal.sample(&mut self.rng);
                    self.noise_sigma * z
                } else {
                    0.0
                };
                self.point += 1;
                v + noise
            }
            // Past its last point the front-end outputs 0 V.
            None => 0.0,
        };
        let volts = value / self.adc_full_scale * FRONT_END_FULL_SCALE_VOLTS;
        let code = (volts / adc_range_volts(range_sel) * 32768.0).round() + 32768.0;
        code.clamp(0.0, 65535.0) as u16
    }

    pub(crate) fn advance_ns(&mut self, ns: u64) {
        self.virtual_ns = self.virtual_ns.saturating_add(ns);
    }

    /// A microcontroller reset: its pins float and the interlock's pull-down opens the coil
    /// circuit. The DACs keep their registers and the sample keeps its magnetic state.
    pub fn mcu_reset(&mut self) {
        self.ldac_low = false;
        self.trigger_high = false;
        if self.coils_enabled {
            self.coils_enabled = false;
            self.update_field();
        }
    }
}

use ndarray::ArrayView3;
use physrc_core::{Error, Info, Reservoir, check_input, check_state_len};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::error::require;
use crate::{
    Device, Du2017, DuParams, Hp, HpParams, MemristorError, Vteam, VteamParams, Zhong2021,
    ZhongParams,
};

/// The device model of a reservoir and its (nominal) parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelParams {
    /// [`Zhong2021`].
    Zhong2021(ZhongParams),
    /// [`Du2017`].
    Du2017(DuParams),
    /// [`Hp`].
    Hp(HpParams),
    /// [`Vteam`].
    Vteam(VteamParams),
}

impl ModelParams {
    /// The model name used in config files.
    pub fn name(&self) -> &'static str {
        match self {
            ModelParams::Zhong2021(_) => Zhong2021::MODEL,
            ModelParams::Du2017(_) => Du2017::MODEL,
            ModelParams::Hp(_) => Hp::MODEL,
            ModelParams::Vteam(_) => Vteam::MODEL,
        }
    }

    /// The model's safe voltage limit.
    pub fn v_limit(&self) -> f64 {
        match self {
            ModelParams::Zhong2021(p) => p.v_limit,
            ModelParams::Du2017(p) => p.v_limit,
            ModelParams::Hp(p) => p.v_limit,
            ModelParams::Vteam(p) => p.v_limit,
        }
    }

    /// The default pulse width of the model, in seconds.
    ///
    /// - `zhong2021`: 4 μs, the pulse period implied by the map's `r = 0.99 = e^(−Δt/t0)` with
    ///   the measured `t0 = 400 μs` (back-to-back pulses). The map does not depend on it; only
    ///   the energy does.
    /// - `du2017`: 0.5 ms, the "rate 1" pulses of Du et al. 2017.
    /// - `hp`: 10 ms, a few percent of the state per pulse at a few volts with MemTorch's
    ///   constants.
    /// - `vteam`: 10 ns, a few percent of the state per pulse at 1 V with MemTorch's constants.
    pub fn default_pulse_width(&self) -> f64 {
        match self {
            ModelParams::Zhong2021(_) => 4e-6,
            ModelParams::Du2017(_) => 0.5e-3,
            ModelParams::Hp(_) => 10e-3,
            ModelParams::Vteam(_) => 10e-9,
        }
    }

    /// The default zero-bias gap after each pulse, in seconds: 0.3 ms for `du2017` (0.5 ms
    /// pulses in 0.8 ms frames, Du et al. 2017), 0 otherwise.
    pub fn default_gap(&self) -> f64 {
        match self {
            ModelParams::Du2017(_) => 0.3e-3,
            _ => 0.0,
        }
    }
}

/// Everything needed to build a [`MemristorReservoir`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReservoirParams {
    /// Device model and nominal parameters.
    pub model: ModelParams,
    /// Number of parallel devices `N`.
    pub devices: usize,
    /// Mask length `M` (virtual nodes per device).
    pub virtual_nodes: usize,
    /// Input dimension `d` (1 for scalar series).
    pub input_dim: usize,
    /// Voltage at masked input −1, V.
    pub v_min: f64,
    /// Voltage at masked input +1, V.
    pub v_max: f64,
    /// Width of every pulse, s.
    pub pulse_width: f64,
    /// Zero-bias time after every pulse, s (must be 0 for `zhong2021`).
    pub gap: f64,
    /// Relative standard deviation of the device-to-device parameter spread, in `[0, 0.5]`.
    pub variation: f64,
    /// Relative standard deviation of the multiplicative read noise, in `[0, 1]`.
    pub read_noise: f64,
    /// Seed of masks, variation and noise.
    pub seed: u64,
}

impl ReservoirParams {
    /// Zhong et al.'s Hénon-map setting (M = 4, N = 25, 0…2.5 V as in the official code) with
    /// the paper's device parameters, for scalar input.
    pub fn zhong_henon(seed: u64) -> ReservoirParams {
        let model = ModelParams::Zhong2021(ZhongParams::default());
        ReservoirParams {
            devices: 25,
            virtual_nodes: 4,
            input_dim: 1,
            v_min: 0.0,
            v_max: 2.5,
            pulse_width: model.default_pulse_width(),
            gap: 0.0,
            variation: 0.0,
            read_noise: 0.0,
            seed,
            model,
        }
    }
}

/// A device model the reservoir can hold.
trait BankDevice: Device + Clone + std::fmt::Debug + Send {
    /// Whether [`Device::respond`] can fail, so a step must work on a copy.
    const FALLIBLE: bool;
}
impl BankDevice for Zhong2021 {
    const FALLIBLE: bool = false;
}
impl BankDevice for Du2017 {
    const FALLIBLE: bool = false;
}
impl BankDevice for Hp {
    const FALLIBLE: bool = true;
}
impl BankDevice for Vteam {
    const FALLIBLE: bool = true;
}

#[derive(Debug, Clone)]
struct Array<D> {
    devs: Vec<D>,
    scratch: Vec<D>,
}

#[derive(Debug, Clone)]
enum Bank {
    Zhong(Array<Zhong2021>),
    Du(Array<Du2017>),
    Hp(Array<Hp>),
    Vteam(Array<Vteam>),
}

/// The drive settings shared by all devices.
#[derive(Debug, Clone, Copy)]
struct Drive {
    m: usize,
    d: usize,
    v_min: f64,
    v_max: f64,
    width: f64,
    gap: f64,
}

impl Drive {
    /// Maps a masked input `J ∈ [−1, 1]` linearly onto `[v_min, v_max]`.
    ///
    /// Written as a convex combination so the endpoints map exactly onto `v_min` and `v_max`;
    /// the clamp only guards against one-ulp rounding in between.
    #[inline]
    fn voltage(&self, j: f64) -> f64 {
        let t = (j + 1.0) * 0.5;
        (self.v_min * (1.0 - t) + self.v_max * t).clamp(self.v_min, self.v_max)
    }
}

/// Drives every device through its `M` pulses for one input; writes currents in μA to `out`
/// and returns the energy. On error the devices are untouched.
fn drive<D: BankDevice>(
    arr: &mut Array<D>,
    masks: &[f64],
    input: &[f64],
    dr: &Drive,
    out: &mut [f64],
) -> Result<f64, MemristorError> {
    let work = if D::FALLIBLE {
        arr.scratch.clone_from_slice(&arr.devs);
        &mut arr.scratch
    } else {
        &mut arr.devs
    };
    let (m, d) = (dr.m, dr.d);
    let inv_d = 1.0 / d as f64;
    let mut energy = 0.0;
    for (j, (dev, out)) in work.iter_mut().zip(out.chunks_exact_mut(m)).enumerate() {
        let masks = &masks[j * m * d..(j + 1) * m * d];
        for (k, o) in out.iter_mut().enumerate() {
            let row = &masks[k * d..(k + 1) * d];
            let mut jv = 0.0;
            for (w, u) in row.iter().zip(input) {
                jv += w * u;
            }
            let v = dr.voltage(jv * inv_d);
            let r = dev.respond(v, dr.width)?;
            if dr.gap > 0.0 {
                dev.relax(dr.gap)?;
            }
            *o = r.current * 1e6;
            energy += r.energy;
        }
    }
    if D::FALLIBLE {
        std::mem::swap(&mut arr.devs, &mut arr.scratch);
    }
    Ok(energy)
}

/// Zhong et al.'s parallel memristor reservoir: `N` devices, each driven through its own
/// random `±1` mask of length `M`.
///
/// # Drive
///
/// For each input `u ∈ [−1, 1]^d`, device `n` receives `M` pulses, one per virtual node `m`:
///
/// ```text
/// J = (1/d)·Σ_c mask[n][m][c]·u[c]                  (masks ±1, so J ∈ [−1, 1])
/// V = v_min + (J + 1)/2·(v_max − v_min)
/// ```
///
/// each of width `pulse_width`, followed by `gap` seconds at zero bias. For `d = 1` this is
/// Zhong's `J = mask·u`. Zhong's code rescales the masked stream by its own minimum and
/// maximum; with ±1 masks those are `∓max|u|`, so ours is the same map whenever the input has
/// been scaled symmetrically by its largest magnitude.
///
/// # State
///
/// `N·M` currents in **microamperes**, read at the end of each pulse, device-major:
/// index `n·M + m`. With `read_noise = σ > 0` each read is multiplied by `1 + σ·ξ`, `ξ`
/// standard normal; the noise does not disturb the devices.
///
/// # Variation and determinism
///
/// From `seed`: masks (ChaCha8 stream 0), per-device parameters drawn with relative spread
/// `variation` (stream 1, see each model's `varied`), read noise (stream 2). `reset` returns
/// the devices to their initial state and re-seeds the noise; masks and device parameters stay.
///
/// # Energy
///
/// [`Reservoir::energy`] is the sum of `∫ V·I dt` over every pulse since the last reset — a
/// model estimate of the energy dissipated in the memristors only: pulse generators, the
/// transimpedance readout and the digital readout are excluded.
#[derive(Debug, Clone)]
pub struct MemristorReservoir {
    params: ReservoirParams,
    bank: Bank,
    masks: Vec<f64>,
    drive: Drive,
    noise: ChaCha8Rng,
    energy: f64,
    last_energy: f64,
}

/// ChaCha8 streams of the three random processes.
const MASK_STREAM: u64 = 0;
const VARIATION_STREAM: u64 = 1;
const NOISE_STREAM: u64 = 2;

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// Largest `N·M·d` accepted, to turn a typo into an error rather than an allocation failure.
pub(crate) const MAX_SIZE: usize = 1 << 26;

impl MemristorReservoir {
    /// Builds the reservoir: validates everything, draws masks and device parameters.
    ///
    /// # Errors
    ///
    /// [`MemristorError::InvalidParameter`] for a zero size, a spread outside `[0, 0.5]`, a read
    /// noise outside `[0, 1]`, a non-positive pulse width or negative gap;
    /// [`MemristorError::InvalidVoltageWindow`] when `v_min ≥ v_max` or the window exceeds the
    /// model's safe limit; [`MemristorError::NotForModel`] for a gap with `zhong2021`;
    /// [`MemristorError::VariedDevice`] when a drawn device breaks a model constraint; the
    /// model's own parameter errors.
    pub fn new(params: ReservoirParams) -> Result<Self, MemristorError> {
        let p = &params;
        let (n, m, d) = (p.devices, p.virtual_nodes, p.input_dim);
        require(n >= 1, "devices", "must be at least 1", n as f64)?;
        require(m >= 1, "virtual_nodes", "must be at least 1", m as f64)?;
        require(d >= 1, "input_dim", "must be at least 1", d as f64)?;
        require(
            n.checked_mul(m)
                .and_then(|x| x.checked_mul(d))
                .is_some_and(|x| x <= MAX_SIZE),
            "devices",
            "times virtual_nodes times the input dimension must not exceed 2^26",
            n as f64,
        )?;
        require(
            p.variation.is_finite() && (0.0..=0.5).contains(&p.variation),
            "variation",
            "must lie in [0, 0.5] (relative standard deviation)",
            p.variation,
        )?;
        require(
            p.read_noise.is_finite() && (0.0..=1.0).contains(&p.read_noise),
            "read_noise",
            "must lie in [0, 1] (relative standard deviation)",
            p.read_noise,
        )?;
        require(
            p.pulse_width.is_finite() && p.pulse_width > 0.0,
            "pulse_width",
            "must be positive and finite (seconds)",
            p.pulse_width,
        )?;
        require(
            p.gap.is_finite() && p.gap >= 0.0,
            "gap",
            "must be non-negative and finite (seconds)",
            p.gap,
        )?;
        let model = p.model.name();
        if matches!(p.model, ModelParams::Zhong2021(_)) && p.gap != 0.0 {
            return Err(MemristorError::NotForModel {
                name: "gap",
                model,
                why: "the discrete map has no time step; its r already includes one pulse period",
            });
        }
        let limit = p.model.v_limit();
        let window_err = |reason| MemristorError::InvalidVoltageWindow {
            v_min: p.v_min,
            v_max: p.v_max,
            limit,
            model,
            reason,
        };
        if !(p.v_min.is_finite() && p.v_max.is_finite() && p.v_min < p.v_max) {
            return Err(window_err("is empty or not finite (need v_min < v_max)"));
        }
        if p.v_min < -limit || p.v_max > limit {
            return Err(window_err("exceeds the safe limit"));
        }

        let mut mask_rng = rng(p.seed, MASK_STREAM);
        let masks: Vec<f64> = (0..n * m * d)
            .map(|_| if mask_rng.random::<bool>() { 1.0 } else { -1.0 })
            .collect();

        let mut var_rng = rng(p.seed, VARIATION_STREAM);
        let varied = |i: usize, r: Result<(), MemristorError>| {
            r.map_err(|e| MemristorError::VariedDevice {
                device: i,
                variation: p.variation,
                source: Box::new(e),
            })
        };
        let bank = match &p.model {
            ModelParams::Zhong2021(q) => {
                q.validate()?;
                let mut devs = Vec::with_capacity(n);
                for i in 0..n {
                    let v = q.varied(p.variation, &mut var_rng);
                    varied(i, v.validate())?;
                    devs.push(Zhong2021::new(v)?);
                }
                Bank::Zhong(Array {
                    scratch: Vec::new(),
                    devs,
                })
            }
            ModelParams::Du2017(q) => {
                q.validate()?;
                let mut devs = Vec::with_capacity(n);
                for i in 0..n {
                    let v = q.varied(p.variation, &mut var_rng);
                    varied(i, v.validate())?;
                    devs.push(Du2017::new(v)?);
                }
                Bank::Du(Array {
                    scratch: Vec::new(),
                    devs,
                })
            }
            ModelParams::Hp(q) => {
                q.validate()?;
                let mut devs = Vec::with_capacity(n);
                for i in 0..n {
                    let v = q.varied(p.variation, &mut var_rng);
                    varied(i, v.validate())?;
                    devs.push(Hp::new(v)?);
                }
                Bank::Hp(Array {
                    scratch: devs.clone(),
                    devs,
                })
            }
            ModelParams::Vteam(q) => {
                q.validate()?;
                let mut devs = Vec::with_capacity(n);
                for i in 0..n {
                    let v = q.varied(p.variation, &mut var_rng);
                    varied(i, v.validate())?;
                    devs.push(Vteam::new(v)?);
                }
                Bank::Vteam(Array {
                    scratch: devs.clone(),
                    devs,
                })
            }
        };
        Ok(MemristorReservoir {
            drive: Drive {
                m,
                d,
                v_min: p.v_min,
                v_max: p.v_max,
                width: p.pulse_width,
                gap: p.gap,
            },
            noise: rng(p.seed, NOISE_STREAM),
            masks,
            bank,
            energy: 0.0,
            last_energy: 0.0,
            params,
        })
    }

    /// The parameters the reservoir was built from.
    pub fn params(&self) -> &ReservoirParams {
        &self.params
    }

    /// The masks, shape `N × M × d`, entries ±1.
    pub fn masks(&self) -> ArrayView3<'_, f64> {
        let p = &self.params;
        ArrayView3::from_shape((p.devices, p.virtual_nodes, p.input_dim), &self.masks)
            .expect("the mask vector is allocated with exactly N·M·d entries")
    }

    /// The internal state variable of every device (see [`Device::state`]).
    pub fn device_states(&self) -> Vec<f64> {
        match &self.bank {
            Bank::Zhong(a) => a.devs.iter().map(Device::state).collect(),
            Bank::Du(a) => a.devs.iter().map(Device::state).collect(),
            Bank::Hp(a) => a.devs.iter().map(Device::state).collect(),
            Bank::Vteam(a) => a.devs.iter().map(Device::state).collect(),
        }
    }

    /// The voltage a masked input `J ∈ [−1, 1]` is mapped to.
    pub fn voltage(&self, masked: f64) -> f64 {
        self.drive.voltage(masked)
    }

    /// Energy dissipated by the pulses of the last step, in joules (model estimate, see
    /// [`MemristorReservoir`]).
    pub fn last_step_energy(&self) -> f64 {
        self.last_energy
    }
}

impl Reservoir for MemristorReservoir {
    fn input_dim(&self) -> usize {
        self.params.input_dim
    }

    fn state_dim(&self) -> usize {
        self.params.devices * self.params.virtual_nodes
    }

    fn reset(&mut self) -> Result<(), Error> {
        match &mut self.bank {
            Bank::Zhong(a) => a.devs.iter_mut().for_each(Device::reset),
            Bank::Du(a) => a.devs.iter_mut().for_each(Device::reset),
            Bank::Hp(a) => a.devs.iter_mut().for_each(Device::reset),
            Bank::Vteam(a) => a.devs.iter_mut().for_each(Device::reset),
        }
        self.noise = rng(self.params.seed, NOISE_STREAM);
        self.energy = 0.0;
        self.last_energy = 0.0;
        Ok(())
    }

    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
        check_input(input, self.params.input_dim)?;
        check_state_len(state_out, self.state_dim())?;
        let dr = &self.drive;
        let e = match &mut self.bank {
            Bank::Zhong(a) => drive(a, &self.masks, input, dr, state_out),
            Bank::Du(a) => drive(a, &self.masks, input, dr, state_out),
            Bank::Hp(a) => drive(a, &self.masks, input, dr, state_out),
            Bank::Vteam(a) => drive(a, &self.masks, input, dr, state_out),
        }?;
        let sigma = self.params.read_noise;
        if sigma > 0.0 {
            for o in state_out.iter_mut() {
                let xi: f64 = self.noise.sample(StandardNormal);
                *o *= 1.0 + sigma * xi;
            }
        }
        self.last_energy = e;
        self.energy += e;
        Ok(())
    }

    fn info(&self) -> Info {
        let p = &self.params;
        Info::new("memristor")
            .with("model", p.model.name())
            .with("devices", p.devices)
            .with("virtual_nodes", p.virtual_nodes)
            .with("v_min", p.v_min)
            .with("v_max", p.v_max)
            .with("v_limit", p.model.v_limit())
            .with("pulse_width", p.pulse_width)
            .with("gap", p.gap)
            .with("variation", p.variation)
            .with("read_noise", p.read_noise)
            .with("seed", p.seed)
            .with("state_unit", "uA")
    }

    fn energy(&self) -> Option<f64> {
        Some(self.energy)
    }
}

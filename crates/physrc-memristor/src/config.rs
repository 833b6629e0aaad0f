use std::path::Path;

use physrc_core::{MemoryBudget, bytes_for};
use serde::Deserialize;

use crate::reservoir::MAX_SIZE;
use crate::{
    Du2017, DuParams, Hp, HpParams, MemristorError, MemristorReservoir, ModelParams,
    ReservoirParams, Vteam, VteamParams, Zhong2021, ZhongParams,
};

/// Which device model a reservoir uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    /// Zhong et al. 2021 discrete map ([`Zhong2021`](crate::Zhong2021)).
    Zhong2021,
    /// Du et al. 2017 WOx model ([`Du2017`](crate::Du2017)).
    Du2017,
    /// HP linear ion drift with window and relaxation ([`Hp`](crate::Hp)).
    Hp,
    /// VTEAM with relaxation ([`Vteam`](crate::Vteam)).
    Vteam,
}

impl Model {
    /// The name used in config files.
    pub fn name(self) -> &'static str {
        match self {
            Model::Zhong2021 => "zhong2021",
            Model::Du2017 => "du2017",
            Model::Hp => "hp",
            Model::Vteam => "vteam",
        }
    }
}

/// The `[substrate]` table of a run config for `kind = "memristor"` (without `kind`).
///
/// ```toml
/// [substrate]
/// kind = "memristor"
/// model = "zhong2021"      # "zhong2021" | "du2017" | "hp" | "vteam"
/// devices = 25             # N
/// virtual_nodes = 4        # M, mask length
/// v_min = 0.0              # V at masked input −1
/// v_max = 2.5              # V at masked input +1
/// pulse_width = 4e-6       # s, optional (model default)
/// gap = 0.0                # s at 0 V after each pulse, optional (model default)
/// variation = 0.0          # relative std of device parameters, optional
/// read_noise = 0.0         # relative std of each current read, optional
/// seed = 0                 # optional
///
/// [substrate.zhong2021]    # optional overrides of the model's parameters
/// v_limit = 3.0
/// ```
///
/// Only the table of the selected model may be given; each accepts the fields of the model's
/// parameter struct ([`ZhongParams`], [`DuParams`], [`HpParams`], [`VteamParams`]), every one
/// optional with the published value as default.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemristorConfig {
    /// Device model.
    pub model: Model,
    /// Number of parallel devices `N`. `N·M·d` (with `d` input columns) may not exceed 2^26.
    pub devices: usize,
    /// Mask length `M` (virtual nodes per device); see `devices` for the bound.
    pub virtual_nodes: usize,
    /// Voltage at masked input −1, V.
    pub v_min: f64,
    /// Voltage at masked input +1, V.
    pub v_max: f64,
    /// Pulse width, s; default [`ModelParams::default_pulse_width`].
    #[serde(default)]
    pub pulse_width: Option<f64>,
    /// Zero-bias gap after each pulse, s; default [`ModelParams::default_gap`].
    #[serde(default)]
    pub gap: Option<f64>,
    /// Relative standard deviation of device-to-device parameter spread.
    #[serde(default)]
    pub variation: f64,
    /// Relative standard deviation of the read noise.
    #[serde(default)]
    pub read_noise: f64,
    /// Seed of masks, variation and noise.
    #[serde(default)]
    pub seed: u64,
    /// Overrides of the Zhong et al. 2021 parameters.
    #[serde(default)]
    pub zhong2021: Option<ZhongParams>,
    /// Overrides of the Du et al. 2017 parameters.
    #[serde(default)]
    pub du2017: Option<DuParams>,
    /// Overrides of the HP model's parameters.
    #[serde(default)]
    pub hp: Option<HpParams>,
    /// Overrides of the VTEAM model's parameters.
    #[serde(default)]
    pub vteam: Option<VteamParams>,
}

impl MemristorConfig {
    /// The key this table takes its seed under. `physrc run --seed` and the sweeps set it.
    pub const SEED_KEY: &'static str = "seed";

    /// The model parameters: the selected model's table, or its published defaults.
    ///
    /// # Errors
    ///
    /// [`MemristorError::TableForOtherModel`] when a table of another model is present.
    pub fn model_params(&self) -> Result<ModelParams, MemristorError> {
        let model = self.model.name();
        let others = [
            ("zhong2021", self.zhong2021.is_some()),
            ("du2017", self.du2017.is_some()),
            ("hp", self.hp.is_some()),
            ("vteam", self.vteam.is_some()),
        ];
        if let Some((table, _)) = others.iter().find(|(t, given)| *given && *t != model) {
            return Err(MemristorError::TableForOtherModel { table, model });
        }
        Ok(match self.model {
            Model::Zhong2021 => ModelParams::Zhong2021(self.zhong2021.unwrap_or_default()),
            Model::Du2017 => ModelParams::Du2017(self.du2017.unwrap_or_default()),
            Model::Hp => ModelParams::Hp(self.hp.unwrap_or_default()),
            Model::Vteam => ModelParams::Vteam(self.vteam.unwrap_or_default()),
        })
    }

    /// Builds the reservoir for inputs of dimension `input_dim`.
    ///
    /// `base_dir` is accepted for uniformity with the other substrates; this config refers to
    /// no files. For `input_dim > 1` each device gets an `M × d` mask and sees the mean
    /// `J = (1/d)·Σ mask·u` (see [`MemristorReservoir`]).
    ///
    /// # Errors
    ///
    /// As [`model_params`](Self::model_params) and [`MemristorReservoir::new`].
    pub fn build(
        &self,
        base_dir: &Path,
        input_dim: usize,
    ) -> Result<MemristorReservoir, MemristorError> {
        self.build_within(base_dir, input_dim, MemoryBudget::UNLIMITED)
    }

    /// As [`build`](Self::build), refusing before anything is allocated when the masks and
    /// devices would need more memory than `budget`.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build); [`MemristorError::Memory`] naming `devices` and the
    /// estimate.
    pub fn build_within(
        &self,
        _base_dir: &Path,
        input_dim: usize,
        budget: MemoryBudget,
    ) -> Result<MemristorReservoir, MemristorError> {
        let model = self.model_params()?;
        // Sizes beyond the fixed bound are refused by `MemristorReservoir::new` with a message
        // about the bound, which says more than an estimate would.
        let (n, m, d) = (self.devices, self.virtual_nodes, input_dim);
        if n.checked_mul(m)
            .and_then(|x| x.checked_mul(d))
            .is_some_and(|x| x <= MAX_SIZE)
        {
            budget.check(
                "devices",
                format_args!("{n} (with virtual_nodes = {m}, {d} input columns)"),
                memory_bytes(n, m, d),
            )?;
        }
        MemristorReservoir::new(ReservoirParams {
            devices: self.devices,
            virtual_nodes: self.virtual_nodes,
            input_dim,
            v_min: self.v_min,
            v_max: self.v_max,
            pulse_width: self
                .pulse_width
                .unwrap_or_else(|| model.default_pulse_width()),
            gap: self.gap.unwrap_or_else(|| model.default_gap()),
            variation: self.variation,
            read_noise: self.read_noise,
            seed: self.seed,
            model,
        })
    }
}

/// Peak bytes of a reservoir of `n` devices with `m` virtual nodes and `d` inputs: the `N·M·d`
/// masks, two copies of every device (the continuous models keep a scratch bank so a failed
/// step leaves the devices untouched) and a state row.
fn memory_bytes(n: usize, m: usize, d: usize) -> u64 {
    let device = [
        size_of::<Zhong2021>(),
        size_of::<Du2017>(),
        size_of::<Hp>(),
        size_of::<Vteam>(),
    ]
    .into_iter()
    .max()
    .unwrap_or(0) as u64;
    let (n, m, d) = (n as u64, m as u64, d as u64);
    bytes_for(n.saturating_mul(m).saturating_mul(d), 8)
        .saturating_add(bytes_for(n, 2 * device))
        .saturating_add(bytes_for(n.saturating_mul(m), 8))
}

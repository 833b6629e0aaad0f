//! Building a substrate from the `[substrate]` table: dispatch on `kind`, hand the rest of the
//! table to the owning crate's config type.

use ndarray::Array2;
use physrc_core::Reservoir;
use serde::de::DeserializeOwned;

use crate::config::{RunConfig, without_kind};
use crate::error::RunError;
use crate::npy;

/// The substrate kinds `physrc run` knows.
pub const KINDS: &[&str] = &[
    "esn",
    "memristor",
    "oscillator",
    "nanomagnet",
    "rig",
    "recorded",
];

fn parse<T: DeserializeOwned>(cfg: &RunConfig) -> Result<T, RunError> {
    toml::Value::Table(without_kind(&cfg.substrate))
        .try_into()
        .map_err(|e: toml::de::Error| {
            RunError::config(&cfg.origin, format!("[substrate]: {}", e.message()))
        })
}

/// Builds the configured substrate for inputs of dimension `input_dim`.
///
/// # Errors
///
/// [`RunError::Config`] for an unknown kind or key; the substrate crate's own error (invalid
/// parameter, missing or mis-shaped file) otherwise.
pub fn build(
    kind: &str,
    cfg: &RunConfig,
    input_dim: usize,
) -> Result<Box<dyn Reservoir + Send>, RunError> {
    let base = cfg.base_dir.as_path();
    Ok(match kind {
        "esn" => {
            let c: physrc_esn::EsnConfig = parse(cfg)?;
            Box::new(c.build(base, input_dim).map_err(RunError::from_component)?)
        }
        "memristor" => {
            let c: physrc_memristor::MemristorConfig = parse(cfg)?;
            Box::new(c.build(base, input_dim).map_err(RunError::from_component)?)
        }
        "oscillator" => {
            let c: physrc_oscillator::OscillatorConfig = parse(cfg)?;
            Box::new(c.build(base, input_dim).map_err(RunError::from_component)?)
        }
        "nanomagnet" => {
            let c: physrc_nanomagnet::NanomagnetConfig = parse(cfg)?;
            Box::new(c.build(base, input_dim).map_err(RunError::from_component)?)
        }
        "rig" => {
            let c: physrc_rig::RigConfig = parse(cfg)?;
            Box::new(c.build(base, input_dim).map_err(RunError::from_component)?)
        }
        other => {
            return Err(RunError::config(
                &cfg.origin,
                format!(
                    "[substrate] kind {other:?} is not known; expected one of {}",
                    KINDS.join(", ")
                ),
            ));
        }
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordedConfig {
    states: std::path::PathBuf,
}

/// Loads the states of `kind = "recorded"`: a `T × n` `.npy` measured offline on a device.
///
/// # Errors
///
/// [`RunError::Config`] without a `states` key; [`RunError::Io`] / [`RunError::Npy`] for a
/// missing or malformed file, or non-finite values.
pub fn load_recorded(cfg: &RunConfig) -> Result<Array2<f64>, RunError> {
    let c: RecordedConfig = parse(cfg)?;
    let path = cfg.resolve(&c.states);
    let x = npy::read_matrix(&path, "recorded states")?;
    if let Some(((r, col), v)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(RunError::Npy {
            path,
            message: format!("state at row {r}, column {col} is not finite ({v})"),
        });
    }
    Ok(x)
}

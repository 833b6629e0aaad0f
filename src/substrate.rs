//! Building a substrate from the `[substrate]` table: dispatch on `kind`, hand the rest of the
//! table to the owning crate's config type.

use ndarray::Array2;
use physrc_core::{MemoryBudget, Reservoir};
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

/// Builds the configured substrate for inputs of dimension `input_dim`, refusing one that
/// would need more memory than the machine has available ([`available_memory`]).
///
/// # Errors
///
/// [`RunError::Config`] for an unknown kind or key; the substrate crate's own error (invalid
/// parameter, missing or mis-shaped file, more memory than available) otherwise.
pub fn build(
    kind: &str,
    cfg: &RunConfig,
    input_dim: usize,
) -> Result<Box<dyn Reservoir + Send>, RunError> {
    build_within(kind, cfg, input_dim, available_memory())
}

/// As [`build`], with the memory budget given rather than read from the machine: every
/// substrate estimates what its configuration needs before it allocates and refuses, naming
/// the key and the estimate, when that exceeds `budget`.
///
/// # Errors
///
/// As [`build`]; an error of kind [`ErrorKind::InsufficientMemory`](crate::ErrorKind) when the
/// estimate exceeds `budget`.
pub fn build_within(
    kind: &str,
    cfg: &RunConfig,
    input_dim: usize,
    budget: MemoryBudget,
) -> Result<Box<dyn Reservoir + Send>, RunError> {
    let base = cfg.base_dir.as_path();
    Ok(match kind {
        "esn" => {
            let c: physrc_esn::EsnConfig = parse(cfg)?;
            Box::new(
                c.build_within(base, input_dim, budget)
                    .map_err(RunError::from_component)?,
            )
        }
        "memristor" => {
            let c: physrc_memristor::MemristorConfig = parse(cfg)?;
            Box::new(
                c.build_within(base, input_dim, budget)
                    .map_err(RunError::from_component)?,
            )
        }
        "oscillator" => {
            let c: physrc_oscillator::OscillatorConfig = parse(cfg)?;
            Box::new(
                c.build_within(base, input_dim, budget)
                    .map_err(RunError::from_component)?,
            )
        }
        "nanomagnet" => {
            let c: physrc_nanomagnet::NanomagnetConfig = parse(cfg)?;
            Box::new(
                c.build_within(base, input_dim, budget)
                    .map_err(RunError::from_component)?,
            )
        }
        "rig" => {
            let c: physrc_rig::RigConfig = parse(cfg)?;
            Box::new(
                c.build_within(base, input_dim, budget)
                    .map_err(RunError::from_component)?,
            )
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

/// The memory this machine has available for a run: `MemAvailable` of `/proc/meminfo`.
///
/// Kernels older than 3.14 do not report `MemAvailable`; there the estimate the kernel itself
/// used before, `MemFree + Buffers + Cached`, stands in. Where `/proc/meminfo` cannot be read
/// (not Linux) the budget is unlimited, and only the fixed upper bounds of the size keys
/// protect the process.
pub fn available_memory() -> MemoryBudget {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| meminfo_available(&text))
        .unwrap_or(MemoryBudget::UNLIMITED)
}

/// The available bytes a `/proc/meminfo` text reports, if it reports enough to tell.
fn meminfo_available(text: &str) -> Option<MemoryBudget> {
    let field = |name: &str| -> Option<u64> {
        text.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            let kib = rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()?;
            Some(kib.saturating_mul(1024))
        })
    };
    let bytes = match field("MemAvailable") {
        Some(b) => b,
        None => field("MemFree")?
            .saturating_add(field("Buffers").unwrap_or(0))
            .saturating_add(field("Cached").unwrap_or(0)),
    };
    Some(MemoryBudget::bytes(bytes))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_gives_mem_available_or_the_older_estimate() {
        let new =
            "MemTotal:       32000000 kB\nMemFree:         1000 kB\nMemAvailable:   24015752 kB\n";
        assert_eq!(
            meminfo_available(new),
            Some(MemoryBudget::bytes(24_015_752 * 1024))
        );
        let old = "MemTotal: 4000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n";
        assert_eq!(
            meminfo_available(old),
            Some(MemoryBudget::bytes(420 * 1024))
        );
        assert_eq!(meminfo_available("nothing useful"), None);
    }
}

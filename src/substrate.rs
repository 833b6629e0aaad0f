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

/// The key the `[substrate]` table of `kind` takes its seed under, as its crate names it;
/// `None` for a kind that has no seed (recorded states) or is not known.
pub fn seed_key(kind: &str) -> Option<&'static str> {
    match kind {
        "esn" => Some(physrc_esn::EsnConfig::SEED_KEY),
        "memristor" => Some(physrc_memristor::MemristorConfig::SEED_KEY),
        "oscillator" => Some(physrc_oscillator::OscillatorConfig::SEED_KEY),
        "nanomagnet" => Some(physrc_nanomagnet::NanomagnetConfig::SEED_KEY),
        "rig" => Some(physrc_rig::RigConfig::SEED_KEY),
        _ => None,
    }
}

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

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordedConfig {
    /// A `T × n` `.npy` of states measured on a device, one row a step (float64, float32,
    /// int64 or int32; relative to the config file).
    states: std::path::PathBuf,
    /// Leave out the channels (columns) that hold a NaN or an infinite value in the rows the
    /// run uses, instead of refusing the file.
    #[serde(default)]
    drop_nonfinite: bool,
}

/// The states of `kind = "recorded"`: the rows of a `T × n` `.npy` measured offline on a
/// device, read from the file as the run consumes them, without the channels that
/// `drop_nonfinite = true` leaves out.
#[derive(Debug)]
pub struct RecordedStates {
    reader: npy::MatrixReader,
    /// The file's columns the run reads, when channels were dropped.
    keep: Option<Vec<usize>>,
    /// The dropped channels, ascending, with how many non-finite values each held.
    dropped: Vec<(usize, usize)>,
    drop_nonfinite: bool,
}

impl RecordedStates {
    /// Rows in the file.
    pub fn nrows(&self) -> usize {
        self.reader.nrows()
    }

    /// Channels (columns) in the file.
    pub fn channels(&self) -> usize {
        self.reader.ncols()
    }

    /// State components per step: the channels not dropped.
    pub fn state_dim(&self) -> usize {
        self.keep.as_ref().map_or(self.channels(), Vec::len)
    }

    /// The dropped channels' indices in the file (0-based, ascending).
    pub fn dropped_channels(&self) -> Vec<usize> {
        self.dropped.iter().map(|&(c, _)| c).collect()
    }

    /// Non-finite values in the dropped channels, over the rows the run uses.
    pub fn dropped_values(&self) -> usize {
        self.dropped.iter().map(|&(_, n)| n).sum()
    }

    /// The states of `rows`, `rows.len() × state_dim`.
    ///
    /// # Errors
    ///
    /// [`RunError::Npy`] naming the row and column of a value that is not finite (which can
    /// only be in a row the scan for `drop_nonfinite` did not cover); [`RunError::Io`] when
    /// the file cannot be read.
    pub fn read(&mut self, rows: std::ops::Range<usize>) -> Result<Array2<f64>, RunError> {
        let n = rows.len();
        let mut v = Vec::new();
        if let Some(bad) = self.reader.read_rows(rows, self.keep.as_deref(), &mut v)? {
            let hint = if self.drop_nonfinite {
                ""
            } else {
                "; set [substrate] drop_nonfinite = true to leave out the channels that hold \
                 non-finite values"
            };
            return Err(RunError::Npy {
                path: self.reader.path().to_path_buf(),
                message: format!(
                    "state at row {}, column {} is not finite ({}){hint}",
                    bad.row, bad.column, bad.value
                ),
            });
        }
        Ok(Array2::from_shape_vec((n, self.state_dim()), v)
            .expect("read_rows appends rows × state_dim values"))
    }
}

/// Opens the states of `kind = "recorded"`, a `T × n` `.npy` measured offline on a device, for
/// a run that uses their first `rows_used` rows.
///
/// The states are not read here: [`RecordedStates::read`] reads them as the run consumes them
/// and refuses a value that is not finite. With `drop_nonfinite = true` the rows the run uses
/// are scanned first, and every channel holding a NaN or an infinite value in them is left out.
///
/// # Errors
///
/// [`RunError::Config`] without a `states` key; [`RunError::Io`] / [`RunError::Npy`] for a
/// missing or malformed file; [`RunError::Npy`] when `drop_nonfinite` would leave no channel.
pub fn load_recorded(cfg: &RunConfig, rows_used: usize) -> Result<RecordedStates, RunError> {
    let c: RecordedConfig = parse(cfg)?;
    let path = cfg.resolve(&c.states);
    let mut reader = npy::MatrixReader::open(&path, "recorded states")?;
    let (keep, dropped) = if c.drop_nonfinite {
        let scanned = 0..rows_used.min(reader.nrows());
        let dropped = reader.nonfinite_columns(scanned.clone())?;
        let channels = reader.ncols();
        if !dropped.is_empty() && dropped.len() == channels {
            return Err(RunError::Npy {
                path,
                message: format!(
                    "every one of the {channels} channels holds a non-finite value in rows \
                     {}..{}, so drop_nonfinite would leave no state",
                    scanned.start, scanned.end
                ),
            });
        }
        let keep = (!dropped.is_empty()).then(|| {
            let mut d = dropped.iter().map(|&(c, _)| c).peekable();
            (0..channels)
                .filter(|&c| {
                    if d.peek() == Some(&c) {
                        d.next();
                        false
                    } else {
                        true
                    }
                })
                .collect()
        });
        (keep, dropped)
    } else {
        (None, Vec::new())
    };
    Ok(RecordedStates {
        reader,
        keep,
        dropped,
        drop_nonfinite: c.drop_nonfinite,
    })
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

use std::io;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayD, Ix2};
use ndarray_npy::{ReadNpyError, read_npy};
use physrc_core::{Info, MemoryBudget, bytes_for};
use serde::Deserialize;

use crate::error::shape2;
use crate::esn::{
    check_fraction, check_non_negative, check_units, generate_bias, generate_w, generate_win,
};
use crate::{Activation, Esn, EsnError, StepThreads, Storage, WInit};

/// The `[substrate]` table of a run config for `kind = "esn"` (the facade removes `kind`).
///
/// ```toml
/// [substrate]
/// kind = "esn"
/// w = "W.npy"             # optional explicit N×N
/// win = "Win.npy"         # optional explicit N×d
/// bias = "bias.npy"       # optional, length N (N×1 and 1×N accepted)
/// leak_rate = 1.0
/// units = 500             # when `w` is not given
/// spectral_radius = 0.9
/// w_init = "normal"       # | "uniform" | "orthogonal"
/// connectivity = 0.1
/// input_scaling = 1.0
/// input_connectivity = 0.1
/// bias_scaling = 0.0
/// activation = "tanh"     # | "identity"
/// seed = 0
/// step_threads = 2        # optional: 1 or 2 threads for W·x (default: by the size of W)
/// ```
///
/// Every key is optional except `units` when `w` is not given; omitted keys take the defaults
/// of [`EsnParams::new`](crate::EsnParams::new) (reservoirpy 0.4.2's). A matrix given as a
/// file replaces the generated one, and the keys that only shape the generated one are then
/// an error rather than silently ignored: `units`, `spectral_radius`, `connectivity`,
/// `w_init` with `w`; `input_scaling`, `input_connectivity` with `win`; `bias_scaling` with
/// `bias`. Files are `.npy` arrays of float64 or float32.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EsnConfig {
    /// `.npy` file with the recurrent matrix, N×N.
    pub w: Option<PathBuf>,
    /// `.npy` file with the input matrix, N×d.
    pub win: Option<PathBuf>,
    /// `.npy` file with the bias, N (or N×1, 1×N).
    pub bias: Option<PathBuf>,
    /// Leak rate in (0, 1]; default 1.
    pub leak_rate: Option<f64>,
    /// Number of units; required unless `w` is given. At most [`MAX_UNITS`](crate::MAX_UNITS),
    /// and refused by [`build_within`](Self::build_within) when generating the matrices would
    /// need more memory than its budget (about 24·N² bytes).
    pub units: Option<usize>,
    /// Spectral radius of the generated `W`; default 1.
    pub spectral_radius: Option<f64>,
    /// How `W` is generated; default `normal`.
    pub w_init: Option<WInit>,
    /// Density of the generated `W`; default 0.1.
    pub connectivity: Option<f64>,
    /// Magnitude of the generated `Win` entries; default 1.
    pub input_scaling: Option<f64>,
    /// Density of the generated `Win`; default 0.1.
    pub input_connectivity: Option<f64>,
    /// Magnitude of the generated bias; default 0 (no bias).
    pub bias_scaling: Option<f64>,
    /// `tanh` (default) or `identity`.
    pub activation: Option<Activation>,
    /// Seed of the generated matrices; default 0.
    pub seed: Option<u64>,
    /// Threads computing `W·x` in a step, 1 or 2; omitted, two once `W` has 300,000 nonzeros
    /// and the run has two threads. The states are the same bits either way.
    pub step_threads: Option<usize>,
}

impl EsnConfig {
    /// The key this table takes its seed under. `physrc run --seed` and the sweeps set it.
    pub const SEED_KEY: &'static str = "seed";

    /// Builds the network; relative file paths resolve against `base_dir` (the config file's
    /// folder) and `input_dim` is the number of input columns of the data.
    ///
    /// # Errors
    ///
    /// [`EsnError::ConflictingKeys`] or [`EsnError::MissingKey`] for an inconsistent table;
    /// [`EsnError::Npy`] for a file that is missing or not a float64/float32 `.npy`;
    /// [`EsnError::NpyShape`] naming the file, the shape found and the shape expected; and
    /// every error of [`Esn::new`] and [`Esn::from_matrices`].
    pub fn build(&self, base_dir: &Path, input_dim: usize) -> Result<Esn, EsnError> {
        self.build_within(base_dir, input_dim, MemoryBudget::UNLIMITED)
    }

    /// As [`build`](Self::build), refusing before anything is generated when the matrices
    /// would need more memory than `budget`.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build); [`EsnError::Memory`] naming `units` and the estimate.
    pub fn build_within(
        &self,
        base_dir: &Path,
        input_dim: usize,
        budget: MemoryBudget,
    ) -> Result<Esn, EsnError> {
        self.check_conflicts()?;
        if input_dim == 0 {
            return Err(EsnError::Parameter {
                name: "input_dim",
                expected: "at least 1 (the data has no input column)",
                value: 0.0,
            });
        }
        let leak_rate = self.leak_rate.unwrap_or(1.0);
        check_fraction("leak_rate", leak_rate)?;
        let activation = self.activation.unwrap_or_default();
        let seed = self.seed.unwrap_or(0);
        let mut info = Info::new("esn");
        let mut generated = false;

        let w = match &self.w {
            Some(file) => {
                let path = base_dir.join(file);
                let w = load_matrix("w", &path)?;
                if w.nrows() != w.ncols() || w.nrows() == 0 {
                    return Err(EsnError::NpyShape {
                        key: "w",
                        path,
                        expected: "square N×N with N ≥ 1".to_owned(),
                        found: shape2(w.nrows(), w.ncols()),
                    });
                }
                info = info
                    .with("units", w.nrows())
                    .with("input_dim", input_dim)
                    .with("leak_rate", leak_rate)
                    .with("activation", activation.name())
                    .with("w", path.display().to_string());
                w
            }
            None => {
                let units = self.units.ok_or(EsnError::MissingKey {
                    key: "units",
                    when: "when `w` is not given",
                })?;
                let init = self.w_init.unwrap_or_default();
                check_units(units)?;
                budget.check("units", units, generation_bytes(units, input_dim, init))?;
                let sr = self.spectral_radius.unwrap_or(1.0);
                let connectivity = self.connectivity.unwrap_or(0.1);
                let w = generate_w(units, init, sr, connectivity, seed)?;
                generated = true;
                info = info
                    .with("units", units)
                    .with("input_dim", input_dim)
                    .with("leak_rate", leak_rate)
                    .with("activation", activation.name())
                    .with("w", init.name())
                    .with("spectral_radius", sr);
                if init != WInit::Orthogonal {
                    info = info.with("connectivity", connectivity);
                }
                w
            }
        };
        let units = w.nrows();

        let win = match &self.win {
            Some(file) => {
                let path = base_dir.join(file);
                let win = load_matrix("win", &path)?;
                if win.dim() != (units, input_dim) {
                    return Err(EsnError::NpyShape {
                        key: "win",
                        path,
                        expected: format!(
                            "{} (N = {units} units × {input_dim} input columns of the data)",
                            shape2(units, input_dim)
                        ),
                        found: shape2(win.nrows(), win.ncols()),
                    });
                }
                info = info.with("win", path.display().to_string());
                win
            }
            None => {
                let scaling = self.input_scaling.unwrap_or(1.0);
                let connectivity = self.input_connectivity.unwrap_or(0.1);
                generated = true;
                info = info
                    .with("win", "bernoulli")
                    .with("input_scaling", scaling)
                    .with("input_connectivity", connectivity);
                generate_win(units, input_dim, scaling, connectivity, seed)?
            }
        };

        let bias = match &self.bias {
            Some(file) => {
                let path = base_dir.join(file);
                let bias = load_vector("bias", &path, units)?;
                info = info.with("bias", path.display().to_string());
                bias
            }
            None => {
                let scaling = self.bias_scaling.unwrap_or(0.0);
                check_non_negative("bias_scaling", scaling)?;
                if scaling > 0.0 {
                    generated = true;
                }
                info = info.with("bias_scaling", scaling);
                generate_bias(units, scaling, seed)?
            }
        };
        if generated {
            info = info.with("seed", seed);
        }
        let step_threads = match self.step_threads {
            None => StepThreads::Auto,
            Some(1) => StepThreads::One,
            Some(2) => StepThreads::Two,
            Some(other) => {
                return Err(EsnError::Parameter {
                    name: "step_threads",
                    expected: "1 or 2",
                    value: other as f64,
                });
            }
        };
        Ok(
            Esn::assemble(w, win, bias, leak_rate, activation, Storage::Auto, info)?
                .with_step_threads(step_threads),
        )
    }

    fn check_conflicts(&self) -> Result<(), EsnError> {
        conflict(
            "w",
            self.w.is_some(),
            &[
                ("units", self.units.is_some()),
                ("spectral_radius", self.spectral_radius.is_some()),
                ("connectivity", self.connectivity.is_some()),
                ("w_init", self.w_init.is_some()),
            ],
            "they only shape a generated `w`; the number of units comes from the file, \
             which is used unscaled",
        )?;
        conflict(
            "win",
            self.win.is_some(),
            &[
                ("input_scaling", self.input_scaling.is_some()),
                ("input_connectivity", self.input_connectivity.is_some()),
            ],
            "they only shape a generated `win`, and the file is used unscaled",
        )?;
        conflict(
            "bias",
            self.bias.is_some(),
            &[("bias_scaling", self.bias_scaling.is_some())],
            "it only shapes a generated bias, and the file is used unscaled",
        )?;
        if self.w_init == Some(WInit::Orthogonal) && self.connectivity.is_some() {
            return Err(EsnError::ConflictingKeys {
                given: "w_init = \"orthogonal\"",
                keys: "`connectivity`".to_owned(),
                why: "an orthogonal `w` is dense",
            });
        }
        Ok(())
    }
}

/// Peak bytes of generating a network of `units` units for `input_dim` inputs.
///
/// `W` is drawn dense (8·N² bytes, plus up to as much again for the index sample placing its
/// nonzero entries), the dense eigenvalue solver (small or dense `W`) works on a dense copy
/// with a workspace of the same order, and the stored layout is built while `W` is alive: about three dense N×N matrices at
/// the peak. The orthogonal draw holds four (the Gaussian matrix, the Householder basis, Q and
/// the signed result). `Win` adds two N×d matrices.
fn generation_bytes(units: usize, input_dim: usize, init: WInit) -> u64 {
    let n = units as u64;
    let dense = if init == WInit::Orthogonal { 4 } else { 3 };
    bytes_for(n.saturating_mul(n), 8 * dense)
        .saturating_add(bytes_for(n.saturating_mul(input_dim as u64), 16))
}

/// An error when the file key `given` is set together with any of the keys in `others` that
/// are set (the flag says whether each is).
fn conflict(
    given: &'static str,
    present: bool,
    others: &[(&str, bool)],
    why: &'static str,
) -> Result<(), EsnError> {
    let set: Vec<String> = others
        .iter()
        .filter(|(_, is_set)| *is_set)
        .map(|(k, _)| format!("`{k}`"))
        .collect();
    if present && !set.is_empty() {
        return Err(EsnError::ConflictingKeys {
            given,
            keys: set.join(", "),
            why,
        });
    }
    Ok(())
}

/// Reads a float64 or float32 `.npy` of any dimension.
fn load_any(key: &'static str, path: &Path) -> Result<ArrayD<f64>, EsnError> {
    let npy_err = |detail: String| EsnError::Npy {
        key,
        path: path.to_owned(),
        detail,
    };
    let describe = |e: ReadNpyError| match e {
        ReadNpyError::Io(e) if e.kind() == io::ErrorKind::NotFound => "file not found".to_owned(),
        other => other.to_string(),
    };
    match read_npy::<_, ArrayD<f64>>(path) {
        Ok(a) => Ok(a),
        Err(ReadNpyError::WrongDescriptor(descr)) => match read_npy::<_, ArrayD<f32>>(path) {
            Ok(a) => Ok(a.mapv(f64::from)),
            Err(ReadNpyError::WrongDescriptor(_)) => Err(npy_err(format!(
                "dtype {descr} is not supported; save it as float64 or float32"
            ))),
            Err(e) => Err(npy_err(describe(e))),
        },
        Err(e) => Err(npy_err(describe(e))),
    }
}

fn shape_text(shape: &[usize]) -> String {
    if shape.is_empty() {
        return "() (a scalar)".to_owned();
    }
    shape
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("×")
}

fn load_matrix(key: &'static str, path: &Path) -> Result<Array2<f64>, EsnError> {
    let a = load_any(key, path)?;
    let found = shape_text(a.shape());
    a.into_dimensionality::<Ix2>()
        .map_err(|_| EsnError::NpyShape {
            key,
            path: path.to_owned(),
            expected: "a 2-D array".to_owned(),
            found,
        })
}

/// A length-`n` vector stored as `n`, `n×1` or `1×n`.
fn load_vector(key: &'static str, path: &Path, n: usize) -> Result<Array1<f64>, EsnError> {
    let a = load_any(key, path)?;
    let shape = a.shape().to_vec();
    let fits = match shape[..] {
        [len] => len == n,
        [rows, cols] => (rows == n && cols == 1) || (rows == 1 && cols == n),
        _ => false,
    };
    if !fits {
        return Err(EsnError::NpyShape {
            key,
            path: path.to_owned(),
            expected: format!("{n}, {n}×1 or 1×{n} (N = {n} units)"),
            found: shape_text(&shape),
        });
    }
    let flat: Vec<f64> = a.iter().copied().collect();
    Ok(Array1::from(flat))
}

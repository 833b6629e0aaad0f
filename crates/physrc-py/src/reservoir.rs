//! `physrc.Reservoir`: one substrate driven from numpy.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::Instant;

use ndarray::{ArrayView2, ArrayViewMut2, Axis, CowArray, Ix2, s};
use numpy::{AllowTypeChange, IntoPyArray, PyArray1, PyArray2, PyArrayLikeDyn, PyArrayMethods};
use physrc::Reservoir;
use physrc::config::{DataSource, OutputConfig, ReadoutConfig, RidgeSettings, RunConfig, Split};
use physrc::core::{Info, ParamValue};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::{ConfigArg, core_err, to_pyerr, working_dir};

/// Wall time one chunk of [`PyReservoir::run`] aims at: short enough that Ctrl-C is answered
/// well within a second, long enough that re-taking the GIL costs nothing measurable.
const CHUNK_SECONDS: f64 = 0.05;

/// A substrate built from a `[substrate]` table: `Reservoir.from_config(config, input_dim=1)`
/// or the keyword constructors of the `physrc` package (`physrc.ESN(units=500)`).
#[pyclass(name = "Reservoir", module = "physrc", frozen)]
pub(crate) struct PyReservoir {
    /// The substrate, behind a lock because a run releases the GIL: another Python thread may
    /// call in meanwhile, and must be refused rather than wait for the GIL the run needs back.
    inner: Mutex<Box<dyn Reservoir + Send>>,
    kind: String,
    input_dim: usize,
    state_dim: usize,
}

impl PyReservoir {
    fn lock(&self) -> PyResult<MutexGuard<'_, Box<dyn Reservoir + Send>>> {
        match self.inner.try_lock() {
            Ok(g) => Ok(g),
            Err(TryLockError::WouldBlock) => Err(PyRuntimeError::new_err(
                "this reservoir is being driven by another thread; give each thread its own",
            )),
            Err(TryLockError::Poisoned(_)) => Err(PyRuntimeError::new_err(
                "this reservoir's state is unknown after a panic inside physrc; build a new one",
            )),
        }
    }

    /// Builds from a `[substrate]` table with the facade's dispatch, so every key is
    /// validated by the substrate crate that owns it.
    fn build(
        table: toml::Table,
        base_dir: PathBuf,
        origin: String,
        input_dim: usize,
    ) -> PyResult<PyReservoir> {
        let kind = match table.get("kind") {
            Some(toml::Value::String(k)) => k.clone(),
            Some(_) => {
                return Err(PyValueError::new_err(format!(
                    "{origin}: [substrate] kind must be a string"
                )));
            }
            None => {
                return Err(PyValueError::new_err(format!(
                    "{origin}: [substrate] has no kind; expected one of {}",
                    physrc::substrate::KINDS.join(", ")
                )));
            }
        };
        if kind == "recorded" {
            return Err(PyValueError::new_err(format!(
                "{origin}: [substrate] kind \"recorded\" replays states from a file and drives \
                 nothing; read the file with numpy.load"
            )));
        }
        if input_dim == 0 {
            return Err(PyValueError::new_err("input_dim must be at least 1"));
        }
        let cfg = RunConfig {
            substrate: table,
            source: DataSource::Task(toml::Table::new()),
            split: Split {
                washout: 0,
                train: 0,
                test: 0,
            },
            readout: ReadoutConfig::Ridge(RidgeSettings {
                alpha: 1e-6,
                features: Default::default(),
                standardize: false,
                solver: Default::default(),
            }),
            output: OutputConfig::default(),
            base_dir,
            origin,
            expect: None,
            energy: Default::default(),
        };
        let r = physrc::substrate::build(&kind, &cfg, input_dim).map_err(to_pyerr)?;
        Ok(PyReservoir {
            input_dim: r.input_dim(),
            state_dim: r.state_dim(),
            inner: Mutex::new(r),
            kind,
        })
    }
}

/// The inputs of `run` as a `T × input_dim` view of numpy's memory, copied only when its rows
/// are not contiguous: a 1-D array is `T` steps of one component.
fn input_matrix<'a>(
    u: &'a PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    input_dim: usize,
) -> PyResult<CowArray<'a, f64, Ix2>> {
    let view = u.as_array();
    let m = match view.ndim() {
        1 if input_dim == 1 => view.insert_axis(Axis(1)),
        1 => {
            return Err(PyValueError::new_err(format!(
                "a 1-D input of length {} is read as steps of one component, but this \
                 reservoir takes {input_dim} per step; pass a T × {input_dim} array",
                view.len()
            )));
        }
        2 => view,
        n => {
            return Err(PyValueError::new_err(format!(
                "inputs must be 1-D (T steps of one component) or 2-D (T × {input_dim}), not \
                 {n}-D"
            )));
        }
    };
    let m = m
        .into_dimensionality::<Ix2>()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(if m.is_standard_layout() {
        CowArray::from(m)
    } else {
        CowArray::from(m.as_standard_layout().into_owned())
    })
}

#[pymethods]
impl PyReservoir {
    /// Builds a substrate from a `[substrate]` table: a dict (`{"kind": "esn", "units": 100}`;
    /// a whole run config is accepted and its `substrate` taken) or the path of a TOML file
    /// (a run config or a bare substrate table). `input_dim` is the number of input components
    /// per step.
    #[staticmethod]
    #[pyo3(signature = (config, *, input_dim=1))]
    fn from_config(config: &Bound<'_, PyAny>, input_dim: usize) -> PyResult<PyReservoir> {
        let (mut table, base, origin) = match ConfigArg::extract(config)? {
            ConfigArg::Table(t) => (t, working_dir()?, "<dict>".to_owned()),
            ConfigArg::File(p) => {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| PyOSError::new_err(format!("{}: {e}", p.display())))?;
                let t: toml::Table = toml::from_str(&text).map_err(|e| {
                    PyValueError::new_err(format!("{}: {}", p.display(), e.message()))
                })?;
                let base = p.parent().map(Path::to_path_buf).unwrap_or_default();
                (t, base, p.display().to_string())
            }
        };
        if let Some(sub) = table.remove("substrate") {
            table = match sub {
                toml::Value::Table(t) => t,
                _ => {
                    return Err(PyValueError::new_err(format!(
                        "{origin}: substrate must be a table"
                    )));
                }
            };
        }
        PyReservoir::build(table, base, origin, input_dim)
    }

    /// Input components per step.
    #[getter]
    fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// State components per step.
    #[getter]
    fn state_dim(&self) -> usize {
        self.state_dim
    }

    /// The `kind` of the `[substrate]` table it was built from.
    #[getter]
    fn kind(&self) -> &str {
        &self.kind
    }

    /// The substrate's parameters, defaults included, as a dict.
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        params_dict(py, &self.lock()?.info())
    }

    /// What `report.json` records of the substrate, as a dict: `name` (as in the report's
    /// `substrate` entry), `kind`, `input_dim`, `state_dim` and `params`.
    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let info = self.lock()?.info();
        let d = PyDict::new(py);
        d.set_item("name", &info.name)?;
        d.set_item("kind", &self.kind)?;
        d.set_item("input_dim", self.input_dim)?;
        d.set_item("state_dim", self.state_dim)?;
        d.set_item("params", params_dict(py, &info)?)?;
        Ok(d)
    }

    /// The substrate's own energy estimate since the last `reset()` (or since it was built),
    /// in joules: the dissipation its physical model accounts for (the ESN's: its arithmetic
    /// on the default platform), the figure `report.json` gives as the substrate's part of
    /// `energy_breakdown` on the default platform. `None` when the substrate has no energy model.
    #[getter]
    fn energy(&self) -> PyResult<Option<f64>> {
        Ok(self.lock()?.energy())
    }

    /// Returns the substrate to its initial state and re-seeds its randomness.
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        let mut guard = self.lock()?;
        let r: &mut (dyn Reservoir + Send) = &mut **guard;
        py.detach(|| r.reset()).map_err(core_err)
    }

    /// Drives one step with `u_t` (a float when `input_dim` is 1, else a length-`input_dim`
    /// array) and returns the state, a length-`state_dim` float64 array.
    fn step<'py>(
        &self,
        py: Python<'py>,
        u_t: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let u = u_t.as_array();
        if u.ndim() > 1 {
            return Err(PyValueError::new_err(format!(
                "step takes one input vector (length {}), not a {}-D array; use run for a \
                 sequence",
                self.input_dim,
                u.ndim()
            )));
        }
        let input: Vec<f64> = u.iter().copied().collect();
        let mut state = vec![0.0; self.state_dim];
        let mut guard = self.lock()?;
        let r: &mut (dyn Reservoir + Send) = &mut **guard;
        py.detach(|| r.step(&input, &mut state)).map_err(core_err)?;
        Ok(state.into_pyarray(py))
    }

    /// Drives the whole sequence `u` (`T × input_dim`, or length `T` when `input_dim` is 1)
    /// from the current state and returns the states, `T × state_dim` float64.
    ///
    /// The whole sequence is checked first: a bad value raises `ValueError` naming its row,
    /// with the substrate unchanged. The run releases the GIL and is interruptible: after
    /// Ctrl-C (`KeyboardInterrupt`) the substrate holds the state after the steps already
    /// driven; `reset()` starts again.
    fn run<'py>(
        &self,
        py: Python<'py>,
        u: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let inputs = input_matrix(&u, self.input_dim)?;
        physrc::core::validate_sequence(inputs.view(), self.input_dim).map_err(to_pyerr)?;
        let mut r = self.lock()?;
        // The states go into an array numpy allocates, as its own arrays are: numpy asks the
        // kernel to back large arrays with huge pages, so filling 20,000 × 500 states takes
        // about 160 page faults instead of 20,000 (a tenth of a 500-unit ESN's time).
        let states = PyArray2::<f64>::zeros(py, (inputs.nrows(), self.state_dim), false);
        {
            let mut written = states.readwrite();
            drive_in_chunks(py, &mut **r, inputs.view(), written.as_array_mut())?;
        }
        Ok(states)
    }

    fn __repr__(&self) -> PyResult<String> {
        let info = self.lock()?.info();
        let name = match self.kind.as_str() {
            "esn" => "ESN",
            "nanomagnet" => "Nanomagnet",
            "memristor" => "Memristor",
            "oscillator" => "Oscillator",
            "rig" => "Rig",
            _ => "Reservoir",
        };
        let params: Vec<String> = info
            .params
            .iter()
            .map(|(k, v)| match v {
                ParamValue::Text(t) => format!("{k}={t:?}"),
                ParamValue::Bool(b) => {
                    format!("{k}={}", if *b { "True" } else { "False" })
                }
                other => format!("{k}={other}"),
            })
            .collect();
        // Some substrates list `input_dim` among their parameters already.
        let input_dim = if info.params.iter().any(|(k, _)| k == "input_dim") {
            String::new()
        } else {
            format!(", input_dim={}", self.input_dim)
        };
        Ok(format!(
            "{name}({}{input_dim}, state_dim={})",
            params.join(", "),
            self.state_dim
        ))
    }
}

/// Drives `inputs` through `r` in chunks sized to take about `CHUNK_SECONDS` each, without
/// the GIL, checking for signals (Ctrl-C) between chunks. The inputs are already validated.
fn drive_in_chunks(
    py: Python<'_>,
    r: &mut (dyn Reservoir + Send),
    inputs: ArrayView2<'_, f64>,
    mut states: ArrayViewMut2<'_, f64>,
) -> PyResult<()> {
    let total = inputs.nrows();
    let mut done = 0;
    let mut rows = 16usize;
    while done < total {
        let end = (done + rows).min(total);
        let chunk = inputs.slice(s![done..end, ..]);
        let t0 = Instant::now();
        // Each chunk is written straight into its rows of the result: a chunk of its own
        // would be allocated, page-faulted and copied again, about a tenth of an ESN's time.
        let rows_out = states.slice_mut(s![done..end, ..]);
        py.detach(|| r.run_into(chunk, rows_out))
            .map_err(core_err)?;
        let secs = t0.elapsed().as_secs_f64();
        let ran = end - done;
        done = end;
        py.check_signals()?;
        // Aim the next chunk at CHUNK_SECONDS, growing at most fourfold so one slow step
        // after many fast ones cannot make a chunk run for seconds.
        let per_row = secs / ran.max(1) as f64;
        let target = if per_row > 0.0 {
            (CHUNK_SECONDS / per_row) as usize
        } else {
            rows * 4
        };
        rows = target.clamp(1, rows.saturating_mul(4));
    }
    Ok(())
}

/// The parameters of `info` as a dict, in the substrate's order.
fn params_dict<'py>(py: Python<'py>, info: &Info) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in &info.params {
        match v {
            ParamValue::Float(x) => d.set_item(k, *x)?,
            ParamValue::Int(x) => d.set_item(k, *x)?,
            ParamValue::Bool(x) => d.set_item(k, *x)?,
            ParamValue::Text(x) => d.set_item(k, x)?,
        }
    }
    Ok(d)
}

//! Python bindings of physrc: the extension module `physrc._physrc` behind `import physrc`.
//!
//! # Why the bindings are this thin
//!
//! Lab physicists analyse in numpy and Jupyter, but a number they quote must be the number
//! `physrc run` gives. So nothing here computes anything of its own: `run` parses the config
//! with the facade's [`RunConfig`] and calls [`physrc::experiment::run`], the code behind the
//! command line; a `PyReservoir` is built by [`physrc::substrate::build`] from a `[substrate]`
//! table, so the keyword arguments of `physrc.ESN(...)` are the TOML keys, checked by the same
//! validated builder; `Ridge`, `nrmse` and `generate_task` call the readout and task
//! crates. Only the conversions between Python and Rust values live here.
//!
//! # Errors become exceptions by kind
//!
//! Every error carries a shared [`ErrorKind`]; `to_pyerr` maps it to the Python exception a
//! caller would catch (`ValueError` for bad input or parameters, `TimeoutError` for a device
//! that stops answering, `physrc.DeviceError` for a device fault), with the Rust message.
//!
//! # The interpreter stays responsive
//!
//! Long computations release the GIL. `PyReservoir::run` drives its input in chunks of about
//! `CHUNK_SECONDS` each and checks for signals between them, so Ctrl-C interrupts a long run
//! promptly. The pure-Python package around this module adds the keyword constructors, the
//! result type of `physrc.run` and the reservoirpy node.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::Instant;

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, s};
use numpy::{AllowTypeChange, IntoPyArray, PyArray1, PyArray2, PyArrayLikeDyn, PyArrayMethods};
use physrc::config::{DataSource, OutputConfig, ReadoutConfig, RidgeSettings, RunConfig, Split};
use physrc::experiment::{self, Series};
use physrc::{ErrorKind, HasErrorKind, Reservoir, RunError};
use pyo3::exceptions::{
    PyException, PyMemoryError, PyOSError, PyRuntimeError, PyTimeoutError, PyTypeError,
    PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString, PyTuple};

pyo3::create_exception!(
    physrc,
    DeviceError,
    PyException,
    "A device answered with a fault or tripped a hardware limit."
);

/// Wall time one chunk of [`PyReservoir::run`] aims at: short enough that Ctrl-C is answered
/// well within a second, long enough that re-taking the GIL costs nothing measurable.
const CHUNK_SECONDS: f64 = 0.05;

/// The Python exception for an error of kind `kind` with message `message`.
fn exception(kind: ErrorKind, message: String) -> PyErr {
    match kind {
        ErrorKind::InvalidInput | ErrorKind::DimensionMismatch | ErrorKind::InvalidParameter => {
            PyValueError::new_err(message)
        }
        ErrorKind::Timeout => PyTimeoutError::new_err(message),
        ErrorKind::DeviceFault => DeviceError::new_err(message),
        ErrorKind::Io => PyOSError::new_err(message),
        ErrorKind::InsufficientMemory => PyMemoryError::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

/// Converts any physrc error into the Python exception of its kind, keeping its message.
fn to_pyerr<E: HasErrorKind + std::fmt::Display>(e: E) -> PyErr {
    exception(e.kind(), e.to_string())
}

/// Converts the boxed error a substrate returns into the Python exception of its kind.
fn core_err(e: physrc::Error) -> PyErr {
    exception(e.kind(), e.to_string())
}

/// Converts a Python value (dict, list, tuple, str, bool, int, float, path) into a TOML value.
/// `key` names the value in messages.
fn to_toml(obj: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(toml::Value::Boolean(b.is_true()));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(toml::Value::Float(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(toml::Value::String(s.extract()?));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return Ok(toml::Value::Table(dict_to_table(d, key)?));
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        let mut items = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            items.push(to_toml(&item?, &format!("{key}[{i}]"))?);
        }
        return Ok(toml::Value::Array(items));
    }
    // Integers, numpy's included (they have `__index__`), before other numbers.
    if obj.hasattr("__index__")? {
        return obj.extract::<i64>().map(toml::Value::Integer).map_err(|_| {
            PyValueError::new_err(format!("{key}: the integer {obj} does not fit in 64 bits"))
        });
    }
    if obj.hasattr("__fspath__")? {
        let os = obj.py().import("os")?;
        let p: String = os.call_method1("fspath", (obj,))?.extract()?;
        return Ok(toml::Value::String(p));
    }
    if let Ok(v) = obj.extract::<f64>() {
        return Ok(toml::Value::Float(v));
    }
    Err(PyTypeError::new_err(format!(
        "{key}: a {} cannot be a config value; use a str, bool, int, float, list or dict",
        obj.get_type().name()?
    )))
}

/// Converts a dict with string keys into a TOML table; keys whose value is `None` are left
/// out, so `None` means "the default".
fn dict_to_table(d: &Bound<'_, PyDict>, key: &str) -> PyResult<toml::Table> {
    let mut t = toml::Table::new();
    for (k, v) in d.iter() {
        let name: String = k.extract().map_err(|_| {
            PyTypeError::new_err(format!("{key}: config keys must be str, not {k:?}"))
        })?;
        if v.is_none() {
            continue;
        }
        let path = if key.is_empty() {
            name.clone()
        } else {
            format!("{key}.{name}")
        };
        t.insert(name, to_toml(&v, &path)?);
    }
    Ok(t)
}

/// A config given from Python: a dict (relative paths resolve against the working folder) or
/// the path of a TOML file (relative paths resolve against its folder).
enum ConfigArg {
    Table(toml::Table),
    File(PathBuf),
}

impl ConfigArg {
    fn extract(obj: &Bound<'_, PyAny>) -> PyResult<ConfigArg> {
        if let Ok(d) = obj.cast::<PyDict>() {
            return Ok(ConfigArg::Table(dict_to_table(d, "")?));
        }
        if obj.cast::<PyString>().is_ok() || obj.hasattr("__fspath__")? {
            let os = obj.py().import("os")?;
            let p: PathBuf = os.call_method1("fspath", (obj,))?.extract()?;
            return Ok(ConfigArg::File(p));
        }
        Err(PyTypeError::new_err(format!(
            "config must be a dict or the path of a TOML file, not a {}",
            obj.get_type().name()?
        )))
    }
}

fn working_dir() -> PyResult<PathBuf> {
    std::env::current_dir()
        .map_err(|e| PyOSError::new_err(format!("the working folder cannot be read: {e}")))
}

/// Parses a run config exactly as `physrc run` does.
fn run_config(arg: ConfigArg) -> PyResult<RunConfig> {
    match arg {
        ConfigArg::File(p) => RunConfig::from_path(&p).map_err(to_pyerr),
        ConfigArg::Table(t) => {
            let text = toml::to_string(&t).map_err(|e| {
                PyValueError::new_err(format!("the config cannot be written as TOML: {e}"))
            })?;
            RunConfig::from_toml_str(&text, &working_dir()?, "<dict>").map_err(to_pyerr)
        }
    }
}

/// Converts a run's series into numpy: values as a 2-D float64 array, class labels as int64.
fn series_to_py<'py>(py: Python<'py>, s: Series) -> Bound<'py, PyAny> {
    match s {
        Series::Values(v) => v.into_pyarray(py).into_any(),
        Series::Labels(l) => l.mapv(|c| c as i64).into_pyarray(py).into_any(),
    }
}

/// Runs one experiment through the code behind `physrc run` and returns
/// `(report_json, predictions, targets, states)`; `states` is `None` unless the config's
/// `[output] states = true`. With `out`, writes the run's files there as `physrc run --out`
/// does (refusing a folder holding another run's outputs unless `force`).
#[pyfunction]
#[pyo3(signature = (config, *, seed=None, out=None, force=false))]
fn run<'py>(
    py: Python<'py>,
    config: &Bound<'py, PyAny>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    force: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let mut cfg = run_config(ConfigArg::extract(config)?)?;
    if let Some(s) = seed {
        cfg.set_seed(s).map_err(to_pyerr)?;
    }
    let outcome = py
        .detach(|| {
            if let Some(dir) = &out {
                physrc::outdir::prepare(dir, &physrc::outdir::RUN_OUTPUTS, force)?;
            }
            let outcome = experiment::run(&cfg)?;
            if let Some(dir) = &out {
                experiment::write_outcome(&outcome, dir)?;
            }
            Ok::<_, RunError>(outcome)
        })
        .map_err(to_pyerr)?;
    let json = serde_json::to_string(&outcome.report)
        .map_err(|e| PyRuntimeError::new_err(format!("the report cannot be serialised: {e}")))?;
    let states = outcome.states.map(|x| x.into_pyarray(py).into_any());
    let items: Vec<Bound<'py, PyAny>> = vec![
        PyString::new(py, &json).into_any(),
        series_to_py(py, outcome.predictions),
        series_to_py(py, outcome.targets),
        match states {
            Some(x) => x,
            None => py.None().into_bound(py),
        },
    ];
    PyTuple::new(py, items)
}

/// A substrate built from a `[substrate]` table: `Reservoir.from_config(config, input_dim=1)`
/// or the keyword constructors of the `physrc` package (`physrc.ESN(units=500)`).
#[pyclass(name = "Reservoir", module = "physrc", frozen)]
struct PyReservoir {
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

/// Reads the inputs of `run` as `T × input_dim` float64: a 1-D array is `T` steps of one
/// component.
fn input_matrix(
    u: &PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    input_dim: usize,
) -> PyResult<Array2<f64>> {
    let view = u.as_array();
    match view.ndim() {
        1 if input_dim == 1 => Ok(view
            .to_owned()
            .insert_axis(Axis(1))
            .into_dimensionality()
            .map_err(|e| PyValueError::new_err(e.to_string()))?),
        1 => Err(PyValueError::new_err(format!(
            "a 1-D input of length {} is read as steps of one component, but this reservoir \
             takes {input_dim} per step; pass a T × {input_dim} array",
            view.len()
        ))),
        2 => Ok(view
            .into_dimensionality::<ndarray::Ix2>()
            .map_err(|e| PyValueError::new_err(e.to_string()))?
            .to_owned()),
        n => Err(PyValueError::new_err(format!(
            "inputs must be 1-D (T steps of one component) or 2-D (T × {input_dim}), not {n}-D"
        ))),
    }
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

    /// The substrate's name and every parameter, defaults included, as a dict.
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let info = self.lock()?.info();
        let d = PyDict::new(py);
        for (k, v) in info.params {
            match v {
                physrc::core::ParamValue::Float(x) => d.set_item(k, x)?,
                physrc::core::ParamValue::Int(x) => d.set_item(k, x)?,
                physrc::core::ParamValue::Bool(x) => d.set_item(k, x)?,
                physrc::core::ParamValue::Text(x) => d.set_item(k, x)?,
            }
        }
        Ok(d)
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
        drop(u);
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
                physrc::core::ParamValue::Text(t) => format!("{k}={t:?}"),
                physrc::core::ParamValue::Bool(b) => {
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

/// Ridge regression, unfitted: `Ridge(alpha).fit(X, Y)` returns a `FittedRidge`.
#[pyclass(module = "physrc", frozen)]
struct Ridge {
    inner: physrc::readout::Ridge,
}

/// A 2-D float64 matrix from an array-like; a 1-D array is one column. Returns whether it
/// was 1-D.
fn matrix(
    a: &PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    what: &str,
) -> PyResult<(Array2<f64>, bool)> {
    let v = a.as_array();
    match v.ndim() {
        1 => Ok((
            v.to_owned()
                .into_shape_with_order((v.len(), 1))
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
            true,
        )),
        2 => Ok((
            v.into_dimensionality::<ndarray::Ix2>()
                .map_err(|e| PyValueError::new_err(e.to_string()))?
                .to_owned(),
            false,
        )),
        n => Err(PyValueError::new_err(format!(
            "{what} must be 1-D or 2-D, not {n}-D"
        ))),
    }
}

#[pymethods]
impl Ridge {
    /// `alpha` is the penalty on the weights; the intercept is fitted unpenalised unless
    /// `intercept=False`.
    #[new]
    #[pyo3(signature = (alpha=1e-6, *, intercept=true))]
    fn new(alpha: f64, intercept: bool) -> PyResult<Ridge> {
        let inner = physrc::readout::Ridge::new(alpha)
            .map_err(to_pyerr)?
            .with_intercept(intercept);
        Ok(Ridge { inner })
    }

    /// The penalty.
    #[getter]
    fn alpha(&self) -> f64 {
        self.inner.alpha()
    }

    /// Fits `Y` (`T × k`, or length `T`) on `X` (`T × n`) and returns the fitted readout.
    #[pyo3(name = "fit")]
    fn fit_py(
        &self,
        py: Python<'_>,
        x: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
        y: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    ) -> PyResult<FittedRidge> {
        let (x, _) = matrix(&x, "X")?;
        let (y, y_1d) = matrix(&y, "Y")?;
        let ridge = self.inner;
        let fitted = py
            .detach(|| ridge.fit(x.view(), y.view()))
            .map_err(to_pyerr)?;
        Ok(FittedRidge {
            inner: fitted,
            y_1d,
        })
    }

    fn __repr__(&self) -> String {
        format!("Ridge(alpha={:?})", self.inner.alpha())
    }
}

/// A fitted ridge readout.
#[pyclass(module = "physrc", frozen)]
struct FittedRidge {
    inner: physrc::readout::FittedRidge,
    /// The targets were 1-D, so predictions are too.
    y_1d: bool,
}

#[pymethods]
impl FittedRidge {
    /// Predictions for `X` (`T × n`): `T × k`, or length `T` when fitted on 1-D targets.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (x, _) = matrix(&x, "X")?;
        let p = py
            .detach(|| self.inner.predict(x.view()))
            .map_err(to_pyerr)?;
        if self.y_1d {
            Ok(p.column(0).to_owned().into_pyarray(py).into_any())
        } else {
            Ok(p.into_pyarray(py).into_any())
        }
    }

    /// The weights, `n × k`.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.weights().to_owned().into_pyarray(py)
    }

    /// The intercept, length `k`.
    #[getter]
    fn intercept<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.intercept().to_owned().into_pyarray(py)
    }
}

/// Root-mean-square error over the target's standard deviation (pooled over outputs), as
/// `physrc run` reports it.
#[pyfunction]
fn nrmse(
    pred: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    target: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
) -> PyResult<f64> {
    let (p, _) = matrix(&pred, "predictions")?;
    let (t, _) = matrix(&target, "targets")?;
    physrc::readout::metrics::nrmse(p.view(), t.view()).map_err(to_pyerr)
}

/// Generates `length` steps of the task a `[task]` table describes and returns
/// `(inputs, targets)`: raw inputs `T × d` and targets `T × k` (int64 labels of length `T`
/// for classification tasks).
#[pyfunction]
fn generate_task<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PyDict>,
    length: usize,
) -> PyResult<Bound<'py, PyTuple>> {
    let table = dict_to_table(spec, "task")?;
    let spec: physrc::tasks::TaskSpec = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| PyValueError::new_err(format!("[task]: {}", e.message())))?;
    let data = py.detach(|| spec.generate(length)).map_err(to_pyerr)?;
    let targets = match data.targets {
        physrc::tasks::Targets::Regression(y) => y.into_pyarray(py).into_any(),
        physrc::tasks::Targets::Classes { labels, .. } => {
            labels.mapv(|c| c as i64).into_pyarray(py).into_any()
        }
    };
    PyTuple::new(py, [data.inputs.into_pyarray(py).into_any(), targets])
}

/// The extension module: the package `physrc` re-exports everything here.
#[pymodule]
fn _physrc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("DeviceError", m.py().get_type::<DeviceError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyReservoir>()?;
    m.add_class::<Ridge>()?;
    m.add_class::<FittedRidge>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(nrmse, m)?)?;
    m.add_function(wrap_pyfunction!(generate_task, m)?)?;
    Ok(())
}

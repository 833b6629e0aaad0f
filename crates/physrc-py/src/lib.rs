//! Python bindings of physrc: the extension module `physrc._physrc` behind `import physrc`.
//!
//! # Why the bindings are this thin
//!
//! Lab physicists analyse in numpy and Jupyter, but a number they quote must be the number
//! `physrc run` gives. So nothing here computes anything of its own: `run` parses the config
//! with the facade's [`RunConfig`] and calls [`physrc::experiment::run`], the code behind the
//! command line; a `PyReservoir` is built by [`physrc::substrate::build`] from a `[substrate]`
//! table, so the keyword arguments of `physrc.ESN(...)` are the TOML keys, checked by the same
//! validated builder; the readouts (`readout`), the measures and task generators
//! (`measures`) and `simulate_nanomagnet` (`simulate`) call the readout, task and nanomagnet
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
//! Long computations release the GIL. `Reservoir.run` drives its input in chunks of about
//! 50 ms each and checks for signals between them; `run` drives the experiment on a thread of
//! its own and cancels it ([`RunOptions::cancel`]) when a signal arrives. Either way Ctrl-C
//! interrupts a long run promptly. The pure-Python package around this module adds the keyword
//! constructors, the result type of `physrc.run` and the reservoirpy node.
#![deny(missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use ndarray::{ArrayView2, Axis};
use numpy::{AllowTypeChange, IntoPyArray, PyArrayLikeDyn};
use physrc::config::RunConfig;
use physrc::experiment::{self, RunOptions, Series};
use physrc::{ErrorKind, HasErrorKind, RunError};
use pyo3::exceptions::{
    PyException, PyMemoryError, PyOSError, PyRuntimeError, PyTimeoutError, PyTypeError,
    PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString, PyTuple};

mod measures;
mod readout;
mod reservoir;
mod simulate;

pyo3::create_exception!(
    physrc,
    DeviceError,
    PyException,
    "A device answered with a fault or tripped a hardware limit."
);

/// How often `run` looks for signals (Ctrl-C) while the experiment runs on its own thread.
const SIGNAL_POLL: Duration = Duration::from_millis(20);

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
pub(crate) fn to_pyerr<E: HasErrorKind + std::fmt::Display>(e: E) -> PyErr {
    exception(e.kind(), e.to_string())
}

/// Converts the boxed error a substrate returns into the Python exception of its kind.
pub(crate) fn core_err(e: physrc::Error) -> PyErr {
    exception(e.kind(), e.to_string())
}

/// Converts a Python value (dict, list, tuple, str, bool, int, float, path) into a TOML value.
/// `key` names the value in messages.
pub(crate) fn to_toml(obj: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
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
    // A numpy array is its nested list (numpy's scalars are 0-D and go on below).
    if obj.hasattr("__array__")?
        && obj
            .getattr("ndim")
            .and_then(|n| n.extract::<usize>())
            .unwrap_or(0)
            > 0
    {
        return to_toml(&obj.call_method0("tolist")?, key);
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
pub(crate) fn dict_to_table(d: &Bound<'_, PyDict>, key: &str) -> PyResult<toml::Table> {
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
pub(crate) enum ConfigArg {
    Table(toml::Table),
    File(PathBuf),
}

impl ConfigArg {
    pub(crate) fn extract(obj: &Bound<'_, PyAny>) -> PyResult<ConfigArg> {
        if let Ok(d) = obj.cast::<PyDict>() {
            return Ok(ConfigArg::Table(dict_to_table(d, "")?));
        }
        config_path(obj).map(ConfigArg::File)
    }
}

/// The path of a config file given as a `str` or a path-like object; any other type is a
/// `TypeError` (a dict is the caller's to handle first).
pub(crate) fn config_path(obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    if obj.cast::<PyString>().is_ok() || obj.hasattr("__fspath__")? {
        let os = obj.py().import("os")?;
        return os.call_method1("fspath", (obj,))?.extract();
    }
    Err(PyTypeError::new_err(format!(
        "config must be a dict or the path of a TOML file, not a {}",
        obj.get_type().name()?
    )))
}

pub(crate) fn working_dir() -> PyResult<PathBuf> {
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
/// `(report_json, predictions, targets, states)`; `states` is `None` unless asked for by
/// `states=True` or the config's `[output] states = true` (as `physrc run --states`). With `out`, writes the run's files there as `physrc run --out`
/// does (refusing a folder holding another run's outputs unless `force`).
///
/// The experiment runs on a thread of its own, without the GIL, while this thread looks for
/// signals every `SIGNAL_POLL`: on Ctrl-C the run is cancelled before its next block of
/// states and `KeyboardInterrupt` is raised, with nothing written to `out`.
#[pyfunction]
#[pyo3(signature = (config, *, seed=None, out=None, force=false, states=false))]
fn run<'py>(
    py: Python<'py>,
    config: &Bound<'py, PyAny>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    force: bool,
    states: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let mut cfg = run_config(ConfigArg::extract(config)?)?;
    if let Some(s) = seed {
        cfg.set_seed(s).map_err(to_pyerr)?;
    }
    cfg.output.states |= states;
    let cancel = Arc::new(AtomicBool::new(false));
    let opts = RunOptions {
        cancel: Some(Arc::clone(&cancel)),
        ..RunOptions::default()
    };
    let (cfg, out) = (&cfg, out.as_deref());
    let outcome = std::thread::scope(|scope| -> PyResult<experiment::Outcome> {
        let (done_tx, mut done_rx) = mpsc::channel::<()>();
        let worker = scope.spawn(move || {
            let result = (|| {
                if let Some(dir) = out {
                    physrc::outdir::prepare(dir, &physrc::outdir::RUN_OUTPUTS, force)?;
                }
                let outcome = experiment::run_with(cfg, &opts)?;
                if let Some(dir) = out {
                    experiment::write_outcome(&outcome, dir)?;
                }
                Ok::<_, RunError>(outcome)
            })();
            // Dropping the sender wakes the waiting thread whether the run ended or panicked.
            drop(done_tx);
            result
        });
        loop {
            // The receiver goes into the GIL-free closure and comes back out: a shared
            // reference to it cannot cross threads.
            let (waited, rx) = py.detach(move || {
                let waited = done_rx.recv_timeout(SIGNAL_POLL);
                (waited, done_rx)
            });
            done_rx = rx;
            if !matches!(waited, Err(mpsc::RecvTimeoutError::Timeout)) {
                break;
            }
            if let Err(interrupt) = py.check_signals() {
                cancel.store(true, Ordering::Relaxed);
                // The run stops within one block of states; its result (a cancellation) is
                // dropped in favour of the interrupt.
                let _ = py.detach(|| worker.join());
                return Err(interrupt);
            }
        }
        match worker.join() {
            Ok(result) => result.map_err(to_pyerr),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })?;
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

/// A 2-D float64 view of an array-like, without a copy (numpy converts other dtypes first); a
/// 1-D array is one column. Returns whether it was 1-D.
///
/// The view reads numpy's memory in place, also while the GIL is released, as numpy's own
/// functions do: a caller that writes to the array from another thread meanwhile gets
/// whatever numpy would give it.
pub(crate) fn matrix<'a>(
    a: &'a PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    what: &str,
) -> PyResult<(ArrayView2<'a, f64>, bool)> {
    let v = a.as_array();
    let one_d = v.ndim() == 1;
    let v = if one_d { v.insert_axis(Axis(1)) } else { v };
    match v.into_dimensionality::<ndarray::Ix2>() {
        Ok(m) => Ok((m, one_d)),
        Err(_) => Err(PyValueError::new_err(format!(
            "{what} must be 1-D or 2-D, not {}-D",
            a.as_array().ndim()
        ))),
    }
}

/// The extension module: the package `physrc` re-exports everything here.
#[pymodule]
fn _physrc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("DeviceError", m.py().get_type::<DeviceError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<reservoir::PyReservoir>()?;
    readout::register(m)?;
    measures::register(m)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::simulate_nanomagnet, m)?)?;
    Ok(())
}

//! Metrics, capacities and task generators: the readout crate's measures and the task crate's
//! generators, as `physrc run` uses them.

use ndarray::Array1;
use numpy::{AllowTypeChange, IntoPyArray, PyArrayLikeDyn};
use physrc::readout::{self as ro, metrics};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::readout::labels;
use crate::{dict_to_table, matrix, to_pyerr};

/// Registers the functions of this module in the extension module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(nrmse, m)?)?;
    m.add_function(wrap_pyfunction!(nmse, m)?)?;
    m.add_function(wrap_pyfunction!(mse, m)?)?;
    m.add_function(wrap_pyfunction!(accuracy, m)?)?;
    m.add_function(wrap_pyfunction!(memory_capacity, m)?)?;
    m.add_function(wrap_pyfunction!(nonlinearity, m)?)?;
    m.add_function(wrap_pyfunction!(ipc, m)?)?;
    m.add_function(wrap_pyfunction!(generate_task, m)?)?;
    Ok(())
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
    metrics::nrmse(p.view(), t.view()).map_err(to_pyerr)
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

/// Normalised mean squared error (mean squared error over the target's variance, pooled over
/// outputs), as `physrc run` reports it.
#[pyfunction]
fn nmse(
    pred: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    target: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
) -> PyResult<f64> {
    let (p, _) = matrix(&pred, "predictions")?;
    let (t, _) = matrix(&target, "targets")?;
    metrics::nmse(p.view(), t.view()).map_err(to_pyerr)
}

/// Mean squared error over every value, as `physrc run` reports it.
#[pyfunction]
fn mse(
    pred: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    target: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
) -> PyResult<f64> {
    let (p, _) = matrix(&pred, "predictions")?;
    let (t, _) = matrix(&target, "targets")?;
    metrics::mse(p.view(), t.view()).map_err(to_pyerr)
}

/// The fraction of predicted class labels equal to the true ones.
#[pyfunction]
fn accuracy(
    pred: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    truth: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
) -> PyResult<f64> {
    metrics::accuracy(&labels(&pred)?, &labels(&truth)?).map_err(to_pyerr)
}

/// The input sequence of a capacity measure: one value per step (a length-`T` or `T × 1`
/// array).
fn input_series(u: &PyArrayLikeDyn<'_, f64, AllowTypeChange>) -> PyResult<Array1<f64>> {
    let v = u.as_array();
    match v.shape() {
        [_] => Ok(v.iter().copied().collect()),
        [_, 1] => Ok(v.iter().copied().collect()),
        s => Err(PyValueError::new_err(format!(
            "inputs must be one value per step (length T or T × 1), not of shape {s:?}"
        ))),
    }
}

/// Linear memory capacity of `states` (`T × N`) driven by `inputs` (length `T`, i.i.d.
/// uniform in [-1, 1], as `physrc.tasks.generate({"kind": "memory-capacity"}, T)` gives):
/// one ridge readout per delay `k = 0 .. max_delay` reconstructs `u[t - k]`, scored by the
/// squared correlation on the held-out rows; values under `threshold` count as 0.
///
/// Returns a dict: `total` (the sum from delay 0, as `physrc run` reports it),
/// `total_from_1` (the sum from delay 1, as Jaeger 2001 and reservoirpy write it) and
/// `per_delay` (float64, length `max_delay + 1`).
#[pyfunction]
#[pyo3(signature = (
    states, inputs, *, max_delay=100, washout=100, train_fraction=0.7, alpha=1e-8,
    threshold=0.01
))]
#[allow(clippy::too_many_arguments)]
fn memory_capacity<'py>(
    py: Python<'py>,
    states: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    inputs: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    max_delay: usize,
    washout: usize,
    train_fraction: f64,
    alpha: f64,
    threshold: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let (x, _) = matrix(&states, "states")?;
    let u = input_series(&inputs)?;
    let opts = ro::CapacityOptions {
        max_delay,
        washout,
        train_fraction,
        alpha,
        threshold,
    };
    let mc = py
        .detach(|| ro::memory_capacity(x.view(), u.view(), &opts))
        .map_err(to_pyerr)?;
    let d = PyDict::new(py);
    d.set_item("total", mc.total)?;
    d.set_item("total_from_1", mc.sum_from(1))?;
    d.set_item("per_delay", mc.per_delay.into_pyarray(py))?;
    Ok(d)
}

/// Nonlinearity of `states` (`T × N`) driven by `inputs` (length `T`), as Stenning et al.
/// (Nat. Commun. 15, 2024) report it beside the memory capacity: each of the `channels` state
/// variables of largest training variance is fitted by a linear model of the last `delays`
/// inputs, and the nonlinearity is `1 - mean r²` on the held-out rows (0 for states that are
/// linear filters of the input).
///
/// Returns a dict: `value` and `per_channel`, the `(state variable, r²)` pairs scored.
#[pyfunction]
#[pyo3(signature = (
    states, inputs, *, delays=8, channels=60, washout=100, train_fraction=0.7, alpha=1e-8
))]
#[allow(clippy::too_many_arguments)]
fn nonlinearity<'py>(
    py: Python<'py>,
    states: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    inputs: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    delays: usize,
    channels: usize,
    washout: usize,
    train_fraction: f64,
    alpha: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let (x, _) = matrix(&states, "states")?;
    let u = input_series(&inputs)?;
    let opts = ro::NonlinearityOptions {
        delays,
        channels,
        washout,
        train_fraction,
        alpha,
    };
    let nl = py
        .detach(|| ro::nonlinearity(x.view(), u.view(), &opts))
        .map_err(to_pyerr)?;
    let d = PyDict::new(py);
    d.set_item("value", nl.value)?;
    d.set_item("per_channel", nl.per_channel)?;
    Ok(d)
}

/// Information processing capacity (Dambre et al., Sci. Rep. 2 (2012)) of `states` (`T × N`)
/// driven by i.i.d. uniform `inputs` in [-1, 1]: one ridge readout per product of Legendre
/// polynomials of delayed inputs, up to total degree `max_degree` and delay `max_delay`.
///
/// Returns a dict: `total`, `by_degree` (float64, length `max_degree + 1`; degree 1 is the
/// linear memory capacity) and `terms`, the targets above `threshold` as
/// `([(delay, degree), ...], capacity)` pairs.
#[pyfunction]
#[pyo3(signature = (
    states, inputs, *, max_degree=3, max_delay=30, washout=100, train_fraction=0.7,
    alpha=1e-8, threshold=0.01
))]
#[allow(clippy::too_many_arguments)]
fn ipc<'py>(
    py: Python<'py>,
    states: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    inputs: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    max_degree: usize,
    max_delay: usize,
    washout: usize,
    train_fraction: f64,
    alpha: f64,
    threshold: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let (x, _) = matrix(&states, "states")?;
    let u = input_series(&inputs)?;
    let opts = ro::IpcOptions {
        max_degree,
        max_delay,
        washout,
        train_fraction,
        alpha,
        threshold,
    };
    let r = py
        .detach(|| ro::information_processing_capacity(x.view(), u.view(), &opts))
        .map_err(to_pyerr)?;
    let d = PyDict::new(py);
    d.set_item("total", r.total)?;
    d.set_item("by_degree", r.by_degree.into_pyarray(py))?;
    let terms = PyList::empty(py);
    for (factors, c) in r.terms {
        terms.append((factors, c))?;
    }
    d.set_item("terms", terms)?;
    Ok(d)
}

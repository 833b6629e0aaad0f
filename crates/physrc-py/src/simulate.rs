//! `physrc.simulate_nanomagnet`: a bare spin-ice simulation under flatspin's parameter and
//! result names, so a flatspin script can switch with a one-line change.

use std::path::{Path, PathBuf};

use numpy::{AllowTypeChange, IntoPyArray, PyArrayLikeDyn};
use physrc::nanomagnet::{
    FieldSequence, SimulationConfig, simulate_fields_within, simulate_within,
};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::{config_path, dict_to_table, to_pyerr, working_dir};

/// The field sequence given as an array: `T × 2` global fields or `T × N × 2` per magnet.
fn fields(obj: &Bound<'_, PyAny>) -> PyResult<FieldSequence> {
    let a: PyArrayLikeDyn<'_, f64, AllowTypeChange> = obj.extract().map_err(|_| {
        PyValueError::new_err("h_ext must be an array of fields (T × 2 or T × N × 2) or a path")
    })?;
    let v = a.as_array();
    match v.ndim() {
        2 => Ok(FieldSequence::Global(
            v.to_owned()
                .into_dimensionality::<ndarray::Ix2>()
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
        )),
        3 => Ok(FieldSequence::PerMagnet(
            v.to_owned()
                .into_dimensionality::<ndarray::Ix3>()
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
        )),
        n => Err(PyValueError::new_err(format!(
            "h_ext must be T × 2 (one field per step) or T × N × 2 (one per magnet), not {n}-D"
        ))),
    }
}

/// Runs a bare spin-ice simulation: for each field of `h_ext`, set it and relax.
///
/// `config` is the parameter set of `physrc simulate nanomagnet` under flatspin's names
/// (`geometry`, `size`, `alpha`, `hc`, `disorder`, `sw_b`, ..., `random_seed`): a dict, whose
/// `h_ext` may be the field array itself, or the path of a TOML file. Returns a dict of
/// arrays named as flatspin names them: `spin` (`T × N` int8, after each relax), `steps`
/// (int64, the relax's steps), `pos` (`N × 2`), `angle` (`N`, radians) and `threshold` (`N`,
/// tesla).
#[pyfunction]
pub(crate) fn simulate_nanomagnet<'py>(
    py: Python<'py>,
    config: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let (cfg, base, given): (SimulationConfig, PathBuf, Option<FieldSequence>) =
        if let Ok(d) = config.cast::<PyDict>() {
            let d = d.copy()?;
            // An array under `h_ext` is the sequence itself; a path is read as a file's.
            let given = match d.get_item("h_ext")? {
                Some(h) if !(h.cast::<PyString>().is_ok() || h.hasattr("__fspath__")?) => {
                    d.set_item("h_ext", "<array>")?;
                    Some(fields(&h)?)
                }
                _ => None,
            };
            let table = dict_to_table(&d, "")?;
            let cfg = toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    PyValueError::new_err(format!("simulation config: {}", e.message()))
                })?;
            (cfg, working_dir()?, given)
        } else {
            let p = config_path(config)?;
            let text = std::fs::read_to_string(&p)
                .map_err(|e| PyOSError::new_err(format!("{}: {e}", p.display())))?;
            let cfg = toml::from_str(&text).map_err(|e| {
                PyValueError::new_err(format!(
                    "{}: {}",
                    p.display(),
                    physrc::config::toml_error(&text, &e)
                ))
            })?;
            let base = p.parent().map(Path::to_path_buf).unwrap_or_default();
            (cfg, base, None)
        };
    let budget = physrc::substrate::available_memory();
    let out = py
        .detach(|| match given {
            Some(f) => simulate_fields_within(&cfg, &base, budget, f),
            None => simulate_within(&cfg, &base, budget),
        })
        .map_err(to_pyerr)?;
    let d = PyDict::new(py);
    d.set_item("spin", out.spins.into_pyarray(py))?;
    d.set_item("steps", out.flips.into_pyarray(py))?;
    d.set_item("pos", out.positions.into_pyarray(py))?;
    d.set_item("angle", out.angles.into_pyarray(py))?;
    d.set_item("threshold", out.thresholds.into_pyarray(py))?;
    Ok(d)
}

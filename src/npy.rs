//! Reading and writing `.npy` files with the checks a user needs: a missing file, a file that
//! is not `.npy`, the wrong element type or the wrong number of dimensions are each an error
//! naming the file and what was found.

use std::path::Path;

use ndarray::{Array1, Array2, ArrayD, Ix1, Ix2};
use ndarray_npy::{ReadNpyError, ReadNpyExt, WritableElement, WriteNpyExt};

use crate::error::RunError;

fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>, RunError> {
    let f = std::fs::File::open(path).map_err(|source| RunError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(std::io::BufReader::new(f))
}

fn npy_err(path: &Path, e: ReadNpyError) -> RunError {
    RunError::Npy {
        path: path.to_path_buf(),
        message: format!("not a readable .npy array: {e}"),
    }
}

/// Reads a floating-point array of any dimension, accepting f64, f32 and integer files.
fn read_float_dyn(path: &Path) -> Result<ArrayD<f64>, RunError> {
    match ArrayD::<f64>::read_npy(open(path)?) {
        Ok(a) => return Ok(a),
        Err(ReadNpyError::WrongDescriptor(_)) => {}
        Err(e) => return Err(npy_err(path, e)),
    }
    if let Ok(a) = ArrayD::<f32>::read_npy(open(path)?) {
        return Ok(a.mapv(f64::from));
    }
    if let Ok(a) = ArrayD::<i64>::read_npy(open(path)?) {
        return Ok(a.mapv(|v| v as f64));
    }
    if let Ok(a) = ArrayD::<i32>::read_npy(open(path)?) {
        return Ok(a.mapv(f64::from));
    }
    Err(RunError::Npy {
        path: path.to_path_buf(),
        message: "element type must be float64, float32, int64 or int32".to_owned(),
    })
}

/// Reads a `T × k` matrix; a 1-D array of length `T` is read as `T × 1`.
///
/// # Errors
///
/// [`RunError::Io`] for a missing file, [`RunError::Npy`] for a bad file or a shape with more
/// than two dimensions.
pub fn read_matrix(path: &Path, what: &str) -> Result<Array2<f64>, RunError> {
    let a = read_float_dyn(path)?;
    let shape = a.shape().to_vec();
    match shape.len() {
        1 => Ok(a
            .into_dimensionality::<Ix1>()
            .expect("checked: one dimension")
            .insert_axis(ndarray::Axis(1))),
        2 => Ok(a
            .into_dimensionality::<Ix2>()
            .expect("checked: two dimensions")),
        _ => Err(RunError::Npy {
            path: path.to_path_buf(),
            message: format!("{what} must be a 1-D or 2-D array, found shape {shape:?}"),
        }),
    }
}

/// Reads integer class labels (any integer type, or floats with integral non-negative values),
/// as a vector of length `T`; a `T × 1` array is accepted.
///
/// # Errors
///
/// As [`read_matrix`], and [`RunError::Npy`] when a value is not a non-negative integer.
pub fn read_labels(path: &Path) -> Result<Array1<usize>, RunError> {
    let m = read_matrix(path, "targets")?;
    if m.ncols() != 1 {
        return Err(RunError::Npy {
            path: path.to_path_buf(),
            message: format!(
                "class labels must be a vector of length T, found shape [{}, {}]",
                m.nrows(),
                m.ncols()
            ),
        });
    }
    let mut out = Array1::zeros(m.nrows());
    for (t, &v) in m.column(0).iter().enumerate() {
        if !(v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e9) {
            return Err(RunError::Npy {
                path: path.to_path_buf(),
                message: format!("class label at row {t} is {v}, not a non-negative integer"),
            });
        }
        out[t] = v as usize;
    }
    Ok(out)
}

/// Writes an array, creating or truncating the file.
///
/// # Errors
///
/// [`RunError::Io`] when the file cannot be written.
pub fn write<A, S, D>(path: &Path, a: &ndarray::ArrayBase<S, D>) -> Result<(), RunError>
where
    A: WritableElement,
    S: ndarray::Data<Elem = A>,
    D: ndarray::Dimension,
{
    let f = std::fs::File::create(path).map_err(|source| RunError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    a.write_npy(std::io::BufWriter::new(f))
        .map_err(|e| RunError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })
}

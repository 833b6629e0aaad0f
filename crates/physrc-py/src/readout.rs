//! The readouts: `Ridge`, `RidgeCV`, `Classifier` and `RLS`, each the readout crate's type
//! behind the same name in a run config's `[readout]` table.
//!
//! Unfitted and fitted readouts are separate classes (`Ridge(alpha).fit(X, Y)` returns a
//! `FittedRidge`), as in the Rust crate: a fitted readout cannot be refitted by accident, and
//! an unfitted one cannot predict. `RLS` is the exception, being online: it is one object that
//! learns row by row.

use ndarray::{Array2, ArrayView2};
use numpy::{AllowTypeChange, IntoPyArray, PyArray1, PyArray2, PyArrayLikeDyn};
use physrc::readout as ro;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::{matrix, to_pyerr};

/// Registers the readout classes in the extension module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Ridge>()?;
    m.add_class::<FittedRidge>()?;
    m.add_class::<RidgeCV>()?;
    m.add_class::<FittedRidgeCV>()?;
    m.add_class::<Classifier>()?;
    m.add_class::<FittedClassifier>()?;
    m.add_class::<Rls>()?;
    Ok(())
}

/// Predictions as numpy: the first column alone when the targets were 1-D.
fn predictions<'py>(py: Python<'py>, p: Array2<f64>, one_d: bool) -> Bound<'py, PyAny> {
    if one_d {
        p.column(0).to_owned().into_pyarray(py).into_any()
    } else {
        p.into_pyarray(py).into_any()
    }
}

/// The predictions of `predict` for the array-like `x`, computed without the GIL: 1-D when the
/// readout was fitted on 1-D targets.
fn predict_with<'py>(
    py: Python<'py>,
    x: &PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    one_d: bool,
    predict: impl Fn(ArrayView2<'_, f64>) -> Result<Array2<f64>, ro::ReadoutError> + Send,
) -> PyResult<Bound<'py, PyAny>> {
    let (x, _) = matrix(x, "X")?;
    let p = py.detach(move || predict(x)).map_err(to_pyerr)?;
    Ok(predictions(py, p, one_d))
}

/// Class labels from an array-like of non-negative integers (any integer or float dtype whose
/// values are whole numbers), checked one by one so that `1.5` is refused rather than
/// truncated.
pub(crate) fn labels(a: &PyArrayLikeDyn<'_, f64, AllowTypeChange>) -> PyResult<Vec<usize>> {
    let v = a.as_array();
    if v.ndim() != 1 {
        return Err(PyValueError::new_err(format!(
            "labels must be 1-D (one class index per row or sequence), not {}-D",
            v.ndim()
        )));
    }
    v.iter()
        .enumerate()
        .map(|(i, &x)| {
            if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 2f64.powi(53) {
                Ok(x as usize)
            } else {
                Err(PyValueError::new_err(format!(
                    "labels[{i}] is {x}; labels are class indices 0, 1, 2, ..."
                )))
            }
        })
        .collect()
}

/// Ridge regression, unfitted: `Ridge(alpha).fit(X, Y)` returns a `FittedRidge`.
#[pyclass(module = "physrc", frozen)]
struct Ridge {
    inner: ro::Ridge,
}

#[pymethods]
impl Ridge {
    /// `alpha` is the penalty on the weights; the intercept is fitted unpenalised unless
    /// `intercept=False`.
    #[new]
    #[pyo3(signature = (alpha=1e-6, *, intercept=true))]
    fn new(alpha: f64, intercept: bool) -> PyResult<Ridge> {
        let inner = ro::Ridge::new(alpha)
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
    fn fit(
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
    inner: ro::FittedRidge,
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
        predict_with(py, &x, self.y_1d, |x| self.inner.predict(x))
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

/// Ridge regression with the penalty chosen by cross-validation, as `[readout] kind =
/// "ridge-cv"`: `RidgeCV(alphas=None, cv="gcv", folds=5).fit(X, Y)` returns a
/// `FittedRidgeCV`.
#[pyclass(name = "RidgeCV", module = "physrc", frozen)]
struct RidgeCV {
    inner: ro::RidgeCv,
}

/// The `cv` names of a run config's `ridge-cv` readout.
fn cv_method(cv: &str, folds: usize) -> PyResult<ro::CvMethod> {
    match cv {
        "gcv" => Ok(ro::CvMethod::Gcv),
        "loo" => Ok(ro::CvMethod::Loo),
        "kfold" => Ok(ro::CvMethod::KFold { folds }),
        other => Err(PyValueError::new_err(format!(
            "cv must be \"gcv\", \"loo\" or \"kfold\", not {other:?}"
        ))),
    }
}

fn cv_name(m: ro::CvMethod) -> &'static str {
    match m {
        ro::CvMethod::Gcv => "gcv",
        ro::CvMethod::Loo => "loo",
        ro::CvMethod::KFold { .. } => "kfold",
    }
}

#[pymethods]
impl RidgeCV {
    /// `alphas` is the penalty grid (default: 25 penalties log-spaced from 1e-10 to 1e2, as
    /// `physrc run` uses); `cv` scores each penalty by generalised cross-validation
    /// (`"gcv"`, closed form), exact leave-one-out (`"loo"`) or contiguous k-fold
    /// (`"kfold"`, with `folds` blocks, for time series whose neighbouring rows are
    /// correlated).
    #[new]
    #[pyo3(signature = (alphas=None, *, cv="gcv", folds=5, intercept=true))]
    fn new(alphas: Option<Vec<f64>>, cv: &str, folds: usize, intercept: bool) -> PyResult<Self> {
        let alphas = match alphas {
            Some(a) => a,
            None => ro::log_grid(1e-10, 1e2, 25).map_err(to_pyerr)?,
        };
        let inner = ro::RidgeCv::new(alphas, cv_method(cv, folds)?)
            .map_err(to_pyerr)?
            .with_intercept(intercept);
        Ok(RidgeCV { inner })
    }

    /// The penalty grid.
    #[getter]
    fn alphas(&self) -> Vec<f64> {
        self.inner.alphas().to_vec()
    }

    /// Scores every penalty on `X` (`T × n`) and `Y` (`T × k`, or length `T`), picks the
    /// lowest score and refits on all rows with it.
    fn fit(
        &self,
        py: Python<'_>,
        x: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
        y: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    ) -> PyResult<FittedRidgeCV> {
        let (x, _) = matrix(&x, "X")?;
        let (y, y_1d) = matrix(&y, "Y")?;
        let fitted = py
            .detach(|| self.inner.fit(x.view(), y.view()))
            .map_err(to_pyerr)?;
        Ok(FittedRidgeCV {
            inner: fitted,
            y_1d,
        })
    }

    fn __repr__(&self) -> String {
        let a = self.inner.alphas();
        format!(
            "RidgeCV({} penalties from {:e} to {:e}, cv={:?})",
            a.len(),
            a.iter().copied().fold(f64::INFINITY, f64::min),
            a.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            cv_name(self.inner.method())
        )
    }
}

/// A fitted `RidgeCV`: the chosen penalty, every penalty's score, and the ridge refitted on all
/// rows with the chosen one.
#[pyclass(name = "FittedRidgeCV", module = "physrc", frozen)]
struct FittedRidgeCV {
    inner: ro::FittedRidgeCv,
    y_1d: bool,
}

#[pymethods]
impl FittedRidgeCV {
    /// The chosen penalty.
    #[getter]
    fn alpha(&self) -> f64 {
        self.inner.alpha()
    }

    /// The penalty grid, as given.
    #[getter]
    fn alphas(&self) -> Vec<f64> {
        self.inner.alphas().to_vec()
    }

    /// Each penalty's cross-validated mean squared error (lower is better), in grid order.
    #[getter]
    fn scores(&self) -> Vec<f64> {
        self.inner.scores().to_vec()
    }

    /// Predictions for `X`, as `FittedRidge.predict`.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        predict_with(py, &x, self.y_1d, |x| self.inner.ridge().predict(x))
    }

    /// The weights, `n × k`.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.ridge().weights().to_owned().into_pyarray(py)
    }

    /// The intercept, length `k`.
    #[getter]
    fn intercept<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.ridge().intercept().to_owned().into_pyarray(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "FittedRidgeCV(alpha={:e}, cv={:?})",
            self.inner.alpha(),
            cv_name(self.inner.method())
        )
    }
}

fn pooling(name: &str) -> PyResult<ro::Pooling> {
    match name {
        "mean" => Ok(ro::Pooling::Mean),
        "last" => Ok(ro::Pooling::Last),
        other => Err(PyValueError::new_err(format!(
            "pooling must be \"mean\" or \"last\", not {other:?}"
        ))),
    }
}

/// Sequences (a list of `T_i × n` arrays) as owned matrices.
fn sequences(seqs: &Bound<'_, PyAny>) -> PyResult<Vec<Array2<f64>>> {
    if seqs.cast::<PyList>().is_err() && seqs.cast::<PyTuple>().is_err() {
        return Err(PyTypeError::new_err(
            "sequences must be a list of 2-D arrays (time × features), one per sequence",
        ));
    }
    let mut out = Vec::new();
    for (i, item) in seqs.try_iter()?.enumerate() {
        let item = item?;
        let a: PyArrayLikeDyn<'_, f64, AllowTypeChange> = item.extract().map_err(|_| {
            PyTypeError::new_err(format!("sequences[{i}] is not an array of numbers"))
        })?;
        out.push(matrix(&a, &format!("sequences[{i}]"))?.0.to_owned());
    }
    Ok(out)
}

/// A one-hot ridge classifier (argmax of one ridge output per class), as `[readout] kind =
/// "classifier"`: `Classifier(alpha).fit(X, labels)` returns a `FittedClassifier`.
#[pyclass(module = "physrc", frozen)]
struct Classifier {
    alpha: f64,
    n_classes: Option<usize>,
    pooling: ro::Pooling,
}

impl Classifier {
    /// The classifier for `labels`: `n_classes` as given, or one more than the largest label.
    fn for_labels(&self, labels: &[usize]) -> PyResult<ro::RidgeClassifier> {
        let n = match self.n_classes {
            Some(n) => n,
            None => labels.iter().max().map_or(0, |&m| m + 1).max(2),
        };
        ro::RidgeClassifier::new(self.alpha, n).map_err(to_pyerr)
    }
}

#[pymethods]
impl Classifier {
    /// `alpha` is the ridge penalty; `n_classes` defaults to one more than the largest label
    /// seen by `fit`; `pooling` (`"mean"` or `"last"`) turns a sequence's states into one row
    /// for `fit_sequences` and `predict_sequences`.
    #[new]
    #[pyo3(signature = (alpha=1e-6, n_classes=None, *, pooling="mean"))]
    fn new(alpha: f64, n_classes: Option<usize>, pooling: &str) -> PyResult<Self> {
        let pooling = self::pooling(pooling)?;
        // Checked now, so a bad penalty or class count fails at construction.
        ro::RidgeClassifier::new(alpha, n_classes.unwrap_or(2)).map_err(to_pyerr)?;
        Ok(Classifier {
            alpha,
            n_classes,
            pooling,
        })
    }

    /// Fits one label per row of `X` (per-step classification); `labels` holds class indices
    /// `0 .. n_classes`.
    fn fit(
        &self,
        py: Python<'_>,
        x: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
        labels: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    ) -> PyResult<FittedClassifier> {
        let (x, _) = matrix(&x, "X")?;
        let labels = self::labels(&labels)?;
        let c = self.for_labels(&labels)?;
        let inner = py.detach(|| c.fit(x.view(), &labels)).map_err(to_pyerr)?;
        Ok(FittedClassifier {
            inner,
            pooling: self.pooling,
        })
    }

    /// Fits one label per sequence: `sequences` is a list of `T_i × n` arrays, each pooled
    /// to one row first.
    fn fit_sequences(
        &self,
        py: Python<'_>,
        sequences: &Bound<'_, PyAny>,
        labels: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    ) -> PyResult<FittedClassifier> {
        let seqs = self::sequences(sequences)?;
        let labels = self::labels(&labels)?;
        let c = self.for_labels(&labels)?;
        let pooling = self.pooling;
        let inner = py
            .detach(|| {
                let views: Vec<ArrayView2<'_, f64>> = seqs.iter().map(|s| s.view()).collect();
                c.fit_sequences(&views, &labels, pooling)
            })
            .map_err(to_pyerr)?;
        Ok(FittedClassifier { inner, pooling })
    }

    fn __repr__(&self) -> String {
        match self.n_classes {
            Some(n) => format!("Classifier(alpha={:?}, n_classes={n})", self.alpha),
            None => format!("Classifier(alpha={:?})", self.alpha),
        }
    }
}

/// A fitted classifier.
#[pyclass(module = "physrc", frozen)]
struct FittedClassifier {
    inner: ro::FittedRidgeClassifier,
    pooling: ro::Pooling,
}

#[pymethods]
impl FittedClassifier {
    /// The class of every row of `X`, int64 (the lowest index on a tie).
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let (x, _) = matrix(&x, "X")?;
        let p = py
            .detach(|| self.inner.predict(x.view()))
            .map_err(to_pyerr)?;
        Ok(p.mapv(|c| c as i64).into_pyarray(py))
    }

    /// The score of every class for every row of `X`, `T × n_classes`: the ridge outputs the
    /// argmax of `predict` is taken over.
    fn decision<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (x, _) = matrix(&x, "X")?;
        let p = py
            .detach(|| self.inner.decision(x.view()))
            .map_err(to_pyerr)?;
        Ok(p.into_pyarray(py))
    }

    /// The class of every sequence (a list of `T_i × n` arrays), pooled as in fitting.
    fn predict_sequences<'py>(
        &self,
        py: Python<'py>,
        sequences: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let seqs = self::sequences(sequences)?;
        let pooling = self.pooling;
        let p = py
            .detach(|| {
                let views: Vec<ArrayView2<'_, f64>> = seqs.iter().map(|s| s.view()).collect();
                self.inner.predict_sequences(&views, pooling)
            })
            .map_err(to_pyerr)?;
        Ok(p.into_iter()
            .map(|c| c as i64)
            .collect::<Vec<_>>()
            .into_pyarray(py))
    }

    /// The number of classes.
    #[getter]
    fn n_classes(&self) -> usize {
        self.inner.n_classes()
    }

    /// The weights, `n × n_classes`.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.ridge().weights().to_owned().into_pyarray(py)
    }

    /// The intercept, length `n_classes`.
    #[getter]
    fn intercept<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.ridge().intercept().to_owned().into_pyarray(py)
    }
}

/// Online recursive least squares, as `[readout] kind = "rls"`: one object that learns row by
/// row (`update`) or over a whole sequence in order (`fit`), and predicts at any time.
#[pyclass(name = "RLS", module = "physrc")]
struct Rls {
    inner: ro::Rls,
    /// The last targets given were 1-D, so predictions are too.
    y_1d: bool,
}

impl Rls {
    fn check_width(&self, what: &str, got: usize, want: usize) -> PyResult<()> {
        if got == want {
            Ok(())
        } else {
            Err(PyValueError::new_err(format!(
                "{what} has {got} columns; this RLS readout was built for {want}"
            )))
        }
    }
}

#[pymethods]
impl Rls {
    /// A readout from `n_features` inputs to `n_outputs` outputs with forgetting factor
    /// `forgetting` in (0, 1] (1: plain least squares) and initial inverse correlation
    /// `P(0) = I / delta` (`delta` acts as the ridge penalty of the equivalent batch fit).
    #[new]
    #[pyo3(signature = (n_features, n_outputs=1, *, forgetting=1.0, delta=1e-2, intercept=true))]
    fn new(
        n_features: usize,
        n_outputs: usize,
        forgetting: f64,
        delta: f64,
        intercept: bool,
    ) -> PyResult<Self> {
        let inner = ro::Rls::new(n_features, n_outputs, forgetting, delta)
            .map_err(to_pyerr)?
            .with_intercept(intercept);
        Ok(Rls {
            inner,
            y_1d: n_outputs == 1,
        })
    }

    /// Learns one row: `x` (length `n_features`) and its target `y` (length `n_outputs`, or a
    /// float when there is one output).
    fn update(
        &mut self,
        x: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
        y: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    ) -> PyResult<()> {
        let (x, y) = (x.as_array(), y.as_array());
        if x.ndim() > 1 || y.ndim() > 1 {
            return Err(PyValueError::new_err(
                "update takes one row (1-D x and y); use fit for a sequence of rows",
            ));
        }
        let x: Vec<f64> = x.iter().copied().collect();
        let y: Vec<f64> = y.iter().copied().collect();
        self.inner.update(&x, &y).map_err(to_pyerr)
    }

    /// Learns the rows of `X` (`T × n_features`) against `Y` (`T × n_outputs`, or length
    /// `T`), in order; returns the readout itself.
    fn fit<'py>(
        mut slf: PyRefMut<'py, Self>,
        x: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
        y: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let (x, _) = matrix(&x, "X")?;
        let (y, y_1d) = matrix(&y, "Y")?;
        slf.check_width("X", x.ncols(), slf.inner.n_features())?;
        slf.check_width("Y", y.ncols(), slf.inner.n_outputs())?;
        if x.nrows() != y.nrows() {
            return Err(PyValueError::new_err(format!(
                "X has {} rows and Y {}; they must have one target row per input row",
                x.nrows(),
                y.nrows()
            )));
        }
        let py = slf.py();
        let inner = &mut slf.inner;
        // Rows are learnt as contiguous slices: a view of another layout is copied once.
        let (x, y) = (x.as_standard_layout(), y.as_standard_layout());
        py.detach(|| -> Result<(), ro::ReadoutError> {
            for (xr, yr) in x.rows().into_iter().zip(y.rows()) {
                let xr = xr.to_slice().expect("standard layout");
                let yr = yr.to_slice().expect("standard layout");
                inner.update(xr, yr)?;
            }
            Ok(())
        })
        .map_err(to_pyerr)?;
        slf.y_1d = y_1d;
        Ok(slf)
    }

    /// Predictions for `X` (`T × n_features`) with the current weights.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        predict_with(py, &x, self.y_1d, |x| self.inner.predict(x))
    }

    /// Forgets everything learnt: the weights return to zero and `P` to `I / delta`.
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// Rows learnt since construction or the last `reset()`.
    #[getter]
    fn n_updates(&self) -> usize {
        self.inner.n_updates()
    }

    /// The weights, `n_features × n_outputs`.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.weights().to_owned().into_pyarray(py)
    }

    /// The intercept, length `n_outputs` (zeros without one).
    #[getter]
    fn intercept<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.intercept().into_pyarray(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "RLS(n_features={}, n_outputs={}, n_updates={})",
            self.inner.n_features(),
            self.inner.n_outputs(),
            self.inner.n_updates()
        )
    }
}

//! Feature maps often applied to physical reservoir states before the readout.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};

use crate::error::ReadoutError;
use crate::linalg::check_finite;

/// Standardisation (unfitted): subtract each feature's mean and divide by its standard
/// deviation, both learned on the training data.
///
/// Physical reservoirs report states in device units (magnetisation, volts, amperes) whose
/// scales differ by orders of magnitude between features, so one ridge penalty would otherwise
/// shrink small-scale features far more than large-scale ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standardize;

/// A fitted standardisation: per-feature mean and scale.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedStandardize {
    mean: Array1<f64>,
    scale: Array1<f64>,
}

impl Standardize {
    /// A standardisation to be fitted.
    pub fn new() -> Standardize {
        Standardize
    }

    /// Learns the mean and the population standard deviation (`ddof = 0`, as scikit-learn's
    /// `StandardScaler`) of every column of `x` (samples × features), by two passes so large
    /// offsets do not cancel digits.
    ///
    /// A constant column (standard deviation at rounding level of its mean, or zero) gets scale
    /// 1: it is only centred, never divided by zero.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::NoSamples`] for zero rows, [`ReadoutError::NonFinite`] for NaN or
    /// infinite values.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedStandardize, ReadoutError> {
        if x.nrows() == 0 {
            return Err(ReadoutError::NoSamples {
                what: "standardisation",
            });
        }
        check_finite("x", x)?;
        let n = x.nrows() as f64;
        let mean = x.sum_axis(Axis(0)) / n;
        let mut var = Array1::<f64>::zeros(x.ncols());
        for row in x.rows() {
            for ((v, xi), m) in var.iter_mut().zip(row.iter()).zip(mean.iter()) {
                let d = xi - m;
                *v += d * d;
            }
        }
        let scale = var
            .iter()
            .zip(mean.iter())
            .map(|(v, m)| {
                let sd = (v / n).sqrt();
                if sd == 0.0 || sd <= 10.0 * f64::EPSILON * m.abs() || !sd.is_finite() {
                    1.0
                } else {
                    sd
                }
            })
            .collect();
        Ok(FittedStandardize { mean, scale })
    }
}

impl FittedStandardize {
    /// A fitted standardisation from saved means and scales, as [`FittedStandardize::mean`]
    /// and [`FittedStandardize::scale`] return them: for applying a trained readout again.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] if the lengths differ, [`ReadoutError::NonFinite`] for
    /// NaN or infinite values, [`ReadoutError::InvalidParameter`] for a scale that is not
    /// positive.
    pub fn from_parts(
        mean: Array1<f64>,
        scale: Array1<f64>,
    ) -> Result<FittedStandardize, ReadoutError> {
        if mean.len() != scale.len() {
            return Err(ReadoutError::shape(
                "mean",
                mean.shape(),
                "scale",
                scale.shape(),
                "one scale per mean",
            ));
        }
        crate::linalg::check_finite_slice("mean", mean.as_slice().unwrap_or(&[]))?;
        crate::linalg::check_finite_slice("scale", scale.as_slice().unwrap_or(&[]))?;
        if let Some((i, v)) = scale.iter().enumerate().find(|(_, v)| **v <= 0.0) {
            return Err(ReadoutError::param(
                "scale",
                format!("must be positive, got {v} at position {i}"),
            ));
        }
        Ok(FittedStandardize { mean, scale })
    }

    /// The learned means.
    pub fn mean(&self) -> ArrayView1<'_, f64> {
        self.mean.view()
    }

    /// The learned scales (1 for constant columns).
    pub fn scale(&self) -> ArrayView1<'_, f64> {
        self.scale.view()
    }

    /// `(x − mean) / scale`, column by column.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] if `x` does not have one column per learned feature,
    /// [`ReadoutError::NonFinite`] for NaN or infinite values.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>, ReadoutError> {
        if x.ncols() != self.mean.len() {
            return Err(ReadoutError::shape(
                "x",
                x.shape(),
                "the fitted mean",
                self.mean.shape(),
                "x must have one column per fitted feature",
            ));
        }
        check_finite("x", x)?;
        Ok((&x - &self.mean) / &self.scale)
    }
}

/// A fixed nonlinear expansion of the states before a linear readout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FeatureMap {
    /// The states as they are.
    #[default]
    State,
    /// The states followed by their element-wise squares, `[x, x²]`: a cheap way to give a
    /// linear readout even-order terms that a symmetric substrate (e.g. an oscillator
    /// amplitude around zero) cannot produce on its own.
    StateSquared,
}

impl FeatureMap {
    /// The mapped features of every row of `x` (samples × `n`), samples × `n_features(n)`.
    pub fn apply(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        match self {
            FeatureMap::State => x.to_owned(),
            FeatureMap::StateSquared => {
                let n = x.ncols();
                let mut out = Array2::zeros((x.nrows(), 2 * n));
                out.slice_mut(s![.., ..n]).assign(&x);
                out.slice_mut(s![.., n..]).assign(&x.mapv(|v| v * v));
                out
            }
        }
    }

    /// How many features the map produces from `n` states.
    pub fn n_features(&self, n: usize) -> usize {
        match self {
            FeatureMap::State => n,
            FeatureMap::StateSquared => 2 * n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn standardises_with_population_std_and_keeps_constant_columns_centred() {
        // Column 0: mean 2, population std 1 (values 1, 3). Column 1: constant 1e6 (its
        // rounding-level variance must not be divided by). Column 2: all zeros.
        let x = array![[1.0, 1e6, 0.0], [3.0, 1e6, 0.0]];
        let s = Standardize::new().fit(x.view()).unwrap();
        assert_eq!(s.mean().to_vec(), vec![2.0, 1e6, 0.0]);
        assert_eq!(s.scale().to_vec(), vec![1.0, 1.0, 1.0]);
        let t = s
            .transform(array![[1.0, 1e6 + 2.0, 1.0], [5.0, 1e6, 0.0]].view())
            .unwrap();
        assert_eq!(t, array![[-1.0, 2.0, 1.0], [3.0, 0.0, 0.0]]);
        let y = array![[0.0], [4.0], [8.0], [4.0]];
        let s = Standardize::new().fit(y.view()).unwrap();
        // Mean 4, population variance (16 + 0 + 16 + 0)/4 = 8.
        assert!((s.scale()[0] - 8.0_f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn standardise_rejects_bad_input() {
        let s = Standardize::new();
        assert!(matches!(
            s.fit(Array2::zeros((0, 3)).view()),
            Err(ReadoutError::NoSamples { .. })
        ));
        assert!(matches!(
            s.fit(array![[1.0, f64::INFINITY]].view()),
            Err(ReadoutError::NonFinite { row: 0, col: 1, .. })
        ));
        let f = s.fit(array![[1.0, 2.0]].view()).unwrap();
        assert!(matches!(
            f.transform(array![[1.0, 2.0, 3.0]].view()),
            Err(ReadoutError::ShapeMismatch { .. })
        ));
        assert!(f.transform(array![[f64::NAN, 2.0]].view()).is_err());
    }

    #[test]
    fn feature_maps() {
        let x = array![[1.0, -2.0], [0.5, 3.0]];
        assert_eq!(FeatureMap::State.apply(x.view()), x);
        assert_eq!(
            FeatureMap::StateSquared.apply(x.view()),
            array![[1.0, -2.0, 1.0, 4.0], [0.5, 3.0, 0.25, 9.0]]
        );
        assert_eq!(FeatureMap::StateSquared.n_features(7), 14);
        assert_eq!(FeatureMap::State.n_features(7), 7);
    }
}

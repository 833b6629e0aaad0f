//! Scores of a readout's predictions: MSE, NMSE, NRMSE, accuracy and symbol error rate.
//!
//! Every function checks its input first (equal shapes, at least one sample, finite values,
//! and for the normalised errors a target that varies) and returns a typed
//! [`ReadoutError`] rather than a NaN, so a bad split or a dead channel is reported where it
//! happens instead of surfacing as `NaN` in a report.
//!
//! Arrays are samples × outputs, as everywhere in this crate. With several outputs the
//! squared errors and the target variances are *pooled* over the outputs (see [`nmse`]).

use ndarray::ArrayView2;

use crate::error::ReadoutError;
use crate::linalg::{check_finite, check_finite_slice};

/// The transmitted symbols of the nonlinear channel-equalisation task (Jaeger & Haas,
/// Science 304, 78 (2004)): `d(n) ∈ {−3, −1, 1, 3}`.
pub const CHANNEL_SYMBOLS: [f64; 4] = [-3.0, -1.0, 1.0, 3.0];

/// Checks that `pred` and `target` have the same shape, at least one row and column, and
/// finite values.
fn check_pair(pred: ArrayView2<'_, f64>, target: ArrayView2<'_, f64>) -> Result<(), ReadoutError> {
    if pred.dim() != target.dim() {
        return Err(ReadoutError::shape(
            "pred",
            pred.shape(),
            "target",
            target.shape(),
            "prediction and target must have the same shape",
        ));
    }
    if pred.is_empty() {
        return Err(ReadoutError::TooFewSamples {
            what: "an error metric",
            needed: 1,
            got: 0,
        });
    }
    check_finite("pred", pred)?;
    check_finite("target", target)
}

/// Checks that two per-sample sequences pair up: equal lengths (`rule` says why) and at
/// least one sample for the metric `what`.
fn check_lengths(
    pred: usize,
    truth: usize,
    what: &'static str,
    rule: &'static str,
) -> Result<(), ReadoutError> {
    if pred != truth {
        return Err(ReadoutError::shape(
            "pred",
            &[pred],
            "truth",
            &[truth],
            rule,
        ));
    }
    if pred == 0 {
        return Err(ReadoutError::TooFewSamples {
            what,
            needed: 1,
            got: 0,
        });
    }
    Ok(())
}

/// Mean of the squared differences over all elements, inputs already checked.
fn mse_unchecked(pred: ArrayView2<'_, f64>, target: ArrayView2<'_, f64>) -> f64 {
    let sum: f64 = pred
        .iter()
        .zip(target.iter())
        .map(|(p, t)| (p - t) * (p - t))
        .sum();
    sum / pred.len() as f64
}

/// Mean over the outputs of each output's population variance (divisor `T`), inputs already
/// checked. Zero only if every output is constant.
fn pooled_variance(target: ArrayView2<'_, f64>) -> f64 {
    let t = target.nrows() as f64;
    let mut total = 0.0;
    for col in target.columns() {
        let mean = col.sum() / t;
        total += col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / t;
    }
    total / target.ncols() as f64
}

/// Mean squared error `(1/(T·q)) Σ_{t,j} (ŷ_tj − y_tj)²` over all `T` samples and `q`
/// outputs (reservoirpy's `mse`).
///
/// # Errors
///
/// [`ReadoutError::ShapeMismatch`] if the shapes differ, [`ReadoutError::TooFewSamples`] if
/// the arrays are empty, [`ReadoutError::NonFinite`] for NaN or infinities.
pub fn mse(pred: ArrayView2<'_, f64>, target: ArrayView2<'_, f64>) -> Result<f64, ReadoutError> {
    check_pair(pred, target)?;
    Ok(mse_unchecked(pred, target))
}

/// Normalised mean squared error: the MSE divided by the target's variance.
///
/// `NMSE = Σ_{t,j} (ŷ_tj − y_tj)² / Σ_{t,j} (y_tj − ȳ_j)²`, where `ȳ_j` is the mean of output
/// `j`: each output is centred on its own mean and the variances (population, divisor `T`)
/// are pooled by averaging over the outputs, so NMSE = MSE / mean_j var(y_j). With one
/// output this is the usual `MSE / var(y)`; predicting the target's mean scores 1, a perfect
/// prediction 0.
///
/// # Errors
///
/// As [`mse`], and [`ReadoutError::ZeroVariance`] if every output of the target is constant
/// (the normalised error is then undefined).
pub fn nmse(pred: ArrayView2<'_, f64>, target: ArrayView2<'_, f64>) -> Result<f64, ReadoutError> {
    check_pair(pred, target)?;
    let var = pooled_variance(target);
    if var <= 0.0 {
        return Err(ReadoutError::ZeroVariance {
            what: "nmse",
            output: 0,
        });
    }
    Ok(mse_unchecked(pred, target) / var)
}

/// Normalised root mean squared error: `sqrt(MSE / var(y))`, i.e. `sqrt(`[`nmse`]`)`, with
/// the same pooling over outputs.
///
/// This is RMSE divided by the target's *standard deviation*, the usual definition in the
/// reservoir-computing literature (e.g. NARMA10 NRMSE). It is **not** reservoirpy 0.4's
/// `nrmse(norm="var")`, which divides the RMSE by the *variance* (so its value changes with
/// the target's scale), nor its default `norm="minmax"`, which divides by the peak-to-peak
/// range. For a target of variance `v`, reservoirpy's `norm="var"` value equals this one
/// times `1/sqrt(v)`.
///
/// # Errors
///
/// As [`nmse`].
pub fn nrmse(pred: ArrayView2<'_, f64>, target: ArrayView2<'_, f64>) -> Result<f64, ReadoutError> {
    check_pair(pred, target)?;
    let var = pooled_variance(target);
    if var <= 0.0 {
        return Err(ReadoutError::ZeroVariance {
            what: "nrmse",
            output: 0,
        });
    }
    Ok((mse_unchecked(pred, target) / var).sqrt())
}

/// Fraction of positions where the predicted class equals the true class, in `[0, 1]`.
///
/// # Errors
///
/// [`ReadoutError::ShapeMismatch`] if the lengths differ, [`ReadoutError::TooFewSamples`] if
/// they are empty.
pub fn accuracy(pred: &[usize], truth: &[usize]) -> Result<f64, ReadoutError> {
    check_lengths(
        pred.len(),
        truth.len(),
        "accuracy",
        "predicted and true labels must have the same length",
    )?;
    let hits = pred.iter().zip(truth).filter(|(p, t)| p == t).count();
    Ok(hits as f64 / pred.len() as f64)
}

/// The channel symbol nearest to `x`.
///
/// The decision boundaries are the midpoints −2, 0 and 2; a value exactly on a boundary goes
/// to the larger symbol (so 0 → 1), a fixed rule that keeps the result deterministic.
pub fn nearest_symbol(x: f64) -> f64 {
    if x < -2.0 {
        -3.0
    } else if x < 0.0 {
        -1.0
    } else if x < 2.0 {
        1.0
    } else {
        3.0
    }
}

/// Symbol error rate of the channel-equalisation task (Jaeger & Haas 2004): the fraction of
/// positions where the prediction, quantised to the nearest symbol of
/// [`CHANNEL_SYMBOLS`] by [`nearest_symbol`], differs from the true symbol.
///
/// `pred` is the readout's real-valued output (a regression on the symbol value, as in Jaeger
/// & Haas, where the output is rounded to the nearest symbol); `truth` holds the transmitted
/// symbols themselves, each exactly one of −3, −1, 1, 3. For class-index targets (0–3) use
/// [`accuracy`] on the argmax instead: the error rate is then `1 − accuracy`.
///
/// # Errors
///
/// [`ReadoutError::ShapeMismatch`] if the lengths differ, [`ReadoutError::TooFewSamples`] if
/// they are empty, [`ReadoutError::NonFinite`] for NaN or infinite predictions or symbols,
/// [`ReadoutError::InvalidParameter`] (naming `truth`) if a true value is not one of the four
/// symbols.
pub fn symbol_error_rate(pred: &[f64], truth: &[f64]) -> Result<f64, ReadoutError> {
    check_lengths(
        pred.len(),
        truth.len(),
        "symbol error rate",
        "predictions and true symbols must have the same length",
    )?;
    check_finite_slice("pred", pred)?;
    check_finite_slice("truth", truth)?;
    if let Some((i, v)) = truth
        .iter()
        .enumerate()
        .find(|(_, v)| !CHANNEL_SYMBOLS.contains(v))
    {
        return Err(ReadoutError::param(
            "truth",
            format!("must hold channel symbols in {{-3, -1, 1, 3}}, got {v} at position {i}"),
        ));
    }
    let errors = pred
        .iter()
        .zip(truth)
        .filter(|(p, t)| nearest_symbol(**p) != **t)
        .count();
    Ok(errors as f64 / pred.len() as f64)
}

/// Default relative tolerance of [`kernel_quality`] and [`generalisation_rank`]: directions
/// whose spread is below 1 % of the largest spread the substrate shows for independent
/// inputs do not count. A readout trained on a physical device cannot use a direction a
/// hundredth the size of the main one once detector noise and drift are present, and the
/// exact numerical rank (numpy's `matrix_rank`) would call almost any continuous state
/// matrix full rank.
pub const RANK_TOLERANCE: f64 = 0.01;

/// Singular values of `states` (one row per input stream) after subtracting the mean row,
/// largest first. The mean is removed because every readout here fits an unpenalised
/// intercept: a state offset common to all streams separates nothing.
///
/// # Errors
///
/// [`ReadoutError::TooFewSamples`] for a matrix without rows or columns,
/// [`ReadoutError::NonFinite`] for NaN or infinite states,
/// [`ReadoutError::Diverged`] if the singular value decomposition fails.
pub fn state_spread(states: ArrayView2<'_, f64>) -> Result<Vec<f64>, ReadoutError> {
    if states.is_empty() {
        return Err(ReadoutError::TooFewSamples {
            what: "a state-matrix rank",
            needed: 1,
            got: 0,
        });
    }
    check_finite("states", states)?;
    let mean = states
        .mean_axis(ndarray::Axis(0))
        .expect("at least one row");
    let centred = &states - &mean;
    crate::linalg::singular_values(centred.view())
}

fn check_tolerance(tolerance: f64) -> Result<(), ReadoutError> {
    if (0.0..1.0).contains(&tolerance) {
        Ok(())
    } else {
        Err(ReadoutError::param(
            "tolerance",
            format!("must be in [0, 1), got {tolerance}"),
        ))
    }
}

/// Kernel quality (Legenstein & Maass, "Edge of chaos and prediction of computational
/// performance for neural circuit models", Neural Networks 20, 323 (2007)): the rank of the
/// states reached by `m` independent random input streams, one row per stream, counting the
/// directions of [`state_spread`] above `tolerance` times the largest. It counts how many
/// different input histories the substrate can tell apart linearly: at most
/// `min(m − 1, state dimension)` (the mean is removed), and higher is better.
///
/// # Errors
///
/// As [`state_spread`]; [`ReadoutError::InvalidParameter`] unless `0 <= tolerance < 1`.
pub fn kernel_quality(states: ArrayView2<'_, f64>, tolerance: f64) -> Result<usize, ReadoutError> {
    check_tolerance(tolerance)?;
    let s = state_spread(states)?;
    let largest = s.first().copied().unwrap_or(0.0);
    Ok(s.iter()
        .filter(|&&v| v > 0.0 && v > tolerance * largest)
        .count())
}

/// Generalisation rank (Legenstein & Maass 2007): the rank of the states reached by `m` input
/// streams that differ only in their distant past, one row per stream. The threshold is
/// `tolerance` times the largest spread of `reference`, the kernel-quality states of the same
/// substrate: a difference counts when it is a visible fraction of what fully different
/// inputs produce, so a substrate whose streams have converged scores about 0 however small
/// the remaining differences. A substrate that keeps the distant past separates inputs a
/// readout should treat alike, so lower is better; with [`kernel_quality`] it brackets the
/// useful regime (high kernel quality, low generalisation rank).
///
/// # Errors
///
/// As [`kernel_quality`], for either matrix; [`ReadoutError::ShapeMismatch`] if the two have
/// different numbers of columns.
pub fn generalisation_rank(
    states: ArrayView2<'_, f64>,
    reference: ArrayView2<'_, f64>,
    tolerance: f64,
) -> Result<usize, ReadoutError> {
    check_tolerance(tolerance)?;
    if states.ncols() != reference.ncols() {
        return Err(ReadoutError::shape(
            "states",
            states.shape(),
            "reference",
            reference.shape(),
            "both matrices hold states of the same substrate",
        ));
    }
    let scale = state_spread(reference)?.first().copied().unwrap_or(0.0);
    let s = state_spread(states)?;
    Ok(s.iter()
        .filter(|&&v| v > 0.0 && v > tolerance * scale)
        .count())
}

#[cfg(test)]
mod rank_tests {
    use ndarray::{Array2, array};

    use super::*;

    #[test]
    fn kernel_quality_counts_directions_around_the_mean() {
        // Four rows: the mean plus three independent directions.
        let x = array![
            [1.0, 0.0, 0.0, 5.0],
            [0.0, 1.0, 0.0, 5.0],
            [0.0, 0.0, 1.0, 5.0],
            [0.0, 0.0, 0.0, 5.0]
        ];
        assert_eq!(kernel_quality(x.view(), 1e-9).unwrap(), 3);
        // A common offset alone separates nothing.
        let same = Array2::from_elem((5, 3), 2.0);
        assert_eq!(kernel_quality(same.view(), 0.01).unwrap(), 0);
    }

    #[test]
    fn generalisation_rank_is_measured_against_the_kernel_spread() {
        let reference = array![[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]];
        // Streams that differ by 0.1 % of the reference spread: nothing at a 1 % tolerance,
        // one direction at the exact rank.
        let converged = array![[0.3, 0.2], [0.301, 0.2], [0.3, 0.2]];
        assert_eq!(
            generalisation_rank(converged.view(), reference.view(), 0.01).unwrap(),
            0
        );
        assert_eq!(
            generalisation_rank(converged.view(), reference.view(), 1e-12).unwrap(),
            1
        );
        let wide = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
        assert_eq!(
            generalisation_rank(wide.view(), reference.view(), 0.01).unwrap(),
            2
        );
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let x = array![[1.0, f64::NAN]];
        assert!(matches!(
            kernel_quality(x.view(), 0.01),
            Err(ReadoutError::NonFinite { .. })
        ));
        assert!(matches!(
            kernel_quality(array![[1.0]].view(), 1.0),
            Err(ReadoutError::InvalidParameter { .. })
        ));
        assert!(matches!(
            kernel_quality(Array2::<f64>::zeros((0, 3)).view(), 0.01),
            Err(ReadoutError::TooFewSamples { .. })
        ));
        assert!(matches!(
            generalisation_rank(array![[1.0]].view(), array![[1.0, 2.0]].view(), 0.01),
            Err(ReadoutError::ShapeMismatch { .. })
        ));
    }
}

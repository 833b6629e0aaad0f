//! Metrics against values computed by hand, and their error cases.

use ndarray::{Array2, array};
use physrc_core::{ErrorKind, HasErrorKind};
use physrc_readout::ReadoutError;
use physrc_readout::metrics::{
    CHANNEL_SYMBOLS, accuracy, mse, nearest_symbol, nmse, nrmse, symbol_error_rate,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn mse_of_a_two_by_two_example() {
    // Differences 0, 1, 2, 3: squared 0 + 1 + 4 + 9 = 14 over 4 elements = 3.5.
    let pred = array![[1.0, 2.0], [3.0, 4.0]];
    let target = array![[1.0, 1.0], [1.0, 1.0]];
    assert!(close(mse(pred.view(), target.view()).unwrap(), 3.5));
    assert_eq!(mse(target.view(), target.view()).unwrap(), 0.0);
}

#[test]
fn nmse_and_nrmse_of_a_one_output_example() {
    // Target 0, 2, 4: mean 2, population variance (4 + 0 + 4) / 3 = 8/3.
    // Prediction 1, 2, 3: errors 1, 0, 1, MSE 2/3. NMSE = (2/3) / (8/3) = 1/4, NRMSE = 1/2.
    let target = array![[0.0], [2.0], [4.0]];
    let pred = array![[1.0], [2.0], [3.0]];
    assert!(close(nmse(pred.view(), target.view()).unwrap(), 0.25));
    assert!(close(nrmse(pred.view(), target.view()).unwrap(), 0.5));
    // Predicting the mean scores exactly 1 (the definition's normalisation).
    let mean = Array2::from_elem((3, 1), 2.0);
    assert!(close(nmse(mean.view(), target.view()).unwrap(), 1.0));
    assert!(close(nrmse(mean.view(), target.view()).unwrap(), 1.0));
    // reservoirpy 0.4's nrmse(norm="var") would be RMSE / var = sqrt(2/3) / (8/3) ≈ 0.306,
    // not 0.5: this crate divides by the standard deviation (see the nrmse docs).
    let rpy_var = (2.0_f64 / 3.0).sqrt() / (8.0 / 3.0);
    assert!((nrmse(pred.view(), target.view()).unwrap() - rpy_var).abs() > 0.1);
}

#[test]
fn nmse_pools_variance_over_outputs() {
    // Output 0 as above (variance 8/3, squared errors 1, 0, 1); output 1 constant and predicted
    // exactly. Pooled: MSE = 2 / 6 = 1/3, variance = (8/3 + 0) / 2 = 4/3, NMSE = 1/4.
    let target = array![[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]];
    let pred = array![[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]];
    assert!(close(mse(pred.view(), target.view()).unwrap(), 1.0 / 3.0));
    assert!(close(nmse(pred.view(), target.view()).unwrap(), 0.25));
    assert!(close(nrmse(pred.view(), target.view()).unwrap(), 0.5));
}

#[test]
fn normalisation_centres_each_output_on_its_own_mean() {
    // Two outputs with different offsets but the same spread: shifting one output by a
    // constant (in both prediction and target) must not change the NMSE.
    let target = array![[0.0, 10.0], [2.0, 12.0], [4.0, 14.0]];
    let pred = array![[1.0, 11.0], [2.0, 12.0], [3.0, 13.0]];
    // Both outputs: MSE 2/3, variance 8/3, so NMSE = 1/4 exactly as for one output.
    assert!(close(nmse(pred.view(), target.view()).unwrap(), 0.25));
}

#[test]
fn error_metrics_reject_bad_input() {
    let a = Array2::<f64>::zeros((3, 1));
    let b = Array2::<f64>::zeros((3, 2));
    for f in [mse, nmse, nrmse] {
        let e = f(a.view(), b.view()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
        assert!(
            e.to_string().contains("[3, 1]") && e.to_string().contains("[3, 2]"),
            "{e}"
        );
        let empty = Array2::<f64>::zeros((0, 1));
        let e = f(empty.view(), empty.view()).unwrap_err();
        assert!(
            matches!(e, ReadoutError::TooFewSamples { got: 0, .. }),
            "{e}"
        );
        let mut nan = array![[1.0], [2.0], [3.0]];
        nan[[1, 0]] = f64::NAN;
        let ok = array![[1.0], [2.0], [4.0]];
        let e = f(nan.view(), ok.view()).unwrap_err();
        assert!(matches!(
            e,
            ReadoutError::NonFinite {
                what: "pred",
                row: 1,
                col: 0,
                ..
            }
        ));
        let mut inf = ok.clone();
        inf[[2, 0]] = f64::INFINITY;
        let e = f(ok.view(), inf.view()).unwrap_err();
        assert!(matches!(
            e,
            ReadoutError::NonFinite {
                what: "target",
                row: 2,
                ..
            }
        ));
    }
    // A constant target has no variance: a typed error, not NaN or infinity.
    let constant = Array2::from_elem((4, 2), 7.0);
    let pred = Array2::from_elem((4, 2), 6.0);
    for f in [nmse, nrmse] {
        let e = f(pred.view(), constant.view()).unwrap_err();
        assert!(matches!(e, ReadoutError::ZeroVariance { .. }), "{e}");
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
    // MSE itself is defined for a constant target.
    assert!(close(mse(pred.view(), constant.view()).unwrap(), 1.0));
}

#[test]
fn accuracy_counts_matches() {
    assert!(close(accuracy(&[0, 1, 2, 2], &[0, 1, 1, 2]).unwrap(), 0.75));
    assert_eq!(accuracy(&[3], &[3]).unwrap(), 1.0);
    assert_eq!(accuracy(&[0, 0], &[1, 1]).unwrap(), 0.0);
    let e = accuracy(&[0, 1], &[0]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
    let e = accuracy(&[], &[]).unwrap_err();
    assert!(matches!(
        e,
        ReadoutError::TooFewSamples {
            what: "accuracy",
            ..
        }
    ));
}

#[test]
fn symbol_error_rate_quantises_to_the_nearest_symbol() {
    // Decision boundaries at −2, 0, 2 (midpoints of −3, −1, 1, 3); 0 goes up to 1.
    let pred = [-2.9, -2.1, -1.9, 0.0, -0.01, 1.5, 2.0, 5.0];
    let truth = [-3.0, -3.0, -1.0, 1.0, 1.0, 1.0, 3.0, 3.0];
    // Quantised: −3, −3, −1, 1, −1, 1, 3, 3 — only position 4 is wrong.
    assert!(close(symbol_error_rate(&pred, &truth).unwrap(), 1.0 / 8.0));
    assert_eq!(symbol_error_rate(&truth, &truth).unwrap(), 0.0);
    for s in CHANNEL_SYMBOLS {
        assert_eq!(nearest_symbol(s), s);
        assert_eq!(nearest_symbol(s + 0.99), s);
        assert_eq!(nearest_symbol(s - 0.99), s);
    }
    assert_eq!(nearest_symbol(-2.0), -1.0);
    assert_eq!(nearest_symbol(-100.0), -3.0);
}

#[test]
fn symbol_error_rate_rejects_bad_input() {
    let e = symbol_error_rate(&[1.0], &[1.0, 3.0]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
    let e = symbol_error_rate(&[], &[]).unwrap_err();
    assert!(matches!(e, ReadoutError::TooFewSamples { .. }));
    let e = symbol_error_rate(&[1.0, f64::NAN], &[1.0, 3.0]).unwrap_err();
    assert!(matches!(
        e,
        ReadoutError::NonFinite {
            what: "pred",
            row: 1,
            ..
        }
    ));
    let e = symbol_error_rate(&[1.0, 1.0], &[1.0, 0.5]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
    assert!(
        e.to_string().contains("0.5") && e.to_string().contains("position 1"),
        "{e}"
    );
}

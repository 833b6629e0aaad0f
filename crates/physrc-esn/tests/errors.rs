//! Bad input, bad parameters and bad files give typed errors whose message names the culprit.

use std::path::Path;

use ndarray::{Array1, Array2, Array3, array};
use ndarray_npy::write_npy;
use physrc_core::{ErrorKind, HasErrorKind, Reservoir};
use physrc_esn::{Activation, Esn, EsnConfig, EsnError, EsnParams};

fn esn(units: usize, input_dim: usize) -> Esn {
    let mut p = EsnParams::new(units, input_dim);
    p.spectral_radius = 0.9;
    Esn::new(&p).unwrap()
}

fn config(text: &str) -> EsnConfig {
    toml::from_str(text).unwrap()
}

fn build_err(text: &str, dir: &Path, input_dim: usize) -> EsnError {
    config(text).build(dir, input_dim).unwrap_err()
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} does not mention {p:?}");
    }
}

// --- inputs ---------------------------------------------------------------------------

#[test]
fn nan_input_is_rejected_and_leaves_the_state() {
    let mut r = esn(20, 2);
    let mut out = vec![0.0; 20];
    r.step(&[0.5, -0.5], &mut out).unwrap();
    let before = r.state().to_vec();
    let err = r.step(&[0.1, f64::NAN], &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_mentions(&err.to_string(), &["component 1", "not finite", "NaN"]);
    assert_eq!(r.state(), &before[..]);

    let mut u = Array2::zeros((10, 2));
    u[[7, 0]] = f64::INFINITY;
    let err = r.run(u.view()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_mentions(&err.to_string(), &["row 7", "component 0", "inf"]);
    assert_eq!(
        r.state(),
        &before[..],
        "a rejected run must not advance the state"
    );
}

#[test]
fn wrong_input_dimension_is_rejected() {
    let mut r = esn(20, 2);
    let mut out = vec![0.0; 20];
    let err = r.step(&[0.1, 0.2, 0.3], &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DimensionMismatch);
    assert_mentions(&err.to_string(), &["3 components", "takes 2"]);
    let err = r.run(Array2::zeros((5, 1)).view()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DimensionMismatch);
    assert_mentions(&err.to_string(), &["1 components", "takes 2"]);
    let err = r.step(&[0.1, 0.2], &mut [0.0; 19]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DimensionMismatch);
    assert_mentions(&err.to_string(), &["length 19", "20 components"]);
}

#[test]
fn out_of_range_input_is_rejected() {
    let mut r = esn(20, 1);
    let mut out = vec![0.0; 20];
    r.step(&[1.0], &mut out).unwrap();
    r.step(&[-1.0], &mut out).unwrap();
    let err = r.step(&[1.0 + 1e-12], &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_mentions(
        &err.to_string(),
        &["component 0", "outside the normalised range [-1, 1]"],
    );
    let err = r.run(array![[0.0], [0.2], [-3.0]].view()).unwrap_err();
    assert_mentions(&err.to_string(), &["row 2", "-3", "[-1, 1]"]);
}

#[test]
fn a_diverging_linear_network_is_an_error_not_infinity() {
    // Identity activation with spectral radius 1e150: the state overflows within a few steps.
    let mut p = EsnParams::new(10, 1);
    p.activation = Activation::Identity;
    p.connectivity = 1.0;
    p.spectral_radius = 1e150;
    let mut r = Esn::new(&p).unwrap();
    let err = r.run(Array2::from_elem((50, 1), 1.0).view()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Diverged);
    assert_mentions(&err.to_string(), &["non-finite", "spectral radius"]);
}

// --- parameters -----------------------------------------------------------------------

/// A change that makes one parameter invalid.
type Edit = fn(&mut EsnParams);

#[test]
fn invalid_parameters_are_named() {
    let cases: Vec<(Edit, &str, &str)> = vec![
        (|p| p.leak_rate = 0.0, "`leak_rate`", "in (0, 1]"),
        (|p| p.leak_rate = 1.5, "`leak_rate`", "got 1.5"),
        (|p| p.leak_rate = f64::NAN, "`leak_rate`", "NaN"),
        (
            |p| p.spectral_radius = -0.9,
            "`spectral_radius`",
            "got -0.9",
        ),
        (
            |p| p.spectral_radius = f64::INFINITY,
            "`spectral_radius`",
            "finite",
        ),
        (|p| p.input_scaling = 0.0, "`input_scaling`", "positive"),
        (|p| p.connectivity = 0.0, "`connectivity`", "in (0, 1]"),
        (
            |p| p.input_connectivity = 2.0,
            "`input_connectivity`",
            "got 2",
        ),
        (|p| p.bias_scaling = -1.0, "`bias_scaling`", "non-negative"),
        (|p| p.units = 0, "`units`", "at least 1"),
        (|p| p.input_dim = 0, "`input_dim`", "at least 1"),
    ];
    for (edit, name, detail) in cases {
        let mut p = EsnParams::new(30, 1);
        edit(&mut p);
        let err = Esn::new(&p).unwrap_err();
        assert!(matches!(err, EsnError::Parameter { .. }), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        assert_mentions(&err.to_string(), &[name, detail]);
        // It converts into the shared error with the same kind.
        let shared: physrc_core::Error = err.into();
        assert_eq!(shared.kind(), ErrorKind::InvalidParameter);
    }
}

#[test]
fn a_connectivity_too_low_for_a_single_entry_is_named() {
    let mut p = EsnParams::new(3, 1);
    p.connectivity = 0.01; // round(0.09) = 0 entries.
    let err = Esn::new(&p).unwrap_err();
    assert_mentions(&err.to_string(), &["`connectivity` = 0.01", "`w` (3×3)"]);
    let mut p = EsnParams::new(3, 1);
    p.connectivity = 1.0;
    p.input_connectivity = 0.1; // round(0.3) = 0 entries.
    let err = Esn::new(&p).unwrap_err();
    assert_mentions(
        &err.to_string(),
        &["`input_connectivity` = 0.1", "`win` (3×1)"],
    );
}

#[test]
fn from_matrices_names_the_bad_matrix() {
    let ok_w = Array2::<f64>::eye(4) * 0.5;
    let ok_win = Array2::<f64>::ones((4, 2));
    let ok_b = Array1::<f64>::zeros(4);
    let err = Esn::from_matrices(
        Array2::zeros((4, 3)),
        ok_win.clone(),
        ok_b.clone(),
        1.0,
        Activation::Tanh,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DimensionMismatch);
    assert_mentions(&err.to_string(), &["`w`", "4×3", "square"]);
    let err = Esn::from_matrices(
        ok_w.clone(),
        Array2::ones((5, 2)),
        ok_b.clone(),
        1.0,
        Activation::Tanh,
    )
    .unwrap_err();
    assert_mentions(&err.to_string(), &["`win`", "5×2", "4×d"]);
    let err = Esn::from_matrices(
        ok_w.clone(),
        ok_win.clone(),
        Array1::zeros(3),
        1.0,
        Activation::Tanh,
    )
    .unwrap_err();
    assert_mentions(&err.to_string(), &["`bias`", "shape 3", "4"]);
    let mut nan_w = ok_w.clone();
    nan_w[[2, 1]] = f64::NAN;
    let err =
        Esn::from_matrices(nan_w, ok_win.clone(), ok_b.clone(), 1.0, Activation::Tanh).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_mentions(&err.to_string(), &["`w`", "[2, 1]", "NaN"]);
    let err = Esn::from_matrices(ok_w, ok_win, ok_b, 0.0, Activation::Tanh).unwrap_err();
    assert_mentions(&err.to_string(), &["`leak_rate`", "got 0"]);
}

// --- config -----------------------------------------------------------------------------

#[test]
fn unknown_config_key_is_named() {
    let err = toml::from_str::<EsnConfig>("units = 10\nspectral_radus = 0.9\n").unwrap_err();
    assert_mentions(&err.to_string(), &["spectral_radus"]);
    let err = toml::from_str::<EsnConfig>("units = 10\nactivation = \"relu\"\n").unwrap_err();
    assert_mentions(&err.to_string(), &["relu"]);
}

#[test]
fn invalid_config_values_are_named() {
    let dir = Path::new(".");
    let err = build_err("units = 10\nleak_rate = 1.2", dir, 1);
    assert_mentions(&err.to_string(), &["`leak_rate`", "in (0, 1]", "1.2"]);
    let err = build_err("units = 10\nspectral_radius = -1.0", dir, 1);
    assert_mentions(&err.to_string(), &["`spectral_radius`", "positive", "-1"]);
    let err = build_err("spectral_radius = 0.9", dir, 1);
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_mentions(&err.to_string(), &["`units` is required", "`w`"]);
    let err = build_err("units = 10", dir, 0);
    assert_mentions(&err.to_string(), &["`input_dim`"]);
}

fn write_valid(dir: &Path, n: usize, d: usize) {
    write_npy(dir.join("W.npy"), &(Array2::<f64>::eye(n) * 0.5)).unwrap();
    write_npy(dir.join("Win.npy"), &Array2::<f64>::ones((n, d))).unwrap();
    write_npy(dir.join("bias.npy"), &Array1::<f64>::zeros(n)).unwrap();
}

#[test]
fn keys_that_a_file_overrides_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_valid(dir.path(), 4, 1);
    let err = build_err(
        "w = \"W.npy\"\nunits = 4\nspectral_radius = 0.9",
        dir.path(),
        1,
    );
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_mentions(&err.to_string(), &["`w`", "`units`, `spectral_radius`"]);
    let err = build_err(
        "units = 4\nwin = \"Win.npy\"\ninput_scaling = 0.5",
        dir.path(),
        1,
    );
    assert_mentions(&err.to_string(), &["`win`", "`input_scaling`"]);
    let err = build_err(
        "units = 4\nbias = \"bias.npy\"\nbias_scaling = 0.5",
        dir.path(),
        1,
    );
    assert_mentions(&err.to_string(), &["`bias`", "`bias_scaling`"]);
}

#[test]
fn missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_valid(dir.path(), 4, 1);
    let err = build_err("w = \"nowhere/W.npy\"\nwin = \"Win.npy\"", dir.path(), 1);
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_mentions(&err.to_string(), &["`w`", "nowhere/W.npy", "not found"]);
    let err = build_err(
        "w = \"W.npy\"\nwin = \"Win.npy\"\nbias = \"b.npy\"",
        dir.path(),
        1,
    );
    assert_mentions(&err.to_string(), &["`bias`", "b.npy", "not found"]);
}

#[test]
fn a_file_that_is_not_npy_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("W.npy"), "W,1,2\n3,4\n").unwrap();
    let err = build_err("w = \"W.npy\"", dir.path(), 1);
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_mentions(&err.to_string(), &["`w`", "W.npy"]);
    write_npy(dir.path().join("W.npy"), &Array2::<i64>::zeros((3, 3))).unwrap();
    let err = build_err("w = \"W.npy\"", dir.path(), 1);
    assert_mentions(&err.to_string(), &["`w`", "W.npy", "float64 or float32"]);
}

#[test]
fn mis_shaped_npy_files_are_named_with_both_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_valid(d, 4, 1);

    write_npy(d.join("W_rect.npy"), &Array2::<f64>::zeros((4, 5))).unwrap();
    let err = build_err("w = \"W_rect.npy\"", d, 1);
    assert_eq!(err.kind(), ErrorKind::DimensionMismatch);
    assert_mentions(
        &err.to_string(),
        &["`w`", "W_rect.npy", "4×5", "square N×N"],
    );

    write_npy(d.join("W3.npy"), &Array3::<f64>::zeros((4, 4, 2))).unwrap();
    let err = build_err("w = \"W3.npy\"", d, 1);
    assert_mentions(&err.to_string(), &["`w`", "W3.npy", "4×4×2", "2-D"]);

    // Win must be N × (input columns of the data).
    let err = build_err("w = \"W.npy\"\nwin = \"Win.npy\"", d, 3);
    assert_eq!(err.kind(), ErrorKind::DimensionMismatch);
    assert_mentions(&err.to_string(), &["`win`", "Win.npy", "4×1", "4×3"]);
    write_npy(d.join("Win_tall.npy"), &Array2::<f64>::ones((6, 1))).unwrap();
    let err = build_err("w = \"W.npy\"\nwin = \"Win_tall.npy\"", d, 1);
    assert_mentions(&err.to_string(), &["`win`", "Win_tall.npy", "6×1", "4×1"]);
    // A generated W fixes N too.
    let err = build_err("units = 20\nwin = \"Win.npy\"", d, 1);
    assert_mentions(&err.to_string(), &["`win`", "4×1", "20×1"]);

    write_npy(d.join("bias5.npy"), &Array1::<f64>::zeros(5)).unwrap();
    let err = build_err(
        "w = \"W.npy\"\nwin = \"Win.npy\"\nbias = \"bias5.npy\"",
        d,
        1,
    );
    assert_eq!(err.kind(), ErrorKind::DimensionMismatch);
    assert_mentions(&err.to_string(), &["`bias`", "bias5.npy", "shape 5", "4"]);
    write_npy(d.join("bias22.npy"), &Array2::<f64>::zeros((2, 2))).unwrap();
    let err = build_err(
        "w = \"W.npy\"\nwin = \"Win.npy\"\nbias = \"bias22.npy\"",
        d,
        1,
    );
    assert_mentions(&err.to_string(), &["`bias`", "bias22.npy", "2×2"]);
    // N×1 and 1×N biases are accepted (reservoirpy keeps its bias as a column).
    write_npy(d.join("bias41.npy"), &Array2::<f64>::zeros((4, 1))).unwrap();
    config("w = \"W.npy\"\nwin = \"Win.npy\"\nbias = \"bias41.npy\"")
        .build(d, 1)
        .unwrap();
}

#[test]
fn nan_in_a_matrix_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_valid(d, 4, 1);
    let mut w = Array2::<f64>::eye(4) * 0.5;
    w[[1, 3]] = f64::NAN;
    write_npy(d.join("W_nan.npy"), &w).unwrap();
    let err = build_err("w = \"W_nan.npy\"\nwin = \"Win.npy\"", d, 1);
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_mentions(&err.to_string(), &["`w`", "[1, 3]", "NaN"]);
    let mut b = Array1::<f64>::zeros(4);
    b[2] = f64::NEG_INFINITY;
    write_npy(d.join("b_inf.npy"), &b).unwrap();
    let err = build_err(
        "w = \"W.npy\"\nwin = \"Win.npy\"\nbias = \"b_inf.npy\"",
        d,
        1,
    );
    assert_mentions(&err.to_string(), &["`bias`", "[2]", "-inf"]);
}

#[test]
fn float32_files_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_npy(d.join("W.npy"), &(Array2::<f32>::eye(3) * 0.5)).unwrap();
    write_npy(d.join("Win.npy"), &Array2::<f32>::ones((3, 1))).unwrap();
    let esn = config("w = \"W.npy\"\nwin = \"Win.npy\"")
        .build(d, 1)
        .unwrap();
    assert_eq!(esn.w(), Array2::<f64>::eye(3) * 0.5);
}

#[test]
fn step_threads_other_than_one_or_two_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let err = build_err("units = 30\nstep_threads = 3\n", dir.path(), 1);
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert_mentions(&err.to_string(), &["step_threads", "1 or 2", "3"]);
    for threads in [1, 2] {
        let text = format!("units = 30\nstep_threads = {threads}\n");
        assert!(config(&text).build(dir.path(), 1).is_ok());
    }
}

//! The generated `W` has the requested spectral radius, checked with faer's general
//! eigenvalue solver (`Mat::eigenvalues`, a different entry point from the one the crate uses).

use faer::Mat;
use physrc_esn::{Esn, EsnParams, WInit};

fn moduli(w: &ndarray::Array2<f64>) -> Vec<f64> {
    let n = w.nrows();
    let m = Mat::<f64>::from_fn(n, n, |i, j| w[[i, j]]);
    m.eigenvalues()
        .expect("eigenvalues converge")
        .iter()
        .map(|c| c.re.hypot(c.im))
        .collect()
}

#[test]
fn sparse_w_is_scaled_to_the_target_spectral_radius() {
    for (units, init, connectivity, target, seed) in [
        (100, WInit::Normal, 0.1, 0.9, 0),
        (200, WInit::Normal, 0.1, 1.25, 7),
        (150, WInit::Uniform, 0.05, 0.5, 3),
        (60, WInit::Normal, 0.5, 3.0, 1),
        (300, WInit::Uniform, 0.02, 0.99, 12),
    ] {
        let mut p = EsnParams::new(units, 1);
        p.w_init = init;
        p.connectivity = connectivity;
        p.spectral_radius = target;
        p.seed = seed;
        let w = Esn::new(&p).unwrap().w();
        let radius = moduli(&w).into_iter().fold(0.0, f64::max);
        assert!(
            (radius - target).abs() <= 1e-9,
            "N={units} {init:?} c={connectivity}: radius {radius} vs target {target}"
        );
        // The crate's own estimate agrees too.
        let own = physrc_esn::spectral_radius(w.view()).unwrap();
        assert!((own - target).abs() <= 1e-9, "own estimate {own}");
    }
}

#[test]
fn orthogonal_w_has_every_eigenvalue_on_the_circle() {
    for (units, target) in [(50, 0.95), (80, 0.5)] {
        let mut p = EsnParams::new(units, 1);
        p.w_init = WInit::Orthogonal;
        p.spectral_radius = target;
        let w = Esn::new(&p).unwrap().w();
        let m = moduli(&w);
        assert_eq!(m.len(), units);
        for (k, r) in m.iter().enumerate() {
            assert!(
                (r - target).abs() <= 1e-9,
                "eigenvalue {k} has modulus {r}, expected {target}"
            );
        }
        // Wᵀ·W = target²·I.
        let wtw = w.t().dot(&w);
        for ((i, j), v) in wtw.indexed_iter() {
            let want = if i == j { target * target } else { 0.0 };
            assert!((v - want).abs() < 1e-12, "WᵀW[{i},{j}] = {v}");
        }
    }
}

//! The `Reservoir` contract (`physrc_core::contract::check`) for every way an ESN is built.

use std::path::Path;

use ndarray::{Array1, Array2};
use ndarray_npy::write_npy;
use physrc_esn::{Activation, Esn, EsnConfig, EsnParams, Storage, WInit};

fn params(units: usize, input_dim: usize) -> EsnParams {
    let mut p = EsnParams::new(units, input_dim);
    p.spectral_radius = 0.9;
    p.leak_rate = 0.3;
    p.bias_scaling = 0.1;
    p.seed = 11;
    p
}

#[test]
fn generated_sparse_esn_satisfies_the_contract() {
    let p = params(60, 2);
    let esn = Esn::new(&p).unwrap();
    assert!(esn.w_is_sparse(), "10 % connectivity must be stored sparse");
    physrc_core::contract::check(|| Esn::new(&p).unwrap());
}

#[test]
fn generated_dense_esn_satisfies_the_contract() {
    let mut p = params(40, 1);
    p.connectivity = 0.8;
    let esn = Esn::new(&p).unwrap();
    assert!(!esn.w_is_sparse(), "80 % connectivity must be stored dense");
    physrc_core::contract::check(|| Esn::new(&p).unwrap());
    // The same sparse network forced into the dense layout.
    let mut q = params(40, 3);
    q.storage = Storage::Dense;
    physrc_core::contract::check(|| Esn::new(&q).unwrap());
}

#[test]
fn linear_orthogonal_esn_satisfies_the_contract() {
    let mut p = EsnParams::new(50, 1);
    p.activation = Activation::Identity;
    p.w_init = WInit::Orthogonal;
    p.spectral_radius = 0.95;
    p.seed = 3;
    physrc_core::contract::check(|| Esn::new(&p).unwrap());
}

fn write_matrices(dir: &Path, units: usize, input_dim: usize) {
    let w = Array2::from_shape_fn((units, units), |(i, j)| {
        if (i * 7 + j * 3) % 5 == 0 {
            0.1 * (((i + 2 * j) % 9) as f64 - 4.0) / 4.0
        } else {
            0.0
        }
    });
    let win = Array2::from_shape_fn((units, input_dim), |(i, j)| {
        if (i + j) % 2 == 0 { 0.5 } else { -0.5 }
    });
    let bias = Array1::from_shape_fn(units, |i| 0.01 * i as f64 - 0.1);
    write_npy(dir.join("W.npy"), &w).unwrap();
    write_npy(dir.join("Win.npy"), &win).unwrap();
    write_npy(dir.join("bias.npy"), &bias).unwrap();
}

#[test]
fn file_loaded_esn_satisfies_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    write_matrices(dir.path(), 30, 2);
    let cfg: EsnConfig = toml::from_str(
        r#"
        w = "W.npy"
        win = "Win.npy"
        bias = "bias.npy"
        leak_rate = 0.5
        "#,
    )
    .unwrap();
    let esn = cfg.build(dir.path(), 2).unwrap();
    assert_eq!(esn.w().dim(), (30, 30));
    assert_eq!(esn.leak_rate(), 0.5);
    physrc_core::contract::check(|| cfg.build(dir.path(), 2).unwrap());
}

#[test]
fn generated_config_esn_satisfies_the_contract() {
    let cfg: EsnConfig = toml::from_str(
        r#"
        units = 80
        spectral_radius = 0.8
        input_scaling = 0.5
        connectivity = 0.2
        leak_rate = 0.7
        seed = 5
        "#,
    )
    .unwrap();
    physrc_core::contract::check(|| cfg.build(Path::new("."), 3).unwrap());
}

//! State equality with reservoirpy 0.4.2 on its own matrices.
//!
//! Fixture: `tests/fixtures/reservoirpy-mg/` at the repository root, written by
//! `tools/reference/reservoirpy_mg.py` (reservoirpy 0.4.2, N = 200, leak rate 0.3, Mackey–Glass
//! input). It holds reservoirpy's `W`, `Win`, `bias` and input `u`, not its states, so the
//! reference states are computed here by reservoirpy's update rule (`nodes/reservoir.py`,
//! `Reservoir._step`: `next = tanh(W @ s + Win @ x + bias)`, `s' = (1 - lr)·s + lr·next`, from
//! `s = 0`) written out as plain dense loops, independently of the crate's kernels.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};
use ndarray_npy::read_npy;
use physrc_core::Reservoir;
use physrc_esn::{Activation, Esn, EsnConfig, Storage};

const LEAK_RATE: f64 = 0.3;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/reservoirpy-mg")
}

struct Fixture {
    w: Array2<f64>,
    win: Array2<f64>,
    bias: Array1<f64>,
    u: Array2<f64>,
}

fn fixture() -> Fixture {
    let dir = fixture_dir();
    Fixture {
        w: read_npy(dir.join("W.npy")).unwrap(),
        win: read_npy(dir.join("Win.npy")).unwrap(),
        bias: read_npy(dir.join("bias.npy")).unwrap(),
        u: read_npy(dir.join("u.npy")).unwrap(),
    }
}

/// reservoirpy's update, dense, one state row per input row.
fn reference_states(f: &Fixture, lr: f64) -> Array2<f64> {
    let (n, d) = f.win.dim();
    let steps = f.u.nrows();
    let mut s = vec![0.0f64; n];
    let mut out = Array2::zeros((steps, n));
    for t in 0..steps {
        let mut next = vec![0.0f64; n];
        for i in 0..n {
            let mut wx = 0.0;
            for j in 0..n {
                wx += f.w[[i, j]] * s[j];
            }
            let mut winu = 0.0;
            for j in 0..d {
                winu += f.win[[i, j]] * f.u[[t, j]];
            }
            next[i] = (1.0 - lr) * s[i] + lr * (wx + winu + f.bias[i]).tanh();
        }
        s = next;
        for i in 0..n {
            out[[t, i]] = s[i];
        }
    }
    out
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn fixture_has_the_documented_shapes() {
    let f = fixture();
    assert_eq!(f.w.dim(), (200, 200));
    assert_eq!(f.win.dim(), (200, 1));
    assert_eq!(f.bias.len(), 200);
    assert_eq!(f.u.dim(), (1600, 1));
    // 10 % connectivity, as the README states: round(0.1 · 200²) entries.
    assert_eq!(f.w.iter().filter(|v| **v != 0.0).count(), 4000);
}

#[test]
fn states_equal_the_reservoirpy_update_on_the_fixture() {
    let f = fixture();
    let reference = reference_states(&f, LEAK_RATE);
    // The states are not trivially small: the comparison means something.
    assert!(reference.iter().fold(0.0f64, |m, v| m.max(v.abs())) > 0.1);
    for storage in [Storage::Sparse, Storage::Dense] {
        let mut esn = Esn::from_matrices(
            f.w.clone(),
            f.win.clone(),
            f.bias.clone(),
            LEAK_RATE,
            Activation::Tanh,
        )
        .unwrap()
        .with_storage(storage);
        let states = esn.run(f.u.view()).unwrap();
        let diff = max_abs_diff(&states, &reference);
        println!("{storage:?}: max |Δ| = {diff:e}");
        assert!(diff <= 1e-12, "{storage:?}: max |Δ| = {diff:e}");
    }
}

#[test]
fn the_fixture_config_builds_the_same_network() {
    let f = fixture();
    let text = std::fs::read_to_string(fixture_dir().join("config.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let mut substrate = table["substrate"].as_table().unwrap().clone();
    assert_eq!(substrate.remove("kind").unwrap().as_str(), Some("esn"));
    let cfg: EsnConfig = substrate.try_into().unwrap();
    let mut esn = cfg.build(&fixture_dir(), 1).unwrap();
    assert_eq!(esn.leak_rate(), LEAK_RATE);
    assert_eq!(esn.w(), f.w);
    assert_eq!(esn.win(), f.win);
    assert_eq!(esn.bias(), f.bias);
    let states = esn.run(f.u.view()).unwrap();
    let diff = max_abs_diff(&states, &reference_states(&f, LEAK_RATE));
    assert!(diff <= 1e-12, "max |Δ| = {diff:e}");
}

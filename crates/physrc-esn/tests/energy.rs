//! The ESN's energy model: its operation counts against a count made by hand, and its energy
//! against the number of weights it stores.

use ndarray::{Array1, Array2, array};
use physrc_core::Reservoir;
use physrc_esn::energy::{HOROWITZ_45NM, OpCounts, PLATFORMS};
use physrc_esn::{Activation, Esn, EsnParams, Storage};

/// A 3-unit network with 4 nonzero recurrent weights and 2 nonzero input weights.
fn small() -> Esn {
    let w: Array2<f64> = array![[0.0, 0.5, 0.0], [0.3, 0.0, -0.2], [0.0, 0.0, 0.1]];
    let win: Array2<f64> = array![[1.0], [0.0], [-1.0]];
    Esn::from_matrices(w, win, Array1::zeros(3), 0.5, Activation::Tanh).expect("valid")
}

#[test]
fn sparse_counts_equal_a_hand_count() {
    let esn = small().with_storage(Storage::Sparse);
    let c = esn.operation_counts();
    // W·x: 4 multiply-adds; Win·u: 2. Per unit (3 units): drive 2 adds, tanh 21 adds,
    // 18 multiplies, 1 division, 1 comparison; leak 2 multiplies, 1 add; finiteness check
    // 1 comparison.
    assert_eq!(c.fp_add, 4.0 + 2.0 + 3.0 * (2.0 + 21.0 + 1.0)); // 78
    assert_eq!(c.fp_mul, 4.0 + 2.0 + 3.0 * (18.0 + 2.0)); // 66
    assert_eq!(c.fp_div, 3.0);
    assert_eq!(c.fp_compare, 6.0);
    assert_eq!(c.multiply_adds(), 66.0);
    let bytes: Vec<(&str, f64)> = c.memory.iter().map(|a| (a.what, a.bytes)).collect();
    // Values and 4-byte column indices of the stored entries; one 8-byte gather of the
    // operand per entry; 9 accesses of 8 bytes per unit for the vectors.
    assert_eq!(
        bytes,
        vec![
            ("W", 4.0 * 12.0),
            ("Win", 2.0 * 12.0),
            ("product operands", 6.0 * 8.0),
            ("state vectors", 9.0 * 8.0 * 3.0),
        ]
    );
}

#[test]
fn dense_counts_include_the_stored_zeros() {
    // 4 of 9 entries are nonzero, above the sparse threshold: stored dense, and the dense
    // kernel multiplies all 9.
    let esn = small();
    assert!(!esn.w_is_sparse());
    let c = esn.operation_counts();
    assert_eq!(c.fp_add, 9.0 + 3.0 + 3.0 * 24.0);
    assert_eq!(c.fp_mul, 9.0 + 3.0 + 3.0 * 20.0);
    let w = c.memory.iter().find(|a| a.what == "W").expect("W");
    assert_eq!(w.bytes, 9.0 * 8.0);
    // One block of 8 rows reads each of the 3 + 1 operand entries once.
    let x = c
        .memory
        .iter()
        .find(|a| a.what == "product operands")
        .expect("x");
    assert_eq!(x.bytes, 4.0 * 8.0);
}

#[test]
fn identity_activation_costs_no_activation_operations() {
    let w: Array2<f64> = array![[0.0, 0.5], [0.3, 0.0]];
    let win: Array2<f64> = array![[1.0], [1.0]];
    let esn = Esn::from_matrices(w, win, Array1::zeros(2), 1.0, Activation::Identity)
        .expect("valid")
        .with_storage(Storage::Sparse);
    let c = esn.operation_counts();
    assert_eq!(c.fp_add, 2.0 + 2.0 + 2.0 * 3.0);
    assert_eq!(c.fp_mul, 2.0 + 2.0 + 2.0 * 2.0);
    assert_eq!(c.fp_div, 0.0);
}

#[test]
fn energy_is_steps_times_the_priced_counts_and_resets() {
    let mut esn = small();
    assert_eq!(esn.energy(), Some(0.0));
    let inputs = Array2::from_shape_fn((10, 1), |(t, _)| (t as f64 * 0.3).sin());
    esn.run(inputs.view()).expect("runs");
    let per_step = HOROWITZ_45NM.joules(esn.operation_counts());
    let e = esn.energy().expect("modelled");
    assert!((e - 10.0 * per_step).abs() <= 1e-12 * e);
    let mut state = [0.0; 3];
    esn.step(&[0.5], &mut state).expect("steps");
    assert!((esn.energy().expect("modelled") - 11.0 * per_step).abs() <= 1e-12 * e);
    esn.reset().expect("resets");
    assert_eq!(esn.energy(), Some(0.0));
}

/// A generated sparse network of 300 units: its stored nonzeros and per-step energy.
fn nnz_and_energy(connectivity: f64) -> (f64, f64, OpCounts) {
    let mut p = EsnParams::new(300, 1);
    p.connectivity = connectivity;
    p.storage = Storage::Sparse;
    let esn = Esn::new(&p).expect("valid");
    let nnz = esn.w().iter().filter(|v| **v != 0.0).count() as f64;
    let c = esn.operation_counts().clone();
    (nnz, HOROWITZ_45NM.joules(&c), c)
}

#[test]
fn reservoir_energy_scales_with_the_stored_nonzeros() {
    // 9,000 to 22,500 nonzeros: 108 to 270 KB of weights, all served by the same memory
    // level, so the energy is affine in the nonzero count with one positive slope.
    let points: Vec<(f64, f64, OpCounts)> =
        [0.1, 0.2, 0.25].into_iter().map(nnz_and_energy).collect();
    for (nnz, _, c) in &points {
        // Every stored nonzero is one multiply and one add, on top of the per-unit work.
        assert_eq!(
            c.fp_mul - 300.0 * 20.0 - 30.0,
            *nnz,
            "Win stores 30 entries"
        );
    }
    let slope = |a: &(f64, f64, OpCounts), b: &(f64, f64, OpCounts)| (b.1 - a.1) / (b.0 - a.0);
    let s1 = slope(&points[0], &points[1]);
    let s2 = slope(&points[1], &points[2]);
    assert!(s1 > 0.0);
    assert!((s1 - s2).abs() <= 1e-9 * s1, "{s1} vs {s2}");
    // The slope is one multiply, one add, 12 bytes of weight from the 1 MB level and an
    // 8-byte operand read from the smallest level.
    let p = &HOROWITZ_45NM;
    let expect = p.fp_mul + p.fp_add + 1.5 * 100e-12 + 10e-12;
    assert!((s1 - expect).abs() <= 1e-9 * expect, "{s1} vs {expect}");
    // Every platform prices more weights higher.
    for p in PLATFORMS {
        assert!(
            p.joules(&points[2].2) > p.joules(&points[0].2),
            "{}",
            p.name
        );
    }
}

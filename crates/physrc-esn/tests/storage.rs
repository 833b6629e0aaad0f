//! The sparse and the dense layout of `W` and `Win` give bit-identical states.

use ndarray::Array2;
use physrc_core::Reservoir;
use physrc_esn::{Activation, Esn, EsnParams, Storage, WInit};

fn inputs(steps: usize, d: usize) -> Array2<f64> {
    Array2::from_shape_fn((steps, d), |(t, j)| ((t * (j + 2)) as f64 * 0.21).cos())
}

fn assert_same_bits(a: &Array2<f64>, b: &Array2<f64>, what: &str) {
    assert_eq!(a.dim(), b.dim());
    for ((idx, x), y) in a.indexed_iter().zip(b.iter()) {
        assert_eq!(
            x.to_bits(),
            y.to_bits(),
            "{what}: first difference at {idx:?}"
        );
    }
}

#[test]
fn sparse_and_dense_layouts_give_identical_states() {
    let mut cases = Vec::new();
    // 37 units leave a partial block of rows; 0.02 connectivity leaves empty rows.
    for (units, d, connectivity) in [(37, 1, 0.1), (200, 2, 0.02), (64, 3, 0.6), (500, 1, 0.1)] {
        let mut p = EsnParams::new(units, d);
        p.connectivity = connectivity;
        p.input_connectivity = 0.5;
        p.spectral_radius = 0.9;
        p.bias_scaling = 0.3;
        p.leak_rate = 0.3;
        cases.push(p);
    }
    let mut linear = EsnParams::new(50, 1);
    linear.w_init = WInit::Orthogonal;
    linear.activation = Activation::Identity;
    linear.spectral_radius = 0.95;
    cases.push(linear);

    for p in cases {
        let what = format!("N={} d={} c={}", p.units, p.input_dim, p.connectivity);
        let u = inputs(300, p.input_dim);
        // One generation (the eigenvalue solve dominates), then every layout of it.
        let base = Esn::new(&p).unwrap();
        let mut states = Vec::new();
        for storage in [Storage::Sparse, Storage::Dense, Storage::Auto] {
            let mut esn = base.clone().with_storage(storage);
            match storage {
                Storage::Sparse => assert!(esn.w_is_sparse()),
                Storage::Dense => assert!(!esn.w_is_sparse()),
                Storage::Auto => {}
            }
            states.push(esn.run(u.view()).unwrap());
        }
        // Asking for the layout at generation gives the same network.
        let mut q = p.clone();
        q.storage = Storage::Dense;
        let mut dense = Esn::new(&q).unwrap();
        assert!(!dense.w_is_sparse());
        assert_same_bits(&states[0], &dense.run(u.view()).unwrap(), &what);
        assert_same_bits(&states[0], &states[1], &what);
        assert_same_bits(&states[0], &states[2], &what);
    }
}

//! Geometry against flatspin 2.6 (`tools/reference/flatspin_fixtures.py`): positions, angles
//! and neighbour counts at the default `neighbor_distance`, at non-square sizes so that an
//! nx/ny swap or an index-order slip shows. Also the published switching check.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};
use ndarray_npy::read_npy;
use physrc_nanomagnet::{Layout, ModelParams, SpinIce};

fn geo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/flatspin/geometry")
        .join(name)
}

fn compare(tag: &str, layout: Layout) {
    let pos: Array2<f64> = read_npy(geo(&format!("{tag}_positions.npy"))).unwrap();
    let ang: Array1<f64> = read_npy(geo(&format!("{tag}_angles.npy"))).unwrap();
    let counts: Array1<i64> = read_npy(geo(&format!("{tag}_neighbor_counts.npy"))).unwrap();
    assert_eq!(layout.len(), ang.len(), "{tag}: magnet count");
    for i in 0..layout.len() {
        for c in 0..2 {
            assert_eq!(
                layout.positions()[[i, c]].to_bits(),
                pos[[i, c]].to_bits(),
                "{tag}: position of magnet {i}, component {c}"
            );
        }
        assert_eq!(
            layout.angles()[i].to_bits(),
            ang[i].to_bits(),
            "{tag}: angle of magnet {i}"
        );
    }
    let ice = SpinIce::new(layout, ModelParams::default().check().unwrap()).unwrap();
    for i in 0..ice.len() {
        assert_eq!(
            ice.neighbors(i).len() as i64,
            counts[i],
            "{tag}: neighbour count of magnet {i}"
        );
    }
}

#[test]
fn square_closed_7x3_equals_flatspin() {
    compare(
        "square_closed_7x3",
        Layout::square_closed(7, 3, 1.0).unwrap(),
    );
}

#[test]
fn square_open_7x3_equals_flatspin() {
    compare("square_open_7x3", Layout::square_open(7, 3, 1.0).unwrap());
}

#[test]
fn pinwheel_diamond_7x3_equals_flatspin() {
    compare(
        "pinwheel_diamond_7x3",
        Layout::pinwheel_diamond(7, 3, 1.0, 45.0).unwrap(),
    );
}

#[test]
fn kagome_5x4_equals_flatspin() {
    compare("kagome_5x4", Layout::kagome(5, 4, 1.0).unwrap());
}

#[test]
fn kagome_odd_rows_4x5_equals_flatspin() {
    compare("kagome_odd_4x5", Layout::kagome(4, 5, 1.0).unwrap());
}

/// The check published with flatspin's model description (Jensen et al., Phys. Rev. B 106,
/// 064408 (2022)) and reproduced by an independent port: `SquareSpinIceClosed()` (4×4,
/// defaults), spins 0, 4 and 39 flipped, h_ext = (0.2, 0) → flippable [0, 4, 5, 13, 34, 39].
#[test]
fn published_flippable_check() {
    let layout = Layout::square_closed(4, 4, 1.0).unwrap();
    assert_eq!(layout.len(), 40);
    let mut ice = SpinIce::new(layout, ModelParams::default().check().unwrap()).unwrap();
    for i in [0, 4, 39] {
        ice.flip(i);
    }
    ice.set_field([0.2, 0.0]).unwrap();
    assert_eq!(ice.flippable(), vec![0, 4, 5, 13, 34, 39]);
    // Interior magnets of closed square ice have 8 neighbours at neighbor_distance 1 (flatspin's geometry).
    assert_eq!(ice.max_neighbors(), 8);
    // 10×5 has 115 magnets, as flatspin's SquareSpinIceClosed(size=(10, 5)).
    assert_eq!(Layout::square_closed(10, 5, 1.0).unwrap().len(), 115);
}

//! Replays field loops recorded with flatspin 2.6 (`tools/reference/flatspin_fixtures.py`) and
//! asserts spin-for-spin equality after every relax, equal relax return values, and flatspin's
//! positions, angles and initial switching energies.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Array3, ArrayD};
use ndarray_npy::read_npy;
use physrc_nanomagnet::{Engine, FlipMode, Layout, ModelParams, SpinIce};

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flatspin")
}

struct Fixture {
    name: String,
    params: serde_json::Value,
    positions: Array2<f64>,
    angles: Array1<f64>,
    thresholds: Array1<f64>,
    h_ext: ArrayD<f64>,
    spins: Array2<i8>,
    flips: Array1<i64>,
    energy0: Array1<f64>,
}

fn load(name: &str) -> Fixture {
    let d = fixture_root().join(name);
    let params: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("params.json")).unwrap()).unwrap();
    Fixture {
        name: name.to_owned(),
        params,
        positions: read_npy(d.join("positions.npy")).unwrap(),
        angles: read_npy(d.join("angles.npy")).unwrap(),
        thresholds: read_npy(d.join("thresholds.npy")).unwrap(),
        h_ext: read_npy(d.join("h_ext.npy")).unwrap(),
        spins: read_npy(d.join("spins.npy")).unwrap(),
        flips: read_npy(d.join("flips.npy")).unwrap(),
        energy0: read_npy(d.join("energy0.npy")).unwrap(),
    }
}

fn layout_for(f: &Fixture) -> Layout {
    let p = &f.params;
    let size = p["size"].as_array().unwrap();
    let (nx, ny) = (
        size[0].as_u64().unwrap() as usize,
        size[1].as_u64().unwrap() as usize,
    );
    let a = p["lattice_spacing"].as_f64().unwrap();
    match p["model"].as_str().unwrap() {
        "SquareSpinIceClosed" => Layout::square_closed(nx, ny, a),
        "SquareSpinIceOpen" => Layout::square_open(nx, ny, a),
        "PinwheelSpinIceDiamond" => Layout::pinwheel_diamond(nx, ny, a, 45.0),
        "KagomeSpinIce" => Layout::kagome(nx, ny, a),
        other => panic!("unknown model {other}"),
    }
    .unwrap()
}

fn model_for(f: &Fixture, engine: Engine) -> SpinIce {
    let p = &f.params;
    let num = |k: &str| p[k].as_f64().unwrap();
    let flip_mode = match p["flip_mode"].as_str().unwrap() {
        "max" => FlipMode::Max,
        "all" => FlipMode::All,
        other => panic!("fixture flip mode {other}"),
    };
    let params = ModelParams {
        alpha: num("alpha"),
        hc: num("hc"),
        disorder: 0.0,
        sw_b: num("sw_b"),
        sw_c: num("sw_c"),
        sw_beta: num("sw_beta"),
        sw_gamma: num("sw_gamma"),
        neighbor_distance: Some(num("neighbor_distance")),
        flip_mode,
        engine,
        ..ModelParams::default()
    };
    let mut ice = SpinIce::new(layout_for(f), params.check().unwrap()).unwrap();
    ice.set_thresholds(f.thresholds.view()).unwrap();
    ice
}

fn set_field(ice: &mut SpinIce, h: &ArrayD<f64>, t: usize) {
    match h.ndim() {
        2 => ice.set_field([h[[t, 0]], h[[t, 1]]]).unwrap(),
        3 => {
            let h3: Array3<f64> = h.clone().into_dimensionality().unwrap();
            ice.set_field_per_magnet(h3.index_axis(ndarray::Axis(0), t))
                .unwrap()
        }
        _ => panic!("bad h_ext"),
    }
}

/// Returns the total number of flips replayed.
fn replay(name: &str, engine: Engine) -> i64 {
    let f = load(name);
    let mut ice = model_for(&f, engine);
    let n = ice.len();
    assert_eq!(n, f.angles.len(), "{name}: magnet count");
    // Geometry: flatspin's model.pos and model.angle.
    let pos_err = (&ice.positions() - &f.positions)
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let ang_err = (&ice.angles() - &f.angles)
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(pos_err <= 1e-12, "{name}: positions differ by {pos_err}");
    assert!(ang_err <= 1e-12, "{name}: angles differ by {ang_err}");
    let steps = f.flips.len();
    for t in 0..steps {
        set_field(&mut ice, &f.h_ext, t);
        if t == 0 {
            let e = ice.switching_energies();
            for i in 0..n {
                let d = (e[i] - f.energy0[i]).abs();
                assert!(
                    d <= 1e-12 * (1.0 + f.energy0[i].abs()),
                    "{name}: switching energy of magnet {i}: {} vs flatspin {}",
                    e[i],
                    f.energy0[i]
                );
            }
        }
        let r = ice.relax();
        assert_eq!(
            r.steps as i64, f.flips[t],
            "{name} ({engine:?}): relax return value at step {t}"
        );
        let want = f.spins.row(t);
        for i in 0..n {
            assert_eq!(
                ice.spins()[i],
                want[i],
                "{name} ({engine:?}): spin {i} after relax {t}"
            );
        }
    }
    f.flips.sum()
}

fn check(name: &str) {
    let total = replay(name, Engine::Incremental);
    let total_ref = replay(name, Engine::Reference);
    assert_eq!(total, total_ref);
    assert!(
        total > 50,
        "{name}: fixture should exercise many flips, got {total}"
    );
    let _ = load(name).name;
}

#[test]
fn square_closed_6x5_matches_flatspin() {
    check("square_closed_6x5");
}

#[test]
fn square_open_6x5_matches_flatspin() {
    check("square_open_6x5");
}

#[test]
fn pinwheel_diamond_5x4_matches_flatspin() {
    check("pinwheel_diamond_5x4");
}

#[test]
fn kagome_4x3_classic_astroid_matches_flatspin() {
    check("kagome_4x3");
}

#[test]
fn square_closed_flip_mode_all_matches_flatspin() {
    check("square_closed_4x4_all");
}

#[test]
fn lattice_spacing_and_long_cutoff_match_flatspin() {
    check("square_closed_5x4_spacing");
}

#[test]
fn per_magnet_field_matches_flatspin() {
    check("square_open_5x5_gradient");
}

//! Square-ice vertex types (`readout = "vertex-types"`), checked against hand-built states and
//! a brute-force geometric classification.
//!
//! Type definitions: Wang et al., Nature 439, 303 (2006), Fig. 1; Morgan et al., Nat. Phys. 7,
//! 75 (2011). Type I: two-in/two-out with zero net moment (ground state); II: two-in/two-out
//! with a net moment; III: three-in/one-out or one-in/three-out; IV: all-in or all-out.

use std::collections::BTreeMap;
use std::path::Path;

use ndarray::Array2;
use physrc_core::{ErrorKind, HasErrorKind, Reservoir};
use physrc_nanomagnet::{
    Layout, NanomagnetConfig, NanomagnetError, NanomagnetReservoir, SquareVertices, VertexType,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Index of the magnet centred at `(x, y)`.
fn at(layout: &Layout, x: f64, y: f64) -> usize {
    let p = layout.positions();
    (0..layout.len())
        .find(|&i| (p[[i, 0]] - x).abs() < 1e-9 && (p[[i, 1]] - y).abs() < 1e-9)
        .unwrap_or_else(|| panic!("no magnet at ({x}, {y})"))
}

/// The ground state of closed square ice (lattice spacing 1), built from positions: at vertex
/// `(c, r)` with `c + r` even both horizontal bars point in and both vertical bars point out,
/// and the reverse where `c + r` is odd, so every vertex is two-in/two-out with opposite
/// in-bars (Wang et al. 2006, Fig. 1, type I).
fn closed_ground_state(layout: &Layout) -> Vec<i8> {
    let p = layout.positions();
    let ang = layout.angles();
    (0..layout.len())
        .map(|i| {
            let (x, y) = (p[[i, 0]], p[[i, 1]]);
            if ang[i].abs() < 1e-9 {
                // Horizontal bar between vertices (c, r) and (c + 1, r): it points −x, into
                // (c, r), when c + r is even.
                let (c, r) = ((x - 0.5).round() as i64, y.round() as i64);
                if (c + r) % 2 == 0 { -1 } else { 1 }
            } else {
                // Vertical bar between (c, r) and (c, r + 1): it points +y, out of (c, r), when
                // c + r is even.
                let (c, r) = (x.round() as i64, (y - 0.5).round() as i64);
                if (c + r) % 2 == 0 { 1 } else { -1 }
            }
        })
        .collect()
}

fn types(v: &SquareVertices, spins: &[i8]) -> Vec<VertexType> {
    (0..v.len())
        .map(|k| v.classify(k, spins).unwrap().unwrap())
        .collect()
}

#[test]
fn polarized_square_ice_is_all_type_ii() {
    // All spins +1: horizontal bars point +x and vertical (or 135°) bars point +y, so each
    // vertex has two adjacent in-bars, the type II state of a saturated array.
    for layout in [
        Layout::square_closed(3, 3, 1.0).unwrap(),
        Layout::square_closed(2, 2, 1.0).unwrap(),
        Layout::square_open(4, 4, 1.0).unwrap(),
        Layout::square_open(5, 3, 2.5).unwrap(),
    ] {
        let v = SquareVertices::new(&layout).unwrap();
        let up = vec![1i8; layout.len()];
        assert!(types(&v, &up).iter().all(|&t| t == VertexType::II));
        let down = vec![-1i8; layout.len()];
        assert!(types(&v, &down).iter().all(|&t| t == VertexType::II));
        let mut pop = [0.0; 4];
        v.populations_into(&up, &mut pop).unwrap();
        assert_eq!(pop, [0.0, 1.0, 0.0, 0.0]);
    }
}

#[test]
fn vertex_counts_exclude_edges() {
    // Closed [nx, ny]: the (nx − 1)(ny − 1) interior lattice points; the edge points have 2 or
    // 3 bars and are excluded.
    assert_eq!(
        SquareVertices::new(&Layout::square_closed(3, 3, 1.0).unwrap())
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        SquareVertices::new(&Layout::square_closed(2, 2, 1.0).unwrap())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        SquareVertices::new(&Layout::square_closed(7, 4, 1.0).unwrap())
            .unwrap()
            .len(),
        18
    );
    // Open 4×4: plaquettes (c, r) in 0..3 × 0..3 with c + r even: 5.
    assert_eq!(
        SquareVertices::new(&Layout::square_open(4, 4, 1.0).unwrap())
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn ground_state_is_all_type_i_and_one_flip_makes_two_type_iii() {
    let layout = Layout::square_closed(3, 3, 1.0).unwrap();
    let v = SquareVertices::new(&layout).unwrap();
    let ground = closed_ground_state(&layout);
    assert!(types(&v, &ground).iter().all(|&t| t == VertexType::I));
    let mut pop = [0.0; 4];
    v.populations_into(&ground, &mut pop).unwrap();
    assert_eq!(pop, [1.0, 0.0, 0.0, 0.0]);

    // The horizontal bar centred at (1.5, 1) joins the interior vertices (1, 1) and (2, 1):
    // flipping it turns both into three-in/one-out or one-in/three-out (a monopole pair).
    let i = at(&layout, 1.5, 1.0);
    let mut s = ground.clone();
    s[i] = -s[i];
    for (k, c) in v.centres().iter().enumerate() {
        let want = if c[1] == 1.0 && (c[0] == 1.0 || c[0] == 2.0) {
            VertexType::III
        } else {
            VertexType::I
        };
        assert_eq!(v.classify(k, &s).unwrap(), Some(want), "vertex at {c:?}");
    }
    v.populations_into(&s, &mut pop).unwrap();
    assert_eq!(pop, [0.5, 0.0, 0.5, 0.0]);

    // At vertex (1, 1) (c + r even: horizontal in, vertical out) flipping both vertical bars
    // makes it all-in: type IV; its vertical neighbours (1, 2) and (1, 0, an edge) change too.
    let mut s = ground.clone();
    for (x, y) in [(1.0, 0.5), (1.0, 1.5)] {
        let j = at(&layout, x, y);
        s[j] = -s[j];
    }
    let k11 = v.centres().iter().position(|c| *c == [1.0, 1.0]).unwrap();
    assert_eq!(v.classify(k11, &s).unwrap(), Some(VertexType::IV));
    let k12 = v.centres().iter().position(|c| *c == [1.0, 2.0]).unwrap();
    assert_eq!(v.classify(k12, &s).unwrap(), Some(VertexType::III));
}

/// Independent classification from geometry alone: for every point where bar tips meet,
/// collect the bars whose tip is there, count in-pointing moments and sum the moments.
fn brute_force(layout: &Layout, reach: f64, spins: &[i8]) -> BTreeMap<(i64, i64), VertexType> {
    let p = layout.positions();
    let ang = layout.angles();
    let key = |x: f64, y: f64| ((x * 1e6).round() as i64, (y * 1e6).round() as i64);
    let mut tips: BTreeMap<(i64, i64), Vec<(usize, f64)>> = BTreeMap::new();
    for i in 0..layout.len() {
        let (c, s) = (ang[i].cos(), ang[i].sin());
        for sign in [1.0, -1.0] {
            let x = p[[i, 0]] + sign * reach * c;
            let y = p[[i, 1]] + sign * reach * s;
            // A positive spin points into the tip it points toward.
            tips.entry(key(x, y)).or_default().push((i, sign));
        }
    }
    tips.into_iter()
        .filter(|(_, b)| b.len() == 4)
        .map(|(k, b)| {
            let n_in = b
                .iter()
                .filter(|&&(i, sign)| f64::from(spins[i]) * sign > 0.0)
                .count();
            let (mx, my) = b.iter().fold((0.0, 0.0), |(mx, my), &(i, _)| {
                let s = f64::from(spins[i]);
                (mx + s * ang[i].cos(), my + s * ang[i].sin())
            });
            let t = match n_in {
                0 | 4 => VertexType::IV,
                1 | 3 => VertexType::III,
                _ if mx.hypot(my) < 1e-9 => VertexType::I,
                _ => VertexType::II,
            };
            (k, t)
        })
        .collect()
}

#[test]
fn random_states_match_a_brute_force_geometric_classification() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for (layout, reach) in [
        (Layout::square_closed(6, 4, 1.0).unwrap(), 0.5),
        (Layout::square_closed(5, 5, 2.0).unwrap(), 1.0),
        (
            Layout::square_open(7, 6, 1.0).unwrap(),
            std::f64::consts::FRAC_1_SQRT_2,
        ),
    ] {
        let v = SquareVertices::new(&layout).unwrap();
        let mut seen = [0usize; 4];
        for _ in 0..50 {
            let spins: Vec<i8> = (0..layout.len())
                .map(|_| if rng.random::<bool>() { 1 } else { -1 })
                .collect();
            let want = brute_force(&layout, reach, &spins);
            assert_eq!(want.len(), v.len(), "vertex count");
            for (k, c) in v.centres().iter().enumerate() {
                let key = ((c[0] * 1e6).round() as i64, (c[1] * 1e6).round() as i64);
                let t = v.classify(k, &spins).unwrap().unwrap();
                assert_eq!(Some(&t), want.get(&key), "vertex at {c:?}");
                seen[t.index()] += 1;
            }
        }
        // Random states visit every type (probabilities 2, 4, 8, 2 in 16).
        assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
    }
}

#[test]
fn other_geometries_and_tiny_arrays_are_rejected() {
    for layout in [
        Layout::kagome(3, 3, 1.0).unwrap(),
        Layout::pinwheel_diamond(3, 3, 1.0, 45.0).unwrap(),
        Layout::square_closed(1, 4, 1.0).unwrap(),
        Layout::square_open(1, 5, 1.0).unwrap(),
    ] {
        let e = SquareVertices::new(&layout).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidParameter);
        assert!(e.to_string().contains("vertex-types"), "{e}");
    }
}

fn config(text: &str) -> Result<NanomagnetReservoir, NanomagnetError> {
    toml::from_str::<NanomagnetConfig>(text)
        .unwrap()
        .build(Path::new("."), 1)
}

const SQUARE: &str = "geometry = \"square-closed\"\nsize = [6, 6]\ndisorder = 0.05\n\
                      random_seed = 3\nh_min = 0.07\nh_max = 0.09\nreadout = \"vertex-types\"\n";

#[test]
fn vertex_type_reservoirs_satisfy_the_contract() {
    physrc_core::contract::check(|| config(SQUARE).unwrap());
    let windows = format!("{SQUARE}window = 2\n");
    physrc_core::contract::check(|| config(&windows).unwrap());
    let open = SQUARE.replace("square-closed", "square-open");
    physrc_core::contract::check(|| config(&open).unwrap());
}

#[test]
fn reservoir_reads_vertex_populations() {
    // Below threshold nothing flips: the polarized start reads as all type II.
    let mut r = config(SQUARE).unwrap();
    assert_eq!(r.state_dim(), 4);
    let mut out = [0.0; 4];
    r.step(&[-1.0], &mut out).unwrap();
    assert_eq!(r.flips(), 0, "0.07 T is below the 45° switching field");
    assert_eq!(out, [0.0, 1.0, 0.0, 0.0]);

    // A loop through switching mixes types; without vortices the fractions sum to 1 and are
    // multiples of 1/25 (25 interior vertices of a 6×6 array).
    let x = Array2::from_shape_fn((12, 1), |(t, _)| if t % 2 == 0 { 1.0 } else { 0.3 });
    r.reset().unwrap();
    let states = r.run(x.view()).unwrap();
    assert!(r.flips() > 0);
    let mut mixed = false;
    for row in states.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-12);
        for &f in row {
            assert!((f * 25.0 - (f * 25.0).round()).abs() < 1e-9);
        }
        mixed |= row[1] < 1.0;
    }
    assert!(mixed, "switching must change the vertex populations");

    // Windows of side 2 over the vertices (1..5 in each direction): a 3×3 tiling, 4 each.
    let mut w = config(&format!("{SQUARE}window = 2\n")).unwrap();
    assert_eq!(w.state_dim(), 36);
    let s = w.run(x.view()).unwrap();
    for row in s.rows() {
        for k in 0..9 {
            let sum: f64 = (0..4).map(|j| row[4 * k + j]).sum();
            assert!((sum - 1.0).abs() < 1e-12);
        }
    }
}

#[test]
fn spin_vortex_vertices_touching_a_vortex_are_not_counted() {
    // Wide vertical bars nucleate vortices near their switching field; vertices touching
    // one fall in no type, so the populations sum to the fraction of vortex-free vertices.
    let text = format!("{SQUARE}wide_bars = \"vertical\"\n");
    let mut r = config(&text).unwrap();
    let x = Array2::from_shape_fn((20, 1), |(t, _)| ((t as f64) * 0.7).sin());
    let s = r.run(x.view()).unwrap();
    let mut below = false;
    for row in s.rows() {
        let sum = row.sum();
        assert!((0.0..=1.0 + 1e-12).contains(&sum));
        below |= sum < 1.0 - 1e-12;
    }
    // Seeded and deterministic: this drive nucleates vortices in some steps.
    assert!(below, "a vortex must remove its vertices from the counts");
}

#[test]
fn bad_vertex_type_configs_are_clear_errors() {
    let kagome = SQUARE.replace("square-closed", "kagome");
    let e = config(&kagome).unwrap_err();
    assert!(
        e.to_string()
            .contains("\"square-closed\" or \"square-open\""),
        "{e}"
    );
    let tiny = SQUARE.replace("[6, 6]", "[1, 6]");
    assert!(config(&tiny).unwrap_err().to_string().contains("four bars"));
    let w = format!("{SQUARE}window = -1\n");
    assert!(config(&w).unwrap_err().to_string().contains("`window`"));
    let fmr = "geometry = \"square-closed\"\nh_max = 0.09\nreadout = \"fmr\"\nwindow = 2\n";
    assert!(
        config(fmr)
            .unwrap_err()
            .to_string()
            .contains("\"vertex-types\"")
    );
}

#[test]
fn bad_vertex_index_or_spin_length_is_a_typed_error() {
    let layout = Layout::square_closed(3, 3, 1.0).unwrap();
    let v = SquareVertices::new(&layout).unwrap();
    let spins = vec![1i8; layout.len()];
    let err = v.classify(v.len(), &spins).unwrap_err().to_string();
    assert!(err.contains("vertex"), "{err}");
    let err = v.classify(0, &spins[1..]).unwrap_err().to_string();
    assert!(err.contains("spins"), "{err}");
    let mut three = [0.0; 3];
    let err = v
        .populations_into(&spins, &mut three)
        .unwrap_err()
        .to_string();
    assert!(err.contains("(4,)"), "{err}");
}

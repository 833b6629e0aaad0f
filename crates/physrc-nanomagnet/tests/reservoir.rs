//! The spin-ice reservoir against the `Reservoir` contract and its documented behaviour.

use std::path::Path;

use ndarray::Array2;
use physrc_core::Reservoir;
use physrc_nanomagnet::{NanomagnetConfig, NanomagnetReservoir};

fn build(text: &str) -> NanomagnetReservoir {
    toml::from_str::<NanomagnetConfig>(text)
        .unwrap()
        .build(Path::new("."), 1)
        .unwrap()
}

/// 4×4 closed square ice with default astroid (hc 0.2, sw_b 0.41): along 45° the threshold
/// sits near 0.079 T, so amplitudes 0.07–0.09 T straddle it and drive minor loops.
const SQUARE: &str = "geometry = \"square-closed\"\nsize = [4, 4]\ndisorder = 0.05\n\
                      random_seed = 3\nh_min = 0.07\nh_max = 0.09\n";

#[test]
fn loop_reservoir_satisfies_the_contract() {
    physrc_core::contract::check(|| build(SQUARE));
}

#[test]
fn thermal_windows_reservoir_satisfies_the_contract() {
    let text = format!("{SQUARE}temperature = 300\nreadout = \"windows\"\nwindow = 2\n");
    physrc_core::contract::check(|| build(&text));
}

#[test]
fn every_encoder_satisfies_the_contract() {
    for extra in [
        "encoder = \"sine\"\ntimesteps = 8",
        "encoder = \"triangle\"\ntimesteps = 8",
        "encoder = \"rotate\"\ntimesteps = 8",
        "encoder = \"angle\"\nphi0 = 0\nphi1 = 180",
        "encoder = \"constant\"\nreadout = \"magnetization\"",
        "flip_mode = \"single\"",
    ] {
        let text = format!("{SQUARE}{extra}\n");
        physrc_core::contract::check(|| build(&text));
    }
}

/// The state depends on the input (a reservoir that ignores it is useless) and on the past
/// (fading memory from hysteresis): the same last input after different histories gives
/// different states.
#[test]
fn state_depends_on_input_and_history() {
    let mut r = build(SQUARE);
    let n = r.state_dim();
    assert_eq!(n, 40);
    let run = |r: &mut NanomagnetReservoir, seq: &[f64]| {
        r.reset().unwrap();
        let x = Array2::from_shape_vec((seq.len(), 1), seq.to_vec()).unwrap();
        r.run(x.view()).unwrap()
    };
    let a = run(&mut r, &[1.0, -1.0]);
    assert!(r.flips() > 0, "a 0.09 T loop must switch magnets");
    let b = run(&mut r, &[-1.0, -1.0]);
    // Strong loop (0.09 T) then weak: the weak one cannot undo what the strong one set.
    assert_ne!(a.row(1), b.row(1), "history must matter");
    let c = run(&mut r, &[1.0]);
    let d = run(&mut r, &[-1.0]);
    assert_ne!(c.row(0), d.row(0), "input must matter");
}

/// Energy is `2·moment·h_k` per switching event: with explicit moment and no disorder every
/// flip costs exactly `2·moment·hc`.
#[test]
fn energy_counts_switching_events() {
    let text = "geometry = \"square-closed\"\nsize = [4, 4]\nh_min = 0.07\nh_max = 0.09\n\
                moment = 1e-16\n";
    let mut r = build(text);
    let mut out = vec![0.0; r.state_dim()];
    for u in [1.0, -0.3, 0.8, 1.0, -1.0] {
        r.step(&[u], &mut out).unwrap();
    }
    let flips = r.flips();
    assert!(flips > 0);
    let want = flips as f64 * 2.0 * 1e-16 * 0.2;
    assert!((r.energy().unwrap() - want).abs() <= 1e-12 * want);
    r.reset().unwrap();
    assert_eq!(r.energy(), Some(0.0));
}

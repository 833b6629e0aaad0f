//! Trends of Zhong et al.'s Hénon prediction (Nat. Commun. 12, 408 (2021), Fig. 4) that the
//! `zhong2021_study` example of physrc-memristor measures in full (docs/physics/memristor.md).
//!
//! Each point is built as the example builds it: `configs/zhong2021-henon.toml` with the
//! substrate's `devices`, `virtual_nodes`, `v_min` and `v_max` replaced, run through
//! `physrc::experiment::run` (the code behind `physrc run`) with `--seed 0` to `--seed 4`.
//! The paper gives these dependences as figures without published numbers, so each test pins an
//! ordering with the margin the study measured, and names the panel or the physical reason it
//! rests on.

use std::path::Path;

use physrc::config::RunConfig;

mod common;
use common::{mean, per_seed};

/// Seeds 0–4: enough to average out the mask draw at these margins, and fast in the dev
/// profile (each run is about 200,000 device pulses).
const SEEDS: u64 = 5;

/// The committed config with the substrate's grid keys replaced.
fn point(m: usize, n: usize, v_min: f64, v_max: f64) -> RunConfig {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("configs/zhong2021-henon.toml");
    let text = std::fs::read_to_string(&path).expect("the committed config is readable");
    let mut table: toml::Table = text.parse().expect("the committed config is TOML");
    table.remove("expect");
    let sub = table
        .get_mut("substrate")
        .and_then(toml::Value::as_table_mut)
        .expect("a [substrate] table");
    sub.insert("devices".into(), toml::Value::Integer(n as i64));
    sub.insert("virtual_nodes".into(), toml::Value::Integer(m as i64));
    sub.insert("v_min".into(), toml::Value::Float(v_min));
    sub.insert("v_max".into(), toml::Value::Float(v_max));
    let origin = format!("zhong2021-henon M={m} N={n} [{v_min}, {v_max}] V");
    RunConfig::from_toml_str(&toml::to_string(&table).unwrap(), root, &origin)
        .unwrap_or_else(|e| panic!("{origin}: {e}"))
}

/// Mean test NRMSE over seeds 0–4, printed with the per-seed values.
fn nrmse(m: usize, n: usize, v_min: f64, v_max: f64) -> f64 {
    let cfg = point(m, n, v_min, v_max);
    mean(&cfg.origin, &per_seed(&cfg, "nrmse", SEEDS))
}

/// Zhong et al. 2021, Fig. 4b against Fig. 4c: return maps at the same 100 features and
/// V_min = −0.8 V, at M = 4 with V_max = 2.5 V (the setting of the paper's result, Fig. 4a)
/// and at M = 25 with V_max = 2.0 V. The first predicts better: measured 0.0134 against 0.0250
/// (seeds 0–4), so the margin asked for is 1.4×.
#[test]
fn fig4b_setting_beats_fig4c_setting() {
    let b = nrmse(4, 25, -0.8, 2.5);
    let c = nrmse(25, 4, -0.8, 2.0);
    assert!(1.4 * b < c, "M=4/2.5 V gives {b}, M=25/2.0 V gives {c}");
}

/// Zhong et al. 2021, Fig. 4d: at M·N = 100 the error depends on M through two limits. With
/// M = 1 the ±1 masks give only two distinct pulse trains, so the 100 identical noise-free
/// devices give two distinct responses (measured 0.271); with M = 100 one device forgets the
/// previous input within the step, because each pulse keeps only about r − s(V) ≈ 0.6–0.99 of
/// G (measured 0.150). In between, M = 4 (the paper's choice) and M = 10 are an order of
/// magnitude better (0.0134 and 0.0064). All measured over seeds 0–4.
#[test]
fn fig4d_mask_length_has_an_interior_optimum() {
    let m1 = nrmse(1, 100, -0.8, 2.5);
    let m4 = nrmse(4, 25, -0.8, 2.5);
    let m10 = nrmse(10, 10, -0.8, 2.5);
    let m100 = nrmse(100, 1, -0.8, 2.5);
    assert!(m1 > 0.2, "M = 1: {m1}");
    assert!(m100 > 0.1, "M = 100: {m100}");
    // The paper's hardware figure at M = 4 (Fig. 4a, 0.046): the noise-free model is below it.
    assert!(m4 < 0.046, "M = 4: {m4}");
    assert!(m10 < 0.01, "M = 10: {m10}");
}

/// Zhong et al. 2021, Fig. 4e plots the error against reservoir size at M = 4 (N varied); it
/// falls as devices are added, as for every reservoir in that panel. Measured 0.0895
/// with 5 devices (20 features) and 0.0134 with 25 (100 features), seeds 0–4; asked: a factor
/// of three.
#[test]
fn fig4e_error_falls_with_reservoir_size() {
    let small = nrmse(4, 5, -0.8, 2.5);
    let paper = nrmse(4, 25, -0.8, 2.5);
    assert!(small > 3.0 * paper, "N = 5: {small}, N = 25: {paper}");
}

/// Not a figure of the paper: its official MATLAB code runs the Hénon task in [0, 2.5] V, not
/// Fig. 4's [−0.8, 2.5] V. Negative pulses read almost nothing (Kn = 0.32 against Kp = 9.13
/// μA/V³) yet pull G towards 0, so the narrower window predicts better: measured 0.0049
/// against 0.0134 (seeds 0–4).
#[test]
fn official_code_window_beats_the_figure_window() {
    let figure = nrmse(4, 25, -0.8, 2.5);
    let code = nrmse(4, 25, 0.0, 2.5);
    assert!(
        2.0 * code < figure,
        "[0, 2.5] V: {code}, [-0.8, 2.5] V: {figure}"
    );
}

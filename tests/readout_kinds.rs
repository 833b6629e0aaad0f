//! The `[readout]` kinds and options of a run config, end to end on the reservoirpy fixture
//! (`tests/fixtures/reservoirpy-mg/`, a well-conditioned 200-unit ESN on Mackey–Glass).

use std::path::Path;

use physrc::config::RunConfig;
use physrc::experiment::{self, Series};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/reservoirpy-mg");

fn fixture_with_readout(readout: &str) -> RunConfig {
    let text = std::fs::read_to_string(Path::new(FIXTURE).join("config.toml")).unwrap();
    let head = &text[..text.find("[readout]").unwrap()];
    RunConfig::from_toml_str(&format!("{head}{readout}"), Path::new(FIXTURE), "test").unwrap()
}

fn predictions(cfg: &RunConfig) -> ndarray::Array2<f64> {
    match experiment::run(cfg).unwrap().predictions {
        Series::Values(p) => p,
        Series::Labels(_) => panic!("a regression readout predicts values"),
    }
}

#[test]
fn the_svd_solver_agrees_with_cholesky_on_a_well_conditioned_problem() {
    let chol = predictions(&fixture_with_readout(
        "[readout]\nkind = \"ridge\"\nalpha = 1e-6\n",
    ));
    let svd = predictions(&fixture_with_readout(
        "[readout]\nkind = \"ridge\"\nalpha = 1e-6\nsolver = \"svd\"\n",
    ));
    let max = chol
        .iter()
        .zip(svd.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    // Both solve the same ridge problem; only rounding differs.
    assert!(max < 1e-8, "max |Δ| = {max:e}");
}

#[test]
fn an_unknown_solver_is_named() {
    let text = std::fs::read_to_string(Path::new(FIXTURE).join("config.toml")).unwrap();
    let head = &text[..text.find("[readout]").unwrap()];
    let err = RunConfig::from_toml_str(
        &format!("{head}[readout]\nkind = \"ridge\"\nsolver = \"qr\"\n"),
        Path::new(FIXTURE),
        "test",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("qr") && err.contains("svd"), "{err}");
}

#[test]
fn ridge_cv_reports_the_chosen_alpha_and_scores_like_ridge() {
    let cfg = fixture_with_readout("[readout]\nkind = \"ridge-cv\"\ncv = \"gcv\"\n");
    let outcome = experiment::run(&cfg).unwrap();
    let alpha = outcome
        .report
        .readout
        .alpha_chosen
        .expect("ridge-cv reports its alpha");
    assert!(
        (1e-10..=1e2).contains(&alpha),
        "alpha {alpha} outside the default grid"
    );
    // The fixture's explicit alpha (1e-6) reaches NRMSE 4.12e-3; GCV must be in the same class.
    assert!(
        outcome.report.metrics["nrmse"] < 1e-2,
        "{:?}",
        outcome.report.metrics
    );
}

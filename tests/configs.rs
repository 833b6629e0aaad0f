//! Every run config in `configs/` gives the result its `[expect]` table states, measured by
//! the code behind `physrc run` (`RunConfig::from_path` and `physrc::experiment::run`, with
//! `--seed 0` to `--seed seeds − 1`). A config without an `[expect]` table fails: a committed
//! config is documentation, and documentation whose numbers nobody checks drifts.

use std::path::{Path, PathBuf};

use physrc::config::RunConfig;
use physrc::experiment;

mod common;

fn configs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("configs")
}

/// The run configs under `configs/`, sorted by path: every `.toml` file, in subfolders too,
/// except those of `configs/simulate/`, which are inputs of `physrc simulate nanomagnet` (a
/// bare field sequence with no task and so no metric; `tests/simulate_cli.rs` runs them).
fn committed_configs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                if path != configs_dir().join("simulate") {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path);
            }
        }
    }
    let mut v = Vec::new();
    walk(&configs_dir(), &mut v);
    v.sort();
    v
}

/// What is wrong with one config, or `None` when it meets its expectation.
fn check(path: &Path) -> Option<String> {
    let cfg = match RunConfig::from_path(path) {
        Ok(c) => c,
        Err(e) => return Some(e.to_string()),
    };
    let Some(exp) = &cfg.expect else {
        return Some(
            "no [expect] table: add the metric this config gives and its tolerance \
             (docs/config.md)"
                .to_owned(),
        );
    };
    let t0 = std::time::Instant::now();
    let values = match common::try_per_seed(&cfg, &exp.metric, exp.seeds) {
        Ok(v) => v,
        Err(e) => return Some(e),
    };
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    eprintln!(
        "{}: {} mean {mean:.6} over {} seeds (expected {} ± {}) in {:.1} s; {values:.6?}",
        path.display(),
        exp.metric,
        exp.seeds,
        exp.value,
        exp.tolerance,
        t0.elapsed().as_secs_f64()
    );
    (!exp.holds(mean)).then(|| {
        format!(
            "{} mean {mean} over {} seeds is outside {} ± {}; per seed {values:?}",
            exp.metric, exp.seeds, exp.value, exp.tolerance
        )
    })
}

#[test]
fn every_committed_config_gives_its_expected_result() {
    let configs = committed_configs();
    assert!(
        configs.len() >= 10,
        "configs/ holds {} configs; is the path right? {}",
        configs.len(),
        configs_dir().display()
    );
    let failures: Vec<String> = configs
        .iter()
        .filter_map(|p| check(p).map(|why| format!("{}: {why}", p.display())))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn parse(expect: &str) -> Result<RunConfig, String> {
    let text = format!(
        "[substrate]\nkind = \"esn\"\nunits = 10\n[task]\nkind = \"narma10\"\n\
         [split]\ntrain = 10\ntest = 10\n[expect]\n{expect}\n"
    );
    RunConfig::from_toml_str(&text, Path::new("."), "test").map_err(|e| e.to_string())
}

#[test]
fn an_expect_table_parses_with_one_seed_by_default_and_the_runner_ignores_it() {
    let cfg = parse("metric = \"nrmse\"\nvalue = 0.5\ntolerance = 0.1").unwrap();
    let exp = cfg.expect.clone().unwrap();
    assert_eq!(
        (exp.metric.as_str(), exp.value, exp.tolerance, exp.seeds),
        ("nrmse", 0.5, 0.1, 1)
    );
    assert!(exp.holds(0.4) && exp.holds(0.6) && !exp.holds(0.61) && !exp.holds(f64::NAN));
    // The expectation describes the run; it does not change it.
    let mut without = cfg.clone();
    without.expect = None;
    let a = experiment::run(&cfg).unwrap().report.metrics;
    let b = experiment::run(&without).unwrap().report.metrics;
    assert_eq!(a, b);
}

#[test]
fn a_bad_expect_table_is_an_error_naming_the_key() {
    let e = parse("metric = \"nrmse\"\nvalue = 0.5\ntolerance = 0.1\nseed = 3").unwrap_err();
    assert!(e.contains("seed"), "{e}");
    let e = parse("metric = \"nrmse\"\nvalue = 0.5").unwrap_err();
    assert!(e.contains("tolerance"), "{e}");
    let e = parse("metric = \"nrmse\"\nvalue = 0.5\ntolerance = -0.1").unwrap_err();
    assert!(e.contains("[expect] tolerance"), "{e}");
    let e = parse("metric = \"nrmse\"\nvalue = nan\ntolerance = 0.1").unwrap_err();
    assert!(e.contains("[expect] value"), "{e}");
    let e = parse("metric = \"nrmse\"\nvalue = 0.5\ntolerance = 0.1\nseeds = 0").unwrap_err();
    assert!(e.contains("[expect] seeds"), "{e}");
}

/// The nanomagnet configs build with the state dimension their readout implies: one spin per
/// magnet of 10 × 10 closed square ice ((10 + 1)·10 · 2 = 220), or 64 FMR frequency bins.
#[test]
fn nanomagnet_configs_have_their_readouts_state_dimension() {
    for (name, dim) in [
        ("nanomagnet-square-narma10.toml", 220),
        ("nanomagnet-square-transform.toml", 220),
        ("nanomagnet-square-fmr-transform.toml", 64),
        ("nanomagnet-svi-transform.toml", 64),
        ("nanomagnet-svi-narma10.toml", 64),
    ] {
        let cfg = RunConfig::from_path(&configs_dir().join(name)).unwrap();
        let r = physrc::substrate::build(cfg.substrate_kind().unwrap(), &cfg, 1).unwrap();
        assert_eq!(r.state_dim(), dim, "{name}");
    }
}

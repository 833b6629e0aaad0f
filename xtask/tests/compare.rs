//! `cargo xtask compare` runs every cell through the code behind `physrc run`: two cells of
//! the committed matrix, rerun here from their written configs, give the same metrics bit
//! for bit.

use std::path::Path;
use std::process::Command;

use physrc::config::RunConfig;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

#[test]
fn two_cells_equal_physrc_run_of_their_config_and_seed() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "compare",
            "--only",
            "esn/narma10,memristor/henon",
            "--seeds",
            "2",
            "--out",
        ])
        .arg(out.path())
        // Another directory of the checkout: the matrix file is found from the xtask itself.
        .current_dir(root().join("crates"))
        .status()
        .unwrap();
    assert!(status.success());
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("results.json")).unwrap())
            .unwrap();
    let cells = results["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2, "{cells:#?}");
    for cell in cells {
        assert!(cell["error"].is_null(), "{cell:#?}");
        // The config file written next to the report is the config the cell ran.
        let file = out.path().join(cell["config_file"].as_str().unwrap());
        let cfg = RunConfig::from_path(&file).unwrap();
        let seeds: Vec<u64> = cell["seeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_u64().unwrap())
            .collect();
        assert_eq!(seeds, [0, 1], "both substrates and tasks take the seed");
        for (i, &seed) in seeds.iter().enumerate() {
            let mut c = cfg.clone();
            c.set_seed(seed).unwrap();
            let report = physrc::experiment::run(&c).unwrap().report;
            let metrics = cell["metrics"].as_object().unwrap();
            assert_eq!(metrics.len(), report.metrics.len());
            for (k, v) in &report.metrics {
                let got = metrics[k]["values"][i].as_f64().unwrap();
                assert_eq!(
                    got.to_bits(),
                    v.to_bits(),
                    "{}: {k} seed {seed}",
                    cell["task"]
                );
            }
            assert_eq!(report.state_dim, 100, "sized to the matrix's features");
        }
    }
    // The other outputs are there.
    for f in ["results.csv", "index.html"] {
        assert!(out.path().join(f).is_file(), "{f}");
    }
}

#[test]
fn a_bad_filter_fails_before_anything_runs_and_names_the_known_cells() {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["compare", "--only", "esn/nosuch", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no task \"nosuch\"") && err.contains("narma10"),
        "{err}"
    );
    assert!(!out.path().join("results.json").exists());
}

#[test]
fn a_failing_cell_is_reported_and_the_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    // The linear network with spectral radius 3 passes every check (its first steps are
    // finite) but its states overflow to infinity over the run: it fails when it runs.
    let matrix = r#"
[matrix]
features = 20
seeds = 2
full_seeds = 2

[readout]
kind = "ridge-cv"

[[substrate]]
name = "esn"
label = "Echo-state network"
size = { key = "units" }
config = { kind = "esn", spectral_radius = 0.9, input_scaling = 0.5 }

[[substrate]]
name = "unstable"
label = "Linear network beyond the stability limit"
size = { key = "units" }
config = { kind = "esn", spectral_radius = 3.0, activation = "identity", input_scaling = 0.5 }

[[task]]
name = "narma10"
label = "NARMA10"
metric = "nrmse"
better = "lower"
config = { kind = "narma10" }
split = { washout = 50, train = 700, test = 100 }
"#;
    let path = dir.path().join("matrix.toml");
    std::fs::write(&path, matrix).unwrap();
    let out = dir.path().join("report");
    let o = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["compare", "--config"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("failed: unstable/narma10: seed 0:"),
        "{stdout}"
    );
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let cells = results["cells"].as_array().unwrap();
    let ok = cells.iter().find(|c| c["substrate"] == "esn").unwrap();
    assert!(ok["error"].is_null());
    assert_eq!(
        ok["metrics"]["nrmse"]["values"].as_array().unwrap().len(),
        2
    );
    let failed = cells.iter().find(|c| c["substrate"] == "unstable").unwrap();
    assert!(
        failed["error"].as_str().unwrap().contains("non-finite"),
        "{failed}"
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("Failed cells") && html.contains("unstable/narma10"),
        "the report names it"
    );
}

//! A trained setup is used again: `physrc run` saves it, `physrc predict` drives the same
//! substrate from reset on new inputs and applies it; and a run's output folder is checked
//! before the first step.

use std::path::Path;
use std::process::Command;

use ndarray::Array2;
use physrc::experiment::Series;

fn physrc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_physrc"))
}

/// Inputs in [0, 0.5] (so the run scales them) and a target three steps back.
fn write_data(dir: &Path) -> Array2<f64> {
    let u = Array2::from_shape_fn((1500, 1), |(t, _)| {
        0.25 + 0.25 * (0.37 * t as f64).sin() * (0.011 * t as f64).cos()
    });
    let y = Array2::from_shape_fn(
        (1500, 1),
        |(t, _)| if t >= 3 { 2.0 * u[[t - 3, 0]] } else { 0.0 },
    );
    let labels = ndarray::Array1::from_shape_fn(1500, |t| i64::from(u[[t, 0]] > 0.25));
    physrc::npy::write(&dir.join("u.npy"), &u).unwrap();
    physrc::npy::write(&dir.join("y.npy"), &y).unwrap();
    physrc::npy::write(&dir.join("labels.npy"), &labels).unwrap();
    u
}

fn config(dir: &Path, targets: &str, readout: &str) -> std::path::PathBuf {
    let p = dir.join(format!("{}.toml", targets.replace('.', "_")));
    std::fs::write(
        &p,
        format!(
            "[substrate]\nkind = \"esn\"\nunits = 40\nspectral_radius = 0.9\nseed = 4\n\
             [data]\ninputs = \"u.npy\"\ntargets = \"{targets}\"\n\
             [split]\nwashout = 100\ntrain = 1000\ntest = 400\n[readout]\n{readout}\n"
        ),
    )
    .unwrap();
    p
}

fn run(cfg: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    physrc()
        .arg("run")
        .arg(cfg)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn predict_on_the_runs_own_inputs_reproduces_its_test_predictions_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    for (targets, readout) in [
        (
            "y.npy",
            "kind = \"ridge-cv\"\nstandardize = true\nfeatures = \"state-squared\"",
        ),
        ("y.npy", "kind = \"ridge\"\nalpha = 1e-6"),
        ("labels.npy", "kind = \"classifier\"\nalpha = 1e-4"),
    ] {
        let cfg = config(dir.path(), targets, readout);
        let out = dir.path().join("run");
        let o = run(&cfg, &out, &["--force"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (series, report) = physrc::model::predict(&out, &dir.path().join("u.npy")).unwrap();
        assert_eq!(report.steps, 1500);
        match series {
            Series::Values(p) => {
                let ran: Array2<f64> = ndarray_npy::read_npy(out.join("predictions.npy")).unwrap();
                let tail = p.slice(ndarray::s![1100.., ..]);
                assert!(
                    tail.iter()
                        .zip(ran.iter())
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{readout}"
                );
            }
            Series::Labels(l) => {
                let ran: ndarray::Array1<i64> =
                    ndarray_npy::read_npy(out.join("predictions.npy")).unwrap();
                let tail: Vec<i64> = l.iter().skip(1100).map(|&c| c as i64).collect();
                assert_eq!(tail, ran.to_vec());
            }
        }
    }
}

#[test]
fn the_cli_predicts_into_a_folder_and_refuses_a_folder_without_a_setup() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let cfg = config(dir.path(), "y.npy", "kind = \"ridge\"");
    let out = dir.path().join("run");
    assert!(run(&cfg, &out, &[]).status.success());
    let pred = dir.path().join("pred");
    let o = physrc()
        .args(["predict"])
        .arg(&out)
        .arg("--inputs")
        .arg(dir.path().join("u.npy"))
        .arg("--out")
        .arg(&pred)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p: Array2<f64> = ndarray_npy::read_npy(pred.join("predictions.npy")).unwrap();
    assert_eq!(p.dim(), (1500, 1));
    assert!(pred.join("predict.json").is_file());

    let o = physrc()
        .args(["predict"])
        .arg(dir.path())
        .arg("--inputs")
        .arg(dir.path().join("u.npy"))
        .arg("--out")
        .arg(dir.path().join("pred2"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("holds no saved setup"), "{err}");
    assert!(
        !dir.path().join("pred2").exists(),
        "nothing is created for a wrong run folder"
    );
}

#[test]
fn an_output_folder_that_is_a_file_or_holds_another_run_fails_before_the_first_step() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    // A slow substrate: were the folder checked only at the end, this would take minutes.
    let slow = dir.path().join("slow.toml");
    std::fs::write(
        &slow,
        "[substrate]\nkind = \"esn\"\nunits = 40\nseed = 1\n[task]\nkind = \"narma10\"\n\
         [split]\nwashout = 0\ntrain = 5000000\ntest = 1000\n",
    )
    .unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let t = std::time::Instant::now();
    let o = run(&slow, &file, &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is a file, not a folder"), "{err}");

    let cfg = config(dir.path(), "y.npy", "kind = \"ridge\"");
    let out = dir.path().join("run");
    assert!(run(&cfg, &out, &[]).status.success());
    let before = std::fs::read(out.join("report.json")).unwrap();
    let o = run(&slow, &out, &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("holds the outputs of another run") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(out.join("report.json")).unwrap(),
        before,
        "left untouched"
    );
    assert!(
        t.elapsed().as_secs() < 20,
        "refused before driving 5 million steps"
    );

    // With --force the old outputs go first: a run without states leaves no old states.npy.
    std::fs::write(out.join("states.npy"), "old").unwrap();
    assert!(run(&cfg, &out, &["--force"]).status.success());
    assert!(!out.join("states.npy").exists());
    // An OS error is printed once.
    let o = run(&dir.path().join("missing.toml"), &dir.path().join("o"), &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

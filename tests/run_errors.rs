//! Bad input to `physrc run` gives a clear, typed error naming what was wrong — never a panic,
//! never silently wrong output.

use std::path::Path;

use ndarray::{Array1, Array2, Array3};
use ndarray_npy::write_npy;
use physrc::config::RunConfig;
use physrc::{ErrorKind, HasErrorKind, RunError};

/// Writes a small valid data set (T = 60, one input in [-1, 1], one target) into `dir`.
fn write_data(dir: &Path) {
    let u = Array2::from_shape_fn((60, 1), |(t, _)| ((t as f64) * 0.37).sin());
    let y = Array2::from_shape_fn((60, 1), |(t, _)| ((t as f64) * 0.37 + 0.37).sin());
    write_npy(dir.join("u.npy"), &u).unwrap();
    write_npy(dir.join("y.npy"), &y).unwrap();
}

fn config(body: &str) -> String {
    let base = r#"
[substrate]
kind = "esn"
units = 20
spectral_radius = 0.9
seed = 1
"#;
    format!("{base}{body}")
}

const DATA: &str = r#"
[data]
inputs = "u.npy"
targets = "y.npy"
normalize = false

[split]
washout = 10
train = 30
test = 20
"#;

fn run_in(dir: &Path, text: &str) -> Result<physrc::experiment::Outcome, RunError> {
    let cfg = RunConfig::from_toml_str(text, dir, "test.toml")?;
    physrc::experiment::run(&cfg)
}

#[test]
fn a_valid_config_runs() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let o = run_in(dir.path(), &config(DATA)).unwrap();
    assert!(o.report.metrics["nrmse"].is_finite());
}

#[test]
fn nan_input_is_rejected_naming_the_file_and_row() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let mut u = Array2::from_elem((60, 1), 0.1);
    u[[17, 0]] = f64::NAN;
    write_npy(dir.path().join("u.npy"), &u).unwrap();
    let e = run_in(dir.path(), &config(DATA)).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("u.npy") && msg.contains("row 17") && msg.contains("not finite"),
        "{msg}"
    );
}

#[test]
fn out_of_range_input_without_normalisation_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let mut u = Array2::from_elem((60, 1), 0.1);
    u[[5, 0]] = 1.5;
    write_npy(dir.path().join("u.npy"), &u).unwrap();
    let e = run_in(dir.path(), &config(DATA)).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("row 5") && msg.contains("outside [-1, 1]") && msg.contains("normalize"),
        "{msg}"
    );
}

#[test]
fn normalisation_scales_from_the_training_part_and_counts_clipping() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    // Values in [0, 10] before the test split; the test part reaches 20, beyond that range.
    let u = Array2::from_shape_fn(
        (60, 1),
        |(t, _)| if t < 40 { (t % 11) as f64 } else { 20.0 },
    );
    write_npy(dir.path().join("u.npy"), &u).unwrap();
    let text = config(&DATA.replace("normalize = false", "normalize = true"));
    let o = run_in(dir.path(), &text).unwrap();
    let n = o.report.normalization.unwrap();
    assert_eq!(n.min, vec![0.0]);
    assert_eq!(n.max, vec![10.0]);
    assert_eq!(n.clipped_values, 20);
}

#[test]
fn mismatched_lengths_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    write_npy(dir.path().join("y.npy"), &Array2::<f64>::zeros((59, 1))).unwrap();
    let e = run_in(dir.path(), &config(DATA)).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("60 rows") && msg.contains("59"), "{msg}");
}

#[test]
fn a_split_longer_than_the_data_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let e = run_in(dir.path(), &config(&DATA.replace("test = 20", "test = 21"))).unwrap_err();
    assert!(e.to_string().contains("61"), "{e}");
}

#[test]
fn wrong_input_dimension_for_explicit_matrices_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    write_npy(dir.path().join("W.npy"), &Array2::<f64>::eye(4)).unwrap();
    write_npy(dir.path().join("Win.npy"), &Array2::<f64>::ones((4, 2))).unwrap();
    let text = format!("[substrate]\nkind = \"esn\"\nw = \"W.npy\"\nwin = \"Win.npy\"\n{DATA}");
    let e = run_in(dir.path(), &text).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("Win") || msg.contains("win"), "{msg}");
    assert_eq!(e.kind(), ErrorKind::DimensionMismatch, "{msg}");
}

#[test]
fn unknown_keys_are_rejected_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    for (text, key) in [
        (config(DATA) + "\n[extra]\nx = 1\n", "extra"),
        (
            config(&DATA.replace("test = 20", "test = 20\ntets = 3")),
            "tets",
        ),
        (config(DATA).replace("units = 20", "unitz = 20"), "unitz"),
        (
            config(&DATA.replace("normalize = false", "normalise = false")),
            "normalise",
        ),
        (
            config(DATA) + "\n[readout]\nkind = \"ridge\"\nalpah = 1.0\n",
            "alpah",
        ),
    ] {
        let e = run_in(dir.path(), &text).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(key) && msg.contains("unknown"),
            "expected {key} in: {msg}"
        );
        assert_eq!(e.kind(), ErrorKind::InvalidParameter, "{msg}");
    }
    let text = "[substrate]\nkind = \"esn\"\n[task]\nkind = \"narma10\"\nsed = 3\n[split]\ntrain = 10\ntest = 10\n";
    let e = run_in(dir.path(), text).unwrap_err();
    assert!(e.to_string().contains("sed"), "{e}");
}

#[test]
fn unknown_substrate_kind_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let e = run_in(dir.path(), &config(DATA).replace("\"esn\"", "\"quantum\"")).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("quantum") && msg.contains("memristor"),
        "{msg}"
    );
}

#[test]
fn npy_of_the_wrong_shape_is_rejected_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    write_npy(dir.path().join("u.npy"), &Array3::<f64>::zeros((60, 1, 2))).unwrap();
    let e = run_in(dir.path(), &config(DATA)).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("u.npy") && msg.contains("[60, 1, 2]"), "{msg}");

    write_data(dir.path());
    write_npy(dir.path().join("W.npy"), &Array2::<f64>::zeros((4, 5))).unwrap();
    write_npy(dir.path().join("Win.npy"), &Array2::<f64>::ones((4, 1))).unwrap();
    write_npy(dir.path().join("bias.npy"), &Array1::<f64>::zeros(4)).unwrap();
    let text = format!(
        "[substrate]\nkind = \"esn\"\nw = \"W.npy\"\nwin = \"Win.npy\"\nbias = \"bias.npy\"\n{DATA}"
    );
    let e = run_in(dir.path(), &text).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("W.npy") && msg.contains('4') && msg.contains('5'),
        "{msg}"
    );
}

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let e = run_in(dir.path(), &config(DATA)).unwrap_err();
    assert!(e.to_string().contains("y.npy"), "{e}");
    assert_eq!(e.kind(), ErrorKind::Io);
}

#[test]
fn the_cli_reports_errors_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        config(DATA).replace("units = 20", "units = 20\nleak = 2"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_physrc"))
        .args(["run"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("leak"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A mistake in `[readout]` or `[task]` is reported when the config is loaded: a slow run
/// (five million steps here) never starts, and the message names the key.
#[test]
fn readout_and_task_mistakes_fail_before_the_first_step() {
    let head = "[substrate]\nkind = \"esn\"\nunits = 200\nseed = 1\n[split]\nwashout = 0\n\
                train = 5000000\ntest = 1000\n";
    for (rest, key) in [
        (
            "[task]\nkind = \"narma10\"\n[readout]\nkind = \"ridge-cv\"\ncv = \"gvc\"\n",
            "gvc",
        ),
        (
            "[task]\nkind = \"narma10\"\n[readout]\nkind = \"ridge\"\nalpha = -1.0\n",
            "alpha",
        ),
        (
            "[task]\nkind = \"narma10\"\n[readout]\nkind = \"ridge\"\nalhpa = 1.0\n",
            "alhpa",
        ),
        (
            "[task]\nkind = \"narma10\"\n[readout]\nkind = \"ridge-cv\"\ncv = \"kfold\"\nfolds = 1\n",
            "folds",
        ),
        (
            "[task]\nkind = \"narma10\"\n[readout]\nkind = \"ridge-cv\"\nalphas = []\n",
            "alphas",
        ),
        (
            "[task]\nkind = \"narma10\"\n[readout]\nkind = \"rls\"\nforgetting = 0.0\n",
            "forgetting",
        ),
        ("[task]\nkind = \"narma\"\norder = 0\n", "order"),
        (
            "[task]\nkind = \"ipc\"\nmax_delay = 201\n[readout]\nkind = \"ridge-cv\"\n",
            "max_delay",
        ),
        (
            "[task]\nkind = \"memory-capacity\"\nmax_delay = 0\n",
            "max_delay",
        ),
        (
            "[task]\nkind = \"memory-capacity\"\nnonlinearity = true\n",
            "nonlinearity",
        ),
        (
            "[task]\nkind = \"memory-capacity\"\n[task.mackey_glass]\nsample_interval = 2.0\n",
            "mackey_glass",
        ),
        (
            "[task]\nkind = \"memory-capacity\"\ninput = \"mackey-glass\"\n\
             [task.mackey_glass]\nsample_interval = 0.25\n",
            "sample_interval",
        ),
        (
            "[task]\nkind = \"memory-capacity\"\ninput = \"mackey_glass\"\n",
            "mackey_glass",
        ),
    ] {
        let t = std::time::Instant::now();
        let e = physrc::config::RunConfig::from_toml_str(
            &format!("{head}{rest}"),
            Path::new("."),
            "test.toml",
        )
        .and_then(|cfg| physrc::experiment::run(&cfg).map(|_| ()))
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(key), "{key}: {msg}");
        assert!(
            t.elapsed().as_secs_f64() < 5.0,
            "{key}: reported after {:?}",
            t.elapsed()
        );
    }
}

/// Type mistakes are reported in the words of the file, with their line, by `physrc run` and
/// `physrc simulate` alike.
#[test]
fn type_mistakes_name_the_line_in_plain_words() {
    let e = physrc::config::RunConfig::from_toml_str(
        "[substrate]\nkind = \"esn\"\nunits = 10\n[task]\nkind = \"narma10\"\n[split]\ntrain = -10\ntest = 10\n",
        Path::new("."),
        "test.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("expected a whole number >= 0") && e.contains("(line 7)"),
        "{e}"
    );
    assert!(!e.contains("usize"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim.toml");
    std::fs::write(
        &sim,
        "geometry = \"square-closed\"\nsize = [4, -4]\nh_ext = \"f.npy\"\n",
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_physrc"))
        .args(["simulate", "nanomagnet"])
        .arg(&sim)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("whole number >= 0") && err.contains("(line 2)"),
        "{err}"
    );
}

/// `--seed` says so when nothing takes it, and a seed a config cannot hold is an error rather
/// than silently clamped.
#[test]
fn seeds_that_change_nothing_are_named_and_out_of_range_seeds_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path());
    let states = Array2::from_shape_fn((60, 3), |(t, j)| ((t * (j + 1)) as f64 * 0.1).cos());
    write_npy(dir.path().join("states.npy"), &states).unwrap();
    let cfg = dir.path().join("recorded.toml");
    std::fs::write(
        &cfg,
        format!("[substrate]\nkind = \"recorded\"\nstates = \"states.npy\"\n{DATA}"),
    )
    .unwrap();
    let run = |seed: &str, out: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_physrc"))
            .arg("run")
            .arg(&cfg)
            .args(["--seed", seed, "--out"])
            .arg(dir.path().join(out))
            .output()
            .unwrap()
    };
    let o = run("3", "a");
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--seed 3 changes nothing"), "{err}");

    let o = run("9223372036854775808", "b");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("above the largest seed"), "{err}");

    let mut c = RunConfig::from_toml_str(&config(DATA), dir.path(), "t").unwrap();
    let used = c.set_seed(7).unwrap();
    assert!(
        used.substrate && !used.task,
        "an ESN on data files: only the substrate"
    );
    assert_eq!(c.substrate["seed"].as_integer(), Some(7));

    // The memory capacity's uniform input is seeded; its Mackey–Glass input is not.
    for (input, seeded) in [("uniform", true), ("mackey-glass", false)] {
        let text = format!(
            "[substrate]\nkind = \"esn\"\nunits = 10\n[task]\nkind = \"memory-capacity\"\n\
             input = \"{input}\"\n[split]\ntrain = 40\ntest = 10\n"
        );
        let mut c = RunConfig::from_toml_str(&text, dir.path(), "t").unwrap();
        assert_eq!(c.set_seed(7).unwrap().task, seeded, "{input}");
    }
}

/// A run of 3 million ESN steps: seconds, far longer than the tests below wait.
const LONG_RUN: &str = r#"
[substrate]
kind = "esn"
units = 50
seed = 0

[task]
kind = "narma10"

[split]
washout = 0
train = 2899968
test = 100000

[readout]
kind = "ridge"
"#;

#[test]
fn a_run_cancelled_before_it_starts_drives_nothing() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let dir = tempfile::tempdir().unwrap();
    let cfg = RunConfig::from_toml_str(LONG_RUN, dir.path(), "long.toml").unwrap();
    let opts = physrc::experiment::RunOptions {
        cancel: Some(Arc::new(AtomicBool::new(true))),
        ..Default::default()
    };
    let e = physrc::experiment::run_with(&cfg, &opts).unwrap_err();
    assert!(matches!(e, RunError::Cancelled { steps: 0 }), "{e:?}");
    assert_eq!(e.to_string(), "the run was cancelled after 0 steps");
}

#[test]
fn a_run_cancelled_from_another_thread_stops_at_the_next_block() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let cfg = RunConfig::from_toml_str(LONG_RUN, dir.path(), "long.toml").unwrap();
    // The flag is set after a pause; on a loaded machine the run may still be generating its
    // three million NARMA samples then, and stop correctly before its first block (a longer
    // pause is tried next); a fast machine in a release build may finish a run before the 3 s
    // pause. Only a run that no pause stops part-way fails.
    for pause_ms in [300, 1_000, 3_000] {
        let cancel = Arc::new(AtomicBool::new(false));
        let opts = physrc::experiment::RunOptions {
            cancel: Some(Arc::clone(&cancel)),
            ..Default::default()
        };
        let flag = Arc::clone(&cancel);
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(pause_ms));
            flag.store(true, Ordering::Relaxed);
            Instant::now()
        });
        let result = physrc::experiment::run_with(&cfg, &opts);
        let stopped = Instant::now();
        let set = canceller.join().unwrap();
        let Err(e) = result else {
            eprintln!("the run finished within {pause_ms} ms, before the flag");
            continue;
        };
        let RunError::Cancelled { steps } = e else {
            panic!("expected a cancellation, got {e:?}")
        };
        if steps == 0 {
            eprintln!("cancelled after {pause_ms} ms, before the first block");
            continue;
        }
        // It stopped part-way, on a block boundary (the training part is a whole number of
        // blocks, so the test part's blocks fall on the same grid), and soon after the flag
        // was set.
        assert!(steps < 3_000_000, "{steps}");
        assert_eq!(steps % 1024, 0, "{steps}");
        assert!(stopped.duration_since(set) < Duration::from_secs(2));
        return;
    }
    panic!("no flag landed inside the run, at 0.3, 1 or 3 s");
}

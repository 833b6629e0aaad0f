//! `[substrate] kind = "recorded"` through the runner, on states whose answer is known in
//! advance: states that hold the target linearly are read out exactly, states that do not
//! hold it are not, and a delay line recorded as states has exactly the memory capacity of
//! its taps.

use std::path::Path;

use ndarray::{Array1, Array2, array};
use ndarray_npy::write_npy;
use physrc::config::RunConfig;
use physrc::experiment;
use physrc::tasks::TaskSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ROWS: usize = 600;

fn run(dir: &Path, text: &str) -> experiment::Outcome {
    std::fs::write(dir.join("run.toml"), text).unwrap();
    let cfg = RunConfig::from_path(&dir.join("run.toml")).unwrap();
    experiment::run(&cfg).unwrap()
}

/// `ROWS × n` states drawn uniformly from [−1, 1].
fn noise(n: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((ROWS, n), |_| rng.random_range(-1.0..1.0))
}

const REGRESSION: &str = r#"
[substrate]
kind = "recorded"
states = "states.npy"

[data]
targets = "targets.npy"

[split]
washout = 50
train = 350
test = 200

[readout]
kind = "ridge"
alpha = 1e-12
"#;

/// A target that is an affine function of the recorded states is predicted to rounding: the
/// readout fits the weights and, by centring, the offset.
#[test]
fn recorded_states_that_hold_the_target_linearly_predict_it_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let x = noise(4, 1);
    let w = array![[0.5, -1.0], [2.0, 0.25], [-0.75, 0.0], [0.1, 3.0]];
    let y = x.dot(&w) + &array![3.0, -2.0];
    write_npy(dir.path().join("states.npy"), &x).unwrap();
    write_npy(dir.path().join("targets.npy"), &y).unwrap();
    let out = run(dir.path(), REGRESSION);
    let m = &out.report.metrics;
    assert!(m["nrmse"] < 1e-9, "{m:?}");
    assert_eq!(out.report.state_dim, 4);
    assert_eq!(out.report.substrate.name, "recorded");
    // No substrate was driven, so no inputs were scaled.
    assert!(out.report.normalization.is_none());
}

/// Recorded states independent of the target carry nothing a readout could use: the test
/// NRMSE is that of predicting the mean, about 1.
#[test]
fn recorded_states_independent_of_the_target_predict_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let x = noise(4, 2);
    let y: Array1<f64> = noise(1, 3).column(0).to_owned();
    write_npy(dir.path().join("states.npy"), &x).unwrap();
    write_npy(dir.path().join("targets.npy"), &y).unwrap();
    let m = run(dir.path(), REGRESSION).report.metrics;
    // Four useless weights fitted on 350 rows add about 4 / 350 to the NMSE.
    assert!((0.95..1.1).contains(&m["nrmse"]), "{m:?}");
}

/// A tapped delay line u(t), u(t − 1), …, u(t − 9), recorded as ten states, remembers each of
/// the last nine inputs exactly and nothing older: its memory capacity (Jaeger 2001, delays
/// k ≥ 1) is 9, and 10 with the current input. The runner scores delays up to
/// min(2 · 10, train / 4) = 20.
#[test]
fn a_recorded_delay_line_has_the_memory_capacity_of_its_taps() {
    let (washout, train, test) = (20, 2000, 1000);
    let total = washout + train + test;
    let task = "kind = \"memory-capacity\"\nseed = 5";
    // The states are recorded from the very input stream the runner generates for the task.
    let spec: TaskSpec = toml::from_str(task).unwrap();
    let u = spec.generate(total).unwrap().inputs.column(0).to_owned();
    let taps = 10;
    let x = Array2::from_shape_fn((total, taps), |(t, k)| if t >= k { u[t - k] } else { 0.0 });
    let dir = tempfile::tempdir().unwrap();
    write_npy(dir.path().join("states.npy"), &x).unwrap();
    let out = run(
        dir.path(),
        &format!(
            "[substrate]\nkind = \"recorded\"\nstates = \"states.npy\"\n[task]\n{task}\n\
             [split]\nwashout = {washout}\ntrain = {train}\ntest = {test}\n\
             [readout]\nkind = \"ridge\"\nalpha = 1e-10\n"
        ),
    );
    let m = &out.report.metrics;
    assert_eq!(m["memory_capacity_max_delay"], 20.0, "{m:?}");
    assert!((m["memory_capacity"] - 9.0).abs() < 1e-6, "{m:?}");
    assert!(
        (m["memory_capacity_with_delay_0"] - 10.0).abs() < 1e-6,
        "{m:?}"
    );
    let per = out
        .report
        .capacity
        .as_ref()
        .and_then(|c| c.memory_per_delay.clone())
        .expect("the memory-capacity task reports its curve");
    assert_eq!(per.len(), 21);
    for (k, &c) in per.iter().enumerate() {
        // Delays beyond the taps are independent of the states; their chance r² of about
        // 1 / 1000 falls under the 0.01 threshold and counts as 0.
        let want = if k < taps { 1.0 } else { 0.0 };
        assert!((c - want).abs() < 1e-6, "delay {k}: {c}; {per:?}");
    }
}

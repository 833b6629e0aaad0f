//! The task-independent measures of `physrc run` — kernel quality and generalisation rank,
//! memory and information processing capacity — and the readouts the substrate comparison relies on
//! (ridge-cv on class labels, the symbol error rate), on small echo-state networks whose
//! behaviour is known in advance.

use std::path::Path;

use physrc::config::RunConfig;
use physrc::experiment;

fn config(substrate: &str, task: &str, rest: &str) -> RunConfig {
    let text = format!("[substrate]\n{substrate}\n[task]\n{task}\n{rest}");
    RunConfig::from_toml_str(&text, Path::new("."), "test").unwrap()
}

const ESN: &str =
    "kind = \"esn\"\nunits = 30\nconnectivity = 0.3\ninput_connectivity = 1.0\nseed = 3";

fn metrics(cfg: &RunConfig) -> std::collections::BTreeMap<String, f64> {
    experiment::run(cfg).unwrap().report.metrics
}

#[test]
fn kernel_quality_grows_with_memory_and_only_a_chaotic_network_keeps_the_distant_past() {
    let task = "kind = \"kernel-rank\"\nstreams = 40\nsteps = 60\nshared = 55";
    let esn = |rho: f64| format!("{ESN}\ninput_scaling = 0.5\nspectral_radius = {rho}");
    let short = metrics(&config(&esn(0.5), task, ""));
    let long = metrics(&config(&esn(0.9), task, ""));
    // The last state weighs input k steps back by about rho^k, so directions above 1 % of
    // the largest reach about ln 0.01 / ln rho steps back: some 7 inputs at 0.5, dozens at
    // 0.9, where 40 streams separate into more than half of the 30 units' directions.
    assert!(short["kernel_quality"] <= 10.0, "{short:?}");
    assert!(long["kernel_quality"] >= 15.0, "{long:?}");
    assert!(
        long["kernel_quality"] >= short["kernel_quality"] + 8.0,
        "{short:?} {long:?}"
    );
    assert_eq!(long["rank_streams"], 40.0);
    // After 55 shared inputs the first 5 are forgotten (0.9^55 < 0.01): nothing to separate.
    assert_eq!(long["generalisation_rank"], 0.0, "{long:?}");
    assert_eq!(short["generalisation_rank"], 0.0, "{short:?}");

    let chaotic = metrics(&config(&esn(3.0), task, ""));
    // Far beyond the edge of chaos the distant past is never forgotten.
    assert!(chaotic["generalisation_rank"] >= 10.0, "{chaotic:?}");
}

#[test]
fn kernel_rank_takes_no_split_and_every_other_task_needs_one() {
    let e = RunConfig::from_toml_str(
        &format!(
            "[substrate]\n{ESN}\n[task]\nkind = \"kernel-rank\"\n[split]\ntrain = 10\ntest = 10\n"
        ),
        Path::new("."),
        "test",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("[split] does not apply"), "{e}");
    let e = RunConfig::from_toml_str(
        &format!("[substrate]\n{ESN}\n[task]\nkind = \"narma10\"\n"),
        Path::new("."),
        "test",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("missing the [split] section"), "{e}");
}

#[test]
fn a_linear_network_has_only_linear_capacity_and_tanh_adds_odd_degrees() {
    let split = "[split]\nwashout = 100\ntrain = 3000\ntest = 1500\n[readout]\nkind = \"ridge-cv\"";
    let task = "kind = \"ipc\"\nmax_degree = 3\nmax_delay = 10";
    let linear = metrics(&config(
        &format!("{ESN}\ninput_scaling = 0.5\nspectral_radius = 0.8\nactivation = \"identity\""),
        task,
        split,
    ));
    // A linear system is a linear filter of its input: all its capacity is of degree 1
    // (Dambre et al. 2012), and at most one per state component.
    assert!(linear["ipc_degree_1"] > 5.0, "{linear:?}");
    assert!(linear["ipc_degree_2"] < 0.05, "{linear:?}");
    assert!(linear["ipc_degree_3"] < 0.05, "{linear:?}");
    assert!(linear["ipc_total"] <= 30.5, "{linear:?}");

    let tanh = metrics(&config(
        &format!("{ESN}\nspectral_radius = 0.8\ninput_scaling = 1.0"),
        task,
        split,
    ));
    // tanh without a bias is odd: cubic terms appear, even ones cannot.
    assert!(tanh["ipc_degree_3"] > 0.5, "{tanh:?}");
    assert!(tanh["ipc_degree_2"] < 0.05, "{tanh:?}");
    assert!(tanh["ipc_total"] <= 30.5, "{tanh:?}");
}

#[test]
fn ridge_cv_classifies_labels_and_the_channel_symbol_is_scored_by_its_error_rate() {
    let split = "[split]\nwashout = 100\ntrain = 2000\ntest = 1000\n[readout]\nkind = \"ridge-cv\"";
    let o = experiment::run(&config(
        &format!("{ESN}\ninput_scaling = 0.5\nspectral_radius = 0.9"),
        "kind = \"sine-square\"",
        split,
    ))
    .unwrap();
    assert!(o.report.readout.alpha_chosen.is_some());
    assert!(o.report.metrics["accuracy"] > 0.9, "{:?}", o.report.metrics);
    assert!(matches!(o.predictions, experiment::Series::Labels(_)));

    let m = metrics(&config(
        &format!("{ESN}\ninput_scaling = 0.5\nspectral_radius = 0.9"),
        "kind = \"channel-equalization\"\ntarget = \"symbol\"\nsnr_db = 28",
        split,
    ));
    // Jaeger & Haas (2004) reach symbol error rates of 1e-4 with 46 units at 28 dB and far
    // longer training; 30 units and 2,000 steps still get most symbols right.
    assert!(m["symbol_error_rate"] < 0.05, "{m:?}");
}

/// Memory capacity on the Mackey–Glass input over the delays a config asks for: a network
/// without memory still recalls what the series' autocorrelation gives away, and one with
/// memory recalls every delay.
#[test]
fn memory_capacity_on_a_correlated_input_counts_its_autocorrelation() {
    let task = "kind = \"memory-capacity\"\ninput = \"mackey-glass\"\nmax_delay = 8\n\
                nonlinearity = true\n[task.mackey_glass]\nsample_interval = 2.0";
    let split = "[split]\nwashout = 20\ntrain = 180\ntest = 50\n[readout]\nkind = \"ridge\"\n\
                 alpha = 1e-8";
    // A spectral radius of 1e-9 leaves each unit a function of the current input alone.
    let esn = |rho: f64| {
        format!("{ESN}\ninput_scaling = 0.25\nbias_scaling = 0.25\nspectral_radius = {rho}")
    };
    let run = |rho: f64| {
        experiment::run(&config(&esn(rho), task, split))
            .unwrap()
            .report
    };
    let memoryless = run(1e-9);
    let recurrent = run(0.9);
    assert_eq!(memoryless.metrics["memory_capacity_max_delay"], 8.0);
    let per_delay = |r: &physrc::experiment::Report| {
        r.capacity
            .as_ref()
            .unwrap()
            .memory_per_delay
            .clone()
            .unwrap()
    };
    let m = per_delay(&memoryless);
    assert_eq!(m.len(), 9);
    // Two time units a sample, a quarter of the series' quasi-period (about 50) is about six
    // samples: the memoryless terms fall from near 1 to near 0 there and rise again after.
    assert!(m[1] > 0.8 && m[6] < 0.15 && m[8] > m[6], "{m:?}");
    let mc = memoryless.metrics["memory_capacity"];
    assert!((2.0..=3.5).contains(&mc), "memoryless {mc}");
    let full = recurrent.metrics["memory_capacity"];
    assert!(full > 7.5, "recurrent {full} (memoryless {mc})");
    // Units of tanh kept in their near-linear range are almost linear filters of the recent
    // input: little nonlinearity either way.
    for r in [&memoryless, &recurrent] {
        let nl = r.metrics["nonlinearity"];
        assert!((0.0..0.1).contains(&nl), "nonlinearity {nl}");
    }
}

/// A capacity task whose training part is too short for its delays fails when the config is
/// loaded, naming both.
#[test]
fn memory_capacity_delays_beyond_the_training_part_are_refused() {
    let e = RunConfig::from_toml_str(
        &format!(
            "[substrate]\n{ESN}\n[task]\nkind = \"memory-capacity\"\nmax_delay = 50\n\
             [split]\nwashout = 0\ntrain = 40\ntest = 10\n"
        ),
        Path::new("."),
        "test",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("train = 40") && e.contains("max_delay = 50"),
        "{e}"
    );
}

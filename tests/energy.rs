//! The energy breakdown of `report.json`: every substrate reports each part with its model,
//! finite and non-negative; the ESN's computation scales with its stored weights; the drive
//! models follow their equations; `[energy]` keys are checked when the config is loaded.

use std::path::Path;

use physrc::config::RunConfig;
use physrc::energy::{Coil, EnergyBreakdown, EnergyPart};
use physrc::experiment;
use serde_json::Value;

const TASK: &str = "[task]\nkind = \"narma10\"\n[split]\nwashout = 20\ntrain = 200\ntest = 80\n";

fn config_in(dir: &Path, substrate: &str, rest: &str) -> RunConfig {
    let text = format!("[substrate]\n{substrate}\n{rest}");
    RunConfig::from_toml_str(&text, dir, "test").unwrap()
}

fn config(substrate: &str, rest: &str) -> RunConfig {
    config_in(Path::new("."), substrate, rest)
}

fn breakdown(cfg: &RunConfig) -> EnergyBreakdown {
    experiment::run(cfg)
        .unwrap()
        .report
        .energy_breakdown
        .expect("a task run has a breakdown")
}

const SUBSTRATES: &[(&str, &str)] = &[
    ("esn", "kind = \"esn\"\nunits = 40\nseed = 1"),
    (
        "memristor",
        "kind = \"memristor\"\nmodel = \"zhong2021\"\ndevices = 5\nvirtual_nodes = 4\n\
         v_min = -0.8\nv_max = 2.5",
    ),
    (
        "stno",
        "kind = \"oscillator\"\nmodel = \"stno\"\nvirtual_nodes = 20\ntheta_ns = 20.0\n\
         substeps = 10\ni_bias_ma = 6.0\ndelta_i_ma = 2.5\ni_max_ma = 12.5",
    ),
    (
        "delay",
        "kind = \"oscillator\"\nmodel = \"delay\"\nnodes = 20\ntheta = 0.2\neta = 0.4\n\
         gamma = 0.05\np = 1",
    ),
    (
        "stuart-landau",
        "kind = \"oscillator\"\nmodel = \"stuart-landau\"\noscillators = 10\nreadout = \"re-im\"",
    ),
    (
        "nanomagnet",
        "kind = \"nanomagnet\"\ngeometry = \"square-open\"\nsize = [3, 3]\ndisorder = 0.05\n\
         encoder = \"loop\"\nh_min = 0.076\nh_max = 0.086\nphi = 45",
    ),
    (
        "rig",
        "kind = \"rig\"\nport = \"emulator\"\nsettle = 0.0\nencoder = \"loop\"\nh_min = 0.076\n\
         h_max = 0.086\nphi = 45\n[substrate.emulator]\ngeometry = \"square-open\"\n\
         size = [3, 3]\ndisorder = 0.05",
    ),
];

fn check_part(name: &str, part: &EnergyPart, what: &str) {
    assert!(!part.model.is_empty(), "{name} {what}: no model name");
    for v in [part.joules, part.joules_per_step] {
        assert!(v.is_finite() && v >= 0.0, "{name} {what}: {part:?}");
    }
    if !part.modelled {
        assert_eq!(part.joules, 0.0, "{name} {what}");
        assert!(part.model.starts_with("none") || part.model.starts_with("left out"));
    }
}

fn check(name: &str, b: &EnergyBreakdown) {
    for (what, part) in [
        ("substrate", &b.substrate),
        ("drive", &b.drive),
        ("readout_per_step", &b.readout_per_step),
        ("training", &b.training),
        ("total_per_step", &b.total_per_step),
    ] {
        check_part(name, part, what);
    }
    assert_eq!(b.platform, "horowitz-45nm");
    assert_eq!(b.steps, 300);
    // The readout and its training run on conventional hardware for every substrate.
    assert!(b.readout_per_step.modelled && b.readout_per_step.joules_per_step > 0.0);
    assert!(b.training.modelled && b.training.joules > 0.0);
    let sum =
        b.substrate.joules_per_step + b.drive.joules_per_step + b.readout_per_step.joules_per_step;
    assert!(
        (b.total_per_step.joules_per_step - sum).abs() <= 1e-12 * sum,
        "{name}"
    );
}

#[test]
fn every_substrate_reports_every_part_with_its_model() {
    for (name, substrate) in SUBSTRATES {
        let b = breakdown(&config(substrate, TASK));
        check(name, &b);
        let modelled = |p: &EnergyPart| p.modelled;
        match *name {
            "esn" => {
                assert!(modelled(&b.substrate) && b.substrate.model.contains("esn"));
                assert!(!modelled(&b.drive));
            }
            "memristor" | "stno" | "nanomagnet" => {
                assert!(modelled(&b.substrate), "{name}: {:?}", b.substrate);
                assert!(modelled(&b.drive), "{name}: {:?}", b.drive);
                assert!(b.drive.joules > 0.0, "{name}");
            }
            "rig" => assert!(modelled(&b.drive) && b.drive.model.contains("coils")),
            _ => assert!(!modelled(&b.substrate) && !modelled(&b.drive), "{name}"),
        }
    }
}

#[test]
fn recorded_states_say_they_carry_no_substrate_energy() {
    let dir = tempfile::tempdir().unwrap();
    let t = 300;
    let states = ndarray::Array2::from_shape_fn((t, 4), |(i, j)| ((i * (j + 1)) as f64).sin());
    let targets = ndarray::Array2::from_shape_fn((t, 1), |(i, _)| (i as f64 * 0.1).cos());
    ndarray_npy::write_npy(dir.path().join("states.npy"), &states).unwrap();
    ndarray_npy::write_npy(dir.path().join("targets.npy"), &targets).unwrap();
    let cfg = config_in(
        dir.path(),
        "kind = \"recorded\"\nstates = \"states.npy\"",
        "[data]\ntargets = \"targets.npy\"\n[split]\nwashout = 20\ntrain = 200\ntest = 80\n",
    );
    let b = breakdown(&cfg);
    check("recorded", &b);
    assert!(!b.substrate.modelled);
    assert!(
        b.substrate
            .model
            .contains("recorded states carry no substrate energy")
    );
    assert!(
        b.total_per_step
            .model
            .ends_with("without a model for: substrate, drive"),
        "{:?}",
        b.total_per_step
    );
}

#[test]
fn report_json_holds_the_breakdown() {
    let out = experiment::run(&config(SUBSTRATES[0].1, TASK)).unwrap();
    let v: Value = serde_json::to_value(&out.report).unwrap();
    let b = &v["energy_breakdown"];
    for part in [
        "substrate",
        "drive",
        "readout_per_step",
        "training",
        "total_per_step",
    ] {
        assert!(b[part]["model"].is_string(), "{part}: {b}");
        assert!(
            b[part]["joules_per_step"].as_f64().unwrap() >= 0.0,
            "{part}"
        );
    }
    // The ESN's own estimate is no longer missing.
    assert!(v["energy"]["joules_per_step"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_esn_computation_scales_with_its_nonzero_weights() {
    let esn = |c: f64| format!("kind = \"esn\"\nunits = 200\nconnectivity = {c}\nseed = 1");
    let sparse = breakdown(&config(&esn(0.05), TASK));
    let denser = breakdown(&config(&esn(0.2), TASK));
    let (a, b) = (
        sparse.substrate.joules_per_step,
        denser.substrate.joules_per_step,
    );
    // Four times the nonzeros: more than twice the energy (the per-unit work is shared).
    assert!(b > 2.0 * a, "{a} {b}");
    // The readout is the same size for both.
    assert_eq!(
        sparse.readout_per_step.joules_per_step,
        denser.readout_per_step.joules_per_step
    );
}

#[test]
fn the_platform_changes_the_price_not_the_counts() {
    let sub = SUBSTRATES[0].1;
    let h = breakdown(&config(sub, TASK));
    let m = breakdown(&config(
        sub,
        &format!("{TASK}[energy]\nplatform = \"apollo3-m4f\"\n"),
    ));
    assert_eq!(m.platform, "apollo3-m4f");
    assert_eq!(h.readout_per_step.operations, m.readout_per_step.operations);
    assert_ne!(
        h.readout_per_step.joules_per_step,
        m.readout_per_step.joules_per_step
    );
    assert!(m.substrate.model.contains("apollo3-m4f"));
    assert!(m.substrate.joules > 0.0);
}

#[test]
fn drive_can_be_left_out_and_the_intrinsic_figure_stays() {
    let sub = SUBSTRATES[5].1;
    let with = breakdown(&config(sub, TASK));
    let without = breakdown(&config(sub, &format!("{TASK}[energy]\ndrive = false\n")));
    assert_eq!(with.substrate, without.substrate);
    assert!(!without.drive.modelled);
    assert!(without.total_per_step.joules_per_step < with.total_per_step.joules_per_step);
}

#[test]
fn coil_energy_follows_i_squared_r_and_the_stored_field_energy() {
    // A loop encoder at a constant input holds +H then -H along 45 degrees: per step, two set
    // points of I^2 R dwell on each axis, and every set point reverses both currents, so each
    // raises L I^2 / 2 from zero.
    let sub = "kind = \"nanomagnet\"\ngeometry = \"square-open\"\nsize = [2, 2]\nencoder = \"loop\"\n\
               h_min = 0.0\nh_max = 0.02\nphi = 45";
    let dir = tempfile::tempdir().unwrap();
    let t = 60;
    let inputs = ndarray::Array2::<f64>::from_elem((t, 1), 1.0);
    let targets = ndarray::Array2::from_shape_fn((t, 1), |(i, _)| i as f64);
    ndarray_npy::write_npy(dir.path().join("u.npy"), &inputs).unwrap();
    ndarray_npy::write_npy(dir.path().join("y.npy"), &targets).unwrap();
    let rest = "[data]\ninputs = \"u.npy\"\ntargets = \"y.npy\"\nnormalize = false\n\
                [split]\nwashout = 0\ntrain = 40\ntest = 20\n\
                [energy]\ncoil_field_per_amp = 0.001\ncoil_resistance = 2.0\n\
                coil_inductance = 0.01\ndwell = 0.5\n";
    let b = breakdown(&config_in(dir.path(), sub, rest));
    let i = 0.02 * std::f64::consts::FRAC_1_SQRT_2 / 0.001; // 14.1 A per axis
    let hold = 2.0 * 2.0 * i * i * 2.0 * 0.5;
    let raise = 2.0 * 2.0 * 0.5 * 0.01 * i * i;
    let want = hold + raise;
    let got = b.drive.joules_per_step;
    assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
}

#[test]
fn the_named_coil_has_its_textbook_constants() {
    let c = Coil::helmholtz("test", 0.05, 100, 1.0e-3);
    // (4/5)^(3/2) mu0 N / R = 1.798 mT/A.
    assert!((c.field_per_amp - 1.798e-3).abs() < 1e-6, "{c:?}");
    // 62.8 m of 1 mm copper: 1.38 ohm.
    assert!((c.resistance - 1.379).abs() < 0.01, "{c:?}");
    assert!(c.inductance > 2e-3 && c.inductance < 5e-3, "{c:?}");
}

#[test]
fn energy_keys_are_checked_when_the_config_is_loaded() {
    let bad = |extra: &str| {
        let text = format!("[substrate]\nkind = \"esn\"\nunits = 10\n{TASK}[energy]\n{extra}\n");
        RunConfig::from_toml_str(&text, Path::new("."), "test")
            .unwrap_err()
            .to_string()
    };
    assert!(bad("platform = \"abacus\"").contains("platform"));
    assert!(bad("dwell = -1.0").contains("dwell"));
    assert!(bad("source_impedance = 0.0").contains("source_impedance"));
    assert!(bad("coil = \"solenoid\"").contains("solenoid"));
    assert!(bad("watts = 3").contains("watts"));
}

//! Bad configurations and fields give typed errors naming what was wrong.

use std::path::Path;

use ndarray::{Array2, Array3};
use ndarray_npy::write_npy;
use physrc_core::{ErrorKind, HasErrorKind};
use physrc_nanomagnet::{
    FieldSequence, Layout, ModelParams, NanomagnetConfig, NanomagnetError, SimulationConfig,
    SpinIce, simulate, simulate_fields_within, simulate_within,
};

fn sim(toml_text: &str) -> Result<SimulationConfig, toml::de::Error> {
    toml::from_str(toml_text)
}

#[test]
fn unknown_geometry_is_rejected_naming_the_choices() {
    let e = sim("geometry = \"hexagonal\"\nh_ext = \"h.npy\"").unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("hexagonal"), "{msg}");
    assert!(msg.contains("square-closed"), "{msg}");
    let e = toml::from_str::<NanomagnetConfig>("geometry = \"hexagonal\"\nh_max = 0.1")
        .unwrap_err()
        .to_string();
    assert!(e.contains("hexagonal") && e.contains("kagome"), "{e}");
}

#[test]
fn unknown_keys_are_rejected() {
    let e = sim("geometry = \"kagome\"\nh_ext = \"h.npy\"\nhc_typo = 0.1")
        .unwrap_err()
        .to_string();
    assert!(e.contains("hc_typo"), "{e}");
    let e = toml::from_str::<NanomagnetConfig>("geometry = \"kagome\"\nh_max = 0.1\nwindw = 2")
        .unwrap_err()
        .to_string();
    assert!(e.contains("windw"), "{e}");
}

#[test]
fn negative_hc_is_an_invalid_parameter() {
    let cfg = sim("geometry = \"square-closed\"\nh_ext = \"h.npy\"\nhc = -0.1").unwrap();
    let e = cfg.build(Path::new(".")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
    assert_eq!(e.to_string(), "`hc` must be positive and finite, got -0.1");
    let e = ModelParams {
        hc: -0.1,
        ..ModelParams::default()
    }
    .check()
    .unwrap_err();
    assert!(matches!(
        e,
        NanomagnetError::InvalidParameter { name: "hc", .. }
    ));
}

#[test]
fn zero_neighbor_distance_is_an_invalid_parameter() {
    for nd in ["0", "-1", "nan"] {
        let cfg = sim(&format!(
            "geometry = \"square-open\"\nh_ext = \"h.npy\"\nneighbor_distance = {nd}"
        ))
        .unwrap();
        let e = cfg.build(Path::new(".")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidParameter, "{nd}");
        assert!(
            e.to_string()
                .starts_with("`neighbor_distance` must be positive"),
            "{e}"
        );
    }
}

#[test]
fn a_simulation_whose_spins_exceed_the_memory_budget_is_refused_naming_h_ext() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = sim("geometry = \"square-closed\"\nsize = [10, 10]\nh_ext = \"h.npy\"").unwrap();
    // 220 magnets and 10,000 field steps: 17.6 MB of recorded spins.
    write_npy(dir.path().join("h.npy"), &Array2::<f64>::zeros((10_000, 2))).unwrap();
    let budget = physrc_core::MemoryBudget::bytes(4 << 20);
    let e = simulate_within(&cfg, dir.path(), budget).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InsufficientMemory);
    let msg = e.to_string();
    assert!(
        msg.contains("`h_ext`") && msg.contains("10000 field steps for 220 magnets"),
        "{msg}"
    );
    // The same simulation within a budget that holds it runs.
    let out =
        simulate_within(&cfg, dir.path(), physrc_core::MemoryBudget::bytes(64 << 20)).unwrap();
    assert_eq!(out.spins.dim(), (10_000, 220));
}

#[test]
fn mis_shaped_h_ext_names_the_file_and_both_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = sim("geometry = \"square-closed\"\nsize = [2, 2]\nh_ext = \"h.npy\"").unwrap();
    // 12 magnets; a T×3 sequence and a per-magnet sequence for 5 magnets are both wrong.
    write_npy(dir.path().join("h.npy"), &Array2::<f64>::zeros((4, 3))).unwrap();
    let e = simulate(&cfg, dir.path()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
    let msg = e.to_string();
    assert!(msg.contains("h.npy"), "{msg}");
    assert!(
        msg.contains("(T, 2) or (T, 12, 2)") && msg.contains("(4, 3)"),
        "{msg}"
    );
    write_npy(dir.path().join("h.npy"), &Array3::<f64>::zeros((4, 5, 2))).unwrap();
    let msg = simulate(&cfg, dir.path()).unwrap_err().to_string();
    assert!(msg.contains("(4, 5, 2)"), "{msg}");
    // A missing file is an i/o error naming it.
    let cfg = sim("geometry = \"square-closed\"\nh_ext = \"missing.npy\"").unwrap();
    let e = simulate(&cfg, dir.path()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.to_string().contains("missing.npy"));
}

#[test]
fn fields_given_in_memory_are_checked_as_a_file_is_and_simulate_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = sim(
        "geometry = \"square-closed\"\nsize = [3, 3]\nhc = 0.2\ndisorder = 0.05\nh_ext = \"h.npy\"",
    )
    .unwrap();
    let budget = physrc_core::MemoryBudget::UNLIMITED;
    // A field ramp along 45 degrees to well past the switching field and back.
    let h = Array2::from_shape_fn((40, 2), |(t, _)| {
        let x = t as f64 / 39.0;
        0.2 * (1.0 - 4.0 * (x - 0.5).abs())
    });
    write_npy(dir.path().join("h.npy"), &h).unwrap();
    let from_file = simulate(&cfg, dir.path()).unwrap();
    let given =
        simulate_fields_within(&cfg, dir.path(), budget, FieldSequence::Global(h.clone())).unwrap();
    assert_eq!(from_file.spins, given.spins);
    assert_eq!(from_file.flips, given.flips);
    assert!(given.flips.sum() > 0, "the ramp must switch some magnets");
    // 24 magnets: a T×3 global sequence, per-magnet fields for 5 magnets and a NaN are refused.
    let e = simulate_fields_within(
        &cfg,
        dir.path(),
        budget,
        FieldSequence::Global(Array2::zeros((4, 3))),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
    assert!(e.to_string().contains("(T, 2) or (T, 24, 2)"), "{e}");
    let e = simulate_fields_within(
        &cfg,
        dir.path(),
        budget,
        FieldSequence::PerMagnet(Array3::zeros((4, 5, 2))),
    )
    .unwrap_err();
    assert!(e.to_string().contains("(4, 5, 2)"), "{e}");
    let mut bad = h;
    bad[[7, 1]] = f64::NAN;
    let e =
        simulate_fields_within(&cfg, dir.path(), budget, FieldSequence::Global(bad)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("h_ext"), "{e}");
}

#[test]
fn nan_fields_are_rejected_and_leave_the_field_unchanged() {
    let mut ice = SpinIce::new(
        Layout::square_closed(3, 3, 1.0).unwrap(),
        ModelParams::default().check().unwrap(),
    )
    .unwrap();
    ice.set_field([0.01, 0.02]).unwrap();
    let e = ice.set_field([f64::NAN, 0.0]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("h_ext") && e.to_string().contains("NaN"));
    assert!(ice.set_field([0.0, f64::INFINITY]).is_err());
    let mut per = Array2::<f64>::zeros((ice.len(), 2));
    per[[5, 1]] = f64::NAN;
    let e = ice.set_field_per_magnet(per.view()).unwrap_err();
    assert!(
        matches!(e, NanomagnetError::NonFinite { index: 11, .. }),
        "{e}"
    );
    let e = ice
        .set_field_per_magnet(Array2::<f64>::zeros((3, 2)).view())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
    assert_eq!(ice.field()[[0, 0]], 0.01);
    assert_eq!(ice.field()[[7, 1]], 0.02);

    // NaN in a field file.
    let dir = tempfile::tempdir().unwrap();
    let mut h = Array2::<f64>::zeros((3, 2));
    h[[2, 0]] = f64::NAN;
    write_npy(dir.path().join("h.npy"), &h).unwrap();
    let cfg = sim("geometry = \"square-closed\"\nh_ext = \"h.npy\"").unwrap();
    let e = simulate(&cfg, dir.path()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("element 4 is not finite"), "{e}");
}

#[test]
fn reservoir_config_errors_name_the_key() {
    let base = "geometry = \"square-closed\"\nsize = [3, 3]\n";
    let build = |extra: &str, d: usize| {
        toml::from_str::<NanomagnetConfig>(&format!("{base}{extra}"))
            .unwrap()
            .build(Path::new("."), d)
            .map(|_| ())
            .unwrap_err()
    };
    let e = build("h_max = 0.1", 3);
    assert!(e.to_string().contains("input_dim"), "{e}");
    let e = build("h_max = 0.05\nh_min = 0.06", 1);
    assert_eq!(
        e.to_string(),
        "`h_max` must be larger than `h_min`, got 0.05"
    );
    let e = build("h_max = 0.1\ntimesteps = 10", 1);
    assert!(e.to_string().contains("timesteps") && e.to_string().contains("loop"));
    let e = build("h_max = 0.1\nwindow = 3", 1);
    assert!(e.to_string().contains("window"), "{e}");
    let e = build("h_max = 0.1\nhc = -0.2", 1);
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
    let e = toml::from_str::<NanomagnetConfig>(base)
        .unwrap_err()
        .to_string();
    assert!(e.contains("h_max"), "{e}");
}

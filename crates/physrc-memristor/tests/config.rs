//! The `[substrate]` table: parsing, defaults, and clear errors for bad keys and values.

use std::path::Path;

use physrc_core::{ErrorKind, HasErrorKind, Reservoir};
use physrc_memristor::{
    HpParams, MemristorConfig, MemristorError, Model, ModelParams, VteamParams, Window,
};

fn parse(text: &str) -> Result<MemristorConfig, toml::de::Error> {
    toml::from_str(text)
}

const BASE: &str =
    "model = \"zhong2021\"\ndevices = 25\nvirtual_nodes = 4\nv_min = 0.0\nv_max = 2.5\n";

#[test]
fn a_minimal_table_takes_the_published_defaults() {
    let c = parse(BASE).unwrap();
    assert_eq!(c.model, Model::Zhong2021);
    assert_eq!((c.variation, c.read_noise, c.seed), (0.0, 0.0, 0));
    let r = c.build(Path::new("."), 1).unwrap();
    assert_eq!(r.state_dim(), 100);
    assert_eq!(r.params().pulse_width, 4e-6);
    assert_eq!(r.params().gap, 0.0);
    let ModelParams::Zhong2021(p) = &r.params().model else {
        panic!("zhong2021 expected")
    };
    // Zhong et al. 2021 official behavioural model.
    assert_eq!(
        (p.r, p.g0, p.kp, p.kn, p.alpha),
        (0.99, 0.5, 9.13, 0.32, 0.23)
    );
}

#[test]
fn du_defaults_to_rate_one_frames() {
    let c = parse(
        "model = \"du2017\"\ndevices = 2\nvirtual_nodes = 3\nv_min = 0.0\nv_max = 1.5\n\
         [du2017]\ntau = 0.02\n",
    )
    .unwrap();
    let r = c.build(Path::new("."), 1).unwrap();
    // Du et al. 2017 "rate 1": 0.5 ms pulses in 0.8 ms frames.
    assert_eq!((r.params().pulse_width, r.params().gap), (0.5e-3, 0.3e-3));
    let ModelParams::Du2017(p) = &r.params().model else {
        panic!("du2017 expected")
    };
    assert_eq!(p.tau, 0.02);
    assert_eq!(p.lambda, 1e-3);
}

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    let e = parse(&format!("{BASE}devcies = 3\n")).unwrap_err();
    assert!(e.message().contains("devcies"), "{e}");
    let e = parse(&format!("{BASE}[zhong2021]\nrr = 0.9\n")).unwrap_err();
    assert!(e.message().contains("rr"), "{e}");
    let e = parse(&BASE.replace("zhong2021", "zhong")).unwrap_err();
    assert!(e.message().contains("zhong"), "{e}");
}

#[test]
fn a_table_for_another_model_is_an_error() {
    let c = parse(&format!("{BASE}[hp]\ntau = 1.0\n")).unwrap();
    let e = c.build(Path::new("."), 1).unwrap_err();
    assert!(
        matches!(e, MemristorError::TableForOtherModel { .. }),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "a `[substrate.hp]` table was given but the model is `zhong2021`"
    );
}

#[test]
fn the_input_dimension_comes_from_the_runner_and_zero_is_an_error() {
    let c = parse(BASE).unwrap();
    let r = c.build(Path::new("."), 3).unwrap();
    assert_eq!(r.input_dim(), 3);
    assert_eq!(r.masks().dim(), (25, 4, 3));
    let e = c.build(Path::new("."), 0).unwrap_err();
    assert_eq!(e.to_string(), "`input_dim` must be at least 1, got 0");
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
}

#[test]
fn a_window_beyond_the_safe_limit_is_an_error_not_a_clip() {
    let c = parse(&BASE.replace("v_max = 2.5", "v_max = 3.5")).unwrap();
    let e = c.build(Path::new("."), 1).unwrap_err();
    assert!(e.to_string().contains("exceeds the safe limit"), "{e}");
    // Raising the limit is explicit.
    let c = parse(&format!(
        "{}[zhong2021]\nv_limit = 3.5\n",
        BASE.replace("v_max = 2.5", "v_max = 3.5")
    ))
    .unwrap();
    assert!(c.build(Path::new("."), 1).is_ok());
}

/// The window exponent, relaxation time and rest state are checked alike for the HP and VTEAM
/// models, each error naming the model's own key.
#[test]
fn drift_model_window_and_relaxation_errors_name_the_key() {
    fn name_of(r: Result<(), MemristorError>) -> &'static str {
        match r {
            Err(MemristorError::InvalidParameter { name, .. }) => name,
            other => panic!("expected an invalid parameter, got {other:?}"),
        }
    }
    let hp = HpParams::default();
    let vt = VteamParams::default();
    assert!(hp.validate().is_ok() && vt.validate().is_ok());
    assert_eq!(name_of(HpParams { p: 0, ..hp }.validate()), "p");
    assert_eq!(name_of(VteamParams { p: 17, ..vt }.validate()), "p");
    assert_eq!(name_of(HpParams { tau: 0.0, ..hp }.validate()), "tau");
    assert_eq!(
        name_of(
            VteamParams {
                tau: f64::NAN,
                ..vt
            }
            .validate()
        ),
        "tau"
    );
    // An infinite relaxation time switches relaxation off and is allowed.
    assert!(
        HpParams {
            tau: f64::INFINITY,
            ..hp
        }
        .validate()
        .is_ok()
    );
    assert_eq!(name_of(HpParams { x_rest: 1.5, ..hp }.validate()), "x_rest");
    assert_eq!(
        name_of(VteamParams { w_rest: -0.1, ..vt }.validate()),
        "w_rest"
    );
    // A rest state on a bound is fine, except with the Joglekar window, which would lock it.
    for window in [Window::None, Window::Biolek, Window::Joglekar] {
        let h = HpParams {
            window,
            x_rest: 0.0,
            ..hp
        }
        .validate();
        let v = VteamParams {
            window,
            w_rest: 1.0,
            ..vt
        }
        .validate();
        if window == Window::Joglekar {
            assert_eq!(name_of(h), "x_rest");
            assert_eq!(name_of(v), "w_rest");
        } else {
            assert!(h.is_ok() && v.is_ok(), "{window:?}");
        }
    }
}

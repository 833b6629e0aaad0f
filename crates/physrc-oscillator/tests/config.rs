//! Run-config parsing: the `[substrate]` table minus `kind`, as the CLI hands it over.

use std::path::Path;

use physrc_core::{ErrorKind, HasErrorKind, Reservoir};
use physrc_oscillator::{OscillatorConfig, OscillatorError, StnoConfig, StnoReservoir};

fn parse(s: &str) -> Result<OscillatorConfig, toml::de::Error> {
    toml::from_str(s)
}

#[test]
fn each_model_parses_with_defaults_and_builds() {
    for (model, dim) in [("stno", 10), ("delay", 400), ("stuart-landau", 100)] {
        let cfg = parse(&format!("model = \"{model}\"")).unwrap();
        let r = cfg.build(Path::new("."), 1).unwrap();
        assert_eq!(r.state_dim(), dim, "{model}");
        assert_eq!(r.info().name, "oscillator");
        assert_eq!(r.info().get("model").unwrap().to_string(), model);
    }
}

#[test]
fn integers_are_accepted_for_real_parameters() {
    // `p = 1` in a TOML file is an integer; the Appeltant config writes it that way.
    let cfg =
        parse("model = \"delay\"\np = 1\ntheta = 0.2\nnodes = 20\nmask = \"uniform\"").unwrap();
    match cfg {
        OscillatorConfig::Delay(d) => {
            assert_eq!(d.p, 1.0);
            assert_eq!(d.nodes, 20);
        }
        other => panic!("parsed as {other:?}"),
    }
}

#[test]
fn unknown_keys_are_rejected_by_name() {
    for (model, key) in [
        ("stno", "i_bias"),
        ("delay", "nodez"),
        ("stuart-landau", "kappa"),
    ] {
        let err = parse(&format!("model = \"{model}\"\n{key} = 1.0")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&format!("unknown field `{key}`")), "{msg}");
    }
}

#[test]
fn unknown_models_are_rejected_by_name() {
    let msg = parse("model = \"kuramotto\"").unwrap_err().to_string();
    assert!(msg.contains("kuramotto"), "{msg}");
    let msg = parse("nodes = 3").unwrap_err().to_string();
    assert!(msg.contains("model"), "{msg}");
}

#[test]
fn invalid_parameters_are_named_in_the_error() {
    let cases = [
        (
            "model = \"delay\"\ntheta = -0.2",
            "`theta` must be positive",
        ),
        ("model = \"delay\"\nnodes = 0", "`nodes` must be at least 1"),
        ("model = \"delay\"\np = 0", "`p` must be positive"),
        ("model = \"stno\"\nq = -1", "`q` must be non-negative"),
        (
            "model = \"stno\"\ni_threshold_ma = 0",
            "`i_threshold_ma` must be positive",
        ),
        (
            "model = \"stno\"\nsubsteps = 1\ntheta_ns = 100",
            "`substeps` is too small",
        ),
        (
            "model = \"stuart-landau\"\nconnectivity = 1.5",
            "`connectivity` must lie in (0, 1]",
        ),
        (
            "model = \"delay\"\ndelay_offset = 100000000",
            "`delay_offset` makes the delay line longer than 2^24 nodes",
        ),
        (
            "model = \"delay\"\nsubsteps = 0",
            "`substeps` must be between 1 and 1000000",
        ),
        (
            "model = \"delay\"\nnodes = 400\nsubsteps = 100000",
            "`substeps` makes the history longer than 2^24 points",
        ),
        (
            "model = \"stno\"\nfeedback_offset = 100000000",
            "`feedback_offset` makes the delay line longer than 2^24 nodes",
        ),
    ];
    for (src, expected) in cases {
        let err = parse(src).unwrap().build(Path::new("."), 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{src}");
        assert!(err.to_string().contains(expected), "{src}: {err}");
    }
}

#[test]
fn a_drive_range_beyond_the_safe_current_is_rejected_not_clipped() {
    // 6 mA bias + 1.5 mA × (mask row sum 1) = 7.5 mA: fine below 8 mA, refused below 7 mA.
    let ok = StnoConfig {
        i_max_ma: 8.0,
        ..StnoConfig::default()
    };
    assert!(StnoReservoir::new(&ok, 1).is_ok());
    let tight = StnoConfig {
        i_max_ma: 7.0,
        ..StnoConfig::default()
    };
    let err = StnoReservoir::new(&tight, 1).unwrap_err();
    assert_eq!(
        err,
        OscillatorError::CurrentLimit {
            peak_ma: 7.5,
            i_max_ma: 7.0
        }
    );
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    // Two binary-masked inputs add up: 6 + 2 × 1.5 = 9 mA > 8 mA.
    let err = StnoReservoir::new(&ok, 2).unwrap_err();
    assert!(matches!(err, OscillatorError::CurrentLimit { peak_ma, .. } if peak_ma == 9.0));
    assert!(
        err.to_string()
            .contains("above the safe maximum i_max_ma = 8 mA"),
        "{err}"
    );
}

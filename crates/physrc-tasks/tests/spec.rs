//! `TaskSpec` parsing from the `[task]` table of a TOML run config, and determinism.

use physrc_core::{ErrorKind, HasErrorKind};
use physrc_tasks::{
    ChannelEqualization, ChannelTarget, Henon, HenonZhong, MackeyGlass, MemoryCapacity, Narma,
    Narma10, NarmaForm, SignalTransform, SineSquare, Targets, TaskSpec, TransformTarget,
};
use serde::Deserialize;

/// A run config's shape as far as this crate is concerned.
#[derive(Debug, Deserialize)]
struct Run {
    task: TaskSpec,
}

fn parse(toml_text: &str) -> Result<TaskSpec, toml::de::Error> {
    toml::from_str::<Run>(toml_text).map(|r| r.task)
}

#[test]
fn every_kind_parses_with_defaults() {
    let cases: Vec<(&str, TaskSpec)> = vec![
        ("narma10", TaskSpec::Narma10(Narma10::default())),
        ("narma", TaskSpec::Narma(Narma::default())),
        (
            "mackey-glass",
            TaskSpec::MackeyGlass(MackeyGlass::default()),
        ),
        ("henon", TaskSpec::Henon(Henon::default())),
        ("henon-zhong", TaskSpec::HenonZhong(HenonZhong::default())),
        ("transform", TaskSpec::Transform(SignalTransform::default())),
        ("sine-square", TaskSpec::SineSquare(SineSquare::default())),
        (
            "channel-equalization",
            TaskSpec::ChannelEqualization(ChannelEqualization::default()),
        ),
        (
            "memory-capacity",
            TaskSpec::MemoryCapacity(MemoryCapacity::default()),
        ),
    ];
    for (kind, expect) in cases {
        let spec = parse(&format!("[task]\nkind = \"{kind}\"\n")).unwrap();
        assert_eq!(spec, expect, "{kind}");
        assert_eq!(spec.kind(), kind);
        spec.validate().unwrap();
        let d = spec.generate(64).unwrap();
        assert_eq!(d.len(), 64, "{kind}");
        assert_eq!(d.targets.len(), 64, "{kind}");
    }
}

#[test]
fn every_kind_parses_with_fields() {
    let spec = parse("[task]\nkind = \"narma10\"\nseed = 7\nburn_in = 50\n").unwrap();
    assert_eq!(
        spec,
        TaskSpec::Narma10(Narma10 {
            seed: 7,
            burn_in: 50
        })
    );

    let spec =
        parse("[task]\nkind = \"narma\"\norder = 20\nseed = 3\nform = \"tanh\"\ndelta = 0.01\n")
            .unwrap();
    assert_eq!(
        spec,
        TaskSpec::Narma(Narma {
            order: 20,
            seed: 3,
            form: NarmaForm::Tanh,
            delta: Some(0.01),
            ..Narma::default()
        })
    );

    let spec = parse(
        "[task]\nkind = \"mackey-glass\"\nhorizons = [1, 3, 5, 7, 9, 11]\nsample_interval = 3\n\
         discard = 500\ntau = 30\n",
    )
    .unwrap();
    assert_eq!(
        spec,
        TaskSpec::MackeyGlass(MackeyGlass {
            horizons: vec![1, 3, 5, 7, 9, 11],
            sample_interval: 3.0,
            discard: 500,
            tau: 30.0,
            ..MackeyGlass::default()
        })
    );
    let d = spec.generate(100).unwrap();
    assert_eq!(d.targets.n_outputs(), 6);

    let spec = parse("[task]\nkind = \"henon\"\nx0 = 0.1\ny0 = -0.1\nburn_in = 10\n").unwrap();
    assert_eq!(
        spec,
        TaskSpec::Henon(Henon {
            x0: 0.1,
            y0: -0.1,
            burn_in: 10
        })
    );

    let spec = parse("[task]\nkind = \"henon-zhong\"\nsigma = 0.01\nseed = 2\n").unwrap();
    assert_eq!(
        spec,
        TaskSpec::HenonZhong(HenonZhong {
            sigma: 0.01,
            seed: 2,
            ..HenonZhong::default()
        })
    );

    for (name, target) in [
        ("cos2t-sin3t", TransformTarget::Cos2tSin3t),
        ("square", TransformTarget::Square),
        ("cos", TransformTarget::Cos),
    ] {
        let spec = parse(&format!(
            "[task]\nkind = \"transform\"\ntarget = \"{name}\"\nsamples_per_period = 20\n"
        ))
        .unwrap();
        assert_eq!(
            spec,
            TaskSpec::Transform(SignalTransform {
                target,
                samples_per_period: 20
            })
        );
    }

    let spec =
        parse("[task]\nkind = \"sine-square\"\nseed = 9\nsamples_per_period = 16\n").unwrap();
    assert_eq!(
        spec,
        TaskSpec::SineSquare(SineSquare {
            seed: 9,
            samples_per_period: 16
        })
    );

    // An integer SNR is accepted for a float field.
    let spec = parse(
        "[task]\nkind = \"channel-equalization\"\nsnr_db = 20\ntarget = \"symbol\"\nseed = 1\n",
    )
    .unwrap();
    assert_eq!(
        spec,
        TaskSpec::ChannelEqualization(ChannelEqualization {
            snr_db: 20.0,
            seed: 1,
            target: ChannelTarget::Symbol
        })
    );

    let spec = parse("[task]\nkind = \"memory-capacity\"\nseed = 5\n").unwrap();
    assert_eq!(
        spec,
        TaskSpec::MemoryCapacity(MemoryCapacity {
            seed: 5,
            ..MemoryCapacity::default()
        })
    );
}

#[test]
fn unknown_keys_are_rejected_by_name() {
    // Internally tagged enums have had deny_unknown_fields quirks; check every variant.
    for kind in [
        "narma10",
        "narma",
        "mackey-glass",
        "henon",
        "henon-zhong",
        "transform",
        "sine-square",
        "channel-equalization",
        "memory-capacity",
    ] {
        let err = parse(&format!("[task]\nkind = \"{kind}\"\nseeed = 1\n")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unknown field `seeed`"), "{kind}: {msg}");
    }
    // `order` belongs to `narma`, not to the fixed-order `narma10`.
    let msg = parse("[task]\nkind = \"narma10\"\norder = 12\n")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("unknown field `order`"), "{msg}");
}

#[test]
fn bad_kinds_and_values_are_rejected() {
    let msg = parse("[task]\nkind = \"narma30\"\n")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("unknown variant `narma30`"), "{msg}");
    let msg = parse("[task]\nseed = 1\n").unwrap_err().to_string();
    assert!(msg.contains("missing field `kind`"), "{msg}");
    let msg = parse("[task]\nkind = \"transform\"\ntarget = \"triangle\"\n")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("unknown variant `triangle`"), "{msg}");
    let msg = parse("[task]\nkind = \"narma\"\nseed = -1\n")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("-1"), "{msg}");

    // Parsed but invalid: rejected by `validate` before any generation.
    let spec = parse("[task]\nkind = \"narma\"\norder = 0\n").unwrap();
    let e = spec.validate().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
    assert_eq!(e.to_string(), "narma: `order` must be at least 1, got 0");
    let spec = parse("[task]\nkind = \"channel-equalization\"\nsnr_db = nan\n").unwrap();
    assert_eq!(
        spec.validate().unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );
    // `?` converts into the shared error with its kind.
    let shared: physrc_core::Error = spec.generate(10).unwrap_err().into();
    assert_eq!(shared.kind(), ErrorKind::InvalidParameter);
}

#[test]
fn length_zero_is_rejected_for_every_kind() {
    for kind in [
        "narma10",
        "narma",
        "mackey-glass",
        "henon",
        "henon-zhong",
        "transform",
        "sine-square",
        "channel-equalization",
        "memory-capacity",
    ] {
        let spec = parse(&format!("[task]\nkind = \"{kind}\"\n")).unwrap();
        let e = spec.generate(0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidParameter, "{kind}");
        assert!(e.to_string().contains("`length` must be at least 1"), "{e}");
    }
}

#[test]
fn serialises_back_to_the_same_spec() {
    let spec = parse("[task]\nkind = \"mackey-glass\"\nhorizons = [1, 5]\n").unwrap();
    #[derive(serde::Serialize)]
    struct Out<'a> {
        task: &'a TaskSpec,
    }
    let text = toml::to_string(&Out { task: &spec }).unwrap();
    assert!(text.contains("kind = \"mackey-glass\""), "{text}");
    assert_eq!(parse(&text).unwrap(), spec);
}

fn seeded(kind: &str, seed: u64) -> TaskSpec {
    parse(&format!("[task]\nkind = \"{kind}\"\nseed = {seed}\n")).unwrap()
}

fn regression_or_labels(t: &Targets) -> Vec<f64> {
    match t {
        Targets::Regression(y) => y.iter().copied().collect(),
        Targets::Classes { labels, .. } => labels.iter().map(|&c| c as f64).collect(),
    }
}

#[test]
fn same_seed_same_data_different_seed_different_data() {
    for kind in [
        "narma10",
        "narma",
        "henon-zhong",
        "sine-square",
        "channel-equalization",
        "memory-capacity",
    ] {
        let a = seeded(kind, 11).generate(2_000).unwrap();
        let b = seeded(kind, 11).generate(2_000).unwrap();
        assert_eq!(a, b, "{kind}: same seed must give identical data");
        let c = seeded(kind, 12).generate(2_000).unwrap();
        assert_ne!(
            a.inputs, c.inputs,
            "{kind}: different seeds gave the same inputs"
        );
        assert_ne!(
            regression_or_labels(&a.targets),
            regression_or_labels(&c.targets),
            "{kind}"
        );
    }
    // Deterministic tasks without a seed: same config, same data.
    for kind in ["mackey-glass", "henon", "transform"] {
        let spec = parse(&format!("[task]\nkind = \"{kind}\"\n")).unwrap();
        assert_eq!(spec.generate(500).unwrap(), spec.generate(500).unwrap());
    }
}

#[test]
fn a_prefix_is_stable_under_a_longer_request() {
    // Longer runs extend the same sequence, so a train/test split does not change the
    // training data. (NARMA: unless an escape right after the shorter end is repaired.)
    for kind in [
        "narma10",
        "henon-zhong",
        "sine-square",
        "channel-equalization",
        "memory-capacity",
    ] {
        let short = seeded(kind, 4).generate(1_000).unwrap();
        let long = seeded(kind, 4).generate(3_000).unwrap();
        assert_eq!(
            short.inputs,
            long.inputs.slice(ndarray::s![..1_000, ..]),
            "{kind}"
        );
    }
}

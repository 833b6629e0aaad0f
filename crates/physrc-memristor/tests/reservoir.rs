//! The parallel reservoir: contract, drive mapping, variation, noise, energy, errors.

use physrc_core::{ErrorKind, Reservoir};
use physrc_memristor::{
    Device, DuParams, HpParams, MemristorError, MemristorReservoir, ModelParams, ReservoirParams,
    VteamParams, Zhong2021, ZhongParams,
};

fn zhong(seed: u64) -> ReservoirParams {
    ReservoirParams::zhong_henon(seed)
}

fn small(model: ModelParams, v_min: f64, v_max: f64) -> ReservoirParams {
    ReservoirParams {
        devices: 3,
        virtual_nodes: 4,
        v_min,
        v_max,
        pulse_width: model.default_pulse_width(),
        gap: model.default_gap(),
        variation: 0.1,
        read_noise: 0.01,
        model,
        ..ReservoirParams::zhong_henon(5)
    }
}

#[test]
fn every_model_satisfies_the_reservoir_contract() {
    let cases = [
        small(ModelParams::Zhong2021(ZhongParams::default()), -0.8, 2.5),
        small(ModelParams::Du2017(DuParams::default()), 0.0, 1.5),
        small(ModelParams::Hp(HpParams::default()), -5.0, 5.0),
        small(ModelParams::Vteam(VteamParams::default()), -0.5, 1.0),
    ];
    for p in cases {
        physrc_core::contract::check(|| MemristorReservoir::new(p.clone()).unwrap());
    }
    // Vector input.
    let p = ReservoirParams {
        input_dim: 3,
        ..small(ModelParams::Zhong2021(ZhongParams::default()), 0.0, 2.5)
    };
    physrc_core::contract::check(|| MemristorReservoir::new(p.clone()).unwrap());
}

#[test]
fn states_are_the_currents_of_independent_devices_driven_through_their_masks() {
    // Without variation or noise, device n's currents must equal a lone Zhong device driven
    // with V = v_min + (mask·u + 1)/2·(v_max − v_min), in μA, device-major.
    let mut r = MemristorReservoir::new(zhong(11)).unwrap();
    let masks = r.masks().to_owned();
    assert!(masks.iter().all(|&m| m == 1.0 || m == -1.0));
    assert!(masks.iter().any(|&m| m == 1.0) && masks.iter().any(|&m| m == -1.0));
    let inputs = [0.3, -1.0, 1.0, 0.0, -0.45];
    let mut devs = vec![Zhong2021::new(ZhongParams::default()).unwrap(); 25];
    let mut out = vec![0.0; 100];
    for &u in &inputs {
        r.step(&[u], &mut out).unwrap();
        for (n, dev) in devs.iter_mut().enumerate() {
            for m in 0..4 {
                let v = 0.0 + (masks[[n, m, 0]] * u + 1.0) / 2.0 * 2.5;
                let i = dev.apply(v, 4e-6).unwrap().current * 1e6;
                assert!((out[n * 4 + m] - i).abs() < 1e-9, "device {n} node {m}");
            }
        }
    }
    let g: Vec<f64> = devs.iter().map(Device::state).collect();
    assert_eq!(r.device_states(), g);
}

#[test]
fn the_voltage_map_hits_the_window_ends_exactly() {
    let mut p = zhong(0);
    p.v_min = -0.8;
    let r = MemristorReservoir::new(p).unwrap();
    assert_eq!(r.voltage(-1.0), -0.8);
    assert_eq!(r.voltage(1.0), 2.5);
    assert!((r.voltage(0.0) - 0.85).abs() < 1e-15);
}

#[test]
fn variation_spreads_devices_and_is_reproducible() {
    let base = ReservoirParams {
        variation: 0.2,
        ..zhong(3)
    };
    let run = |p: &ReservoirParams| {
        let mut r = MemristorReservoir::new(p.clone()).unwrap();
        let mut out = vec![0.0; 100];
        for k in 0..50 {
            r.step(&[((k as f64) * 0.37).sin()], &mut out).unwrap();
        }
        (out, r.device_states())
    };
    let (a, ga) = run(&base);
    let (b, gb) = run(&base);
    assert_eq!(a, b, "same seed, same states");
    assert_eq!(ga, gb);
    // Devices that share a mask differ only through their parameters.
    let r = MemristorReservoir::new(base.clone()).unwrap();
    let masks = r.masks().to_owned();
    let same = |a: usize, b: usize| (0..4).all(|m| masks[[a, m, 0]] == masks[[b, m, 0]]);
    let pairs: Vec<(usize, usize)> = (0..25)
        .flat_map(|a| (a + 1..25).map(move |b| (a, b)))
        .filter(|&(a, b)| same(a, b))
        .collect();
    assert!(!pairs.is_empty(), "25 devices share 16 possible masks");
    let (c, gc) = run(&ReservoirParams {
        variation: 0.0,
        ..base.clone()
    });
    for &(a, b) in &pairs {
        assert_eq!(gc[a], gc[b], "identical devices with identical masks agree");
        assert_ne!(ga[a], ga[b], "varied devices differ");
    }
    assert_ne!(a, c);
    // Another seed draws other masks and parameters.
    let (d, _) = run(&ReservoirParams { seed: 4, ..base });
    assert_ne!(a, d);
}

#[test]
fn read_noise_has_the_configured_relative_spread_and_leaves_the_devices_alone() {
    let clean = zhong(2);
    let noisy = ReservoirParams {
        read_noise: 0.05,
        ..zhong(2)
    };
    let mut rc = MemristorReservoir::new(clean).unwrap();
    let mut rn = MemristorReservoir::new(noisy).unwrap();
    let (mut oc, mut on) = (vec![0.0; 100], vec![0.0; 100]);
    let mut ratios = Vec::new();
    for k in 0..400 {
        let u = ((k as f64) * 0.61).sin();
        rc.step(&[u], &mut oc).unwrap();
        rn.step(&[u], &mut on).unwrap();
        assert_eq!(rc.device_states(), rn.device_states());
        for (c, n) in oc.iter().zip(&on) {
            if c.abs() > 1e-3 {
                ratios.push(n / c - 1.0);
            }
        }
    }
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    let sd = (ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / ratios.len() as f64).sqrt();
    assert!(mean.abs() < 0.003, "{mean}");
    assert!((sd - 0.05).abs() < 0.003, "{sd}");
}

#[test]
fn energy_is_the_sum_of_pulse_energies() {
    // One step of one device with one node at u = 1 (V = v_max for a +1 mask, v_min for −1).
    let p = ReservoirParams {
        devices: 1,
        virtual_nodes: 1,
        ..zhong(0)
    };
    let mut r = MemristorReservoir::new(p).unwrap();
    let mask = r.masks()[[0, 0, 0]];
    let mut out = [0.0];
    r.step(&[1.0], &mut out).unwrap();
    let mut d = Zhong2021::new(ZhongParams::default()).unwrap();
    let v = if mask > 0.0 { 2.5 } else { 0.0 };
    let resp = d.apply(v, 4e-6).unwrap();
    assert_eq!(r.energy(), Some(resp.energy));
    assert_eq!(r.last_step_energy(), resp.energy);
    // Zhong's Hénon setting dissipates on the order of 1e-8 J per input step: 100 pulses of
    // up to ~100 μA at up to 2.5 V for 4 μs.
    let mut r = MemristorReservoir::new(zhong(0)).unwrap();
    let mut out = vec![0.0; 100];
    for k in 0..100 {
        r.step(&[((k as f64) * 0.3).sin()], &mut out).unwrap();
    }
    let per_step = r.energy().unwrap() / 100.0;
    assert!(per_step > 1e-10 && per_step < 1e-7, "{per_step}");
    r.reset().unwrap();
    assert_eq!(r.energy(), Some(0.0));
}

#[test]
fn reset_restores_the_initial_devices() {
    let mut r = MemristorReservoir::new(ReservoirParams {
        variation: 0.1,
        read_noise: 0.02,
        ..zhong(9)
    })
    .unwrap();
    let g0 = r.device_states();
    let mut a = vec![0.0; 100];
    r.step(&[0.7], &mut a).unwrap();
    assert_ne!(r.device_states(), g0);
    r.reset().unwrap();
    assert_eq!(r.device_states(), g0);
    let mut b = vec![0.0; 100];
    r.step(&[0.7], &mut b).unwrap();
    assert_eq!(a, b, "noise is re-seeded by reset");
}

fn build_err(p: ReservoirParams) -> MemristorError {
    MemristorReservoir::new(p).unwrap_err()
}

#[test]
fn bad_configurations_are_clear_errors() {
    let kind = |e: &MemristorError| physrc_core::HasErrorKind::kind(e);
    let e = build_err(ReservoirParams {
        v_max: 3.5,
        ..zhong(0)
    });
    assert_eq!(kind(&e), ErrorKind::InvalidParameter);
    assert!(e.to_string().contains("exceeds the safe limit"), "{e}");
    assert!(e.to_string().contains("±3 V"), "{e}");
    let e = build_err(ReservoirParams {
        v_min: 2.5,
        ..zhong(0)
    });
    assert!(e.to_string().contains("need v_min < v_max"), "{e}");
    let e = build_err(ReservoirParams {
        v_min: f64::NAN,
        ..zhong(0)
    });
    assert!(e.to_string().contains("not finite"), "{e}");
    let e = build_err(ReservoirParams {
        devices: 0,
        ..zhong(0)
    });
    assert_eq!(e.to_string(), "`devices` must be at least 1, got 0");
    let e = build_err(ReservoirParams {
        pulse_width: -1e-6,
        ..zhong(0)
    });
    assert!(
        e.to_string().contains("`pulse_width` must be positive"),
        "{e}"
    );
    let e = build_err(ReservoirParams {
        gap: 1e-6,
        ..zhong(0)
    });
    assert!(
        matches!(e, MemristorError::NotForModel { name: "gap", .. }),
        "{e}"
    );
    let e = build_err(ReservoirParams {
        variation: 0.9,
        ..zhong(0)
    });
    assert!(
        e.to_string().contains("`variation` must lie in [0, 0.5]"),
        "{e}"
    );
    let e = build_err(ReservoirParams {
        read_noise: -0.1,
        ..zhong(0)
    });
    assert!(e.to_string().contains("`read_noise`"), "{e}");
    let e = build_err(ReservoirParams {
        devices: 1 << 20,
        virtual_nodes: 1 << 20,
        ..zhong(0)
    });
    assert!(e.to_string().contains("2^26"), "{e}");
}

#[test]
fn a_drawn_device_that_breaks_a_constraint_is_named() {
    // With α·v_limit just at r/(1 − r), a spread in α pushes some device over the bound.
    let r = 0.9;
    let p = ZhongParams {
        r,
        alpha: r / (1.0 - r) / 3.0,
        ..ZhongParams::default()
    };
    let e = build_err(ReservoirParams {
        model: ModelParams::Zhong2021(p),
        variation: 0.3,
        ..zhong(0)
    });
    assert!(matches!(e, MemristorError::VariedDevice { .. }), "{e}");
    assert!(e.to_string().starts_with("device "), "{e}");
}

#[test]
fn bad_inputs_are_rejected_before_any_pulse() {
    let mut r = MemristorReservoir::new(zhong(0)).unwrap();
    let mut out = vec![0.0; 100];
    r.step(&[0.2], &mut out).unwrap();
    let g = r.device_states();
    for (u, kind) in [
        (f64::NAN, ErrorKind::InvalidInput),
        (1.0001, ErrorKind::InvalidInput),
        (f64::NEG_INFINITY, ErrorKind::InvalidInput),
    ] {
        assert_eq!(r.step(&[u], &mut out).unwrap_err().kind(), kind);
    }
    assert_eq!(
        r.step(&[0.1, 0.2], &mut out).unwrap_err().kind(),
        ErrorKind::DimensionMismatch
    );
    assert_eq!(r.device_states(), g);
}

#[test]
fn every_model_produces_finite_bounded_states_over_a_long_drive() {
    for (model, lo, hi) in [
        (ModelParams::Du2017(DuParams::default()), 0.0, 1.5),
        (ModelParams::Hp(HpParams::default()), -5.0, 5.0),
        (ModelParams::Vteam(VteamParams::default()), -0.5, 1.0),
    ] {
        let mut r = MemristorReservoir::new(small(model.clone(), lo, hi)).unwrap();
        let mut out = vec![0.0; 12];
        let mut moved = false;
        let s0 = r.device_states();
        for k in 0..300 {
            r.step(&[((k as f64) * 0.77).sin()], &mut out).unwrap();
            assert!(out.iter().all(|v| v.is_finite()));
            moved |= r.device_states() != s0;
        }
        assert!(moved, "{}: the drive must change the devices", model.name());
        for s in r.device_states() {
            assert!((0.0..=1.0).contains(&s), "{}: {s}", model.name());
        }
    }
}

//! The spin-torque oscillator reproduces the universal auto-oscillator model's analytic results
//! (Slavin & Tiberkevich, IEEE Trans. Magn. 45, 1875 (2009)): the power settles at
//! p0 = (ζ − 1)/(ζ + Q) above threshold and at 0 below it, at the linearised rate 2 Γ_G |ζ − 1|,
//! and thermal noise of strength D = Γ_G p_T holds the power at p_T at zero current.

use num_complex::Complex64;
use physrc_core::Reservoir;
use physrc_oscillator::{StnoConfig, StnoModel, StnoReservoir};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Evolves the power from `p_start` at constant current for `t_ns` with step `dt`.
fn evolve(m: &StnoModel, p_start: f64, i_ma: f64, t_ns: f64, dt: f64) -> f64 {
    let mut c = Complex64::new(p_start.sqrt(), 0.0);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for _ in 0..(t_ns / dt).round() as usize {
        m.advance(&mut c, i_ma, dt, &mut rng);
    }
    c.norm_sqr()
}

#[test]
fn power_relaxes_to_p0_above_threshold() {
    for &(q, zeta) in &[(0.0, 1.2), (2.0, 1.5), (2.0, 2.5), (5.0, 1.1)] {
        let m = StnoModel::new(0.02, q, 4.0, 0.0).unwrap();
        let i = zeta * 4.0;
        let p0 = (zeta - 1.0) / (zeta + q);
        assert!((m.steady_power(i) - p0).abs() < 1e-15);
        // Start from both sides of p0: growth from a small amplitude and decay from above.
        for p_start in [1e-4, 0.9] {
            // 40 relaxation times: the residual is e^-40 of the start, far below the tolerance.
            let t = 40.0 / m.power_relaxation_rate(i);
            let p = evolve(&m, p_start, i, t, 0.5);
            assert!(
                (p - p0).abs() < 1e-9 * p0,
                "Q={q} ζ={zeta} from {p_start}: p = {p}, p0 = {p0}"
            );
        }
    }
}

#[test]
fn power_decays_to_zero_below_threshold() {
    let m = StnoModel::new(0.02, 2.0, 4.0, 0.0).unwrap();
    for zeta in [0.0, 0.5, 0.9] {
        let i = zeta * 4.0;
        assert_eq!(m.steady_power(i), 0.0);
        let t = 20.0 / m.power_relaxation_rate(i);
        let p = evolve(&m, 0.3, i, t, 0.5);
        // dp/dt ≤ −2 Γ_G (1 − ζ) p below threshold, so p ≤ 0.3 e^-20.
        assert!(p < 0.3 * (-20.0f64).exp(), "ζ={zeta}: p = {p}");
        assert!(p > 0.0);
    }
}

#[test]
fn relaxation_rate_near_p0_is_twice_gamma_g_times_zeta_minus_one() {
    let m = StnoModel::new(0.02, 2.0, 4.0, 0.0).unwrap();
    let i = 6.0; // ζ = 1.5: rate 2 × 0.02 × 0.5 = 0.02 per ns
    let p0 = m.steady_power(i);
    let dev = |t: f64| (evolve(&m, p0 * 1.001, i, t, 0.1) - p0).abs();
    let (t1, t2) = (50.0, 250.0);
    let rate = (dev(t1) / dev(t2)).ln() / (t2 - t1);
    assert!(
        (rate / m.power_relaxation_rate(i) - 1.0).abs() < 5e-3,
        "measured {rate}, expected {}",
        m.power_relaxation_rate(i)
    );
}

#[test]
fn thermal_noise_holds_the_power_at_p_t_at_zero_current() {
    let p_t = 1e-3;
    let m = StnoModel::new(0.02, 2.0, 4.0, p_t).unwrap();
    let mut c = Complex64::new(0.0, 0.0);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let dt = 0.5;
    let (burn, n) = (2_000, 2_000_000);
    let mut sum = 0.0;
    for k in 0..burn + n {
        m.advance(&mut c, 0.0, dt, &mut rng);
        if k >= burn {
            sum += c.norm_sqr();
        }
    }
    let mean = sum / n as f64;
    // The power is exponentially distributed (std = mean) with correlation time 1/(2 Γ_G) = 25 ns:
    // 1e6 ns hold ~2e4 independent samples, a 0.7 % standard error; the Q p_T ≈ 2e-3 nonlinear
    // correction and the O(Γ_G dt) = 1 % Heun bias are of the same order. 4 % bounds all three.
    assert!(
        (mean / p_t - 1.0).abs() < 0.04,
        "mean power {mean}, p_T {p_t}"
    );
}

#[test]
fn the_reservoir_rests_at_p0_of_the_bias_current_and_reads_its_amplitude() {
    let cfg = StnoConfig {
        thermal_power: 0.0,
        ..StnoConfig::default()
    };
    let mut r = StnoReservoir::new(&cfg, 1).unwrap();
    let mut out = vec![0.0; r.state_dim()];
    r.step(&[0.0], &mut out).unwrap();
    // ζ = 6/4 = 1.5, Q = 2: p0 = 0.5 / 3.5.
    let a0 = (0.5f64 / 3.5).sqrt();
    assert!(out.iter().all(|a| (a - a0).abs() < 1e-12), "{out:?}");
}

#[test]
fn a_larger_current_gives_a_larger_amplitude_after_a_frame() {
    let cfg = StnoConfig {
        thermal_power: 0.0,
        virtual_nodes: 1,
        theta_ns: 400.0,
        substeps: 400,
        ..StnoConfig::default()
    };
    let mut r = StnoReservoir::new(&cfg, 1).unwrap();
    let sign = r.mask()[[0, 0]];
    let mut out = [0.0];
    // Drive the node at its most positive current (u = sign) for 400 ns = 8 relaxation times.
    r.step(&[sign], &mut out).unwrap();
    let i = cfg.i_bias_ma + cfg.delta_i_ma;
    let expected = r.model().steady_power(i).sqrt();
    assert!(
        (out[0] - expected).abs() < 1e-3 * expected,
        "{} vs {expected}",
        out[0]
    );
}

#[test]
fn energy_is_the_joule_heating_of_the_drive_current() {
    let cfg = StnoConfig::default();
    let mut r = StnoReservoir::new(&cfg, 1).unwrap();
    let mask = r.mask().to_owned();
    let inputs = [0.3, -1.0, 1.0, 0.0];
    let mut out = vec![0.0; r.state_dim()];
    let mut expected = 0.0;
    for &u in &inputs {
        r.step(&[u], &mut out).unwrap();
        for node in 0..cfg.virtual_nodes {
            let i_amp = (cfg.i_bias_ma + cfg.delta_i_ma * mask[[node, 0]] * u) * 1e-3;
            expected += i_amp * i_amp * cfg.resistance_ohm * cfg.theta_ns * 1e-9;
        }
    }
    let e = r.energy().unwrap();
    assert!((e / expected - 1.0).abs() < 1e-12, "{e} vs {expected}");
    // Order of magnitude: (6 mA)² × 40 Ω × 100 ns per input step ≈ 1.4e-10 J.
    assert!((1e-10..2e-10).contains(&(e / inputs.len() as f64)), "{e}");
    r.reset().unwrap();
    assert_eq!(r.energy(), Some(0.0));
}

/// The feedback loop adds `β·a` to each node's current, `a` being the amplitude read
/// `M + feedback_offset` nodes earlier. The Joule energy of a step, `Σ I²·θ·R`, reveals every
/// node's current, so it checks the delay line's indexing against amplitudes read out before.
#[test]
fn the_feedback_loop_adds_the_amplitude_read_m_plus_d_nodes_earlier() {
    let (m, d) = (5usize, 2usize);
    let cfg = StnoConfig {
        thermal_power: 0.0,
        virtual_nodes: m,
        feedback_ma: -1.5,
        feedback_offset: d,
        ..StnoConfig::default()
    };
    let mut r = StnoReservoir::new(&cfg, 1).unwrap();
    let inputs = [0.3, -0.8, 0.9, 0.1];
    // The amplitudes of every node so far, in time order, starting with the `M + d` resting
    // values the line holds after a reset.
    let rest = (r.model().steady_power(cfg.i_bias_ma)).sqrt();
    let mut history = vec![rest; m + d];
    let mut out = vec![0.0; m];
    let mut energy = 0.0;
    for &u in &inputs {
        let before = history.len();
        r.step(&[u], &mut out).unwrap();
        let mut expected = 0.0;
        for node in 0..m {
            let delayed = history[before + node - (m + d)];
            let i = cfg.i_bias_ma
                + cfg.delta_i_ma * r.mask()[[node, 0]] * u
                + cfg.feedback_ma * delayed;
            expected += i * i * cfg.theta_ns * cfg.resistance_ohm * 1e-15;
        }
        energy += expected;
        let got = r.energy().unwrap();
        assert!(
            (got - energy).abs() <= 1e-12 * energy,
            "step u = {u}: energy {got} J, currents from the delay line give {energy} J"
        );
        history.extend_from_slice(&out);
    }
    // The loop changes the response: the same inputs without it give other amplitudes.
    let mut open = StnoReservoir::new(
        &StnoConfig {
            feedback_ma: 0.0,
            ..cfg.clone()
        },
        1,
    )
    .unwrap();
    let mut open_out = vec![0.0; m];
    for &u in &inputs {
        open.step(&[u], &mut open_out).unwrap();
    }
    assert!(open_out.iter().zip(&out).any(|(a, b)| (a - b).abs() > 1e-3));
}

#[test]
fn the_feedback_gain_counts_towards_the_current_limit() {
    // 6 + 1.5·1 + 3 = 10.5 mA > 10 mA.
    let cfg = StnoConfig {
        feedback_ma: 3.0,
        ..StnoConfig::default()
    };
    let err = StnoReservoir::new(&cfg, 1).unwrap_err().to_string();
    assert!(err.contains("i_max_ma"), "{err}");
    let cfg = StnoConfig {
        feedback_ma: f64::NAN,
        ..StnoConfig::default()
    };
    let err = StnoReservoir::new(&cfg, 1).unwrap_err().to_string();
    assert!(err.contains("feedback_ma"), "{err}");
}

#[test]
fn an_absurd_feedback_offset_or_node_count_is_an_error_not_an_allocation() {
    let cfg = StnoConfig {
        feedback_offset: usize::MAX,
        ..StnoConfig::default()
    };
    let err = StnoReservoir::new(&cfg, 1).unwrap_err().to_string();
    assert!(err.contains("feedback_offset"), "{err}");
    let cfg = StnoConfig {
        virtual_nodes: 1 << 40,
        ..StnoConfig::default()
    };
    let err = StnoReservoir::new(&cfg, 1).unwrap_err().to_string();
    assert!(err.contains("virtual_nodes"), "{err}");
}

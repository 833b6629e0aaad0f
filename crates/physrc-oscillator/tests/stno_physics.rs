//! The spin-torque oscillator reproduces the universal auto-oscillator model's analytic results
//! (Slavin & Tiberkevich, IEEE Trans. Magn. 45, 1875 (2009)): the power settles at
//! p0 = (ζ − 1)/(ζ + Q) above threshold and at 0 below it, at the linearised rate 2 Γ_G |ζ − 1|,
//! and thermal noise of strength D = Γ_G p_T holds the power at p_T at zero current.

use num_complex::Complex64;
use physrc_core::{ErrorKind, HasErrorKind, Reservoir};
use physrc_oscillator::{StnoConfig, StnoModel, StnoNoise, StnoReservoir};
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
        thermal_power: Some(0.0),
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
        thermal_power: Some(0.0),
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
        thermal_power: Some(0.0),
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

/// Mean and variance of the power under the auto-oscillator theory's stationary law
/// `P(p) ∝ exp(−(1/p_T) ∫₀^p [Γ₊(p') − Γ₋(p')] / Γ₊(p') dp')` (Slavin & Tiberkevich 2009, with
/// `D(p) = Γ₊(p) p_T`), by Simpson's rule on `[0, p_max]`.
fn theory_moments(q: f64, zeta: f64, p_t: f64, p_max: f64) -> (f64, f64) {
    // ∫₀^p [1 − ζ(1 − p')/(1 + Q p')] dp' in closed form.
    let exponent =
        |p: f64| ((1.0 + zeta / q) * p - zeta * (1.0 + 1.0 / q) / q * (q * p).ln_1p()) / p_t;
    let n = 200_000;
    let h = p_max / n as f64;
    let (mut z, mut m1, mut m2) = (0.0, 0.0, 0.0);
    for k in 0..=n {
        let p = k as f64 * h;
        let w = if k == 0 || k == n {
            1.0
        } else if k % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let d = w * (-exponent(p)).exp();
        z += d;
        m1 += d * p;
        m2 += d * p * p;
    }
    let mean = m1 / z;
    (mean, m2 / z - mean * mean)
}

/// Mean and variance of the simulated power over `t_ns`, after a burn-in of 20 relaxation
/// times.
fn simulated_moments(m: &StnoModel, i_ma: f64, dt: f64, t_ns: f64, seed: u64) -> (f64, f64) {
    let mut c = Complex64::new(m.steady_power(i_ma).sqrt(), 0.0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let burn = (20.0 / m.power_relaxation_rate(i_ma) / dt) as usize;
    let n = (t_ns / dt) as usize;
    let (mut s1, mut s2) = (0.0, 0.0);
    for k in 0..burn + n {
        m.advance(&mut c, i_ma, dt, &mut rng);
        if k >= burn {
            let p = c.norm_sqr();
            s1 += p;
            s2 += p * p;
        }
    }
    let mean = s1 / n as f64;
    (mean, s2 / n as f64 - mean * mean)
}

/// With `noise = "thermal"` the power fluctuates as the theory's stationary law says. At
/// ζ = 1.5, Q = 2, p_T = 2e-3 the power sits at p₀ = 1/7 with a relative spread of ~19 %, and
/// the law with `D = Γ₊(p) p_T` has a variance ~(1 + Q p₀) = 1.29 times that of the constant
/// diffusion `Γ_G p_T`, which the second half checks the test can tell apart.
///
/// Tolerances: the power's correlation time is 1/(2 Γ_G (ζ − 1)) = 50 ns, so 4e6 ns hold
/// 4e4 independent samples: standard errors of 0.1 % on the mean and ~1 % on the variance
/// (√(2/4e4) for a Gaussian-like spread, twice that for the correlated squares); the Heun
/// step's bias is O(Γ_p dt) = 0.25 %. Bounds of 0.5 % and 5 % cover them with margin and stay
/// far inside the 29 % difference between the two laws.
#[test]
fn thermal_noise_gives_the_stationary_power_law_of_the_theory() {
    let (q, zeta, p_t) = (2.0, 1.5, 2e-3);
    let i = zeta * 4.0;
    let (mean_th, var_th) = theory_moments(q, zeta, p_t, 1.0);
    // The theory's mean is the deterministic p₀ up to O(p_T).
    assert!((mean_th / (0.5 / 3.5) - 1.0).abs() < 0.03, "{mean_th}");
    let m = StnoModel::new(0.02, q, 4.0, p_t)
        .unwrap()
        .with_noise(StnoNoise::Thermal);
    let (mean, var) = simulated_moments(&m, i, 0.25, 4e6, 7);
    assert!(
        (mean / mean_th - 1.0).abs() < 5e-3,
        "mean power {mean}, theory {mean_th}"
    );
    assert!(
        (var / var_th - 1.0).abs() < 0.05,
        "power variance {var}, theory {var_th}"
    );

    // The constant diffusion Γ_G p_T is the law without the (1 + Q p) factor: its variance is
    // ~22 % below the thermal one at this power, outside the tolerance above.
    let constant = StnoModel::new(0.02, q, 4.0, p_t).unwrap();
    let (_, var_c) = simulated_moments(&constant, i, 0.25, 4e6, 7);
    assert!(
        var_c / var_th < 0.85,
        "constant-noise variance {var_c} should be well below the thermal law's {var_th}"
    );
}

/// Above threshold the phase of `c` diffuses with `⟨Δφ²⟩ = (D(p₀)/p₀) t`, a Lorentzian line of
/// full width `D(p₀)/(2π p₀)`: `StnoModel::linewidth_mhz`, the generation linewidth
/// `Γ₊(p₀) k_B T / E(p₀)` of the theory (without the nonlinear frequency shift, which the model
/// drops).
///
/// 4e6 ns cut into 200 ns windows give 2e4 increments: a 1 % standard error on their variance.
/// The amplitude fluctuations change `⟨1/p⟩` by the relative power variance, 0.2 % at
/// p_T = 1e-4. The bound is 4 %.
#[test]
fn thermal_noise_gives_the_theorys_generation_linewidth() {
    let (q, zeta, p_t) = (2.0, 1.5, 1e-4);
    let i = zeta * 4.0;
    let m = StnoModel::new(0.02, q, 4.0, p_t)
        .unwrap()
        .with_noise(StnoNoise::Thermal);
    let p0 = m.steady_power(i);
    let expected = m.linewidth_mhz(i).unwrap();
    // Γ_G (1 + Q p₀) p_T / (2π p₀) in MHz, written out.
    let by_hand = 0.02e3 * (1.0 + q * p0) * p_t / (2.0 * std::f64::consts::PI * p0);
    assert!((expected / by_hand - 1.0).abs() < 1e-12);
    assert_eq!(m.linewidth_mhz(3.9), None);

    let (dt, window) = (0.25, 800usize);
    let mut c = Complex64::new(p0.sqrt(), 0.0);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (mut phase, mut start) = (0.0, 0.0);
    let mut increments = Vec::new();
    for k in 1..=16_000_000usize {
        let before = c;
        m.advance(&mut c, i, dt, &mut rng);
        phase += (c / before).arg();
        if k % window == 0 {
            increments.push(phase - start);
            start = phase;
        }
    }
    let n = increments.len() as f64;
    let mean = increments.iter().sum::<f64>() / n;
    let var = increments.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let t = window as f64 * dt;
    // ⟨Δφ²⟩ = 2 (2π · FWHM/2) t: FWHM = Var / (2π t), per ns → ×1e3 for MHz.
    let measured = var / (2.0 * std::f64::consts::PI * t) * 1e3;
    assert!(
        (measured / expected - 1.0).abs() < 0.04,
        "phase diffusion gives {measured} MHz, theory {expected} MHz"
    );
}

/// `noise = "thermal"` takes `p_T` from `temperature_k` and `mode_energy_j` or from
/// `thermal_power`, never from both, and the physical keys mean nothing to the constant model.
#[test]
fn thermal_noise_keys_are_checked_by_name() {
    let thermal = |t: Option<f64>, e: Option<f64>, p: Option<f64>| StnoConfig {
        noise: StnoNoise::Thermal,
        temperature_k: t,
        mode_energy_j: e,
        thermal_power: p,
        ..StnoConfig::default()
    };
    let r = StnoReservoir::new(&thermal(Some(300.0), Some(8.28e-18), None), 1).unwrap();
    let p_t = r.model().thermal_power();
    assert!((p_t / (1.380_649e-23 * 300.0 / 8.28e-18) - 1.0).abs() < 1e-15);
    assert_eq!(r.model().noise(), StnoNoise::Thermal);
    assert_eq!(r.info().get("noise").unwrap().to_string(), "thermal");
    let r = StnoReservoir::new(&thermal(None, None, Some(3e-4)), 1).unwrap();
    assert_eq!(r.model().thermal_power(), 3e-4);
    // The constant model keeps its default p_T = 1e-4.
    let r = StnoReservoir::new(&StnoConfig::default(), 1).unwrap();
    assert_eq!(r.model().thermal_power(), 1e-4);
    assert_eq!(r.model().noise(), StnoNoise::Constant);

    let cases = [
        (thermal(None, None, None), "`noise` = \"thermal\" needs"),
        (
            thermal(Some(300.0), None, None),
            "`mode_energy_j` must be given",
        ),
        (
            thermal(None, Some(1e-17), None),
            "`temperature_k` must be given",
        ),
        (
            thermal(Some(300.0), Some(1e-17), Some(1e-4)),
            "`thermal_power` must not be given",
        ),
        (
            thermal(Some(-1.0), Some(1e-17), None),
            "`temperature_k` must be",
        ),
        (
            thermal(Some(300.0), Some(0.0), None),
            "`mode_energy_j` must be positive",
        ),
        (
            StnoConfig {
                temperature_k: Some(300.0),
                ..StnoConfig::default()
            },
            "`temperature_k` is only read with noise = \"thermal\"",
        ),
        (
            StnoConfig {
                mode_energy_j: Some(1e-17),
                ..StnoConfig::default()
            },
            "`mode_energy_j` is only read with noise = \"thermal\"",
        ),
    ];
    for (cfg, needle) in cases {
        let err = StnoReservoir::new(&cfg, 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter);
        let msg = err.to_string();
        assert!(msg.contains(needle), "{msg} should contain {needle}");
    }
}

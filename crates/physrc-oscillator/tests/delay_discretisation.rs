//! Appeltant's exact-exponential discretisation of the delay reservoir (Appeltant et al., Nat.
//! Commun. 2, 468 (2011), Methods) against a fine-step integration of the delay differential
//! equation it stands for:
//!
//! ```text
//! dX/dt = −X(t) + F(X(t − τ) + γ J(t)),   F(z) = η z / (1 + z^p),   τ = N θ
//! ```
//!
//! with `J` piecewise constant: `mask_i · u(k)` during the `i`-th interval of frame `k`. The
//! map holds the delayed term at its node value over each interval of length `θ`, so its
//! error is first order in `θ` for a fixed delay line and input signal; the test checks both
//! the size of the discrepancy at Appeltant's θ = 0.2 and that halving θ (same τ, same `J(t)`)
//! halves it.

use ndarray::Array2;
use physrc_core::Reservoir;
use physrc_oscillator::{DelayConfig, DelayReservoir, MackeyGlass};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Integrates the DDE on a grid of `m` steps per interval with an exponential integrator whose
/// forcing is interpolated linearly between grid points (second order in the fine step,
/// exact for the linear part). Returns `X` at the end of every interval, frame by frame.
fn fine_dde(cfg: &DelayConfig, mask: &[f64], u: &[f64], m: usize) -> Array2<f64> {
    let f = MackeyGlass::new(cfg.eta, cfg.p).unwrap();
    let n = cfg.nodes;
    let h = cfg.theta / m as f64;
    let lag = n * m; // τ / h, exactly.
    let decay = (-h).exp();
    let (w0, w1) = (1.0 - decay, (h - 1.0 + decay) / h);
    // History: X on the grid, starting with one delay of zeros (the reset state).
    let mut x = vec![0.0; lag + 1];
    let mut out = Array2::zeros((u.len(), n));
    for (k, &uk) in u.iter().enumerate() {
        let raw = cfg.input_offset + cfg.input_scale * uk;
        for i in 0..n {
            let j = cfg.gamma * mask[i] * raw;
            for _ in 0..m {
                let t = x.len() - 1;
                let g0 = f.eval(x[t - lag] + j);
                let g1 = f.eval(x[t + 1 - lag] + j);
                let next = decay * x[t] + g0 * w0 + (g1 - g0) * w1;
                x.push(next);
            }
            out[[k, i]] = *x.last().unwrap();
        }
    }
    out
}

/// Runs the crate's map and the fine DDE for one θ; returns (max |error|, max |X|).
fn compare(nodes: usize, theta: f64, mask: Vec<f64>, u: &[f64]) -> (f64, f64) {
    let cfg = DelayConfig {
        nodes,
        theta,
        input_offset: 0.25,
        input_scale: 0.25,
        ..DelayConfig::default()
    };
    let mut r = DelayReservoir::with_mask(
        &cfg,
        Array2::from_shape_vec((nodes, 1), mask.clone()).unwrap(),
    )
    .unwrap();
    let inputs = Array2::from_shape_vec((u.len(), 1), u.to_vec()).unwrap();
    let map = r.run(inputs.view()).unwrap();
    let dde = fine_dde(&cfg, &mask, u, 64);
    let err = (&map - &dde).iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let scale = dde.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    (err, scale)
}

#[test]
fn the_exponential_map_matches_the_delay_equation_to_first_order_in_theta() {
    // Appeltant's NARMA10 operating point: N = 400, θ = 0.2, η = 0.4, γ = 0.05, p = 1, mask
    // ±0.1, raw input u ∈ [0, 0.5] (normalised input in [−1, 1], mapped back by 0.25 + 0.25 u).
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let nodes = 400;
    let mask: Vec<f64> = (0..nodes)
        .map(|_| if rng.random_bool(0.5) { 0.1 } else { -0.1 })
        .collect();
    let u: Vec<f64> = (0..60).map(|_| rng.random_range(-1.0..=1.0)).collect();
    let (e1, scale) = compare(nodes, 0.2, mask.clone(), &u);
    // Same delay τ = 80 and the same J(t): twice the nodes at half the spacing, each mask
    // value repeated.
    let fine_mask: Vec<f64> = mask.iter().flat_map(|&v| [v, v]).collect();
    let (e2, _) = compare(2 * nodes, 0.1, fine_mask, &u);
    eprintln!("max |map − DDE|: θ = 0.2 → {e1:.3e}, θ = 0.1 → {e2:.3e}; max |X| = {scale:.3e}");
    assert!(
        scale > 1e-3,
        "the drive must excite the node: max |X| = {scale}"
    );
    // Measured at θ = 0.2: e1 ≈ 3 % of max |X|. The held delayed term lags the true one by at
    // most one interval, where X moves by ~(1 − e^{−θ}) |F − X| ~ θ · max |X|, and F' ≤ η = 0.4
    // scales it down: a bound of 10 % leaves room for the accumulation around the loop.
    assert!(e1 < 0.10 * scale, "error {e1} vs max |X| {scale}");
    let order = (e1 / e2).log2();
    assert!(
        (0.8..1.3).contains(&order),
        "observed order {order} (errors {e1}, {e2})"
    );
}

#[test]
fn the_fine_integrator_is_second_order_so_it_can_serve_as_the_reference() {
    // Without this the comparison above could be measuring the reference's own error.
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let nodes = 50;
    let mask: Vec<f64> = (0..nodes)
        .map(|_| if rng.random_bool(0.5) { 0.1 } else { -0.1 })
        .collect();
    let u: Vec<f64> = (0..20).map(|_| rng.random_range(-1.0..=1.0)).collect();
    let cfg = DelayConfig {
        nodes,
        theta: 0.2,
        input_offset: 0.25,
        input_scale: 0.25,
        ..DelayConfig::default()
    };
    let a = fine_dde(&cfg, &mask, &u, 8);
    let b = fine_dde(&cfg, &mask, &u, 16);
    let c = fine_dde(&cfg, &mask, &u, 256);
    let err = |x: &Array2<f64>| (x - &c).iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let order = (err(&a) / err(&b)).log2();
    assert!((1.8..2.3).contains(&order), "observed order {order}");
}

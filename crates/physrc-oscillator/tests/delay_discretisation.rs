//! Convergence of the delay reservoir's integrator (Appeltant et al., Nat. Commun. 2, 468
//! (2011)):
//!
//! ```text
//! dX/dt = −X(t) + F(X(t − τ) + γ J(t)),   F(z) = η z / (1 + z^p),   τ = N θ
//! ```
//!
//! with `J` piecewise constant over each node interval. The reservoir integrates on a grid of
//! `K = substeps` points per interval (exact linear part, drive interpolated linearly over a
//! step), so its virtual-node states should converge at second order in `h = θ / K`. The
//! tolerance the crate documents for its default `K = 8` is 2e-5 of max |X| between `h` and
//! `h / 2` at Appeltant's operating point.

use ndarray::Array2;
use physrc_core::Reservoir;
use physrc_oscillator::{DelayConfig, DelayReservoir, MackeyGlass};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Appeltant's NARMA10 operating point: N = 400, θ = 0.2, η = 0.4, γ = 0.05, p = 1, mask
/// ±0.1, raw input u ∈ [0, 0.5] (normalised input in [−1, 1], mapped back by 0.25 + 0.25 u).
fn appeltant(substeps: usize, delay_offset: usize) -> DelayConfig {
    DelayConfig {
        input_offset: 0.25,
        input_scale: 0.25,
        substeps,
        delay_offset,
        ..DelayConfig::default()
    }
}

fn mask_and_input(seed: u64, nodes: usize, steps: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mask = (0..nodes)
        .map(|_| if rng.random_bool(0.5) { 0.1 } else { -0.1 })
        .collect();
    let u = (0..steps).map(|_| rng.random_range(-1.0..=1.0)).collect();
    (mask, u)
}

/// The virtual-node states of the reservoir built from `cfg` with the given mask.
fn states(cfg: &DelayConfig, mask: &[f64], u: &[f64]) -> Array2<f64> {
    let mut r = DelayReservoir::with_mask(
        cfg,
        Array2::from_shape_vec((mask.len(), 1), mask.to_vec()).unwrap(),
    )
    .unwrap();
    let inputs = Array2::from_shape_vec((u.len(), 1), u.to_vec()).unwrap();
    r.run(inputs.view()).unwrap()
}

fn max_abs(x: &Array2<f64>) -> f64 {
    x.iter().fold(0.0f64, |a, v| a.max(v.abs()))
}

#[test]
fn states_converge_at_second_order_as_the_step_halves() {
    for d in [0, 3] {
        let (mask, u) = mask_and_input(5, 400, 60);
        let runs: Vec<Array2<f64>> = [1, 2, 4, 8, 16, 32]
            .iter()
            .map(|&k| states(&appeltant(k, d), &mask, &u))
            .collect();
        let scale = max_abs(&runs[5]);
        assert!(
            scale > 5e-4,
            "the drive must excite the node: max |X| = {scale}"
        );
        // Difference between h and h/2, relative to max |X|, for K = 1, 2, 4, 8, 16.
        let diffs: Vec<f64> = runs
            .windows(2)
            .map(|w| max_abs(&(&w[0] - &w[1])) / scale)
            .collect();
        eprintln!("d = {d}: max |X(h) − X(h/2)| / max |X| for K = 1, 2, 4, 8, 16: {diffs:?}");
        // Measured (d = 0): 4.5e-4, 1.1e-4, 2.8e-5, 7.0e-6, 1.7e-6: ratio 4.0 at every halving.
        for w in diffs.windows(2) {
            let ratio = w[0] / w[1];
            assert!(
                ratio > 3.0,
                "d = {d}: the difference fell only {ratio:.2}x ({diffs:?})"
            );
        }
        // The documented tolerance at the default K = 8 (step h = 0.025).
        assert!(
            diffs[3] < 2e-5,
            "d = {d}: K = 8 vs 16 differ by {}",
            diffs[3]
        );
        assert_eq!(DelayConfig::default().substeps, 8);
    }
}

/// Appeltant's discrete map: the delayed term held at its node value over each interval and
/// the linear part solved exactly (`d = 0`).
fn held_map(cfg: &DelayConfig, mask: &[f64], u: &[f64]) -> Array2<f64> {
    let f = MackeyGlass::new(cfg.eta, cfg.p).unwrap();
    let n = mask.len();
    let e = (-cfg.theta).exp();
    let mut seq = vec![0.0; n];
    let mut out = Array2::zeros((u.len(), n));
    for (k, &uk) in u.iter().enumerate() {
        let raw = cfg.input_offset + cfg.input_scale * uk;
        for (i, &m) in mask.iter().enumerate() {
            let t = seq.len();
            let x = e * seq[t - 1] + (1.0 - e) * f.eval(seq[t - n] + cfg.gamma * m * raw);
            seq.push(x);
            out[[k, i]] = x;
        }
    }
    out
}

#[test]
fn the_held_delay_map_is_first_order_against_the_converged_states() {
    // What integrating the equation accurately changes: the map that holds the delayed term
    // over an interval is off by a few percent at θ = 0.2, and halving θ (same τ, same J(t),
    // each mask value repeated) halves that.
    let (mask, u) = mask_and_input(5, 400, 60);
    let reference = |nodes: usize, theta: f64, mask: &[f64]| {
        let cfg = DelayConfig {
            nodes,
            theta,
            ..appeltant(64 * 400 / nodes, 0)
        };
        (states(&cfg, mask, &u), held_map(&cfg, mask, &u))
    };
    let (x1, m1) = reference(400, 0.2, &mask);
    let fine: Vec<f64> = mask.iter().flat_map(|&v| [v, v]).collect();
    let (x2, m2) = reference(800, 0.1, &fine);
    let scale = max_abs(&x1);
    let (e1, e2) = (max_abs(&(&m1 - &x1)), max_abs(&(&m2 - &x2)));
    eprintln!(
        "held map vs converged: θ = 0.2 → {:.3e}, θ = 0.1 → {:.3e} of max |X|",
        e1 / scale,
        e2 / scale
    );
    assert!(
        (0.005..0.10).contains(&(e1 / scale)),
        "error {e1} vs {scale}"
    );
    let order = (e1 / e2).log2();
    assert!((0.8..1.3).contains(&order), "observed order {order}");
}

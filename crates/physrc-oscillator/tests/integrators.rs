//! Convergence order of the fixed-step integrators, measured on the models themselves: the
//! global error after a fixed time is compared at two step sizes `h` and `h/2`, and
//! `log2(e(h) / e(h/2))` must be the method's order (RK4: 4; Heun without noise: 2).

use ndarray::Array2;
use num_complex::Complex64;
use physrc_oscillator::ode::Rk4;
use physrc_oscillator::{StnoModel, StuartLandauNetwork};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A 6-oscillator network above its Hopf point (λ = 0.3), dense complex coupling and detuned
/// frequencies, so the cubic term and the coupling both matter over the interval.
fn network() -> (StuartLandauNetwork, Vec<Complex64>, Vec<Complex64>) {
    let n = 6;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let omega: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let c = Array2::from_shape_fn((n, n), |(j, k)| {
        if j == k {
            Complex64::new(0.0, 0.0)
        } else {
            Complex64::new(rng.random_range(-0.3..0.3), rng.random_range(-0.3..0.3))
        }
    });
    let z0 = (0..n)
        .map(|_| Complex64::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)))
        .collect();
    let forcing = (0..n)
        .map(|_| Complex64::new(rng.random_range(-0.2..0.2), 0.0))
        .collect();
    (
        StuartLandauNetwork::new(0.3, omega, c).unwrap(),
        z0,
        forcing,
    )
}

fn sl_at(t_end: f64, steps: usize) -> Vec<Complex64> {
    let (net, mut z, forcing) = network();
    let mut rk = Rk4::new(net.len());
    net.integrate(&mut rk, &mut z, &forcing, t_end / steps as f64, steps);
    z
}

fn max_dist(a: &[Complex64], b: &[Complex64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).norm())
        .fold(0.0, f64::max)
}

#[test]
fn rk4_on_the_stuart_landau_network_is_fourth_order() {
    let t = 5.0;
    let reference = sl_at(t, 8192);
    let (h1, h2) = (50, 100); // h = 0.1 and 0.05
    let e1 = max_dist(&sl_at(t, h1), &reference);
    let e2 = max_dist(&sl_at(t, h2), &reference);
    let order = (e1 / e2).log2();
    eprintln!("stuart-landau rk4: e(0.1) = {e1:.3e}, e(0.05) = {e2:.3e}, order {order:.3}");
    assert!((3.7..4.4).contains(&order), "observed order {order}");
}

#[test]
fn heun_on_the_noise_free_stno_is_second_order() {
    // Growth from p = 0.01 towards p0 = 0.5 / 3.5 at ζ = 1.5: the nonlinear part of the
    // dynamics, with no noise so the generator is never drawn from.
    let m = StnoModel::new(0.02, 2.0, 4.0, 0.0).unwrap();
    let run = |steps: usize| {
        let mut c = Complex64::new(0.1, 0.0);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let dt = 200.0 / steps as f64;
        for _ in 0..steps {
            m.advance(&mut c, 6.0, dt, &mut rng);
        }
        c.norm_sqr()
    };
    let reference = run(1 << 16);
    let e1 = (run(40) - reference).abs();
    let e2 = (run(80) - reference).abs();
    let order = (e1 / e2).log2();
    eprintln!("stno heun: e(5 ns) = {e1:.3e}, e(2.5 ns) = {e2:.3e}, order {order:.3}");
    assert!((1.8..2.3).contains(&order), "observed order {order}");
}

//! A fixed-step classical Runge–Kutta (RK4) integrator.
//!
//! Fixed steps keep every run deterministic and bit-reproducible (an adaptive controller would
//! make the step sequence depend on rounding), and RK4's fourth-order global error is what the
//! convergence test in this crate measures.

use std::ops::{Add, Mul};

/// What RK4 needs from a state component: addition and scaling by a real number.
/// Implemented for `f64` and `num_complex::Complex64`.
pub trait OdeScalar: Copy + Default + Add<Output = Self> + Mul<f64, Output = Self> {}

impl<T> OdeScalar for T where T: Copy + Default + Add<Output = T> + Mul<f64, Output = T> {}

/// Classical RK4 with preallocated stage buffers, so stepping never allocates.
#[derive(Debug, Clone)]
pub struct Rk4<T> {
    k1: Vec<T>,
    k2: Vec<T>,
    k3: Vec<T>,
    k4: Vec<T>,
    tmp: Vec<T>,
}

impl<T: OdeScalar> Rk4<T> {
    /// Stage buffers for systems of dimension `n`.
    pub fn new(n: usize) -> Self {
        Rk4 {
            k1: vec![T::default(); n],
            k2: vec![T::default(); n],
            k3: vec![T::default(); n],
            k4: vec![T::default(); n],
            tmp: vec![T::default(); n],
        }
    }

    /// The system dimension these buffers serve.
    pub fn dim(&self) -> usize {
        self.k1.len()
    }

    /// Advances `y` from time `t` by one step `h` of `dy/dt = f(t, y)`.
    ///
    /// `f(t, y, dy)` writes the derivative into `dy`.
    ///
    /// # Panics
    ///
    /// If `y.len()` differs from [`dim`](Rk4::dim): a programming error inside this crate,
    /// never reachable from user input.
    pub fn step<F>(&mut self, t: f64, y: &mut [T], h: f64, mut f: F)
    where
        F: FnMut(f64, &[T], &mut [T]),
    {
        assert_eq!(y.len(), self.k1.len(), "rk4: state length changed");
        let half = 0.5 * h;
        f(t, y, &mut self.k1);
        for ((t_, &y_), &k) in self.tmp.iter_mut().zip(y.iter()).zip(&self.k1) {
            *t_ = y_ + k * half;
        }
        f(t + half, &self.tmp, &mut self.k2);
        for ((t_, &y_), &k) in self.tmp.iter_mut().zip(y.iter()).zip(&self.k2) {
            *t_ = y_ + k * half;
        }
        f(t + half, &self.tmp, &mut self.k3);
        for ((t_, &y_), &k) in self.tmp.iter_mut().zip(y.iter()).zip(&self.k3) {
            *t_ = y_ + k * h;
        }
        f(t + h, &self.tmp, &mut self.k4);
        let sixth = h / 6.0;
        for i in 0..y.len() {
            y[i] = y[i] + (self.k1[i] + self.k2[i] * 2.0 + self.k3[i] * 2.0 + self.k4[i]) * sixth;
        }
    }

    /// Advances `y` from `t` over `steps` equal steps of size `h`.
    pub fn integrate<F>(&mut self, t: f64, y: &mut [T], h: f64, steps: usize, mut f: F)
    where
        F: FnMut(f64, &[T], &mut [T]),
    {
        for s in 0..steps {
            self.step(t + s as f64 * h, y, h, &mut f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dy/dt = −y + sin t has the exact solution y = (sin t − cos t)/2 + (y0 + 1/2)e^{−t}.
    fn exact(t: f64, y0: f64) -> f64 {
        0.5 * (t.sin() - t.cos()) + (y0 + 0.5) * (-t).exp()
    }

    #[test]
    fn rk4_is_fourth_order_on_a_forced_linear_equation() {
        let mut errs = Vec::new();
        // Steps small enough for the h⁴ term to dominate: at h = 0.2 the h⁵ term still shows
        // (measured ratios 6.9, 9.8, 13.5 from h = 0.2 down to 0.025).
        for &steps in &[100usize, 200, 400] {
            let mut rk = Rk4::<f64>::new(1);
            let mut y = [1.0];
            let h = 2.0 / steps as f64;
            rk.integrate(0.0, &mut y, h, steps, |t, y, dy| dy[0] = -y[0] + t.sin());
            errs.push((y[0] - exact(2.0, 1.0)).abs());
        }
        for w in errs.windows(2) {
            let order = (w[0] / w[1]).log2();
            // Halving h divides the global error of a fourth-order method by 2^4.
            assert!(
                (3.8..4.3).contains(&order),
                "observed order {order}, errors {errs:?}"
            );
        }
    }
}

//! The contract test kit: one function every substrate's tests call.
//!
//! ```text
//! #[test]
//! fn satisfies_the_reservoir_contract() {
//!     physrc_core::contract::check(|| MySubstrate::new(params.clone()).unwrap());
//! }
//! ```
//!
//! It panics with a message naming the broken clause of the [`Reservoir`] contract, so it is
//! meant for tests only (feature `contract`, enabled from `[dev-dependencies]`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use ndarray::Array2;

use crate::{ErrorKind, Reservoir};

/// Options for [`check_with`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Length of the input sequence driven through the substrate.
    pub steps: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { steps: 64 }
    }
}

/// Runs every contract check with default options.
///
/// `make` builds a fresh substrate from one fixed configuration; it is called more than once,
/// and every value it returns must behave identically.
///
/// # Panics
///
/// When a clause of the contract does not hold; the message names it.
pub fn check<R, F>(make: F)
where
    R: Reservoir + Send + 'static,
    F: FnMut() -> R,
{
    check_with(make, &Options::default());
}

/// Runs every contract check with the given options.
///
/// # Panics
///
/// When a clause of the contract does not hold; the message names it.
pub fn check_with<R, F>(mut make: F, opts: &Options)
where
    R: Reservoir + Send + 'static,
    F: FnMut() -> R,
{
    let mut r = make();
    let d = r.input_dim();
    let n = r.state_dim();
    assert!(n > 0, "contract: state_dim must be positive");
    assert!(
        !r.info().name.is_empty(),
        "contract: info().name must not be empty"
    );
    let inputs = test_inputs(opts.steps.max(4), d);

    // `run` equals repeated `step`.
    r.reset().expect("contract: reset failed");
    assert_energy_zero(&r, "after reset");
    let by_run = r
        .run(inputs.view())
        .expect("contract: run failed on valid input");
    assert_eq!(
        by_run.dim(),
        (inputs.nrows(), n),
        "contract: run returned the wrong shape"
    );
    assert!(
        by_run.iter().all(|v| v.is_finite()),
        "contract: states must be finite for valid input"
    );
    assert_dims(&r, d, n);
    r.reset().expect("contract: reset failed");
    let by_step = step_all(&mut r, &inputs, 0..inputs.nrows());
    assert_bits_eq(
        &by_run,
        &by_step,
        "run must equal repeated step after reset",
    );

    // `run_into` fills the caller's rows with what `run` returns, and refuses an array of the
    // wrong shape before the first step.
    r.reset().expect("contract: reset failed");
    let mut into = ndarray::Array2::from_elem((inputs.nrows(), n), f64::NAN);
    r.run_into(inputs.view(), into.view_mut())
        .expect("contract: run_into failed on valid input");
    assert_bits_eq(&by_run, &into, "run_into must write what run returns");
    r.reset().expect("contract: reset failed");
    let mut short = ndarray::Array2::zeros((inputs.nrows(), n + 1));
    assert!(
        r.run_into(inputs.view(), short.view_mut()).is_err(),
        "contract: run_into must refuse a states array of the wrong shape"
    );
    let after = r
        .run(inputs.view())
        .expect("contract: run failed after a refused run_into");
    assert_bits_eq(
        &by_run,
        &after,
        "a refused run_into must leave the state untouched",
    );

    // Energy, when modelled, is finite, non-negative and never decreases.
    r.reset().expect("contract: reset failed");
    if r.energy().is_some() {
        let mut last = 0.0;
        let mut out = vec![0.0; n];
        for row in inputs.rows() {
            r.step(&row.to_vec(), &mut out)
                .expect("contract: step failed");
            let e = r
                .energy()
                .expect("contract: energy must stay Some once modelled");
            assert!(
                e.is_finite() && e >= 0.0,
                "contract: energy must be finite and >= 0, got {e}"
            );
            assert!(
                e >= last,
                "contract: energy must not decrease between resets"
            );
            last = e;
        }
    }

    // A fresh value from the same configuration reproduces the states bit for bit.
    let mut fresh = make();
    let again = fresh
        .run(inputs.view())
        .expect("contract: run failed on a fresh substrate");
    assert_bits_eq(
        &by_run,
        &again,
        "the same configuration must reproduce the same states",
    );

    // Rejected inputs leave the state untouched, and never panic.
    r.reset().expect("contract: reset failed");
    let half = inputs.nrows() / 2;
    let first = step_all(&mut r, &inputs, 0..half);
    let mut out = vec![0.0; n];
    let mut bad: Vec<(Vec<f64>, ErrorKind, &str)> = Vec::new();
    if d > 0 {
        for (v, what) in [
            (f64::NAN, "a NaN input"),
            (f64::INFINITY, "an infinite input"),
            (1.5, "an input above 1"),
            (-1.0 - 1e-9, "an input below -1"),
        ] {
            let mut x = vec![0.0; d];
            x[d - 1] = v;
            bad.push((x, ErrorKind::InvalidInput, what));
        }
        bad.push((
            vec![0.0; d - 1],
            ErrorKind::DimensionMismatch,
            "a too-short input",
        ));
    }
    bad.push((
        vec![0.0; d + 1],
        ErrorKind::DimensionMismatch,
        "a too-long input",
    ));
    for (x, kind, what) in &bad {
        let res = catch_unwind(AssertUnwindSafe(|| r.step(x, &mut out)));
        match res {
            Err(_) => panic!("contract: step panicked on {what}; it must return an error"),
            Ok(Ok(())) => panic!("contract: step accepted {what}"),
            Ok(Err(e)) => assert_eq!(
                e.kind(),
                *kind,
                "contract: wrong error kind for {what}: {e}"
            ),
        }
    }
    let mut short = vec![0.0; n - 1];
    let ok = vec![0.0; d];
    match catch_unwind(AssertUnwindSafe(|| r.step(&ok, &mut short))) {
        Err(_) => panic!("contract: step panicked on a short state buffer"),
        Ok(Ok(())) => panic!("contract: step accepted a state buffer of the wrong length"),
        Ok(Err(e)) => assert_eq!(e.kind(), ErrorKind::DimensionMismatch, "contract: {e}"),
    }
    if d > 0 {
        let mut poisoned = inputs.clone();
        poisoned[[inputs.nrows() - 1, 0]] = f64::NAN;
        match catch_unwind(AssertUnwindSafe(|| r.run(poisoned.view()))) {
            Err(_) => panic!("contract: run panicked on a NaN in its last row"),
            Ok(Ok(_)) => panic!("contract: run accepted a NaN input"),
            Ok(Err(e)) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "contract: {e}"),
        }
    }
    let rest = step_all(&mut r, &inputs, half..inputs.nrows());
    let mut joined = first;
    joined
        .append(ndarray::Axis(0), rest.view())
        .expect("same width");
    assert_bits_eq(
        &by_run,
        &joined,
        "rejected inputs must leave the state untouched",
    );
    assert_dims(&r, d, n);

    // Substrates swap behind a box, and the box forwards faithfully.
    let mut boxed: Box<dyn Reservoir + Send> = Box::new(make());
    assert_eq!(boxed.input_dim(), d);
    assert_eq!(boxed.state_dim(), n);
    let via_box = boxed
        .run(inputs.view())
        .expect("contract: boxed run failed");
    assert_bits_eq(
        &by_run,
        &via_box,
        "Box<dyn Reservoir> must forward faithfully",
    );
    let mut owned = make();
    // Fully qualified, so the forwarding impl for `&mut R` is what runs (method syntax would
    // auto-deref to `R::run` and test nothing).
    let mut by_ref = &mut owned;
    let via_ref =
        <&mut R as Reservoir>::run(&mut by_ref, inputs.view()).expect("contract: &mut run failed");
    assert_bits_eq(&by_run, &via_ref, "&mut R must forward faithfully");
}

fn assert_dims<R: Reservoir>(r: &R, d: usize, n: usize) {
    assert_eq!(r.input_dim(), d, "contract: input_dim changed");
    assert_eq!(r.state_dim(), n, "contract: state_dim changed");
}

fn assert_energy_zero<R: Reservoir>(r: &R, when: &str) {
    if let Some(e) = r.energy() {
        assert!(e == 0.0, "contract: energy must be 0 {when}, got {e}");
    }
}

fn step_all<R: Reservoir>(
    r: &mut R,
    inputs: &Array2<f64>,
    rows: std::ops::Range<usize>,
) -> Array2<f64> {
    let n = r.state_dim();
    let mut states = Array2::zeros((rows.len(), n));
    for (k, t) in rows.enumerate() {
        let x = inputs.row(t).to_vec();
        let mut out = vec![0.0; n];
        r.step(&x, &mut out)
            .expect("contract: step failed on valid input");
        states.row_mut(k).assign(&ndarray::ArrayView1::from(&out));
    }
    states
}

fn assert_bits_eq(a: &Array2<f64>, b: &Array2<f64>, what: &str) {
    assert_eq!(a.dim(), b.dim(), "contract: {what} (shapes differ)");
    for ((idx, x), y) in a.indexed_iter().zip(b.iter()) {
        assert!(
            x.to_bits() == y.to_bits(),
            "contract: {what}; first difference at {idx:?}: {x} vs {y}"
        );
    }
}

/// A deterministic input sequence in `[-1, 1]` that includes both endpoints.
fn test_inputs(steps: usize, d: usize) -> Array2<f64> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    Array2::from_shape_fn((steps, d), |(t, _)| {
        if t == 1 {
            return 1.0;
        }
        if t == 2 {
            return -1.0;
        }
        // SplitMix64: enough for varied test inputs without a dependency.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, Info, check_input, check_state_len};

    /// A leaky integrator: the smallest honest reservoir.
    #[derive(Debug)]
    struct Leaky {
        x: Vec<f64>,
        energy: f64,
    }

    impl Reservoir for Leaky {
        fn input_dim(&self) -> usize {
            2
        }
        fn state_dim(&self) -> usize {
            self.x.len()
        }
        fn reset(&mut self) -> Result<(), Error> {
            self.x.iter_mut().for_each(|v| *v = 0.0);
            self.energy = 0.0;
            Ok(())
        }
        fn step(&mut self, input: &[f64], out: &mut [f64]) -> Result<(), Error> {
            check_input(input, 2)?;
            check_state_len(out, self.x.len())?;
            for (i, x) in self.x.iter_mut().enumerate() {
                *x = 0.5 * *x + input[i % 2] * (i as f64 + 1.0);
                self.energy += x.abs() * 1e-18;
            }
            out.copy_from_slice(&self.x);
            Ok(())
        }
        fn info(&self) -> Info {
            Info::new("leaky").with("units", self.x.len())
        }
        fn energy(&self) -> Option<f64> {
            Some(self.energy)
        }
    }

    #[test]
    fn a_correct_reservoir_passes() {
        check(|| Leaky {
            x: vec![0.0; 3],
            energy: 0.0,
        });
    }

    /// Mutates before validating: the kit must catch it.
    #[derive(Debug)]
    struct Sloppy(Leaky);

    impl Reservoir for Sloppy {
        fn input_dim(&self) -> usize {
            2
        }
        fn state_dim(&self) -> usize {
            3
        }
        fn reset(&mut self) -> Result<(), Error> {
            self.0.reset()
        }
        fn step(&mut self, input: &[f64], out: &mut [f64]) -> Result<(), Error> {
            self.0.x[0] += 1.0;
            self.0.step(input, out)
        }
        fn info(&self) -> Info {
            Info::new("sloppy")
        }
    }

    #[test]
    #[should_panic(expected = "rejected inputs must leave the state untouched")]
    fn mutating_before_validation_is_caught() {
        check(|| {
            Sloppy(Leaky {
                x: vec![0.0; 3],
                energy: 0.0,
            })
        });
    }

    #[test]
    fn test_inputs_cover_the_range() {
        let u = test_inputs(64, 2);
        assert!(u.iter().all(|v| (-1.0..=1.0).contains(v)));
        assert!(u.iter().any(|&v| v == 1.0) && u.iter().any(|&v| v == -1.0));
    }
}

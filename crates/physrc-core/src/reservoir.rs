use ndarray::{Array2, ArrayView2, ArrayViewMut2};

use crate::{Error, Info, InputError, check_input};

/// A physical or simulated reservoir: a dynamical system driven by normalised inputs whose
/// state is read out after every input step.
///
/// # Contract
///
/// For substrate authors — every implementation must hold these, and
/// `physrc_core::contract::check` (feature `contract`) tests them:
///
/// - [`input_dim`](Reservoir::input_dim) and [`state_dim`](Reservoir::state_dim) never change
///   over the life of the value, and `state_dim() > 0`.
/// - [`step`](Reservoir::step) validates before it mutates: an input of the wrong length, a
///   non-finite component, a component outside `[-1, 1]`, or a state buffer of the wrong
///   length returns an error and leaves the internal state untouched. It never panics on
///   user input.
/// - After [`reset`](Reservoir::reset), the same input sequence produces bit-identical states.
///   Randomness (noise, thermal fields, device variation) is seeded by configuration and
///   re-seeded by `reset`.
/// - [`run`](Reservoir::run) returns exactly what repeated `step` calls would, row by row.
///   Implementations may override it to batch work (a rig sends a whole sequence at once).
/// - [`run_into`](Reservoir::run_into) writes exactly what [`run`](Reservoir::run) returns
///   into the caller's array. A substrate whose own `run` fills its rows directly overrides
///   it to skip the copy; the provided one calls `run`, so a batching `run` keeps batching.
/// - [`replay`](Reservoir::replay) leaves the substrate in the state [`run`](Reservoir::run)
///   on the same inputs would, and validates the whole sequence first as `run` does; it only
///   skips handing states back. The runner resumes an interrupted run with `reset` and then
///   `replay` of the logged inputs, because the state of a physical sample (a magnetic
///   microstate, a filament) cannot be loaded from a file: it can only be driven back. A
///   substrate that measures as it steps (a rig) overrides `replay` to skip the measurements.
/// - [`last_drive`](Reservoir::last_drive), after a successful `step`, is the physical drive
///   that step applied, in SI units (a rig: every field set point of the step as x, y pairs
///   in tesla, after DAC quantisation). It is empty when the substrate reports no drive, and
///   unspecified before the first step or after a failed one.
/// - [`energy`](Reservoir::energy), when it returns a value, is the model's estimate in joules
///   of the energy dissipated by the substrate since the last `reset`, excluding drive and
///   readout electronics unless the substrate documents otherwise.
///
/// For users — substrates swap at run time behind `Box<dyn Reservoir + Send>`; `&mut R` and
/// `Box<R>` forward every method, so generic code can take `impl Reservoir` and still be
/// handed either.
pub trait Reservoir {
    /// Number of input components per step.
    fn input_dim(&self) -> usize;

    /// Number of state components read out per step.
    fn state_dim(&self) -> usize;

    /// Returns the substrate to its initial state and re-seeds its randomness.
    ///
    /// # Errors
    ///
    /// Simulators never fail here; a physical rig may fail to answer
    /// ([`ErrorKind::Timeout`](crate::ErrorKind::Timeout)) or report a fault.
    fn reset(&mut self) -> Result<(), Error>;

    /// Drives the substrate with one input vector and writes the resulting state.
    ///
    /// # Errors
    ///
    /// [`InputError`] (kinds `InvalidInput`, `DimensionMismatch`) for bad input or buffer
    /// lengths, with the state untouched; substrate-specific errors such as `Diverged` or
    /// `DeviceFault`.
    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error>;

    /// The substrate's name and parameters.
    fn info(&self) -> Info;

    /// Model estimate of the energy dissipated since the last reset, in joules, if the
    /// substrate has an energy model.
    fn energy(&self) -> Option<f64> {
        None
    }

    /// The physical drive the last [`step`](Reservoir::step) applied, in SI units, for the
    /// run log; empty when the substrate does not report one (the default).
    ///
    /// A rig returns every field set point of the step as x, y pairs in tesla, as applied
    /// after DAC quantisation, so the log holds what the sample saw rather than what was
    /// asked for.
    fn last_drive(&self) -> &[f64] {
        &[]
    }

    /// Tells the substrate when the caller's other work occupies the second core (see
    /// [`SharedCore`](crate::SharedCore)); the experiment runner calls it before a run. A
    /// substrate that can split a step over two threads may then split only while the core
    /// is free. The default ignores the signal.
    ///
    /// # Contract
    ///
    /// The signal may change which threads compute a step, never the states: they are the
    /// same bits whatever it says.
    fn share_core(&mut self, core: crate::SharedCore) {
        let _ = core;
    }

    /// Drives the substrate through `inputs` (`T × input_dim`) to restore its state,
    /// discarding the states.
    ///
    /// The runner calls it after [`reset`](Reservoir::reset) to bring a substrate back to
    /// where an interrupted run left it. The default calls [`run`](Reservoir::run); a rig
    /// overrides it to apply the drive without measuring.
    ///
    /// # Errors
    ///
    /// As for [`run`](Reservoir::run).
    fn replay(&mut self, inputs: ArrayView2<'_, f64>) -> Result<(), Error> {
        self.run(inputs).map(drop)
    }

    /// Drives the substrate with a whole sequence (`T × input_dim`) and returns the states
    /// (`T × state_dim`), one row per input row.
    ///
    /// The whole sequence is validated before the first step, so a bad value anywhere leaves
    /// the state untouched.
    ///
    /// # Errors
    ///
    /// As for [`step`](Reservoir::step); a validation error names the offending row in its
    /// message through [`RunInputError`].
    fn run(&mut self, inputs: ArrayView2<'_, f64>) -> Result<Array2<f64>, Error> {
        let mut states = Array2::zeros((inputs.nrows(), self.state_dim()));
        self.run_into(inputs, states.view_mut())?;
        Ok(states)
    }

    /// Drives the substrate through `inputs` as [`run`](Reservoir::run) does, writing state
    /// `t` into row `t` of `states` instead of a new array: a caller that drives a long
    /// sequence in chunks (to stay responsive, or to bound memory) fills one array, or reuses
    /// the same few, without allocating every chunk. Fresh memory costs a page fault per
    /// 4 KiB page on first touch, which for a large reservoir is a visible share of a step.
    ///
    /// The default steps straight into the rows (through a buffer when a row is not
    /// contiguous), and the default [`run`](Reservoir::run) runs into a new array through
    /// this, so a substrate with a faster batched path overrides this method alone.
    ///
    /// # Errors
    ///
    /// As for [`run`](Reservoir::run); a `states` array that is not `inputs.nrows()` ×
    /// [`state_dim`](Reservoir::state_dim) is an [`InputError::StateDimension`] (counting
    /// elements), found before the first step. After an error in a later step, the rows
    /// before it hold their states and the rest are unspecified.
    fn run_into(
        &mut self,
        inputs: ArrayView2<'_, f64>,
        mut states: ArrayViewMut2<'_, f64>,
    ) -> Result<(), Error> {
        check_states_shape(inputs, &states, self.state_dim())?;
        validate_sequence(inputs, self.input_dim())?;
        let mut buf = vec![0.0; self.input_dim()];
        let mut strided = Vec::new();
        for (row, mut out) in inputs.rows().into_iter().zip(states.rows_mut()) {
            for (b, &v) in buf.iter_mut().zip(row.iter()) {
                *b = v;
            }
            match out.as_slice_mut() {
                Some(out) => self.step(&buf, out)?,
                None => {
                    strided.resize(self.state_dim(), 0.0);
                    self.step(&buf, &mut strided)?;
                    out.iter_mut().zip(&strided).for_each(|(o, v)| *o = *v);
                }
            }
        }
        Ok(())
    }
}

/// Checks that `states` has a row of `state_dim` values for every input row, as
/// [`Reservoir::run_into`] needs before its first step.
///
/// # Errors
///
/// [`InputError::StateDimension`] with the element counts expected and given.
pub fn check_states_shape(
    inputs: ArrayView2<'_, f64>,
    states: &ArrayViewMut2<'_, f64>,
    state_dim: usize,
) -> Result<(), InputError> {
    if states.dim() != (inputs.nrows(), state_dim) {
        return Err(InputError::StateDimension {
            expected: inputs.nrows() * state_dim,
            got: states.len(),
        });
    }
    Ok(())
}

/// A bad value in a sequence handed to [`Reservoir::run`], with the row it was found in.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("input row {row}: {source}")]
pub struct RunInputError {
    /// The row (time step) of the sequence.
    pub row: usize,
    /// What was wrong in it.
    #[source]
    pub source: InputError,
}

impl crate::HasErrorKind for RunInputError {
    fn kind(&self) -> crate::ErrorKind {
        crate::HasErrorKind::kind(&self.source)
    }
}

/// Checks every row of a `T × d` input sequence as [`check_input`] does.
///
/// # Errors
///
/// [`RunInputError`] naming the first bad row.
pub fn validate_sequence(
    inputs: ArrayView2<'_, f64>,
    input_dim: usize,
) -> Result<(), RunInputError> {
    if inputs.ncols() != input_dim {
        return Err(RunInputError {
            row: 0,
            source: InputError::InputDimension {
                expected: input_dim,
                got: inputs.ncols(),
            },
        });
    }
    let mut buf = vec![0.0; input_dim];
    for (row, values) in inputs.rows().into_iter().enumerate() {
        for (b, &v) in buf.iter_mut().zip(values.iter()) {
            *b = v;
        }
        check_input(&buf, input_dim).map_err(|source| RunInputError { row, source })?;
    }
    Ok(())
}

impl<R: Reservoir + ?Sized> Reservoir for &mut R {
    fn input_dim(&self) -> usize {
        (**self).input_dim()
    }
    fn state_dim(&self) -> usize {
        (**self).state_dim()
    }
    fn reset(&mut self) -> Result<(), Error> {
        (**self).reset()
    }
    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
        (**self).step(input, state_out)
    }
    fn info(&self) -> Info {
        (**self).info()
    }
    fn energy(&self) -> Option<f64> {
        (**self).energy()
    }
    fn last_drive(&self) -> &[f64] {
        (**self).last_drive()
    }
    fn share_core(&mut self, core: crate::SharedCore) {
        (**self).share_core(core)
    }
    fn replay(&mut self, inputs: ArrayView2<'_, f64>) -> Result<(), Error> {
        (**self).replay(inputs)
    }
    fn run(&mut self, inputs: ArrayView2<'_, f64>) -> Result<Array2<f64>, Error> {
        (**self).run(inputs)
    }
    fn run_into(
        &mut self,
        inputs: ArrayView2<'_, f64>,
        states: ArrayViewMut2<'_, f64>,
    ) -> Result<(), Error> {
        (**self).run_into(inputs, states)
    }
}

impl<R: Reservoir + ?Sized> Reservoir for Box<R> {
    fn input_dim(&self) -> usize {
        (**self).input_dim()
    }
    fn state_dim(&self) -> usize {
        (**self).state_dim()
    }
    fn reset(&mut self) -> Result<(), Error> {
        (**self).reset()
    }
    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
        (**self).step(input, state_out)
    }
    fn info(&self) -> Info {
        (**self).info()
    }
    fn energy(&self) -> Option<f64> {
        (**self).energy()
    }
    fn last_drive(&self) -> &[f64] {
        (**self).last_drive()
    }
    fn share_core(&mut self, core: crate::SharedCore) {
        (**self).share_core(core)
    }
    fn replay(&mut self, inputs: ArrayView2<'_, f64>) -> Result<(), Error> {
        (**self).replay(inputs)
    }
    fn run(&mut self, inputs: ArrayView2<'_, f64>) -> Result<Array2<f64>, Error> {
        (**self).run(inputs)
    }
    fn run_into(
        &mut self,
        inputs: ArrayView2<'_, f64>,
        states: ArrayViewMut2<'_, f64>,
    ) -> Result<(), Error> {
        (**self).run_into(inputs, states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// A one-component integrator that reports its drive (twice the input) when asked to.
    struct Integrator {
        x: f64,
        drive: Vec<f64>,
        reports_drive: bool,
        runs: usize,
    }

    impl Integrator {
        fn new(reports_drive: bool) -> Self {
            Integrator {
                x: 0.0,
                drive: Vec::new(),
                reports_drive,
                runs: 0,
            }
        }
    }

    impl Reservoir for Integrator {
        fn input_dim(&self) -> usize {
            1
        }
        fn state_dim(&self) -> usize {
            1
        }
        fn reset(&mut self) -> Result<(), Error> {
            self.x = 0.0;
            Ok(())
        }
        fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
            check_input(input, 1)?;
            self.x = 0.5 * self.x + input[0];
            self.drive = vec![2.0 * input[0]];
            state_out[0] = self.x;
            Ok(())
        }
        fn info(&self) -> Info {
            Info::new("integrator")
        }
        fn last_drive(&self) -> &[f64] {
            if self.reports_drive { &self.drive } else { &[] }
        }
        fn run(&mut self, inputs: ArrayView2<'_, f64>) -> Result<Array2<f64>, Error> {
            self.runs += 1;
            validate_sequence(inputs, 1)?;
            let mut out = Array2::zeros((inputs.nrows(), 1));
            for (t, u) in inputs.column(0).iter().enumerate() {
                self.step(&[*u], &mut out.row_mut(t).as_slice_mut().unwrap()[..])?;
            }
            Ok(out)
        }
    }

    #[test]
    fn replay_by_default_runs_and_leaves_the_state_run_would() {
        let u = array![[0.5], [-0.25], [1.0]];
        let mut a = Integrator::new(false);
        a.replay(u.view()).unwrap();
        assert_eq!(a.runs, 1, "the default replay goes through run");
        let mut b = Integrator::new(false);
        b.run(u.view()).unwrap();
        assert_eq!(a.x.to_bits(), b.x.to_bits());
    }

    /// Two components, the integrator's value and its negation, stepped one row at a time.
    struct Pair(Integrator);

    impl Reservoir for Pair {
        fn input_dim(&self) -> usize {
            1
        }
        fn state_dim(&self) -> usize {
            2
        }
        fn reset(&mut self) -> Result<(), Error> {
            self.0.reset()
        }
        fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
            self.0.step(input, &mut state_out[..1])?;
            state_out[1] = -state_out[0];
            Ok(())
        }
        fn info(&self) -> Info {
            Info::new("pair")
        }
    }

    #[test]
    fn the_default_run_into_writes_what_run_returns_into_contiguous_and_strided_rows() {
        let u = array![[0.5], [-0.25], [1.0], [0.125]];
        let want = Pair(Integrator::new(false)).run(u.view()).unwrap();
        let mut rows = Array2::from_elem((4, 2), f64::NAN);
        Pair(Integrator::new(false))
            .run_into(u.view(), rows.view_mut())
            .unwrap();
        assert_eq!(rows, want);
        // A column-major array: each row's two values are four apart.
        let mut cols = Array2::from_elem((2, 4), f64::NAN);
        Pair(Integrator::new(false))
            .run_into(u.view(), cols.view_mut().reversed_axes())
            .unwrap();
        assert_eq!(cols.t(), want);
    }

    #[test]
    fn the_default_run_into_checks_everything_before_the_first_step() {
        let mut p = Pair(Integrator::new(false));
        let mut states = Array2::from_elem((2, 2), 7.0);
        let e = p
            .run_into(array![[0.5], [f64::NAN]].view(), states.view_mut())
            .unwrap_err();
        assert!(e.to_string().contains("row 1"), "{e}");
        let e = p
            .run_into(array![[0.5], [0.25], [0.0]].view(), states.view_mut())
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::DimensionMismatch, "{e}");
        assert_eq!(p.0.x, 0.0, "no step was taken");
        assert!(states.iter().all(|&v| v == 7.0), "no row was written");
    }

    #[test]
    fn replay_rejects_a_bad_row_before_driving() {
        let mut a = Integrator::new(false);
        let e = a.replay(array![[0.5], [f64::NAN]].view()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("row 1"), "{e}");
        assert_eq!(a.x, 0.0);
    }

    #[test]
    fn last_drive_is_empty_by_default_and_forwarded_through_box_and_mut() {
        struct Silent(Integrator);
        impl Reservoir for Silent {
            fn input_dim(&self) -> usize {
                1
            }
            fn state_dim(&self) -> usize {
                1
            }
            fn reset(&mut self) -> Result<(), Error> {
                self.0.reset()
            }
            fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
                self.0.step(input, state_out)
            }
            fn info(&self) -> Info {
                self.0.info()
            }
        }
        let mut s = Silent(Integrator::new(true));
        s.step(&[0.5], &mut [0.0]).unwrap();
        assert!(s.last_drive().is_empty());

        let mut boxed: Box<dyn Reservoir> = Box::new(Integrator::new(true));
        boxed.step(&[0.25], &mut [0.0]).unwrap();
        assert_eq!(boxed.last_drive(), &[0.5]);
        let mut r = Integrator::new(true);
        let mut by_ref = &mut r;
        <&mut Integrator as Reservoir>::replay(&mut by_ref, array![[0.5]].view()).unwrap();
        assert_eq!(<&mut Integrator as Reservoir>::last_drive(&by_ref), &[1.0]);
        assert_eq!(r.runs, 1, "&mut R forwards replay to the overridden run");
    }
}

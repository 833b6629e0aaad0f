use ndarray::{Array2, ArrayView2};

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
        validate_sequence(inputs, self.input_dim())?;
        let mut states = Array2::zeros((inputs.nrows(), self.state_dim()));
        let mut buf = vec![0.0; self.input_dim()];
        for (row, mut out) in inputs.rows().into_iter().zip(states.rows_mut()) {
            // Rows of a column-major or strided view are not contiguous; copy through a buffer.
            for (b, &v) in buf.iter_mut().zip(row.iter()) {
                *b = v;
            }
            let out = out
                .as_slice_mut()
                .expect("rows of a freshly allocated standard-layout array are contiguous");
            self.step(&buf, out)?;
        }
        Ok(states)
    }
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
    fn run(&mut self, inputs: ArrayView2<'_, f64>) -> Result<Array2<f64>, Error> {
        (**self).run(inputs)
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
    fn run(&mut self, inputs: ArrayView2<'_, f64>) -> Result<Array2<f64>, Error> {
        (**self).run(inputs)
    }
}

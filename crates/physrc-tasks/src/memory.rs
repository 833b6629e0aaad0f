//! Input streams for memory capacity and information processing capacity.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{check_length, invalid};
use crate::{Dataset, MackeyGlass, Targets, TaskError};

const TASK: &str = "memory-capacity";

/// Longest delay a config may ask the memory capacity for. The runner also checks the memory
/// its delayed targets need (rows × delays) before the run starts; this bound only keeps the
/// count itself sane.
pub const MAX_MEMORY_DELAY: usize = 100_000;

/// The input stream whose past the memory capacity asks a readout to recall.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum MemoryInput {
    /// I.i.d. `U[−1, 1]` (Jaeger 2001): past inputs carry no information about each other, so
    /// every term measures what the states hold.
    #[default]
    Uniform,
    /// The Mackey–Glass series of the `mackey_glass` table (the parameters of the
    /// `mackey-glass` task, [`MackeyGlass::default`] if the table is left out), the input of
    /// the Imperial nanomagnet experiments: Stenning et al. (Nat. Commun. 15,
    /// 2024) report the memory capacity of their arrays on this input, over delays 1 to 8 of a
    /// 250-step recording (their published analysis code). The series is strongly
    /// autocorrelated, so a term also counts what the current input says about the past one,
    /// and a reservoir without any memory scores well above zero; compare with the
    /// `uniform` figure of the same reservoir.
    MackeyGlass,
}

/// The input stream for memory capacity (Jaeger 2001, GMD Report 152) and information
/// processing capacity (Dambre et al. 2012, Sci. Rep. 2, 514): `u(t) ~ U[−1, 1]` by default.
///
/// Memory capacity `MC = Σ_k MC_k` with `MC_k = cov²(u(t−k), ŷ_k(t)) / (var u · var ŷ_k)`
/// needs one readout per delay `k`, up to about twice the reservoir size, so the delayed
/// targets depend on the reservoir and are built by the runner from the inputs. The dataset's
/// target is the input itself (delay 0, `MC_0`), which keeps it a well-formed regression
/// dataset that any runner can fit. The uniform stream on `[−1, 1]` is also the one whose
/// normalised Legendre polynomials give IPC's orthogonal target basis.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryCapacity {
    /// Seed of the stream (default 0). The Mackey–Glass input has no randomness and does not
    /// use it.
    pub seed: u64,
    /// The input stream (default `"uniform"`).
    pub input: MemoryInput,
    /// The Mackey–Glass series for `input = "mackey-glass"` (its `horizons` are not used).
    pub mackey_glass: Option<MackeyGlass>,
    /// Also report the nonlinearity of Stenning et al. (2024): each of the 60 most variable
    /// state variables fitted linearly from the last `max_delay` inputs, `1 − mean r²` on the
    /// test rows (default false; needs `max_delay`).
    pub nonlinearity: bool,
    /// The longest delay scored, from 1 to [`MAX_MEMORY_DELAY`] (default: the runner's
    /// choice, twice the state dimension at most).
    pub max_delay: Option<usize>,
}

impl MemoryCapacity {
    /// Checks `max_delay` and the `mackey_glass` table.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] naming `max_delay` if it is 0 or above
    /// [`MAX_MEMORY_DELAY`]; naming `nonlinearity` if it is asked for without `max_delay`;
    /// naming `mackey_glass` if the table is given without
    /// `input = "mackey-glass"`; naming `mackey_glass.horizons` if the table sets horizons (the
    /// memory capacity chooses its own delays); and naming the table's key as
    /// [`MackeyGlass::validate`] does for the series' parameters.
    pub fn validate(&self) -> Result<(), TaskError> {
        match (&self.mackey_glass, self.input) {
            (Some(mg), MemoryInput::MackeyGlass) => {
                if mg.horizons != [1] {
                    return Err(invalid(
                        TASK,
                        "mackey_glass.horizons",
                        "left out (the memory capacity sets its own delays with max_delay)",
                        format!("{:?}", mg.horizons),
                    ));
                }
                mg.validate().map_err(|e| match e {
                    TaskError::InvalidParameter {
                        name,
                        requirement,
                        value,
                        ..
                    } => TaskError::InvalidParameter {
                        task: TASK,
                        name: in_series_table(name),
                        requirement,
                        value,
                    },
                    other => other,
                })?;
            }
            (Some(_), MemoryInput::Uniform) => {
                return Err(invalid(
                    TASK,
                    "mackey_glass",
                    "given only with input = \"mackey-glass\"",
                    "a table with input = \"uniform\"",
                ));
            }
            (None, _) => {}
        }
        if self.nonlinearity && self.max_delay.is_none() {
            return Err(invalid(
                TASK,
                "nonlinearity",
                "given with max_delay (the inputs its linear models see)",
                "true without max_delay",
            ));
        }
        match self.max_delay {
            Some(k) if k == 0 || k > MAX_MEMORY_DELAY => Err(invalid(
                TASK,
                "max_delay",
                format!("from 1 to {MAX_MEMORY_DELAY}"),
                k,
            )),
            _ => Ok(()),
        }
    }

    /// Whether the stream depends on `seed` (the Mackey–Glass series does not), so that a
    /// seed override can say it was not used.
    pub fn takes_seed(&self) -> bool {
        self.input == MemoryInput::Uniform
    }

    /// Generates `length` samples of the input stream; the target is the input (delay 0).
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] if `length` is 0 or `max_delay` is out of range.
    pub fn generate(&self, length: usize) -> Result<Dataset, TaskError> {
        self.validate()?;
        check_length(TASK, length, 0)?;
        match self.input {
            MemoryInput::Uniform => {
                let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
                let inputs = Array2::from_shape_fn((length, 1), |_| rng.random_range(-1.0..=1.0));
                let targets = Targets::Regression(inputs.clone());
                Dataset::new(TASK, inputs, targets, Some((-1.0, 1.0)))
            }
            MemoryInput::MackeyGlass => {
                let series = self
                    .mackey_glass
                    .clone()
                    .unwrap_or_default()
                    .generate(length)?;
                let inputs = series.inputs;
                let targets = Targets::Regression(inputs.clone());
                // No fixed range: the runner scales the series from its own training part,
                // as it does for the Mackey–Glass task.
                Dataset::new(TASK, inputs, targets, None)
            }
        }
    }
}

/// The key of a Mackey–Glass parameter as spelled inside the memory-capacity task's
/// `[task.mackey_glass]` table, so that an error points at the line to fix.
fn in_series_table(name: &'static str) -> &'static str {
    match name {
        "a" => "mackey_glass.a",
        "b" => "mackey_glass.b",
        "n" => "mackey_glass.n",
        "tau" => "mackey_glass.tau",
        "x0" => "mackey_glass.x0",
        "dt" => "mackey_glass.dt",
        "sample_interval" => "mackey_glass.sample_interval",
        "discard" => "mackey_glass.discard",
        "horizons" => "mackey_glass.horizons",
        _ => "mackey_glass",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_on_minus_one_one() {
        let d = MemoryCapacity::default().generate(100_000).unwrap();
        let u = d.inputs.column(0);
        assert!(u.iter().all(|v| (-1.0..=1.0).contains(v)));
        let mean = u.sum() / u.len() as f64;
        let var = u.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / u.len() as f64;
        // U[−1, 1]: mean 0, variance 1/3.
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0 / 3.0).abs() < 0.005, "var {var}");
        // Successive samples uncorrelated.
        let lag1 = (1..u.len()).map(|t| u[t] * u[t - 1]).sum::<f64>() / (u.len() - 1) as f64;
        assert!(lag1.abs() < 0.01, "lag-1 {lag1}");
        assert_eq!(d.targets, Targets::Regression(d.inputs.clone()));
    }

    #[test]
    fn mackey_glass_input_is_the_series_of_the_mackey_glass_task() {
        let mg = MackeyGlass {
            sample_interval: 2.0,
            ..MackeyGlass::default()
        };
        let task = MemoryCapacity {
            input: MemoryInput::MackeyGlass,
            mackey_glass: Some(mg.clone()),
            ..MemoryCapacity::default()
        };
        let d = task.generate(300).unwrap();
        assert_eq!(d.inputs, mg.generate(300).unwrap().inputs);
        assert_eq!(d.targets, Targets::Regression(d.inputs.clone()));
        // Without the table the series is the Mackey–Glass task's default one.
        let plain = MemoryCapacity {
            input: MemoryInput::MackeyGlass,
            ..MemoryCapacity::default()
        };
        assert_eq!(
            plain.generate(50).unwrap().inputs,
            MackeyGlass::default().generate(50).unwrap().inputs
        );
    }

    #[test]
    fn bad_delays_and_a_stray_series_are_named() {
        let name = |t: MemoryCapacity| match t.validate() {
            Err(TaskError::InvalidParameter { name, .. }) => name,
            other => panic!("expected an invalid parameter, got {other:?}"),
        };
        for k in [0, MAX_MEMORY_DELAY + 1] {
            let t = MemoryCapacity {
                max_delay: Some(k),
                ..MemoryCapacity::default()
            };
            assert_eq!(name(t), "max_delay");
        }
        let stray = MemoryCapacity {
            mackey_glass: Some(MackeyGlass::default()),
            ..MemoryCapacity::default()
        };
        assert_eq!(name(stray), "mackey_glass");
        let bad_series = MemoryCapacity {
            input: MemoryInput::MackeyGlass,
            mackey_glass: Some(MackeyGlass {
                sample_interval: 0.25,
                ..MackeyGlass::default()
            }),
            ..MemoryCapacity::default()
        };
        assert_eq!(name(bad_series), "mackey_glass.sample_interval");
        let with_horizons = MemoryCapacity {
            input: MemoryInput::MackeyGlass,
            mackey_glass: Some(MackeyGlass {
                horizons: vec![7],
                ..MackeyGlass::default()
            }),
            ..MemoryCapacity::default()
        };
        assert_eq!(name(with_horizons), "mackey_glass.horizons");
        let unbounded = MemoryCapacity {
            nonlinearity: true,
            ..MemoryCapacity::default()
        };
        assert_eq!(name(unbounded), "nonlinearity");
    }
}

//! The run configuration: the TOML file `physrc run` reads.
//!
//! Parsing happens in two steps. The file is first read into a table whose top-level sections
//! are checked by a `deny_unknown_fields` struct; the `[substrate]` and `[task]` tables are
//! kept raw and handed, minus their `kind` key, to the config type of the crate that owns
//! them. That way each substrate crate documents and validates its own keys, and an unknown
//! key anywhere is an error naming the key and its section. The keys are documented in
//! `docs/config.md`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::RunError;

/// The `[task]` kind measured from separate streams rather than one split sequence.
pub(crate) const KERNEL_RANK: &str = "kernel-rank";

/// A parsed run configuration with the folder relative paths resolve against.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The `[substrate]` table, minus nothing: `kind` is read by [`RunConfig::substrate_kind`].
    pub substrate: toml::Table,
    /// Where the input sequence and targets come from.
    pub source: DataSource,
    /// Washout / train / test lengths (all 0 for `[task] kind = "kernel-rank"`, which has no
    /// `[split]`).
    pub split: Split,
    /// The readout to train.
    pub readout: ReadoutConfig,
    /// What to write besides the report and predictions.
    pub output: OutputConfig,
    /// The folder of the config file; relative paths in the config resolve against it.
    pub base_dir: PathBuf,
    /// The file the config came from, for messages.
    pub origin: String,
    /// The `[expect]` section: the result this config is known to give. The runner ignores
    /// it; the test of the committed configs checks it.
    pub expect: Option<Expectation>,
    /// The `[energy]` section: how the report's energy breakdown is modelled.
    pub energy: crate::energy::EnergyConfig,
}

/// Either a generated task or files.
#[derive(Debug, Clone)]
pub enum DataSource {
    /// A `[task]` table, kept raw for the tasks crate.
    Task(toml::Table),
    /// A `[data]` table naming `.npy` files.
    Files(DataFiles),
}

/// The `[data]` section.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataFiles {
    /// `.npy` of inputs, `T × d` (a 1-D array is read as `T × 1`). Optional only for recorded
    /// states.
    pub inputs: Option<PathBuf>,
    /// `.npy` of targets, `T × k`, or integer class labels of length `T` for the classifier.
    pub targets: PathBuf,
    /// Scale inputs into `[-1, 1]` from the part before the test split (default true).
    #[serde(default = "yes")]
    pub normalize: bool,
}

fn yes() -> bool {
    true
}

/// The `[split]` section: states run continuously over `washout + train + test` steps; the
/// first `washout` are dropped, the next `train` train the readout, the next `test` are scored.
#[derive(
    Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// Steps dropped at the start while the substrate forgets its initial state.
    #[serde(default)]
    pub washout: usize,
    /// Steps used to train the readout.
    pub train: usize,
    /// Steps used to score it.
    pub test: usize,
}

impl Split {
    /// Total number of steps driven through the substrate.
    pub fn total(&self) -> usize {
        self.washout + self.train + self.test
    }
}

/// Which readout, and its parameters (the `[readout]` section).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReadoutConfig {
    /// Ridge regression with a fixed regularisation.
    Ridge(RidgeSettings),
    /// Ridge regression with the regularisation chosen by cross-validation.
    RidgeCv(RidgeCvSettings),
    /// One-hot ridge + argmax classification.
    Classifier(ClassifierSettings),
    /// Online recursive least squares.
    Rls(RlsSettings),
}

impl ReadoutConfig {
    /// The `kind` this readout is written with.
    pub fn kind_name(&self) -> &'static str {
        match self {
            ReadoutConfig::Ridge(_) => "ridge",
            ReadoutConfig::RidgeCv(_) => "ridge-cv",
            ReadoutConfig::Classifier(_) => "classifier",
            ReadoutConfig::Rls(_) => "rls",
        }
    }
}

/// Settings shared by every readout: which features of the state to use.
#[derive(
    Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Features {
    /// The state as the substrate reports it.
    #[default]
    State,
    /// The state and its element-wise square.
    StateSquared,
}

/// `kind = "ridge"`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RidgeSettings {
    /// Regularisation strength (default 1e-6).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Feature map applied to the states (default `"state"`).
    #[serde(default)]
    pub features: Features,
    /// Standardise features on the training part (default false).
    #[serde(default)]
    pub standardize: bool,
    /// How the ridge problem is solved (default `"cholesky"`).
    #[serde(default)]
    pub solver: RidgeSolver,
}

/// The `solver` of `kind = "ridge"`.
#[derive(
    Debug, Clone, Copy, Default, Deserialize, serde::Serialize, PartialEq, Eq, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RidgeSolver {
    /// Normal equations (XᵀX + αI), streamed chunk by chunk: never holds the states.
    #[default]
    Cholesky,
    /// Thin SVD of the centred states: holds the training states, but keeps directions whose
    /// variance is below √ε of the largest, which the normal equations square away. Choose it
    /// for physical reservoirs whose informative directions carry tiny variance.
    Svd,
}

/// `kind = "ridge-cv"`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RidgeCvSettings {
    /// Explicit grid of regularisation strengths; default a log grid from 1e-10 to 1e2.
    #[serde(default)]
    pub alphas: Option<Vec<f64>>,
    /// How the penalty is scored: `"gcv"` (default), `"loo"` or `"kfold"`.
    #[serde(default)]
    pub cv: CvKind,
    /// Number of contiguous folds for `cv = "kfold"` (default 5).
    #[serde(default = "default_folds")]
    pub folds: usize,
    /// Feature map applied to the states.
    #[serde(default)]
    pub features: Features,
    /// Standardise features on the training part.
    #[serde(default)]
    pub standardize: bool,
}

/// The `cv` of `kind = "ridge-cv"`.
#[derive(
    Debug, Clone, Copy, Default, Deserialize, serde::Serialize, PartialEq, Eq, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CvKind {
    /// Generalised cross-validation (closed form, the cheapest).
    #[default]
    Gcv,
    /// Exact leave-one-out (closed form, one extra pass over the rows).
    Loo,
    /// Contiguous k-fold, for time series whose neighbouring rows are correlated.
    Kfold,
}

/// `kind = "classifier"`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifierSettings {
    /// Regularisation strength (default 1e-6).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Feature map applied to the states.
    #[serde(default)]
    pub features: Features,
    /// Standardise features on the training part.
    #[serde(default)]
    pub standardize: bool,
}

/// `kind = "rls"`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RlsSettings {
    /// Forgetting factor in (0, 1] (default 1: no forgetting).
    #[serde(default = "one")]
    pub forgetting: f64,
    /// Initial inverse-correlation scale: P(0) = I / delta (default 1e-2).
    #[serde(default = "default_delta")]
    pub delta: f64,
    /// Feature map applied to the states.
    #[serde(default)]
    pub features: Features,
}

fn default_alpha() -> f64 {
    1e-6
}
fn default_folds() -> usize {
    5
}
fn one() -> f64 {
    1.0
}
fn default_delta() -> f64 {
    1e-2
}

/// What a seed set by [`RunConfig::set_seed`] reaches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedUse {
    /// The substrate took it (its disorder, masks, couplings or noise).
    pub substrate: bool,
    /// The generated task took it (its input stream).
    pub task: bool,
}

impl SeedUse {
    /// Whether the seed changes anything at all.
    pub fn any(&self) -> bool {
        self.substrate || self.task
    }
}

/// The `[output]` section.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Also write `states.npy` (all steps, washout included).
    #[serde(default)]
    pub states: bool,
}

/// The `[expect]` section: what `physrc run` reports for this config, so that a change which
/// moves a committed result fails a test instead of going unnoticed.
///
/// The expectation is on the mean of `metrics.<metric>` over `seeds` runs, with
/// `physrc run --seed 0` to `--seed seeds − 1`; it holds when that mean lies within
/// `tolerance` of `value` on either side. Two-sided, because a result that improves without
/// an explanation is as suspect as one that degrades. Where the value reproduces a published
/// figure, the config cites it next to the table.
#[derive(Debug, Clone, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(try_from = "RawExpectation")]
pub struct Expectation {
    /// The key of `report.json → metrics`: `"nrmse"`, `"accuracy"`, `"memory_capacity"`, ...
    pub metric: String,
    /// The expected mean over the seeds.
    pub value: f64,
    /// The largest accepted distance of the mean from `value` (≥ 0).
    pub tolerance: f64,
    /// How many seeds the mean is over, from 0 (default 1: `--seed 0` alone).
    pub seeds: u64,
}

impl Expectation {
    /// Whether a measured mean meets the expectation.
    pub fn holds(&self, mean: f64) -> bool {
        (mean - self.value).abs() <= self.tolerance
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawExpectation {
    metric: String,
    value: f64,
    tolerance: f64,
    #[serde(default = "one_seed")]
    seeds: u64,
}

fn one_seed() -> u64 {
    1
}

impl TryFrom<RawExpectation> for Expectation {
    type Error = String;

    fn try_from(r: RawExpectation) -> Result<Self, String> {
        if !r.value.is_finite() {
            return Err(format!("[expect] value must be finite, got {}", r.value));
        }
        if !(r.tolerance >= 0.0 && r.tolerance.is_finite()) {
            return Err(format!(
                "[expect] tolerance must be finite and at least 0, got {}",
                r.tolerance
            ));
        }
        if r.seeds == 0 {
            return Err("[expect] seeds must be at least 1".to_owned());
        }
        Ok(Expectation {
            metric: r.metric,
            value: r.value,
            tolerance: r.tolerance,
            seeds: r.seeds,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    substrate: toml::Table,
    task: Option<toml::Table>,
    data: Option<DataFiles>,
    split: Option<Split>,
    readout: Option<ReadoutConfig>,
    #[serde(default)]
    output: OutputConfig,
    expect: Option<Expectation>,
    #[serde(default)]
    energy: crate::energy::EnergyConfig,
}

impl RunConfig {
    /// Reads and parses a config file.
    ///
    /// # Errors
    ///
    /// [`RunError::Io`] when the file cannot be read; [`RunError::Config`] for TOML syntax
    /// errors, unknown keys (named), and inconsistent sections.
    pub fn from_path(path: &Path) -> Result<RunConfig, RunError> {
        let text = std::fs::read_to_string(path).map_err(|source| RunError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::from_toml_str(&text, &base, &path.display().to_string())
    }

    /// Parses a config from TOML text; relative paths resolve against `base_dir`.
    ///
    /// # Errors
    ///
    /// As [`RunConfig::from_path`].
    pub fn from_toml_str(text: &str, base_dir: &Path, origin: &str) -> Result<RunConfig, RunError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| RunError::Config {
            origin: origin.to_owned(),
            message: toml_error(text, &e),
        })?;
        let source = match (raw.task, raw.data) {
            (Some(t), None) => DataSource::Task(t),
            (None, Some(d)) => DataSource::Files(d),
            (Some(_), Some(_)) => {
                return Err(RunError::config(
                    origin,
                    "give either a [task] or a [data] section, not both",
                ));
            }
            (None, None) => {
                return Err(RunError::config(
                    origin,
                    "missing a [task] or [data] section saying where inputs and targets come from",
                ));
            }
        };
        let readout = raw.readout.unwrap_or(ReadoutConfig::Ridge(RidgeSettings {
            alpha: default_alpha(),
            features: Features::State,
            standardize: false,
            solver: RidgeSolver::Cholesky,
        }));
        // Kernel quality and generalisation rank drive separate streams from reset, so they
        // have no washout / train / test sequence to split.
        let streams_task = matches!(&source, DataSource::Task(t)
            if t.get("kind").and_then(toml::Value::as_str) == Some(KERNEL_RANK));
        let split = match (raw.split, streams_task) {
            (Some(_), true) => {
                return Err(RunError::config(
                    origin,
                    "[split] does not apply to [task] kind = \"kernel-rank\", which drives \
                     separate streams from reset (set their length with [task] steps)",
                ));
            }
            (None, true) => Split {
                washout: 0,
                train: 0,
                test: 0,
            },
            (None, false) => {
                return Err(RunError::config(
                    origin,
                    "missing the [split] section (washout, train, test)",
                ));
            }
            (Some(split), false) => {
                if split.train == 0 {
                    return Err(RunError::config(origin, "[split] train must be at least 1"));
                }
                if split.test == 0 {
                    return Err(RunError::config(origin, "[split] test must be at least 1"));
                }
                // Every step is generated or read, then driven: a total beyond the longest
                // task is a typo, and one beyond `usize` would overflow the sums.
                let max = physrc_tasks::MAX_LENGTH;
                if split
                    .washout
                    .checked_add(split.train)
                    .and_then(|t| t.checked_add(split.test))
                    .is_none_or(|t| t > max)
                {
                    return Err(RunError::config(
                        origin,
                        format!(
                            "[split] washout + train + test must be at most {max}, got {} + {} + {}",
                            split.washout, split.train, split.test
                        ),
                    ));
                }
                split
            }
        };
        validate_readout(&readout, origin)?;
        raw.energy
            .validate()
            .map_err(|m| RunError::config(origin, m))?;
        if let DataSource::Task(t) = &source {
            // The task's parameters are checked now, not when its data are generated.
            let spec: physrc_tasks::TaskSpec =
                toml::Value::Table(t.clone())
                    .try_into()
                    .map_err(|e: toml::de::Error| {
                        RunError::config(origin, format!("[task]: {}", plain_words(e.message())))
                    })?;
            spec.validate()
                .map_err(|e| RunError::config(origin, format!("[task]: {e}")))?;
            // The capacity readouts fit and score every delay on its own training and test
            // rows: at least two of each, past the longest delay (the default delay count of
            // the memory capacity shrinks with the training part, down to one).
            let max_delay = match &spec {
                physrc_tasks::TaskSpec::Ipc(c) => Some(c.max_delay),
                physrc_tasks::TaskSpec::MemoryCapacity(c) => Some(c.max_delay.unwrap_or(1)),
                _ => None,
            };
            if let (Some(max_delay), Some(split)) = (max_delay, raw.split) {
                if split.test < 2 {
                    return Err(RunError::config(
                        origin,
                        format!(
                            "[split] test = {} is too short for [task] kind = \"{}\": the \
                             capacity readouts are scored on at least 2 test rows",
                            split.test,
                            spec.kind()
                        ),
                    ));
                }
                if split.train < max_delay + 2 {
                    return Err(RunError::config(
                        origin,
                        format!(
                            "[split] train = {} is too short for [task] max_delay = {max_delay}: \
                             the capacity readouts need at least max_delay + 2 training rows",
                            split.train
                        ),
                    ));
                }
            }
        }
        let cfg = RunConfig {
            substrate: raw.substrate,
            source,
            split,
            readout,
            output: raw.output,
            base_dir: base_dir.to_path_buf(),
            origin: origin.to_owned(),
            expect: raw.expect,
            energy: raw.energy,
        };
        cfg.substrate_kind()?;
        Ok(cfg)
    }

    /// The substrate's `kind` key.
    ///
    /// # Errors
    ///
    /// [`RunError::Config`] when the key is missing or not a string.
    pub fn substrate_kind(&self) -> Result<&str, RunError> {
        match self.substrate.get("kind") {
            Some(toml::Value::String(s)) => Ok(s),
            Some(other) => Err(RunError::config(
                &self.origin,
                format!("[substrate] kind must be a string, got {other}"),
            )),
            None => Err(RunError::config(
                &self.origin,
                "[substrate] needs a kind key (esn, memristor, oscillator, nanomagnet, recorded)",
            )),
        }
    }

    /// Overrides the `seed` of the substrate and of a generated task (the CLI's `--seed`), and
    /// says which of the two took it: recorded states take none, and deterministic tasks
    /// (Hénon, the transformations) and data files take none, so a seed can change nothing.
    ///
    /// # Errors
    ///
    /// [`RunError::Config`] for a seed above the largest integer a TOML file can hold
    /// (`i64::MAX`), which could not be written back into the config.
    pub fn set_seed(&mut self, seed: u64) -> Result<SeedUse, RunError> {
        let v = toml::Value::Integer(i64::try_from(seed).map_err(|_| {
            RunError::config(
                &self.origin,
                format!(
                    "seed {seed} is above the largest seed a config can hold ({})",
                    i64::MAX
                ),
            )
        })?);
        let mut used = SeedUse::default();
        let kind = self.substrate_kind().ok().map(str::to_owned);
        if let Some(key) = kind.as_deref().and_then(crate::substrate::seed_key) {
            self.substrate.insert(key.to_owned(), v.clone());
            used.substrate = true;
        }
        if let DataSource::Task(t) = &mut self.source {
            // Deterministic tasks (Hénon, transformations) take no seed; only set it where
            // the task accepts one.
            let mut with_seed = t.clone();
            with_seed.insert("seed".to_owned(), v);
            if let Ok(spec) =
                toml::Value::Table(with_seed.clone()).try_into::<physrc_tasks::TaskSpec>()
            {
                // The memory capacity's Mackey–Glass input accepts the key but has no
                // randomness, so the seed reaches nothing there.
                used.task =
                    !matches!(&spec, physrc_tasks::TaskSpec::MemoryCapacity(m) if !m.takes_seed());
                *t = with_seed;
            }
        }
        Ok(used)
    }

    /// Resolves a path from the config against its folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}

/// Checks every `[readout]` setting when the config is loaded, so that a mistake there is
/// reported before the substrate takes its first step rather than after the run.
fn validate_readout(r: &ReadoutConfig, origin: &str) -> Result<(), RunError> {
    let alpha = |name: &str, a: f64| {
        if a.is_finite() && a >= 0.0 {
            Ok(())
        } else {
            Err(RunError::config(
                origin,
                format!("[readout] {name} must be a finite number >= 0, got {a}"),
            ))
        }
    };
    match r {
        ReadoutConfig::Ridge(s) => alpha("alpha", s.alpha),
        ReadoutConfig::Classifier(s) => alpha("alpha", s.alpha),
        ReadoutConfig::RidgeCv(s) => {
            if let Some(grid) = &s.alphas {
                if grid.is_empty() {
                    return Err(RunError::config(
                        origin,
                        "[readout] alphas must list at least one penalty",
                    ));
                }
                for a in grid {
                    alpha("alphas", *a)?;
                }
            }
            if s.cv == CvKind::Kfold && s.folds < 2 {
                return Err(RunError::config(
                    origin,
                    format!("[readout] folds must be at least 2, got {}", s.folds),
                ));
            }
            Ok(())
        }
        ReadoutConfig::Rls(s) => {
            if !(s.forgetting > 0.0 && s.forgetting <= 1.0) {
                return Err(RunError::config(
                    origin,
                    format!(
                        "[readout] forgetting must be in (0, 1], got {}",
                        s.forgetting
                    ),
                ));
            }
            if !(s.delta.is_finite() && s.delta > 0.0) {
                return Err(RunError::config(
                    origin,
                    format!(
                        "[readout] delta must be a finite number > 0, got {}",
                        s.delta
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// A table minus its `kind` key, ready for a crate's `deny_unknown_fields` config struct.
pub(crate) fn without_kind(t: &toml::Table) -> toml::Table {
    let mut t = t.clone();
    t.remove("kind");
    t
}

/// A TOML parse or type error in the words of the config file: what is wrong, in plain
/// words rather than Rust's type names, and the line it is on.
pub fn toml_error(text: &str, e: &toml::de::Error) -> String {
    plain_words(e.message()) + &span_hint(text, e.span())
}

/// Replaces the Rust type names serde puts in its messages (`expected usize`) with what a
/// user can act on (`expected a whole number >= 0`).
pub fn plain_words(message: &str) -> String {
    const WORDS: [(&str, &str); 12] = [
        ("expected usize", "expected a whole number >= 0"),
        ("expected u64", "expected a whole number >= 0"),
        ("expected u32", "expected a whole number >= 0"),
        ("expected u16", "expected a whole number >= 0"),
        ("expected u8", "expected a whole number >= 0"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected a list [...]"),
        ("expected a map", "expected a table"),
    ];
    let mut m = message.to_owned();
    for (from, to) in WORDS {
        m = m.replace(from, to);
    }
    m
}

fn span_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) if r.start <= text.len() => {
            let line = text[..r.start].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        _ => String::new(),
    }
}

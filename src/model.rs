//! A trained setup, saved by `physrc run` next to its outputs and used again by
//! `physrc predict`: the run's resolved config (to rebuild the same substrate), its input
//! scaling, the feature map, and the readout's weights.
//!
//! # Contract
//!
//! - The readout's numbers are saved as `.npy` (`model-weights.npy`, `model-intercept.npy`,
//!   and `model-scaler-mean.npy` / `model-scaler-scale.npy` when the readout standardised its
//!   features), so they come back to the bit; `model.json` holds the rest.
//! - [`predict`] drives the substrate from reset over the new inputs, scaled with the run's own
//!   range, and applies the saved readout through the same code the run scored with. On the
//!   run's own whole input sequence it reproduces the run's test predictions bit for bit.
//! - The online `rls` readout is not saved: its predictions come from its recursion, not
//!   from a fixed affine map.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{Array1, Array2, Axis, s};
use physrc_readout as ro;
use serde::{Deserialize, Serialize};

use crate::config::{Features, RunConfig};
use crate::error::RunError;
use crate::experiment::{Series, apply_normalization};
use crate::{npy, substrate};

/// The metadata file of a saved setup.
pub const MODEL_FILE: &str = "model.json";
const WEIGHTS: &str = "model-weights.npy";
const INTERCEPT: &str = "model-intercept.npy";
const SCALER_MEAN: &str = "model-scaler-mean.npy";
const SCALER_SCALE: &str = "model-scaler-scale.npy";

/// Every file a saved setup may consist of, for clearing an output folder.
pub(crate) const FILES: [&str; 5] = [MODEL_FILE, WEIGHTS, INTERCEPT, SCALER_MEAN, SCALER_SCALE];

/// Steps driven per chunk, as the runner drives them.
const CHUNK: usize = 1024;

/// `model.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelMeta {
    /// physrc's version when the setup was trained.
    pub physrc_version: String,
    /// The run's resolved config (TOML), seed included.
    pub config: String,
    /// The folder the config's relative paths resolve against.
    pub base_dir: PathBuf,
    /// The config file the run read.
    pub origin: String,
    /// `"ridge"` (real outputs) or `"classifier"` (class labels).
    pub readout: String,
    /// The feature map applied to the states.
    pub features: Features,
    /// Input components per step.
    pub input_dim: usize,
    /// State components per step.
    pub state_dim: usize,
    /// Per input component, the raw values mapped to −1 and +1; `None` when the run took
    /// inputs already in `[−1, 1]` as they were.
    pub input_range: Option<(Vec<f64>, Vec<f64>)>,
}

/// A saved setup: metadata and the readout's arrays.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedModel {
    /// `model.json`.
    pub meta: ModelMeta,
    /// Features × outputs.
    pub weights: Array2<f64>,
    /// One per output.
    pub intercept: Array1<f64>,
    /// Means and scales of the feature standardisation, when used.
    pub scaler: Option<(Array1<f64>, Array1<f64>)>,
}

impl SavedModel {
    /// Writes the setup into `dir`.
    ///
    /// # Errors
    ///
    /// [`RunError::Io`] when a file cannot be written.
    pub fn write(&self, dir: &Path) -> Result<(), RunError> {
        let p = dir.join(MODEL_FILE);
        let json = serde_json::to_string_pretty(&self.meta).expect("model metadata serialises");
        std::fs::write(&p, json + "\n").map_err(|source| RunError::Io { path: p, source })?;
        npy::write(&dir.join(WEIGHTS), &self.weights)?;
        npy::write(&dir.join(INTERCEPT), &self.intercept)?;
        if let Some((m, sc)) = &self.scaler {
            npy::write(&dir.join(SCALER_MEAN), m)?;
            npy::write(&dir.join(SCALER_SCALE), sc)?;
        }
        Ok(())
    }

    /// Reads the setup a run wrote into `dir`.
    ///
    /// # Errors
    ///
    /// [`RunError::Config`] naming the folder when it holds no saved setup (a run with the
    /// `rls` readout or recorded states saves none); [`RunError::Npy`] for a missing or malformed array;
    /// [`RunError::Config`] for metadata that does not fit together.
    pub fn read(dir: &Path) -> Result<SavedModel, RunError> {
        let p = dir.join(MODEL_FILE);
        if !p.is_file() {
            return Err(RunError::config(
                &dir.display().to_string(),
                "holds no saved setup (model.json): give the output folder of a `physrc run`; \
                 runs with the rls readout or recorded states save none",
            ));
        }
        let text = std::fs::read_to_string(&p).map_err(|source| RunError::Io {
            path: p.clone(),
            source,
        })?;
        let origin = p.display().to_string();
        let meta: ModelMeta = serde_json::from_str(&text)
            .map_err(|e| RunError::config(&origin, format!("not a saved setup: {e}")))?;
        let weights = npy::read_matrix(&dir.join(WEIGHTS), "readout weights")?;
        let intercept = npy::read_matrix(&dir.join(INTERCEPT), "readout intercept")?;
        let intercept = intercept.column(0).to_owned();
        let scaler = if dir.join(SCALER_MEAN).exists() {
            let m = npy::read_matrix(&dir.join(SCALER_MEAN), "scaler mean")?;
            let sc = npy::read_matrix(&dir.join(SCALER_SCALE), "scaler scale")?;
            Some((m.column(0).to_owned(), sc.column(0).to_owned()))
        } else {
            None
        };
        let n_features = match meta.features {
            Features::State => meta.state_dim,
            Features::StateSquared => 2 * meta.state_dim,
        };
        if weights.nrows() != n_features || intercept.len() != weights.ncols() {
            return Err(RunError::config(
                &origin,
                format!(
                    "the saved weights are {} × {} with {} intercepts, but the setup has {n_features} features",
                    weights.nrows(),
                    weights.ncols(),
                    intercept.len()
                ),
            ));
        }
        Ok(SavedModel {
            meta,
            weights,
            intercept,
            scaler,
        })
    }
}

/// What `physrc predict` did.
#[derive(Debug, Clone, Serialize)]
pub struct PredictReport {
    /// The run folder the setup came from.
    pub run: String,
    /// The inputs file.
    pub inputs: String,
    /// Input steps driven.
    pub steps: usize,
    /// Input values outside the run's range, clipped to it.
    pub clipped_values: usize,
    /// Wall time of the whole prediction.
    pub total_seconds: f64,
}

/// Drives the saved setup's substrate from reset over the inputs in `inputs` (`T × d`, raw
/// values as the run's data had them) and applies its readout: `T` predictions, one per step.
///
/// # Errors
///
/// As [`SavedModel::read`]; [`RunError::Npy`] for a missing, malformed or non-finite inputs
/// file or one with the wrong number of columns; [`RunError::Data`] for inputs outside
/// `[−1, 1]` when the run took its inputs unscaled; the substrate's and readout's own errors.
pub fn predict(run_dir: &Path, inputs: &Path) -> Result<(Series, PredictReport), RunError> {
    let t0 = Instant::now();
    let model = SavedModel::read(run_dir)?;
    let meta = &model.meta;
    let mut u = npy::read_matrix(inputs, "inputs")?;
    if u.ncols() != meta.input_dim {
        return Err(RunError::Npy {
            path: inputs.to_path_buf(),
            message: format!(
                "inputs have {} columns but the setup takes {} input components",
                u.ncols(),
                meta.input_dim
            ),
        });
    }
    if let Some(((r, c), v)) = u.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(RunError::Npy {
            path: inputs.to_path_buf(),
            message: format!("input at row {r}, column {c} is not finite ({v})"),
        });
    }
    let clipped = match &meta.input_range {
        Some((lo, hi)) => apply_normalization(&mut u, lo, hi),
        None => {
            if let Some(((r, c), v)) = u.indexed_iter().find(|(_, v)| !(-1.0..=1.0).contains(*v)) {
                return Err(RunError::Data(format!(
                    "{}: input at row {r}, column {c} is {v}, outside [-1, 1], and the run \
                     took its inputs unscaled",
                    inputs.display()
                )));
            }
            0
        }
    };
    let cfg = RunConfig::from_toml_str(&meta.config, &meta.base_dir, &meta.origin)?;
    let mut r = substrate::build(cfg.substrate_kind()?, &cfg, meta.input_dim)?;
    if r.state_dim() != meta.state_dim {
        return Err(RunError::Data(format!(
            "the rebuilt substrate has {} state components, the saved setup {}",
            r.state_dim(),
            meta.state_dim
        )));
    }
    r.reset()?;
    let mut chunks = Vec::new();
    let mut row = 0;
    while row < u.nrows() {
        let n = (u.nrows() - row).min(CHUNK);
        chunks.push(r.run(u.slice(s![row..row + n, ..]))?);
        row += n;
    }
    let views: Vec<_> = chunks.iter().map(|a| a.view()).collect();
    let states =
        ndarray::concatenate(Axis(0), &views).map_err(|e| RunError::Data(e.to_string()))?;
    let map = match meta.features {
        Features::State => ro::FeatureMap::State,
        Features::StateSquared => ro::FeatureMap::StateSquared,
    };
    let mut x = map.apply(states.view());
    if let Some((m, sc)) = &model.scaler {
        let st = ro::FittedStandardize::from_parts(m.clone(), sc.clone())
            .map_err(RunError::from_component)?;
        x = st.transform(x.view()).map_err(RunError::from_component)?;
    }
    let ridge = ro::FittedRidge::from_parts(model.weights.clone(), model.intercept.clone())
        .map_err(RunError::from_component)?;
    let series = match meta.readout.as_str() {
        "classifier" => {
            let clf =
                ro::FittedRidgeClassifier::from_ridge(ridge).map_err(RunError::from_component)?;
            Series::Labels(clf.predict(x.view()).map_err(RunError::from_component)?)
        }
        _ => Series::Values(ridge.predict(x.view()).map_err(RunError::from_component)?),
    };
    let report = PredictReport {
        run: run_dir.display().to_string(),
        inputs: inputs.display().to_string(),
        steps: u.nrows(),
        clipped_values: clipped,
        total_seconds: t0.elapsed().as_secs_f64(),
    };
    Ok((series, report))
}

//! Glue between the runner and `physrc-readout`: one trainer per readout kind, fed chunk by
//! chunk, and the fitted readout scoring the test part.

use std::collections::BTreeMap;
use std::ops::Range;

use ndarray::{Array1, Array2, ArrayView2, Axis, s};
use physrc_readout as ro;
use physrc_tasks::Targets;

use crate::config::{CvKind, ReadoutConfig, RidgeCvSettings, RidgeSolver};
use crate::error::RunError;
use crate::experiment::Series;

pub(crate) fn comp<E>(e: E) -> RunError
where
    E: physrc_core::HasErrorKind + std::error::Error + Send + Sync + 'static,
{
    RunError::from_component(e)
}

/// An upper estimate of the bytes the readout `cfg` needs to train on `train` rows of
/// `n_features` features with `n_outputs` outputs and score `test` rows, so that a run whose
/// readout cannot fit is refused before its first step rather than aborted when the fit
/// allocates.
///
/// The streamed ridge keeps the `n_features²` Gram matrix of each of its lanes and the Cholesky
/// factor; online RLS
/// its inverse correlation matrix and a copy while it updates; the other readouts hold the
/// training rows and factor a matrix of the same order as the Gram (an eigendecomposition with
/// its vectors, or an SVD of the rows). Every readout keeps the test rows to score them.
pub(crate) fn memory_needed(
    cfg: &ReadoutConfig,
    n_features: usize,
    n_outputs: usize,
    train: usize,
    test: usize,
) -> u64 {
    let f = n_features as u64;
    let square = f.saturating_mul(f);
    let rows = |n: usize| (n as u64).saturating_mul(f.saturating_add(n_outputs as u64));
    let values = match cfg {
        // Recorded states train two lanes of sums at once (see `Trainer::lane`).
        ReadoutConfig::Ridge(s) if !s.standardize && s.solver == RidgeSolver::Cholesky => {
            square.saturating_mul(3)
        }
        ReadoutConfig::Rls(_) => square.saturating_mul(2),
        _ => rows(train)
            .saturating_mul(2)
            .saturating_add(square.saturating_mul(3)),
    };
    values.saturating_add(rows(test)).saturating_mul(8)
}

/// Accumulates training data for one readout.
pub(crate) struct Trainer<'t> {
    targets: &'t Targets,
    kind: TrainerKind,
}

enum TrainerKind {
    /// Ridge without standardisation: streamed sufficient statistics.
    Stream(ro::RidgeAccumulator),
    /// Everything else holds the training features (cross-validation needs rows, and
    /// standardisation needs the statistics before the fit).
    Hold {
        x: Vec<Array2<f64>>,
        rows: Vec<Range<usize>>,
        settings: ReadoutConfig,
    },
    /// Online recursive least squares, updated row by row.
    Rls(ro::Rls),
}

/// A fitted readout ready to score the test part.
pub(crate) struct Fitted<'t> {
    targets: &'t Targets,
    model: Model,
    alpha_chosen: Option<f64>,
    train_metrics: BTreeMap<String, f64>,
}

enum Model {
    Ridge {
        scaler: Option<ro::FittedStandardize>,
        ridge: ro::FittedRidge,
    },
    Classifier {
        scaler: Option<ro::FittedStandardize>,
        clf: ro::FittedRidgeClassifier,
    },
    Rls(ro::Rls),
}

impl<'t> Trainer<'t> {
    pub(crate) fn new(
        cfg: &ReadoutConfig,
        targets: &'t Targets,
        n_features: usize,
        origin: &str,
    ) -> Result<Self, RunError> {
        let classes = matches!(targets, Targets::Classes { .. });
        match cfg {
            ReadoutConfig::Classifier(_) if !classes => {
                return Err(RunError::config(
                    origin,
                    "[readout] kind = \"classifier\" needs class labels as targets; this data has real-valued targets",
                ));
            }
            // Cross-validated ridge on class labels fits the one-hot indicators, as the
            // classifier does, with the penalty chosen by cross-validation.
            ReadoutConfig::Ridge(_) | ReadoutConfig::Rls(_) if classes => {
                return Err(RunError::config(
                    origin,
                    "the targets are class labels; use [readout] kind = \"classifier\" or \"ridge-cv\"",
                ));
            }
            _ => {}
        }
        let kind = match cfg {
            ReadoutConfig::Ridge(s) if !s.standardize && s.solver == RidgeSolver::Cholesky => {
                let r = ro::Ridge::new(s.alpha).map_err(comp)?;
                TrainerKind::Stream(r.accumulator(n_features, targets.n_outputs()))
            }
            ReadoutConfig::Rls(s) => TrainerKind::Rls(
                ro::Rls::new(n_features, targets.n_outputs(), s.forgetting, s.delta)
                    .map_err(comp)?,
            ),
            other => TrainerKind::Hold {
                x: Vec::new(),
                rows: Vec::new(),
                settings: other.clone(),
            },
        };
        Ok(Trainer { targets, kind })
    }

    /// Adds the features of data rows `rows`. They are taken by value because the holding
    /// readouts keep them; the others give the array back, for the caller to fill again
    /// rather than allocate fresh memory for the next chunk.
    pub(crate) fn update(
        &mut self,
        x: Array2<f64>,
        rows: Range<usize>,
    ) -> Result<Option<Array2<f64>>, RunError> {
        match &mut self.kind {
            TrainerKind::Stream(acc) => {
                let y = regression(self.targets, rows);
                acc.update(x.view(), y).map_err(comp)?;
            }
            TrainerKind::Hold {
                x: xs, rows: rs, ..
            } => {
                xs.push(x);
                rs.push(rows);
                return Ok(None);
            }
            TrainerKind::Rls(rls) => {
                // Rows of standard-layout arrays are contiguous, so they go to `update` as
                // slices: the online readout allocates nothing per row.
                let y = regression(self.targets, rows)
                    .as_standard_layout()
                    .into_owned();
                let x = x.as_standard_layout();
                for (xr, yr) in x.rows().into_iter().zip(y.rows()) {
                    let (Some(xs), Some(ys)) = (xr.as_slice(), yr.as_slice()) else {
                        unreachable!("rows of a standard-layout array are contiguous")
                    };
                    rls.update(xs, ys).map_err(comp)?;
                }
            }
        }
        Ok(Some(x))
    }

    /// A second trainer that takes a disjoint share of the chunks in a thread of its own, to be
    /// [`merge`](Self::merge)d back before the fit: each lane's products then run on one
    /// core without the synchronisation a parallel product needs at every block. Only the
    /// streamed ridge has lanes; the readouts that hold their rows train once on all of them.
    pub(crate) fn lane(&self) -> Option<Trainer<'t>> {
        match &self.kind {
            TrainerKind::Stream(acc) => Some(Trainer {
                targets: self.targets,
                kind: TrainerKind::Stream(acc.lane()),
            }),
            TrainerKind::Hold { .. } | TrainerKind::Rls(_) => None,
        }
    }

    /// Adds the rows a [`lane`](Self::lane) has trained on.
    pub(crate) fn merge(&mut self, other: &Trainer<'t>) -> Result<(), RunError> {
        match (&mut self.kind, &other.kind) {
            (TrainerKind::Stream(a), TrainerKind::Stream(b)) => a.merge(b).map_err(comp),
            _ => Err(RunError::Internal(
                "only streamed ridge trainers merge".to_owned(),
            )),
        }
    }

    pub(crate) fn finish(self) -> Result<Fitted<'t>, RunError> {
        let targets = self.targets;
        let (model, alpha_chosen, train_metrics) = match self.kind {
            TrainerKind::Stream(acc) => (
                Model::Ridge {
                    scaler: None,
                    ridge: acc.finish().map_err(comp)?,
                },
                None,
                BTreeMap::new(),
            ),
            TrainerKind::Rls(rls) => (Model::Rls(rls), None, BTreeMap::new()),
            TrainerKind::Hold { x, rows, settings } => {
                let views: Vec<_> = x.iter().map(|a| a.view()).collect();
                let x = ndarray::concatenate(Axis(0), &views)
                    .map_err(|e| RunError::Internal(format!("joining the training chunks: {e}")))?;
                let rows = rows.first().map_or(0, |r| r.start)..rows.last().map_or(0, |r| r.end);
                fit_held(targets, x, rows, &settings)?
            }
        };
        Ok(Fitted {
            targets,
            model,
            alpha_chosen,
            train_metrics,
        })
    }
}

fn regression(t: &Targets, rows: Range<usize>) -> ArrayView2<'_, f64> {
    match t {
        Targets::Regression(y) => y.slice(s![rows, ..]),
        Targets::Classes { .. } => {
            unreachable!("checked in Trainer::new: regression readouts get real targets")
        }
    }
}

fn labels(t: &Targets, rows: Range<usize>) -> Array1<usize> {
    match t {
        Targets::Classes { labels, .. } => labels.slice(s![rows]).to_owned(),
        Targets::Regression(_) => {
            unreachable!("checked in Trainer::new: the classifier gets labels")
        }
    }
}

fn n_classes(t: &Targets) -> usize {
    match t {
        Targets::Classes { n_classes, .. } => *n_classes,
        Targets::Regression(y) => y.ncols(),
    }
}

fn standardize(
    x: Array2<f64>,
    on: bool,
) -> Result<(Option<ro::FittedStandardize>, Array2<f64>), RunError> {
    if !on {
        return Ok((None, x));
    }
    let s = ro::Standardize::new().fit(x.view()).map_err(comp)?;
    let xs = s.transform(x.view()).map_err(comp)?;
    Ok((Some(s), xs))
}

/// A fitted model, the penalty cross-validation chose (if any) and the training metrics.
type FitOutcome = (Model, Option<f64>, BTreeMap<String, f64>);

fn fit_held(
    targets: &Targets,
    x: Array2<f64>,
    rows: Range<usize>,
    settings: &ReadoutConfig,
) -> Result<FitOutcome, RunError> {
    match settings {
        ReadoutConfig::Ridge(s) => {
            let (scaler, x) = standardize(x, s.standardize)?;
            let y = regression(targets, rows);
            let solver = match s.solver {
                RidgeSolver::Cholesky => ro::Solver::Cholesky,
                RidgeSolver::Svd => ro::Solver::Svd,
            };
            let ridge = ro::Ridge::new(s.alpha)
                .map_err(comp)?
                .with_solver(solver)
                .fit(x.view(), y)
                .map_err(comp)?;
            let pred = ridge.predict(x.view()).map_err(comp)?;
            Ok((
                Model::Ridge { scaler, ridge },
                None,
                regression_metrics(pred.view(), y)?,
            ))
        }
        ReadoutConfig::RidgeCv(s) if matches!(targets, Targets::Classes { .. }) => {
            let (scaler, x) = standardize(x, s.standardize)?;
            let l = labels(targets, rows);
            let onehot = ro::RidgeClassifier::new(0.0, n_classes(targets))
                .map_err(comp)?
                .one_hot(l.as_slice().expect("contiguous"))
                .map_err(comp)?;
            let cv = ridge_cv(s)?.fit(x.view(), onehot.view()).map_err(comp)?;
            let alpha = cv.alpha();
            let clf = ro::FittedRidgeClassifier::from_ridge(cv.into_ridge()).map_err(comp)?;
            let pred = clf.predict(x.view()).map_err(comp)?;
            Ok((
                Model::Classifier { scaler, clf },
                Some(alpha),
                class_metrics(&pred, &l)?,
            ))
        }
        ReadoutConfig::RidgeCv(s) => {
            let (scaler, x) = standardize(x, s.standardize)?;
            let y = regression(targets, rows);
            let cv = ridge_cv(s)?.fit(x.view(), y).map_err(comp)?;
            let alpha = cv.alpha();
            let ridge = cv.ridge().clone();
            let pred = ridge.predict(x.view()).map_err(comp)?;
            Ok((
                Model::Ridge { scaler, ridge },
                Some(alpha),
                regression_metrics(pred.view(), y)?,
            ))
        }
        ReadoutConfig::Classifier(s) => {
            let (scaler, x) = standardize(x, s.standardize)?;
            let l = labels(targets, rows);
            let clf = ro::RidgeClassifier::new(s.alpha, n_classes(targets))
                .map_err(comp)?
                .fit(x.view(), l.as_slice().expect("contiguous"))
                .map_err(comp)?;
            let pred = clf.predict(x.view()).map_err(comp)?;
            Ok((
                Model::Classifier { scaler, clf },
                None,
                class_metrics(&pred, &l)?,
            ))
        }
        ReadoutConfig::Rls(_) => unreachable!("rls is trained online"),
    }
}

fn ridge_cv(s: &RidgeCvSettings) -> Result<ro::RidgeCv, RunError> {
    let alphas = match &s.alphas {
        Some(a) => a.clone(),
        None => ro::log_grid(1e-10, 1e2, 25).map_err(comp)?,
    };
    let method = match s.cv {
        CvKind::Gcv => ro::CvMethod::Gcv,
        CvKind::Loo => ro::CvMethod::Loo,
        CvKind::Kfold => ro::CvMethod::KFold { folds: s.folds },
    };
    ro::RidgeCv::new(alphas, method).map_err(comp)
}

fn regression_metrics(
    pred: ArrayView2<'_, f64>,
    y: ArrayView2<'_, f64>,
) -> Result<BTreeMap<String, f64>, RunError> {
    let mut m = BTreeMap::new();
    m.insert("mse".to_owned(), ro::metrics::mse(pred, y).map_err(comp)?);
    m.insert("nmse".to_owned(), ro::metrics::nmse(pred, y).map_err(comp)?);
    m.insert(
        "nrmse".to_owned(),
        ro::metrics::nrmse(pred, y).map_err(comp)?,
    );
    Ok(m)
}

fn class_metrics(
    pred: &Array1<usize>,
    truth: &Array1<usize>,
) -> Result<BTreeMap<String, f64>, RunError> {
    let acc = ro::metrics::accuracy(
        pred.as_slice().expect("contiguous"),
        truth.as_slice().expect("contiguous"),
    )
    .map_err(comp)?;
    let mut m = BTreeMap::new();
    m.insert("accuracy".to_owned(), acc);
    m.insert("error_rate".to_owned(), 1.0 - acc);
    Ok(m)
}

/// A fitted readout's parameters, for saving next to a run's outputs.
pub(crate) struct Exported {
    /// `"ridge"` (real outputs) or `"classifier"` (argmax over one output per class).
    pub(crate) kind: &'static str,
    pub(crate) weights: Array2<f64>,
    pub(crate) intercept: Array1<f64>,
    /// Means and scales of the standardisation, when the readout standardised its features.
    pub(crate) scaler: Option<(Array1<f64>, Array1<f64>)>,
}

impl Fitted<'_> {
    /// The readout's parameters; `None` for the online readout, whose predictions come from
    /// its own recursion rather than a saved affine map.
    pub(crate) fn export(&self) -> Option<Exported> {
        let scaler = |s: &Option<ro::FittedStandardize>| {
            s.as_ref()
                .map(|s| (s.mean().to_owned(), s.scale().to_owned()))
        };
        match &self.model {
            Model::Ridge { scaler: sc, ridge } => Some(Exported {
                kind: "ridge",
                weights: ridge.weights().to_owned(),
                intercept: ridge.intercept().to_owned(),
                scaler: scaler(sc),
            }),
            Model::Classifier { scaler: sc, clf } => Some(Exported {
                kind: "classifier",
                weights: clf.ridge().weights().to_owned(),
                intercept: clf.ridge().intercept().to_owned(),
                scaler: scaler(sc),
            }),
            Model::Rls(_) => None,
        }
    }

    pub(crate) fn alpha_chosen(&self) -> Option<f64> {
        self.alpha_chosen
    }

    pub(crate) fn train_metrics(&self) -> &BTreeMap<String, f64> {
        &self.train_metrics
    }

    /// Predicts the test part, given as its chunks of feature rows in order (data rows
    /// `rows` together), and scores it.
    ///
    /// Each chunk is predicted into its own rows of the output: joining the chunks first
    /// would copy the whole test part (tens of megabytes for a thousand-unit reservoir) on
    /// the run's critical path. A row's prediction is the same whatever chunk it sits in.
    pub(crate) fn score(
        &self,
        chunks: &[Array2<f64>],
        rows: Range<usize>,
    ) -> Result<(Series, Series, BTreeMap<String, f64>), RunError> {
        let n_rows: usize = chunks.iter().map(|c| c.nrows()).sum();
        if n_rows != rows.len() {
            return Err(RunError::Internal(format!(
                "the test part has {n_rows} rows of states for {} rows of data",
                rows.len()
            )));
        }
        // Each chunk with its first row in the test part.
        let starts = chunks.iter().scan(0, |at, c| {
            let start = *at;
            *at += c.nrows();
            Some(start)
        });
        let affine = |scaler: &Option<ro::FittedStandardize>,
                      ridge: &ro::FittedRidge,
                      out: &mut Array2<f64>|
         -> Result<(), RunError> {
            for (c, start) in chunks.iter().zip(starts.clone()) {
                let dst = out.slice_mut(s![start..start + c.nrows(), ..]);
                match scaler {
                    Some(sc) => {
                        let xs = sc.transform(c.view()).map_err(comp)?;
                        ridge.predict_into(xs.view(), dst).map_err(comp)?;
                    }
                    None => ridge.predict_into(c.view(), dst).map_err(comp)?,
                }
            }
            Ok(())
        };
        match &self.model {
            Model::Ridge { scaler, ridge } => {
                let y = regression(self.targets, rows);
                let mut pred = Array2::zeros(y.dim());
                affine(scaler, ridge, &mut pred)?;
                let m = regression_metrics(pred.view(), y)?;
                Ok((Series::Values(pred), Series::Values(y.to_owned()), m))
            }
            Model::Rls(rls) => {
                let y = regression(self.targets, rows);
                let mut pred = Array2::zeros(y.dim());
                for (c, start) in chunks.iter().zip(starts) {
                    let dst = pred.slice_mut(s![start..start + c.nrows(), ..]);
                    rls.predict_into(c.view(), dst).map_err(comp)?;
                }
                let m = regression_metrics(pred.view(), y)?;
                Ok((Series::Values(pred), Series::Values(y.to_owned()), m))
            }
            Model::Classifier { scaler, clf } => {
                let mut pred = Vec::with_capacity(n_rows);
                for c in chunks {
                    let labels = match scaler {
                        Some(sc) => {
                            let xs = sc.transform(c.view()).map_err(comp)?;
                            clf.predict(xs.view())
                        }
                        None => clf.predict(c.view()),
                    };
                    pred.extend(labels.map_err(comp)?);
                }
                let pred = Array1::from(pred);
                let l = labels(self.targets, rows);
                let m = class_metrics(&pred, &l)?;
                Ok((Series::Labels(pred), Series::Labels(l), m))
            }
        }
    }
}

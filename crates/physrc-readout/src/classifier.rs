//! Classification by one-hot ridge regression and argmax, per time step or per sequence.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, s};

use crate::error::ReadoutError;
use crate::linalg::GRAM_BLOCK;
use crate::ridge::{FittedRidge, Ridge};

/// How a sequence of states (time × features) is reduced to one feature row.
///
/// Because the readout is linear, classifying the mean state is the same as averaging the
/// per-step decision scores, so [`Pooling::Mean`] also applies to a classifier trained per time
/// step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pooling {
    /// The mean over time of the states.
    #[default]
    Mean,
    /// The last state (the reservoir has then seen the whole sequence).
    Last,
}

impl Pooling {
    /// Pools one sequence into `out` (one value per feature).
    fn pool_into(
        self,
        index: usize,
        seq: ArrayView2<'_, f64>,
        mut out: ndarray::ArrayViewMut1<'_, f64>,
    ) -> Result<(), ReadoutError> {
        if seq.nrows() == 0 {
            return Err(ReadoutError::param(
                "seqs",
                format!("sequence {index} has no rows to pool"),
            ));
        }
        match self {
            Pooling::Last => out.assign(&seq.row(seq.nrows() - 1)),
            Pooling::Mean => {
                out.fill(0.0);
                for row in seq.rows() {
                    out += &row;
                }
                out /= seq.nrows() as f64;
            }
        }
        Ok(())
    }
}

/// Pools every sequence into one row of a new matrix, checking they agree in width.
fn pool_all(
    seqs: &[ArrayView2<'_, f64>],
    pooling: Pooling,
    n_features: Option<usize>,
) -> Result<Array2<f64>, ReadoutError> {
    let width = n_features
        .or_else(|| seqs.first().map(|s| s.ncols()))
        .unwrap_or(0);
    let mut pooled = Array2::zeros((seqs.len(), width));
    for (i, seq) in seqs.iter().enumerate() {
        if seq.ncols() != width {
            return Err(ReadoutError::shape(
                "sequence",
                seq.shape(),
                "the features",
                &[width],
                "every sequence must have one column per feature",
            ));
        }
        pooling.pool_into(i, *seq, pooled.row_mut(i))?;
    }
    Ok(pooled)
}

/// A ridge classifier (unfitted): regresses one-hot class indicators on the features and
/// predicts the class with the largest score.
///
/// Targets are `1` for the true class and `0` elsewhere, with an unpenalised intercept, as in
/// reservoirpy's classification tutorials (scikit-learn's `RidgeClassifier` uses ±1, which with
/// an intercept gives the same argmax).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RidgeClassifier {
    ridge: Ridge,
    n_classes: usize,
}

/// A fitted ridge classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedRidgeClassifier {
    ridge: FittedRidge,
}

impl RidgeClassifier {
    /// A classifier over `n_classes` classes with ridge penalty `alpha`.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::InvalidAlpha`] for a negative or non-finite `alpha`,
    /// [`ReadoutError::InvalidParameter`] for fewer than 2 classes.
    pub fn new(alpha: f64, n_classes: usize) -> Result<RidgeClassifier, ReadoutError> {
        let ridge = Ridge::new(alpha)?;
        if n_classes < 2 {
            return Err(ReadoutError::param(
                "n_classes",
                format!("must be at least 2, got {n_classes}"),
            ));
        }
        Ok(RidgeClassifier { ridge, n_classes })
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Fits one label per row of `x` (per-time-step classification). The one-hot targets are
    /// built a block of rows at a time and streamed into the ridge moments.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] if there is not one label per row,
    /// [`ReadoutError::LabelOutOfRange`] for a label `>= n_classes`,
    /// [`ReadoutError::NonFinite`] for NaN or infinite features,
    /// [`ReadoutError::NoSamples`] for zero rows, [`ReadoutError::Diverged`] if the solve fails.
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        labels: &[usize],
    ) -> Result<FittedRidgeClassifier, ReadoutError> {
        if labels.len() != x.nrows() {
            return Err(ReadoutError::shape(
                "x",
                x.shape(),
                "labels",
                &[labels.len()],
                "there must be one label per row of x",
            ));
        }
        self.check_labels(labels)?;
        if x.nrows() == 0 {
            return Err(ReadoutError::NoSamples {
                what: "ridge classifier",
            });
        }
        let mut acc = self.ridge.accumulator(x.ncols(), self.n_classes);
        let mut onehot = Array2::zeros((x.nrows().min(GRAM_BLOCK), self.n_classes));
        let mut r = 0;
        while r < x.nrows() {
            let m = (x.nrows() - r).min(GRAM_BLOCK);
            let mut y = onehot.slice_mut(s![..m, ..]);
            y.fill(0.0);
            for (i, &l) in labels[r..r + m].iter().enumerate() {
                y[[i, l]] = 1.0;
            }
            acc.update(x.slice(s![r..r + m, ..]), y.view())?;
            r += m;
        }
        Ok(FittedRidgeClassifier {
            ridge: acc.finish()?,
        })
    }

    /// Fits one label per sequence, each sequence (time × features) pooled to one row first.
    ///
    /// # Errors
    ///
    /// As [`RidgeClassifier::fit`]; also [`ReadoutError::ShapeMismatch`] if the sequences differ
    /// in width or there is not one label per sequence, and
    /// [`ReadoutError::InvalidParameter`] for an empty sequence.
    pub fn fit_sequences(
        &self,
        seqs: &[ArrayView2<'_, f64>],
        labels: &[usize],
        pooling: Pooling,
    ) -> Result<FittedRidgeClassifier, ReadoutError> {
        if labels.len() != seqs.len() {
            return Err(ReadoutError::shape(
                "seqs",
                &[seqs.len()],
                "labels",
                &[labels.len()],
                "there must be one label per sequence",
            ));
        }
        let pooled = pool_all(seqs, pooling, None)?;
        self.fit(pooled.view(), labels)
    }

    /// The one-hot targets [`RidgeClassifier::fit`] regresses on (`1` for the true class, `0`
    /// elsewhere), one row per label: for fitting the indicators with another ridge, such as
    /// [`crate::RidgeCv`], and wrapping the result with [`FittedRidgeClassifier::from_ridge`].
    ///
    /// # Errors
    ///
    /// [`ReadoutError::LabelOutOfRange`] for a label `>= n_classes`.
    pub fn one_hot(&self, labels: &[usize]) -> Result<Array2<f64>, ReadoutError> {
        self.check_labels(labels)?;
        let mut y = Array2::zeros((labels.len(), self.n_classes));
        for (i, &l) in labels.iter().enumerate() {
            y[[i, l]] = 1.0;
        }
        Ok(y)
    }

    fn check_labels(&self, labels: &[usize]) -> Result<(), ReadoutError> {
        match labels.iter().position(|&l| l >= self.n_classes) {
            None => Ok(()),
            Some(index) => Err(ReadoutError::LabelOutOfRange {
                index,
                label: labels[index],
                n_classes: self.n_classes,
            }),
        }
    }
}

impl FittedRidgeClassifier {
    /// A classifier from a ridge fitted to one-hot class indicators (one output per class,
    /// as [`RidgeClassifier::one_hot`] builds them): it predicts the output with the largest
    /// score. This is how a penalty chosen by cross-validation becomes a classifier.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::InvalidParameter`] if the ridge has fewer than 2 outputs.
    pub fn from_ridge(ridge: FittedRidge) -> Result<FittedRidgeClassifier, ReadoutError> {
        if ridge.n_outputs() < 2 {
            return Err(ReadoutError::param(
                "ridge",
                format!(
                    "a classifier needs one output per class and at least 2 classes, got {}",
                    ridge.n_outputs()
                ),
            ));
        }
        Ok(FittedRidgeClassifier { ridge })
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.ridge.n_outputs()
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.ridge.n_features()
    }

    /// The underlying one-hot regression.
    pub fn ridge(&self) -> &FittedRidge {
        &self.ridge
    }

    /// The score of every class for every row (samples × classes).
    ///
    /// # Errors
    ///
    /// As [`FittedRidge::predict`].
    pub fn decision(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>, ReadoutError> {
        self.ridge.predict(x)
    }

    /// The class with the highest score for every row (the lowest index on a tie).
    ///
    /// # Errors
    ///
    /// As [`FittedRidge::predict`].
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>, ReadoutError> {
        let d = self.decision(x)?;
        Ok(d.rows().into_iter().map(argmax).collect())
    }

    /// The class of each sequence (time × features), pooled as in training.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::ShapeMismatch`] if a sequence does not have one column per feature,
    /// [`ReadoutError::InvalidParameter`] for an empty sequence, [`ReadoutError::NonFinite`]
    /// for NaN or infinite states.
    pub fn predict_sequences(
        &self,
        seqs: &[ArrayView2<'_, f64>],
        pooling: Pooling,
    ) -> Result<Vec<usize>, ReadoutError> {
        let pooled = pool_all(seqs, pooling, Some(self.n_features()))?;
        Ok(self.predict(pooled.view())?.to_vec())
    }
}

fn argmax(row: ArrayView1<'_, f64>) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Three Gaussian-ish blobs in 4-D with well separated centres.
    fn blobs(per_class: usize, seed: u64) -> (Array2<f64>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centres = [
            [3.0, 0.0, 0.0, 1.0],
            [0.0, 3.0, 0.0, 1.0],
            [0.0, 0.0, 3.0, 1.0],
        ];
        let mut x = Array2::zeros((3 * per_class, 4));
        let mut labels = Vec::new();
        for i in 0..3 * per_class {
            let c = i % 3;
            for j in 0..4 {
                x[[i, j]] = centres[c][j] + rng.random_range(-1.0..1.0);
            }
            labels.push(c);
        }
        (x, labels)
    }

    #[test]
    fn separates_blobs_and_matches_one_hot_ridge() {
        let (x, labels) = blobs(100, 1);
        let clf = RidgeClassifier::new(1e-3, 3)
            .unwrap()
            .fit(x.view(), &labels)
            .unwrap();
        let pred = clf.predict(x.view()).unwrap();
        let correct = pred.iter().zip(&labels).filter(|(a, b)| *a == *b).count();
        assert!(correct >= 295, "{correct}/300");
        // Same as an explicit one-hot ridge fit.
        let y = Array2::from_shape_fn((300, 3), |(i, k)| f64::from(u8::from(labels[i] == k)));
        let r = Ridge::new(1e-3).unwrap().fit(x.view(), y.view()).unwrap();
        let d = clf.decision(x.view()).unwrap();
        let p = r.predict(x.view()).unwrap();
        let diff = (&d - &p).mapv(f64::abs).fold(0.0_f64, |m, v| m.max(*v));
        assert!(diff < 1e-10, "{diff}");
    }

    #[test]
    fn streaming_blocks_do_not_change_the_fit() {
        // More rows than one block, so the one-hot targets are built in several pieces.
        let (x, labels) = blobs(GRAM_BLOCK, 2);
        let clf = RidgeClassifier::new(0.1, 3)
            .unwrap()
            .fit(x.view(), &labels)
            .unwrap();
        let y = Array2::from_shape_fn((x.nrows(), 3), |(i, k)| f64::from(u8::from(labels[i] == k)));
        let r = Ridge::new(0.1).unwrap().fit(x.view(), y.view()).unwrap();
        let diff = (&clf.ridge().weights() - &r.weights())
            .mapv(f64::abs)
            .fold(0.0_f64, |m, v| m.max(*v));
        assert!(diff < 1e-10, "{diff}");
    }

    #[test]
    fn sequences_pooled_by_mean_and_last() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        // Class 0: the first feature ends high; class 1: the second. Early steps are noise,
        // so only the last state (or the mean, which still leans the right way) separates them.
        let mut seqs = Vec::new();
        let mut labels = Vec::new();
        for i in 0..60 {
            let c = i % 2;
            let len = 5 + i % 4;
            let s = Array2::from_shape_fn((len, 2), |(t, j)| {
                let signal = if t + 1 == len && j == c { 4.0 } else { 0.0 };
                signal + rng.random_range(-0.5..0.5)
            });
            seqs.push(s);
            labels.push(c);
        }
        let views: Vec<_> = seqs.iter().map(|s| s.view()).collect();
        for pooling in [Pooling::Last, Pooling::Mean] {
            let clf = RidgeClassifier::new(1e-6, 2)
                .unwrap()
                .fit_sequences(&views, &labels, pooling)
                .unwrap();
            let pred = clf.predict_sequences(&views, pooling).unwrap();
            assert_eq!(pred, labels, "{pooling:?}");
        }
        // Pooling::Last equals a fit on the last rows.
        let last = Array2::from_shape_fn((60, 2), |(i, j)| seqs[i][[seqs[i].nrows() - 1, j]]);
        let a = RidgeClassifier::new(0.5, 2).unwrap();
        let f1 = a.fit_sequences(&views, &labels, Pooling::Last).unwrap();
        let f2 = a.fit(last.view(), &labels).unwrap();
        assert_eq!(f1, f2);
    }

    #[test]
    fn rejects_bad_input() {
        use physrc_core::{ErrorKind, HasErrorKind};
        assert!(RidgeClassifier::new(1.0, 1).is_err());
        assert!(RidgeClassifier::new(-1.0, 3).is_err());
        let c = RidgeClassifier::new(1.0, 3).unwrap();
        let x = Array2::<f64>::zeros((4, 2));
        assert_eq!(
            c.fit(x.view(), &[0, 1, 2]).unwrap_err().kind(),
            ErrorKind::DimensionMismatch
        );
        assert_eq!(
            c.fit(x.view(), &[0, 1, 3, 0]).unwrap_err(),
            ReadoutError::LabelOutOfRange {
                index: 2,
                label: 3,
                n_classes: 3
            }
        );
        let a = Array2::<f64>::zeros((3, 2));
        let b = Array2::<f64>::zeros((3, 5));
        let e = Array2::<f64>::zeros((0, 2));
        assert!(
            c.fit_sequences(&[a.view(), b.view()], &[0, 1], Pooling::Mean)
                .is_err()
        );
        assert!(
            c.fit_sequences(&[a.view(), e.view()], &[0, 1], Pooling::Last)
                .is_err()
        );
        assert!(
            c.fit_sequences(&[a.view()], &[0, 1], Pooling::Last)
                .is_err()
        );
        let f = c
            .fit(
                Array2::from_shape_fn((6, 2), |(i, j)| (i * j) as f64).view(),
                &[0, 1, 2, 0, 1, 2],
            )
            .unwrap();
        assert!(f.predict_sequences(&[b.view()], Pooling::Mean).is_err());
        assert!(f.predict(Array2::<f64>::zeros((2, 3)).view()).is_err());
    }
}

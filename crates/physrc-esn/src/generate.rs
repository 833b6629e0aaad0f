//! Random weight generation and the spectral radius.
//!
//! All linear algebra runs sequentially (`Par::Seq`) so that a generated network is
//! bit-identical whatever the thread count: a parallel eigenvalue solve may round differently,
//! and the scale factor it feeds would carry that into every weight.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::linalg::householder;
use faer::linalg::qr::no_pivoting::factor as qr;
use faer::{Conj, Mat, Par};
use ndarray::{Array1, Array2, ArrayView2};
use rand::Rng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::EsnError;
use crate::error::shape2;
use crate::krylov::{self, KrylovFailure, KrylovParams};
use crate::matrix::{Storage, Weights};

/// Distribution of the nonzero entries of a random sparse matrix.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dist {
    /// Standard normal, N(0, 1) (reservoirpy's `normal`).
    Normal,
    /// Uniform on [-1, 1) (reservoirpy's `uniform`).
    Uniform,
    /// ±1 with probability ½ each (reservoirpy's `bernoulli`).
    Bernoulli,
}

impl Dist {
    fn draw(self, rng: &mut ChaCha8Rng) -> f64 {
        match self {
            Dist::Normal => rng.sample(StandardNormal),
            Dist::Uniform => rng.random_range(-1.0..1.0),
            Dist::Bernoulli => {
                if rng.random_bool(0.5) {
                    1.0
                } else {
                    -1.0
                }
            }
        }
    }
}

/// A `rows × cols` matrix with exactly `round(density · rows · cols)` nonzero entries (ties to
/// even, as numpy's `round`), at positions drawn uniformly without replacement, as scipy's
/// `random_array` does. Values are drawn in row-major order of their positions.
pub(crate) fn random_sparse(
    rows: usize,
    cols: usize,
    density: f64,
    dist: Dist,
    rng: &mut ChaCha8Rng,
) -> Array2<f64> {
    let total = rows * cols;
    let count = ((density * total as f64).round_ties_even() as usize).min(total);
    let mut positions = index::sample(rng, total, count).into_vec();
    positions.sort_unstable();
    let mut m = Array2::zeros((rows, cols));
    for p in positions {
        m[[p / cols, p % cols]] = dist.draw(rng);
    }
    m
}

/// A dense vector of ±`scale`, each sign with probability ½ (reservoirpy's `bernoulli` bias
/// initialiser, which is called with connectivity 1).
pub(crate) fn bernoulli_vector(len: usize, scale: f64, rng: &mut ChaCha8Rng) -> Array1<f64> {
    Array1::from_shape_fn(len, |_| scale * Dist::Bernoulli.draw(rng))
}

/// A Haar-distributed random orthogonal `n × n` matrix: the Q factor of a standard Gaussian
/// matrix, with each column's sign set so that R has a positive diagonal (Mezzadri 2007,
/// "How to generate random matrices from the classical compact groups", Notices AMS 54).
pub(crate) fn random_orthogonal(n: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let mut a = Mat::<f64>::zeros(n, n);
    for i in 0..n {
        for j in 0..n {
            a[(i, j)] = rng.sample(StandardNormal);
        }
    }
    let par = Par::Seq;
    let block = qr::recommended_block_size::<f64>(n, n);
    let mut coeff = Mat::<f64>::zeros(block, n);
    qr::qr_in_place(
        a.as_mut(),
        coeff.as_mut(),
        par,
        MemStack::new(&mut MemBuffer::new(qr::qr_in_place_scratch::<f64>(
            n,
            n,
            block,
            par,
            Default::default(),
        ))),
        Default::default(),
    );
    // `a` now holds R on and above the diagonal and the Householder vectors below it.
    let signs: Vec<f64> = (0..n)
        .map(|j| if a[(j, j)] < 0.0 { -1.0 } else { 1.0 })
        .collect();
    let mut basis = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        basis[(j, j)] = 1.0;
        for i in j + 1..n {
            basis[(i, j)] = a[(i, j)];
        }
    }
    let mut q = Mat::<f64>::identity(n, n);
    householder::apply_block_householder_sequence_on_the_left_in_place_with_conj(
        basis.as_ref(),
        coeff.as_ref(),
        Conj::No,
        q.as_mut(),
        par,
        MemStack::new(&mut MemBuffer::new(
            householder::apply_block_householder_sequence_on_the_left_in_place_scratch::<f64>(
                n, block, n,
            ),
        )),
    );
    Array2::from_shape_fn((n, n), |(i, j)| q[(i, j)] * signs[j])
}

/// Below this size the dense solver is as fast as the iterative one and needs no tuning.
const DENSE_SOLVER_BELOW: usize = 200;

/// The largest eigenvalue modulus of a square matrix.
///
/// Small matrices, and matrices more than 30 % full, go to faer's dense nonsymmetric
/// eigenvalue solver (Hessenberg reduction and the Francis QR algorithm), which costs O(N³)
/// whatever the sparsity. Larger sparse matrices go to a Krylov–Schur iteration (Stewart 2001,
/// the restarted Arnoldi family ARPACK implements, which reservoirpy calls through scipy) on the
/// nonzeros only: O(nnz) per product, several hundred products, the products in the crate's own
/// sparse kernel and the Gram–Schmidt against the basis both with the rows in two halves on two
/// threads where that pays (a 4,000-unit `W` with 10 % connectivity: 0.46–0.50 s on two cores
/// of an AMD EPYC, `benches/esn.rs`). The iteration stops
/// when the residual of the largest Ritz pair is below 1e-10 of its modulus; the modulus is then
/// far more accurate than that (the error of a Ritz value shrinks with the square of the
/// residual for a well-conditioned eigenvalue), within about 1e-12 of the dense solver's on
/// random sparse matrices of 50–800 units (test below). Should the iteration not converge, the
/// dense solver answers instead. Both start from fixed vectors and sum every product and inner
/// product in a fixed order, so the result is the same bits whatever the thread count.
///
/// # Errors
///
/// [`EsnError::LinearAlgebra`] when the QR iteration does not converge.
pub fn spectral_radius(w: ArrayView2<'_, f64>) -> Result<f64, EsnError> {
    let (n, m) = w.dim();
    let lengths = crate::matrix::row_lengths(w);
    let nnz: usize = lengths.iter().sum();
    if n == m && n >= DENSE_SOLVER_BELOW && (nnz as f64) < 0.3 * (n * n) as f64 {
        let op = Weights::with_row_lengths(w, Storage::Sparse, lengths);
        if let Ok((radius, _)) = krylov_radius_of(&op) {
            return Ok(radius);
        }
    }
    spectral_radius_dense(w)
}

/// Tuning of the Krylov–Schur iteration. A basis of 160 vectors restarted with the 80 Ritz
/// vectors of largest modulus took the fewest products on random sparse matrices of 1,000–4,000
/// units among bases of 60–200 vectors (the eigenvalues of largest modulus sit close together
/// on the edge of the circular law's disc, and a larger basis separates them sooner), and the
/// basis work per product stays below the product's own cost.
const KRYLOV: KrylovParams = KrylovParams {
    max_dim: 160,
    keep: 80,
    tolerance: 1e-10,
    // About ten restarts suffice at 4,000 units; sixty leave a wide margin and bound the time
    // lost before the dense fallback when there is nothing to converge to (a nilpotent `W`,
    // whose Ritz values stay near zero with residuals of order one).
    max_restarts: 60,
    halves_from: SPLIT_PRODUCT_FROM,
};

/// Rows from which a product of the Krylov iteration, and its Gram–Schmidt against the basis,
/// are split over two threads: below it a product takes a few microseconds and the hand-over
/// would cost as much as it saves.
const SPLIT_PRODUCT_FROM: usize = 1_000;

/// The spectral radius of `op`, in the sparse layout, by the Krylov–Schur iteration, with the
/// number of products it took; or why it gave none.
fn krylov_radius_of(op: &Weights) -> Result<(f64, usize), KrylovFailure> {
    let n = op.nrows();
    let split = n >= SPLIT_PRODUCT_FROM && rayon::current_num_threads() > 1;
    let mut scratch = vec![0.0; op.split_scratch_len()];
    // A fixed start vector with no special structure: the same run on every machine.
    let v0 = Mat::<f64>::from_fn(n, 1, |i, _| 1.0 + ((i * 7919) % 101) as f64 / 101.0);
    // The iteration runs on a thread of the pool (the caller's own when it is one), so each of
    // its several thousand splits hands half the work to the one other thread instead of
    // waking two from outside and waiting.
    rayon::scope(|_| {
        krylov::largest_modulus(
            |x, mut y| {
                let x = x.col(0).try_as_col_major().expect("contiguous column");
                let y = y
                    .as_mut()
                    .col_mut(0)
                    .try_as_col_major_mut()
                    .expect("contiguous column");
                if split {
                    op.matvec_split(x.as_slice(), y.as_slice_mut(), &mut scratch);
                } else {
                    op.matvec(x.as_slice(), y.as_slice_mut());
                }
            },
            v0.as_ref(),
            KRYLOV,
        )
    })
}

fn spectral_radius_dense(w: ArrayView2<'_, f64>) -> Result<f64, EsnError> {
    let (n, m) = w.dim();
    if n != m {
        return Err(EsnError::Shape {
            matrix: "w",
            expected: shape2(n, n),
            found: shape2(n, m),
        });
    }
    if n == 0 {
        return Ok(0.0);
    }
    let a = Mat::<f64>::from_fn(n, n, |i, j| w[[i, j]]);
    let mut re = Diag::<f64>::zeros(n);
    let mut im = Diag::<f64>::zeros(n);
    let par = Par::Seq;
    evd::evd_real(
        a.as_ref(),
        re.as_mut(),
        im.as_mut(),
        None,
        None,
        par,
        MemStack::new(&mut MemBuffer::new(evd::evd_scratch::<f64>(
            n,
            ComputeEigenvectors::No,
            ComputeEigenvectors::No,
            par,
            Default::default(),
        ))),
        Default::default(),
    )
    .map_err(|e| EsnError::LinearAlgebra {
        what: "computing the eigenvalues of `w`",
        detail: format!("{e:?}"),
    })?;
    let radius = re
        .column_vector()
        .iter()
        .zip(im.column_vector().iter())
        .map(|(r, i)| r.hypot(*i))
        .fold(0.0, f64::max);
    Ok(radius)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The Krylov path alone, without the size and density rules of [`spectral_radius`].
    fn spectral_radius_krylov(w: ArrayView2<'_, f64>) -> Result<f64, KrylovFailure> {
        Ok(krylov_radius(w)?.0)
    }

    /// The modulus and the number of products it took.
    fn krylov_radius(w: ArrayView2<'_, f64>) -> Result<(f64, usize), KrylovFailure> {
        krylov_radius_of(&Weights::new(w, Storage::Sparse))
    }

    #[test]
    fn random_sparse_has_the_exact_count_and_is_reproducible() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let m = random_sparse(40, 30, 0.1, Dist::Normal, &mut rng);
        assert_eq!(m.iter().filter(|v| **v != 0.0).count(), 120);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        assert_eq!(m, random_sparse(40, 30, 0.1, Dist::Normal, &mut rng));
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let b = random_sparse(40, 30, 0.1, Dist::Bernoulli, &mut rng);
        assert!(b.iter().all(|v| [-1.0, 0.0, 1.0].contains(v)));
    }

    #[test]
    fn spectral_radius_of_known_matrices() {
        // Rotation by 90° scaled by 2: eigenvalues ±2i.
        let r = ndarray::array![[0.0, -2.0], [2.0, 0.0]];
        assert!((spectral_radius(r.view()).unwrap() - 2.0).abs() < 1e-14);
        // Upper triangular: eigenvalues on the diagonal.
        let t = ndarray::array![[0.5, 3.0, 1.0], [0.0, -0.9, 2.0], [0.0, 0.0, 0.1]];
        assert!((spectral_radius(t.view()).unwrap() - 0.9).abs() < 1e-14);
    }

    #[test]
    fn krylov_and_dense_spectral_radii_agree() {
        let mut worst: f64 = 0.0;
        // The Krylov path is forced here, down to sizes the public function sends to the dense
        // solver; three seeds per size, both value distributions, two densities.
        for (n, density) in [
            (50, 0.2),
            (100, 0.1),
            (200, 0.1),
            (300, 0.05),
            (500, 0.1),
            (800, 0.1),
        ] {
            for seed in 0..3u64 {
                let dist = if seed == 2 {
                    Dist::Uniform
                } else {
                    Dist::Normal
                };
                let mut rng = ChaCha8Rng::seed_from_u64(seed * 1000 + n as u64);
                let w = random_sparse(n, n, density, dist, &mut rng);
                let dense = spectral_radius_dense(w.view()).unwrap();
                let sparse = spectral_radius_krylov(w.view()).unwrap();
                worst = worst.max((dense - sparse).abs() / dense);
            }
        }
        assert!(worst < 1e-10, "worst relative difference {worst:e}");
    }

    #[test]
    fn krylov_radius_is_the_same_on_one_and_two_threads() {
        // 1,200 units: the products are split over two threads when the pool has two.
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let w = random_sparse(1200, 1200, 0.1, Dist::Normal, &mut rng);
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| krylov_radius(w.view()).unwrap())
        };
        let (one, two) = (on(1), on(2));
        assert_eq!(one.0.to_bits(), two.0.to_bits());
        assert_eq!(one.1, two.1);
        assert!(one.1 > 0);
    }

    #[test]
    fn a_nilpotent_pattern_falls_back_to_the_dense_solver() {
        // A shift (one Jordan block): every eigenvalue is zero. The restarted basis cannot
        // represent it (the projected matrix is nearly defective and its eigenvectors nearly
        // parallel), and without the final check against the matrix the iteration reported a
        // modulus of 189; it must give up and leave the answer to the dense solver.
        let n = 300;
        let mut w = Array2::zeros((n, n));
        for i in 1..n {
            w[[i, i - 1]] = 1.0;
        }
        assert!(spectral_radius_krylov(w.view()).is_err());
        assert_eq!(spectral_radius(w.view()).unwrap(), 0.0);
    }

    #[test]
    fn orthogonal_is_orthogonal() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let q = random_orthogonal(30, &mut rng);
        let qtq = q.t().dot(&q);
        for ((i, j), v) in qtq.indexed_iter() {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((v - want).abs() < 1e-12, "QᵀQ[{i},{j}] = {v}");
        }
    }
}

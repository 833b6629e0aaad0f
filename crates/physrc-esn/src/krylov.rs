//! The eigenvalue of largest modulus of a large sparse matrix by a Krylov–Schur iteration.
//!
//! The method is Stewart's Krylov–Schur restart of the Arnoldi process (G. W. Stewart, "A
//! Krylov–Schur algorithm for large eigenproblems", SIAM J. Matrix Anal. Appl. 23(3), 2001), the
//! same family as ARPACK's implicitly restarted Arnoldi method that reservoirpy reaches through
//! scipy's `eigs`. It keeps an orthonormal basis `V` of at most `m` vectors plus a residual
//! block of `b` vectors, and a projected matrix `B` with
//!
//! ```text
//! A·V[:, ..j] = V[:, ..j+b]·B[..j+b, ..j]
//! ```
//!
//! extends the basis a block at a time (classical Gram–Schmidt, repeated when the criterion of
//! Daniel, Gragg, Kaufman and Stewart, Math. Comp. 30, 1976, asks for it, as ARPACK does), and
//! when the basis is full keeps only the invariant subspace of `B` belonging to its `keep`
//! eigenvalues of largest modulus. Stewart keeps that subspace as reordered Schur vectors; faer
//! does not export the reordering, so here the subspace comes from the real eigenvectors of `B`
//! (real and imaginary parts of a complex pair), orthonormalised. They span the same subspace;
//! the relation above then holds up to the rounding of those eigenvectors, far below the
//! tolerance. A complex-conjugate pair is always kept or dropped whole, so the arithmetic stays
//! real.
//!
//! The crate uses one vector (`b = 1`). Blocks of 4 and 8 vectors, whose products read the
//! matrix once for several vectors, needed four to eight times as many products on random
//! sparse matrices of 2,000 units, more than the cheaper products saved.
//!
//! Why not faer's `partial_eigen`, which implements the same method: its basis is at least 32
//! and at most 64 vectors whatever is asked, and with a larger one (48–96, 64–128, 100–200 at
//! N = 2,000) it locked no eigenvalue before its restarts ran out, so it cannot use the larger
//! basis the edge of a random matrix's spectrum needs. The eigenvalues of a random sparse `W`
//! fill a disc (Girko's circular law) and the few of largest modulus are separated by a
//! fraction of a percent, so a small basis converges slowly: 1,215 products at N = 4,000 with
//! its 32–64 vectors and a residual of 1e-12, 799 here with 160 vectors and 1e-10 relative.
//!
//! Everything runs in a fixed order from fixed start vectors. The Gram–Schmidt products with
//! the basis are cut into two row halves fixed by the matrix size (`Halves`), run on two
//! threads when there are two and one after the other otherwise, and the rest runs on one
//! thread; so with products that give the same bits on any number of threads the result does
//! too.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// Tuning of [`largest_modulus`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct KrylovParams {
    /// Largest basis size `m` (capped below the matrix size).
    pub(crate) max_dim: usize,
    /// Ritz vectors kept at a restart (a complex pair may add one).
    pub(crate) keep: usize,
    /// Converged when the residual of the largest Ritz pair is at most this times its modulus.
    pub(crate) tolerance: f64,
    /// Restarts before giving up.
    pub(crate) max_restarts: usize,
    /// Matrices of at least this many rows do their Gram–Schmidt in two fixed row halves,
    /// on two threads when the pool has them (see [`Halves`]).
    pub(crate) halves_from: usize,
}

/// Largest residual `‖A·x − θ·x‖ / (|θ|·‖x‖)` accepted when the converged Ritz pair is checked
/// against the matrix itself. The iteration's own estimate is 1e-10; this only has to tell a
/// sound Krylov relation from a spoiled one, whose residuals are of order one.
const VERIFY_TOLERANCE: f64 = 1e-8;

/// Why the iteration gave no answer; the caller falls back to the dense solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KrylovFailure {
    /// The basis became invariant before it spanned the space: the eigenvalues found are exact,
    /// but the start vectors may have missed the largest.
    InvariantSubspace,
    /// The restarts ran out before the residual met the tolerance, or the converged Ritz pair
    /// failed the check against the matrix.
    NotConverged,
    /// The projected eigenvalue problem failed.
    ProjectedSolve,
}

/// The largest eigenvalue modulus of the `n × n` operator `apply` (`Y = A·X` for an `n × b`
/// block `X`), from the `b` start vectors `v0` (`n × b`, any scaling), with the number of
/// matrix–vector products it took (a block product of `b` vectors counts `b`).
pub(crate) fn largest_modulus(
    mut apply: impl FnMut(MatRef<'_, f64>, MatMut<'_, f64>),
    v0: MatRef<'_, f64>,
    params: KrylovParams,
) -> Result<(f64, usize), KrylovFailure> {
    let (n, bs) = v0.shape();
    if bs == 0 || n < 2 * bs + 2 {
        return Err(KrylovFailure::InvariantSubspace);
    }
    let m = params.max_dim.min(n - bs).max(2 * bs + 2);
    let keep = params.keep.clamp(1, m - bs - 1);
    let par = Par::Seq;
    let mut v = Mat::<f64>::zeros(n, m + bs);
    let mut b = Mat::<f64>::zeros(m + bs, m);
    v.as_mut().subcols_mut(0, bs).copy_from(v0);
    if orthonormalise(v.as_mut().subcols_mut(0, bs), None).is_none() {
        return Err(KrylovFailure::InvariantSubspace);
    }
    let mut w = Mat::<f64>::zeros(n, bs);
    let mut h = Mat::<f64>::zeros(m + bs, bs);
    let mut h2 = Mat::<f64>::zeros(m + bs, bs);
    let halves = Halves::for_rows(n, params.halves_from);
    let mut products = 0usize;
    // `j` vectors satisfy the relation; `V[:, j..j + bs]` is the residual block.
    let mut j = 0usize;
    for _restart in 0..=params.max_restarts {
        // Extend the basis a block at a time while it fits.
        while j + 2 * bs <= m + bs && j + bs <= m {
            apply(v.as_ref().subcols(j, bs), w.as_mut());
            products += bs;
            let basis = v.as_ref().subcols(0, j + bs);
            // Classical Gram–Schmidt against the whole basis, repeated once when the first
            // pass removed most of the vector (Daniel, Gragg, Kaufman and Stewart's criterion,
            // as ARPACK applies it): a second pass is then needed to keep the basis orthogonal
            // to working precision, and otherwise it changes nothing that matters.
            for pass in 0..2 {
                let before = w.norm_l2();
                let mut hj = h.as_mut().subrows_mut(0, j + bs);
                halves.project(
                    basis,
                    w.as_ref(),
                    hj.as_mut(),
                    h2.as_mut().subrows_mut(0, j + bs),
                );
                halves.subtract(basis, hj.as_ref(), w.as_mut());
                let mut col = b.as_mut().submatrix_mut(0, j, j + bs, bs);
                for c in 0..bs {
                    for i in 0..j + bs {
                        col[(i, c)] += hj[(i, c)];
                    }
                }
                if pass == 0 && w.norm_l2() > std::f64::consts::FRAC_1_SQRT_2 * before {
                    break;
                }
            }
            // The new block and its coupling R (upper triangular) below the diagonal block.
            let mut r = Mat::<f64>::zeros(bs, bs);
            let scale = b
                .as_ref()
                .submatrix(0, j, j + bs, bs)
                .norm_max()
                .max(w.norm_max());
            if orthonormalise(w.as_mut(), Some((r.as_mut(), scale))).is_none() {
                return Err(KrylovFailure::InvariantSubspace);
            }
            b.as_mut().submatrix_mut(j + bs, j, bs, bs).copy_from(&r);
            v.as_mut().subcols_mut(j + bs, bs).copy_from(&w);
            j += bs;
        }

        // Ritz values and vectors of the projected matrix.
        let bm = b.as_ref().submatrix(0, 0, j, j);
        let mut re = Diag::<f64>::zeros(j);
        let mut im = Diag::<f64>::zeros(j);
        let mut vecs = Mat::<f64>::zeros(j, j);
        evd::evd_real(
            bm,
            re.as_mut(),
            im.as_mut(),
            None,
            Some(vecs.as_mut()),
            par,
            MemStack::new(&mut MemBuffer::new(evd::evd_scratch::<f64>(
                j,
                ComputeEigenvectors::No,
                ComputeEigenvectors::Yes,
                par,
                Default::default(),
            ))),
            Default::default(),
        )
        .map_err(|_| KrylovFailure::ProjectedSolve)?;
        let re = re.column_vector();
        let im = im.column_vector();
        // Eigenvalues as blocks: a real one, or a complex pair in two adjacent columns.
        let mut blocks: Vec<(usize, usize, f64)> = Vec::with_capacity(j);
        let mut i = 0;
        while i < j {
            let size = if im[i] != 0.0 && i + 1 < j { 2 } else { 1 };
            blocks.push((i, size, re[i].hypot(im[i])));
            i += size;
        }
        // Largest modulus first; equal moduli keep their order, so the run is reproducible.
        blocks.sort_by(|a, b| b.2.total_cmp(&a.2));

        // Residual of the largest: ‖E·y‖ / ‖y‖ with E the coupling to the residual block.
        let (j0, size0, theta) = blocks[0];
        let mut ey = Mat::<f64>::zeros(bs, size0);
        matmul(
            ey.as_mut(),
            Accum::Replace,
            b.as_ref().submatrix(j, 0, bs, j),
            vecs.as_ref().subcols(j0, size0),
            1.0,
            par,
        );
        let residual = ey.norm_l2() / vecs.as_ref().subcols(j0, size0).norm_l2();
        if residual <= params.tolerance * theta {
            // The estimate above trusts the Krylov relation. Check the Ritz pair against the
            // matrix itself, so that a relation spoiled by rounding (eigenvectors of a nearly
            // defective projected matrix, as for a nilpotent `W`) cannot pass a wrong value.
            let vectors = vecs.as_ref().subcols(j0, size0);
            let mut x = Mat::<f64>::zeros(n, size0);
            matmul(
                x.as_mut(),
                Accum::Replace,
                v.as_ref().subcols(0, j),
                vectors,
                1.0,
                par,
            );
            let mut ax = Mat::<f64>::zeros(n, size0);
            let mut block = Mat::<f64>::zeros(n, bs);
            for c in 0..size0 {
                block.as_mut().col_mut(0).copy_from(x.col(c));
                apply(block.as_ref(), w.as_mut());
                products += bs;
                ax.as_mut().col_mut(c).copy_from(w.col(0));
            }
            // A·x − θ·x for θ = a + ib and x = xr + i·xi (xi = 0 for a real θ).
            let (a, bi) = (re[j0], if size0 == 2 { im[j0] } else { 0.0 });
            let mut true_residual = 0.0f64;
            for i in 0..n {
                let (xr, xi) = (x[(i, 0)], if size0 == 2 { x[(i, 1)] } else { 0.0 });
                let rr = ax[(i, 0)] - (a * xr - bi * xi);
                let ri = if size0 == 2 {
                    ax[(i, 1)] - (a * xi + bi * xr)
                } else {
                    0.0
                };
                true_residual += rr * rr + ri * ri;
            }
            if true_residual.sqrt() <= VERIFY_TOLERANCE * theta * x.norm_l2() {
                return Ok((theta, products));
            }
            return Err(KrylovFailure::NotConverged);
        }

        // Restart: an orthonormal basis of the kept eigenvectors.
        let mut q = Mat::<f64>::zeros(j, keep + 1);
        let mut cols = 0;
        for &(start, size, _) in &blocks {
            if cols >= keep {
                break;
            }
            for c in start..start + size {
                q.as_mut().col_mut(cols).copy_from(vecs.col(c));
                if orthonormalise_column(q.as_mut(), cols) {
                    cols += 1;
                }
            }
        }
        let q = q.subcols(0, cols);
        // V ← [V·Q, residual block].
        let mut vq = Mat::<f64>::zeros(n, cols);
        matmul(
            vq.as_mut(),
            Accum::Replace,
            v.as_ref().subcols(0, j),
            q,
            1.0,
            par,
        );
        let residual_block = v.as_ref().subcols(j, bs).to_owned();
        v.as_mut().subcols_mut(0, cols).copy_from(&vq);
        v.as_mut().subcols_mut(cols, bs).copy_from(&residual_block);
        // B ← [Qᵀ·B·Q; E·Q].
        let mut bq = Mat::<f64>::zeros(j + bs, cols);
        matmul(
            bq.as_mut(),
            Accum::Replace,
            b.as_ref().submatrix(0, 0, j + bs, j),
            q,
            1.0,
            par,
        );
        let mut new_b = Mat::<f64>::zeros(m + bs, m);
        matmul(
            new_b.as_mut().submatrix_mut(0, 0, cols, cols),
            Accum::Replace,
            q.transpose(),
            bq.as_ref().subrows(0, j),
            1.0,
            par,
        );
        new_b
            .as_mut()
            .submatrix_mut(cols, 0, bs, cols)
            .copy_from(bq.as_ref().subrows(j, bs));
        b = new_b;
        j = cols;
    }
    Err(KrylovFailure::NotConverged)
}

/// How the Gram–Schmidt products with the basis are cut.
///
/// With `V` of `n` rows, `Vᵀ·w` is a sum over rows and `w − V·h` a row-wise update. For large
/// `n` both are done in two halves of rows fixed by `n` alone: the inner products as the sum of
/// the two halves' partial products (added in that order), the update half by half. The halves
/// run on two threads through `rayon::join` when the pool has two, and one after the other
/// otherwise, so the arithmetic, and with it every bit of the result, is the same whatever the
/// thread count; only the cut depends on `n`. This is the basis work of every product, which
/// would otherwise leave the second core idle between the split products.
#[derive(Debug, Clone, Copy)]
struct Halves {
    /// First row of the second half, or `None` to work on whole columns.
    middle: Option<usize>,
}

impl Halves {
    fn for_rows(n: usize, from: usize) -> Self {
        Halves {
            middle: (n >= from && n >= 2).then_some(n / 2),
        }
    }

    /// `h = Vᵀ·w`, with `scratch` (the shape of `h`) for the second half's partial product.
    fn project(
        self,
        basis: MatRef<'_, f64>,
        w: MatRef<'_, f64>,
        mut h: MatMut<'_, f64>,
        mut scratch: MatMut<'_, f64>,
    ) {
        let Some(mid) = self.middle else {
            matmul(h, Accum::Replace, basis.transpose(), w, 1.0, Par::Seq);
            return;
        };
        let n = basis.nrows();
        rayon::join(
            || {
                matmul(
                    h.as_mut(),
                    Accum::Replace,
                    basis.subrows(0, mid).transpose(),
                    w.subrows(0, mid),
                    1.0,
                    Par::Seq,
                )
            },
            || {
                matmul(
                    scratch.as_mut(),
                    Accum::Replace,
                    basis.subrows(mid, n - mid).transpose(),
                    w.subrows(mid, n - mid),
                    1.0,
                    Par::Seq,
                )
            },
        );
        for c in 0..h.ncols() {
            for i in 0..h.nrows() {
                h[(i, c)] += scratch[(i, c)];
            }
        }
    }

    /// `w = w − V·h`.
    fn subtract(self, basis: MatRef<'_, f64>, h: MatRef<'_, f64>, w: MatMut<'_, f64>) {
        let Some(mid) = self.middle else {
            matmul(w, Accum::Add, basis, h, -1.0, Par::Seq);
            return;
        };
        let n = basis.nrows();
        let (top, bottom) = w.split_at_row_mut(mid);
        rayon::join(
            || matmul(top, Accum::Add, basis.subrows(0, mid), h, -1.0, Par::Seq),
            || {
                matmul(
                    bottom,
                    Accum::Add,
                    basis.subrows(mid, n - mid),
                    h,
                    -1.0,
                    Par::Seq,
                )
            },
        );
    }
}

/// Orthonormalises the columns of `a` in place (modified Gram–Schmidt, twice), writing the
/// triangular factor into `r` when given. `None` when a column lies in the span of the earlier
/// ones to working precision (relative to `scale` when given, else to its own norm).
fn orthonormalise(mut a: MatMut<'_, f64>, mut r: Option<(MatMut<'_, f64>, f64)>) -> Option<()> {
    let cols = a.ncols();
    for k in 0..cols {
        let before = a.as_ref().col(k).norm_l2();
        for _ in 0..2 {
            for c in 0..k {
                let dot = a.as_ref().col(c).transpose() * a.as_ref().col(k);
                let (prev, mut cur) = a.as_mut().split_at_col_mut(k);
                cur.as_mut()
                    .col_mut(0)
                    .iter_mut()
                    .zip(prev.col(c).iter())
                    .for_each(|(y, x)| *y -= dot * x);
                if let Some((r, _)) = r.as_mut() {
                    r[(c, k)] += dot;
                }
            }
        }
        let after = a.as_ref().col(k).norm_l2();
        let floor = match &r {
            Some((_, scale)) => 1e-14 * scale,
            None => 1e-10 * before,
        };
        if after <= floor || after == 0.0 {
            return None;
        }
        a.as_mut().col_mut(k).iter_mut().for_each(|x| *x /= after);
        if let Some((r, _)) = r.as_mut() {
            r[(k, k)] = after;
        }
    }
    Some(())
}

/// Orthonormalises column `k` of `q` against columns `..k` (modified Gram–Schmidt, twice);
/// `false` when it lies in their span to working precision, so the caller overwrites it with
/// the next candidate.
fn orthonormalise_column(mut q: MatMut<'_, f64>, k: usize) -> bool {
    let before = q.as_ref().col(k).norm_l2();
    if before == 0.0 {
        return false;
    }
    for _ in 0..2 {
        for c in 0..k {
            let dot = q.as_ref().col(c).transpose() * q.as_ref().col(k);
            let (prev, mut cur) = q.as_mut().split_at_col_mut(k);
            cur.as_mut()
                .col_mut(0)
                .iter_mut()
                .zip(prev.col(c).iter())
                .for_each(|(y, x)| *y -= dot * x);
        }
    }
    let after = q.as_ref().col(k).norm_l2();
    if after <= 1e-10 * before {
        return false;
    }
    q.as_mut().col_mut(k).iter_mut().for_each(|x| *x /= after);
    true
}

//! The only place that talks to faer: Gram accumulation, the ridge solve with its fallback, the
//! symmetric eigendecomposition and the SVD solver. Everything else in the crate sees ndarray.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{BlockStructure, matmul as tri_matmul};
use faer::{Accum, Mat, MatRef, Par};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2};

use crate::error::ReadoutError;

/// Rows per block when streaming data through the Gram product.
///
/// Each block is copied (shifted) into a scratch buffer — row-major for the streamed Gram
/// product, which multiplies that copy read column-major as the block's transpose — so the
/// scratch memory stays at `GRAM_BLOCK × n_features` whatever the number of samples. The block
/// size is a constant, not a function of the thread count, so the summation order — and hence
/// every bit of the result — does not depend on how many threads run.
pub(crate) const GRAM_BLOCK: usize = 2048;

/// Below this many multiply–adds a product runs on the calling thread: spawning costs more.
const PAR_THRESHOLD: usize = 1 << 22;

/// Chooses faer's parallelism for a product of about `work` multiply–adds.
///
/// faer's parallel kernels split the output into tiles and never split the reduction
/// dimension across threads, so the result is the same bits for any thread count (checked by
/// the `bit_identical_across_thread_counts` tests).
pub(crate) fn par_for(work: usize) -> Par {
    if work >= PAR_THRESHOLD && rayon::current_num_threads() > 1 {
        Par::rayon(0)
    } else {
        Par::Seq
    }
}

/// `out = x·weights + intercept` (the intercept added to every row; none means zero), for the
/// `predict_into` of every linear readout.
///
/// # Errors
///
/// [`ReadoutError::ShapeMismatch`] unless `x` has one column per row of `weights` and `out` is
/// `x.nrows() × weights.ncols()`; [`ReadoutError::NonFinite`] for NaN or infinite features.
/// `out` is left untouched on every error.
pub(crate) fn affine_predict_into(
    x: ArrayView2<'_, f64>,
    weights: ArrayView2<'_, f64>,
    intercept: Option<ArrayView1<'_, f64>>,
    mut out: ArrayViewMut2<'_, f64>,
) -> Result<(), ReadoutError> {
    if x.ncols() != weights.nrows() {
        return Err(ReadoutError::shape(
            "x",
            x.shape(),
            "weights",
            weights.shape(),
            "x must have one column per feature",
        ));
    }
    if out.dim() != (x.nrows(), weights.ncols()) {
        return Err(ReadoutError::shape(
            "out",
            out.shape(),
            "x",
            x.shape(),
            "out must be x.nrows() × n_outputs",
        ));
    }
    check_finite("x", x)?;
    match intercept {
        Some(b) => {
            for mut row in out.rows_mut() {
                row.assign(&b);
            }
        }
        None => out.fill(0.0),
    }
    ndarray::linalg::general_mat_mul(1.0, &x, &weights, 1.0, &mut out);
    Ok(())
}

/// Returns the first non-finite element of `a` as an error.
pub(crate) fn check_finite(what: &'static str, a: ArrayView2<'_, f64>) -> Result<(), ReadoutError> {
    // The common case is all finite: test whole chunks without an early exit per element, so
    // the check vectorises; only on failure is the array searched (in logical order) for the
    // first culprit.
    let all_finite = match a.as_slice_memory_order() {
        Some(s) => s
            .chunks(1024)
            .all(|c| c.iter().fold(true, |ok, v| ok & v.is_finite())),
        None => a.iter().all(|v| v.is_finite()),
    };
    if all_finite {
        return Ok(());
    }
    let ((row, col), value) = a
        .indexed_iter()
        .find(|(_, v)| !v.is_finite())
        .map(|(i, v)| (i, *v))
        .unwrap_or(((0, 0), f64::NAN));
    Err(ReadoutError::NonFinite {
        what,
        row,
        col,
        value,
    })
}

/// Returns the first non-finite element of a slice as an error.
pub(crate) fn check_finite_slice(what: &'static str, a: &[f64]) -> Result<(), ReadoutError> {
    match a.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(ReadoutError::NonFinite {
            what,
            row: i,
            col: 0,
            value: a[i],
        }),
    }
}

/// Column means of `a` (which has at least one row).
pub(crate) fn column_means(a: ArrayView2<'_, f64>) -> Vec<f64> {
    let n = a.nrows() as f64;
    let mut s = vec![0.0; a.ncols()];
    for row in a.rows() {
        for (acc, v) in s.iter_mut().zip(row.iter()) {
            *acc += *v;
        }
    }
    s.iter_mut().for_each(|v| *v /= n);
    s
}

/// Copies rows of `src` minus `shift` into the column-major buffer `dst` (leading dimension
/// `src.nrows()`).
///
/// The copy walks 64-column tiles so both the contiguous reads of the row-major source and the
/// strided writes stay in cache.
pub(crate) fn copy_shifted_colmajor(src: ArrayView2<'_, f64>, shift: &[f64], dst: &mut [f64]) {
    let (m, n) = src.dim();
    debug_assert!(dst.len() >= m * n);
    const TILE: usize = 64;
    if let Some(s) = src.as_slice() {
        for j0 in (0..n).step_by(TILE) {
            let j1 = (j0 + TILE).min(n);
            for i in 0..m {
                let row = &s[i * n + j0..i * n + j1];
                for (jj, v) in row.iter().enumerate() {
                    let j = j0 + jj;
                    dst[j * m + i] = *v - shift[j];
                }
            }
        }
    } else {
        for ((i, j), v) in src.indexed_iter() {
            dst[j * m + i] = *v - shift[j];
        }
    }
}

/// Outputs up to which `Xᵀy` is accumulated in the copying pass rather than by a separate
/// product over the block (a matrix–vector product that would read the block again).
const FUSED_OUTPUTS: usize = 4;

/// `out = row − shift`, adding `out` into `sums`.
#[inline]
fn shift_row(row: &[f64], shift: &[f64], out: &mut [f64], sums: &mut [f64]) {
    for (((o, v), s), acc) in out.iter_mut().zip(row).zip(shift).zip(sums.iter_mut()) {
        *o = *v - *s;
        *acc += *o;
    }
}

/// Adds `b·bᵀ` into the lower triangle of `g`, computing only that half; `b` is the
/// transposed data block (features × rows).
///
/// Multiplying the transposed block from its row-major copy is faster than transposing it
/// into column-major first (measured 0.54 s against 0.89 s for 20,000 × 1,500 on 2 cores;
/// the two gave the same bits in that measurement, which nothing here relies on).
pub(crate) fn gram_lower_add_t(g: &mut Mat<f64>, b: MatRef<'_, f64>) {
    let n = b.nrows();
    let par = par_for(b.ncols() * n * n / 2);
    tri_matmul(
        g.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Add,
        b,
        BlockStructure::Rectangular,
        b.transpose(),
        BlockStructure::Rectangular,
        1.0,
        par,
    );
}

/// `a · b` as a new matrix.
pub(crate) fn mul(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut c = Mat::zeros(a.nrows(), b.ncols());
    let par = par_for(a.nrows() * a.ncols() * b.ncols());
    matmul(c.as_mut(), Accum::Replace, a, b, 1.0, par);
    c
}

/// `aᵀ · b` as a new matrix.
pub(crate) fn mul_tn(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    mul(a.transpose(), b)
}

/// Copies a faer matrix into a standard-layout ndarray array.
pub(crate) fn to_array(m: MatRef<'_, f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// Eigenvalues (ascending) and eigenvectors of the symmetric matrix whose lower triangle is `g`.
///
/// A row (and column) that is exactly zero is an eigenvector of eigenvalue 0 by itself: the
/// Gram matrix of a feature that never varies, as for the magnets of an array that the drive
/// never switches, which in a nanomagnet run can be most of them. Those rows are set aside and
/// only the rest is decomposed, which is both cheaper (22 live features of 840 cost 22³, not
/// 840³) and safer: faer 0.24's iteration was seen not to converge on such a matrix (the
/// Gram of 840 spins of which 22 ever switched) while it converges on the live block alone.
/// Should the live block still fail, it is decomposed once more shifted by a multiple of the
/// identity far below its accuracy, which changes no eigenvector and moves every eigenvalue by
/// that shift, taken back afterwards.
///
/// # Errors
///
/// [`ReadoutError::Diverged`] if the matrix holds non-finite values or the iteration does not
/// converge.
pub(crate) fn sym_eigen(g: MatRef<'_, f64>) -> Result<(Vec<f64>, Mat<f64>), ReadoutError> {
    let n = g.nrows();
    for j in 0..n {
        for i in j..n {
            if !g[(i, j)].is_finite() {
                return Err(ReadoutError::Diverged(
                    "the gram matrix holds non-finite values (the data overflowed)".into(),
                ));
            }
        }
    }
    // The lower triangle holds the matrix: entry (i, j) of the whole is at (max, min).
    let at = |i: usize, j: usize| if i >= j { g[(i, j)] } else { g[(j, i)] };
    let live: Vec<usize> = (0..n)
        .filter(|&i| (0..n).any(|j| at(i, j) != 0.0))
        .collect();
    let k = live.len();
    let (live_vals, live_vecs) = if k == n {
        sym_eigen_dense(g)?
    } else {
        let block = Mat::from_fn(k, k, |a, b| at(live[a], live[b]));
        sym_eigen_dense(block.as_ref())?
    };
    if k == n {
        return Ok((live_vals, live_vecs));
    }
    // Eigenpairs of the live block, embedded at its rows, and one unit vector per zero row,
    // merged in ascending order of eigenvalue.
    let mut order: Vec<(f64, Option<usize>, usize)> = (0..k)
        .map(|c| (live_vals[c], Some(c), 0))
        .chain(
            (0..n)
                .filter(|i| live.binary_search(i).is_err())
                .map(|i| (0.0, None, i)),
        )
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut u = Mat::<f64>::zeros(n, n);
    let mut vals = Vec::with_capacity(n);
    for (col, &(val, from, row)) in order.iter().enumerate() {
        vals.push(val);
        match from {
            Some(c) => {
                for (a, &i) in live.iter().enumerate() {
                    u[(i, col)] = live_vecs[(a, c)];
                }
            }
            None => u[(row, col)] = 1.0,
        }
    }
    Ok((vals, u))
}

/// [`sym_eigen`] on a matrix whose every row has a nonzero entry: faer's decomposition, and
/// once more on the shifted matrix if it does not converge.
fn sym_eigen_dense(g: MatRef<'_, f64>) -> Result<(Vec<f64>, Mat<f64>), ReadoutError> {
    let n = g.nrows();
    if n == 0 {
        return Ok((Vec::new(), Mat::zeros(0, 0)));
    }
    let decompose = |m: MatRef<'_, f64>| -> Option<(Vec<f64>, Mat<f64>)> {
        use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
        let mut u = Mat::<f64>::zeros(n, n);
        let mut s = faer::diag::Diag::<f64>::zeros(n);
        // A whole eigendecomposition is O(n³) with a large constant; worth threads from small
        // sizes.
        let par = par_for(n * n * n);
        let mut mem = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
            n,
            ComputeEigenvectors::Yes,
            par,
            Default::default(),
        ));
        self_adjoint_evd(
            m,
            s.as_mut(),
            Some(u.as_mut()),
            par,
            MemStack::new(&mut mem),
            Default::default(),
        )
        .ok()?;
        Some(((0..n).map(|i| s[i]).collect(), u))
    };
    let (vals, u) = match decompose(g) {
        Some(d) => d,
        None => {
            // A shift of n·ε times the largest diagonal entry is below the rounding the
            // decomposition itself commits, so taking it back loses nothing it had.
            let max_diag = (0..n).fold(0.0f64, |m, i| m.max(g[(i, i)].abs()));
            let shift = n as f64 * f64::EPSILON * max_diag.max(f64::MIN_POSITIVE);
            let shifted = Mat::from_fn(n, n, |i, j| {
                if i >= j {
                    g[(i, j)] + if i == j { shift } else { 0.0 }
                } else {
                    0.0
                }
            });
            let (vals, u) = decompose(shifted.as_ref()).ok_or_else(|| {
                ReadoutError::Diverged(
                    "the symmetric eigendecomposition of the gram matrix did not converge".into(),
                )
            })?;
            (vals.into_iter().map(|v| v - shift).collect(), u)
        }
    };
    if vals.iter().any(|v| !v.is_finite()) {
        return Err(ReadoutError::Diverged(
            "the eigendecomposition of the gram matrix produced non-finite values".into(),
        ));
    }
    Ok((vals, u))
}

/// The cut below which `λ + α` counts as zero in a pseudo-inverse: relative to the largest
/// eigenvalue, at the usual `n · ε` level of rounding in the Gram matrix.
pub(crate) fn pinv_tolerance(eigvals: &[f64]) -> f64 {
    let max = eigvals.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    max * eigvals.len().max(1) as f64 * f64::EPSILON
}

/// The filter factors `1 / (λ + α)` of a ridge solve, with zero where `λ + α` is below the
/// pseudo-inverse tolerance (negative rounding noise in λ is clamped to zero first).
pub(crate) fn ridge_filter(eigvals: &[f64], alpha: f64, tol: f64) -> Vec<f64> {
    eigvals
        .iter()
        .map(|&l| {
            let d = l.max(0.0) + alpha;
            if d > tol { 1.0 / d } else { 0.0 }
        })
        .collect()
}

/// `V · diag(f) · C`, the ridge weights from an eigendecomposition with `C = Vᵀ B`.
pub(crate) fn weights_from_eigen(
    v: MatRef<'_, f64>,
    filter: &[f64],
    c: MatRef<'_, f64>,
) -> Mat<f64> {
    let scaled = Mat::from_fn(c.nrows(), c.ncols(), |i, j| filter[i] * c[(i, j)]);
    mul(v, scaled.as_ref())
}

/// How a ridge system was solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SolveMethod {
    /// Cholesky factorisation of `G + αI`.
    Cholesky,
    /// Eigendecomposition pseudo-inverse, after Cholesky failed or was too ill-conditioned.
    EigenFallback,
}

/// Solves `(G + αI) W = B` where `g` holds `G` in its lower triangle.
///
/// Cholesky first. If it fails (not positive definite) or its pivots show the system is
/// singular to working precision (smallest pivot² below `n · ε` times the largest diagonal),
/// falls back to the pseudo-inverse through a symmetric eigendecomposition, which gives the
/// minimum-norm solution on the numerically null directions instead of amplified rounding.
///
/// # Errors
///
/// [`ReadoutError::Diverged`] if even the fallback fails or yields non-finite weights.
pub(crate) fn solve_ridge(
    g: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    alpha: f64,
) -> Result<(Mat<f64>, SolveMethod), ReadoutError> {
    use faer::linalg::cholesky::llt::{factor, solve};
    let n = g.nrows();
    if n == 0 {
        return Ok((Mat::zeros(0, b.ncols()), SolveMethod::Cholesky));
    }
    let mut a = Mat::<f64>::zeros(n, n);
    a.copy_from_triangular_lower(g);
    let mut max_diag = 0.0_f64;
    for i in 0..n {
        a[(i, i)] += alpha;
        max_diag = max_diag.max(a[(i, i)].abs());
    }
    let all_finite = (0..n).all(|j| (j..n).all(|i| a[(i, j)].is_finite()));
    if all_finite {
        let par = par_for(n * n * n / 3);
        let mut mem = MemBuffer::new(factor::cholesky_in_place_scratch::<f64>(
            n,
            par,
            Default::default(),
        ));
        let ok = factor::cholesky_in_place(
            a.as_mut(),
            Default::default(),
            par,
            MemStack::new(&mut mem),
            Default::default(),
        )
        .is_ok();
        if ok {
            let min_pivot = (0..n).fold(f64::INFINITY, |m, i| m.min(a[(i, i)]));
            let well_posed = min_pivot * min_pivot > n as f64 * f64::EPSILON * max_diag;
            if well_posed {
                let mut w = b.to_owned();
                let par = par_for(n * n * b.ncols());
                let mut mem =
                    MemBuffer::new(solve::solve_in_place_scratch::<f64>(n, b.ncols(), par));
                solve::solve_in_place(a.as_ref(), w.as_mut(), par, MemStack::new(&mut mem));
                if all_finite_mat(w.as_ref()) {
                    return Ok((w, SolveMethod::Cholesky));
                }
            }
        }
    }
    let (vals, v) = sym_eigen(g)?;
    let tol = pinv_tolerance(&vals);
    let filter = ridge_filter(&vals, alpha, tol);
    let c = mul_tn(v.as_ref(), b);
    let w = weights_from_eigen(v.as_ref(), &filter, c.as_ref());
    if !all_finite_mat(w.as_ref()) {
        return Err(ReadoutError::Diverged(
            "the ridge system is singular: even the eigendecomposition fallback gave non-finite weights"
                .into(),
        ));
    }
    Ok((w, SolveMethod::EigenFallback))
}

/// The cut below which a singular value of the data counts as zero in the SVD solver:
/// `max(T, n) · ε · s_max` for a `T × n` matrix.
///
/// This is the default of `numpy.linalg.lstsq` (`rcond=None`) and of
/// `numpy.linalg.matrix_rank`: the size of the rounding a backward-stable SVD leaves in the
/// singular values. (`numpy.linalg.pinv` defaults to a flat `1e-15` instead.) It sits on the
/// singular values of `X`, not on the eigenvalues of `XᵀX`, so a direction with
/// `s / s_max = 1e-7` is kept, where the Gram route sees `1e-14` and cuts it.
pub(crate) fn svd_cut(singular: &[f64], rows: usize, cols: usize) -> f64 {
    let max = singular.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    max * rows.max(cols) as f64 * f64::EPSILON
}

/// Ridge weights `V · diag(sᵢ / (sᵢ² + α)) · Uᵀ · Yc` from the thin SVD `Xc = U·diag(s)·Vᵀ` of the
/// (already centred) features, dropping singular values at or below [`svd_cut`].
///
/// `xc` is first scaled in place by the power of two nearest its largest magnitude (exact in
/// floating point), so the SVD's internal norms cannot overflow for huge data or underflow for
/// tiny data; the singular values are scaled back before filtering. The filter is evaluated as
/// `1 / (sᵢ + α / sᵢ)`, which equals `sᵢ / (sᵢ² + α)` but cannot overflow for huge `sᵢ`.
///
/// # Errors
///
/// [`ReadoutError::Diverged`] if `xc` holds non-finite values (the centring overflowed), the SVD
/// does not converge, or the weights come out non-finite.
pub(crate) fn solve_ridge_svd(
    mut xc: faer::MatMut<'_, f64>,
    yc: MatRef<'_, f64>,
    alpha: f64,
) -> Result<Mat<f64>, ReadoutError> {
    use faer::linalg::svd::{ComputeSvdVectors, svd, svd_scratch};
    let (t, n) = xc.shape();
    let q = yc.ncols();
    if n == 0 {
        return Ok(Mat::zeros(0, q));
    }
    if !all_finite_mat(xc.as_ref()) || !all_finite_mat(yc) {
        return Err(ReadoutError::Diverged(
            "the centred data hold non-finite values (the data overflowed)".into(),
        ));
    }
    let max_abs = (0..n).fold(0.0_f64, |m, j| {
        (0..t).fold(m, |m, i| m.max(xc[(i, j)].abs()))
    });
    let exponent = if max_abs > 0.0 {
        (max_abs.log2().round() as i32).clamp(-1000, 1000)
    } else {
        0
    };
    if exponent != 0 {
        let down = 2.0_f64.powi(-exponent);
        for j in 0..n {
            for i in 0..t {
                xc[(i, j)] *= down;
            }
        }
    }
    let up = 2.0_f64.powi(exponent);
    let xc = xc.as_ref();
    let k = t.min(n);
    let mut u = Mat::<f64>::zeros(t, k);
    let mut v = Mat::<f64>::zeros(n, k);
    let mut s = faer::diag::Diag::<f64>::zeros(k);
    // A QR plus a bidiagonal SVD: O(T·n²) like the Gram product, with a larger constant. It
    // runs on the calling thread: faer's parallel SVD reorders reductions with the thread
    // count (measured: 1 vs 2 threads differ in the last bits), which would break the
    // bit-identical guarantee. The products around it split only output tiles.
    let par = Par::Seq;
    let mut mem = MemBuffer::new(svd_scratch::<f64>(
        t,
        n,
        ComputeSvdVectors::Thin,
        ComputeSvdVectors::Thin,
        par,
        Default::default(),
    ));
    svd(
        xc,
        s.as_mut(),
        Some(u.as_mut()),
        Some(v.as_mut()),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|_| {
        ReadoutError::Diverged("the svd of the centred features did not converge".into())
    })?;
    let sv: Vec<f64> = (0..k).map(|i| s[i] * up).collect();
    if sv.iter().any(|v| !v.is_finite()) {
        return Err(ReadoutError::Diverged(
            "the svd of the centred features produced non-finite values".into(),
        ));
    }
    let cut = svd_cut(&sv, t, n);
    let filter: Vec<f64> = sv
        .iter()
        .map(|&si| {
            if si > cut {
                1.0 / (si + alpha / si)
            } else {
                0.0
            }
        })
        .collect();
    let c = mul_tn(u.as_ref(), yc);
    let w = weights_from_eigen(v.as_ref(), &filter, c.as_ref());
    if !all_finite_mat(w.as_ref()) {
        return Err(ReadoutError::Diverged(
            "the svd ridge solve gave non-finite weights".into(),
        ));
    }
    Ok(w)
}

pub(crate) fn all_finite_mat(m: MatRef<'_, f64>) -> bool {
    (0..m.ncols()).all(|j| (0..m.nrows()).all(|i| m[(i, j)].is_finite()))
}

/// Sufficient statistics of a ridge fit, accumulated block by block around a shift.
///
/// With `s`, `t` the shifts of `x` and `y`, it holds `n`, `Σ(x−s)`, `Σ(y−t)`, the lower half of
/// `Σ(x−s)(x−s)ᵀ`, `Σ(x−s)(y−t)ᵀ` and the diagonal of `Σ(y−t)(y−t)ᵀ`. The centred statistics
/// follow exactly, e.g. `Σ(x−x̄)(x−x̄)ᵀ = Σ(x−s)(x−s)ᵀ − n·d·dᵀ` with `d = Σ(x−s)/n`; the
/// correction is small when `s` is near the mean, so nothing large cancels. Without an
/// intercept the shifts are zero and nothing is centred.
#[derive(Debug, Clone)]
pub(crate) struct Moments {
    pub(crate) n_features: usize,
    pub(crate) n_outputs: usize,
    pub(crate) centre: bool,
    pub(crate) n: usize,
    pub(crate) shift_x: Option<Vec<f64>>,
    pub(crate) shift_y: Option<Vec<f64>>,
    pub(crate) sx: Vec<f64>,
    pub(crate) sy: Vec<f64>,
    pub(crate) gxx: Mat<f64>,
    pub(crate) gxy: Mat<f64>,
    pub(crate) syy: Vec<f64>,
}

/// Centred statistics ready for a solve.
#[derive(Debug, Clone)]
pub(crate) struct Centred {
    pub(crate) n: usize,
    pub(crate) mean_x: Vec<f64>,
    pub(crate) mean_y: Vec<f64>,
    /// Lower triangle of `Xcᵀ Xc` (the upper triangle is not meaningful).
    pub(crate) g: Mat<f64>,
    /// `Xcᵀ Yc`.
    pub(crate) b: Mat<f64>,
    /// Diagonal of `Ycᵀ Yc`.
    pub(crate) syy: Vec<f64>,
}

impl Moments {
    pub(crate) fn new(n_features: usize, n_outputs: usize, centre: bool) -> Self {
        Moments {
            n_features,
            n_outputs,
            centre,
            n: 0,
            shift_x: None,
            shift_y: None,
            sx: vec![0.0; n_features],
            sy: vec![0.0; n_outputs],
            gxx: Mat::zeros(n_features, n_features),
            gxy: Mat::zeros(n_features, n_outputs),
            syy: vec![0.0; n_outputs],
        }
    }

    /// Fixes the shifts before any data arrives (a one-shot fit shifts by the exact means).
    pub(crate) fn with_shift(mut self, shift_x: Vec<f64>, shift_y: Vec<f64>) -> Self {
        if self.centre {
            self.shift_x = Some(shift_x);
            self.shift_y = Some(shift_y);
        }
        self
    }

    /// Checks shapes and finiteness of one chunk.
    pub(crate) fn validate(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
    ) -> Result<(), ReadoutError> {
        self.validate_shapes(x, y)?;
        check_finite("x", x)?;
        check_finite("y", y)
    }

    /// Checks the shapes of one chunk.
    fn validate_shapes(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
    ) -> Result<(), ReadoutError> {
        if x.ncols() != self.n_features {
            return Err(ReadoutError::ShapeMismatch {
                left: "x",
                left_shape: x.shape().to_vec(),
                right: "the readout",
                right_shape: vec![self.n_features, self.n_outputs],
                rule: "x must have one column per feature",
            });
        }
        if y.ncols() != self.n_outputs {
            return Err(ReadoutError::ShapeMismatch {
                left: "y",
                left_shape: y.shape().to_vec(),
                right: "the readout",
                right_shape: vec![self.n_features, self.n_outputs],
                rule: "y must have one column per output",
            });
        }
        if x.nrows() != y.nrows() {
            return Err(ReadoutError::shape(
                "x",
                x.shape(),
                "y",
                y.shape(),
                "row counts must agree",
            ));
        }
        Ok(())
    }

    /// Checks and adds a chunk of rows: [`validate`](Self::validate) and
    /// [`update_unchecked`](Self::update_unchecked) in one, with `x`'s finiteness checked in
    /// the pass that copies it rather than in a pass of its own. A rejected chunk leaves the
    /// sums unchanged.
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate).
    pub(crate) fn update(
        &mut self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
    ) -> Result<(), ReadoutError> {
        self.validate_shapes(x, y)?;
        check_finite("y", y)?;
        // A chunk of one block is checked as it is copied, before any of it is added. A longer
        // one is checked first, so that no block is added before a later one fails.
        if x.nrows() > GRAM_BLOCK {
            check_finite("x", x)?;
        }
        self.accumulate(x, y, true)
    }

    /// Adds a validated chunk of rows.
    pub(crate) fn update_unchecked(&mut self, x: ArrayView2<'_, f64>, y: ArrayView2<'_, f64>) {
        // Unchecked data is not inspected, so this cannot fail.
        let _ = self.accumulate(x, y, false);
    }

    /// Adds a chunk of rows whose shapes and targets are valid. With `check_x`, a block whose
    /// copy sums to a value that is not finite is searched for a NaN or an infinite value,
    /// and one found is returned as an error before the block touches the sums: any such
    /// value makes its column's sum NaN or infinite, so the common, all-finite case costs a
    /// look at one sum per feature.
    fn accumulate(
        &mut self,
        x: ArrayView2<'_, f64>,
        y: ArrayView2<'_, f64>,
        check_x: bool,
    ) -> Result<(), ReadoutError> {
        let rows = x.nrows();
        if rows == 0 {
            return Ok(());
        }
        let (nf, nq) = (self.n_features, self.n_outputs);
        // The first chunk's mean is the shift: close to the final mean for stationary data,
        // so the centring correction stays small (zero without an intercept). It is kept once
        // the chunk's first block has been accepted.
        let (shift_x, shift_y) = match (&self.shift_x, &self.shift_y) {
            (Some(sx), Some(sy)) => (sx.clone(), sy.clone()),
            _ if self.centre => (column_means(x), column_means(y)),
            _ => (vec![0.0; nf], vec![0.0; nq]),
        };
        let block = rows.min(GRAM_BLOCK);
        let mut bx = vec![0.0; block * nf];
        let mut by = vec![0.0; block * nq];
        let mut block_sum = vec![0.0; nf];
        let mut block_cross = vec![0.0; if nq <= FUSED_OUTPUTS { nf * nq } else { 0 }];
        let mut row_tmp = vec![0.0; nf];
        let mut r = 0;
        while r < rows {
            let m = (rows - r).min(GRAM_BLOCK);
            let xs = x.slice(ndarray::s![r..r + m, ..]);
            let ys = y.slice(ndarray::s![r..r + m, ..]);
            copy_shifted_colmajor(ys, &shift_y, &mut by);
            // One pass over the block's rows copies them shifted (row-major), sums each
            // feature and, for a few outputs, accumulates Xᵀy, while each row is in cache.
            let fuse_cross = nq <= FUSED_OUTPUTS;
            block_sum.fill(0.0);
            block_cross.fill(0.0);
            for (i, (row, out)) in xs
                .rows()
                .into_iter()
                .zip(bx.chunks_exact_mut(nf.max(1)))
                .enumerate()
            {
                match row.as_slice() {
                    Some(r) => shift_row(r, &shift_x, out, &mut block_sum),
                    None => {
                        row_tmp
                            .iter_mut()
                            .zip(row.iter())
                            .for_each(|(t, v)| *t = *v);
                        shift_row(&row_tmp, &shift_x, out, &mut block_sum);
                    }
                }
                if fuse_cross {
                    for (k, cross) in block_cross.chunks_exact_mut(nf.max(1)).enumerate() {
                        let yk = by[k * m + i];
                        for (c, o) in cross.iter_mut().zip(out.iter()) {
                            *c += o * yk;
                        }
                    }
                }
            }
            if check_x && !block_sum.iter().all(|v| v.is_finite()) {
                // Finite values can only sum to infinity by overflow, which the unchecked
                // path would accept too; a NaN or an infinite value is an error.
                check_finite("x", xs).map_err(|e| match e {
                    ReadoutError::NonFinite {
                        what,
                        row,
                        col,
                        value,
                    } => ReadoutError::NonFinite {
                        what,
                        row: row + r,
                        col,
                        value,
                    },
                    other => other,
                })?;
            }
            if self.shift_x.is_none() {
                self.shift_x = Some(shift_x.clone());
                self.shift_y = Some(shift_y.clone());
            }
            for (sx, b) in self.sx.iter_mut().zip(&block_sum) {
                *sx += b;
            }
            // The row-major block read column-major: the block's transpose, features × rows.
            let bt = MatRef::from_column_major_slice(&bx[..m * nf], nf, m);
            let ay = MatRef::from_column_major_slice(&by[..m * nq], m, nq);
            for k in 0..nq {
                let col = &by[k * m..(k + 1) * m];
                self.sy[k] += col.iter().sum::<f64>();
                self.syy[k] += col.iter().map(|v| v * v).sum::<f64>();
            }
            gram_lower_add_t(&mut self.gxx, bt);
            if fuse_cross {
                for k in 0..nq {
                    for j in 0..nf {
                        self.gxy[(j, k)] += block_cross[k * nf + j];
                    }
                }
            } else {
                let par = par_for(m * nf * nq);
                matmul(self.gxy.as_mut(), Accum::Add, bt, ay, 1.0, par);
            }
            self.n += m;
            r += m;
        }
        Ok(())
    }

    /// Adds another accumulator's sums, taken about its own shifts, to these: the other's
    /// sums are first moved to this accumulator's shifts, exactly in exact arithmetic
    /// (`x − s = (x − s') + (s' − s)`), so two accumulators fed disjoint chunks in parallel
    /// give the sums of one fed every chunk. The shifts are both chunk means, so the terms
    /// that move them are small next to the sums. Either side may be empty.
    pub(crate) fn merge(&mut self, other: &Moments) {
        let (Some(s2), Some(t2)) = (&other.shift_x, &other.shift_y) else {
            return;
        };
        if self.shift_x.is_none() {
            *self = other.clone();
            return;
        }
        let (nf, nq) = (self.n_features, self.n_outputs);
        let (s1, t1) = (
            self.shift_x.as_deref().unwrap_or(&[]),
            self.shift_y.as_deref().unwrap_or(&[]),
        );
        let d: Vec<f64> = s2.iter().zip(s1).map(|(a, b)| a - b).collect();
        let e: Vec<f64> = t2.iter().zip(t1).map(|(a, b)| a - b).collect();
        let n = other.n as f64;
        for j in 0..nf {
            for i in j..nf {
                self.gxx[(i, j)] +=
                    other.gxx[(i, j)] + d[i] * other.sx[j] + other.sx[i] * d[j] + n * d[i] * d[j];
            }
        }
        for k in 0..nq {
            for i in 0..nf {
                self.gxy[(i, k)] +=
                    other.gxy[(i, k)] + d[i] * other.sy[k] + other.sx[i] * e[k] + n * d[i] * e[k];
            }
        }
        for k in 0..nq {
            self.syy[k] += other.syy[k] + 2.0 * e[k] * other.sy[k] + n * e[k] * e[k];
            self.sy[k] += other.sy[k] + n * e[k];
        }
        for i in 0..nf {
            self.sx[i] += other.sx[i] + n * d[i];
        }
        self.n += other.n;
    }

    /// Adds another accumulator's sums (same shifts required; used for k-fold complements).
    pub(crate) fn add_assign(&mut self, other: &Moments) {
        self.n += other.n;
        for (a, b) in self.sx.iter_mut().zip(&other.sx) {
            *a += *b;
        }
        for (a, b) in self.sy.iter_mut().zip(&other.sy) {
            *a += *b;
        }
        for (a, b) in self.syy.iter_mut().zip(&other.syy) {
            *a += *b;
        }
        let nf = self.n_features;
        for j in 0..nf {
            for i in j..nf {
                self.gxx[(i, j)] += other.gxx[(i, j)];
            }
        }
        for j in 0..self.n_outputs {
            for i in 0..nf {
                self.gxy[(i, j)] += other.gxy[(i, j)];
            }
        }
        if self.shift_x.is_none() {
            self.shift_x.clone_from(&other.shift_x);
            self.shift_y.clone_from(&other.shift_y);
        }
    }

    /// The centred statistics.
    ///
    /// # Errors
    ///
    /// [`ReadoutError::NoSamples`] if nothing was accumulated.
    pub(crate) fn centred(&self, what: &'static str) -> Result<Centred, ReadoutError> {
        if self.n == 0 {
            return Err(ReadoutError::NoSamples { what });
        }
        let (nf, nq) = (self.n_features, self.n_outputs);
        let nn = self.n as f64;
        let zero_x = vec![0.0; nf];
        let zero_y = vec![0.0; nq];
        let sx0 = self.shift_x.as_deref().unwrap_or(&zero_x);
        let sy0 = self.shift_y.as_deref().unwrap_or(&zero_y);
        let mut g = self.gxx.clone();
        let mut b = self.gxy.clone();
        let mut syy = self.syy.clone();
        let (mean_x, mean_y) = if self.centre {
            let d: Vec<f64> = self.sx.iter().map(|v| v / nn).collect();
            let e: Vec<f64> = self.sy.iter().map(|v| v / nn).collect();
            for j in 0..nf {
                for i in j..nf {
                    g[(i, j)] -= nn * d[i] * d[j];
                }
            }
            for k in 0..nq {
                for i in 0..nf {
                    b[(i, k)] -= nn * d[i] * e[k];
                }
                syy[k] = (syy[k] - nn * e[k] * e[k]).max(0.0);
            }
            (
                sx0.iter().zip(&d).map(|(s, d)| s + d).collect(),
                sy0.iter().zip(&e).map(|(s, e)| s + e).collect(),
            )
        } else {
            (zero_x, zero_y)
        };
        Ok(Centred {
            n: self.n,
            mean_x,
            mean_y,
            g,
            b,
            syy,
        })
    }
}

impl Centred {
    /// Ridge weights and intercept for penalty `alpha`.
    pub(crate) fn solve(&self, alpha: f64) -> Result<(Array2<f64>, Array1<f64>), ReadoutError> {
        let (w, _) = solve_ridge(self.g.as_ref(), self.b.as_ref(), alpha)?;
        Ok(self.finish(w.as_ref()))
    }

    /// Packs weights and the intercept `ȳ − x̄ᵀW` into ndarray.
    pub(crate) fn finish(&self, w: MatRef<'_, f64>) -> (Array2<f64>, Array1<f64>) {
        pack_fit(&self.mean_x, &self.mean_y, w)
    }
}

/// Packs weights and the intercept `ȳ − x̄ᵀW` into ndarray.
pub(crate) fn pack_fit(
    mean_x: &[f64],
    mean_y: &[f64],
    w: MatRef<'_, f64>,
) -> (Array2<f64>, Array1<f64>) {
    let weights = to_array(w);
    let mut intercept = Array1::from(mean_y.to_vec());
    for k in 0..w.ncols() {
        let mut dot = 0.0;
        for i in 0..w.nrows() {
            dot += mean_x[i] * w[(i, k)];
        }
        intercept[k] -= dot;
    }
    (weights, intercept)
}

/// Singular values of `a`, largest first, computed on the calling thread (faer's parallel SVD
/// changes the last bits with the thread count; see [`solve_ridge_svd`]).
///
/// # Errors
///
/// [`ReadoutError::Diverged`] if the decomposition does not converge.
pub(crate) fn singular_values(a: ArrayView2<'_, f64>) -> Result<Vec<f64>, ReadoutError> {
    use faer::linalg::svd::{ComputeSvdVectors, svd, svd_scratch};
    let (t, n) = a.dim();
    let mut m = Mat::<f64>::zeros(t, n);
    for ((i, j), v) in a.indexed_iter() {
        m[(i, j)] = *v;
    }
    let k = t.min(n);
    let mut s = faer::diag::Diag::<f64>::zeros(k);
    let par = Par::Seq;
    let mut mem = MemBuffer::new(svd_scratch::<f64>(
        t,
        n,
        ComputeSvdVectors::No,
        ComputeSvdVectors::No,
        par,
        Default::default(),
    ));
    svd(
        m.as_ref(),
        s.as_mut(),
        None,
        None,
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|_| ReadoutError::Diverged("the svd of the state matrix did not converge".into()))?;
    let mut sv: Vec<f64> = (0..k).map(|i| s[i]).collect();
    sv.sort_by(|x, y| y.total_cmp(x));
    Ok(sv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, s};

    /// Zero rows are set aside: the result is still a full eigendecomposition (ascending
    /// eigenvalues, orthonormal vectors, `V Λ Vᵀ = G`) with the live block's eigenvalues, and
    /// the nonzero eigenvalues agree with the dense decomposition of the same matrix.
    #[test]
    fn sym_eigen_sets_zero_rows_aside_and_stays_a_full_decomposition() {
        let n = 40;
        let live = [3usize, 7, 8, 20, 33, 39];
        // A positive semidefinite block B Bᵀ of rank 4 on the live rows, zero elsewhere; only
        // the lower triangle is filled, as for the readout's Gram matrices.
        let b = Mat::from_fn(live.len(), 4, |i, j| ((i * 5 + j * 3) % 7) as f64 - 3.0);
        let block = mul(b.as_ref(), b.transpose());
        let mut g = Mat::<f64>::zeros(n, n);
        for (a, &i) in live.iter().enumerate() {
            for (c, &j) in live.iter().enumerate() {
                if i >= j {
                    g[(i, j)] = block[(a, c)];
                }
            }
        }
        let (vals, v) = sym_eigen(g.as_ref()).unwrap();
        assert_eq!(vals.len(), n);
        assert!(vals.windows(2).all(|w| w[0] <= w[1]), "{vals:?}");
        let scale = vals[n - 1];
        for i in 0..n {
            for j in 0..n {
                let whole = if i >= j { g[(i, j)] } else { g[(j, i)] };
                let rebuilt: f64 = (0..n).map(|k| v[(i, k)] * vals[k] * v[(j, k)]).sum();
                assert!((rebuilt - whole).abs() <= 1e-12 * scale, "({i}, {j})");
                let dot: f64 = (0..n).map(|k| v[(k, i)] * v[(k, j)]).sum();
                let id = if i == j { 1.0 } else { 0.0 };
                assert!((dot - id).abs() <= 1e-12, "vᵀv at ({i}, {j}): {dot}");
            }
        }
        // The four nonzero eigenvalues are those of the block, decomposed on its own.
        let (block_vals, _) = sym_eigen(block.as_ref()).unwrap();
        for (got, want) in vals[n - 4..].iter().zip(&block_vals[live.len() - 4..]) {
            assert!((got - want).abs() <= 1e-12 * scale, "{got} against {want}");
        }
        // All zero: the identity, eigenvalues 0.
        let (vals, v) = sym_eigen(Mat::<f64>::zeros(5, 5).as_ref()).unwrap();
        assert_eq!(vals, vec![0.0; 5]);
        assert!((0..5).all(|i| (0..5).all(|j| v[(i, j)] == if i == j { 1.0 } else { 0.0 })));
    }

    /// The shared prediction adds the intercept (or nothing) to `x·weights`, and on a bad shape
    /// or a non-finite feature leaves `out` as it was.
    #[test]
    fn affine_prediction_values_and_errors() {
        let x = ndarray::array![[1.0, 2.0], [3.0, -1.0]];
        let w = ndarray::array![[0.5, -1.0], [2.0, 0.25]];
        let b = ndarray::array![10.0, 20.0];
        let mut out = Array2::from_elem((2, 2), 7.0);
        affine_predict_into(x.view(), w.view(), Some(b.view()), out.view_mut()).unwrap();
        assert_eq!(out, ndarray::array![[14.5, 19.5], [9.5, 16.75]]);
        affine_predict_into(x.view(), w.view(), None, out.view_mut()).unwrap();
        assert_eq!(out, ndarray::array![[4.5, -0.5], [-0.5, -3.25]]);
        let before = out.clone();
        let e = affine_predict_into(x.view(), w.slice(s![..1, ..]), None, out.view_mut());
        assert!(matches!(
            e,
            Err(ReadoutError::ShapeMismatch { left: "x", .. })
        ));
        let mut short = Array2::zeros((1, 2));
        let e = affine_predict_into(x.view(), w.view(), None, short.view_mut());
        assert!(matches!(
            e,
            Err(ReadoutError::ShapeMismatch { left: "out", .. })
        ));
        let mut xn = x.clone();
        xn[[1, 0]] = f64::INFINITY;
        let e = affine_predict_into(xn.view(), w.view(), Some(b.view()), out.view_mut());
        assert!(matches!(
            e,
            Err(ReadoutError::NonFinite { row: 1, col: 0, .. })
        ));
        assert_eq!(out, before);
    }

    /// Centred `XᵀX` and `XᵀY` computed the plain way.
    fn naive(x: ArrayView2<'_, f64>, y: ArrayView2<'_, f64>) -> (Array2<f64>, Array2<f64>) {
        let mx = x.mean_axis(ndarray::Axis(0)).unwrap();
        let my = y.mean_axis(ndarray::Axis(0)).unwrap();
        let xc = &x - &mx;
        let yc = &y - &my;
        (xc.t().dot(&xc), xc.t().dot(&yc))
    }

    fn data(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        Array2::from_shape_fn((rows, cols), |(_, j)| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 + 0.3 * j as f64
        })
    }

    /// The streamed moments (row-major copy, fused sums and `Xᵀy`, blocks of `GRAM_BLOCK`
    /// rows) equal the plain centred products, for contiguous and strided rows, and for few
    /// outputs (fused path) as for many (separate product).
    #[test]
    fn streamed_moments_equal_the_plain_centred_products() {
        let rows = GRAM_BLOCK + 700;
        let wide = data(rows, 9, 1);
        for nq in [1usize, FUSED_OUTPUTS + 2] {
            let y = data(rows, nq, 2 + nq as u64);
            // Every other column: rows that are not contiguous in memory.
            for x in [wide.slice(s![.., ..7]), wide.slice(s![.., ..;2])] {
                let mut m = Moments::new(x.ncols(), nq, true);
                m.validate(x, y.view()).unwrap();
                // Two chunks, so the shift (first chunk's means) differs from the final means.
                m.update_unchecked(x.slice(s![..1000, ..]), y.slice(s![..1000, ..]));
                m.update_unchecked(x.slice(s![1000.., ..]), y.slice(s![1000.., ..]));
                let c = m.centred("test").unwrap();
                let (g, b) = naive(x, y.view());
                let scale = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
                for i in 0..x.ncols() {
                    for j in 0..=i {
                        let d = (c.g[(i, j)] - g[[i, j]]).abs();
                        assert!(d <= 1e-12 * scale, "gram ({i},{j}) off by {d}, nq {nq}");
                    }
                    for k in 0..nq {
                        let d = (c.b[(i, k)] - b[[i, k]]).abs();
                        assert!(d <= 1e-12 * scale, "cross ({i},{k}) off by {d}, nq {nq}");
                    }
                }
                let mx = x.mean_axis(ndarray::Axis(0)).unwrap();
                for (a, e) in c.mean_x.iter().zip(mx.iter()) {
                    assert!((a - e).abs() <= 1e-12 * e.abs().max(1.0));
                }
            }
        }
    }
}

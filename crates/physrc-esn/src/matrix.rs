//! Weight storage and the matrix–vector kernels of the update.
//!
//! Both layouts compute every output component as one running sum, started at `+0.0`, over the
//! row's entries in increasing column order, with a separate multiply and add (no fused
//! multiply-add). That is the order scipy's CSR kernel and a naive loop use, and it makes the two
//! layouts agree bit for bit: the dense layout adds the products of the zero entries too, but
//! `acc + (±0.0)` is exactly `acc` (the running sum is never `-0.0`, because it starts at `+0.0`
//! and round-to-nearest addition only yields `-0.0` from two negative zeros), and the
//! multiplicand is always finite (the state is checked after every step).
//!
//! Speed comes from working on [`LANES`] rows at once: their sums are independent, so the
//! processor overlaps them, while each row's own order stays the fixed column order. The
//! kernels are compiled once per instruction set and picked at run time ([`pulp::Arch`]), so a
//! portable binary still uses AVX2 or AVX-512 where the processor has it and where it pays
//! (`arch` says when). Rust never fuses a multiply and an add on its own, so every instruction
//! set computes the same bits.

use std::ops::Range;

use ndarray::{Array2, ArrayView2};

/// Rows handled together by the kernels.
pub(crate) const LANES: usize = 8;

/// Density below which a matrix is stored sparse.
///
/// At 10 % density the sparse kernel does a tenth of the multiplications with about three
/// times the cost per entry (an index load and a gather); the two break even near 30 %.
pub(crate) const SPARSE_BELOW_DENSITY: f64 = 0.3;

/// How a weight matrix is laid out in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Storage {
    /// Sparse when fewer than 30 % of the entries are nonzero, dense otherwise.
    #[default]
    Auto,
    /// Always dense.
    Dense,
    /// Always sparse.
    Sparse,
}

/// A weight matrix in one of the two layouts.
#[derive(Debug, Clone)]
pub(crate) enum Weights {
    Dense(BlockedDense),
    Sparse(BlockedSparse),
}

impl Weights {
    /// Stores `m` in the layout `storage` asks for.
    pub(crate) fn new(m: ArrayView2<'_, f64>, storage: Storage) -> Self {
        Self::with_row_lengths(m, storage, row_lengths(m))
    }

    /// [`new`](Self::new) for a caller that has already counted the nonzeros of each row
    /// ([`row_lengths`]), so that the dense array is not read once more for them.
    pub(crate) fn with_row_lengths(
        m: ArrayView2<'_, f64>,
        storage: Storage,
        lengths: Vec<usize>,
    ) -> Self {
        let nnz: usize = lengths.iter().sum();
        let sparse = match storage {
            Storage::Dense => false,
            Storage::Sparse => true,
            Storage::Auto => {
                let total = m.len().max(1) as f64;
                (nnz as f64) / total < SPARSE_BELOW_DENSITY
            }
        };
        if sparse {
            Weights::Sparse(BlockedSparse::new(m, lengths))
        } else {
            Weights::Dense(BlockedDense::new(m, nnz))
        }
    }

    /// `y = M·x`, each component summed in column order.
    #[inline]
    pub(crate) fn matvec(&self, x: &[f64], y: &mut [f64]) {
        match self {
            Weights::Dense(d) => d.matvec(x, y),
            Weights::Sparse(s) => s.matvec(x, y),
        }
    }

    /// `y = M·x` with the rows in two halves, the second on another rayon thread: the same
    /// bits as [`matvec`](Self::matvec), because each component is still one row's sum in
    /// column order, only computed elsewhere. `scratch` holds [`split_scratch_len`]
    /// (Self::split_scratch_len) values.
    pub(crate) fn matvec_split(&self, x: &[f64], y: &mut [f64], scratch: &mut [f64]) {
        match self {
            Weights::Dense(d) => {
                let half = d.vals.len() / (d.ncols * LANES).max(1) / 2;
                let (first, second) = y[..d.nrows].split_at_mut((half * LANES).min(d.nrows));
                let blocks = d.nrows.div_ceil(LANES);
                rayon::join(
                    || dispatch_blocks(d, x, 0..half, first),
                    || dispatch_blocks(d, x, half..blocks, second),
                );
            }
            Weights::Sparse(s) => {
                let blocks = s.offsets.len() - 1;
                // Halves of equal work rather than equal rows: blocks hold rows of decreasing
                // length.
                let middle = s.offsets[blocks] / 2;
                let half = s.offsets.partition_point(|&o| o < middle).min(blocks);
                let (first, second) = scratch[..blocks * LANES].split_at_mut(half * LANES);
                rayon::join(
                    || dispatch_blocks(s, x, 0..half, first),
                    || dispatch_blocks(s, x, half..blocks, second),
                );
                for (&i, &v) in s.order.iter().zip(scratch.iter()) {
                    y[i] = v;
                }
            }
        }
    }

    /// Length of the scratch buffer [`matvec_split`](Self::matvec_split) needs.
    pub(crate) fn split_scratch_len(&self) -> usize {
        match self {
            Weights::Dense(_) => 0,
            Weights::Sparse(s) => (s.offsets.len() - 1) * LANES,
        }
    }

    pub(crate) fn is_sparse(&self) -> bool {
        matches!(self, Weights::Sparse(_))
    }

    /// Rows of the matrix.
    pub(crate) fn nrows(&self) -> usize {
        match self {
            Weights::Dense(d) => d.nrows,
            Weights::Sparse(s) => s.nrows,
        }
    }

    pub(crate) fn nnz(&self) -> usize {
        match self {
            Weights::Dense(d) => d.nnz,
            Weights::Sparse(s) => s.nnz,
        }
    }

    /// The matrix as a plain dense array.
    pub(crate) fn to_dense(&self) -> Array2<f64> {
        match self {
            Weights::Dense(d) => d.to_dense(),
            Weights::Sparse(s) => s.to_dense(),
        }
    }
}

/// The number of nonzero entries of each row, counted in parallel: at 4,000 units the dense
/// matrix is 128 MB and one pass over it costs more than the sparse layout's whole build.
pub(crate) fn row_lengths(m: ArrayView2<'_, f64>) -> Vec<usize> {
    use rayon::prelude::*;
    (0..m.nrows())
        .into_par_iter()
        .map(|i| m.row(i).iter().filter(|&&v| v != 0.0).count())
        .collect()
}

/// Dense rows in blocks of [`LANES`], column-major inside a block:
/// entry `(b·LANES + r, j)` lives at `(b·ncols + j)·LANES + r`. Rows past the end are zero.
#[derive(Debug, Clone)]
pub(crate) struct BlockedDense {
    nrows: usize,
    ncols: usize,
    nnz: usize,
    vals: Vec<f64>,
}

impl BlockedDense {
    /// The layout of `m`, which has `nnz` nonzero entries.
    fn new(m: ArrayView2<'_, f64>, nnz: usize) -> Self {
        let (nrows, ncols) = m.dim();
        let blocks = nrows.div_ceil(LANES);
        let mut vals = vec![0.0; blocks * ncols * LANES];
        for ((i, j), &v) in m.indexed_iter() {
            let (b, r) = (i / LANES, i % LANES);
            vals[(b * ncols + j) * LANES + r] = v;
        }
        BlockedDense {
            nrows,
            ncols,
            nnz,
            vals,
        }
    }

    fn matvec(&self, x: &[f64], y: &mut [f64]) {
        dispatch(self, x, y)
    }
}

impl Portable for BlockedDense {
    #[inline(always)]
    fn matvec_portable(&self, x: &[f64], y: &mut [f64]) {
        let x = &x[..self.ncols];
        let stride = self.ncols * LANES;
        if stride == 0 {
            y[..self.nrows].fill(0.0);
            return;
        }
        for (b, block) in self.vals.chunks_exact(stride).enumerate() {
            let mut acc = [0.0f64; LANES];
            for (col, &xj) in block.chunks_exact(LANES).zip(x) {
                for r in 0..LANES {
                    acc[r] += col[r] * xj;
                }
            }
            store(&acc, b, y, self.nrows);
        }
    }
}

impl BlockedDense {
    /// Rows of blocks `blocks` into `y`, which starts at the first of them.
    #[inline(always)]
    fn blocks_kernel(&self, x: &[f64], blocks: Range<usize>, y: &mut [f64]) {
        let x = &x[..self.ncols];
        let stride = self.ncols * LANES;
        if stride == 0 {
            y.fill(0.0);
            return;
        }
        let vals = &self.vals[blocks.start * stride..blocks.end * stride];
        for (b, block) in vals.chunks_exact(stride).enumerate() {
            let mut acc = [0.0f64; LANES];
            for (col, &xj) in block.chunks_exact(LANES).zip(x) {
                for r in 0..LANES {
                    acc[r] += col[r] * xj;
                }
            }
            store(&acc, b, y, y.len());
        }
    }

    fn to_dense(&self) -> Array2<f64> {
        Array2::from_shape_fn((self.nrows, self.ncols), |(i, j)| {
            self.vals[((i / LANES) * self.ncols + j) * LANES + i % LANES]
        })
    }
}

/// Sparse rows in blocks of [`LANES`] (sliced ELLPACK, the row-blocked form of CSR): each block
/// keeps `width` slots per row, column-major inside the block, holding the row's nonzero
/// entries in increasing column order and then padding (value `0.0`, column 0).
///
/// Rows are grouped into blocks by their number of nonzeros (SELL-C-σ with σ = all rows), so
/// the rows of a block have nearly equal lengths and little padding: with a random 10 %
/// pattern at N = 500 the per-block maximum would otherwise waste about a fifth of the slots.
/// `order[b·LANES + r]` is the original index of lane `r` of block `b`; only the order in
/// which rows are visited changes, not the arithmetic of any row.
#[derive(Debug, Clone)]
pub(crate) struct BlockedSparse {
    nrows: usize,
    ncols: usize,
    nnz: usize,
    order: Vec<usize>,
    /// Start of each block in `vals`/`cols` (in slots), plus the end.
    offsets: Vec<usize>,
    vals: Vec<f64>,
    cols: Vec<u32>,
}

impl BlockedSparse {
    /// The layout of `m`, whose rows have `lengths` nonzero entries ([`row_lengths`]).
    fn new(m: ArrayView2<'_, f64>, lengths: Vec<usize>) -> Self {
        let (nrows, ncols) = m.dim();
        assert!(u32::try_from(ncols).is_ok(), "column index fits in u32");
        // Two passes over the dense rows (count, by the caller, then fill) instead of
        // collecting each row's entries into its own vector: at 4,000 units that halves the
        // time to build the layout. Both passes run in parallel, the fill over blocks, each
        // filling its own slots.
        let blocks = nrows.div_ceil(LANES);
        // Longest rows first; a stable sort keeps equal lengths in index order.
        let mut order: Vec<usize> = (0..nrows).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
        let mut offsets = Vec::with_capacity(blocks + 1);
        offsets.push(0);
        for b in 0..blocks {
            let lo = b * LANES;
            let hi = (lo + LANES).min(nrows);
            let width = order[lo..hi].iter().map(|&i| lengths[i]).max().unwrap_or(0);
            offsets.push(offsets[b] + width * LANES);
        }
        let slots = offsets[blocks];
        let mut vals = vec![0.0; slots];
        let mut cols = vec![0u32; slots];
        // Each block's slots, cut off the front of the two arrays in turn.
        let mut pieces = Vec::with_capacity(blocks);
        let (mut rest_vals, mut rest_cols) = (vals.as_mut_slice(), cols.as_mut_slice());
        for bounds in offsets.windows(2) {
            let width = bounds[1] - bounds[0];
            let (v, rv) = rest_vals.split_at_mut(width);
            let (c, rc) = rest_cols.split_at_mut(width);
            pieces.push((v, c));
            (rest_vals, rest_cols) = (rv, rc);
        }
        {
            use rayon::prelude::*;
            pieces
                .into_par_iter()
                .enumerate()
                .for_each(|(b, (vals, cols))| {
                    let lo = b * LANES;
                    let hi = (lo + LANES).min(nrows);
                    for (r, &i) in order[lo..hi].iter().enumerate() {
                        let entries = m.row(i);
                        let nonzero = entries.iter().enumerate().filter(|&(_, &v)| v != 0.0);
                        for (k, (j, &v)) in nonzero.enumerate() {
                            vals[k * LANES + r] = v;
                            cols[k * LANES + r] = j as u32;
                        }
                    }
                });
        }
        BlockedSparse {
            nrows,
            ncols,
            nnz: lengths.iter().sum(),
            order,
            offsets,
            vals,
            cols,
        }
    }

    fn matvec(&self, x: &[f64], y: &mut [f64]) {
        dispatch(self, x, y)
    }
}

impl Portable for BlockedSparse {
    #[inline(always)]
    fn matvec_portable(&self, x: &[f64], y: &mut [f64]) {
        if self.ncols == 0 {
            y[..self.nrows].fill(0.0);
            return;
        }
        let x = &x[..self.ncols];
        // Every stored column is below `ncols` (padding uses column 0); clamping to `last`
        // changes nothing but lets the compiler drop the bounds check, so the loads can be
        // vectorised.
        let last = self.ncols - 1;
        for (b, bounds) in self.offsets.windows(2).enumerate() {
            let vals = &self.vals[bounds[0]..bounds[1]];
            let cols = &self.cols[bounds[0]..bounds[1]];
            let mut acc = [0.0f64; LANES];
            for (v, c) in vals.chunks_exact(LANES).zip(cols.chunks_exact(LANES)) {
                for r in 0..LANES {
                    acc[r] += v[r] * x[(c[r] as usize).min(last)];
                }
            }
            let lo = b * LANES;
            let hi = (lo + LANES).min(self.nrows);
            for (&i, &a) in self.order[lo..hi].iter().zip(&acc) {
                y[i] = a;
            }
        }
    }
}

impl BlockedSparse {
    /// Rows of blocks `blocks` into `out` in stored order (lane `r` of the `k`-th block of the
    /// range at `k·LANES + r`, original row `order[(blocks.start + k)·LANES + r]`).
    #[inline(always)]
    fn blocks_kernel(&self, x: &[f64], blocks: Range<usize>, out: &mut [f64]) {
        if self.ncols == 0 {
            out.fill(0.0);
            return;
        }
        let x = &x[..self.ncols];
        let last = self.ncols - 1;
        let bounds = &self.offsets[blocks.start..=blocks.end];
        for (k, bounds) in bounds.windows(2).enumerate() {
            let vals = &self.vals[bounds[0]..bounds[1]];
            let cols = &self.cols[bounds[0]..bounds[1]];
            let mut acc = [0.0f64; LANES];
            for (v, c) in vals.chunks_exact(LANES).zip(cols.chunks_exact(LANES)) {
                for r in 0..LANES {
                    acc[r] += v[r] * x[(c[r] as usize).min(last)];
                }
            }
            out[k * LANES..(k + 1) * LANES].copy_from_slice(&acc);
        }
    }

    fn to_dense(&self) -> Array2<f64> {
        let mut m = Array2::zeros((self.nrows, self.ncols));
        for (b, bounds) in self.offsets.windows(2).enumerate() {
            for slot in bounds[0]..bounds[1] {
                let lane = b * LANES + (slot - bounds[0]) % LANES;
                if lane < self.nrows && self.vals[slot] != 0.0 {
                    m[[self.order[lane], self.cols[slot] as usize]] = self.vals[slot];
                }
            }
        }
        m
    }
}

/// A kernel written in plain Rust, to be compiled once per instruction set by [`dispatch`].
trait Portable {
    /// `y = M·x`; implementations are `#[inline(always)]` so each copy gets the features.
    fn matvec_portable(&self, x: &[f64], y: &mut [f64]);
}

/// A kernel over a range of row blocks, for the split product.
trait BlockKernel {
    /// The rows of `blocks`; implementations are `#[inline(always)]` like
    /// [`Portable::matvec_portable`].
    fn blocks_portable(&self, x: &[f64], blocks: Range<usize>, out: &mut [f64]);
}

impl BlockKernel for BlockedDense {
    #[inline(always)]
    fn blocks_portable(&self, x: &[f64], blocks: Range<usize>, out: &mut [f64]) {
        self.blocks_kernel(x, blocks, out)
    }
}

impl BlockKernel for BlockedSparse {
    #[inline(always)]
    fn blocks_portable(&self, x: &[f64], blocks: Range<usize>, out: &mut [f64]) {
        self.blocks_kernel(x, blocks, out)
    }
}

/// Runs `m`'s block kernel in the copy compiled for the best instruction set.
fn dispatch_blocks<M: BlockKernel>(m: &M, x: &[f64], blocks: Range<usize>, out: &mut [f64]) {
    struct Op<'a, M>(&'a M, &'a [f64], Range<usize>, &'a mut [f64]);
    impl<M: BlockKernel> pulp::WithSimd for Op<'_, M> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) {
            self.0.blocks_portable(self.1, self.2, self.3)
        }
    }
    arch().dispatch(Op(m, x, blocks, out))
}

/// Runs `m`'s kernel in the copy compiled for the instruction set [`arch`] picks.
fn dispatch<M: Portable>(m: &M, x: &[f64], y: &mut [f64]) {
    dispatch_in(arch(), m, x, y)
}

/// Runs `m`'s kernel in the copy compiled for `arch`.
fn dispatch_in<M: Portable>(arch: pulp::Arch, m: &M, x: &[f64], y: &mut [f64]) {
    struct Op<'a, M>(&'a M, &'a [f64], &'a mut [f64]);
    impl<M: Portable> pulp::WithSimd for Op<'_, M> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) {
            self.0.matvec_portable(self.1, self.2)
        }
    }
    arch.dispatch(Op(m, x, y))
}

/// The instruction set the kernels run in: the best the processor has, except that AMD
/// processors get AVX2 even when they have AVX-512.
///
/// The sparse kernel's column loads are gathers. On an Intel Xeon (family 6, model 207) the
/// 8-lane AVX-512 gather made the product about a quarter faster per nonzero than two 4-lane
/// AVX2 gathers; on an AMD EPYC (Zen 4, family 25, model 17), which executes 512-bit operations
/// in two halves, it made it slower: the step of a 1,000-unit ESN took 46.7 µs with AVX-512
/// against 36.0 µs with AVX2 on one thread, and the split product of 4,000 units 425 µs against
/// 345 µs. Both compute the same bits (the arithmetic and its order do not depend on the lane
/// width), so the choice only moves the time.
fn arch() -> pulp::Arch {
    #[cfg(target_arch = "x86_64")]
    {
        static AMD: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        // CPUID leaf 0 spells the vendor in EBX, EDX, ECX; "AuthenticAMD" ends in "cAMD".
        // Read once: under a hypervisor every CPUID traps to the host.
        let amd =
            *AMD.get_or_init(|| std::arch::x86_64::__cpuid(0).ecx == u32::from_le_bytes(*b"cAMD"));
        if amd {
            if let Some(simd) = pulp::x86::V3::try_new() {
                return pulp::Arch::V3(simd);
            }
        }
    }
    pulp::Arch::new()
}

#[inline]
fn store(acc: &[f64; LANES], block: usize, y: &mut [f64], nrows: usize) {
    let lo = block * LANES;
    let hi = (lo + LANES).min(nrows);
    y[lo..hi].copy_from_slice(&acc[..hi - lo]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The order the module documents: one running sum per row, columns ascending.
    fn naive(m: &Array2<f64>, x: &[f64]) -> Vec<f64> {
        m.rows()
            .into_iter()
            .map(|row| {
                let mut acc = 0.0;
                for (w, xi) in row.iter().zip(x) {
                    if *w != 0.0 {
                        acc += w * xi;
                    }
                }
                acc
            })
            .collect()
    }

    fn random_sparse(n: usize, m: usize, density: f64, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_fn((n, m), |_| {
            if rng.random_bool(density) {
                rng.random_range(-1.0..1.0)
            } else {
                0.0
            }
        })
    }

    #[test]
    fn both_layouts_equal_the_naive_sum_bit_for_bit() {
        // Sizes that leave a partial last block, and a block with an empty row.
        for &(n, m, density) in &[(1, 1, 1.0), (13, 5, 0.4), (37, 37, 0.1), (64, 3, 0.9)] {
            let w = random_sparse(n, m, density, n as u64);
            let mut rng = ChaCha8Rng::seed_from_u64(99);
            let x: Vec<f64> = (0..m).map(|_| rng.random_range(-1.0..1.0)).collect();
            let expect = naive(&w, &x);
            for storage in [Storage::Dense, Storage::Sparse] {
                let ws = Weights::new(w.view(), storage);
                let mut y = vec![f64::NAN; n];
                ws.matvec(&x, &mut y);
                for (a, b) in y.iter().zip(&expect) {
                    assert_eq!(a.to_bits(), b.to_bits(), "{storage:?} {n}x{m}");
                }
                assert_eq!(ws.to_dense(), w, "{storage:?} round trip");
                assert_eq!(ws.nnz(), w.iter().filter(|&&v| v != 0.0).count());
            }
        }
    }

    #[test]
    fn every_instruction_set_computes_the_same_bits() {
        // The kernels may run in any of these, depending on the processor (`arch`); each one
        // this processor has must give the naive sum's bits.
        let mut arches = vec![pulp::Arch::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            arches.extend(pulp::x86::V3::try_new().map(pulp::Arch::V3));
            arches.extend(pulp::x86::V4::try_new().map(pulp::Arch::V4));
        }
        let (n, m) = (203, 190);
        let w = random_sparse(n, m, 0.1, 5);
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let x: Vec<f64> = (0..m).map(|_| rng.random_range(-1.0..1.0)).collect();
        let expect = naive(&w, &x);
        for storage in [Storage::Dense, Storage::Sparse] {
            for &arch in &arches {
                let mut y = vec![f64::NAN; n];
                match Weights::new(w.view(), storage) {
                    Weights::Dense(d) => dispatch_in(arch, &d, &x, &mut y),
                    Weights::Sparse(s) => dispatch_in(arch, &s, &x, &mut y),
                }
                for (a, b) in y.iter().zip(&expect) {
                    assert_eq!(a.to_bits(), b.to_bits(), "{storage:?} in {arch:?}");
                }
            }
        }
    }

    #[test]
    fn the_split_product_equals_the_single_one_bit_for_bit() {
        for &(n, density) in &[(1, 1.0), (37, 0.1), (203, 0.1), (200, 0.9)] {
            let w = random_sparse(n, n, density, 5 + n as u64);
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let x: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            for storage in [Storage::Dense, Storage::Sparse] {
                let ws = Weights::new(w.view(), storage);
                let mut one = vec![f64::NAN; n];
                ws.matvec(&x, &mut one);
                let mut scratch = vec![f64::NAN; ws.split_scratch_len()];
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(2)
                    .build()
                    .unwrap();
                let mut two = vec![f64::NAN; n];
                pool.install(|| ws.matvec_split(&x, &mut two, &mut scratch));
                let bits = |v: &[f64]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&one), bits(&two), "{storage:?} {n}");
            }
        }
    }

    #[test]
    fn auto_picks_sparse_below_thirty_percent() {
        let sparse = random_sparse(50, 50, 0.1, 1);
        let dense = random_sparse(50, 50, 0.9, 2);
        assert!(Weights::new(sparse.view(), Storage::Auto).is_sparse());
        assert!(!Weights::new(dense.view(), Storage::Auto).is_sparse());
    }
}

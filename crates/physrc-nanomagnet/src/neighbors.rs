//! Neighbour lists in CSR form with the precomputed local-frame dipolar couplings.

use std::collections::HashMap;

use ndarray::{ArrayView1, ArrayView2};

/// For every magnet `i`, the neighbours `j` within the cutoff in ascending index order (the
/// order flatspin's k-d tree returns them in, which fixes the summation order of the dipolar
/// field) and `K[i][jj]`: the field at `i` from `j` in `i`'s (parallel, perpendicular) frame,
/// assuming both spins are +1, without the factor `alpha`.
///
/// Lattices repeat: most magnets share the same list of index offsets `j − i` and the same
/// couplings bit for bit. Each distinct (offsets, couplings) row is stored once as a
/// *pattern* and every magnet keeps only its pattern number, so the tables the relax engine
/// reads after every flip stay in cache (square ice of any size has a few dozen patterns; an
/// irregular array has up to one per magnet, about the memory of a plain adjacency list).
#[derive(Debug, Clone)]
pub(crate) struct Neighbors {
    /// Pattern of each magnet.
    pat: Vec<u32>,
    /// Start of each pattern's row in `offset` and `k` (one more entry than patterns).
    pstart: Vec<usize>,
    /// `j − i` for each neighbour, ascending.
    offset: Vec<i32>,
    /// Coupling of each neighbour.
    k: Vec<[f64; 2]>,
}

impl Neighbors {
    /// Neighbour lists and couplings. `pos` must have fewer than `i32::MAX` rows.
    pub fn build(pos: ArrayView2<'_, f64>, angle: ArrayView1<'_, f64>, cutoff: f64) -> Self {
        let n = angle.len();
        let cos: Vec<f64> = angle.iter().map(|t| t.cos()).collect();
        let sin: Vec<f64> = angle.iter().map(|t| t.sin()).collect();
        let lists = neighbor_lists(pos, cutoff);
        let mut pat = Vec::with_capacity(n);
        let mut pstart = vec![0];
        let mut offset = Vec::new();
        let mut k = Vec::new();
        let mut seen: HashMap<Vec<(i32, u64, u64)>, u32> = HashMap::new();
        let mut row = Vec::new();
        for (i, list) in lists.into_iter().enumerate() {
            row.clear();
            for j in list {
                let c = dipolar_coupling(pos, &cos, &sin, i, j);
                row.push(((j as i64 - i as i64) as i32, c[0].to_bits(), c[1].to_bits()));
            }
            if let Some(&p) = seen.get(&row) {
                pat.push(p);
                continue;
            }
            let p = (pstart.len() - 1) as u32;
            for &(o, k0, k1) in &row {
                offset.push(o);
                k.push([f64::from_bits(k0), f64::from_bits(k1)]);
            }
            pstart.push(offset.len());
            seen.insert(row.clone(), p);
            pat.push(p);
        }
        Neighbors {
            pat,
            pstart,
            offset,
            k,
        }
    }

    /// The row of magnet `i`: neighbour offsets `j − i` and couplings, in summation order.
    #[inline]
    pub fn row(&self, i: usize) -> (&[i32], &[[f64; 2]]) {
        let p = self.pat[i] as usize;
        let (a, b) = (self.pstart[p], self.pstart[p + 1]);
        (&self.offset[a..b], &self.k[a..b])
    }

    /// The neighbours of `i`, ascending.
    pub fn of(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.row(i).0.iter().map(move |&o| offset_index(i, o))
    }

    pub fn max_count(&self) -> usize {
        self.pstart
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or(0)
    }

    /// Number of distinct (offsets, couplings) rows.
    #[cfg(test)]
    pub fn patterns(&self) -> usize {
        self.pstart.len() - 1
    }
}

/// `i + o` for a neighbour offset `o` from [`Neighbors::row`].
#[inline]
pub(crate) fn offset_index(i: usize, o: i32) -> usize {
    (i as isize + o as isize) as usize
}

/// Field at `i` from a unit point dipole at `j` (both spins +1), in `i`'s local frame.
///
/// The operations follow the point-dipole formula `3 r (m_j·r)/|r|⁵ − m_j/|r|³` in the same
/// order as flatspin evaluates it, so the couplings agree to the last bit on half-integer grids.
fn dipolar_coupling(
    pos: ArrayView2<'_, f64>,
    cos: &[f64],
    sin: &[f64],
    i: usize,
    j: usize,
) -> [f64; 2] {
    let r0 = pos[[j, 0]] - pos[[i, 0]];
    let r1 = pos[[j, 1]] - pos[[i, 1]];
    let dist = (r0 * r0 + r1 * r1).sqrt();
    let (mj0, mj1) = (cos[j], sin[j]);
    let d3 = dist.powf(3.0);
    let d5 = dist.powf(5.0);
    let dot = mj0 * r0 + mj1 * r1;
    let h0 = -mj0 / d3 + 3.0 * r0 * dot / d5;
    let h1 = -mj1 / d3 + 3.0 * r1 * dot / d5;
    let (mi0, mi1) = (cos[i], sin[i]);
    [h0 * mi0 + h1 * mi1, h0 * -mi1 + h1 * mi0]
}

/// All pairs closer than `cutoff` (inclusive, compared on squared distances), each list sorted.
///
/// A uniform cell grid with cells no smaller than the cutoff makes this O(N·k); the cell size
/// grows when the cutoff is tiny compared to the array so the grid never has more than about
/// 4·N cells. An infinite cutoff gives every magnet every other magnet.
fn neighbor_lists(pos: ArrayView2<'_, f64>, cutoff: f64) -> Vec<Vec<usize>> {
    let n = pos.nrows();
    let r2 = cutoff * cutoff;
    let Some(grid) = CellGrid::new(pos, cutoff) else {
        return (0..n)
            .map(|i| {
                (0..n)
                    .filter(|&j| j != i && dist2(pos, i, j) <= r2)
                    .collect()
            })
            .collect();
    };
    (0..n)
        .map(|i| {
            let mut list = Vec::new();
            grid.for_each_near(i, |j| {
                if j != i && dist2(pos, i, j) <= r2 {
                    list.push(j);
                }
            });
            list.sort_unstable();
            list
        })
        .collect()
}

/// The number of (ordered) neighbour pairs [`Neighbors::build`] finds for `cutoff`, counted on
/// the grid [`neighbor_lists`] uses but without storing a list: O(N) memory. Counting stops as
/// soon as it exceeds `cap` (the caller only needs to know the count is too large), so an
/// absurd cutoff is refused in the time it takes to pass the cap.
pub(crate) fn count_pairs(pos: ArrayView2<'_, f64>, cutoff: f64, cap: u64) -> u64 {
    let n = pos.nrows();
    let r2 = cutoff * cutoff;
    let Some(grid) = CellGrid::new(pos, cutoff) else {
        // Every magnet is within the cutoff of every other.
        return (n as u64).saturating_mul((n as u64).saturating_sub(1));
    };
    let mut pairs = 0u64;
    for i in 0..n {
        grid.for_each_near(i, |j| {
            if j != i && dist2(pos, i, j) <= r2 {
                pairs += 1;
            }
        });
        if pairs > cap {
            return pairs;
        }
    }
    pairs
}

/// Magnets sorted into square cells no smaller than the cutoff (counting sort, CSR over
/// cells), so a magnet's neighbours lie in its own cell and the eight around it.
struct CellGrid<'a> {
    pos: ArrayView2<'a, f64>,
    origin: (f64, f64),
    cell: f64,
    cols: usize,
    rows: usize,
    /// Magnets of cell `c` are `members[start[c]..start[c + 1]]`.
    start: Vec<usize>,
    members: Vec<usize>,
}

impl<'a> CellGrid<'a> {
    /// The grid for `cutoff`, or `None` when the cutoff spans the whole array (or is
    /// infinite, or there are no magnets): then every magnet is a candidate for every other.
    fn new(pos: ArrayView2<'a, f64>, cutoff: f64) -> Option<CellGrid<'a>> {
        let n = pos.nrows();
        if n == 0 {
            return None;
        }
        let (mut xmin, mut xmax, mut ymin, mut ymax) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for i in 0..n {
            xmin = xmin.min(pos[[i, 0]]);
            xmax = xmax.max(pos[[i, 0]]);
            ymin = ymin.min(pos[[i, 1]]);
            ymax = ymax.max(pos[[i, 1]]);
        }
        let (wx, wy) = (xmax - xmin, ymax - ymin);
        if !cutoff.is_finite() || cutoff * cutoff >= wx * wx + wy * wy {
            return None;
        }
        let mut cell = cutoff;
        let limit = 4 * n + 16;
        let (mut cols, mut rows);
        loop {
            cols = ((wx / cell).floor() as usize).saturating_add(1);
            rows = ((wy / cell).floor() as usize).saturating_add(1);
            if cols.saturating_mul(rows) <= limit {
                break;
            }
            cell *= 2.0;
        }
        let mut grid = CellGrid {
            pos,
            origin: (xmin, ymin),
            cell,
            cols,
            rows,
            start: vec![0usize; cols * rows + 1],
            members: vec![0usize; n],
        };
        for i in 0..n {
            let (x, y) = grid.cell_of(i);
            grid.start[y * cols + x + 1] += 1;
        }
        for c in 1..grid.start.len() {
            grid.start[c] += grid.start[c - 1];
        }
        let mut fill = grid.start.clone();
        for i in 0..n {
            let (x, y) = grid.cell_of(i);
            let c = y * cols + x;
            grid.members[fill[c]] = i;
            fill[c] += 1;
        }
        Some(grid)
    }

    fn cell_of(&self, i: usize) -> (usize, usize) {
        let x =
            (((self.pos[[i, 0]] - self.origin.0) / self.cell).floor() as usize).min(self.cols - 1);
        let y =
            (((self.pos[[i, 1]] - self.origin.1) / self.cell).floor() as usize).min(self.rows - 1);
        (x, y)
    }

    /// Calls `f` with every magnet in `i`'s cell and the cells around it (`i` included), in
    /// cell order, then in the order of the magnets' indices within a cell.
    fn for_each_near(&self, i: usize, mut f: impl FnMut(usize)) {
        let (x, y) = self.cell_of(i);
        for yy in y.saturating_sub(1)..=(y + 1).min(self.rows - 1) {
            for xx in x.saturating_sub(1)..=(x + 1).min(self.cols - 1) {
                let c = yy * self.cols + xx;
                for &j in &self.members[self.start[c]..self.start[c + 1]] {
                    f(j);
                }
            }
        }
    }
}

fn dist2(pos: ArrayView2<'_, f64>, i: usize, j: usize) -> f64 {
    let dx = pos[[j, 0]] - pos[[i, 0]];
    let dy = pos[[j, 1]] - pos[[i, 1]];
    dx * dx + dy * dy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Layout;

    /// The count is the number of pairs the lists hold, and stops early past the cap.
    #[test]
    fn count_pairs_matches_the_lists() {
        for (n, cutoff) in [(4usize, 1.0 + 1e-5), (30, 1.0 + 1e-5), (30, 3.5), (5, 1e9)] {
            let layout = Layout::square_closed(n, n, 1.0).unwrap();
            let pos = layout.positions();
            let found: usize = neighbor_lists(pos, cutoff).iter().map(Vec::len).sum();
            assert_eq!(
                count_pairs(pos, cutoff, u64::MAX),
                found as u64,
                "{n}, {cutoff}"
            );
        }
        let layout = Layout::square_closed(30, 30, 1.0).unwrap();
        let early = count_pairs(layout.positions(), 3.5, 100);
        assert!((101..1000).contains(&early), "{early}");
    }

    /// Square ice compresses to a handful of patterns whatever its size, and the compressed
    /// rows reproduce the plain adjacency: every pair within the cutoff, each coupling equal to
    /// a fresh evaluation.
    #[test]
    fn square_ice_rows_are_shared_and_exact() {
        for n in [4usize, 20, 60] {
            let layout = Layout::square_closed(n, n, 1.0).unwrap();
            let (pos, angle) = (layout.positions(), layout.angles());
            let nb = Neighbors::build(pos, angle, 1.0 + 1e-5);
            assert!(nb.patterns() <= 40, "{n}x{n}: {} patterns", nb.patterns());
            let lists = neighbor_lists(pos, 1.0 + 1e-5);
            let cos: Vec<f64> = angle.iter().map(|t| t.cos()).collect();
            let sin: Vec<f64> = angle.iter().map(|t| t.sin()).collect();
            for (i, list) in lists.iter().enumerate() {
                assert_eq!(&nb.of(i).collect::<Vec<_>>(), list);
                for (&j, k) in list.iter().zip(nb.row(i).1) {
                    assert_eq!(*k, dipolar_coupling(pos, &cos, &sin, i, j));
                }
            }
        }
    }
}

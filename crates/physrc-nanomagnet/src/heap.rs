//! An indexed binary max-heap of magnet indices keyed on (switching energy, −index).

const NONE: u32 = u32::MAX;

/// One heap slot: the key is stored inline so that sifting compares neighbouring slots
/// without loading anything else.
#[derive(Debug, Clone, Copy)]
struct Entry {
    e: f64,
    i: u32,
}

/// True if `a` must come before `b`: larger energy first, ties to the lower index (flatspin's
/// `argmax` returns the first maximum).
#[inline]
fn before(a: Entry, b: Entry) -> bool {
    a.e > b.e || (a.e == b.e && a.i < b.i)
}

/// Holds the currently flippable magnets with their switching energies; `pos` maps a magnet
/// to its slot so a changed key can be sifted in O(log N).
#[derive(Debug, Clone)]
pub(crate) struct IndexedHeap {
    heap: Vec<Entry>,
    pos: Vec<u32>,
}

impl IndexedHeap {
    pub fn new(n: usize) -> Self {
        IndexedHeap {
            heap: Vec::with_capacity(n),
            pos: vec![NONE; n],
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn top(&self) -> Option<usize> {
        self.heap.first().map(|x| x.i as usize)
    }

    /// The member in slot `k` (heap order: arbitrary but deterministic).
    pub fn member(&self, k: usize) -> usize {
        self.heap[k].i as usize
    }

    /// The members in heap order.
    pub fn members(&self) -> impl Iterator<Item = u32> + '_ {
        self.heap.iter().map(|x| x.i)
    }

    pub fn clear(&mut self) {
        for x in &self.heap {
            self.pos[x.i as usize] = NONE;
        }
        self.heap.clear();
    }

    /// Replaces the contents with `items` (magnet, energy; no duplicates) in O(len).
    pub fn rebuild(&mut self, items: impl Iterator<Item = (usize, f64)>) {
        self.clear();
        for (i, e) in items {
            self.pos[i] = self.heap.len() as u32;
            self.heap.push(Entry { e, i: i as u32 });
        }
        let n = self.heap.len();
        for s in (0..n / 2).rev() {
            self.sift_down(s);
        }
    }

    /// Inserts `i` with energy `e` or, if present, changes its energy.
    pub fn upsert(&mut self, i: usize, e: f64) {
        let p = self.pos[i];
        if p == NONE {
            let s = self.heap.len();
            self.heap.push(Entry { e, i: i as u32 });
            self.pos[i] = s as u32;
            self.sift_up(s);
        } else {
            let s = p as usize;
            let old = self.heap[s].e;
            self.heap[s].e = e;
            if e > old {
                self.sift_up(s);
            } else if e < old {
                self.sift_down(s);
            }
        }
    }

    pub fn remove(&mut self, i: usize) {
        let p = self.pos[i];
        if p == NONE {
            return;
        }
        let s = p as usize;
        let last = self.heap.len() - 1;
        self.swap(s, last);
        self.heap.pop();
        self.pos[i] = NONE;
        if s < self.heap.len() {
            let s = self.sift_up(s);
            self.sift_down(s);
        }
    }

    /// Collects every member whose key equals the top's energy (a connected subtree at the
    /// root, since no descendant can beat its ancestor), ascending.
    pub fn ties_with_top(&self, out: &mut Vec<u32>) {
        out.clear();
        let Some(root) = self.heap.first() else {
            return;
        };
        let top = root.e;
        let mut stack = vec![0usize];
        while let Some(s) = stack.pop() {
            let x = self.heap[s];
            if x.e == top {
                out.push(x.i);
                for c in [2 * s + 1, 2 * s + 2] {
                    if c < self.heap.len() {
                        stack.push(c);
                    }
                }
            }
        }
        out.sort_unstable();
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.pos[self.heap[a].i as usize] = a as u32;
        self.pos[self.heap[b].i as usize] = b as u32;
    }

    /// Moves the entry in slot `s` up to its place (hole technique: one write per level).
    fn sift_up(&mut self, mut s: usize) -> usize {
        let x = self.heap[s];
        while s > 0 {
            let parent = (s - 1) / 2;
            let p = self.heap[parent];
            if before(x, p) {
                self.heap[s] = p;
                self.pos[p.i as usize] = s as u32;
                s = parent;
            } else {
                break;
            }
        }
        self.heap[s] = x;
        self.pos[x.i as usize] = s as u32;
        s
    }

    /// Moves the entry in slot `s` down to its place (hole technique).
    fn sift_down(&mut self, mut s: usize) -> usize {
        let n = self.heap.len();
        let x = self.heap[s];
        loop {
            let l = 2 * s + 1;
            if l >= n {
                break;
            }
            let r = l + 1;
            let mut best = l;
            if r < n && before(self.heap[r], self.heap[l]) {
                best = r;
            }
            let c = self.heap[best];
            if before(c, x) {
                self.heap[s] = c;
                self.pos[c.i as usize] = s as u32;
                s = best;
            } else {
                break;
            }
        }
        self.heap[s] = x;
        self.pos[x.i as usize] = s as u32;
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Random inserts, key changes and removals keep the top equal to a brute-force argmax
    /// with ties to the lowest index.
    #[test]
    fn heap_top_matches_brute_force() {
        let n = 200;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut e = vec![0.0; n];
        let mut member = vec![false; n];
        let mut h = IndexedHeap::new(n);
        for _ in 0..5000 {
            let i = rng.random_range(0..n);
            match rng.random_range(0..3) {
                0 | 1 => {
                    // Few distinct keys so ties are common.
                    e[i] = rng.random_range(0..8) as f64;
                    member[i] = true;
                    h.upsert(i, e[i]);
                }
                _ => {
                    member[i] = false;
                    h.remove(i);
                }
            }
            let want =
                (0..n)
                    .filter(|&k| member[k])
                    .fold(None, |best: Option<usize>, k| match best {
                        Some(b) if e[b] >= e[k] => Some(b),
                        _ => Some(k),
                    });
            assert_eq!(h.top(), want);
            assert_eq!(h.len(), member.iter().filter(|&&m| m).count());
            if rng.random_range(0..50) == 0 {
                let items: Vec<(usize, f64)> =
                    (0..n).filter(|&k| member[k]).map(|k| (k, e[k])).collect();
                h.rebuild(items.into_iter());
                assert_eq!(h.top(), want);
            }
        }
    }
}

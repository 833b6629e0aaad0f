//! An indexed binary max-heap of magnet indices keyed on (switching energy, −index).

const NONE: u32 = u32::MAX;

/// Holds the currently flippable magnets. The key of magnet `i` lives outside the heap (in the
/// engine's energy array), so the caller passes it to every operation; `pos` maps a magnet to
/// its slot so a changed key can be sifted in O(log N).
#[derive(Debug, Clone)]
pub(crate) struct IndexedHeap {
    heap: Vec<u32>,
    pos: Vec<u32>,
}

/// True if `a` must come before `b`: larger energy first, ties to the lower index (flatspin's
/// `argmax` returns the first maximum).
#[inline]
fn before(e: &[f64], a: u32, b: u32) -> bool {
    let (ea, eb) = (e[a as usize], e[b as usize]);
    ea > eb || (ea == eb && a < b)
}

impl IndexedHeap {
    pub fn new(n: usize) -> Self {
        IndexedHeap {
            heap: Vec::with_capacity(n),
            pos: vec![NONE; n],
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn top(&self) -> Option<usize> {
        self.heap.first().map(|&i| i as usize)
    }

    /// The members in heap order (an arbitrary but deterministic order).
    pub fn members(&self) -> &[u32] {
        &self.heap
    }

    pub fn clear(&mut self) {
        for &i in &self.heap {
            self.pos[i as usize] = NONE;
        }
        self.heap.clear();
    }

    /// Replaces the contents with `items` (no duplicates) in O(len).
    pub fn rebuild(&mut self, items: impl Iterator<Item = usize>, e: &[f64]) {
        self.clear();
        for i in items {
            self.pos[i] = self.heap.len() as u32;
            self.heap.push(i as u32);
        }
        let n = self.heap.len();
        for s in (0..n / 2).rev() {
            self.sift_down(s, e);
        }
    }

    /// Inserts `i` or, if present, restores heap order after its key changed.
    pub fn upsert(&mut self, i: usize, e: &[f64]) {
        let p = self.pos[i];
        if p == NONE {
            let s = self.heap.len();
            self.heap.push(i as u32);
            self.pos[i] = s as u32;
            self.sift_up(s, e);
        } else {
            let s = p as usize;
            let s = self.sift_up(s, e);
            self.sift_down(s, e);
        }
    }

    pub fn remove(&mut self, i: usize, e: &[f64]) {
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
            let s = self.sift_up(s, e);
            self.sift_down(s, e);
        }
    }

    /// Collects every member whose key equals the top's energy (a connected subtree at the
    /// root, since no descendant can beat its ancestor).
    pub fn ties_with_top(&self, e: &[f64], out: &mut Vec<u32>) {
        out.clear();
        let Some(&root) = self.heap.first() else {
            return;
        };
        let top = e[root as usize];
        let mut stack = vec![0usize];
        while let Some(s) = stack.pop() {
            let i = self.heap[s];
            if e[i as usize] == top {
                out.push(i);
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
        self.pos[self.heap[a] as usize] = a as u32;
        self.pos[self.heap[b] as usize] = b as u32;
    }

    fn sift_up(&mut self, mut s: usize, e: &[f64]) -> usize {
        while s > 0 {
            let parent = (s - 1) / 2;
            if before(e, self.heap[s], self.heap[parent]) {
                self.swap(s, parent);
                s = parent;
            } else {
                break;
            }
        }
        s
    }

    fn sift_down(&mut self, mut s: usize, e: &[f64]) -> usize {
        let n = self.heap.len();
        loop {
            let l = 2 * s + 1;
            if l >= n {
                return s;
            }
            let r = l + 1;
            let mut best = l;
            if r < n && before(e, self.heap[r], self.heap[l]) {
                best = r;
            }
            if before(e, self.heap[best], self.heap[s]) {
                self.swap(s, best);
                s = best;
            } else {
                return s;
            }
        }
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
                    h.upsert(i, &e);
                }
                _ => {
                    member[i] = false;
                    h.remove(i, &e);
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
        }
    }
}

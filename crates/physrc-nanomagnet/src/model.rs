//! The macrospin model and its two relax engines.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Open01};

use crate::astroid::{AstroidShape, AstroidTable, InsideBound, PAR_EPS};
use crate::error::NanomagnetError;
use crate::geometry::{Layout, check_finite};
use crate::heap::IndexedHeap;
use crate::neighbors::{Neighbors, offset_index};
use crate::params::{CheckedParams, Engine, FlipMode, KB, ModelParams};

/// What one [`SpinIce::relax`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Relax {
    /// Number of steps that flipped something (flatspin's `relax()` return value).
    pub steps: usize,
    /// Number of magnets flipped; equals `steps` except in flip mode `all`.
    pub flips: usize,
}

/// Parameters of the spin-vortex ice extension ([`SpinIce::enable_vortices`]).
///
/// A phenomenological model of the width-modified artificial spin-vortex ice of Gartside et
/// al., Nat. Nanotechnol. 17, 460 (2022): wide bars switch at lower fields and, when a field
/// only just reverses them, end in a flux-closure vortex instead of the reversed macrospin
/// (the paper's "vortex injection"); a vortex has negligible stray field and returns to a
/// macrospin when the field along the bar exceeds an annihilation field. The numbers are
/// model choices, documented in `docs/physics/nanomagnet.md`, not fits to that device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VortexParams {
    /// A wide bar whose switching energy (the astroid's implicit function, positive outside)
    /// is below this when it switches becomes a vortex (default 0.1).
    pub window: f64,
    /// Annihilation field as a multiple of the bar's easy-axis switching field
    /// `sw_b·h_k` (default 1.3).
    pub annihilation: f64,
}

impl Default for VortexParams {
    fn default() -> Self {
        VortexParams {
            window: 0.1,
            annihilation: 1.3,
        }
    }
}

impl VortexParams {
    /// Checks the values.
    ///
    /// # Errors
    ///
    /// A non-positive or non-finite value.
    pub fn check(&self) -> Result<(), NanomagnetError> {
        for (name, v) in [
            ("vortex_window", self.window),
            ("vortex_annihilation", self.annihilation),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(NanomagnetError::param(
                    name,
                    "must be positive and finite",
                    v,
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct Vortices {
    wide: Vec<bool>,
    window: f64,
    annihilation: f64,
}

/// An artificial spin ice: geometry, per-magnet thresholds, spins, external and thermal field.
///
/// # Model
///
/// Each magnet `i` has a spin `s_i = ±1` along its angle `θ_i`. Its local field is expressed in
/// its own frame as (parallel, perpendicular) components: the dipolar field of its neighbours
/// within `neighbor_distance`, `α·Σ_j K_ij·s_i·s_j`, plus the external and thermal fields. A
/// magnet is flippable when its field lies outside its switching astroid with a component
/// against its magnetisation; [`relax`](SpinIce::relax) flips magnets one at a time (by flip
/// mode) until none is flippable. This is flatspin's model (Jensen et al., Phys. Rev. B 106,
/// 064408 (2022)) and, for flip modes `max`, `max-rand` and `all`, its exact flip sequence.
///
/// # Field representation
///
/// Every field of magnet `i` changes sign with `s_i` in its local frame, so the engine stores
/// `F_i`, the total field in the frame of `s_i = +1`; the local field is `s_i·F_i` bit for bit
/// (negation commutes with rounding). Flipping `i` therefore leaves `F_i` as is and only
/// changes the dipolar sums of its neighbours, which the incremental engine recomputes in
/// flatspin's summation order.
#[derive(Debug, Clone)]
pub struct SpinIce {
    layout: Layout,
    params: CheckedParams,
    shape: AstroidShape,
    table: AstroidTable,
    inside: InsideBound,
    nb: Neighbors,
    cos: Vec<f64>,
    sin: Vec<f64>,
    threshold: Vec<f64>,
    init_spin: Vec<i8>,
    spin: Vec<i8>,
    /// External field in the global frame, one entry per magnet.
    h_ext: Vec<[f64; 2]>,
    /// External field in each magnet's +1 frame.
    ext: Vec<[f64; 2]>,
    /// Thermal field in each magnet's +1 frame (all zero at zero temperature).
    therm: Vec<[f64; 2]>,
    /// Dipolar sums `Σ_j K_ij s_j` (no alpha), +1 frame; valid when `u_valid`.
    u: Vec<[f64; 2]>,
    u_valid: bool,
    /// Scratch list of (magnet, energy) for heap rebuilds.
    scratch_e: Vec<(usize, f64)>,
    heap: IndexedHeap,
    /// True when `heap` holds exactly the flippable magnets for the current state.
    heap_valid: bool,
    rng: ChaCha8Rng,
    rng_after_init: ChaCha8Rng,
    /// Spin-vortex ice extension; `None` for plain (flatspin) spin ice.
    vortex: Option<Box<Vortices>>,
    scratch: Vec<u32>,
    stamp: Vec<u32>,
    stamp_now: u32,
}

impl SpinIce {
    /// Builds the array: neighbour lists and couplings, thresholds (`|Normal(hc, hc·disorder)|`
    /// per magnet from `ChaCha8Rng::seed_from_u64(random_seed)`, or `hc` without disorder),
    /// all spins +1 (flatspin's `init='polarized'`) and zero external field.
    ///
    /// # Errors
    ///
    /// Only if the array is too large to index with 32-bit integers.
    pub fn new(layout: Layout, params: CheckedParams) -> Result<Self, NanomagnetError> {
        let n = layout.len();
        if n >= i32::MAX as usize {
            return Err(NanomagnetError::InvalidChoice {
                name: "size",
                message: format!("{n} magnets is more than this engine can index"),
            });
        }
        let p = params.get().clone();
        let nd = p
            .neighbor_distance
            .unwrap_or(layout.kind().default_neighbor_distance());
        let cutoff = layout.lattice_spacing() * nd + 1e-5;
        let nb = Neighbors::build(layout.positions(), layout.angles(), cutoff);
        let cos = layout.angles().iter().map(|t| t.cos()).collect();
        let sin = layout.angles().iter().map(|t| t.sin()).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(p.random_seed);
        let threshold = if p.disorder > 0.0 {
            let normal = Normal::new(p.hc, p.hc * p.disorder).map_err(|_| {
                NanomagnetError::param("disorder", "gives an invalid spread", p.disorder)
            })?;
            (0..n).map(|_| normal.sample(&mut rng).abs()).collect()
        } else {
            vec![p.hc; n]
        };
        let shape = params.astroid();
        let mut s = SpinIce {
            table: AstroidTable::new(shape),
            inside: InsideBound::new(shape),
            shape,
            layout,
            params,
            nb,
            cos,
            sin,
            threshold,
            init_spin: vec![1; n],
            spin: vec![1; n],
            h_ext: vec![[0.0; 2]; n],
            ext: vec![[0.0; 2]; n],
            therm: vec![[0.0; 2]; n],
            u: vec![[0.0; 2]; n],
            u_valid: false,
            scratch_e: Vec::new(),
            heap: IndexedHeap::new(n),
            heap_valid: false,
            rng_after_init: rng.clone(),
            rng,
            vortex: None,
            scratch: Vec::new(),
            stamp: vec![0; n],
            stamp_now: 0,
        };
        s.refresh_u();
        Ok(s)
    }

    /// Number of magnets.
    pub fn len(&self) -> usize {
        self.spin.len()
    }

    /// Always false: layouts are never empty.
    pub fn is_empty(&self) -> bool {
        self.spin.is_empty()
    }

    /// The geometry.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Magnet centres (N×2).
    pub fn positions(&self) -> ArrayView2<'_, f64> {
        self.layout.positions()
    }

    /// Magnet angles in radians.
    pub fn angles(&self) -> ArrayView1<'_, f64> {
        self.layout.angles()
    }

    /// The validated parameters.
    pub fn params(&self) -> &ModelParams {
        self.params.get()
    }

    /// Per-magnet switching thresholds `h_k` in tesla.
    pub fn thresholds(&self) -> &[f64] {
        &self.threshold
    }

    /// Neighbours of magnet `i` (ascending), or none for an index out of range.
    pub fn neighbors(&self, i: usize) -> Vec<usize> {
        if i < self.len() {
            self.nb.of(i).collect()
        } else {
            Vec::new()
        }
    }

    /// Largest neighbour count (flatspin's `num_neighbors`).
    pub fn max_neighbors(&self) -> usize {
        self.nb.max_count()
    }

    /// Current spins: ±1, or 0 for a bar in the vortex state (spin-vortex ice only).
    pub fn spins(&self) -> &[i8] {
        &self.spin
    }

    /// Sets explicit per-magnet thresholds (flatspin `set_threshold`), e.g. exported from
    /// flatspin or measured.
    ///
    /// # Errors
    ///
    /// Wrong length, or a value that is not positive and finite; the thresholds are then
    /// unchanged.
    pub fn set_thresholds(&mut self, th: ArrayView1<'_, f64>) -> Result<(), NanomagnetError> {
        if th.len() != self.len() {
            return Err(NanomagnetError::shape(
                "thresholds",
                &[self.len()],
                &[th.len()],
            ));
        }
        for (index, &v) in th.iter().enumerate() {
            if !(v.is_finite() && v > 0.0) {
                return Err(NanomagnetError::OutOfRange {
                    what: "thresholds".into(),
                    index,
                    requirement: "must be positive and finite",
                    value: v,
                });
            }
        }
        self.threshold = th.to_vec();
        self.heap_valid = false;
        Ok(())
    }

    /// Sets the spins and makes them the state [`reset`](SpinIce::reset) returns to.
    ///
    /// # Errors
    ///
    /// Wrong length or a value other than ±1; the state is then unchanged.
    pub fn set_initial_spins(&mut self, spins: ArrayView1<'_, i8>) -> Result<(), NanomagnetError> {
        self.set_spins(spins)?;
        self.init_spin.clone_from(&self.spin);
        Ok(())
    }

    /// Sets the current spins.
    ///
    /// # Errors
    ///
    /// Wrong length or a value other than ±1; the state is then unchanged.
    pub fn set_spins(&mut self, spins: ArrayView1<'_, i8>) -> Result<(), NanomagnetError> {
        if spins.len() != self.len() {
            return Err(NanomagnetError::shape(
                "spins",
                &[self.len()],
                &[spins.len()],
            ));
        }
        for (index, &v) in spins.iter().enumerate() {
            if v != 1 && v != -1 {
                return Err(NanomagnetError::OutOfRange {
                    what: "spins".into(),
                    index,
                    requirement: "must be 1 or -1",
                    value: f64::from(v),
                });
            }
        }
        for (d, &v) in self.spin.iter_mut().zip(spins.iter()) {
            *d = v;
        }
        self.refresh_u();
        Ok(())
    }

    /// Sets every spin to `+1` (`positive`) or `−1`.
    pub fn polarize(&mut self, positive: bool) {
        self.spin.fill(if positive { 1 } else { -1 });
        self.refresh_u();
    }

    /// Flips magnet `i` by hand (an index out of range is ignored).
    pub fn flip(&mut self, i: usize) {
        if i < self.len() {
            self.spin[i] = -self.spin[i];
            self.refresh_u();
        }
    }

    /// Returns to the initial spins and re-seeds the random generator to its state right after
    /// construction; thresholds and the external field are kept.
    pub fn reset(&mut self) {
        self.spin.clone_from(&self.init_spin);
        self.rng = self.rng_after_init.clone();
        self.therm.fill([0.0; 2]);
        self.refresh_u();
    }

    /// Sets a uniform external field `(h_x, h_y)` in tesla.
    ///
    /// # Errors
    ///
    /// A non-finite component; the field is then unchanged.
    pub fn set_field(&mut self, h: [f64; 2]) -> Result<(), NanomagnetError> {
        check_finite("h_ext", h.iter().copied())?;
        self.h_ext.fill(h);
        self.update_ext();
        Ok(())
    }

    /// Sets a per-magnet external field (N×2, tesla).
    ///
    /// # Errors
    ///
    /// Wrong shape or a non-finite value; the field is then unchanged.
    pub fn set_field_per_magnet(&mut self, h: ArrayView2<'_, f64>) -> Result<(), NanomagnetError> {
        if h.dim() != (self.len(), 2) {
            return Err(NanomagnetError::shape(
                "h_ext",
                &[self.len(), 2],
                &[h.nrows(), h.ncols()],
            ));
        }
        check_finite("h_ext", h.iter().copied())?;
        for (d, row) in self.h_ext.iter_mut().zip(h.rows()) {
            *d = [row[0], row[1]];
        }
        self.update_ext();
        Ok(())
    }

    /// The external field per magnet in the global frame, without a copy.
    pub fn applied(&self) -> &[[f64; 2]] {
        &self.h_ext
    }

    /// The external field per magnet in the global frame (N×2).
    pub fn field(&self) -> Array2<f64> {
        let mut out = Array2::zeros((self.len(), 2));
        for (i, h) in self.h_ext.iter().enumerate() {
            out[[i, 0]] = h[0];
            out[[i, 1]] = h[1];
        }
        out
    }

    /// Changes the temperature (kelvin); it takes effect at the next relax.
    ///
    /// # Errors
    ///
    /// A negative or non-finite temperature.
    pub fn set_temperature(&mut self, t: f64) -> Result<(), NanomagnetError> {
        if !(t.is_finite() && t >= 0.0) {
            return Err(NanomagnetError::param(
                "temperature",
                "must be non-negative and finite",
                t,
            ));
        }
        let mut p = self.params.get().clone();
        p.temperature = t;
        self.params = p.check()?;
        if t == 0.0 {
            self.therm.fill([0.0; 2]);
            self.heap_valid = false;
        }
        Ok(())
    }

    fn update_ext(&mut self) {
        for i in 0..self.len() {
            let [h0, h1] = self.h_ext[i];
            let (c, s) = (self.cos[i], self.sin[i]);
            self.ext[i] = [h0 * c + h1 * s, h0 * -s + h1 * c];
        }
        self.heap_valid = false;
    }

    /// Recomputes every dipolar sum from the spins.
    fn refresh_u(&mut self) {
        for i in 0..self.len() {
            self.u[i] = self.dip_sum(i);
        }
        self.u_valid = true;
        self.heap_valid = false;
    }

    /// `Σ_jj K[i][jj]·s_j` in neighbour order, as flatspin accumulates it.
    #[inline]
    fn dip_sum(&self, i: usize) -> [f64; 2] {
        let (off, ks) = self.nb.row(i);
        let mut acc = [0.0f64; 2];
        for (&o, k) in off.iter().zip(ks) {
            let s = f64::from(self.spin[offset_index(i, o)]);
            acc[0] += k[0] * s;
            acc[1] += k[1] * s;
        }
        acc
    }

    /// Total field of `i` in its +1 frame: `(α·u + ext) + therm`.
    #[inline]
    fn plus_field(&self, i: usize) -> [f64; 2] {
        let alpha = self.params.get().alpha;
        let u = self.u[i];
        let e = self.ext[i];
        let t = self.therm[i];
        [(alpha * u[0] + e[0]) + t[0], (alpha * u[1] + e[1]) + t[1]]
    }

    /// Total non-thermal field of `i` in its current local frame.
    fn local_non_thermal(&self, i: usize) -> [f64; 2] {
        let alpha = self.params.get().alpha;
        let s = f64::from(self.spin[i]);
        let u = self.u[i];
        let e = self.ext[i];
        [s * (alpha * u[0] + e[0]), s * (alpha * u[1] + e[1])]
    }

    /// Total local field (parallel, perpendicular) of every magnet, including the thermal
    /// field of the last relax (N×2, tesla).
    pub fn total_fields(&mut self) -> Array2<f64> {
        let mut out = Array2::zeros((self.len(), 2));
        self.total_fields_into(&mut out);
        out
    }

    /// [`SpinIce::total_fields`] into a caller's `N × 2` array, so a readout that needs the
    /// fields every step allocates nothing.
    ///
    /// # Panics
    ///
    /// If `out` is not `N × 2` (a caller's bug, not a user's input).
    pub fn total_fields_into(&mut self, out: &mut Array2<f64>) {
        assert_eq!(
            out.dim(),
            (self.len(), 2),
            "total_fields_into needs an N x 2 array"
        );
        self.ensure_u();
        for i in 0..self.len() {
            let f = self.plus_field(i);
            let s = f64::from(self.spin[i]);
            out[[i, 0]] = s * f[0];
            out[[i, 1]] = s * f[1];
        }
    }

    /// flatspin's switching energy of every magnet for the current state and field (positive
    /// means flippable), computed from scratch the way flatspin does.
    pub fn switching_energies(&self) -> Array1<f64> {
        Array1::from_iter((0..self.len()).map(|i| self.reference_energy(i)))
    }

    /// Indices of the flippable magnets, ascending.
    pub fn flippable(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.reference_energy(i) > 0.0)
            .collect()
    }

    fn ensure_u(&mut self) {
        if !self.u_valid {
            self.refresh_u();
        }
    }

    /// Re-evaluates whether `i` is flippable and updates its heap entry.
    #[inline]
    fn refresh_candidate(&mut self, i: usize) {
        let f = self.plus_field(i);
        if self.spin[i] == 0 {
            match self.vortex_energy(i, f) {
                Some(e) => self.heap.upsert(i, e),
                None => self.heap.remove(i),
            }
            return;
        }
        let s = f64::from(self.spin[i]);
        let h_par = s * f[0];
        let hk = self.threshold[i];
        if h_par < -PAR_EPS && !self.inside.surely_inside(f[0], f[1], hk) {
            let e = self.shape.implicit(f[0], f[1], hk);
            if e > 0.0 {
                self.heap.upsert(i, e);
                return;
            }
        }
        self.heap.remove(i);
    }

    fn rebuild_heap(&mut self) {
        self.ensure_u();
        let mut members = std::mem::take(&mut self.scratch_e);
        members.clear();
        for i in 0..self.len() {
            let f = self.plus_field(i);
            if self.spin[i] == 0 {
                if let Some(e) = self.vortex_energy(i, f) {
                    members.push((i, e));
                }
                continue;
            }
            let s = f64::from(self.spin[i]);
            let hk = self.threshold[i];
            if s * f[0] < -PAR_EPS && !self.inside.surely_inside(f[0], f[1], hk) {
                let e = self.shape.implicit(f[0], f[1], hk);
                if e > 0.0 {
                    members.push((i, e));
                }
            }
        }
        self.heap.rebuild(members.drain(..));
        self.scratch_e = members;
        self.heap_valid = true;
    }

    /// Draws the thermal field for the coming relax (flatspin `update_thermal_noise`):
    /// per magnet `u ~ U(0,1)`, length `−(k_B·T/m_therm)·ln(ln(u)/(−Δt·f0))`, direction the
    /// shortest way out of the astroid from the current non-thermal field.
    fn sample_thermal(&mut self) {
        let p = self.params.get();
        let t = p.temperature;
        if t <= 0.0 {
            return;
        }
        let (m_therm, dt, f0) = (p.m_therm, p.therm_timescale, p.attempt_freq);
        self.ensure_u();
        for i in 0..self.len() {
            let u: f64 = Open01.sample(&mut self.rng);
            let magnitude = (-KB * t / m_therm) * (u.ln() / (-dt * f0)).ln();
            let h = self.local_non_thermal(i);
            let dir = self
                .table
                .thermal_direction(h, magnitude, self.threshold[i]);
            let s = f64::from(self.spin[i]);
            self.therm[i] = [s * dir[0], s * dir[1]];
        }
        self.heap_valid = false;
    }

    /// Draws the thermal field, then flips magnets until none is flippable (flatspin
    /// `relax()`).
    pub fn relax(&mut self) -> Relax {
        self.sample_thermal();
        let mut r = Relax::default();
        match self.params.get().engine {
            Engine::Incremental => {
                self.rebuild_heap();
                loop {
                    let n = self.step_incremental();
                    if n == 0 {
                        break;
                    }
                    r.steps += 1;
                    r.flips += n;
                }
            }
            Engine::Reference => loop {
                let n = self.step_reference();
                if n == 0 {
                    break;
                }
                r.steps += 1;
                r.flips += n;
            },
        }
        r
    }

    /// One step without resampling the thermal field: flips by the flip mode and returns how
    /// many magnets flipped (0 when none was flippable).
    pub fn step(&mut self) -> usize {
        match self.params.get().engine {
            Engine::Incremental => {
                if !self.heap_valid {
                    self.rebuild_heap();
                }
                self.step_incremental()
            }
            Engine::Reference => self.step_reference(),
        }
    }

    /// The state magnet `i` switches to: the reversed macrospin, except in spin-vortex ice,
    /// where a wide bar switching just outside its astroid becomes a vortex (`0`) and a
    /// vortex annihilates into the macrospin along its parallel field.
    #[inline]
    fn next_state(&self, i: usize) -> i8 {
        let s = self.spin[i];
        let Some(v) = &self.vortex else {
            return -s;
        };
        let f = self.plus_field(i);
        if s == 0 {
            return if f[0] > 0.0 { 1 } else { -1 };
        }
        if v.wide[i] && self.shape.implicit(f[0], f[1], self.threshold[i]) < v.window {
            0
        } else {
            -s
        }
    }

    /// Switching energy of a vortex bar with +1-frame field `f`: `|h∥|/h_ann − 1` when the
    /// parallel field exceeds the annihilation field, else `None` (stable).
    #[inline]
    fn vortex_energy(&self, i: usize, f: [f64; 2]) -> Option<f64> {
        let v = self.vortex.as_ref()?;
        let h_ann = v.annihilation * self.shape.b * self.threshold[i];
        let e = f[0].abs() / h_ann - 1.0;
        (e > 0.0).then_some(e)
    }

    /// Turns the array into a spin-vortex ice (see [`VortexParams`]): the bars flagged in
    /// `wide` may take the vortex state, spin value `0`, which has no stray field.
    ///
    /// # Errors
    ///
    /// `wide` of the wrong length, invalid parameters, or the reference engine (which
    /// implements flatspin's two-state model only).
    pub fn enable_vortices(
        &mut self,
        wide: &[bool],
        params: VortexParams,
    ) -> Result<(), NanomagnetError> {
        if wide.len() != self.len() {
            return Err(NanomagnetError::shape("wide", &[self.len()], &[wide.len()]));
        }
        params.check()?;
        if self.params.get().engine != Engine::Incremental {
            return Err(NanomagnetError::InvalidChoice {
                name: "engine",
                message: "spin-vortex ice needs the incremental engine".into(),
            });
        }
        self.vortex = Some(Box::new(Vortices {
            wide: wide.to_vec(),
            window: params.window,
            annihilation: params.annihilation,
        }));
        self.heap_valid = false;
        Ok(())
    }

    /// True when magnet `i` is a bar that can hold a vortex (spin-vortex ice only).
    pub fn is_wide(&self, i: usize) -> bool {
        self.vortex
            .as_ref()
            .is_some_and(|v| v.wide.get(i) == Some(&true))
    }

    /// Number of magnets in the vortex state.
    pub fn vortex_count(&self) -> usize {
        self.spin.iter().filter(|&&s| s == 0).count()
    }

    fn step_incremental(&mut self) -> usize {
        let Some(top) = self.heap.top() else {
            return 0;
        };
        match self.params.get().flip_mode {
            FlipMode::Max => {
                self.flip_one(top);
                1
            }
            FlipMode::MaxRand => {
                let mut ties = std::mem::take(&mut self.scratch);
                self.heap.ties_with_top(&mut ties);
                let pick = ties[self.rng.random_range(0..ties.len())] as usize;
                self.scratch = ties;
                self.flip_one(pick);
                1
            }
            FlipMode::Single => {
                let pick = self.heap.member(self.rng.random_range(0..self.heap.len()));
                self.flip_one(pick);
                1
            }
            FlipMode::All => self.flip_all_flippable(),
        }
    }

    /// Flips `i` and refreshes its neighbours: O(k²) for k neighbours, because each
    /// neighbour's dipolar sum is recomputed in flatspin's order rather than updated by a
    /// difference (which would round differently and could reorder near-ties).
    fn flip_one(&mut self, i: usize) {
        let old = self.spin[i];
        self.spin[i] = self.next_state(i);
        self.heap.remove(i);
        if old == 0 || self.spin[i] == 0 {
            self.refresh_candidate(i);
        }
        let (off, _) = self.nb.row(i);
        for idx in 0..off.len() {
            let j = offset_index(i, self.nb.row(i).0[idx]);
            self.u[j] = self.dip_sum(j);
            self.refresh_candidate(j);
        }
    }

    fn flip_all_flippable(&mut self) -> usize {
        let mut flip = std::mem::take(&mut self.scratch);
        flip.clear();
        flip.extend(self.heap.members());
        if self.vortex.is_some() {
            let next: Vec<i8> = flip.iter().map(|&i| self.next_state(i as usize)).collect();
            for (&i, v) in flip.iter().zip(next) {
                self.spin[i as usize] = v;
            }
        } else {
            for &i in &flip {
                let i = i as usize;
                self.spin[i] = -self.spin[i];
            }
        }
        self.stamp_now = self.stamp_now.wrapping_add(1);
        if self.stamp_now == 0 {
            self.stamp.fill(0);
            self.stamp_now = 1;
        }
        let now = self.stamp_now;
        for k in 0..flip.len() {
            let i = flip[k] as usize;
            let count = self.nb.row(i).0.len();
            for idx in std::iter::once(usize::MAX).chain(0..count) {
                let j = if idx == usize::MAX {
                    i
                } else {
                    offset_index(i, self.nb.row(i).0[idx])
                };
                if self.stamp[j] != now {
                    self.stamp[j] = now;
                    self.u[j] = self.dip_sum(j);
                    self.refresh_candidate(j);
                }
            }
        }
        let n = flip.len();
        self.scratch = flip;
        n
    }

    /// flatspin's energy of magnet `i` from scratch: dipolar terms `K·s_i·s_j` summed in
    /// neighbour order, times alpha, plus the external field projected on `s_i·m_i`, plus the
    /// thermal field.
    fn reference_energy(&self, i: usize) -> f64 {
        let si = f64::from(self.spin[i]);
        let (off, ks) = self.nb.row(i);
        let mut dip = [0.0f64; 2];
        for (&o, k) in off.iter().zip(ks) {
            let sj = f64::from(self.spin[offset_index(i, o)]);
            dip[0] += k[0] * si * sj;
            dip[1] += k[1] * si * sj;
        }
        let alpha = self.params.get().alpha;
        let (m0, m1) = (si * self.cos[i], si * self.sin[i]);
        let [h0, h1] = self.h_ext[i];
        let ext = [h0 * m0 + h1 * m1, h0 * -m1 + h1 * m0];
        let mut h = [alpha * dip[0] + ext[0], alpha * dip[1] + ext[1]];
        if self.params.get().temperature > 0.0 {
            h[0] += si * self.therm[i][0];
            h[1] += si * self.therm[i][1];
        }
        self.shape.switching_energy(h[0], h[1], self.threshold[i])
    }

    fn step_reference(&mut self) -> usize {
        let energies = self.switching_energies();
        let flip: Vec<usize> = (0..self.len()).filter(|&i| energies[i] > 0.0).collect();
        if flip.is_empty() {
            return 0;
        }
        let argmax = |flip: &[usize]| {
            let mut best = flip[0];
            for &i in flip {
                if energies[i] > energies[best] {
                    best = i;
                }
            }
            best
        };
        let chosen: Vec<usize> = match self.params.get().flip_mode {
            FlipMode::Max => vec![argmax(&flip)],
            FlipMode::MaxRand => {
                let top = energies[argmax(&flip)];
                let ties: Vec<usize> = flip
                    .iter()
                    .copied()
                    .filter(|&i| energies[i] == top)
                    .collect();
                vec![ties[self.rng.random_range(0..ties.len())]]
            }
            FlipMode::Single => vec![flip[self.rng.random_range(0..flip.len())]],
            FlipMode::All => flip,
        };
        for &i in &chosen {
            self.spin[i] = -self.spin[i];
        }
        self.u_valid = false;
        self.heap_valid = false;
        chosen.len()
    }
}

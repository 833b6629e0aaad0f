//! Plain simulation from a configuration: the `physrc simulate nanomagnet` entry point.

use std::f64::consts::PI;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayD, Ix1, Ix2};
use ndarray_npy::{ReadNpyExt, ReadableElement};
use physrc_core::{MemoryBudget, bytes_for};
use serde::Deserialize;

use crate::error::NanomagnetError;
use crate::geometry::{GeometryKind, Layout, MAX_CELLS};
use crate::model::SpinIce;
use crate::params::{Engine, FlipMode, ModelParams};

/// Geometry names accepted in configuration files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GeometryName {
    /// flatspin `SquareSpinIceClosed`.
    SquareClosed,
    /// flatspin `SquareSpinIceOpen`.
    SquareOpen,
    /// flatspin `PinwheelSpinIceDiamond`.
    PinwheelDiamond,
    /// flatspin `PinwheelSpinIceRandom`.
    PinwheelRandom,
    /// flatspin `KagomeSpinIce`.
    Kagome,
    /// flatspin `CustomSpinIce` with `positions` and `angles` files.
    Custom,
}

/// A plain simulation: build an array, apply a sequence of global fields, relax after each.
///
/// Keys mirror flatspin's parameter names; omitted ones take flatspin's defaults (see
/// [`ModelParams`]). Relative paths resolve against the folder of the configuration file.
///
/// ```toml
/// geometry = "square-closed"
/// size = [10, 10]
/// disorder = 0.05
/// h_ext = "field.npy"    # T x 2 (tesla), one relax per row; or T x N x 2 per magnet
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationConfig {
    /// Lattice type.
    pub geometry: GeometryName,
    /// `[nx, ny]`, geometry-specific as in flatspin (default `[4, 4]`); ignored for `custom`.
    #[serde(default)]
    pub size: Option<[usize; 2]>,
    /// Lattice spacing (default 1); positions and the neighbour cutoff scale with it.
    #[serde(default)]
    pub lattice_spacing: Option<f64>,
    /// Coupling strength in tesla (default 0.001).
    #[serde(default)]
    pub alpha: Option<f64>,
    /// Mean switching threshold in tesla (default 0.2).
    #[serde(default)]
    pub hc: Option<f64>,
    /// Threshold disorder as a fraction of `hc` (default 0).
    #[serde(default)]
    pub disorder: Option<f64>,
    /// Astroid height (default 0.41).
    #[serde(default)]
    pub sw_b: Option<f64>,
    /// Astroid width (default 1).
    #[serde(default)]
    pub sw_c: Option<f64>,
    /// Astroid top/bottom pointiness (default 1.5).
    #[serde(default)]
    pub sw_beta: Option<f64>,
    /// Astroid tip pointiness (default 3.9).
    #[serde(default)]
    pub sw_gamma: Option<f64>,
    /// Dipolar cutoff in lattice units (default per geometry).
    #[serde(default)]
    pub neighbor_distance: Option<f64>,
    /// `max` (default), `max-rand`, `single` or `all`.
    #[serde(default)]
    pub flip_mode: Option<FlipMode>,
    /// Kelvin (default 0).
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Thermal nucleation moment, A·m².
    #[serde(default)]
    pub m_therm: Option<f64>,
    /// Attempt frequency, Hz (default 1e9).
    #[serde(default)]
    pub attempt_freq: Option<f64>,
    /// Seconds per relax for the thermal field (default 1).
    #[serde(default)]
    pub therm_timescale: Option<f64>,
    /// Seed for every random draw (default 0).
    #[serde(default)]
    pub random_seed: Option<u64>,
    /// `incremental` (default) or `reference`.
    #[serde(default)]
    pub engine: Option<Engine>,
    /// Pinwheel rotation in degrees (default 45).
    #[serde(default)]
    pub spin_angle: Option<f64>,
    /// Pinwheel-random angle spread in degrees (default 0).
    #[serde(default)]
    pub spin_angle_disorder: Option<f64>,
    /// `custom`: N×2 `.npy` of positions in lattice units.
    #[serde(default)]
    pub positions: Option<PathBuf>,
    /// `custom`: N `.npy` of angles in radians.
    #[serde(default)]
    pub angles: Option<PathBuf>,
    /// `"polarized"` (default, all +1) or a path to an N `.npy` of ±1 spins.
    #[serde(default)]
    pub init: Option<String>,
    /// N `.npy` of per-magnet thresholds (tesla), overriding `hc` and `disorder`.
    #[serde(default)]
    pub threshold: Option<PathBuf>,
    /// T×2 `.npy` of global fields (tesla), or T×N×2 per-magnet fields; one relax per step.
    pub h_ext: PathBuf,
}

/// Bytes per magnet at the peak of building an array and its reservoir: positions and angles,
/// the engine's per-magnet fields, spins, thresholds, heap and stamps (about 150 bytes), the
/// neighbour lists' per-magnet headers while they are built, the vortex state and the
/// readout's per-magnet index, rounded up.
pub(crate) const BYTES_PER_MAGNET: u64 = 256;

/// Bytes per neighbour pair at the peak of building the lists: the index in the raw list and,
/// where no two magnets share a row (an irregular array, or a cutoff reaching the edges from
/// everywhere), the stored offset and coupling and the key of the row's pattern; rounded up.
/// Regular lattices share most rows and need far less, so for them the estimate is high.
pub(crate) const BYTES_PER_PAIR: u64 = 64;

/// The number of magnets of a lattice of `size` cells, `None` for `custom` (whose files say)
/// and for sizes the geometry refuses anyway.
fn magnet_count(geometry: GeometryName, [nx, ny]: [usize; 2]) -> Option<u64> {
    if nx == 0 || ny == 0 || nx.checked_mul(ny)? > MAX_CELLS {
        return None;
    }
    let (x, y) = (nx as u64, ny as u64);
    Some(match geometry {
        GeometryName::SquareClosed
        | GeometryName::PinwheelDiamond
        | GeometryName::PinwheelRandom => (y + 1) * x + y * (x + 1),
        GeometryName::SquareOpen => x * y,
        GeometryName::Kagome => 4 * x + (2 * x + 1) * (y - 1) + (x + 1) * y,
        GeometryName::Custom => return None,
    })
}

/// Magnets per unit area (lattice spacing 1) far from the edges: two per cell of square and
/// pinwheel ice (closed), one of open square ice, three per `2 × √3` cell of kagome ice.
fn lattice_density(kind: GeometryKind) -> f64 {
    match kind {
        GeometryKind::SquareOpen => 1.0,
        GeometryKind::Kagome => 3.0 / (2.0 * 3f64.sqrt()),
        _ => 2.0,
    }
}

impl GeometryName {
    /// The lattice this name builds, `None` for `custom`.
    fn kind(self) -> Option<GeometryKind> {
        Some(match self {
            GeometryName::SquareClosed => GeometryKind::SquareClosed,
            GeometryName::SquareOpen => GeometryKind::SquareOpen,
            GeometryName::PinwheelDiamond => GeometryKind::PinwheelDiamond,
            GeometryName::PinwheelRandom => GeometryKind::PinwheelRandom,
            GeometryName::Kagome => GeometryKind::Kagome,
            GeometryName::Custom => return None,
        })
    }
}

/// What [`simulate`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationOutput {
    /// Spins after each relax (T×N).
    pub spins: Array2<i8>,
    /// Steps taken by each relax (T); the number of flips except in flip mode `all`.
    pub flips: Array1<i64>,
    /// Magnet centres (N×2).
    pub positions: Array2<f64>,
    /// Magnet angles in radians (N).
    pub angles: Array1<f64>,
    /// Per-magnet switching thresholds used (N).
    pub thresholds: Array1<f64>,
}

/// A field sequence: global (T×2) or per magnet (T×N×2).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSequence {
    /// One field vector per step.
    Global(Array2<f64>),
    /// One N×2 field per step.
    PerMagnet(ndarray::Array3<f64>),
}

impl SimulationConfig {
    /// The model parameters this configuration describes, validated.
    ///
    /// # Errors
    ///
    /// The first invalid parameter.
    pub fn model_params(&self) -> Result<crate::CheckedParams, NanomagnetError> {
        let d = ModelParams::default();
        ModelParams {
            alpha: self.alpha.unwrap_or(d.alpha),
            hc: self.hc.unwrap_or(d.hc),
            disorder: self.disorder.unwrap_or(d.disorder),
            sw_b: self.sw_b.unwrap_or(d.sw_b),
            sw_c: self.sw_c.unwrap_or(d.sw_c),
            sw_beta: self.sw_beta.unwrap_or(d.sw_beta),
            sw_gamma: self.sw_gamma.unwrap_or(d.sw_gamma),
            neighbor_distance: self.neighbor_distance,
            flip_mode: self.flip_mode.unwrap_or(d.flip_mode),
            temperature: self.temperature.unwrap_or(d.temperature),
            m_therm: self.m_therm.unwrap_or(d.m_therm),
            attempt_freq: self.attempt_freq.unwrap_or(d.attempt_freq),
            therm_timescale: self.therm_timescale.unwrap_or(d.therm_timescale),
            random_seed: self.random_seed.unwrap_or(d.random_seed),
            engine: self.engine.unwrap_or(d.engine),
        }
        .check()
    }

    /// Builds the geometry.
    ///
    /// # Errors
    ///
    /// Invalid size or spacing; for `custom`, a missing, unreadable or mis-shaped file.
    pub fn layout(&self, base_dir: &Path) -> Result<Layout, NanomagnetError> {
        let [nx, ny] = self.size.unwrap_or([4, 4]);
        let a = self.lattice_spacing.unwrap_or(1.0);
        let spin_angle = self.spin_angle.unwrap_or(45.0);
        match self.geometry {
            GeometryName::SquareClosed => Layout::square_closed(nx, ny, a),
            GeometryName::SquareOpen => Layout::square_open(nx, ny, a),
            GeometryName::PinwheelDiamond => Layout::pinwheel_diamond(nx, ny, a, spin_angle),
            GeometryName::PinwheelRandom => Layout::pinwheel_random(
                nx,
                ny,
                a,
                spin_angle,
                self.spin_angle_disorder.unwrap_or(0.0),
                self.random_seed.unwrap_or(0),
            ),
            GeometryName::Kagome => Layout::kagome(nx, ny, a),
            GeometryName::Custom => {
                let (Some(p), Some(t)) = (&self.positions, &self.angles) else {
                    return Err(NanomagnetError::InvalidChoice {
                        name: "geometry",
                        message: "\"custom\" needs both `positions` and `angles` files".into(),
                    });
                };
                let pp = base_dir.join(p);
                let pos: Array2<f64> = read_f64(&pp)?
                    .into_dimensionality::<Ix2>()
                    .map_err(|e| shape_err(&pp, "(N, 2)", e))?;
                let tp = base_dir.join(t);
                let ang: Array1<f64> = read_f64(&tp)?
                    .into_dimensionality::<Ix1>()
                    .map_err(|e| shape_err(&tp, "(N,)", e))?;
                if pos.ncols() != 2 || pos.nrows() != ang.len() {
                    return Err(NanomagnetError::Shape {
                        what: format!("{} and {}", pp.display(), tp.display()),
                        expected: "(N, 2) and (N,) with equal N".to_owned(),
                        got: format!("({}, {}) and ({},)", pos.nrows(), pos.ncols(), ang.len()),
                    });
                }
                Layout::custom(pos.view(), ang.view(), a)
            }
        }
    }

    /// Builds the array with its thresholds and initial spins.
    ///
    /// # Errors
    ///
    /// Invalid parameters, or a missing, unreadable or mis-shaped file.
    pub fn build(&self, base_dir: &Path) -> Result<SpinIce, NanomagnetError> {
        self.build_within(base_dir, MemoryBudget::UNLIMITED)
    }

    /// As [`build`](Self::build), refusing before the array is allocated when it would need
    /// more memory than `budget`: first from `size` alone, then, once the magnets are placed,
    /// with an upper bound on their neighbour pairs (which `neighbor_distance` drives).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build); [`NanomagnetError::Memory`] naming `size` or
    /// `neighbor_distance` and the estimate.
    pub fn build_within(
        &self,
        base_dir: &Path,
        budget: MemoryBudget,
    ) -> Result<SpinIce, NanomagnetError> {
        let size = self.size.unwrap_or([4, 4]);
        // The array's memory: per magnet and per neighbour pair. The key named is the one that
        // drives the estimate: `neighbor_distance` when it is given and the pairs dominate.
        let check = |n: u64, pairs: u64, how_many: &str| {
            let (magnets, links) = (
                bytes_for(n, BYTES_PER_MAGNET),
                bytes_for(pairs, BYTES_PER_PAIR),
            );
            match self.neighbor_distance {
                Some(nd) if links > magnets => budget.check(
                    "neighbor_distance",
                    format_args!("{nd} ({how_many} {pairs} neighbour pairs among {n} magnets)"),
                    magnets.saturating_add(links),
                ),
                _ if self.geometry == GeometryName::Custom => budget.check(
                    "positions",
                    format_args!("{n} magnets"),
                    magnets.saturating_add(links),
                ),
                _ => budget.check(
                    "size",
                    format_args!("[{}, {}] ({n} magnets)", size[0], size[1]),
                    magnets.saturating_add(links),
                ),
            }
        };
        if let (Some(n), Some(kind)) = (magnet_count(self.geometry, size), self.geometry.kind()) {
            // Before placing anything: the neighbours a magnet of an infinite lattice has
            // within the cutoff stand in for the exact count taken once the magnets are placed.
            let nd = self
                .neighbor_distance
                .unwrap_or(kind.default_neighbor_distance());
            // A distance that is not positive is refused with the parameters below.
            let area = if nd > 0.0 { PI * nd * nd } else { 0.0 };
            let per_magnet = (area * lattice_density(kind)).min(n.saturating_sub(1) as f64);
            check(n, (n as f64 * per_magnet) as u64, "about")?;
        }
        let layout = self.layout(base_dir)?;
        // A huge spacing can place magnets beyond the largest float, where distances are
        // infinite or NaN and the neighbour grid cannot be laid out.
        if let Some(v) = layout.positions().iter().find(|v| !v.is_finite()) {
            return Err(NanomagnetError::param(
                "lattice_spacing",
                "is so large that magnet positions overflow",
                *v,
            ));
        }
        let params = self.model_params()?;
        let nd = params
            .get()
            .neighbor_distance
            .unwrap_or(layout.kind().default_neighbor_distance());
        let cutoff = layout.lattice_spacing() * nd + 1e-5;
        let cap = budget.get() / BYTES_PER_PAIR;
        let pairs = crate::neighbors::count_pairs(layout.positions(), cutoff, cap);
        check(
            layout.len() as u64,
            pairs,
            if pairs > cap { "over" } else { "exactly" },
        )?;
        let mut ice = SpinIce::new(layout, params)?;
        let n = ice.len();
        if let Some(t) = &self.threshold {
            let path = base_dir.join(t);
            let th = read_f64(&path)?;
            if th.shape() != [n] {
                return Err(NanomagnetError::shape(
                    path.display().to_string(),
                    &[n],
                    th.shape(),
                ));
            }
            let th = th
                .into_dimensionality::<Ix1>()
                .map_err(|e| shape_err(&path, "(N,)", e))?;
            ice.set_thresholds(th.view())?;
        }
        match self.init.as_deref() {
            None | Some("polarized") => {}
            Some(p) => {
                let path = base_dir.join(p);
                let s = read_spins(&path)?;
                if s.len() != n {
                    return Err(NanomagnetError::shape(
                        path.display().to_string(),
                        &[n],
                        &[s.len()],
                    ));
                }
                ice.set_initial_spins(s.view())?;
            }
        }
        Ok(ice)
    }

    /// Reads the field sequence for an array of `n` magnets.
    ///
    /// # Errors
    ///
    /// A missing or unreadable file, a shape other than T×2 or T×N×2, or a non-finite value.
    pub fn field_sequence(
        &self,
        base_dir: &Path,
        n: usize,
    ) -> Result<FieldSequence, NanomagnetError> {
        let path = base_dir.join(&self.h_ext);
        let h = read_f64(&path)?;
        let shape = h.shape().to_vec();
        crate::geometry::check_finite(&path.display().to_string(), h.iter().copied())?;
        match shape.as_slice() {
            [_, 2] => Ok(FieldSequence::Global(
                h.into_dimensionality()
                    .map_err(|e| shape_err(&path, "(T, 2)", e))?,
            )),
            [_, m, 2] if *m == n => Ok(FieldSequence::PerMagnet(
                h.into_dimensionality()
                    .map_err(|e| shape_err(&path, "(T, N, 2)", e))?,
            )),
            _ => Err(NanomagnetError::Shape {
                what: path.display().to_string(),
                expected: format!("(T, 2) or (T, {n}, 2)"),
                got: crate::error::fmt_shape(&shape),
            }),
        }
    }
}

/// Runs a plain simulation: for each field in the sequence, set it and relax; record the spins
/// and the relax's step count.
///
/// # Errors
///
/// Invalid parameters, or a missing, unreadable or mis-shaped `.npy` file (the error names the
/// file and both shapes).
pub fn simulate(
    cfg: &SimulationConfig,
    base_dir: &Path,
) -> Result<SimulationOutput, NanomagnetError> {
    simulate_within(cfg, base_dir, MemoryBudget::UNLIMITED)
}

/// As [`simulate`], refusing before the array or the recorded spins are allocated when they
/// would need more memory than `budget`: the array as [`SimulationConfig::build_within`]
/// estimates it, then the `T × N` spins the field sequence asks for.
///
/// # Errors
///
/// As [`simulate`]; [`NanomagnetError::Memory`] naming `size` (or the key that drives the
/// array's size) or `h_ext` and the estimate.
pub fn simulate_within(
    cfg: &SimulationConfig,
    base_dir: &Path,
    budget: MemoryBudget,
) -> Result<SimulationOutput, NanomagnetError> {
    let ice = cfg.build_within(base_dir, budget)?;
    let seq = cfg.field_sequence(base_dir, ice.len())?;
    simulate_built(ice, seq, budget)
}

/// As [`simulate_within`] with the field sequence given rather than read from `cfg.h_ext`
/// (which is not read): for callers holding the fields in memory, such as the Python bindings.
/// The sequence is checked as a file's would be: finite, and per-magnet fields for exactly
/// the array's magnets.
///
/// # Errors
///
/// As [`simulate_within`]; [`NanomagnetError::Shape`] when a per-magnet sequence is not for
/// this array's magnets, and the non-finite error naming `h_ext` for a NaN or infinite field.
pub fn simulate_fields_within(
    cfg: &SimulationConfig,
    base_dir: &Path,
    budget: MemoryBudget,
    fields: FieldSequence,
) -> Result<SimulationOutput, NanomagnetError> {
    let ice = cfg.build_within(base_dir, budget)?;
    let n = ice.len();
    match &fields {
        FieldSequence::Global(h) => {
            if h.ncols() != 2 {
                return Err(NanomagnetError::Shape {
                    what: "h_ext".to_owned(),
                    expected: format!("(T, 2) or (T, {n}, 2)"),
                    got: crate::error::fmt_shape(h.shape()),
                });
            }
            crate::geometry::check_finite("h_ext", h.iter().copied())?;
        }
        FieldSequence::PerMagnet(h) => {
            if h.shape()[1] != n || h.shape()[2] != 2 {
                return Err(NanomagnetError::Shape {
                    what: "h_ext".to_owned(),
                    expected: format!("(T, 2) or (T, {n}, 2)"),
                    got: crate::error::fmt_shape(h.shape()),
                });
            }
            crate::geometry::check_finite("h_ext", h.iter().copied())?;
        }
    }
    simulate_built(ice, fields, budget)
}

/// Drives a built array through a checked field sequence.
fn simulate_built(
    mut ice: SpinIce,
    seq: FieldSequence,
    budget: MemoryBudget,
) -> Result<SimulationOutput, NanomagnetError> {
    let n = ice.len();
    let steps = match &seq {
        FieldSequence::Global(h) => h.nrows(),
        FieldSequence::PerMagnet(h) => h.shape()[0],
    };
    // The spins of every step are the output's bulk: 8 bytes per magnet per field step, on
    // top of the array already built.
    budget.check(
        "h_ext",
        format_args!("{steps} field steps for {n} magnets"),
        bytes_for((steps as u64).saturating_mul(n as u64), 8)
            .saturating_add(bytes_for(n as u64, BYTES_PER_MAGNET)),
    )?;
    let mut spins = Array2::zeros((steps, n));
    let mut flips = Array1::zeros(steps);
    for t in 0..steps {
        match &seq {
            FieldSequence::Global(h) => ice.set_field([h[[t, 0]], h[[t, 1]]])?,
            FieldSequence::PerMagnet(h) => {
                ice.set_field_per_magnet(h.index_axis(ndarray::Axis(0), t))?
            }
        }
        let r = ice.relax();
        flips[t] = r.steps as i64;
        for (d, &s) in spins.row_mut(t).iter_mut().zip(ice.spins()) {
            *d = s;
        }
    }
    Ok(SimulationOutput {
        spins,
        flips,
        positions: ice.positions().to_owned(),
        angles: ice.angles().to_owned(),
        thresholds: Array1::from(ice.thresholds().to_vec()),
    })
}

fn shape_err(path: &Path, expected: &str, e: ndarray::ShapeError) -> NanomagnetError {
    NanomagnetError::Shape {
        what: path.display().to_string(),
        expected: expected.to_owned(),
        got: e.to_string(),
    }
}

fn read_any<T: ReadableElement>(path: &Path) -> Result<ArrayD<T>, NanomagnetError> {
    let f = File::open(path).map_err(|e| NanomagnetError::ReadNpy {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    ArrayD::<T>::read_npy(BufReader::new(f)).map_err(|e| NanomagnetError::ReadNpy {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Reads a float64 array; float32 and integer files are converted.
fn read_f64(path: &Path) -> Result<ArrayD<f64>, NanomagnetError> {
    match read_any::<f64>(path) {
        Ok(a) => Ok(a),
        Err(first) => {
            if let Ok(a) = read_any::<f32>(path) {
                return Ok(a.mapv(f64::from));
            }
            if let Ok(a) = read_any::<i64>(path) {
                return Ok(a.mapv(|v| v as f64));
            }
            if let Ok(a) = read_any::<i32>(path) {
                return Ok(a.mapv(f64::from));
            }
            Err(first)
        }
    }
}

/// Reads an N-vector of ±1 spins stored as int8, int32, int64 or float64.
fn read_spins(path: &Path) -> Result<Array1<i8>, NanomagnetError> {
    let any: ArrayD<f64> = match read_any::<i8>(path) {
        Ok(a) => a.mapv(f64::from),
        Err(_) => read_f64(path)?,
    };
    let shape = any.shape().to_vec();
    let v = any
        .into_dimensionality::<Ix1>()
        .map_err(|_| NanomagnetError::Shape {
            what: path.display().to_string(),
            expected: "(N,)".into(),
            got: crate::error::fmt_shape(&shape),
        })?;
    let mut out = Array1::zeros(v.len());
    for (index, (&x, d)) in v.iter().zip(out.iter_mut()).enumerate() {
        if x == 1.0 || x == -1.0 {
            *d = x as i8;
        } else {
            return Err(NanomagnetError::OutOfRange {
                what: path.display().to_string(),
                index,
                requirement: "must be 1 or -1",
                value: x,
            });
        }
    }
    Ok(out)
}

//! The energy model of the software baseline: operation counts times per-operation energies
//! of named reference platforms.
//!
//! # Why a model and not a measurement
//!
//! A physical reservoir is interesting because it may compute with less energy than a
//! processor running the same network. To say how much less, the software side needs a figure
//! on the same footing as the substrates' model estimates: joules per input step, from a
//! stated model with stated constants, reproducible on any machine. A power meter on the
//! machine at hand would measure that machine (its idle power, its other tenants), not the
//! network. So the network's work is counted exactly, operation by operation and byte by
//! byte, and priced with published per-operation energies of a few reference platforms
//! ([`PLATFORMS`]). The counts are fixed when the network is built, so the accounting costs
//! one multiplication per report, never anything per step.
//!
//! # What is counted
//!
//! [`OpCounts`] holds floating-point additions, multiplications, divisions and comparisons,
//! and memory accesses grouped by the size of the data they touch (the working set), which
//! decides the memory level that serves them ([`Platform::level`]). For one step of the ESN
//! ([`OpCounts::esn_step`]), with `N` units and `d` inputs:
//!
//! - `W·x`: one multiply and one add per *stored* entry of `W`: its nonzero entries when `W`
//!   is stored sparse (the padding slots of the blocked layout are not counted; a CSR kernel
//!   would not execute them), every `N²` entry when it is stored dense, because the dense
//!   kernel multiplies the zeros too. `Win·u` likewise.
//! - per unit: `(W·x + Win·u) + b` (2 adds), the activation (for `tanh`,
//!   [`TANH_OPS`]: the operations of the crate's own `tanh`), the leak
//!   `(1 − lr)·x + lr·f` (2 multiplies, 1 add) and the finiteness check (1 comparison).
//! - memory: every stored weight (8 bytes, plus a 4-byte column index when sparse), one read
//!   of `x` per multiply for sparse storage and per block of 8 rows and column for dense
//!   storage, and the per-unit vectors (`x`, `W·x`, `Win·u`, `b` read, the next state written,
//!   the state copied out): 9 accesses of 8 bytes per unit.
//!
//! The same [`OpCounts`] and [`Platform`]s price the trained readout of every substrate (the
//! facade crate counts its multiply–adds and its training), so the software baseline and the
//! readout that every physical substrate needs sit on one scale.

/// One memory level of a platform: data whose working set fits `capacity_bytes` is served
/// from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryLevel {
    /// Name of the level (`"L1 (32 KB SRAM)"`, `"DRAM"`).
    pub name: &'static str,
    /// Largest working set this level holds, bytes (`f64::INFINITY` for the last level).
    pub capacity_bytes: f64,
    /// Energy of one 64-bit (8-byte) access, joules.
    pub joules_per_8_bytes: f64,
}

/// A reference platform: per-operation energies with their sources.
///
/// Every constant is a published figure or derived from one by a stated rule; `source` says
/// which. `docs/energy.md` has the same table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Platform {
    /// Short name used in configs and reports (`"horowitz-45nm"`).
    pub name: &'static str,
    /// One line on what the platform is and what its figures include.
    pub description: &'static str,
    /// Where the constants come from.
    pub source: &'static str,
    /// One 64-bit floating-point addition (or subtraction), joules.
    pub fp_add: f64,
    /// One 64-bit floating-point multiplication, joules.
    pub fp_mul: f64,
    /// One 64-bit floating-point division, joules.
    pub fp_div: f64,
    /// One floating-point comparison, joules.
    pub fp_compare: f64,
    /// Memory levels from the smallest to the largest; the last has infinite capacity.
    pub memory: &'static [MemoryLevel],
}

/// Horowitz's figures for a 45 nm process at 0.9 V.
///
/// M. Horowitz, "1.1 Computing's energy problem (and what we can do about it)", ISSCC 2014,
/// Dig. Tech. Papers pp. 10–14, doi:10.1109/ISSCC.2014.6757323, Fig. 1.1.9: 32-bit
/// floating-point add 0.9 pJ and multiply 3.7 pJ; a 64-bit cache access 10 pJ (8 KB),
/// 20 pJ (32 KB), 100 pJ (1 MB); a 64-bit DRAM access 1.3–2.6 nJ (the midpoint, 1.95 nJ,
/// is used). The table stops at 32-bit floating point, and the ESN computes in 64-bit, so
/// the 64-bit figures are scaled from the 32-bit ones by the mantissa width (24 → 53 bits):
/// an adder's energy grows linearly with it (× 53/24 = 2.21: 1.99 pJ), a multiplier's array
/// with its square (× (53/24)² = 4.88: 18.0 pJ). A division is priced as 4 multiplications
/// (no figure in the source; an iterative divider takes several multiplier passes). Only
/// arithmetic and data access are priced, not instruction fetch, decode and scheduling,
/// which Horowitz shows cost more than the arithmetic on a general-purpose core: for a
/// processor this platform is a lower bound, for a dedicated circuit a fair estimate.
pub const HOROWITZ_45NM: Platform = Platform {
    name: "horowitz-45nm",
    description: "45 nm arithmetic and SRAM/DRAM access energies, no instruction overhead",
    source: "Horowitz, ISSCC 2014, Fig. 1.1.9 (45 nm, 0.9 V); 64-bit FP scaled from 32-bit by \
             mantissa width (add x53/24, multiply x(53/24)^2); division = 4 multiplies",
    fp_add: 0.9e-12 * (53.0 / 24.0),
    fp_mul: 3.7e-12 * (53.0 / 24.0) * (53.0 / 24.0),
    fp_div: 4.0 * 3.7e-12 * (53.0 / 24.0) * (53.0 / 24.0),
    fp_compare: 0.9e-12 * (53.0 / 24.0),
    memory: &[
        MemoryLevel {
            name: "8 KB SRAM",
            capacity_bytes: 8.0 * 1024.0,
            joules_per_8_bytes: 10e-12,
        },
        MemoryLevel {
            name: "32 KB SRAM",
            capacity_bytes: 32.0 * 1024.0,
            joules_per_8_bytes: 20e-12,
        },
        MemoryLevel {
            name: "1 MB SRAM",
            capacity_bytes: 1024.0 * 1024.0,
            joules_per_8_bytes: 100e-12,
        },
        MemoryLevel {
            name: "DRAM",
            capacity_bytes: f64::INFINITY,
            joules_per_8_bytes: 1.95e-9,
        },
    ],
};

/// Fugaku's A64FX processors (7 nm) as measured on the Top500 list: a whole-system figure.
///
/// The Top500 list of November 2020 reports Fugaku at Rmax = 442.01 PFlop/s (HPL, 64-bit)
/// drawing 29,899 kW: 14.78 GFlop/s per watt, 67.7 pJ per 64-bit floating-point operation,
/// measured at the machine's power feed, so processors, memory, network and power
/// conversion are all in it. Every arithmetic operation is priced at that figure and memory
/// accesses at nothing extra, because HPL's own memory traffic is inside the measurement.
/// HPL reuses each byte many times; a sparse matrix–vector product reuses little, so for the
/// ESN this platform is a lower bound on what a current CPU system pays.
pub const FUGAKU_A64FX: Platform = Platform {
    name: "fugaku-a64fx",
    description: "measured system energy per 64-bit flop of a current CPU machine (HPL), all-in",
    source: "Top500, November 2020: Fugaku (A64FX, 7 nm) Rmax 442.01 PFlop/s at 29,899 kW = \
             67.7 pJ per flop; memory inside the measured average",
    fp_add: 29_899e3 / 442.01e15,
    fp_mul: 29_899e3 / 442.01e15,
    fp_div: 29_899e3 / 442.01e15,
    fp_compare: 29_899e3 / 442.01e15,
    memory: &[MemoryLevel {
        name: "included in the measured flop",
        capacity_bytes: f64::INFINITY,
        joules_per_8_bytes: 0.0,
    }],
};

/// A low-power microcontroller for edge deployment: Ambiq Apollo3 Blue (Arm Cortex-M4F).
///
/// Ambiq's Apollo3 Blue datasheet gives 6 µA/MHz executing from memory at 3.3 V: 19.8 pJ per
/// clock cycle for the whole chip. Cycle counts are the Arm Cortex-M4 Technical Reference
/// Manual's (r0p1, FPU instruction timing): `VADD.F32`, `VMUL.F32` and `VCMP.F32` 1 cycle,
/// `VDIV.F32` 14 cycles; a load takes 1 cycle when pipelined, so 8 bytes (two 32-bit words)
/// take 2. The M4F's FPU is single precision: this prices the network in 32-bit floats, as
/// it would be deployed there, from the same operation counts (8-byte accesses are counted
/// as two words, an upper bound for 32-bit weights).
pub const APOLLO3_M4F: Platform = Platform {
    name: "apollo3-m4f",
    description: "Cortex-M4F microcontroller, whole-chip energy per cycle x cycles per operation",
    source: "Ambiq Apollo3 Blue datasheet: 6 uA/MHz at 3.3 V = 19.8 pJ/cycle; Arm Cortex-M4 TRM \
             FPU timing: add/mul/compare 1 cycle, divide 14, 8-byte load 2",
    fp_add: 19.8e-12,
    fp_mul: 19.8e-12,
    fp_div: 14.0 * 19.8e-12,
    fp_compare: 19.8e-12,
    memory: &[MemoryLevel {
        name: "on-chip SRAM/flash",
        capacity_bytes: f64::INFINITY,
        joules_per_8_bytes: 2.0 * 19.8e-12,
    }],
};

/// Every reference platform, the default ([`HOROWITZ_45NM`]) first.
pub const PLATFORMS: &[Platform] = &[HOROWITZ_45NM, FUGAKU_A64FX, APOLLO3_M4F];

/// The platform of a name in [`PLATFORMS`].
pub fn platform(name: &str) -> Option<&'static Platform> {
    PLATFORMS.iter().find(|p| p.name == name)
}

impl Platform {
    /// The memory level serving a working set of `bytes`: the smallest that holds it.
    pub fn level(&self, bytes: f64) -> &MemoryLevel {
        self.memory
            .iter()
            .find(|l| bytes <= l.capacity_bytes)
            .unwrap_or_else(|| self.memory.last().expect("a platform has a memory level"))
    }

    /// The energy of `counts` on this platform, joules.
    pub fn joules(&self, counts: &OpCounts) -> f64 {
        let arithmetic = counts.fp_add * self.fp_add
            + counts.fp_mul * self.fp_mul
            + counts.fp_div * self.fp_div
            + counts.fp_compare * self.fp_compare;
        let memory: f64 = counts
            .memory
            .iter()
            .map(|a| a.bytes / 8.0 * self.level(a.working_set_bytes).joules_per_8_bytes)
            .sum();
        arithmetic + memory
    }
}

/// Memory accesses to one piece of data.
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    /// What is accessed (`"W values"`, `"state vectors"`).
    pub what: &'static str,
    /// Bytes read or written.
    pub bytes: f64,
    /// Size of the data they belong to, bytes: it decides the memory level.
    pub working_set_bytes: f64,
}

/// Operation counts of a piece of work. Counts are whole numbers held as `f64` so that the
/// training counts of large readouts (`T·F²`) cannot overflow; they are exact below 2⁵³.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OpCounts {
    /// Floating-point additions and subtractions.
    pub fp_add: f64,
    /// Floating-point multiplications.
    pub fp_mul: f64,
    /// Floating-point divisions.
    pub fp_div: f64,
    /// Floating-point comparisons.
    pub fp_compare: f64,
    /// Memory accesses, by the data they touch.
    pub memory: Vec<Access>,
}

/// Operations of one evaluation of the crate's `tanh` (`activation.rs`): the clamp (1
/// comparison), `−2|x|` (1 multiply), the range reduction (3 multiplies, 4 adds), the
/// degree-12 Horner polynomial (11 multiplies, 11 adds), `r + r²·q` (2 multiplies, 1 add),
/// the scaling by 2^k (1 multiply, 1 add to form the exponent) and the final quotient (4
/// adds, 1 division). The sign copy and the exponent shift are bit operations, not counted.
pub const TANH_OPS: TanhOps = TanhOps {
    fp_add: 21.0,
    fp_mul: 18.0,
    fp_div: 1.0,
    fp_compare: 1.0,
};

/// Floating-point operations of one activation evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TanhOps {
    /// Additions and subtractions.
    pub fp_add: f64,
    /// Multiplications.
    pub fp_mul: f64,
    /// Divisions.
    pub fp_div: f64,
    /// Comparisons.
    pub fp_compare: f64,
}

/// The shape of an ESN as far as its per-step work is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EsnShape {
    /// Units N.
    pub units: usize,
    /// Input components d.
    pub input_dim: usize,
    /// Stored entries of `W` the product visits: its nonzeros when sparse, N² when dense.
    pub w_entries: usize,
    /// Whether `W` is stored sparse (values plus 4-byte column indices).
    pub w_sparse: bool,
    /// Stored entries of `Win` the product visits.
    pub win_entries: usize,
    /// Whether `Win` is stored sparse.
    pub win_sparse: bool,
    /// Whether the activation is `tanh` (otherwise the identity, which costs nothing).
    pub tanh: bool,
}

/// Rows the dense kernel works on together; each block reads every `x[j]` once.
const DENSE_ROWS_PER_BLOCK: usize = 8;

impl OpCounts {
    /// The counts of one ESN step (see the [module docs](self)).
    pub fn esn_step(s: &EsnShape) -> OpCounts {
        let n = s.units as f64;
        let (w, win) = (s.w_entries as f64, s.win_entries as f64);
        let act = if s.tanh {
            TANH_OPS
        } else {
            TanhOps {
                fp_add: 0.0,
                fp_mul: 0.0,
                fp_div: 0.0,
                fp_compare: 0.0,
            }
        };
        // Products, then per unit: two adds for the drive, the activation, the leak (two
        // multiplies, one add) and the finiteness check.
        let fp_add = w + win + n * (2.0 + act.fp_add + 1.0);
        let fp_mul = w + win + n * (act.fp_mul + 2.0);
        let fp_div = n * act.fp_div;
        let fp_compare = n * (act.fp_compare + 1.0);
        let matrix = |entries: f64, sparse: bool| {
            if sparse {
                entries * 12.0
            } else {
                entries * 8.0
            }
        };
        let w_bytes = matrix(w, s.w_sparse);
        let win_bytes = matrix(win, s.win_sparse);
        // Reads of the vector a product multiplies: one per entry for the sparse kernel
        // (a gather), one per column and block of rows for the dense kernel.
        let blocks = s.units.div_ceil(DENSE_ROWS_PER_BLOCK) as f64;
        let operand_reads = |entries: f64, sparse: bool, cols: usize| {
            if sparse {
                entries * 8.0
            } else {
                blocks * cols as f64 * 8.0
            }
        };
        let x_reads =
            operand_reads(w, s.w_sparse, s.units) + operand_reads(win, s.win_sparse, s.input_dim);
        // x, W·x, Win·u, b, next, and the copy out: six vectors of N.
        let vectors = 6.0 * 8.0 * n;
        OpCounts {
            fp_add,
            fp_mul,
            fp_div,
            fp_compare,
            memory: vec![
                Access {
                    what: "W",
                    bytes: w_bytes,
                    working_set_bytes: w_bytes,
                },
                Access {
                    what: "Win",
                    bytes: win_bytes,
                    working_set_bytes: win_bytes,
                },
                Access {
                    what: "product operands",
                    bytes: x_reads,
                    working_set_bytes: 8.0 * (n + s.input_dim as f64),
                },
                Access {
                    what: "state vectors",
                    bytes: 9.0 * 8.0 * n,
                    working_set_bytes: vectors,
                },
            ],
        }
    }

    /// Multiply–adds: the smaller of the multiplication and addition counts.
    pub fn multiply_adds(&self) -> f64 {
        self.fp_mul.min(self.fp_add)
    }

    /// Total bytes moved.
    pub fn bytes(&self) -> f64 {
        self.memory.iter().map(|a| a.bytes).sum()
    }

    /// These counts `times` over (a step repeated `times` steps).
    pub fn scaled(&self, times: f64) -> OpCounts {
        OpCounts {
            fp_add: self.fp_add * times,
            fp_mul: self.fp_mul * times,
            fp_div: self.fp_div * times,
            fp_compare: self.fp_compare * times,
            memory: self
                .memory
                .iter()
                .map(|a| Access {
                    bytes: a.bytes * times,
                    ..a.clone()
                })
                .collect(),
        }
    }

    /// The counts of `self` and `other` together.
    pub fn plus(mut self, other: &OpCounts) -> OpCounts {
        self.fp_add += other.fp_add;
        self.fp_mul += other.fp_mul;
        self.fp_div += other.fp_div;
        self.fp_compare += other.fp_compare;
        self.memory.extend(other.memory.iter().cloned());
        self
    }
}

/// What an [`Esn`](crate::Esn) knows about its own energy: its per-step counts and their
/// price on the default platform, both fixed when the network is built.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EsnEnergy {
    pub(crate) counts: OpCounts,
    pub(crate) joules_per_step: f64,
}

impl EsnEnergy {
    pub(crate) fn new(shape: &EsnShape) -> Self {
        let counts = OpCounts::esn_step(shape);
        let joules_per_step = HOROWITZ_45NM.joules(&counts);
        EsnEnergy {
            counts,
            joules_per_step,
        }
    }
}

/// The shape of the network a pair of stored matrices gives.
pub(crate) fn shape_of(
    w: &crate::matrix::Weights,
    win: &crate::matrix::Weights,
    units: usize,
    input_dim: usize,
    activation: crate::Activation,
) -> EsnShape {
    let entries = |m: &crate::matrix::Weights, cols: usize| {
        if m.is_sparse() { m.nnz() } else { units * cols }
    };
    EsnShape {
        units,
        input_dim,
        w_entries: entries(w, units),
        w_sparse: w.is_sparse(),
        win_entries: entries(win, input_dim),
        win_sparse: win.is_sparse(),
        tanh: activation == crate::Activation::Tanh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horowitz_constants_are_the_scaled_table_values() {
        let p = &HOROWITZ_45NM;
        assert!((p.fp_add - 1.9875e-12).abs() < 1e-16);
        assert!((p.fp_mul - 18.044e-12).abs() < 1e-14);
        assert_eq!(p.level(100.0).name, "8 KB SRAM");
        assert_eq!(p.level(20_000.0).name, "32 KB SRAM");
        assert_eq!(p.level(300_000.0).name, "1 MB SRAM");
        assert_eq!(p.level(2e6).name, "DRAM");
        // 67.7 pJ per flop from Fugaku's Top500 entry.
        assert!((FUGAKU_A64FX.fp_mul - 67.64e-12).abs() < 0.01e-12);
    }

    #[test]
    fn energy_is_linear_in_the_counts() {
        let shape = EsnShape {
            units: 100,
            input_dim: 1,
            w_entries: 1000,
            w_sparse: true,
            win_entries: 10,
            win_sparse: true,
            tanh: true,
        };
        let one = OpCounts::esn_step(&shape);
        for p in PLATFORMS {
            let e1 = p.joules(&one);
            let e7 = p.joules(&one.scaled(7.0));
            assert!(e1 > 0.0 && e1.is_finite(), "{}", p.name);
            assert!((e7 / e1 - 7.0).abs() < 1e-12, "{}", p.name);
        }
    }
}

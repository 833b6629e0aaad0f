//! A network of coupled Stuart–Landau oscillators (Röhm & Lüdge, J. Phys. Commun. 2, 085007
//! (2018): real oscillator networks perform like delay-based virtual ones).
//!
//! # Model
//!
//! ```text
//! dz_j/dt = (λ + i ω_j) z_j − |z_j|² z_j + Σ_k C_jk z_k + η Σ_d G_jd m_{n,d} u_d
//! ```
//!
//! `z_j` is the complex amplitude of oscillator `j` (the normal form of any oscillator near a
//! Hopf bifurcation). `λ < 0` puts every oscillator just below its Hopf point, so the network
//! rests at `z = 0` and answers an input with a damped, rotating, amplitude-dependent transient:
//! fading memory with a cubic nonlinearity. `ω_j = ω + Δω · U[−1, 1]` detunes the oscillators.
//! `C = κ e^{iφ} A` with `A` a sparse random matrix (density `ρ`, Gaussian entries of variance
//! `1 / (ρ N)`, zero diagonal), so that `κ` is close to the spectral radius of `C` (circular law).
//! `G` (`N × d`, uniform in `[−1, 1]`) are the input gains.
//!
//! # Time multiplexing
//!
//! Each input sample is held for `M` virtual nodes of duration `θ`. With `M > 1`, node `n` sees
//! the input multiplied by a binary mask `m_{n,d} = ±1`; with `M = 1` the mask is 1. The state is
//! every oscillator's `Re z, Im z` (or `|z|²`) at the end of every node: `M · N · 2` (or `M · N`)
//! values, node-major.
//!
//! # Integration
//!
//! Classical RK4 with `substeps` fixed steps per node; the input is constant over a node, so the
//! right-hand side is smooth inside each step and the method keeps its fourth order (tested).
//! No energy scale exists in the normal form, so [`Reservoir::energy`] returns `None`.

use ndarray::{Array2, ArrayView2};
use num_complex::Complex64;
use physrc_core::{Error, Info, MemoryBudget, Reservoir, bytes_for, check_input, check_state_len};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Deserialize;

use crate::OscillatorError;
use crate::error::{MAX_DELAY_LINE, at_least_one, finite, non_negative, positive, substeps};
use crate::mask::{MaskKind, WEIGHT_STREAM, draw_mask};
use crate::ode::Rk4;

/// What the Stuart–Landau reservoir reads out per oscillator and virtual node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StuartLandauReadout {
    /// `Re z_j` and `Im z_j` (two values per oscillator).
    #[default]
    ReIm,
    /// The intensity `|z_j|²` (one value per oscillator), what a photodetector would measure.
    Intensity,
}

/// Configuration of a coupled Stuart–Landau network (`model = "stuart-landau"`).
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StuartLandauConfig {
    /// Number of oscillators `N` (default 50, at most [`MAX_OSCILLATORS`]).
    pub oscillators: usize,
    /// Virtual nodes per input sample `M` (default 1, at most 2^24).
    pub virtual_nodes: usize,
    /// Duration of one virtual node `θ` (default 2, in units of the normal form's time).
    pub theta: f64,
    /// RK4 steps per virtual node (default 20, at most 1,000,000).
    pub substeps: usize,
    /// Pump `λ`, common to all oscillators (default −0.2: below the Hopf point).
    pub lambda: f64,
    /// Mean natural frequency `ω` (default 0, the frame rotating with the mean frequency).
    pub omega: f64,
    /// Frequency detuning `Δω`: `ω_j = ω + Δω · U[−1, 1]` (default 0.5).
    pub omega_spread: f64,
    /// Coupling strength `κ`, about the spectral radius of the coupling matrix (default 0.15).
    pub coupling: f64,
    /// Coupling phase `φ`, radians (default 0).
    pub coupling_phase: f64,
    /// Fraction of non-zero entries of `A` (default 0.2).
    pub connectivity: f64,
    /// Input scaling `η` (default 0.5).
    pub input_scaling: f64,
    /// What is read out.
    pub readout: StuartLandauReadout,
    /// Seed of the time mask (ChaCha8 stream 0) and of frequencies, coupling and gains
    /// (stream 2).
    pub seed: u64,
}

impl Default for StuartLandauConfig {
    fn default() -> Self {
        StuartLandauConfig {
            oscillators: 50,
            virtual_nodes: 1,
            theta: 2.0,
            substeps: 20,
            lambda: -0.2,
            omega: 0.0,
            omega_spread: 0.5,
            coupling: 0.15,
            coupling_phase: 0.0,
            connectivity: 0.2,
            input_scaling: 0.5,
            readout: StuartLandauReadout::ReIm,
            seed: 0,
        }
    }
}

/// Most oscillators a network may have. The coupling matrix is dense and every RK4 stage
/// multiplies by it, so memory grows as 32·N² bytes while it is drawn (3.2 GB at 10,000, 320 GB
/// at this bound) and time per step as N²; the memory budget refuses what the machine cannot
/// hold.
pub const MAX_OSCILLATORS: usize = 100_000;

impl StuartLandauConfig {
    /// Checks the size keys and the memory a network for `input_dim` inputs needs: the coupling
    /// matrix (drawn as an array, then copied into the network), the input gains, the time
    /// mask, the integrator's buffers and a state row.
    pub(crate) fn check_memory(
        &self,
        input_dim: usize,
        budget: MemoryBudget,
    ) -> Result<(), OscillatorError> {
        let n = self.check_sizes()?;
        let (n, m, d) = (n as u64, self.virtual_nodes as u64, input_dim as u64);
        let per_node = match self.readout {
            StuartLandauReadout::ReIm => 2 * n,
            StuartLandauReadout::Intensity => n,
        };
        let complex = size_of::<Complex64>() as u64;
        let network = bytes_for(n.saturating_mul(n), 2 * complex)
            .saturating_add(bytes_for(n.saturating_mul(d), 8))
            .saturating_add(bytes_for(n, 8 * complex));
        budget.check("oscillators", self.oscillators, network)?;
        let frames = bytes_for(m.saturating_mul(d), 8)
            .saturating_add(bytes_for(per_node.saturating_mul(m), 8));
        budget.check(
            "virtual_nodes",
            format_args!(
                "{} (with {} oscillators)",
                self.virtual_nodes, self.oscillators
            ),
            frames,
        )?;
        Ok(())
    }

    /// Checks `oscillators`, `virtual_nodes` and `substeps` against their bounds; returns the
    /// number of oscillators.
    fn check_sizes(&self) -> Result<usize, OscillatorError> {
        let n = at_least_one("oscillators", self.oscillators)?;
        if n > MAX_OSCILLATORS {
            return Err(OscillatorError::param(
                "oscillators",
                "must not exceed 100000",
                n,
            ));
        }
        at_least_one("virtual_nodes", self.virtual_nodes)?;
        if self.virtual_nodes > MAX_DELAY_LINE {
            return Err(OscillatorError::param(
                "virtual_nodes",
                "must not exceed 2^24",
                self.virtual_nodes,
            ));
        }
        substeps(self.substeps)?;
        Ok(n)
    }
}

/// The network's vector field: parameters, frequencies and coupling matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct StuartLandauNetwork {
    lambda: f64,
    omega: Vec<f64>,
    /// `C`, row-major `N × N`.
    coupling: Vec<Complex64>,
}

impl StuartLandauNetwork {
    /// A network from explicit pump, frequencies and coupling matrix (`N × N`).
    ///
    /// # Errors
    ///
    /// [`OscillatorError::InvalidParameter`] for an empty network, a coupling matrix of the wrong
    /// shape, or non-finite values.
    pub fn new(
        lambda: f64,
        omega: Vec<f64>,
        coupling: Array2<Complex64>,
    ) -> Result<Self, OscillatorError> {
        finite("lambda", lambda)?;
        let n = at_least_one("oscillators", omega.len())?;
        if coupling.dim() != (n, n) {
            return Err(OscillatorError::param(
                "coupling",
                "must be an N × N matrix matching the number of frequencies",
                format!("{:?}", coupling.dim()),
            ));
        }
        if let Some(w) = omega.iter().find(|w| !w.is_finite()) {
            return Err(OscillatorError::param("omega", "must be finite", w));
        }
        if let Some(c) = coupling
            .iter()
            .find(|c| !(c.re.is_finite() && c.im.is_finite()))
        {
            return Err(OscillatorError::param("coupling", "must be finite", c));
        }
        Ok(StuartLandauNetwork {
            lambda,
            omega,
            coupling: coupling.iter().copied().collect(),
        })
    }

    /// Number of oscillators.
    pub fn len(&self) -> usize {
        self.omega.len()
    }

    /// Always false: a network has at least one oscillator.
    pub fn is_empty(&self) -> bool {
        self.omega.is_empty()
    }

    /// Writes `dz/dt` for state `z` and a constant external forcing `forcing` (one complex value
    /// per oscillator).
    pub fn rhs(&self, z: &[Complex64], forcing: &[Complex64], dz: &mut [Complex64]) {
        let n = self.len();
        for j in 0..n {
            let zj = z[j];
            let row = &self.coupling[j * n..(j + 1) * n];
            let mut coupled = Complex64::new(0.0, 0.0);
            for (c, zk) in row.iter().zip(z) {
                coupled += c * zk;
            }
            dz[j] = Complex64::new(self.lambda, self.omega[j]) * zj - zj * zj.norm_sqr()
                + coupled
                + forcing[j];
        }
    }

    /// Integrates `z` for `steps` RK4 steps of size `h` under constant forcing.
    ///
    /// # Panics
    ///
    /// If the slice lengths or `rk` do not match the network size (a programming error).
    pub fn integrate(
        &self,
        rk: &mut Rk4<Complex64>,
        z: &mut [Complex64],
        forcing: &[Complex64],
        h: f64,
        steps: usize,
    ) {
        rk.integrate(0.0, z, h, steps, |_, y, dy| self.rhs(y, forcing, dy));
    }
}

/// A coupled Stuart–Landau network reservoir.
#[derive(Debug, Clone)]
pub struct StuartLandauReservoir {
    cfg: StuartLandauConfig,
    net: StuartLandauNetwork,
    input_dim: usize,
    /// `N × d` input gains.
    gains: Array2<f64>,
    /// `M × d` time mask.
    time_mask: Array2<f64>,
    z: Vec<Complex64>,
    scratch: Vec<Complex64>,
    forcing: Vec<Complex64>,
    rk: Rk4<Complex64>,
}

impl StuartLandauReservoir {
    /// Builds the network for `input_dim` input components, drawing frequencies, coupling and
    /// gains from the seed.
    ///
    /// # Errors
    ///
    /// [`OscillatorError::InvalidParameter`] naming the first parameter out of range.
    pub fn new(cfg: &StuartLandauConfig, input_dim: usize) -> Result<Self, OscillatorError> {
        at_least_one("input_dim", input_dim)?;
        let n = cfg.check_sizes()?;
        positive("theta", cfg.theta)?;
        finite("omega", cfg.omega)?;
        non_negative("omega_spread", cfg.omega_spread)?;
        non_negative("coupling", cfg.coupling)?;
        finite("coupling_phase", cfg.coupling_phase)?;
        finite("input_scaling", cfg.input_scaling)?;
        if !(cfg.connectivity > 0.0 && cfg.connectivity <= 1.0) {
            return Err(OscillatorError::param(
                "connectivity",
                "must lie in (0, 1]",
                cfg.connectivity,
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        rng.set_stream(WEIGHT_STREAM);
        let omega: Vec<f64> = (0..n)
            .map(|_| cfg.omega + cfg.omega_spread * (2.0 * rng.random::<f64>() - 1.0))
            .collect();
        let scale = Complex64::from_polar(cfg.coupling, cfg.coupling_phase)
            / (cfg.connectivity * n as f64).sqrt();
        let coupling = Array2::from_shape_fn((n, n), |(j, k)| {
            // Draw both numbers for every entry so the matrix does not depend on the order of
            // short-circuit evaluation.
            let keep = rng.random::<f64>() < cfg.connectivity;
            let w: f64 = StandardNormal.sample(&mut rng);
            if keep && j != k {
                scale * w
            } else {
                Complex64::new(0.0, 0.0)
            }
        });
        let gains = Array2::from_shape_fn((n, input_dim), |_| 2.0 * rng.random::<f64>() - 1.0);
        let time_mask = if cfg.virtual_nodes > 1 {
            draw_mask(
                MaskKind::Binary,
                cfg.virtual_nodes,
                input_dim,
                1.0,
                cfg.seed,
            )
        } else {
            Array2::ones((1, input_dim))
        };
        let net = StuartLandauNetwork::new(cfg.lambda, omega, coupling)?;
        Ok(StuartLandauReservoir {
            cfg: cfg.clone(),
            net,
            input_dim,
            gains,
            time_mask,
            z: vec![Complex64::new(0.0, 0.0); n],
            scratch: vec![Complex64::new(0.0, 0.0); n],
            forcing: vec![Complex64::new(0.0, 0.0); n],
            rk: Rk4::new(n),
        })
    }

    /// The network's vector field.
    pub fn network(&self) -> &StuartLandauNetwork {
        &self.net
    }

    /// The `N × d` input gains `G`.
    pub fn gains(&self) -> ArrayView2<'_, f64> {
        self.gains.view()
    }

    /// The current complex amplitudes.
    pub fn amplitudes(&self) -> &[Complex64] {
        &self.z
    }

    /// The configuration this reservoir was built from.
    pub fn config(&self) -> &StuartLandauConfig {
        &self.cfg
    }

    fn per_node(&self) -> usize {
        match self.cfg.readout {
            StuartLandauReadout::ReIm => 2 * self.cfg.oscillators,
            StuartLandauReadout::Intensity => self.cfg.oscillators,
        }
    }

    fn step_inner(&mut self, input: &[f64], out: &mut [f64]) -> Result<(), OscillatorError> {
        check_input(input, self.input_dim)?;
        check_state_len(out, self.state_dim())?;
        let n = self.cfg.oscillators;
        let h = self.cfg.theta / self.cfg.substeps as f64;
        self.scratch.copy_from_slice(&self.z);
        let per_node = self.per_node();
        for node in 0..self.cfg.virtual_nodes {
            let m = self.time_mask.row(node);
            for j in 0..n {
                let g = self.gains.row(j);
                let drive: f64 = (0..self.input_dim).map(|d| g[d] * m[d] * input[d]).sum();
                self.forcing[j] = Complex64::new(self.cfg.input_scaling * drive, 0.0);
            }
            self.net.integrate(
                &mut self.rk,
                &mut self.scratch,
                &self.forcing,
                h,
                self.cfg.substeps,
            );
            let block = &mut out[node * per_node..(node + 1) * per_node];
            match self.cfg.readout {
                StuartLandauReadout::ReIm => {
                    for (j, z) in self.scratch.iter().enumerate() {
                        block[2 * j] = z.re;
                        block[2 * j + 1] = z.im;
                    }
                }
                StuartLandauReadout::Intensity => {
                    for (b, z) in block.iter_mut().zip(&self.scratch) {
                        *b = z.norm_sqr();
                    }
                }
            }
        }
        if let Some(j) = self
            .scratch
            .iter()
            .position(|z| !(z.re.is_finite() && z.im.is_finite()))
        {
            return Err(OscillatorError::Diverged {
                model: "stuart-landau",
                detail: format!(
                    "oscillator {j} became non-finite; reduce theta/substeps or the coupling"
                ),
            });
        }
        self.z.copy_from_slice(&self.scratch);
        Ok(())
    }
}

impl Reservoir for StuartLandauReservoir {
    fn input_dim(&self) -> usize {
        self.input_dim
    }

    fn state_dim(&self) -> usize {
        self.cfg.virtual_nodes * self.per_node()
    }

    fn reset(&mut self) -> Result<(), Error> {
        self.z
            .iter_mut()
            .for_each(|z| *z = Complex64::new(0.0, 0.0));
        Ok(())
    }

    fn step(&mut self, input: &[f64], state_out: &mut [f64]) -> Result<(), Error> {
        Ok(self.step_inner(input, state_out)?)
    }

    fn info(&self) -> Info {
        let c = &self.cfg;
        Info::new("oscillator")
            .with("model", "stuart-landau")
            .with("oscillators", c.oscillators)
            .with("virtual_nodes", c.virtual_nodes)
            .with("theta", c.theta)
            .with("substeps", c.substeps)
            .with("lambda", c.lambda)
            .with("omega", c.omega)
            .with("omega_spread", c.omega_spread)
            .with("coupling", c.coupling)
            .with("coupling_phase", c.coupling_phase)
            .with("connectivity", c.connectivity)
            .with("input_scaling", c.input_scaling)
            .with(
                "readout",
                match c.readout {
                    StuartLandauReadout::ReIm => "re-im",
                    StuartLandauReadout::Intensity => "intensity",
                },
            )
            .with("seed", c.seed)
    }
}

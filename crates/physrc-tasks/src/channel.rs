//! Nonlinear channel equalisation.

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::error::{check_length, finite, invalid};
use crate::{Dataset, Targets, TaskError};

const TASK: &str = "channel-equalization";

/// The transmitted symbols; class `c` is `SYMBOLS[c]` (−3 → 0, −1 → 1, 1 → 2, 3 → 3).
pub const SYMBOLS: [f64; 4] = [-3.0, -1.0, 1.0, 3.0];

/// Channel taps `h_j` in `q(n) = Σ_j h_j·d(n + 2 − j)`, `j = 0..10` (Jaeger & Haas 2004).
const TAPS: [f64; 10] = [0.08, -0.12, 1.0, 0.18, -0.1, 0.091, -0.05, 0.04, 0.03, 0.01];

/// How the target symbol is presented to the readout.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelTarget {
    /// Class index 0–3 of `d(n−2)` (see [`SYMBOLS`]); the symbol error rate is
    /// `1 − accuracy`.
    #[default]
    Classes,
    /// The symbol value `d(n−2) ∈ {−3, −1, 1, 3}` as a regression target, as in Jaeger &
    /// Haas, whose readout output is rounded to the nearest symbol.
    Symbol,
}

/// Nonlinear channel equalisation (Jaeger & Haas 2004, Science 304, 78).
///
/// ```text
/// d(n) ∈ {−3, −1, 1, 3} i.i.d. uniform
/// q(n) = 0.08d(n+2) − 0.12d(n+1) + d(n) + 0.18d(n−1) − 0.1d(n−2) + 0.091d(n−3)
///        − 0.05d(n−4) + 0.04d(n−5) + 0.03d(n−6) + 0.01d(n−7)
/// u(n) = q(n) + 0.036q(n)² − 0.011q(n)³ + ν(n)
/// ```
///
/// A wireless channel with inter-symbol interference (a linear filter reaching two symbols
/// ahead and seven back), a memoryless cubic distortion, and Gaussian noise `ν`. The
/// reservoir sees `u(n)` and must recover `d(n−2)`: it needs memory (the interference) and
/// nonlinearity (the distortion), and is scored by symbol error rate (the paper sweeps SNR
/// from 12 to 32 dB).
///
/// # Noise
///
/// `ν(n) ~ N(0, σ²)` i.i.d. with `σ² = P / 10^(snr_db/10)`, where the signal power `P` is
/// the *expected* mean square of the noise-free channel output `q + 0.036q² − 0.011q³`,
/// computed exactly from the symbol distribution and the taps (4.364; see
/// [`ChannelEqualization::signal_power`]). The paper only says the noise is "adjusted in
/// power" to the SNR; the expected rather than the sample power keeps σ a property of the
/// channel, independent of the sequence length and seed.
///
/// Symbols and noise come from two streams of the same seeded generator, so a longer
/// request extends the same sequence.
///
/// # Alignment
///
/// Row `n` has input `u(n)` and target `d(n−2)`. The symbols before row 0 and after the
/// last row that `q` needs are drawn too, so every row is complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelEqualization {
    /// Signal-to-noise ratio in dB (default 24). Finite.
    pub snr_db: f64,
    /// Seed of the symbols and the noise (default 0).
    pub seed: u64,
    /// Classes or symbol values (default [`ChannelTarget::Classes`]).
    pub target: ChannelTarget,
}

impl Default for ChannelEqualization {
    fn default() -> Self {
        ChannelEqualization {
            snr_db: 24.0,
            seed: 0,
            target: ChannelTarget::Classes,
        }
    }
}

/// The noise-free channel output `q + 0.036q² − 0.011q³` for a given `q`.
fn distort(q: f64) -> f64 {
    q + 0.036 * q * q - 0.011 * q * q * q
}

impl ChannelEqualization {
    /// Checks the parameters.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] if `snr_db` is not finite.
    pub fn validate(&self) -> Result<(), TaskError> {
        finite(TASK, "snr_db", self.snr_db)
    }

    /// The expected power `E[(q + 0.036q² − 0.011q³)²]` of the noise-free channel output.
    ///
    /// Odd moments of `q` vanish (the symbols are symmetric), so the power needs `E[q²]`,
    /// `E[q⁴]` and `E[q⁶]`. They follow from the cumulants, which add over the independent
    /// taps: `κ_k(q) = Σ_j h_jᵏ·κ_k(d)`, with `κ₂(d) = 5`, `κ₄(d) = 41 − 3·5² = −34` and
    /// `κ₆(d) = 365 − 15·κ₄·κ₂ − 15·κ₂³ = 1040` for `d` uniform on `{±1, ±3}` (moments 5, 41,
    /// 365).
    pub fn signal_power() -> f64 {
        let tap_sum = |k: i32| TAPS.iter().map(|h| h.powi(k)).sum::<f64>();
        let k2 = 5.0 * tap_sum(2);
        let k4 = -34.0 * tap_sum(4);
        let k6 = 1040.0 * tap_sum(6);
        let m2 = k2;
        let m4 = k4 + 3.0 * k2 * k2;
        let m6 = k6 + 15.0 * k4 * k2 + 15.0 * k2 * k2 * k2;
        // (q + a q² + b q³)² with odd powers dropped: q² + (a² + 2b) q⁴ + b² q⁶.
        let (a, b) = (0.036, -0.011);
        m2 + (a * a + 2.0 * b) * m4 + b * b * m6
    }

    /// Generates `length` rows: input `u(n)`, target `d(n−2)` as a class or a value.
    ///
    /// # Errors
    ///
    /// [`TaskError::InvalidParameter`] for bad parameters or `length` 0.
    pub fn generate(&self, length: usize) -> Result<Dataset, TaskError> {
        self.validate()?;
        // Symbols d(−7) … d(length + 1): stored at index m + 7.
        let count = check_length(TASK, length, TAPS.len() - 1)?;
        let mut symbol_rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut noise_rng = ChaCha8Rng::seed_from_u64(self.seed);
        noise_rng.set_stream(1);
        let class: Vec<usize> = (0..count).map(|_| symbol_rng.random_range(0..4)).collect();
        let d = |m: usize| SYMBOLS[class[m]];

        let sigma = (Self::signal_power() / 10f64.powf(self.snr_db / 10.0)).sqrt();
        let noise = Normal::new(0.0, sigma)
            .map_err(|e| invalid(TASK, "snr_db", e.to_string(), self.snr_db))?;
        // Row n uses d(n + 2 − j), stored at index n + 9 − j.
        let inputs = Array2::from_shape_fn((length, 1), |(n, _)| {
            let q = (0..TAPS.len()).map(|j| TAPS[j] * d(n + 9 - j)).sum();
            distort(q) + noise.sample(&mut noise_rng)
        });

        // d(n − 2) is stored at index n + 5.
        let targets = match self.target {
            ChannelTarget::Classes => Targets::Classes {
                labels: Array1::from_shape_fn(length, |n| class[n + 5]),
                n_classes: SYMBOLS.len(),
            },
            ChannelTarget::Symbol => {
                Targets::Regression(Array2::from_shape_fn((length, 1), |(n, _)| d(n + 5)))
            }
        };
        Dataset::new(TASK, inputs, targets, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use physrc_core::{ErrorKind, HasErrorKind};

    fn noiseless_check(snr_db: f64) -> (f64, f64) {
        // With the symbol targets, rows n ≥ 2 reveal d(n−2); q(n) needs d(n−7) … d(n+2),
        // i.e. targets of rows n−5 … n+4. Returns the rms deviation of the input from the
        // noise-free channel recomputed by hand.
        let d = ChannelEqualization {
            snr_db,
            target: ChannelTarget::Symbol,
            ..ChannelEqualization::default()
        }
        .generate(20_000)
        .unwrap();
        let Targets::Regression(s) = &d.targets else {
            panic!("regression")
        };
        let sym = |m: usize| s[[m + 2, 0]]; // d(m) is the target of row m + 2
        let u = d.inputs.column(0);
        let mut sq = 0.0;
        let mut power = 0.0;
        let mut count = 0;
        for n in 7..d.len() - 4 {
            let q = 0.08 * sym(n + 2) - 0.12 * sym(n + 1) + sym(n) + 0.18 * sym(n - 1)
                - 0.1 * sym(n - 2)
                + 0.091 * sym(n - 3)
                - 0.05 * sym(n - 4)
                + 0.04 * sym(n - 5)
                + 0.03 * sym(n - 6)
                + 0.01 * sym(n - 7);
            let clean = q + 0.036 * q * q - 0.011 * q * q * q;
            sq += (u[n] - clean).powi(2);
            power += clean * clean;
            count += 1;
        }
        ((sq / count as f64).sqrt(), power / count as f64)
    }

    #[test]
    fn channel_and_noise_power() {
        // The input minus the hand-computed channel is the noise; its power must be the
        // signal power divided by the SNR.
        let (rms20, power) = noiseless_check(20.0);
        let (rms30, _) = noiseless_check(30.0);
        // The analytic expected power against the sample mean square (20,000 samples) and
        // against 4.361 from an independent 4·10⁵-sample Python simulation.
        let p = ChannelEqualization::signal_power();
        assert!((p - 4.3644).abs() < 1e-3, "analytic power {p}");
        assert!(
            (power / p - 1.0).abs() < 0.02,
            "sample power {power} vs {p}"
        );
        // 20 dB: noise power = signal power / 100; 10 dB more divides the rms by √10.
        assert!(
            (rms20 / (p / 100.0).sqrt() - 1.0).abs() < 0.02,
            "rms20 {rms20}"
        );
        assert!(
            (rms20 / rms30 - 10f64.sqrt()).abs() < 0.05,
            "{rms20} / {rms30}"
        );
    }

    #[test]
    fn classes_match_symbols_and_are_uniform() {
        let c = ChannelEqualization::default().generate(40_000).unwrap();
        let s = ChannelEqualization {
            target: ChannelTarget::Symbol,
            ..ChannelEqualization::default()
        }
        .generate(40_000)
        .unwrap();
        assert_eq!(c.inputs, s.inputs);
        let (Targets::Classes { labels, n_classes }, Targets::Regression(v)) =
            (&c.targets, &s.targets)
        else {
            panic!("target kinds")
        };
        assert_eq!(*n_classes, 4);
        let mut counts = [0usize; 4];
        for t in 0..c.len() {
            assert_eq!(SYMBOLS[labels[t]], v[[t, 0]]);
            counts[labels[t]] += 1;
        }
        for n in counts {
            assert!((n as f64 / 10_000.0 - 1.0).abs() < 0.05, "{counts:?}");
        }
    }

    #[test]
    fn rejects_non_finite_snr() {
        let e = ChannelEqualization {
            snr_db: f64::INFINITY,
            ..ChannelEqualization::default()
        }
        .generate(10)
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidParameter);
        assert_eq!(
            e.to_string(),
            "channel-equalization: `snr_db` must be finite, got inf"
        );
    }
}

//! Input masks for time multiplexing.
//!
//! A time-multiplexed reservoir holds each input sample for one "frame" of `M` virtual nodes
//! and multiplies it by a fixed mask value per node, so that consecutive virtual nodes see
//! different drives and respond differently (Appeltant et al. 2011).

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

/// How mask values are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MaskKind {
    /// Each entry is `+a` or `−a` with equal probability (Appeltant et al. 2011 use `±0.1`).
    #[default]
    Binary,
    /// Each entry is uniform in `[−a, a]`.
    Uniform,
}

/// Draws a `rows × cols` mask of amplitude `amplitude` from `seed`.
///
/// The mask uses ChaCha8 stream 0 of `seed`; noise generators use other streams, so changing
/// the noise never changes the mask.
pub fn draw_mask(
    kind: MaskKind,
    rows: usize,
    cols: usize,
    amplitude: f64,
    seed: u64,
) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(MASK_STREAM);
    Array2::from_shape_fn((rows, cols), |_| match kind {
        MaskKind::Binary => {
            if rng.random_bool(0.5) {
                amplitude
            } else {
                -amplitude
            }
        }
        MaskKind::Uniform => amplitude * (2.0 * rng.random::<f64>() - 1.0),
    })
}

/// The ChaCha8 stream of a seed that masks are drawn from.
pub(crate) const MASK_STREAM: u64 = 0;
/// The stream thermal noise is drawn from.
pub(crate) const NOISE_STREAM: u64 = 1;
/// The stream network weights (coupling, input gains, frequencies) are drawn from.
pub(crate) const WEIGHT_STREAM: u64 = 2;

/// Largest row sum of absolute values: the largest drive factor a normalised input in
/// `[-1, 1]^d` can produce through this mask.
pub(crate) fn max_abs_row_sum(mask: &Array2<f64>) -> f64 {
    mask.rows()
        .into_iter()
        .map(|r| r.iter().map(|v| v.abs()).sum::<f64>())
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_masks_take_both_signs_and_only_the_amplitude() {
        let m = draw_mask(MaskKind::Binary, 400, 1, 0.1, 3);
        assert!(m.iter().all(|&v| v == 0.1 || v == -0.1));
        let plus = m.iter().filter(|&&v| v > 0.0).count();
        // 400 fair coin flips: 200 ± 3σ (σ = 10).
        assert!((170..=230).contains(&plus), "{plus} positive entries");
    }

    #[test]
    fn masks_are_reproducible_and_depend_on_the_seed() {
        let a = draw_mask(MaskKind::Uniform, 20, 2, 1.0, 7);
        let b = draw_mask(MaskKind::Uniform, 20, 2, 1.0, 7);
        let c = draw_mask(MaskKind::Uniform, 20, 2, 1.0, 8);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|v| v.abs() <= 1.0));
        assert!(
            (max_abs_row_sum(&a)
                - a.rows()
                    .into_iter()
                    .map(|r| r[0].abs() + r[1].abs())
                    .fold(0.0, f64::max))
            .abs()
                < 1e-15
        );
    }
}

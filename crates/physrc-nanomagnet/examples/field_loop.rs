//! Times the flatspin field loop of Jensen et al. (2020) on square closed ice of side `n` (default 100):
//! alpha 0.001, hc 0.2, disorder 0.05, a ramp −0.1 → 0.1 → −0.1 T at 45° in 200 steps, one
//! relax per step. Prints one JSON line: magnets, build and loop wall time, total flips.
//!
//! `cargo run --release -p physrc-nanomagnet --example field_loop -- 1000`
//!
//! Options for side-by-side runs (`benches/peers/flatspin_field_loop.py`):
//! `--thresholds TH.npy` (N float64, replaces the ChaCha8 disorder draw),
//! `--h-ext H.npy` (T×2 float64 global field, replaces the built-in ramp) and
//! `--spins-out S.npy` (the final N int8 spins).

use std::time::Instant;

use ndarray::{Array1, Array2};
use ndarray_npy::{read_npy, write_npy};
use physrc_nanomagnet::{Layout, ModelParams, SpinIce};

/// The loop's 200-step triangular ramp at 45°.
fn ramp() -> Vec<[f64; 2]> {
    let (c, s) = (45f64.to_radians().cos(), 45f64.to_radians().sin());
    (0..200)
        .map(|t| {
            let h = if t < 100 {
                -0.1 + 0.2 * t as f64 / 100.0
            } else {
                0.1 - 0.2 * (t - 100) as f64 / 100.0
            };
            [h * c, h * s]
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut n = 100usize;
    let (mut thresholds, mut h_ext, mut spins_out) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--thresholds" => thresholds = Some(args.next().ok_or("--thresholds FILE")?),
            "--h-ext" => h_ext = Some(args.next().ok_or("--h-ext FILE")?),
            "--spins-out" => spins_out = Some(args.next().ok_or("--spins-out FILE")?),
            other => n = other.parse()?,
        }
    }
    let fields: Vec<[f64; 2]> = match &h_ext {
        Some(path) => {
            let h: Array2<f64> = read_npy(path)?;
            if h.ncols() != 2 {
                return Err(format!("{path}: expected T x 2, got {:?}", h.shape()).into());
            }
            h.rows().into_iter().map(|r| [r[0], r[1]]).collect()
        }
        None => ramp(),
    };
    let t0 = Instant::now();
    let params = ModelParams {
        disorder: 0.05,
        random_seed: 1,
        ..ModelParams::default()
    }
    .check()?;
    let mut ice = SpinIce::new(Layout::square_closed(n, n, 1.0)?, params)?;
    if let Some(path) = &thresholds {
        let th: Array1<f64> = read_npy(path)?;
        ice.set_thresholds(th.view())?;
    }
    let build = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut flips = 0;
    for &h in &fields {
        ice.set_field(h)?;
        flips += ice.relax().flips;
    }
    let loop_s = t1.elapsed().as_secs_f64();
    if let Some(path) = &spins_out {
        write_npy(path, &Array1::from(ice.spins().to_vec()))?;
    }
    println!(
        "{{\"size\": {n}, \"magnets\": {}, \"steps\": {}, \"build_s\": {build:.6}, \
         \"loop_s\": {loop_s:.6}, \"flips\": {flips}}}",
        ice.len(),
        fields.len()
    );
    Ok(())
}

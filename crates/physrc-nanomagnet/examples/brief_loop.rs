//! Times the field loop of the physics brief on square closed ice of side `n` (default 100):
//! alpha 0.001, hc 0.2, disorder 0.05, a ramp −0.1 → 0.1 → −0.1 T at 45° in 200 steps, one
//! relax per step. Prints the build time, the loop time and the total flip count.
//!
//! `cargo run --release -p physrc-nanomagnet --example brief_loop -- 1000`

use std::time::Instant;

use physrc_nanomagnet::{Layout, ModelParams, SpinIce};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100);
    let t0 = Instant::now();
    let params = ModelParams {
        disorder: 0.05,
        random_seed: 1,
        ..ModelParams::default()
    }
    .check()?;
    let mut ice = SpinIce::new(Layout::square_closed(n, n, 1.0)?, params)?;
    let build = t0.elapsed().as_secs_f64();
    let (c, s) = (45f64.to_radians().cos(), 45f64.to_radians().sin());
    let t1 = Instant::now();
    let mut flips = 0;
    for t in 0..200 {
        let h = if t < 100 {
            -0.1 + 0.2 * t as f64 / 100.0
        } else {
            0.1 - 0.2 * (t - 100) as f64 / 100.0
        };
        ice.set_field([h * c, h * s])?;
        flips += ice.relax().flips;
    }
    println!(
        "{n}x{n}: {} magnets, build {build:.2} s, 200-step loop {:.2} s, {flips} flips",
        ice.len(),
        t1.elapsed().as_secs_f64()
    );
    Ok(())
}

//! Drives a nanomagnet reservoir from a `[substrate]`-style TOML (without `kind`) with a
//! `T × 1` `.npy` of inputs in `[-1, 1]` and writes the `T × state_dim` states, for quick
//! studies outside `physrc run`.
//!
//! `cargo run --release -p physrc-nanomagnet --example drive -- CONFIG.toml INPUTS.npy OUT.npy`

use std::path::Path;

use ndarray::Array2;
use ndarray_npy::{read_npy, write_npy};
use physrc_core::Reservoir;
use physrc_nanomagnet::NanomagnetConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        return Err("usage: drive CONFIG.toml INPUTS.npy OUT.npy".into());
    }
    let cfg: NanomagnetConfig = toml::from_str(&std::fs::read_to_string(&args[1])?)?;
    let base = Path::new(&args[1]).parent().unwrap_or(Path::new("."));
    let inputs: Array2<f64> = read_npy(&args[2])?;
    let mut r = cfg.build(base, inputs.ncols())?;
    let t0 = std::time::Instant::now();
    let states = r.run(inputs.view())?;
    eprintln!(
        "{} steps, {} states, {} flips, {:.3} s",
        inputs.nrows(),
        r.state_dim(),
        r.flips(),
        t0.elapsed().as_secs_f64()
    );
    write_npy(&args[3], &states)?;
    Ok(())
}

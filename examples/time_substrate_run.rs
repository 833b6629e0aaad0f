//! Times `Reservoir::run` on a whole input sequence inside Rust: the substrate of a run config
//! built as `physrc run` builds it, driven through every row of an `.npy` file at once, best of
//! several `reset` + `run` rounds. It is the Rust side of `benches/peers/python_overhead.py`,
//! which times the same call from Python, so the two differ only by what Python adds.
//!
//! Usage: `cargo run --release --example time_substrate_run -- CONFIG INPUTS.npy [REPEATS]`;
//! prints the best time in seconds and the states' shape as one JSON object.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use ndarray::Array2;
use physrc::config::RunConfig;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (config, inputs, repeats) = match args.as_slice() {
        [c, i] => (c, i, 5),
        [c, i, r] => (
            c,
            i,
            r.parse::<usize>()
                .ok()
                .filter(|&r| r > 0)
                .ok_or_else(|| format!("repeats must be a positive integer, not {r:?}"))?,
        ),
        _ => return Err("usage: time_substrate_run CONFIG INPUTS.npy [REPEATS]".to_owned()),
    };
    let cfg = RunConfig::from_path(&PathBuf::from(config)).map_err(|e| e.to_string())?;
    let kind = cfg.substrate_kind().map_err(|e| e.to_string())?.to_owned();
    let u: Array2<f64> = ndarray_npy::read_npy(inputs).map_err(|e| format!("{inputs}: {e}"))?;
    let mut r = physrc::substrate::build(&kind, &cfg, u.ncols()).map_err(|e| e.to_string())?;
    let mut best = f64::INFINITY;
    let mut shape = (0, 0);
    for _ in 0..repeats {
        r.reset().map_err(|e| e.to_string())?;
        let t0 = Instant::now();
        let states = r.run(u.view()).map_err(|e| e.to_string())?;
        best = best.min(t0.elapsed().as_secs_f64());
        shape = states.dim();
    }
    println!(
        "{{\"best_seconds\": {best}, \"repeats\": {repeats}, \"rows\": {}, \"state_dim\": {}}}",
        shape.0, shape.1
    );
    Ok(())
}

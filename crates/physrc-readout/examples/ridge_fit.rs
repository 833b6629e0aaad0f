//! Times one ridge fit on states loaded from `.npy`, for the side-by-side comparison with
//! numpy/scipy in `benches/peers/ridge_vs_numpy.py`.
//!
//! ```text
//! cargo run --release -p physrc-readout --example ridge_fit -- X.npy Y.npy ALPHA W_OUT.npy [REPEATS]
//! ```
//!
//! Fits `REPEATS` times (default 3) with an intercept by centring (the crate's convention),
//! times each fit alone (file loading excluded), writes the weights (features × outputs) to
//! `W_OUT.npy` and prints one JSON object with the times on stdout.

use std::process::ExitCode;
use std::time::Instant;

use ndarray::{Array1, Array2, Axis};
use ndarray_npy::{read_npy, write_npy};
use physrc_readout::Ridge;

fn load_2d(path: &str) -> Result<Array2<f64>, String> {
    match read_npy::<_, Array2<f64>>(path) {
        Ok(a) => Ok(a),
        Err(_) => read_npy::<_, Array1<f64>>(path)
            .map(|a| a.insert_axis(Axis(1)))
            .map_err(|e| format!("cannot read {path} as a 1-D or 2-D float64 array: {e}")),
    }
}

fn run(args: &[String]) -> Result<(), String> {
    if args.len() < 4 || args.len() > 5 {
        return Err("usage: ridge_fit X.npy Y.npy ALPHA W_OUT.npy [REPEATS]".into());
    }
    let x = load_2d(&args[0])?;
    let y = load_2d(&args[1])?;
    let alpha: f64 = args[2]
        .parse()
        .map_err(|e| format!("ALPHA must be a number, got {:?}: {e}", args[2]))?;
    let repeats: usize = match args.get(4) {
        Some(r) => r
            .parse()
            .map_err(|e| format!("REPEATS must be a positive integer, got {r:?}: {e}"))?,
        None => 3,
    };
    let ridge = Ridge::new(alpha).map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    let mut fit = None;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let f = ridge.fit(x.view(), y.view()).map_err(|e| e.to_string())?;
        times.push(t0.elapsed().as_secs_f64());
        fit = Some(f);
    }
    let fit = fit.ok_or("no fit was run")?;
    write_npy(&args[3], &fit.weights().to_owned())
        .map_err(|e| format!("cannot write {}: {e}", args[3]))?;
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let report = serde_json::json!({
        "tool": "physrc-readout",
        "samples": x.nrows(),
        "features": x.ncols(),
        "outputs": y.ncols(),
        "alpha": alpha,
        "intercept": "centred",
        "threads": rayon::current_num_threads(),
        "fit_seconds": times,
        "fit_seconds_min": best,
    });
    println!("{report}");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ridge_fit: {e}");
            ExitCode::FAILURE
        }
    }
}

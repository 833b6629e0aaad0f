//! Scores a nanomagnet run config (`configs/nanomagnet-*.toml`) the way `physrc run` does,
//! for studies before the facade dispatches `kind = "nanomagnet"`: the `[task]` table
//! generates the data (physrc-tasks), inputs are scaled into `[-1, 1]` (by the task's known
//! range, else the sample's), the reservoir is driven from reset, the first `washout` states
//! are dropped, a ridge readout (physrc-readout, intercept, `alpha` from `[readout]`, default
//! 1e-6) is fitted on the next `train` rows and the NRMSE reported on the `test` rows after.
//!
//! `cargo run --release -p physrc-nanomagnet --example study -- CONFIG.toml [key=value ...]`
//!
//! `key=value` pairs override `[substrate]` keys (TOML values, e.g. `readout="spins"`,
//! `wide_bars="none"`, `h_min=0.06`) to compare variants on identical data.

use std::path::Path;

use ndarray::{Array2, s};
use physrc_core::Reservoir;
use physrc_nanomagnet::NanomagnetConfig;
use physrc_readout::{Ridge, metrics::nrmse};
use physrc_tasks::{Targets, TaskSpec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: study CONFIG.toml [key=value ...]")?;
    let doc: toml::Table = toml::from_str(&std::fs::read_to_string(path)?)?;
    let mut sub = doc
        .get("substrate")
        .and_then(|v| v.as_table())
        .ok_or("no [substrate]")?
        .clone();
    sub.remove("kind");
    for kv in &args[1..] {
        let (k, v) = kv.split_once('=').ok_or("overrides are key=value")?;
        let value: toml::Table = toml::from_str(&format!("v = {v}"))?;
        sub.insert(k.to_owned(), value["v"].clone());
    }
    let cfg: NanomagnetConfig = sub.try_into()?;
    let task: TaskSpec = doc.get("task").ok_or("no [task]")?.clone().try_into()?;
    let split = doc.get("split").ok_or("no [split]")?;
    let get = |k: &str| -> Result<usize, Box<dyn std::error::Error>> {
        Ok(split
            .get(k)
            .and_then(|v| v.as_integer())
            .ok_or(format!("split.{k}"))? as usize)
    };
    let (washout, train, test) = (get("washout")?, get("train")?, get("test")?);
    let alpha = doc
        .get("readout")
        .and_then(|r| r.get("alpha"))
        .and_then(|a| a.as_float())
        .unwrap_or(1e-6);

    let data = task.generate(washout + train + test)?;
    let Targets::Regression(y) = &data.targets else {
        return Err("only regression tasks".into());
    };
    let x = &data.inputs;
    let (lo, hi) = data.input_range.unwrap_or_else(|| {
        let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    });
    let u: Array2<f64> = x.mapv(|v| 2.0 * (v - lo) / (hi - lo) - 1.0);

    let base = Path::new(path).parent().unwrap_or(Path::new("."));
    let mut r = cfg.build(base, u.ncols())?;
    let t0 = std::time::Instant::now();
    let states = r.run(u.view())?;
    let secs = t0.elapsed().as_secs_f64();
    let info = r.info();
    let vortices = info.get("vortices").map(|v| v.to_string());

    let (a, b) = (washout, washout + train);
    let fit = Ridge::new(alpha)?.fit(states.slice(s![a..b, ..]), y.slice(s![a..b, ..]))?;
    let tr = nrmse(
        fit.predict(states.slice(s![a..b, ..]))?.view(),
        y.slice(s![a..b, ..]),
    )?;
    let te = nrmse(
        fit.predict(states.slice(s![b.., ..]))?.view(),
        y.slice(s![b.., ..]),
    )?;
    // The same readout on the scaled input alone: what a linear map of u(t) achieves.
    let lin = Ridge::new(alpha)?.fit(u.slice(s![a..b, ..]), y.slice(s![a..b, ..]))?;
    let base_te = nrmse(
        lin.predict(u.slice(s![b.., ..]))?.view(),
        y.slice(s![b.., ..]),
    )?;
    println!(
        "{{\"config\": {path:?}, \"overrides\": {:?}, \"task\": {:?}, \"state_dim\": {}, \
         \"flips\": {}, \"vortices_at_end\": {}, \"train_nrmse\": {tr:.4}, \
         \"test_nrmse\": {te:.4}, \"input_only_test_nrmse\": {base_te:.4}, \
         \"alpha\": {alpha:e}, \"seconds\": {secs:.2}}}",
        &args[1..],
        data.name,
        r.state_dim(),
        r.flips(),
        vortices.unwrap_or_else(|| "null".into()),
    );
    Ok(())
}

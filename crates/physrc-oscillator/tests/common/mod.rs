//! Shared helpers for the acceptance tests: read a run config the way `physrc run` does
//! (`docs/config.md`), generate its task with `physrc_tasks::TaskSpec`, normalise the inputs
//! into `[-1, 1]` from the task's known range, drive the reservoir once without a break, and
//! fit a centred ridge readout (`(XᵀX + αI) w = Xᵀy`, unpenalised intercept, as
//! `physrc-readout` does) on the training part.
//!
//! This stands in for the CLI until `physrc run` can build oscillators; the lead re-checks the
//! same config files through it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use faer::{Mat, Side};
use ndarray::{Array1, Array2, ArrayView2, Axis, s};
use physrc_core::Reservoir;
use physrc_oscillator::OscillatorConfig;
use physrc_tasks::{Dataset, TaskSpec};

/// A run config file, parsed.
#[derive(Debug, Clone)]
pub struct RunFile {
    pub substrate: OscillatorConfig,
    pub task: TaskSpec,
    pub washout: usize,
    pub train: usize,
    pub test: usize,
    pub alpha: f64,
    pub readout_kind: String,
    /// `[readout] features = "state-squared"`: the runner appends element-wise squares.
    pub squared: bool,
    pub dir: PathBuf,
}

/// The repository's `configs/` folder.
pub fn configs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs")
}

/// Reads `configs/<name>`; `seed` overrides the substrate's and the task's seed, as
/// `physrc run --seed` does.
pub fn load(name: &str, seed: Option<u64>) -> RunFile {
    let dir = configs_dir();
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut table: toml::Table = toml::from_str(&text).expect("valid toml");
    let mut take = |k: &str| -> toml::Table {
        table
            .remove(k)
            .unwrap_or_else(|| panic!("{name}: no [{k}]"))
            .try_into()
            .expect("a table")
    };
    let mut sub = take("substrate");
    let mut task = take("task");
    let split = take("split");
    let readout = take("readout");
    assert_eq!(
        sub.remove("kind")
            .and_then(|v| v.as_str().map(str::to_owned)),
        Some("oscillator".to_owned())
    );
    if let Some(s) = seed {
        let s = toml::Value::Integer(s as i64);
        sub.insert("seed".into(), s.clone());
        task.insert("seed".into(), s);
    }
    let get =
        |t: &toml::Table, k: &str| t.get(k).and_then(|v| v.as_integer()).unwrap_or(0) as usize;
    RunFile {
        substrate: sub.try_into().expect("oscillator config"),
        task: task.try_into().expect("task spec"),
        washout: get(&split, "washout"),
        train: get(&split, "train"),
        test: get(&split, "test"),
        alpha: readout
            .get("alpha")
            .and_then(|v| v.as_float())
            .unwrap_or(1e-6),
        readout_kind: readout
            .get("kind")
            .and_then(|v| v.as_str())
            .unwrap_or("ridge")
            .to_owned(),
        squared: readout.get("features").and_then(|v| v.as_str()) == Some("state-squared"),
        dir,
    }
}

/// Generates the task and drives the reservoir over the whole run; returns the data set and
/// all states (`T × state_dim`).
pub fn drive(run: &RunFile) -> (Dataset, Array2<f64>) {
    let total = run.washout + run.train + run.test;
    let mut data = run.task.generate(total).expect("task generates");
    let (lo, hi) = data
        .input_range
        .expect("generated tasks with a known range");
    data.inputs
        .mapv_inplace(|v| (2.0 * (v - lo) / (hi - lo) - 1.0).clamp(-1.0, 1.0));
    let mut r = run
        .substrate
        .build(&run.dir, data.inputs.ncols())
        .expect("builds");
    r.reset().unwrap();
    let states = r.run(data.inputs.view()).expect("runs");
    if run.squared {
        let sq = states.mapv(|v| v * v);
        let states = ndarray::concatenate(Axis(1), &[states.view(), sq.view()]).unwrap();
        (data, states)
    } else {
        (data, states)
    }
}

/// A fitted linear readout `y = x w + b`.
#[derive(Debug, Clone)]
pub struct Linear {
    pub w: Array2<f64>,
    pub b: Array1<f64>,
}

impl Linear {
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        x.dot(&self.w) + &self.b
    }
}

/// Ridge regression with an unpenalised intercept: centre `x` and `y`, then solve
/// `(XᵀX + αI) w = Xᵀy` through the symmetric eigendecomposition (directions with
/// `λ + α ≤ 1e-14 · λ_max` are dropped, as a pseudo-inverse would).
pub fn ridge(x: ArrayView2<'_, f64>, y: ArrayView2<'_, f64>, alpha: f64) -> Linear {
    let mx = x.mean_axis(Axis(0)).unwrap();
    let my = y.mean_axis(Axis(0)).unwrap();
    let xc = &x - &mx;
    let yc = &y - &my;
    let g = xc.t().dot(&xc);
    let rhs = xc.t().dot(&yc);
    let n = g.nrows();
    let gm = Mat::from_fn(n, n, |i, j| g[[i, j]]);
    let eig = gm
        .self_adjoint_eigen(Side::Lower)
        .expect("eigendecomposition");
    let u = eig.U();
    let lam = eig.S().column_vector();
    let lmax = (0..n).map(|i| lam[i]).fold(0.0, f64::max);
    let u_nd = Array2::from_shape_fn((n, n), |(i, j)| u[(i, j)]);
    let mut proj = u_nd.t().dot(&rhs);
    for (i, mut row) in proj.rows_mut().into_iter().enumerate() {
        let d = lam[i] + alpha;
        let f = if d > 1e-14 * lmax { 1.0 / d } else { 0.0 };
        row.mapv_inplace(|v| v * f);
    }
    let w = u_nd.dot(&proj);
    let b = &my - &mx.dot(&w);
    Linear { w, b }
}

/// Least squares with an unpenalised intercept solved on the centred state matrix itself
/// (thin SVD, singular values below `max(T, n) ε σ_max` dropped, as a pseudo-inverse would).
///
/// Unlike [`ridge`], which squares the condition number by forming `XᵀX` and so cannot see
/// directions below ~1e-7 of the largest singular value, this keeps directions down to
/// ~1e-12: the precision of `pinv(X)` or a QR solve on `X`, which delay-reservoir studies use.
pub fn lstsq_svd(x: ArrayView2<'_, f64>, y: ArrayView2<'_, f64>) -> Linear {
    let mx = x.mean_axis(Axis(0)).unwrap();
    let my = y.mean_axis(Axis(0)).unwrap();
    let xc = &x - &mx;
    let yc = &y - &my;
    let (t, n) = xc.dim();
    let xm = Mat::from_fn(t, n, |i, j| xc[[i, j]]);
    let svd = xm.thin_svd().expect("svd");
    let (u, sv, v) = (svd.U(), svd.S().column_vector(), svd.V());
    let k = sv.nrows();
    let smax = (0..k).map(|i| sv[i]).fold(0.0, f64::max);
    let tol = smax * t.max(n) as f64 * f64::EPSILON;
    let u_nd = Array2::from_shape_fn((t, k), |(i, j)| u[(i, j)]);
    let v_nd = Array2::from_shape_fn((n, k), |(i, j)| v[(i, j)]);
    let mut proj = u_nd.t().dot(&yc);
    for (i, mut row) in proj.rows_mut().into_iter().enumerate() {
        let f = if sv[i] > tol { 1.0 / sv[i] } else { 0.0 };
        row.mapv_inplace(|v| v * f);
    }
    let w = v_nd.dot(&proj);
    let b = &my - &mx.dot(&w);
    Linear { w, b }
}

/// NRMSE = sqrt(mean((ŷ − y)²) / var(y)), averaged over output columns.
pub fn nrmse(pred: ArrayView2<'_, f64>, y: ArrayView2<'_, f64>) -> f64 {
    let k = y.ncols();
    (0..k)
        .map(|j| {
            let (p, t) = (pred.column(j), y.column(j));
            let mse = (&p - &t).mapv(|v| v * v).mean().unwrap();
            let m = t.mean().unwrap();
            let var = t.mapv(|v| (v - m) * (v - m)).mean().unwrap();
            (mse / var).sqrt()
        })
        .sum::<f64>()
        / k as f64
}

/// Squared correlation of two equally long columns.
pub fn r2(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa == 0.0 || sbb == 0.0 {
        0.0
    } else {
        sab * sab / (saa * sbb)
    }
}

/// Jaeger's memory capacity (GMD Report 148, 2001): `Σ_{k=1..max_delay} r²(u(t−k), ŷ_k(t))`,
/// each `ŷ_k` a ridge readout fitted on `train` steps and scored on the next `test` (held
/// out), after `washout` steps. The input is `physrc_tasks`' i.i.d. `U[−1, 1]` stream.
///
/// Returns the total and the per-delay capacities.
pub fn memory_capacity(
    cfg: &OscillatorConfig,
    max_delay: usize,
    washout: usize,
    train: usize,
    test: usize,
    alpha: f64,
) -> (f64, Vec<f64>) {
    let spec: TaskSpec = toml::from_str("kind = \"memory-capacity\"\nseed = 11").unwrap();
    let total = washout + train + test;
    assert!(washout >= max_delay);
    let data = spec.generate(total).unwrap();
    let u = data.inputs.column(0).to_owned();
    let mut r = cfg.build(Path::new("."), 1).expect("builds");
    let states = r.run(data.inputs.view()).expect("runs");
    // Targets: column k − 1 holds u(t − k).
    let targets = Array2::from_shape_fn(
        (total, max_delay),
        |(t, k)| {
            if t > k { u[t - k - 1] } else { 0.0 }
        },
    );
    let tr = washout..washout + train;
    let te = washout + train..total;
    let fit = ridge(
        states.slice(s![tr.clone(), ..]),
        targets.slice(s![tr, ..]),
        alpha,
    );
    let pred = fit.predict(states.slice(s![te.clone(), ..]));
    let tt = targets.slice(s![te, ..]);
    let per: Vec<f64> = (0..max_delay)
        .map(|k| r2(&pred.column(k).to_vec(), &tt.column(k).to_vec()))
        .collect();
    (per.iter().sum(), per)
}

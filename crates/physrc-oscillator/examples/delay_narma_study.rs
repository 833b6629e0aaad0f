//! Study of the delay reservoir on NARMA10: 10-seed NRMSE of model and readout
//! variants around Appeltant et al.'s parameters (N = 400, θ = 0.2, η = 0.4, γ = 0.05, p = 1,
//! mask ±0.1).
//!
//! ```text
//! cargo run --release -p physrc-oscillator --example delay_narma_study -- [variant ...]
//! ```
//!
//! Each variant prints the mean ± sd (over seeds 0..10, mask and NARMA stream re-seeded) of the
//! test NRMSE with washout 200, train 4000, test 1000, as `configs/appeltant2011-narma10.toml`.
//! Two readouts are compared: the runner's (centred Gram matrix, eigen-solve, pseudo-inverse
//! cut at `n ε λ_max`) and a least-squares solve on the centred state matrix itself (thin
//! SVD, cut at `n ε σ_max`), which keeps singular values down to ~1e-13 of the largest instead
//! of ~1e-7.

use faer::{Mat, Side};
use ndarray::{Array1, Array2, ArrayView2, Axis, s};
use physrc_core::Reservoir;
use physrc_oscillator::{DelayConfig, DelayReservoir};
use physrc_tasks::{Targets, TaskSpec};

const WASHOUT: usize = 200;
const TRAIN: usize = 4000;
const TEST: usize = 1000;

#[derive(Clone, Copy, Debug)]
enum Readout {
    /// Gram eigen-solve with ridge `alpha` (relative to the mean Gram diagonal when `rel`).
    Gram { alpha: f64, rel: bool },
    /// Least squares on the centred states through a thin SVD.
    Svd,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let all = [
        "baseline",
        "baseline-svd",
        "norm-input",
        "norm-input-svd",
        "standardised",
        "ridge-rel",
    ];
    let which: Vec<&str> = if args.is_empty() {
        all.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    for v in which {
        let mut cfg = DelayConfig {
            input_offset: 0.25,
            input_scale: 0.25,
            ..DelayConfig::default()
        };
        let mut readout = Readout::Gram {
            alpha: 0.0,
            rel: false,
        };
        let mut standardise = false;
        let mut squared = false;
        for part in v.split('+') {
            match part {
                "baseline" => {}
                "baseline-svd" => readout = Readout::Svd,
                "svd" => readout = Readout::Svd,
                "norm-input" => {
                    cfg.input_offset = 0.0;
                    cfg.input_scale = 1.0;
                }
                "norm-input-svd" => {
                    cfg.input_offset = 0.0;
                    cfg.input_scale = 1.0;
                    readout = Readout::Svd;
                }
                "standardised" => standardise = true,
                "sq" => squared = true,
                "ridge-rel" => {
                    readout = Readout::Gram {
                        alpha: 1e-10,
                        rel: true,
                    }
                }
                p if p.starts_with("eta=") => cfg.eta = p[4..].parse().unwrap(),
                p if p.starts_with("gamma=") => cfg.gamma = p[6..].parse().unwrap(),
                p if p.starts_with("theta=") => cfg.theta = p[6..].parse().unwrap(),
                p if p.starts_with("off=") => cfg.input_offset = p[4..].parse().unwrap(),
                p if p.starts_with("scale=") => cfg.input_scale = p[6..].parse().unwrap(),
                p if p.starts_with("desync=") => cfg.delay_offset = p[7..].parse().unwrap(),
                p if p.starts_with("p=") => cfg.p = p[2..].parse().unwrap(),
                p if p.starts_with("k=") => cfg.substeps = p[2..].parse().unwrap(),
                p if p.starts_with("mask=") => cfg.mask_amplitude = p[5..].parse().unwrap(),
                p if p.starts_with("relridge=") => {
                    readout = Readout::Gram {
                        alpha: p[9..].parse().unwrap(),
                        rel: true,
                    }
                }
                other => panic!("unknown variant part {other}"),
            }
        }
        // `SEEDS` narrows the study to seeds 0..SEEDS (as `physrc run --seed 0..SEEDS - 1`).
        let seeds: u64 = std::env::var("SEEDS").map_or(10, |v| v.parse().unwrap());
        let scores: Vec<f64> = (0..seeds)
            .map(|seed| score(&cfg, seed, readout, standardise, squared))
            .collect();
        let n = scores.len() as f64;
        let mean = scores.iter().sum::<f64>() / n;
        let sd = (scores.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        println!("{v:40} NRMSE {mean:.4} ± {sd:.4}");
    }
}

fn score(cfg: &DelayConfig, seed: u64, readout: Readout, standardise: bool, squared: bool) -> f64 {
    let total = WASHOUT + TRAIN + TEST;
    let spec: TaskSpec = toml::from_str(&format!("kind = \"narma10\"\nseed = {seed}")).unwrap();
    let mut data = spec.generate(total).unwrap();
    let (lo, hi) = data.input_range.unwrap();
    data.inputs
        .mapv_inplace(|v| (2.0 * (v - lo) / (hi - lo) - 1.0).clamp(-1.0, 1.0));
    let cfg = DelayConfig {
        seed,
        ..cfg.clone()
    };
    let mut r = DelayReservoir::new(&cfg, 1).unwrap();
    let mut x = r.run(data.inputs.view()).unwrap();
    if squared {
        let sq = x.mapv(|v| v * v);
        x = ndarray::concatenate(Axis(1), &[x.view(), sq.view()]).unwrap();
    }
    if standardise {
        let m = x
            .slice(s![WASHOUT..WASHOUT + TRAIN, ..])
            .mean_axis(Axis(0))
            .unwrap();
        let sdv = x
            .slice(s![WASHOUT..WASHOUT + TRAIN, ..])
            .std_axis(Axis(0), 0.0);
        x = (&x - &m) / &sdv.mapv(|v| if v > 0.0 { v } else { 1.0 });
    }
    let Targets::Regression(y) = &data.targets else {
        unreachable!()
    };
    let tr = WASHOUT..WASHOUT + TRAIN;
    let te = WASHOUT + TRAIN..total;
    let (w, b) = fit(x.slice(s![tr.clone(), ..]), y.slice(s![tr, ..]), readout);
    let pred = x.slice(s![te.clone(), ..]).dot(&w) + &b;
    let t = y.slice(s![te, ..]);
    let mse = (&pred - &t).mapv(|v| v * v).mean().unwrap();
    (mse / t.var(0.0)).sqrt()
}

fn fit(
    x: ArrayView2<'_, f64>,
    y: ArrayView2<'_, f64>,
    readout: Readout,
) -> (Array2<f64>, Array1<f64>) {
    let mx = x.mean_axis(Axis(0)).unwrap();
    let my = y.mean_axis(Axis(0)).unwrap();
    let xc = &x - &mx;
    let yc = &y - &my;
    let n = xc.ncols();
    let w = match readout {
        Readout::Gram { alpha, rel } => {
            let g = xc.t().dot(&xc);
            let a = if rel {
                alpha * g.diag().mean().unwrap()
            } else {
                alpha
            };
            let rhs = xc.t().dot(&yc);
            let gm = Mat::from_fn(n, n, |i, j| g[[i, j]]);
            let eig = gm.self_adjoint_eigen(Side::Lower).unwrap();
            let u = eig.U();
            let lam = eig.S().column_vector();
            let lmax = (0..n).map(|i| lam[i].abs()).fold(0.0, f64::max);
            let tol = lmax * n as f64 * f64::EPSILON;
            let u_nd = Array2::from_shape_fn((n, n), |(i, j)| u[(i, j)]);
            let mut proj = u_nd.t().dot(&rhs);
            for (i, mut row) in proj.rows_mut().into_iter().enumerate() {
                let l = lam[i].max(0.0);
                let f = if l + a > tol { 1.0 / (l + a) } else { 0.0 };
                row.mapv_inplace(|v| v * f);
            }
            u_nd.dot(&proj)
        }
        Readout::Svd => {
            let t = xc.nrows();
            let xm = Mat::from_fn(t, n, |i, j| xc[[i, j]]);
            let svd = xm.thin_svd().unwrap();
            let (u, sv, v) = (svd.U(), svd.S().column_vector(), svd.V());
            let smax = (0..n).map(|i| sv[i]).fold(0.0, f64::max);
            let tol = smax * t.max(n) as f64 * f64::EPSILON;
            let u_nd = Array2::from_shape_fn((t, n), |(i, j)| u[(i, j)]);
            let v_nd = Array2::from_shape_fn((n, n), |(i, j)| v[(i, j)]);
            let mut proj = u_nd.t().dot(&yc);
            for (i, mut row) in proj.rows_mut().into_iter().enumerate() {
                let f = if sv[i] > tol { 1.0 / sv[i] } else { 0.0 };
                row.mapv_inplace(|v| v * f);
            }
            v_nd.dot(&proj)
        }
    };
    let b = &my - &mx.dot(&w);
    (w, b)
}

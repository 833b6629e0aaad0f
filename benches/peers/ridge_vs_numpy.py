#!/usr/bin/env python3
"""Side-by-side ridge fit: physrc-readout against numpy/scipy, in one run on one machine.

Target: a ridge fit on 20,000 x 1,500 states with one
output is at least as fast as numpy/scipy ``scipy.linalg.solve(X.T @ X + alpha*I, X.T @ Y,
assume_a="pos")`` with the Gram product included, and gives the same weights to 1e-8
relative.

Protocol
--------
* States X (T x N) are drawn once with ``numpy.random.default_rng(seed)``: tanh of standard
  normal values plus a small per-feature offset (reservoir-like: bounded, not centred), and
  Y = X w + 0.01 noise. Both are written as float64 ``.npy`` (C order).
* Both sides fit **with an intercept by centring** (the scikit-learn / reservoirpy convention
  that physrc-readout implements): numpy subtracts the column means of X and Y, forms
  ``Xc.T @ Xc + alpha*I`` and ``Xc.T @ Yc`` and calls ``scipy.linalg.solve(...,
  assume_a="pos")``. The numpy time includes the centring, the two products and the solve.
  (``--no-centre`` instead fits without an intercept on the numpy side only, the plain
  formula of the target, for reference; the weights then differ by the intercept's
  effect and are not compared.)
* physrc: ``cargo run --release -p physrc-readout --example ridge_fit -- X.npy Y.npy ALPHA
  W.npy REPEATS`` (built before timing); the example times ``Ridge::new(alpha).fit(x, y)``
  inside the process, file loading excluded, and writes its weights.
* Each side is timed best of ``--repeats``; the two sides alternate for ``--rounds`` rounds so
  machine noise hits both alike. Both use every core they see (OpenBLAS threads, rayon pool).
* Weights are compared as max |W_physrc - W_numpy| / max |W_numpy| (and the worst element-wise
  relative difference is reported too).

Usage (from the repository root; `cargo xtask peers ridge` runs it and saves the result with a
description of the machine)::

    target/peers-venv/bin/python benches/peers/ridge_vs_numpy.py --json ridge.json

Prints one JSON summary on stdout (and writes it to ``--json`` if given).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_data(t: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.tanh(rng.standard_normal((t, n)) + 0.001 * np.arange(n))
    w = rng.uniform(-1.0, 1.0, size=(n, 1))
    y = x @ w + 0.01 * rng.standard_normal((t, 1))
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def numpy_fit(x: np.ndarray, y: np.ndarray, alpha: float, centre: bool) -> np.ndarray:
    if centre:
        x = x - x.mean(axis=0)
        y = y - y.mean(axis=0)
    g = x.T @ x
    g[np.diag_indices_from(g)] += alpha
    b = x.T @ y
    return scipy.linalg.solve(g, b, assume_a="pos")


def time_numpy(x, y, alpha, centre, repeats):
    times, w = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        w = numpy_fit(x, y, alpha, centre)
        times.append(time.perf_counter() - t0)
    return times, w


def time_physrc(xp: Path, yp: Path, alpha: float, wp: Path, repeats: int):
    cmd = [
        "cargo", "run", "--quiet", "--release", "-p", "physrc-readout", "--example",
        "ridge_fit", "--", str(xp), str(yp), repr(alpha), str(wp), str(repeats),
    ]
    out = subprocess.run(cmd, cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    return report["fit_seconds"], np.load(wp), report


def machine() -> dict:
    info = {"platform": platform.platform(), "python": sys.version.split()[0],
            "numpy": np.__version__, "scipy": scipy.__version__, "nproc": os.cpu_count()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        info["lscpu"] = [l.strip() for l in lscpu.splitlines()[:12]]
    except OSError:
        pass
    try:
        cfg = np.show_config(mode="dicts")
        info["blas"] = cfg["Build Dependencies"]["blas"].get("name")
    except Exception:  # older numpy: show_config has no mode argument
        pass
    return info


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=20_000)
    ap.add_argument("--features", type=int, default=1_500)
    ap.add_argument("--alpha", type=float, default=1e-6)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--repeats", type=int, default=2, help="fits per side per round")
    ap.add_argument("--rounds", type=int, default=2, help="alternations of the two sides")
    ap.add_argument("--no-centre", action="store_true",
                    help="numpy fits without intercept (reference timing only)")
    ap.add_argument("--json", type=Path, help="also write the summary here")
    args = ap.parse_args()

    # Build first so compilation is never timed.
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "physrc-readout",
                    "--example", "ridge_fit"], cwd=REPO_ROOT, check=True)
    x, y = make_data(args.samples, args.features, args.seed)
    centre = not args.no_centre
    with tempfile.TemporaryDirectory(prefix="physrc-ridge-") as tmp:
        tmp = Path(tmp)
        xp, yp, wp = tmp / "X.npy", tmp / "Y.npy", tmp / "W.npy"
        np.save(xp, x)
        np.save(yp, y)
        np_times, rs_times, report = [], [], None
        w_np = w_rs = None
        for _ in range(args.rounds):
            t, w_np = time_numpy(x, y, args.alpha, centre, args.repeats)
            np_times += t
            t, w_rs, report = time_physrc(xp, yp, args.alpha, wp, args.repeats)
            rs_times += t

    scale = float(np.max(np.abs(w_np)))
    max_rel = float(np.max(np.abs(w_rs - w_np)) / scale)
    elem_rel = float(np.max(np.abs(w_rs - w_np) / np.maximum(np.abs(w_np), 1e-300)))
    np_best, rs_best = min(np_times), min(rs_times)
    summary = {
        "problem": {"samples": args.samples, "features": args.features, "outputs": 1,
                    "alpha": args.alpha, "seed": args.seed,
                    "intercept": "centred in both" if centre else "numpy: none (weights not comparable)"},
        "numpy_scipy": {"fit_seconds": np_times, "best": np_best},
        "physrc": {"fit_seconds": rs_times, "best": rs_best, "threads": report["threads"]},
        "speedup_physrc_over_numpy": np_best / rs_best,
        "weights_max_rel_diff": max_rel,
        "weights_max_elementwise_rel_diff": elem_rel,
        "pass_speed": rs_best <= np_best,
        "pass_weights": (max_rel <= 1e-8) if centre else None,
        "machine": machine(),
    }
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Side-by-side recorded states: the whole `physrc run` process against numpy/scipy.

Target: a lab's own measurements, 20,000 x 1,500 float64 states in a `.npy` with one target
column, read out by a ridge regression (alpha 1e-6, 19,000 train / 1,000 test, no washout).
The whole `physrc run CONFIG --out DIR` process with `[substrate] kind = "recorded"` (start-up,
reading the states, the fit, the predictions, the report and its files) must be at least as
fast as numpy/scipy loading the same files, fitting the same ridge and predicting, with the
same predictions to 1e-8 relative. Both sides are measured in this one run, best of
`--repeats` each, interleaved, so machine noise hits both alike.

Protocol
--------
* States X (T x N) are drawn once with ``numpy.random.default_rng(seed)`` as in
  ``ridge_vs_numpy.py``: tanh of standard normal values plus a small per-channel offset
  (bounded and not centred, like measured spectra), and y = X w + 0.01 noise. Both are written
  as float64 ``.npy`` (C order, numpy's default), with a ``config.toml``.
* numpy/scipy, timed inside this Python process with ``time.perf_counter`` (so the
  interpreter's start and imports are not counted against it): ``np.load`` of both files, the
  training rows centred, ``G = Xc.T @ Xc`` (OpenBLAS's syrk), ``G + alpha I``, ``Xc.T @ yc``,
  ``scipy.linalg.solve(..., assume_a="pos")``, the intercept ``ȳ - x̄ᵀW``, the test
  predictions ``X_test W + b`` and ``np.save`` of them.
* physrc: ``physrc run config.toml --out DIR`` as a subprocess, wall time of the whole
  process; its own phases come from ``DIR/report.json`` (``timing``: ``reservoir_seconds``
  is the time spent reading the states, ``readout_seconds`` the fit and the predictions).
* One untimed round of both sides comes first (``--warmup``): numpy's first fit in a process
  starts OpenBLAS's threads and is about twice as slow as the next, which would flatter
  physrc's median. Then the two sides alternate which goes first in each repeat. Both use
  every core they see (OpenBLAS threads; physrc's readout, which takes every thread of its
  pool for recorded states).
* Predictions are compared as max |p_physrc - p_numpy| / max |p_numpy| (target 1e-8), and
  the worst element-wise relative difference is reported too.

Usage (from the repository root; `cargo xtask peers recorded` does both steps and saves the
result with a description of the machine)::

    cargo build --release -p physrc
    target/peers-venv/bin/python benches/peers/recorded_vs_numpy.py --json recorded.json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg

REPO_ROOT = Path(__file__).resolve().parents[2]
PREDICTION_TOLERANCE = 1e-8  # max |Δp| / max |p| must not exceed this


def make_data(t: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.tanh(rng.standard_normal((t, n)) + 0.001 * np.arange(n))
    w = rng.uniform(-1.0, 1.0, size=(n, 1))
    y = x @ w + 0.01 * rng.standard_normal((t, 1))
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def write_config(folder: Path, train: int, test: int, alpha: float) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f"""# Written by benches/peers/recorded_vs_numpy.py.
[substrate]
kind = "recorded"
states = "states.npy"

[data]
targets = "targets.npy"

[split]
washout = 0
train = {train}
test = {test}

[readout]
kind = "ridge"
alpha = {float(alpha)!r}
"""
    )
    return config


def numpy_run(folder: Path, train: int, test: int, alpha: float) -> tuple[float, dict, np.ndarray]:
    """One timed load + fit + predict + save; returns (seconds, phase seconds, predictions)."""
    gc.collect()
    t0 = time.perf_counter()
    x = np.load(folder / "states.npy")
    y = np.load(folder / "targets.npy")
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    t1 = time.perf_counter()
    x_train, y_train = x[:train], y[:train]
    mean_x = x_train.mean(axis=0)
    mean_y = y_train.mean(axis=0)
    xc = x_train - mean_x
    yc = y_train - mean_y
    g = xc.T @ xc
    g[np.diag_indices_from(g)] += alpha
    w = scipy.linalg.solve(g, xc.T @ yc, assume_a="pos")
    intercept = mean_y - mean_x @ w
    t2 = time.perf_counter()
    pred = x[train : train + test] @ w + intercept
    np.save(folder / "numpy-predictions.npy", pred)
    t3 = time.perf_counter()
    del x, y, x_train, y_train, xc, yc, g
    phases = {"load": t1 - t0, "fit": t2 - t1, "predict_and_save": t3 - t2}
    return t3 - t0, phases, pred


def physrc_run(binary: Path, config: Path, out_dir: Path) -> tuple[float, dict]:
    """One timed `physrc run` process; returns (seconds, parsed report.json)."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    command = [str(binary), "run", str(config), "--out", str(out_dir)]
    gc.collect()
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(
            f"error: `{' '.join(command)}` exited with {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    report_path = out_dir / "report.json"
    try:
        report = json.loads(report_path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise SystemExit(f"error: cannot read {report_path}: {err}") from err
    return elapsed, report


def physrc_version(binary: Path) -> str | None:
    try:
        proc = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def blas_info() -> list | str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    return [
        {k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
        for p in threadpool_info()
    ]


def machine_info() -> dict:
    threads_env = {
        k: os.environ[k]
        for k in (
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "OPENBLAS_CORETYPE",
            "RAYON_NUM_THREADS",
        )
        if k in os.environ
    }
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "platform": platform.platform(),
        "nproc": nproc,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "blas": blas_info(),
        "thread_env": threads_env,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Recorded states + ridge: whole `physrc run` process vs numpy/scipy load + fit + predict."
    )
    parser.add_argument(
        "--physrc", type=Path, default=REPO_ROOT / "target" / "release" / "physrc", help="physrc binary"
    )
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per side; best is kept")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds of both sides first")
    parser.add_argument("--samples", type=int, default=20_000, help="rows of the states file")
    parser.add_argument("--features", type=int, default=1_500, help="channels of the states file")
    parser.add_argument("--train", type=int, default=19_000)
    parser.add_argument("--test", type=int, default=1_000)
    parser.add_argument("--alpha", type=float, default=1e-6)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", type=Path, help="write the case here and keep it (default: temp dir)")
    parser.add_argument("--check", action="store_true", help="exit 2 if a target is missed")
    args = parser.parse_args()

    if args.repeats < 1 or args.warmup < 0:
        parser.error("--repeats must be at least 1 and --warmup at least 0")
    if min(args.train, args.test, args.features) < 1 or args.train + args.test > args.samples:
        parser.error("--train and --test must be positive and fit in --samples")
    binary = args.physrc.resolve()
    if not binary.is_file():
        parser.error(
            f"physrc binary not found at {binary}: build it with `cargo build --release` "
            "(or pass --physrc PATH)"
        )

    ctx = tempfile.TemporaryDirectory(prefix="physrc-recorded-") if args.keep is None else None
    folder = Path(ctx.name) if ctx else args.keep
    folder.mkdir(parents=True, exist_ok=True)
    try:
        x, y = make_data(args.samples, args.features, args.seed)
        np.save(folder / "states.npy", x)
        np.save(folder / "targets.npy", y)
        del x, y
        config = write_config(folder, args.train, args.test, args.alpha)
        print(
            f"recorded states {args.samples} x {args.features} float64, ridge alpha {args.alpha:g}, "
            f"{args.train} train + {args.test} test, seed {args.seed}"
        )

        for _ in range(args.warmup):
            numpy_run(folder, args.train, args.test, args.alpha)
            physrc_run(binary, config, folder / "out")
        np_times, np_phases, np_pred = [], [], None
        rs_times, rs_timing, rs_pred = [], [], None
        for i in range(args.repeats):
            # The side that goes first alternates, so neither always meets a machine the other
            # has just warmed up or left busy.
            order = ("numpy", "physrc") if i % 2 == 0 else ("physrc", "numpy")
            line = []
            for side in order:
                if side == "numpy":
                    seconds, phases, pred = numpy_run(folder, args.train, args.test, args.alpha)
                    np_times.append(seconds)
                    np_phases.append(phases)
                    np_pred = pred
                    line.append(f"numpy/scipy {seconds:7.3f} s")
                else:
                    out_dir = folder / "out"
                    seconds, report = physrc_run(binary, config, out_dir)
                    rs_times.append(seconds)
                    rs_timing.append(report.get("timing", {}))
                    rs_pred = np.load(out_dir / "predictions.npy")
                    line.append(f"physrc run (process) {seconds:7.3f} s")
            print(f"  repeat {i + 1}: " + " | ".join(line), flush=True)
    finally:
        if ctx is not None:
            ctx.cleanup()

    np_best, rs_best = min(np_times), min(rs_times)
    np_best_i, rs_best_i = np_times.index(np_best), rs_times.index(rs_best)
    scale = float(np.max(np.abs(np_pred)))
    max_rel = float(np.max(np.abs(rs_pred - np_pred)) / scale)
    elem_rel = float(np.max(np.abs(rs_pred - np_pred) / np.maximum(np.abs(np_pred), 1e-300)))
    ratio = np_best / rs_best
    speed_ok = rs_best <= np_best
    pred_ok = max_rel <= PREDICTION_TOLERANCE
    result = {
        "benchmark": "recorded_vs_numpy",
        "problem": {
            "samples": args.samples,
            "features": args.features,
            "outputs": 1,
            "train": args.train,
            "test": args.test,
            "washout": 0,
            "alpha": args.alpha,
            "seed": args.seed,
            "intercept": "centred in both",
            "warmup_rounds": args.warmup,
        },
        "numpy_scipy": {
            "seconds_best": np_best,
            "seconds_all": np_times,
            "phases_of_best": np_phases[np_best_i],
            "what_is_timed": "np.load of states and targets, centring, Xc.T @ Xc, Xc.T @ yc, "
            "scipy.linalg.solve(assume_a='pos'), intercept, test predictions and np.save, "
            "inside this Python process",
        },
        "physrc": {
            "binary": str(binary),
            "version": physrc_version(binary),
            "seconds_best": rs_best,
            "seconds_all": rs_times,
            "timing_of_best": rs_timing[rs_best_i],
            "what_is_timed": "wall time of the `physrc run CONFIG --out DIR` process",
        },
        "speedup_physrc_over_numpy": ratio,
        "predictions_max_rel_diff": max_rel,
        "predictions_max_elementwise_rel_diff": elem_rel,
        "targets": {"speed_ratio_min": 1.0, "predictions_max_rel_diff": PREDICTION_TOLERANCE},
        "pass_speed": speed_ok,
        "pass_predictions": pred_ok,
        "machine": machine_info(),
    }

    print()
    print(f"{'':30}{'best of ' + str(args.repeats):>14}")
    print(f"{'numpy/scipy load+fit+predict':30}{np_best:>12.3f} s")
    print(f"{'physrc run (whole process)':30}{rs_best:>12.3f} s")
    print(
        f"physrc is {ratio:.2f}x numpy's speed (target >= 1: {'ok' if speed_ok else 'MISSED'}); "
        f"predictions agree to {max_rel:.1e} relative (target <= {PREDICTION_TOLERANCE:g}: "
        f"{'ok' if pred_ok else 'MISSED'})"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 2 if args.check and not (speed_ok and pred_ok) else 0


if __name__ == "__main__":
    sys.exit(main())

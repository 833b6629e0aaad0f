#!/usr/bin/env python3
"""Side-by-side NARMA10 benchmark: the whole `physrc run` process against reservoirpy 0.4.2.

Target: an ESN (N = 500) with a ridge readout on NARMA10, 15,000 train / 5,000
test, run by `physrc run CONFIG --out DIR` (wall time of the whole process: start-up, file
loading, reservoir, ridge, report) at least 5x faster than reservoirpy's fit + run of the
same configuration (timed inside Python), with the same NRMSE to within 0.005, both given
the same matrices. Both sides are measured in this one run; each is timed best of
`--repeats`, interleaved, so machine noise hits both alike, after a pause (`--settle`, 0.5 s)
that lets the previous run's threads go idle: OpenBLAS's worker threads in this process spin
for a while after reservoirpy's last product, and on 2 cores they slowed a `physrc run`
started at once (N = 500, best of 5 on an AMD EPYC: 0.241 s right after a reservoirpy fit,
0.221 s after the pause, 0.221 s alone).

Protocol
--------
* NARMA10 (Atiya & Parlos 2000), *not* reservoirpy's `narma()` defaults:
  y(t+1) = 0.3 y(t) + 0.05 y(t) sum_{i=0}^{9} y(t-i) + 1.5 u(t-9) u(t) + 0.1,
  u(t) ~ U[0, 0.5) i.i.d., y = 0 for the first 10 steps. Row t of the data set pairs the
  input u(t) with the target y(t+1): the state after u(t) has seen every input the target
  depends on. The input fed to both tools is u_s = 4u - 1 in [-1, 1] (`--input-map raw`
  feeds u itself, also inside [-1, 1]); targets are not scaled.
* reservoirpy: `Reservoir(N, lr=1, sr=0.9, seed)` with its default connectivity, input
  scaling and bias; its matrices are drawn once (not timed), then every repeat builds a fresh
  `Reservoir(W=..., Win=..., bias=...) >> Ridge(ridge=1e-6)` and times, with
  `time.perf_counter`, what a reservoirpy user runs: `model.fit(u[:w+n], y[:w+n], warmup=w)`
  then `model.run(u[w+n:])` (the reservoir state carries over from fit into run).
* physrc: the same W, Win, bias, u, y are written as float64 `.npy` with a `config.toml`;
  `physrc run config.toml --out DIR` is timed as a subprocess; its NRMSE is read from
  `DIR/report.json` (`metrics.nrmse`).
* NRMSE = sqrt(mean((y_pred - y)^2) / var(y)) over the test part (not reservoirpy's
  `observables.nrmse(norm="var")`, which divides by the variance).

Usage (from the repository root; `cargo xtask peers narma10` does both steps and saves the
result with a description of the machine)::

    cargo build --release -p physrc
    target/peers-venv/bin/python benches/peers/narma10_vs_reservoirpy.py --json narma10.json

`--python-only` runs the reservoirpy half alone.
"""

from __future__ import annotations

import argparse
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

try:
    import reservoirpy
    import scipy
    from reservoirpy.nodes import Reservoir, Ridge
except ImportError:  # pragma: no cover - environment problem, not a logic branch
    sys.exit("reservoirpy is not installed: pip install -r benches/peers/requirements.txt")

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEED_TARGET = 5.0  # physrc must be at least this many times faster
NRMSE_TOLERANCE = 0.005  # |NRMSE_physrc - NRMSE_reservoirpy| must not exceed this


# --------------------------------------------------------------------------- data


def narma10(steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`steps` rows of NARMA10: inputs u(t) in [0, 0.5) and targets y(t+1), both shape (steps,)."""
    rng = np.random.default_rng(seed)
    u = rng.uniform(0.0, 0.5, size=steps + 1)
    y = np.zeros(steps + 1)
    for t in range(9, steps):
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * y[t - 9 : t + 1].sum() + 1.5 * u[t - 9] * u[t] + 0.1
    # NARMA10 with this input range occasionally blows up for some seeds; refuse silently wrong data.
    if not np.all(np.isfinite(y)) or np.abs(y).max() > 10.0:
        raise SystemExit(f"error: NARMA10 diverged for seed {seed}; choose another --seed")
    return u[:steps], y[1:]


def nrmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """sqrt(mean((y_pred - y_true)^2) / var(y_true))."""
    return float(np.sqrt(np.mean((y_pred - y_true) ** 2) / np.var(y_true)))


def dense(m) -> np.ndarray:
    """reservoirpy keeps W and Win as scipy sparse arrays; physrc reads dense `.npy`."""
    if hasattr(m, "toarray"):
        m = m.toarray()
    return np.ascontiguousarray(np.asarray(m, dtype=np.float64))


# --------------------------------------------------------------------------- reservoirpy side


def draw_matrices(units: int, sr: float, lr: float, seed: int, u: np.ndarray):
    """Let reservoirpy draw W, Win, bias as a user's `Reservoir(...)` would (not timed)."""
    reservoir = Reservoir(units, lr=lr, sr=sr, seed=seed)
    start = time.perf_counter()
    reservoir.initialize(u)
    init_s = time.perf_counter() - start
    return reservoir.W, reservoir.Win, reservoir.bias, init_s


# Pause before each timed run, so that neither tool runs while the other's threads still spin
# (see the module docstring).
SETTLE_SECONDS = 0.5


def time_reservoirpy(W, Win, bias, lr, ridge, u, y, washout, train, test):
    """One timed reservoirpy fit + run; returns (seconds, test predictions)."""
    model = Reservoir(W=W, Win=Win, bias=bias, lr=lr) >> Ridge(ridge=ridge)
    fit_end = washout + train
    start = time.perf_counter()
    model.fit(u[:fit_end], y[:fit_end], warmup=washout)
    predictions = model.run(u[fit_end : fit_end + test])
    return time.perf_counter() - start, predictions


# --------------------------------------------------------------------------- physrc side


def write_case(folder: Path, W, Win, bias, u, y, lr, ridge, washout, train, test) -> Path:
    """Write the matrices, data and a run config for `physrc run`; returns the config path."""
    units = W.shape[0]
    bias_vec = np.broadcast_to(np.asarray(bias, dtype=np.float64), (units,))
    np.save(folder / "W.npy", dense(W))
    np.save(folder / "Win.npy", dense(Win))
    np.save(folder / "bias.npy", np.ascontiguousarray(bias_vec))
    np.save(folder / "u.npy", np.ascontiguousarray(u, dtype=np.float64))
    np.save(folder / "y.npy", np.ascontiguousarray(y, dtype=np.float64))
    config = folder / "config.toml"
    config.write_text(
        f"""# NARMA10 side-by-side case written by benches/peers/narma10_vs_reservoirpy.py
[substrate]
kind = "esn"
w = "W.npy"
win = "Win.npy"
bias = "bias.npy"
leak_rate = {float(lr)!r}

[data]
inputs = "u.npy"
targets = "y.npy"
normalize = false

[split]
washout = {washout}
train = {train}
test = {test}

[readout]
kind = "ridge"
alpha = {float(ridge)!r}
"""
    )
    return config


def time_physrc(binary: Path, config: Path, out_dir: Path) -> tuple[float, dict]:
    """One timed `physrc run` process; returns (seconds, parsed report.json)."""
    command = [str(binary), "run", str(config), "--out", str(out_dir)]
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


def report_nrmse(report: dict, path: Path) -> float:
    try:
        return float(report["metrics"]["nrmse"])
    except (KeyError, TypeError, ValueError) as err:
        raise SystemExit(f"error: {path} has no numeric `metrics.nrmse`") from err


def physrc_predictions(out_dir: Path, test: int) -> np.ndarray | None:
    """physrc's test predictions if it wrote them as `.npy` (optional cross-check)."""
    for name in ("predictions.npy", "test_predictions.npy"):
        path = out_dir / name
        if path.is_file():
            pred = np.load(path)
            if pred.ndim == 1:
                pred = pred.reshape(-1, 1)
            return pred[-test:] if pred.ndim == 2 and pred.shape[0] >= test else None
    return None


def physrc_version(binary: Path) -> str | None:
    try:
        proc = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


# --------------------------------------------------------------------------- machine info


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit() -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None


def machine_info() -> dict:
    threads_env = {
        k: os.environ[k]
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")
        if k in os.environ
    }
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "nproc": nproc,
        "cpu_model": cpu_model(),
        "thread_env": threads_env,
    }


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(
        description="NARMA10 ESN + ridge: whole `physrc run` process vs reservoirpy fit + run, side by side."
    )
    parser.add_argument(
        "--physrc", type=Path, default=REPO_ROOT / "target" / "release" / "physrc", help="physrc binary"
    )
    parser.add_argument("--python-only", action="store_true", help="run only the reservoirpy half")
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per side; best is kept")
    parser.add_argument(
        "--settle", type=float, default=SETTLE_SECONDS, help="pause before each timed run, seconds"
    )
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--washout", type=int, default=200)
    parser.add_argument("--train", type=int, default=15_000)
    parser.add_argument("--test", type=int, default=5_000)
    parser.add_argument("--sr", type=float, default=0.9, help="spectral radius")
    parser.add_argument("--lr", type=float, default=1.0, help="leak rate")
    parser.add_argument("--ridge", type=float, default=1e-6)
    parser.add_argument("--seed", type=int, default=0, help="seed for NARMA10 and the reservoir")
    parser.add_argument(
        "--input-map",
        choices=("4u-1", "raw"),
        default="4u-1",
        help="input fed to both tools: 4u-1 (default) or u in [0, 0.5) itself",
    )
    parser.add_argument("--keep", type=Path, help="write the physrc case here and keep it (default: temp dir)")
    parser.add_argument("--check", action="store_true", help="exit 2 if a target is missed")
    args = parser.parse_args()

    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if not args.settle >= 0:
        parser.error("--settle must be a number of seconds, zero or more")
    if min(args.units, args.train, args.test) < 1 or args.washout < 0:
        parser.error("--units, --train, --test must be positive and --washout non-negative")
    binary = args.physrc.resolve()
    if not args.python_only and not binary.is_file():
        parser.error(
            f"physrc binary not found at {binary}: build it with `cargo build --release` "
            "(or pass --physrc PATH, or --python-only)"
        )

    steps = args.washout + args.train + args.test
    fit_end = args.washout + args.train
    u_raw, target = narma10(steps, args.seed)
    u_in = 4.0 * u_raw - 1.0 if args.input_map == "4u-1" else u_raw
    u = u_in.reshape(-1, 1)
    y = target.reshape(-1, 1)
    y_test = y[fit_end:]

    W, Win, bias, init_s = draw_matrices(args.units, args.sr, args.lr, args.seed, u)
    print(
        f"NARMA10 {args.washout} washout + {args.train} train + {args.test} test, ESN N={args.units}, "
        f"lr {args.lr}, sr {args.sr}, ridge {args.ridge:g}, input {args.input_map}, seed {args.seed}"
    )
    print(f"reservoirpy {reservoirpy.__version__}: matrices drawn in {init_s:.3f} s (not timed)")

    workdir_ctx = tempfile.TemporaryDirectory(prefix="physrc-narma10-") if args.keep is None else None
    workdir = Path(workdir_ctx.name) if workdir_ctx else args.keep
    workdir.mkdir(parents=True, exist_ok=True)
    config = None
    if not args.python_only:
        config = write_case(
            workdir, W, Win, bias, u, y, args.lr, args.ridge, args.washout, args.train, args.test
        )

    rpy_times, phys_times = [], []
    rpy_pred = None
    phys_nrmse = None
    phys_pred = None
    try:
        for i in range(args.repeats):
            time.sleep(args.settle)
            seconds, pred = time_reservoirpy(
                W, Win, bias, args.lr, args.ridge, u, y, args.washout, args.train, args.test
            )
            rpy_times.append(seconds)
            if rpy_pred is None:
                rpy_pred = pred
            elif not np.array_equal(pred, rpy_pred):
                print("warning: reservoirpy predictions differ between repeats", file=sys.stderr)
            line = f"  repeat {i + 1}: reservoirpy fit+run {seconds:8.3f} s"
            if config is not None:
                out_dir = workdir / f"out-{i + 1}"
                if out_dir.exists():
                    shutil.rmtree(out_dir)
                time.sleep(args.settle)
                seconds, report = time_physrc(binary, config, out_dir)
                phys_times.append(seconds)
                value = report_nrmse(report, out_dir / "report.json")
                if phys_nrmse is not None and value != phys_nrmse:
                    print("warning: physrc NRMSE differs between repeats", file=sys.stderr)
                phys_nrmse = value
                if phys_pred is None:
                    phys_pred = physrc_predictions(out_dir, args.test)
                line += f" | physrc run (process) {seconds:8.3f} s"
            print(line, flush=True)
    finally:
        if workdir_ctx is not None:
            workdir_ctx.cleanup()

    rpy_best = min(rpy_times)
    rpy_nrmse = nrmse(y_test, rpy_pred)
    result = {
        "benchmark": "narma10_vs_reservoirpy",
        "task": {
            "name": "NARMA10 (Atiya & Parlos 2000), row t = (u(t), y(t+1))",
            "input_map": args.input_map,
            "washout": args.washout,
            "train": args.train,
            "test": args.test,
            "seed": args.seed,
        },
        "model": {"units": args.units, "leak_rate": args.lr, "spectral_radius": args.sr, "ridge": args.ridge},
        "reservoirpy": {
            "seconds_best": rpy_best,
            "seconds_all": rpy_times,
            "matrix_init_seconds_untimed": init_s,
            "nrmse": rpy_nrmse,
            "what_is_timed": "model.fit(u[:w+n], y[:w+n], warmup=w) + model.run(u[w+n:])",
        },
        "nrmse_definition": "sqrt(mean((y_pred - y)^2) / var(y)) on the test part",
        "repeats": args.repeats,
        "settle_seconds": args.settle,
        "targets": {"speed_ratio_min": SPEED_TARGET, "nrmse_abs_diff_max": NRMSE_TOLERANCE},
        "machine": machine_info(),
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "reservoirpy": reservoirpy.__version__,
            "physrc": None,
            "physrc_git_commit": git_commit(),
        },
    }

    print()
    print(f"{'':28}{'time (best of ' + str(args.repeats) + ')':>22}{'NRMSE':>12}")
    print(f"{'reservoirpy fit+run':28}{rpy_best:>20.3f} s{rpy_nrmse:>12.5f}")
    passed = True
    if phys_times:
        phys_best = min(phys_times)
        ratio = rpy_best / phys_best
        diff = abs(phys_nrmse - rpy_nrmse)
        speed_ok = ratio >= SPEED_TARGET
        nrmse_ok = diff <= NRMSE_TOLERANCE
        passed = speed_ok and nrmse_ok
        print(f"{'physrc run (whole process)':28}{phys_best:>20.3f} s{phys_nrmse:>12.5f}")
        print(
            f"speed-up {ratio:.2f}x (target >= {SPEED_TARGET:g}x: {'ok' if speed_ok else 'MISSED'}); "
            f"|dNRMSE| {diff:.2e} (target <= {NRMSE_TOLERANCE}: {'ok' if nrmse_ok else 'MISSED'})"
        )
        result["physrc"] = {
            "binary": str(binary),
            "seconds_best": phys_best,
            "seconds_all": phys_times,
            "nrmse": phys_nrmse,
            "what_is_timed": "wall time of the `physrc run CONFIG --out DIR` process",
        }
        if phys_pred is not None and phys_pred.shape == rpy_pred.shape:
            max_diff = float(np.abs(phys_pred - rpy_pred).max())
            result["physrc"]["nrmse_recomputed_from_predictions"] = nrmse(y_test, phys_pred)
            result["physrc"]["max_abs_prediction_diff_vs_reservoirpy"] = max_diff
            print(f"max |prediction difference| physrc vs reservoirpy: {max_diff:.2e}")
        result["versions"]["physrc"] = physrc_version(binary)
        result["speed_ratio"] = ratio
        result["nrmse_abs_diff"] = diff
        result["passed"] = passed
    m = result["machine"]
    print(f"machine: {m['cpu_model']}, {m['nproc']} CPUs, {m['platform']}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 2 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())

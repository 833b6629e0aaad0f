#!/usr/bin/env python3
"""How the ESN's cost grows with its size: the whole `physrc run` against reservoirpy 0.4.2.

The NARMA10 side-by-side (`narma10_vs_reservoirpy.py`) at several reservoir sizes, N in
{100, 500, 1000, 2000, 4000} by default, both tools given the same matrices. Labs size ESNs up
to thousands of units to match a physical substrate's feature count, so the software baseline
has to stay cheap where the work grows: the update as the number of nonzeros of W (N^2
times the connectivity), the readout's Gram matrix as N^2 per row and its solve as N^3.

Protocol (the one of `narma10_vs_reservoirpy.py`, whose functions this script uses)
--------------------------------------------------------------------------------------
* NARMA10 (Atiya & Parlos 2000), input 4u - 1, 200 washout + 15,000 train + 5,000 test steps.
* reservoirpy: `Reservoir(N, lr=1, sr=0.9, seed)` with its defaults (connectivity 0.1, input
  connectivity 0.1, input scaling 1, no bias); the matrices are drawn once per size (not timed;
  the time is recorded) and every repeat times `model.fit(...)` + `model.run(...)` of a fresh
  `Reservoir(W=..., Win=..., bias=...) >> Ridge(ridge=1e-6)`.
* physrc: the same W, Win and bias written as float64 `.npy` files with a `config.toml`;
  `physrc run config.toml --out DIR` is timed as a subprocess (start-up, reading the files,
  building the sparse layout, the reservoir, the ridge readout, the report).
* Each size is timed best of `--repeats`, the two tools interleaved so that machine noise hits
  both alike, each run after the pause of `narma10_vs_reservoirpy.py` (`--settle`, 0.5 s: the
  OpenBLAS threads reservoirpy leaves spinning in this process slowed a `physrc run` started at
  once by about a tenth); the load average before and after each size is recorded next to the
  times.
* NRMSE = sqrt(mean((y_pred - y)^2) / var(y)) on the test part, for both tools, and the largest
  difference between their test predictions.

Writes a JSON file (`--json`) with every time, the ratios, the machine and the software
versions, and with `--svg` a log-log plot of the best times and the ratio against N.

Usage (from the repository root; unset OpenBLAS pins such as OPENBLAS_CORETYPE first, as
`cargo xtask peers` does, so that numpy uses the kernels it would pick for a user)::

    cargo build --release -p physrc
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
    target/peers-venv/bin/python benches/peers/esn_growth_vs_reservoirpy.py \\
        --json benches/peers/results/esn-growth-DATE.json --svg docs/esn-growth.svg
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import narma10_vs_reservoirpy as base  # noqa: E402  (the shared protocol)

REPO_ROOT = base.REPO_ROOT
# Speed-up wanted of the whole physrc run over reservoirpy's fit + run, per size.
TARGETS = {500: 2.5, 1000: 3.0, 2000: 3.0, 4000: 3.0}


def load_average() -> list[float] | None:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def run_size(args, units: int, binary: Path, u: np.ndarray, y: np.ndarray, workdir: Path) -> dict:
    """Every repeat of one size; returns its JSON record."""
    fit_end = args.washout + args.train
    y_test = y[fit_end:]
    W, Win, bias, init_s = base.draw_matrices(units, args.sr, args.lr, args.seed, u)
    case = workdir / f"n{units}"
    case.mkdir(parents=True, exist_ok=True)
    config = base.write_case(
        case, W, Win, bias, u, y, args.lr, args.ridge, args.washout, args.train, args.test
    )
    if args.step_threads is not None:
        text = config.read_text().replace(
            'kind = "esn"\n', f'kind = "esn"\nstep_threads = {args.step_threads}\n', 1
        )
        config.write_text(text)
    load_before = load_average()
    rpy_times, phys_times = [], []
    rpy_pred = phys_pred = None
    phys_nrmse = None
    phys_report = None
    for i in range(args.repeats):
        time.sleep(args.settle)
        seconds, pred = base.time_reservoirpy(
            W, Win, bias, args.lr, args.ridge, u, y, args.washout, args.train, args.test
        )
        rpy_times.append(seconds)
        rpy_pred = pred if rpy_pred is None else rpy_pred
        out_dir = case / f"out-{i + 1}"
        if out_dir.exists():
            shutil.rmtree(out_dir)
        time.sleep(args.settle)
        p_seconds, report = base.time_physrc(binary, config, out_dir)
        phys_times.append(p_seconds)
        phys_nrmse = base.report_nrmse(report, out_dir / "report.json")
        phys_report = report
        if phys_pred is None:
            phys_pred = base.physrc_predictions(out_dir, args.test)
        print(
            f"  N={units:5d} repeat {i + 1}: reservoirpy fit+run {seconds:8.3f} s | "
            f"physrc run {p_seconds:8.3f} s",
            flush=True,
        )
    load_after = load_average()
    rpy_best, phys_best = min(rpy_times), min(phys_times)
    record = {
        "units": units,
        "nnz_w": int(W.nnz) if hasattr(W, "nnz") else int(np.count_nonzero(W)),
        "reservoirpy": {
            "seconds_best": rpy_best,
            "seconds_all": rpy_times,
            "matrix_init_seconds_untimed": init_s,
            "nrmse": base.nrmse(y_test, rpy_pred),
        },
        "physrc": {
            "seconds_best": phys_best,
            "seconds_all": phys_times,
            "nrmse": phys_nrmse,
            "timing": phys_report.get("timing") if isinstance(phys_report, dict) else None,
        },
        "speed_ratio": rpy_best / phys_best,
        "target_ratio": TARGETS.get(units),
        "load_average_before": load_before,
        "load_average_after": load_after,
    }
    if phys_pred is not None and phys_pred.shape == rpy_pred.shape:
        record["max_abs_prediction_diff"] = float(np.abs(phys_pred - rpy_pred).max())
    shutil.rmtree(case, ignore_errors=True)
    return record


def plot(results: list[dict], path: Path, title: str) -> None:
    """Best times of both tools and their ratio against N, as an SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["units"] for r in results]
    rpy = [r["reservoirpy"]["seconds_best"] for r in results]
    phys = [r["physrc"]["seconds_best"] for r in results]
    ratio = [r["speed_ratio"] for r in results]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4))
    ax.loglog(n, rpy, "o-", label="reservoirpy 0.4.2 fit + run")
    ax.loglog(n, phys, "s-", label="physrc run (whole process)")
    ax.set_xlabel("reservoir size N")
    ax.set_ylabel("seconds, best of repeats")
    ax.set_title("NARMA10, 15,000 train / 5,000 test")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    bx.semilogx(n, ratio, "o-", color="black", label="measured")
    tn = sorted(TARGETS)
    bx.semilogx(tn, [TARGETS[k] for k in tn], "--", color="grey", label="wanted")
    bx.set_xlabel("reservoir size N")
    bx.set_ylabel("reservoirpy time / physrc time")
    bx.set_ylim(bottom=0)
    bx.grid(True, which="both", alpha=0.3)
    bx.legend()
    bx.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fixed hash salt and no date keep the SVG the same for the same numbers.
    matplotlib.rcParams["svg.hashsalt"] = "physrc"
    fig.savefig(path, format="svg", metadata={"Date": None})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--physrc", type=Path, default=REPO_ROOT / "target" / "release" / "physrc", help="physrc binary"
    )
    parser.add_argument("--units", type=int, nargs="+", default=[100, 500, 1000, 2000, 4000])
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per side; best is kept")
    parser.add_argument(
        "--settle", type=float, default=base.SETTLE_SECONDS, help="pause before each timed run, seconds"
    )
    parser.add_argument("--washout", type=int, default=200)
    parser.add_argument("--train", type=int, default=15_000)
    parser.add_argument("--test", type=int, default=5_000)
    parser.add_argument("--sr", type=float, default=0.9)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--ridge", type=float, default=1e-6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--step-threads",
        type=int,
        choices=(1, 2),
        help="physrc's [substrate] step_threads (default: its automatic choice)",
    )
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--svg", type=Path, help="write the plot here")
    args = parser.parse_args()
    if args.repeats < 1 or min(args.units) < 1:
        parser.error("--repeats and --units must be positive")
    if not args.settle >= 0:
        parser.error("--settle must be a number of seconds, zero or more")
    binary = args.physrc.resolve()
    if not binary.is_file():
        parser.error(f"physrc binary not found at {binary}: build it with `cargo build --release`")
    if args.svg:
        # Checked before the runs, which take minutes, rather than when the plot is drawn.
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--svg needs matplotlib (benches/peers/requirements.txt lists it)")

    steps = args.washout + args.train + args.test
    u_raw, target = base.narma10(steps, args.seed)
    u = (4.0 * u_raw - 1.0).reshape(-1, 1)
    y = target.reshape(-1, 1)
    print(
        f"NARMA10 {args.washout} + {args.train} + {args.test}, lr {args.lr}, sr {args.sr}, "
        f"ridge {args.ridge:g}, seed {args.seed}, best of {args.repeats}; N = {args.units}"
    )
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results = []
    with tempfile.TemporaryDirectory(prefix="physrc-esn-growth-") as tmp:
        for units in args.units:
            results.append(run_size(args, units, binary, u, y, Path(tmp)))

    print()
    print(f"{'N':>6}{'reservoirpy':>14}{'physrc':>10}{'ratio':>8}{'wanted':>8}{'NRMSE rpy':>11}{'physrc':>9}")
    for r in results:
        want = r["target_ratio"]
        print(
            f"{r['units']:>6}{r['reservoirpy']['seconds_best']:>12.3f} s{r['physrc']['seconds_best']:>8.3f} s"
            f"{r['speed_ratio']:>7.2f}x{(f'{want:.1f}x' if want else '-'):>8}"
            f"{r['reservoirpy']['nrmse']:>11.5f}{r['physrc']['nrmse']:>9.5f}"
        )
    machine = base.machine_info()
    machine["load_average_end"] = load_average()
    result = {
        "benchmark": "esn_growth_vs_reservoirpy",
        "started_utc": started,
        "task": {
            "name": "NARMA10 (Atiya & Parlos 2000), row t = (u(t), y(t+1)), input 4u - 1",
            "washout": args.washout,
            "train": args.train,
            "test": args.test,
            "seed": args.seed,
        },
        "model": {
            "leak_rate": args.lr,
            "spectral_radius": args.sr,
            "ridge": args.ridge,
            "matrices": "shared",
            "physrc_step_threads": args.step_threads or "automatic",
        },
        "what_is_timed": {
            "reservoirpy": "model.fit(u[:w+n], y[:w+n], warmup=w) + model.run(u[w+n:])",
            "physrc": "wall time of the `physrc run CONFIG --out DIR` process",
        },
        "repeats": args.repeats,
        "settle_seconds": args.settle,
        "sizes": results,
        "machine": machine,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": base.scipy.__version__,
            "reservoirpy": base.reservoirpy.__version__,
            "physrc": base.physrc_version(binary),
            "physrc_git_commit": base.git_commit(),
        },
        # OpenBLAS pins (OPENBLAS_CORETYPE) change numpy's kernels, so they are recorded;
        # `cargo xtask peers` removes them for its runs.
        "environment": {
            k: os.environ[k]
            for k in sorted(os.environ)
            if k.endswith("_NUM_THREADS") or k.startswith("OPENBLAS_")
        },
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    if args.svg:
        plot(results, args.svg, f"{machine['cpu_model']}, {machine['nproc']} CPUs")
        print(f"wrote {args.svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

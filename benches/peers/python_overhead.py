#!/usr/bin/env python3
"""What driving a reservoir from Python costs: `physrc.ESN(units=500).run` on 20,000 steps
against the same network driven inside `physrc run`, and against reservoirpy 0.4.2's
`Reservoir.run`.

Protocol
--------
* One input sequence: 20,000 steps of u ~ U[-1, 1) (seed 0), float64.
* Two substrates, each timed from Python and inside `physrc run`:
  - `generated`: `physrc.ESN(units=500, spectral_radius=0.9, connectivity=0.1, seed=0)`, the
    network physrc draws itself;
  - `shared`: the W, Win and bias reservoirpy 0.4.2 draws for `Reservoir(500, sr=0.9, lr=1.0,
    rc_connectivity=0.1, seed=0)` (drawn once, not timed), given to physrc as `.npy` files
    (`w`, `win`, `bias`) and to reservoirpy as `Reservoir(W=..., Win=..., bias=..., lr=1.0)`,
    so both tools step the same matrices.
* physrc from Python: each repeat times `reset()` + `run(u)` with `time.perf_counter`. The
  states are checked against the Rust run's, bit for bit.
* physrc in Rust, the same call: `examples/time_substrate_run.rs` builds the substrate of the
  same run config as `physrc run` does and times `reset()` + `Reservoir::run` on the whole
  sequence, returning all 20,000 × 500 states as Python's call does (one round a repeat,
  interleaved). This is the like-for-like figure for what Python adds.
* physrc in Rust, the runner: the same `[substrate]` table in a run config reading `u` from a
  `.npy` (`[data]`, `normalize = false`), run by `physrc run --out DIR` with
  `[output] states = true`; the time is the report's `timing.reservoir_seconds`: the runner
  driving the substrate in chunks of 1,024 steps into reused buffers, the readout trained
  meanwhile on a second thread.
* reservoirpy (shared matrices only): each repeat times `reset()` + `run(u)`; its states are
  compared with physrc's (the largest absolute difference).
* Best of `--repeats` for each, interleaved, so machine noise hits all of them alike.

Usage (from the repository root, with the package installed by `pip install .` in the
release profile, `cargo build --release -p physrc` and
`cargo build --release --example time_substrate_run`)::

    python benches/peers/python_overhead.py --json python-overhead.json
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

import physrc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from esn_growth_vs_reservoirpy import load_average  # noqa: E402  (shared with the growth script)
from narma10_vs_reservoirpy import dense  # noqa: E402  (reservoirpy's sparse W as a dense .npy)

ROOT = Path(__file__).resolve().parents[2]


def config_toml(substrate: dict, inputs: Path, targets: Path) -> str:
    lines = ["[substrate]"]
    for k, v in substrate.items():
        lines.append(f"{k} = {json.dumps(v)}")
    lines += [
        "",
        "[data]",
        f"inputs = {json.dumps(str(inputs))}",
        f"targets = {json.dumps(str(targets))}",
        "normalize = false",
        "",
        "[split]",
        "washout = 0",
        f"train = {STEPS - 1000}",
        "test = 1000",
        "",
        "[output]",
        "states = true",
    ]
    return "\n".join(lines) + "\n"


STEPS = 20_000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--physrc", default=str(ROOT / "target/release/physrc"))
    ap.add_argument("--run-timer",
                    default=str(ROOT / "target/release/examples/time_substrate_run"))
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()

    import reservoirpy
    from reservoirpy.nodes import Reservoir

    rng = np.random.default_rng(0)
    u = rng.uniform(-1.0, 1.0, size=(STEPS, 1))
    y = rng.normal(size=(STEPS, 1))

    drawn = Reservoir(500, sr=0.9, lr=1.0, rc_connectivity=0.1, seed=0)
    drawn.initialize(u[:10])
    W, Win = dense(drawn.W), dense(drawn.Win)
    bias = np.ascontiguousarray(
        np.broadcast_to(np.asarray(drawn.bias, dtype=np.float64).ravel(), (500,))
    )
    rpy = Reservoir(W=drawn.W, Win=drawn.Win, bias=drawn.bias, lr=1.0)
    rpy.run(u[:10])

    load_start = load_average()
    times = {k: [] for k in ("generated_python", "generated_rust_run", "generated_rust",
                             "shared_python", "shared_rust_run", "shared_rust",
                             "reservoirpy")}
    identical = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.save(tmp / "u.npy", u)
        np.save(tmp / "y.npy", y)
        np.save(tmp / "W.npy", W)
        np.save(tmp / "Win.npy", Win)
        np.save(tmp / "bias.npy", bias)
        substrates = {
            "generated": {"kind": "esn", "units": 500, "spectral_radius": 0.9,
                          "connectivity": 0.1, "seed": 0},
            "shared": {"kind": "esn", "w": str(tmp / "W.npy"), "win": str(tmp / "Win.npy"),
                       "bias": str(tmp / "bias.npy"), "leak_rate": 1.0},
        }
        esns = {}
        for name, sub in substrates.items():
            (tmp / f"{name}.toml").write_text(config_toml(sub, tmp / "u.npy", tmp / "y.npy"))
            esns[name] = physrc.Reservoir.from_config(sub)
        states = {}
        for _ in range(args.repeats):
            for name, esn in esns.items():
                esn.reset()
                t0 = time.perf_counter()
                py_states = esn.run(u)
                times[f"{name}_python"].append(time.perf_counter() - t0)

                timed = subprocess.run(
                    [args.run_timer, str(tmp / f"{name}.toml"), str(tmp / "u.npy"), "1"],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                times[f"{name}_rust_run"].append(json.loads(timed.stdout)["best_seconds"])

                out = tmp / f"out-{name}"
                subprocess.run(
                    [args.physrc, "run", str(tmp / f"{name}.toml"), "--out", str(out),
                     "--force"],
                    check=True,
                    capture_output=True,
                )
                report = json.loads((out / "report.json").read_text())
                times[f"{name}_rust"].append(report["timing"]["reservoir_seconds"])
                rust_states = np.load(out / "states.npy")
                identical[name] = rust_states.tobytes() == py_states.tobytes()
                states[name] = py_states

            rpy.reset()
            t0 = time.perf_counter()
            rpy_states = rpy.run(u)
            times["reservoirpy"].append(time.perf_counter() - t0)
    load_end = load_average()

    rpy_diff = float(np.max(np.abs(np.asarray(rpy_states) - states["shared"])))
    best = {k: min(v) for k, v in times.items()}
    result = {
        "steps": STEPS,
        "substrates": {"generated": substrates["generated"],
                       "shared": "reservoirpy's W, Win, bias for Reservoir(500, sr=0.9, "
                                 "lr=1.0, rc_connectivity=0.1, seed=0)"},
        "repeats": args.repeats,
        "best_seconds": best,
        "all_seconds": times,
        "generated_python_over_rust_run": best["generated_python"] / best["generated_rust_run"],
        "shared_python_over_rust_run": best["shared_python"] / best["shared_rust_run"],
        "generated_python_over_runner": best["generated_python"] / best["generated_rust"],
        "shared_python_over_runner": best["shared_python"] / best["shared_rust"],
        "reservoirpy_over_shared_python": best["reservoirpy"] / best["shared_python"],
        "states_bit_identical_to_physrc_run": identical,
        "reservoirpy_states_max_abs_diff": rpy_diff,
        "load_average": {"start": load_start, "end": load_end},
        "machine": {"processor": platform.processor(), "machine": platform.machine(),
                    "python": platform.python_version(), "nproc": os.cpu_count()},
        "reservoirpy": reservoirpy.__version__,
        "numpy": np.__version__,
        "physrc": physrc.__version__,
    }
    print(f"ESN with 500 units, {STEPS} steps, best of {args.repeats}:")
    for k, v in best.items():
        print(f"  {k:18s} {v * 1e3:8.1f} ms  ({v / STEPS * 1e6:.2f} us/step)")
    for name in ("generated", "shared"):
        print(f"  Python / Rust run, {name:9s} {result[f'{name}_python_over_rust_run']:.3f}x"
              f"   (Python / runner {result[f'{name}_python_over_runner']:.3f}x)")
    print(f"  reservoirpy / Python, shared {result['reservoirpy_over_shared_python']:.2f}x")
    print(f"  states bit-identical to physrc run: {identical}")
    print(f"  reservoirpy's states differ from physrc's by at most {rpy_diff:.1e}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

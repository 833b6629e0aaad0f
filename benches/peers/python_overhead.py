#!/usr/bin/env python3
"""What driving a reservoir from Python costs: `physrc.ESN(units=500).run` on 20,000 steps
against the same network driven inside `physrc run`, and against reservoirpy 0.4.2's
`Reservoir.run`.

Protocol
--------
* One input sequence: 20,000 steps of u ~ U[-1, 1) (seed 0), float64.
* physrc from Python: `physrc.ESN(units=500, spectral_radius=0.9, connectivity=0.1, seed=0)`;
  each repeat times `reset()` + `run(u)` with `time.perf_counter`. The states are checked
  against the Rust run's below, bit for bit.
* physrc in Rust: the same `[substrate]` table in a run config reading `u` from a `.npy`
  (`[data]`, `normalize = false`), run by `physrc run --out DIR` with `[output] states = true`;
  the time is the report's `timing.reservoir_seconds`: the runner driving the substrate
  (chunks of 1,024 steps, the readout trained meanwhile on a second thread).
* reservoirpy: `Reservoir(500, sr=0.9, lr=1.0, rc_connectivity=0.1, seed=0)` built and
  initialised once (not timed); each repeat times `reset()` + `run(u)`. Its matrices are
  drawn by reservoirpy, so its states differ: this side measures speed only.
* Best of `--repeats` for each, interleaved, so machine noise hits all three alike.

Usage (from the repository root, with the package installed by `pip install .` in the
release profile, and `cargo build --release -p physrc`)::

    python benches/peers/python_overhead.py --json python-overhead.json
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import physrc

ROOT = Path(__file__).resolve().parents[2]
SUBSTRATE = {"kind": "esn", "units": 500, "spectral_radius": 0.9, "connectivity": 0.1, "seed": 0}


def config_toml(inputs: Path, targets: Path) -> str:
    lines = ["[substrate]"]
    for k, v in SUBSTRATE.items():
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
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    u = rng.uniform(-1.0, 1.0, size=(STEPS, 1))
    y = rng.normal(size=(STEPS, 1))

    esn = physrc.Reservoir.from_config(SUBSTRATE)
    try:
        import reservoirpy
        from reservoirpy.nodes import Reservoir

        rpy = Reservoir(500, sr=0.9, lr=1.0, rc_connectivity=0.1, seed=0)
        rpy.run(u[:10])
        rpy_version = reservoirpy.__version__
    except ImportError:
        rpy, rpy_version = None, None

    times = {"python": [], "rust": [], "reservoirpy": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.save(tmp / "u.npy", u)
        np.save(tmp / "y.npy", y)
        (tmp / "config.toml").write_text(config_toml(tmp / "u.npy", tmp / "y.npy"))
        rust_states = None
        for _ in range(args.repeats):
            esn.reset()
            t0 = time.perf_counter()
            py_states = esn.run(u)
            times["python"].append(time.perf_counter() - t0)

            out = tmp / "out"
            subprocess.run(
                [args.physrc, "run", str(tmp / "config.toml"), "--out", str(out), "--force"],
                check=True,
                capture_output=True,
            )
            report = json.loads((out / "report.json").read_text())
            times["rust"].append(report["timing"]["reservoir_seconds"])
            rust_states = np.load(out / "states.npy")

            if rpy is not None:
                rpy.reset()
                t0 = time.perf_counter()
                rpy.run(u)
                times["reservoirpy"].append(time.perf_counter() - t0)

    identical = rust_states is not None and rust_states.tobytes() == py_states.tobytes()
    best = {k: min(v) for k, v in times.items() if v}
    result = {
        "steps": STEPS,
        "substrate": SUBSTRATE,
        "repeats": args.repeats,
        "best_seconds": best,
        "all_seconds": times,
        "python_over_rust": best["python"] / best["rust"],
        "reservoirpy_over_python": best.get("reservoirpy", float("nan")) / best["python"],
        "states_bit_identical": identical,
        "machine": {"processor": platform.processor(), "machine": platform.machine(),
                    "python": platform.python_version()},
        "reservoirpy": rpy_version,
        "physrc": physrc.__version__,
    }
    print(f"ESN(units=500).run, {STEPS} steps, best of {args.repeats}:")
    for k, v in best.items():
        print(f"  {k:12s} {v * 1e3:8.1f} ms  ({v / STEPS * 1e6:.2f} us/step)")
    print(f"  Python / Rust       {result['python_over_rust']:.3f}x")
    if rpy is not None:
        print(f"  reservoirpy / Python {result['reservoirpy_over_python']:.2f}x")
    print(f"  states bit-identical to physrc run: {identical}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

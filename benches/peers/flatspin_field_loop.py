#!/usr/bin/env python3
"""Side by side: flatspin 2.6 (OpenCL, e.g. pocl on the CPU) vs physrc-nanomagnet on a
field loop.

Protocol (the field-loop set-up of Jensen et al. 2020): SquareSpinIceClosed of side --size
(default 100: 20,200 magnets), alpha 0.001, hc 0.2, disorder 0.05, flip_mode 'max', field ramp
-0.1 -> 0.1 -> -0.1 T at 45 degrees in 200 steps, one relax() per step, polarized start.

Both tools get the *same* inputs: flatspin draws the thresholds (random_seed 1), this script
writes them and the field sequence to .npy files and the physrc example reads them
(`--thresholds`, `--h-ext`), so the final states must agree spin for spin.

flatspin (GPL-3) is only run here, never copied. `cargo xtask peers flatspin` does the
set-up below (except the OpenCL platform) and saves the result with a description of the
machine; by hand:
  apt-get install pocl-opencl-icd          # an OpenCL platform on the CPU
  cargo build --release -p physrc-nanomagnet --example field_loop
  target/peers-venv/bin/python benches/peers/flatspin_field_loop.py [--size 100] \
      [--engine target/release/examples/field_loop] [--json out.json]

Timed on each side: the loop of set_h_ext + relax (wall clock, time.perf_counter in Python,
std::time::Instant in Rust), the model construction separately, and the process CPU time.
flatspin's OpenCL kernels are compiled by one untimed warm-up evaluation before the loop.
`--numpy` runs flatspin's numpy path (`use_opencl=False`) instead; it is far slower (measured
2026-11-25 on 20x20 = 840 magnets: 73.4 s loop vs physrc 2.2 ms), so use a small --size.
Prints one JSON object; `speedup_loop` is flatspin loop time / physrc loop time.
"""
import argparse
import importlib.metadata
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def field_ramp(steps=200):
    half = steps // 2
    phi = np.deg2rad(45.0)
    h = np.empty(steps)
    for t in range(steps):
        if t < half:
            h[t] = -0.1 + 0.2 * t / half
        else:
            h[t] = 0.1 - 0.2 * (t - half) / (steps - half)
    return np.column_stack([h * np.cos(phi), h * np.sin(phi)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--engine", default="target/release/examples/field_loop",
                    help="physrc-nanomagnet field_loop example binary (release build)")
    ap.add_argument("--numpy", action="store_true",
                    help="use flatspin's numpy path instead of OpenCL")
    ap.add_argument("--json", help="also write the result to this file")
    args = ap.parse_args()

    import flatspin
    from flatspin.model import SquareSpinIceClosed

    n = args.size
    h_ext = field_ramp(args.steps)
    load_before = os.getloadavg()

    # flatspin
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    model = SquareSpinIceClosed(size=(n, n), alpha=0.001, hc=0.2, disorder=0.05,
                                random_seed=1, flip_mode="max",
                                use_opencl=not args.numpy)
    fs_build = time.perf_counter() - t0
    model.flippable()  # untimed warm-up: compiles the OpenCL kernels
    flips = 0
    t0 = time.perf_counter()
    for h in h_ext:
        model.set_h_ext(h)
        flips += model.relax()
    fs_loop = time.perf_counter() - t0
    fs_cpu = time.process_time() - cpu0
    fs_spins = np.array(model.spin, dtype=np.int8)

    # physrc, on flatspin's thresholds and the same field array
    with tempfile.TemporaryDirectory() as tmp:
        th = os.path.join(tmp, "thresholds.npy")
        hp = os.path.join(tmp, "h_ext.npy")
        sp = os.path.join(tmp, "spins.npy")
        np.save(th, np.asarray(model.threshold, dtype=np.float64))
        np.save(hp, h_ext)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run([args.engine, str(n), "--thresholds", th, "--h-ext", hp,
                              "--spins-out", sp], check=True, capture_output=True, text=True)
        px_process = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        px = json.loads(out.stdout.strip().splitlines()[-1])
        px_spins = np.load(sp)

    mismatch = int(np.count_nonzero(px_spins != fs_spins))
    result = {
        "size": n,
        "magnets": int(model.spin_count),
        "steps": int(len(h_ext)),
        # flatspin.__version__ comes from setuptools_scm and, run inside this repository,
        # reports *our* git describe (e.g. "0.1.dev47+g170a0524d"); the installed
        # distribution's metadata is the real version.
        "flatspin_version": importlib.metadata.version("flatspin"),
        "flatspin_path": "numpy" if args.numpy else "opencl",
        "flatspin_build_s": round(fs_build, 3),
        "flatspin_loop_s": round(fs_loop, 3),
        "flatspin_cpu_s": round(fs_cpu, 3),
        "flatspin_steps": int(flips),
        "physrc_build_s": px["build_s"],
        "physrc_loop_s": px["loop_s"],
        "physrc_process_s": round(px_process, 4),
        "physrc_cpu_s": round((r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), 4),
        "physrc_flips": px["flips"],
        "final_state_mismatches": mismatch,
        "identical_final_state": mismatch == 0,
        "speedup_loop": round(fs_loop / px["loop_s"], 1),
        "speedup_build_plus_loop": round((fs_build + fs_loop) / px_process, 1),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0 if mismatch == 0 and flips == px["flips"] else 1


if __name__ == "__main__":
    sys.exit(main())

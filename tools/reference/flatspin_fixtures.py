#!/usr/bin/env python3
"""Generate exactness fixtures for physrc-nanomagnet by running flatspin 2.6.

flatspin (GPL-3) is only *run* here; none of its code is copied. Each fixture folder under
crates/physrc-nanomagnet/tests/fixtures/flatspin/<name>/ holds:

  positions.npy   N x 2 float64, magnet centres in lattice units (model.pos)
  angles.npy      N float64, magnet angles in radians (model.angle)
  thresholds.npy  N float64, per-magnet switching thresholds h_k (model.threshold)
  h_ext.npy       T x 2 float64 global field, or T x N x 2 per-magnet field, in tesla
  spins.npy       T x N int8, spin state after each relax()
  flips.npy       T int64, return value of relax() (number of flips) at each step
  energy0.npy     N float64, model.switching_energy() after the first set_h_ext, before relax
  params.json     the model parameters (flatspin names) and the flatspin version

Usage (flatspin 2.6 from PyPI in a venv, numpy path, no OpenCL):
  python -m venv /tmp/fs && /tmp/fs/bin/pip install flatspin==2.6
  /tmp/fs/bin/python tools/reference/flatspin_fixtures.py [OUT_DIR]
"""
import importlib.metadata
import json
import os
import sys

import numpy as np
import flatspin
from flatspin.model import (
    SquareSpinIceClosed,
    SquareSpinIceOpen,
    PinwheelSpinIceDiamond,
    KagomeSpinIce,
)

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "crates", "physrc-nanomagnet", "tests",
    "fixtures", "flatspin")


def loop_amplitudes():
    """Amplitude envelope: a major loop, two minor loops, a major loop (120 steps in total)."""
    parts = []
    for amp, n in ((1.0, 40), (0.62, 20), (0.55, 20), (1.0, 40)):
        t = np.arange(n) / n
        parts.append(amp * np.sin(2 * np.pi * t))
    return np.concatenate(parts)


def global_loop(h_max, angle_deg):
    a = loop_amplitudes() * h_max
    phi = np.deg2rad(angle_deg)
    return np.column_stack([a * np.cos(phi), a * np.sin(phi)])


CASES = [
    # name, class, model kwargs, field amplitude (T), field angle (deg)
    ("square_closed_6x5", SquareSpinIceClosed,
     dict(size=(6, 5), disorder=0.05, random_seed=11), 0.16, 30),
    ("square_open_6x5", SquareSpinIceOpen,
     dict(size=(6, 5), disorder=0.05, random_seed=12), 0.16, 30),
    ("pinwheel_diamond_5x4", PinwheelSpinIceDiamond,
     dict(size=(5, 4), disorder=0.05, random_seed=13, alpha=0.002), 0.16, 30),
    ("kagome_4x3", KagomeSpinIce,
     dict(size=(4, 3), disorder=0.05, random_seed=14, hc=0.1, alpha=0.0015,
          sw_b=1.0, sw_c=1.0, sw_beta=3.0, sw_gamma=3.0), 0.12, 45),
    ("square_closed_4x4_all", SquareSpinIceClosed,
     dict(size=(4, 4), disorder=0.05, random_seed=15, flip_mode="all", alpha=0.003), 0.16, 45),
    ("square_closed_5x4_spacing", SquareSpinIceClosed,
     dict(size=(5, 4), disorder=0.08, random_seed=16, lattice_spacing=0.8,
          neighbor_distance=2), 0.16, 30),
]


def run_case(name, cls, kwargs, h_max, angle_deg, per_magnet=False):
    model = cls(use_opencl=False, **kwargs)
    n = model.spin_count
    h = global_loop(h_max, angle_deg)
    if per_magnet:
        # A spatial gradient along x: 60 % of the field at the left edge, 100 % at the right.
        x = model.pos[:, 0]
        g = 0.6 + 0.4 * (x - x.min()) / (x.max() - x.min())
        h = h[:, None, :] * g[None, :, None]
    steps = len(h)
    spins = np.zeros((steps, n), dtype=np.int8)
    flips = np.zeros(steps, dtype=np.int64)
    energy0 = None
    for t in range(steps):
        model.set_h_ext(h[t])
        if t == 0:
            energy0 = model.switching_energy().copy()
        flips[t] = model.relax()
        spins[t] = model.spin
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "positions.npy"), model.pos)
    np.save(os.path.join(d, "angles.npy"), model.angle)
    np.save(os.path.join(d, "thresholds.npy"), model.threshold)
    np.save(os.path.join(d, "h_ext.npy"), h)
    np.save(os.path.join(d, "spins.npy"), spins)
    np.save(os.path.join(d, "flips.npy"), flips)
    np.save(os.path.join(d, "energy0.npy"), energy0)
    b, c, beta, gamma = model.sw_params
    params = dict(
        # flatspin.__version__ reports the git version of the folder it runs from (setuptools-scm),
        # not the installed release; the package metadata is what pip installed.
        flatspin_version=importlib.metadata.version("flatspin"),
        model=cls.__name__,
        size=list(model.size),
        lattice_spacing=model.lattice_spacing,
        alpha=model.alpha,
        hc=model.hc,
        disorder=model.disorder,
        random_seed=model.random_seed,
        neighbor_distance=float(model.neighbor_distance),
        flip_mode=model.flip_mode,
        sw_b=b, sw_c=c, sw_beta=beta, sw_gamma=gamma,
        field_angle_deg=angle_deg,
        field_amplitude=h_max,
        per_magnet_field=per_magnet,
        steps=steps,
        total_flips=int(flips.sum()),
    )
    with open(os.path.join(d, "params.json"), "w") as f:
        json.dump(params, f, indent=1)
    changed = int(np.sum(spins[1:] != spins[:-1]))
    print(f"{name}: N={n} steps={steps} flips={flips.sum()} "
          f"max/step={flips.max()} spin changes={changed}")


def main():
    for case in CASES:
        run_case(*case)
    run_case("square_open_5x5_gradient", SquareSpinIceOpen,
             dict(size=(5, 5), disorder=0.05, random_seed=17), 0.16, 60, per_magnet=True)

    # Geometry-only fixtures at non-square sizes catch nx/ny swaps and index-order slips.
    geo = os.path.join(OUT, "geometry")
    os.makedirs(geo, exist_ok=True)
    for name, cls, size in (("square_closed", SquareSpinIceClosed, (7, 3)),
                            ("square_open", SquareSpinIceOpen, (7, 3)),
                            ("pinwheel_diamond", PinwheelSpinIceDiamond, (7, 3)),
                            ("kagome", KagomeSpinIce, (5, 4)),
                            ("kagome_odd", KagomeSpinIce, (4, 5))):
        m = cls(size=size, use_opencl=False)
        tag = f"{name}_{size[0]}x{size[1]}"
        np.save(os.path.join(geo, f"{tag}_positions.npy"), m.pos)
        np.save(os.path.join(geo, f"{tag}_angles.npy"), m.angle)
        nl = m._neighbor_list
        counts = np.sum(nl >= 0, axis=1).astype(np.int64)
        np.save(os.path.join(geo, f"{tag}_neighbor_counts.npy"), counts)
        print(f"geometry {tag}: N={m.spin_count} max neighbours={m.num_neighbors}")


if __name__ == "__main__":
    main()

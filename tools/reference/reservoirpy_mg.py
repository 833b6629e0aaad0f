#!/usr/bin/env python3
"""Generate the reservoirpy Mackey-Glass reference fixture for physrc's ESN.

The fixture in ``tests/fixtures/reservoirpy-mg/`` lets the Rust ESN substrate and
ridge readout be checked against reservoirpy 0.4.2 on a real task: one-step-ahead
prediction of a Mackey-Glass series.  reservoirpy draws the matrices, runs the
reservoir and fits its own ``Ridge``; this script only exports what it computed.

Run (from the repository root, with reservoirpy 0.4.2 installed, see
``benches/peers/requirements.txt``)::

    python tools/reference/reservoirpy_mg.py

Semantics reproduced (identical to ``physrc run`` on ``config.toml``):
the reservoir runs continuously over the whole sequence from x0 = 0; the first
``washout`` states are dropped, the next ``train`` states fit the ridge readout
(intercept by centring, not penalised), the next ``test`` states are predicted.
In reservoirpy terms this is ``model.fit(u[:w+n], y[:w+n], warmup=w)`` followed
by ``model.run(u[w+n:])``: the reservoir state carries over from fit to run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import reservoirpy
    from reservoirpy.datasets import mackey_glass
    from reservoirpy.mat_gen import uniform
    from reservoirpy.nodes import Reservoir, Ridge
except ImportError:  # pragma: no cover - environment problem, not a logic branch
    sys.exit("reservoirpy is not installed: pip install -r benches/peers/requirements.txt")

EXPECTED_RESERVOIRPY = "0.4.2"

# Problem sizes: small enough that the committed fixture stays well under 1 MB.
UNITS = 200
LEAK_RATE = 0.3
SPECTRAL_RADIUS = 1.25
RIDGE = 1e-6
RIDGE_TOML = "1e-6"  # written verbatim into config.toml
WASHOUT = 100
TRAIN = 1000
TEST = 500
RESERVOIR_SEED = 7
MG_SEED = 42
# Mackey-Glass integration: reservoirpy's RK4 scheme with step h = 0.1, sampled every
# 1 time unit, first 1000 samples discarded as transient (the usual Mackey–Glass benchmark set-up).
MG_STEP = 0.1
MG_SUBSAMPLE = 10
MG_DISCARD = 1000
# A non-zero reservoir bias so the fixture exercises the bias path (reservoirpy's
# default bias is 0.0).
BIAS_LOW, BIAS_HIGH = -0.2, 0.2


def nrmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """NRMSE = sqrt(mean((y_pred - y_true)^2) / var(y_true)).

    Not reservoirpy's ``observables.nrmse(norm="var")``, which divides the RMSE by
    the variance rather than by the standard deviation.
    """
    return float(np.sqrt(np.mean((y_pred - y_true) ** 2) / np.var(y_true)))


def mackey_glass_scaled(total: int) -> np.ndarray:
    """`total + 1` Mackey-Glass samples min/max-scaled into [-1, 1], shape (total+1, 1)."""
    n_fine = (MG_DISCARD + total + 1) * MG_SUBSAMPLE
    fine = mackey_glass(n_fine, h=MG_STEP, seed=MG_SEED)
    raw = fine[::MG_SUBSAMPLE][MG_DISCARD:]
    assert raw.shape == (total + 1, 1)
    lo, hi = raw.min(), raw.max()
    scaled = 2.0 * (raw - lo) / (hi - lo) - 1.0
    # Guard the substrate's input contract against a last-ulp excursion.
    return np.clip(scaled, -1.0, 1.0)


def to_dense(m) -> np.ndarray:
    """reservoirpy keeps sparse matrices as scipy sparse arrays; export dense float64."""
    if hasattr(m, "toarray"):
        m = m.toarray()
    return np.ascontiguousarray(np.asarray(m, dtype=np.float64))


def plain_numpy_reference(W, Win, bias, u, y):
    """Independent re-implementation of the runner semantics from the exported arrays.

    Used only as a self-check that the exported matrices and the documented
    semantics reproduce reservoirpy's predictions.
    """
    x = np.zeros(W.shape[0])
    states = np.empty((u.shape[0], W.shape[0]))
    for t in range(u.shape[0]):
        x = (1.0 - LEAK_RATE) * x + LEAK_RATE * np.tanh(W @ x + Win @ u[t] + bias)
        states[t] = x
    xs, ys = states[WASHOUT : WASHOUT + TRAIN], y[WASHOUT : WASHOUT + TRAIN]
    xm, ym = xs.mean(axis=0), ys.mean(axis=0)
    xc, yc = xs - xm, ys - ym
    wout = np.linalg.solve(xc.T @ xc + RIDGE * np.eye(W.shape[0]), xc.T @ yc)
    return states[WASHOUT + TRAIN :] @ wout + (ym - xm @ wout)


def main() -> int:
    default_out = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "reservoirpy-mg"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=default_out, help="output folder")
    args = parser.parse_args()

    if reservoirpy.__version__ != EXPECTED_RESERVOIRPY:
        print(
            f"warning: reservoirpy {reservoirpy.__version__} installed, fixture is defined "
            f"for {EXPECTED_RESERVOIRPY}",
            file=sys.stderr,
        )

    total = WASHOUT + TRAIN + TEST
    series = mackey_glass_scaled(total)
    u, y = series[:-1], series[1:]  # one-step-ahead: target is the next (scaled) value

    reservoir = Reservoir(
        UNITS,
        lr=LEAK_RATE,
        sr=SPECTRAL_RADIUS,
        bias=uniform(low=BIAS_LOW, high=BIAS_HIGH),
        seed=RESERVOIR_SEED,
    )
    readout = Ridge(ridge=RIDGE)
    model = reservoir >> readout

    fit_end = WASHOUT + TRAIN
    model.fit(u[:fit_end], y[:fit_end], warmup=WASHOUT)
    predictions = model.run(u[fit_end:])  # continues from the state reached in fit

    W, Win, bias = to_dense(reservoir.W), to_dense(reservoir.Win), to_dense(reservoir.bias)
    assert W.shape == (UNITS, UNITS) and Win.shape == (UNITS, 1) and bias.shape == (UNITS,)

    # Self-checks: the exported arrays plus the documented semantics give the same
    # predictions, and reservoirpy's own alternative path agrees.
    check = plain_numpy_reference(W, Win, bias, u, y)
    diff_numpy = float(np.abs(check - predictions).max())
    reservoir2 = Reservoir(W=W, Win=Win, bias=bias, lr=LEAK_RATE)
    states = reservoir2.run(u)
    ridge2 = Ridge(ridge=RIDGE).fit(states[WASHOUT:fit_end], y[WASHOUT:fit_end])
    diff_path = float(np.abs(ridge2.run(states[fit_end:]) - predictions).max())
    if diff_numpy > 1e-8 or diff_path > 1e-8:
        print(f"error: self-check failed ({diff_numpy:.3e}, {diff_path:.3e})", file=sys.stderr)
        return 1

    score = nrmse(y[fit_end:], predictions)
    args.out.mkdir(parents=True, exist_ok=True)
    arrays = {
        "W.npy": W,
        "Win.npy": Win,
        "bias.npy": bias,
        "u.npy": np.ascontiguousarray(u, dtype=np.float64),
        "y.npy": np.ascontiguousarray(y, dtype=np.float64),
        "predictions.npy": np.ascontiguousarray(predictions, dtype=np.float64),
    }
    for name, arr in arrays.items():
        np.save(args.out / name, arr)
    (args.out / "config.toml").write_text(
        f"""# Generated by tools/reference/reservoirpy_mg.py (reservoirpy {reservoirpy.__version__}).
[substrate]
kind = "esn"
w = "W.npy"
win = "Win.npy"
bias = "bias.npy"
leak_rate = {LEAK_RATE}

[data]
inputs = "u.npy"
targets = "y.npy"
normalize = false

[split]
washout = {WASHOUT}
train = {TRAIN}
test = {TEST}

[readout]
kind = "ridge"
alpha = {RIDGE_TOML}
"""
    )
    print(f"reservoirpy {reservoirpy.__version__}, numpy {np.__version__}")
    print(f"wrote {', '.join(arrays)} and config.toml to {args.out}")
    print(f"test NRMSE (sqrt(mse/var)) = {score:.6e}")
    print(f"self-check max |diff|: plain numpy {diff_numpy:.2e}, reservoir.run+Ridge {diff_path:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

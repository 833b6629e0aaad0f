"""Benchmark tasks: the generators behind a run config's ``[task]`` table.

Inputs are raw (NARMA's ``u`` lies in ``[0, 0.5]``); substrates take inputs in ``[-1, 1]``,
so scale them first, as ``physrc run`` does.
"""

from ._physrc import generate_task as _generate

__all__ = [
    "channel_equalization",
    "generate",
    "henon",
    "mackey_glass",
    "memory_capacity",
    "narma",
    "narma10",
    "sine_square",
    "transform",
]


def generate(spec, length):
    """Generates ``length`` steps of the task the ``[task]`` table ``spec`` describes, for
    example ``{"kind": "mackey-glass", "horizons": [1]}``.

    Returns:
        ``(inputs, targets)``: raw inputs ``T × d`` and targets ``T × k`` float64 (int64 labels
        of length ``T`` for classification tasks).
    """
    return _generate(dict(spec), length)


def narma10(length, seed=0):
    """NARMA10 (Atiya & Parlos 2000): ``(u, y)``, each ``length × 1``, ``u`` in ``[0, 0.5]``."""
    return _generate({"kind": "narma10", "seed": seed}, length)


def narma(length, order=10, seed=0, **params):
    """NARMA of any ``order`` (``{"kind": "narma"}``): ``(u, y)``, each ``length × 1``."""
    return _generate({"kind": "narma", "order": order, "seed": seed, **params}, length)


def mackey_glass(length, **params):
    """The Mackey–Glass series, predicted ``horizon`` steps ahead (``{"kind":
    "mackey-glass"}``; keyword arguments are the keys of that ``[task]`` table)."""
    return _generate({"kind": "mackey-glass", **params}, length)


def henon(length, **params):
    """One-step-ahead prediction of the Hénon map (``{"kind": "henon"}``)."""
    return _generate({"kind": "henon", **params}, length)


def sine_square(length, **params):
    """Sine/square waveform classification (``{"kind": "sine-square"}``): int64 labels."""
    return _generate({"kind": "sine-square", **params}, length)


def transform(length, **params):
    """A waveform transformation, such as sin → cos(2t)·sin(3t) (``{"kind": "transform"}``)."""
    return _generate({"kind": "transform", **params}, length)


def channel_equalization(length, **params):
    """Nonlinear channel equalisation (``{"kind": "channel-equalization"}``)."""
    return _generate({"kind": "channel-equalization", **params}, length)


def memory_capacity(length, seed=0, **params):
    """The input stream of the memory-capacity task (``{"kind": "memory-capacity"}``):
    ``(u, targets)``; the capacities need ``u`` only. By default the i.i.d. uniform input in
    [-1, 1] that :func:`physrc.memory_capacity` and :func:`physrc.ipc` expect; with
    ``input="mackey-glass"`` (and optionally ``mackey_glass={"sample_interval": 2.0}``) the
    Mackey–Glass series, whose past is correlated with its present. ``max_delay`` is accepted
    for the runner and does nothing here."""
    return _generate({"kind": "memory-capacity", "seed": seed, **params}, length)

"""Benchmark tasks: the generators behind a run config's ``[task]`` table.

Inputs are raw (NARMA's ``u`` lies in ``[0, 0.5]``); substrates take inputs in ``[-1, 1]``,
so scale them first, as ``physrc run`` does.
"""

from ._physrc import generate_task as _generate

__all__ = ["generate", "narma10"]


def generate(spec, length):
    """Generates ``length`` steps of the task the ``[task]`` table ``spec`` describes, for
    example ``{"kind": "mackey-glass", "horizon": 1}``.

    Returns:
        ``(inputs, targets)``: raw inputs ``T × d`` and targets ``T × k`` float64 (int64 labels
        of length ``T`` for classification tasks).
    """
    return _generate(dict(spec), length)


def narma10(length, seed=0):
    """NARMA10 (Atiya & Parlos 2000): ``(u, y)``, each ``length × 1``, ``u`` in ``[0, 0.5]``."""
    return _generate({"kind": "narma10", "seed": seed}, length)

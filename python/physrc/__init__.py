"""physrc from Python: physical reservoirs driven from numpy, with the results of ``physrc run``.

Everything numerical happens in the Rust crates behind the ``physrc`` command line, so a number
computed here is the number ``physrc run`` gives for the same config, bit for bit:

- :func:`run` runs an experiment from a run config (a dict or a TOML file) through the code
  behind ``physrc run`` and returns its report, predictions and targets.
- :class:`Reservoir` is one substrate. :func:`ESN`, :func:`Nanomagnet`, :func:`Memristor` and
  :func:`Oscillator` build one from keyword arguments named as the keys of a ``[substrate]``
  table (``docs/config.md``), validated by the same code as a config file;
  :meth:`Reservoir.from_config` takes the table itself.
- :class:`Ridge`, :class:`RidgeCV`, :class:`Classifier` and :class:`RLS` are the readouts of a
  config's ``[readout]`` table; :func:`nrmse`, :func:`nmse`, :func:`mse`, :func:`accuracy`,
  :func:`memory_capacity`, :func:`ipc` and :func:`nonlinearity` its measures; :mod:`physrc.tasks` its benchmark
  generators.
- :func:`simulate_nanomagnet` is ``physrc simulate nanomagnet``: a bare spin-ice simulation
  under flatspin's parameter and result names.

Errors are Python exceptions by kind: ``ValueError`` for invalid inputs or parameters (the
message names the key or row), ``TimeoutError`` for a device that stops answering,
:class:`DeviceError` for a device fault, ``OSError`` for files.
"""

import json as _json

from . import tasks
from ._physrc import (
    RLS,
    Classifier,
    DeviceError,
    FittedClassifier,
    FittedRidge,
    FittedRidgeCV,
    Reservoir,
    Ridge,
    RidgeCV,
    __version__,
    accuracy,
    ipc,
    memory_capacity,
    mse,
    nmse,
    nonlinearity,
    nrmse,
    simulate_nanomagnet,
)
from ._physrc import run as _run

__all__ = [
    "Classifier",
    "DeviceError",
    "ESN",
    "FittedClassifier",
    "FittedRidge",
    "FittedRidgeCV",
    "Memristor",
    "Nanomagnet",
    "Oscillator",
    "RLS",
    "Reservoir",
    "Ridge",
    "RidgeCV",
    "Rig",
    "RunResult",
    "accuracy",
    "ipc",
    "memory_capacity",
    "mse",
    "nmse",
    "nonlinearity",
    "nrmse",
    "run",
    "simulate_nanomagnet",
    "tasks",
]


class RunResult:
    """What :func:`run` returns: the report of ``report.json`` and the test-part arrays.

    Attributes:
        report: the report as a dict, exactly what ``physrc run`` writes to ``report.json``
            (only ``timing`` differs from run to run).
        metrics: ``report["metrics"]``, the test-part metrics (``nrmse``, ``nmse``, ``mse``;
            ``accuracy`` for classifiers).
        predictions: test-part predictions, ``test × k`` float64 (int64 labels for a
            classifier), as ``predictions.npy``.
        targets: test-part targets, as ``targets.npy``.
        states: every state, ``T × state_dim`` (washout included), when asked for with
            ``run(..., states=True)`` or the config's ``[output] states = true``; otherwise
            None.
    """

    __slots__ = ("report", "predictions", "targets", "states")

    def __init__(self, report, predictions, targets, states):
        self.report = report
        self.predictions = predictions
        self.targets = targets
        self.states = states

    @property
    def metrics(self):
        return self.report["metrics"]

    def __repr__(self):
        metrics = ", ".join(f"{k}={v:.6g}" for k, v in self.metrics.items())
        return (
            f"RunResult({self.report['substrate']['name']} on {self.report['data']['name']}: "
            f"{metrics})"
        )


def run(config, *, seed=None, out=None, force=False, states=False):
    """Runs one experiment exactly as ``physrc run CONFIG`` does.

    Args:
        config: a run config as a dict (``{"substrate": {...}, "task": {...}, "split": {...},
            "readout": {...}}``; relative paths resolve against the working folder) or the
            path of a TOML file (relative paths resolve against its folder).
        seed: as ``physrc run --seed``: replaces the substrate's and the task's seeds.
        out: a folder to write ``report.json``, ``predictions.npy``, ``targets.npy`` and the
            trained setup into, as ``physrc run --out`` does.
        force: replace an earlier run's outputs in ``out``.
        states: also return every state (and write ``states.npy`` to ``out``), as
            ``physrc run --states`` does.

    Returns:
        A :class:`RunResult`.

    Raises:
        ValueError: the config is not acceptable (the message names the key).
        OSError: a file could not be read or written.

    The run releases the GIL, so other Python threads go on meanwhile, and Ctrl-C stops it
    within one block of 1,024 steps (``KeyboardInterrupt``), writing nothing to ``out``.
    """
    report, predictions, targets, all_states = _run(
        config, seed=seed, out=out, force=force, states=states
    )
    return RunResult(_json.loads(report), predictions, targets, all_states)


def _substrate(kind, input_dim, params):
    return Reservoir.from_config({**params, "kind": kind}, input_dim=input_dim)


def ESN(*, input_dim=1, **params):
    """An echo-state network: ``ESN(units=500, spectral_radius=0.9, seed=0)``.

    Keyword arguments are the keys of a ``[substrate] kind = "esn"`` table (``docs/config.md``);
    ``input_dim`` is the number of input components per step.
    """
    return _substrate("esn", input_dim, params)


def Nanomagnet(*, input_dim=1, **params):
    """A nanomagnet array (artificial spin ice): ``Nanomagnet(geometry="square-closed",
    size=[10, 10], encoder="loop", h_min=0.076, h_max=0.086, phi=45)``.

    Keyword arguments are the keys of a ``[substrate] kind = "nanomagnet"`` table.
    """
    return _substrate("nanomagnet", input_dim, params)


def Memristor(*, input_dim=1, **params):
    """A memristor reservoir; keyword arguments are the keys of a ``[substrate] kind =
    "memristor"`` table."""
    return _substrate("memristor", input_dim, params)


def Oscillator(*, input_dim=1, **params):
    """An oscillator reservoir (spin-torque, delay or Stuart–Landau); keyword arguments are the
    keys of a ``[substrate] kind = "oscillator"`` table."""
    return _substrate("oscillator", input_dim, params)


def Rig(*, input_dim=1, **params):
    """A serial-attached nanomagnet rig, or its in-process emulator: ``Rig(port="/dev/ttyACM0",
    h_min=0.076, h_max=0.086)``; ``port="emulator"`` (the default) drives the emulator, whose
    sample and hardware are set by ``emulator={...}``.

    Keyword arguments are the keys of a ``[substrate] kind = "rig"`` table. A rig that stops
    answering raises ``TimeoutError``; a fault it reports raises :class:`DeviceError`.
    """
    return _substrate("rig", input_dim, params)

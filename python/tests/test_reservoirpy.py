"""A physrc substrate inside a reservoirpy 0.4.2 pipeline gives what `physrc run` gives."""

import tomllib

import numpy as np
import pytest

import physrc

# Installed by `cargo xtask test`; a missing reservoirpy fails here rather than skipping.
from reservoirpy.nodes import Ridge as RpyRidge

from physrc.reservoirpy import Node


def test_a_pipeline_with_reservoirpys_ridge_predicts_as_physrc_run(root):
    table = tomllib.loads((root / "configs/esn-narma10.toml").read_text())
    table["output"] = {"states": True}
    result = physrc.run(table)
    split = table["split"]
    washout, train, test = split["washout"], split["train"], split["test"]
    end_train = washout + train

    u, y = physrc.tasks.narma10(washout + train + test, seed=table["task"]["seed"])
    # The runner's scaling of NARMA's known range [0, 0.5] onto [-1, 1], operation for operation.
    u = np.clip(2.0 * (u - 0.0) / (0.5 - 0.0) - 1.0, -1.0, 1.0)

    node = Node(physrc.Reservoir.from_config(table))
    model = node >> RpyRidge(ridge=table["readout"]["alpha"])
    model.fit(u[:end_train], y[:end_train], warmup=washout)
    predictions = model.run(u[end_train:])

    # The substrate driven through reservoirpy saw the runner's inputs: the same states.
    node.reset()
    states = node.run(u)
    assert states.tobytes() == result.states.tobytes()
    # The readouts differ in how they solve (reservoirpy: normal equations with an augmented
    # bias column; physrc: centred Cholesky), so the predictions agree to rounding only.
    np.testing.assert_allclose(predictions, result.predictions, rtol=0, atol=1e-6)
    assert physrc.nrmse(predictions, result.targets) == pytest.approx(
        result.metrics["nrmse"], rel=1e-5
    )


def test_the_node_refuses_parallel_workers_and_reset_resets_the_substrate():
    node = Node(physrc.ESN(units=20, seed=0))
    u = np.linspace(-1, 1, 50)[:, None]
    first = node.run(u)
    node.reset()
    assert node.run(u).tobytes() == first.tobytes()
    with pytest.raises(ValueError, match="workers"):
        node.run([u, u], workers=2)

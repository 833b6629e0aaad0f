"""A physrc substrate as a reservoirpy 0.4 node, so it drops into reservoirpy pipelines.

    import physrc
    from physrc.reservoirpy import Node
    from reservoirpy.nodes import Ridge

    model = Node(physrc.Nanomagnet(...)) >> Ridge(ridge=1e-6)
    model.fit(u_train, y_train, warmup=200)
    y_pred = model.run(u_test)

reservoirpy is optional: importing this module needs it (``pip install reservoirpy==0.4.2``),
``import physrc`` does not.

The substrate keeps its own state (a magnetisation, a filament) that cannot be copied into
reservoirpy's state dict, so the node is stateful the physical way: every run continues from
where the last one left the substrate, and ``reset()`` resets the substrate. The node's
``state["out"]`` is the last state read out. Runs over several series go one after the other
through the one substrate, so ``workers`` must stay 1.
"""

import numpy as np
from reservoirpy import Node as _RpyNode

__all__ = ["Node"]


class Node(_RpyNode):
    """Wraps a :class:`physrc.Reservoir`: inputs in ``[-1, 1]``, ``input_dim`` components per
    step; outputs are its states, ``state_dim`` components per step."""

    def __init__(self, substrate, name=None):
        self.substrate = substrate
        self.input_dim = substrate.input_dim
        self.output_dim = substrate.state_dim
        self.name = name
        self.state = {}

    def initialize(self, x, y=None):
        self._set_input_dim(x)
        self.state = {"out": np.zeros(self.output_dim)}
        self.initialized = True

    def _step(self, state, x):
        return {"out": self.substrate.step(x)}

    def _run(self, state, x):
        out = self.substrate.run(x)
        last = out[-1].copy() if len(out) else state["out"]
        return {"out": last}, out

    def run(self, x=None, iters=None, workers=1):
        if workers != 1:
            raise ValueError(
                "a physrc node drives one physical substrate, so its series run one after "
                "the other: workers must be 1"
            )
        return super().run(x, iters=iters, workers=workers)

    def reset(self):
        previous = self.state
        self.substrate.reset()
        self.state = {"out": np.zeros(self.output_dim)}
        return previous

    def __str__(self):
        return f"Node({self.substrate!r})"

    __repr__ = __str__

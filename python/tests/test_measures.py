"""Memory capacity, information processing capacity and nonlinearity from numpy, on states
whose capacities are known exactly."""

import numpy as np
import pytest

import physrc


def delay_line(u, taps):
    """States that hold the last `taps` inputs: x[t] = (u[t], u[t-1], ..., u[t-taps+1])."""
    x = np.zeros((len(u), taps))
    for k in range(taps):
        x[k:, k] = u[: len(u) - k]
    return x


def test_a_delay_line_of_ten_taps_remembers_exactly_ten_delays():
    u, _ = physrc.tasks.memory_capacity(5000, seed=0)
    u = u[:, 0]
    assert -1.0 <= u.min() and u.max() <= 1.0
    mc = physrc.memory_capacity(delay_line(u, 10), u, max_delay=30)
    per = mc["per_delay"]
    assert per.shape == (31,)
    np.testing.assert_allclose(per[:10], 1.0, atol=1e-9)
    assert not per[10:].any()
    # Delay 0 counts in physrc's total; Jaeger (2001) and reservoirpy sum from delay 1.
    assert mc["total"] == pytest.approx(10.0, abs=1e-8)
    assert mc["total_from_1"] == pytest.approx(9.0, abs=1e-8)


def test_ipc_separates_linear_memory_from_a_second_degree_term():
    u, _ = physrc.tasks.memory_capacity(6000, seed=1)
    u = u[:, 0]
    # u[t], u[t-1] and the second Legendre polynomial of u[t]: capacity 2 of degree 1 and 1 of
    # degree 2 (Dambre et al. 2012), nothing else.
    x = delay_line(u, 2)
    x = np.hstack([x, (1.5 * u**2 - 0.5)[:, None]])
    r = physrc.ipc(x, u, max_degree=3, max_delay=5)
    np.testing.assert_allclose(r["by_degree"], [0.0, 2.0, 1.0, 0.0], atol=1e-8)
    assert r["total"] == pytest.approx(3.0, abs=1e-8)
    factors = sorted(tuple(f) for f, _ in r["terms"])
    assert factors == [((0, 1),), ((0, 2),), ((1, 1),)]


def test_the_capacities_refuse_bad_inputs():
    u = np.random.default_rng(0).uniform(-1, 1, 500)
    x = delay_line(u, 3)
    with pytest.raises(ValueError):
        physrc.memory_capacity(x[:400], u)
    with pytest.raises(ValueError, match="inputs"):
        physrc.memory_capacity(x, np.stack([u, u], axis=1))
    with pytest.raises(ValueError, match="train_fraction"):
        physrc.memory_capacity(x, u, max_delay=10, train_fraction=1.5)
    with pytest.raises(ValueError):
        physrc.ipc(x, 2 * u, max_delay=5)


def test_nonlinearity_is_zero_for_a_delay_line_and_one_for_squares():
    u, _ = physrc.tasks.memory_capacity(3000, seed=2)
    u = u[:, 0]
    linear = physrc.nonlinearity(delay_line(u, 5), u, delays=8)
    assert linear["value"] == pytest.approx(0.0, abs=1e-9)
    assert sorted(j for j, _ in linear["per_channel"]) == [0, 1, 2, 3, 4]
    # Squares of a symmetric input are uncorrelated with every recent input.
    squares = delay_line(u, 3) ** 2
    assert physrc.nonlinearity(squares, u, delays=8)["value"] > 0.95
    with pytest.raises(ValueError):
        physrc.nonlinearity(squares, u, delays=0)

"""The readout, metric and tasks physrc's runner uses, from numpy."""

import numpy as np
import pytest

import physrc


def test_ridge_matches_the_closed_form_with_an_unpenalised_intercept():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 6))
    y = x @ rng.normal(size=(6, 2)) + 3.0 + 0.01 * rng.normal(size=(500, 2))
    alpha = 0.1
    fitted = physrc.Ridge(alpha).fit(x, y)
    xc, yc = x - x.mean(0), y - y.mean(0)
    w = np.linalg.solve(xc.T @ xc + alpha * np.eye(6), xc.T @ yc)
    b = y.mean(0) - x.mean(0) @ w
    np.testing.assert_allclose(fitted.weights, w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fitted.intercept, b, rtol=1e-10)
    np.testing.assert_allclose(fitted.predict(x), x @ w + b, rtol=1e-10, atol=1e-10)


def test_one_dimensional_targets_give_one_dimensional_predictions():
    x = np.linspace(0, 1, 50)[:, None]
    fitted = physrc.Ridge(1e-9).fit(x, 2 * x[:, 0] + 1)
    p = fitted.predict(x)
    assert p.shape == (50,)
    np.testing.assert_allclose(p, 2 * x[:, 0] + 1, atol=1e-6)


def test_ridge_errors_are_value_errors():
    with pytest.raises(ValueError, match="alpha"):
        physrc.Ridge(-1.0)
    with pytest.raises(ValueError):
        physrc.Ridge(1e-6).fit(np.zeros((10, 2)), np.zeros((9, 1)))
    with pytest.raises(ValueError):
        physrc.Ridge(1e-6).fit(np.full((10, 2), np.nan), np.zeros((10, 1)))


def test_nrmse_is_rmse_over_the_target_standard_deviation():
    rng = np.random.default_rng(1)
    t = rng.normal(size=200)
    p = t + 0.1 * rng.normal(size=200)
    expected = np.sqrt(np.mean((p - t) ** 2) / np.var(t))
    assert physrc.nrmse(p, t) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError):
        physrc.nrmse(np.zeros(5), np.ones(5))


def test_narma10_is_the_runners_task():
    u, y = physrc.tasks.narma10(1000, seed=4)
    assert u.shape == (1000, 1) and y.shape == (1000, 1)
    assert 0.0 <= u.min() and u.max() <= 0.5
    again, _ = physrc.tasks.narma10(1000, seed=4)
    assert again.tobytes() == u.tobytes()
    other, _ = physrc.tasks.narma10(1000, seed=5)
    assert other.tobytes() != u.tobytes()
    with pytest.raises(ValueError, match="cmyk"):
        physrc.tasks.generate({"kind": "narma10", "cmyk": 1}, 10)


def test_a_reservoir_and_ridge_pipeline_learns_narma10():
    u, y = physrc.tasks.narma10(3000, seed=0)
    esn = physrc.ESN(units=200, spectral_radius=0.9, input_scaling=0.25, bias_scaling=0.25,
                     connectivity=0.1, seed=0)
    states = esn.run(4 * u - 1)
    fitted = physrc.Ridge(1e-6).fit(states[100:2500], y[100:2500])
    score = physrc.nrmse(fitted.predict(states[2500:]), y[2500:])
    assert score < 0.5

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


def gcv_scores(x, y, alphas):
    """Generalised cross-validation (Golub, Heath & Wahba 1979) of a ridge with an unpenalised
    intercept: (RSS / T) / (1 - df / T)^2 with df the trace of the hat matrix, averaged over
    outputs, computed directly from the hat matrix."""
    t = x.shape[0]
    xc = x - x.mean(0)
    scores = []
    for a in alphas:
        h = np.ones((t, t)) / t + xc @ np.linalg.solve(xc.T @ xc + a * np.eye(x.shape[1]), xc.T)
        resid = y - h @ y
        df = np.trace(h)
        scores.append(np.mean(np.sum(resid**2, axis=0) / t) / (1 - df / t) ** 2)
    return np.array(scores)


def test_ridge_cv_scores_each_penalty_by_gcv_and_refits_with_the_best():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(120, 30))
    y = x[:, :3] @ np.array([[1.0], [-2.0], [0.5]]) + 0.8 * rng.normal(size=(120, 1))
    alphas = np.logspace(-4, 3, 15)
    fitted = physrc.RidgeCV(alphas).fit(x, y)
    np.testing.assert_allclose(fitted.scores, gcv_scores(x, y, alphas), rtol=1e-8)
    assert fitted.alpha == alphas[int(np.argmin(fitted.scores))]
    # Noisy targets and many useless features: the chosen penalty is well above the smallest.
    assert fitted.alpha > 1e-2
    plain = physrc.Ridge(fitted.alpha).fit(x, y)
    np.testing.assert_allclose(fitted.predict(x), plain.predict(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fitted.weights, plain.weights, rtol=1e-9, atol=1e-12)


def test_ridge_cv_methods_and_errors():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 5))
    y = x @ rng.normal(size=5) + 0.1 * rng.normal(size=200)
    for cv in ["gcv", "loo", "kfold"]:
        fitted = physrc.RidgeCV(cv=cv).fit(x, y)
        assert len(fitted.scores) == 25 and fitted.predict(x).shape == (200,)
        assert physrc.nrmse(fitted.predict(x), y) < 0.1
    with pytest.raises(ValueError, match="cv"):
        physrc.RidgeCV(cv="bootstrap")
    with pytest.raises(ValueError, match="alphas"):
        physrc.RidgeCV([])
    with pytest.raises(ValueError, match="folds"):
        physrc.RidgeCV(cv="kfold", folds=1)


def test_classifier_is_one_hot_ridge_and_argmax():
    rng = np.random.default_rng(4)
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    labels = rng.integers(0, 3, size=300)
    x = centres[labels] + 0.5 * rng.normal(size=(300, 2))
    fitted = physrc.Classifier(1e-3).fit(x, labels)
    assert fitted.n_classes == 3
    onehot = np.eye(3)[labels]
    ridge = physrc.Ridge(1e-3).fit(x, onehot)
    np.testing.assert_allclose(fitted.decision(x), ridge.predict(x), rtol=1e-10, atol=1e-12)
    predicted = fitted.predict(x)
    assert predicted.dtype == np.int64
    np.testing.assert_array_equal(predicted, np.argmax(ridge.predict(x), axis=1))
    assert physrc.accuracy(predicted, labels) > 0.97
    # Labels of any integer dtype, or whole floats, are class indices; 1.5 is refused.
    assert physrc.Classifier(1e-3).fit(x, labels.astype(np.int32)).n_classes == 3
    with pytest.raises(ValueError, match=r"labels\[1\]"):
        physrc.Classifier().fit(x[:3], [0.0, 1.5, 1.0])
    with pytest.raises(ValueError, match="pooling"):
        physrc.Classifier(pooling="max")


def test_classifier_of_sequences_pools_each_sequence():
    rng = np.random.default_rng(5)
    labels = np.array([0, 1] * 20)
    seqs = [rng.normal(loc=2.0 * c, size=(int(rng.integers(5, 15)), 3)) for c in labels]
    fitted = physrc.Classifier(1e-6, pooling="mean").fit_sequences(seqs, labels)
    pooled = np.array([s.mean(0) for s in seqs])
    direct = physrc.Classifier(1e-6).fit(pooled, labels)
    np.testing.assert_array_equal(fitted.predict_sequences(seqs), direct.predict(pooled))
    np.testing.assert_allclose(fitted.weights, direct.weights, rtol=1e-10)
    last = physrc.Classifier(1e-6, pooling="last").fit_sequences(seqs, labels)
    np.testing.assert_allclose(
        last.weights, physrc.Classifier(1e-6).fit([s[-1] for s in seqs], labels).weights,
        rtol=1e-10)
    with pytest.raises(TypeError, match="sequences"):
        fitted.predict_sequences(np.zeros((3, 3)))


def test_rls_without_forgetting_is_the_batch_least_squares_with_penalty_delta():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(400, 4))
    y = x @ rng.normal(size=(4, 2)) + 1.5 + 0.05 * rng.normal(size=(400, 2))
    delta = 0.3
    rls = physrc.RLS(4, 2, delta=delta).fit(x, y)
    assert rls.n_updates == 400
    # RLS from P(0) = I/delta minimises |y - [x 1] w|^2 + delta |w|^2, intercept included.
    xa = np.hstack([x, np.ones((400, 1))])
    w = np.linalg.solve(xa.T @ xa + delta * np.eye(5), xa.T @ y)
    np.testing.assert_allclose(rls.weights, w[:4], rtol=1e-8)
    np.testing.assert_allclose(rls.intercept, w[4], rtol=1e-8)
    np.testing.assert_allclose(rls.predict(x), xa @ w, rtol=1e-8)
    # Row by row is the same learning.
    one = physrc.RLS(4, 2, delta=delta)
    for xr, yr in zip(x, y):
        one.update(xr, yr)
    np.testing.assert_array_equal(one.weights, rls.weights)
    rls.reset()
    assert rls.n_updates == 0 and not rls.weights.any()


def test_rls_errors_are_value_errors_and_leave_it_unchanged():
    rls = physrc.RLS(3)
    rls.update([1.0, 2.0, 3.0], 1.0)
    before = rls.weights.copy()
    with pytest.raises(ValueError, match="forgetting"):
        physrc.RLS(3, forgetting=1.5)
    with pytest.raises(ValueError, match="columns"):
        rls.fit(np.zeros((5, 2)), np.zeros(5))
    with pytest.raises(ValueError):
        rls.update([1.0, np.nan, 3.0], 1.0)
    np.testing.assert_array_equal(rls.weights, before)
    assert rls.n_updates == 1


def test_mse_nmse_and_accuracy():
    t = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.5, 2.0, 2.5, 4.0])
    assert physrc.mse(p, t) == pytest.approx(0.125, rel=1e-15)
    assert physrc.nmse(p, t) == pytest.approx(0.125 / np.var(t), rel=1e-15)
    assert physrc.accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75
    with pytest.raises(ValueError):
        physrc.mse(p, t[:3])


def test_any_memory_layout_fits_and_predicts_as_a_contiguous_array():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(300, 8))
    y = rng.normal(size=(300, 2))
    base = physrc.Ridge(1e-3).fit(x, y)
    for xs, ys in [(np.asfortranarray(x), np.asfortranarray(y)),
                   (np.repeat(x, 2, axis=0)[::2], y), (x.astype(np.float32), y)]:
        fitted = physrc.Ridge(1e-3).fit(xs, ys)
        tol = 1e-5 if xs.dtype == np.float32 else 0.0
        np.testing.assert_allclose(fitted.weights, base.weights, rtol=tol, atol=tol)
        np.testing.assert_allclose(fitted.predict(xs), base.predict(x), rtol=tol, atol=tol)
    rls = physrc.RLS(8, 2).fit(np.asfortranarray(x), y[::-1])
    np.testing.assert_array_equal(rls.weights, physrc.RLS(8, 2).fit(x, y[::-1].copy()).weights)

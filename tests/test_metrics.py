"""Metrics the rows do not define are None, never NaN (issue 12, part 4)."""

import numpy as np
import pytest

from descend import GDClassifier, GDRegressor
from descend.metrics import table_metrics, why_undefined


@pytest.fixture(scope="module")
def regressor():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2))
    return GDRegressor(max_iter=5, tol=None).fit(X, X @ [1.0, -1.0] + 0.1)


def test_r2_of_one_row_is_undefined(regressor):
    metrics = table_metrics("regression", regressor, [(np.ones((1, 2)), np.array([3.0]))])
    assert metrics["R^2"] is None and metrics["rows"] == 1
    assert np.isfinite(metrics["RMSE"]) and np.isfinite(metrics["MAE"])
    assert why_undefined(metrics) == {"R^2": "a single row"}


def test_r2_of_a_constant_target_is_undefined_even_when_its_mean_is_not_exact(regressor):
    X = np.random.default_rng(1).standard_normal((30, 2))
    y = np.full(30, 0.1)  # the mean of thirty 0.1s is not 0.1 in floating point
    metrics = table_metrics("regression", regressor, [(X[:7], y[:7]), (X[7:], y[7:])])
    assert metrics["R^2"] is None
    assert why_undefined(metrics) == {"R^2": "the true values are all equal"}


def test_defined_metrics_have_no_reason(regressor):
    X = np.random.default_rng(2).standard_normal((30, 2))
    metrics = table_metrics("regression", regressor, [(X, X @ [1.0, -1.0])])
    assert metrics["R^2"] > 0.5 and why_undefined(metrics) == {}


def test_log_loss_of_a_class_the_model_never_saw_is_undefined():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 2))
    model = GDClassifier(max_iter=5, tol=None).fit(X, np.where(X[:, 0] > 0, "up", "down"))
    labels = np.array(["up", "down", "sideways"], dtype=object)
    metrics = table_metrics("classification", model, [(X[:3], labels)])
    assert metrics["log loss"] is None and 0 <= metrics["accuracy"] <= 2 / 3
    assert why_undefined(metrics) == {"log loss": "a class the model never saw"}
    one_class = table_metrics("classification", model, [(X[:5], np.array(["up"] * 5, dtype=object))])
    assert np.isfinite(one_class["log loss"])  # a class missing from the rows leaves the log loss defined


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((600, 3))
    return X, rng.poisson(np.exp(0.5 + X @ [0.4, -0.3, 0.2])).astype(float)


@pytest.mark.parametrize(
    "loss, power", [("poisson", 1.0), ("gamma", 2.0), ("tweedie", 1.5), ("tweedie", 3.0), ("tweedie", 0.0)]
)
def test_deviance_and_d2_gathered_by_chunks_are_scikit_learns(counts, loss, power):
    from sklearn.metrics import d2_tweedie_score, mean_tweedie_deviance

    X, y = counts
    if power >= 2:
        y = y + 0.5  # positive
    model = GDRegressor(loss=loss, power=power, max_iter=30, tol=None).fit(X, y)
    prediction = model.predict(X)
    # three uneven chunks, one of them all of one value: D^2's denominator gathered across them is exact
    order = np.argsort(y, kind="stable")
    pieces = [order[:40], order[40:451], order[451:]]
    metrics = table_metrics("regression", model, [(X[rows], y[rows]) for rows in pieces])
    name = {"poisson": "mean Poisson deviance", "gamma": "mean Gamma deviance"}.get(
        loss, f"mean Tweedie deviance (power {power:g})"
    )
    assert set(metrics) == {name, "D^2", "rows"} and metrics["rows"] == 600
    np.testing.assert_allclose(metrics[name], mean_tweedie_deviance(y, prediction, power=power), rtol=1e-12)
    np.testing.assert_allclose(metrics["D^2"], d2_tweedie_score(y, prediction, power=power), rtol=1e-10)
    assert 0.05 < metrics["D^2"] < 1


def test_deviance_of_a_constant_target_and_of_an_overflowing_prediction(counts):
    X, y = counts
    model = GDRegressor(loss="poisson", max_iter=30, tol=None).fit(X, y)
    metrics = table_metrics("regression", model, [(X[:20], np.full(20, 3.0))])
    assert metrics["D^2"] is None and np.isfinite(metrics["mean Poisson deviance"])
    assert why_undefined(metrics) == {"D^2": "the true values are all equal"}
    huge = X[:5] * 1e6  # exp of the score overflows: neither number is defined, and neither is NaN
    metrics = table_metrics("regression", model, [(huge, y[:5])])
    assert metrics["mean Poisson deviance"] is None and metrics["D^2"] is None
    assert set(why_undefined(metrics).values()) == {
        "a prediction is 0 or infinite (the exponential of a score out of range)"
    }


def test_targets_outside_a_log_link_loss_are_named(counts):
    X, y = counts
    model = GDRegressor(loss="gamma", max_iter=5, tol=None).fit(X, y + 1)
    with pytest.raises(ValueError, match=r"'gamma' needs positive targets.*y\[2\] = 0"):
        table_metrics("regression", model, [(X[:3], np.array([1.0, 2.0, 0.0]))])


def test_quantile_metrics_are_the_pinball_loss_and_the_coverage():
    from sklearn.metrics import mean_pinball_loss

    from descend.metrics import COVERAGE

    rng = np.random.default_rng(5)
    X = rng.standard_normal((2000, 2))
    y = X @ [1.0, -1.0] + rng.standard_normal(2000)
    model = GDRegressor(loss="quantile", quantile=0.8).fit(X, y)
    prediction = model.predict(X)
    metrics = table_metrics("regression", model, [(X[:700], y[:700]), (X[700:], y[700:])])
    assert set(metrics) == {"mean pinball loss", COVERAGE, "rows"}
    np.testing.assert_allclose(metrics["mean pinball loss"], mean_pinball_loss(y, prediction, alpha=0.8), rtol=1e-12)
    assert metrics[COVERAGE] == np.mean(y <= prediction) and abs(metrics[COVERAGE] - 0.8) < 0.02

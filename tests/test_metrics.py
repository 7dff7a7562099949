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

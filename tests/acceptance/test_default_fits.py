"""Defaults that reach the optimum, or say how far they stopped (issue 12).

Each optimizer name with every other parameter at its default, on ISLR's Default data (unscaled),
standardized iris (multinomial) and Boston (regression): the final objective is within 1e-3
(relative) of the exact optimum of the same objective, computed here independently by L-BFGS, or a
ConvergenceWarning says how far the fit stopped. The default optimizer and Adam get there without
a warning.
"""

import warnings
from importlib import resources

import numpy as np
import pytest
from scipy.optimize import minimize as lbfgs
from scipy.special import logsumexp
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from descend import GDClassifier, GDRegressor
from descend.datasets import load_default, load_housing
from descend.optimizers import OPTIMIZER_NAMES

ALPHA = 1e-4  # the default penalty: alpha / 2 |w|^2


def default_data():
    bunch = load_default()
    return "binary", bunch.data.to_numpy(dtype=float), (bunch.target == "Yes").to_numpy().astype(int)


def iris_data():
    bunch = load_iris()
    return "multiclass", StandardScaler().fit_transform(bunch.data), bunch.target


def boston_data():
    bunch = load_housing()
    return "regression", bunch.data.to_numpy(dtype=float), bunch.target.to_numpy(dtype=float)


DATA = {"default": default_data, "iris": iris_data, "boston": boston_data}


def objective(kind, X, y, coef, intercept):
    """The estimators' objective: mean loss + alpha/2 |w|^2 (unpenalized intercept)."""
    coef, intercept = np.atleast_2d(coef), np.atleast_1d(intercept)
    scores = X @ coef.T + intercept
    penalty = 0.5 * ALPHA * np.sum(coef * coef)
    if kind == "regression":
        return 0.5 * np.mean((scores[:, 0] - y) ** 2) + penalty
    if kind == "binary":
        return np.mean(np.logaddexp(0.0, -(2 * y - 1) * scores[:, 0])) + penalty
    return np.mean(logsumexp(scores, axis=1) - scores[np.arange(len(y)), y]) + penalty


def exact_optimum(kind, X, y):
    """The optimum of the same objective by L-BFGS (scipy), in standardized coordinates, to 1e-12."""
    mean, std = X.mean(axis=0), X.std(axis=0)
    Z = (X - mean) / std
    p, k = X.shape[1], (len(np.unique(y)) if kind == "multiclass" else 1)

    def value_and_gradient(v):
        V = v.reshape(k, p + 1)
        scores = Z @ V[:, :p].T + V[:, p]
        if kind == "regression":
            residual = scores[:, 0] - y
            value, dscores = 0.5 * np.mean(residual**2), residual[:, None] / len(y)
        elif kind == "binary":
            sign = 2 * y - 1
            margin = -sign * scores[:, 0]
            value = np.mean(np.logaddexp(0.0, margin))
            dscores = (-sign / (1 + np.exp(-margin)))[:, None] / len(y)
        else:
            lse = logsumexp(scores, axis=1)
            value = np.mean(lse - scores[np.arange(len(y)), y])
            dscores = np.exp(scores - lse[:, None])
            dscores[np.arange(len(y)), y] -= 1
            dscores /= len(y)
        W = V[:, :p] / std  # the penalty is on the original coefficients
        value += 0.5 * ALPHA * np.sum(W * W)
        gradient = np.column_stack([dscores.T @ Z + ALPHA * W / std, dscores.sum(axis=0)])
        return value, gradient.ravel()

    result = lbfgs(
        value_and_gradient,
        np.zeros(k * (p + 1)),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 100_000, "gtol": 1e-12, "ftol": 1e-16},
    )
    return result.fun


@pytest.fixture(scope="module")
def optima():
    return {name: exact_optimum(*make()) for name, make in DATA.items()}


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
@pytest.mark.parametrize("name", DATA)
def test_defaults_reach_the_optimum_or_warn_how_far(optima, name, optimizer):
    kind, X, y = DATA[name]()
    model = (GDRegressor if kind == "regression" else GDClassifier)(optimizer=optimizer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    short = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    coef = model.coef_[0] if kind == "binary" else model.coef_
    intercept = model.intercept_ if kind == "multiclass" else model.intercept_[0]
    gap = (objective(kind, X, y, coef, intercept) - optima[name]) / abs(optima[name])
    assert gap > -1e-9  # L-BFGS found the optimum: nothing is below it
    if optimizer in ("sgd", "adam"):
        assert not short and gap <= 1e-3, (gap, short)
    elif short:
        assert "gradient's norm at" in short[0] or "by " in short[0]
    else:
        assert gap <= 1e-3, f"{optimizer} on {name} stopped {gap:.1e} above the optimum without a warning"


def test_islr_default_logistic_regression_at_defaults():
    """ISLR (2nd ed.), table 4.3: default ~ balance + income + student on all 10,000 rows."""
    _, X, y = default_data()
    model = GDClassifier(penalty=None).fit(X, y)
    balance, income, student = model.coef_[0]
    assert (round(balance, 4), round(income * 1000, 4), round(student, 4)) == (0.0057, 0.0030, -0.6468)
    assert round(model.intercept_[0], 4) == -10.8690


def test_default_held_out_accuracy_matches_logistic_regression():
    _, X, y = default_data()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    ours = GDClassifier().fit(X_train, y_train).score(X_test, y_test)
    theirs = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train).score(X_test, y_test)
    assert abs(ours - theirs) <= 0.002, (ours, theirs)


def test_descend_fit_on_default_matches_logistic_regression(tmp_path, run_cli):
    """The command line's held-out accuracy, against LogisticRegression on the very split and design
    matrix the command line uses (student one-hot encoded)."""
    import pandas as pd

    source = resources.files("descend").joinpath("data", "Default.csv")
    frame = pd.read_csv(source)
    path = tmp_path / "Default.csv"
    frame.to_csv(path, index=False)
    result = run_cli("fit", path, "--target", "default", "--out", tmp_path / "model.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    printed = float(next(line for line in result.stdout.splitlines() if "accuracy" in line).split()[-2])
    y = (frame["default"] == "Yes").to_numpy().astype(int)
    X = np.column_stack([frame["balance"], frame["income"], frame["student"] == "No", frame["student"] == "Yes"])
    train, test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=0, stratify=y)
    theirs = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[train], y[train]).score(X[test], y[test])
    assert abs(printed - theirs) <= 0.002, (printed, theirs)

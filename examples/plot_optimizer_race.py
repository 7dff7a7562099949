"""
Which optimizer when: a race of every optimizer
===============================================

Every optimizer that :func:`descend.minimize` takes by name, on four problems: Rosenbrock's valley, a
quadratic with condition number 1000, logistic regression on the Default data (ISLR: default on balance,
income and student, standardized; every fourth row) and logistic regression on 1,200 hashed short texts
(4,096 columns, an L2 penalty of 1e-3). Each runs at each rate of a small grid (10^-3 to 1 on the
functions, 0.1 to 10 on the data; Prodigy needs none) until its objective is first within 1e-6 of the
problem's minimum, found by an exact solver. The table gives the best rate's steps and time, the picture
the steps. First within: a method of fixed-size steps (Lion) may pass that close and wander off again.
A dash: no rate of the grid got there within the steps allowed. The grid is coarse and the problems
small: read it for the shape, not the last digit.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize as scipy_minimize
from scipy.special import expit

from descend import minimize
from descend.datasets import load_default
from descend.exceptions import DivergenceError
from descend.functions import Quadratic, get_function
from descend.optimizers import OPTIMIZER_NAMES, get_optimizer
from descend.text import hash_texts

GAP = 1e-6
FUNCTION_RATES = [1e-3, 1e-2, 1e-1, 1.0]
DATA_RATES = [0.1, 1.0, 10.0]


def logistic(X, y, alpha=0.0):
    """Mean logistic loss (labels 0/1) of x = (weights, intercept), with an L2 penalty on the weights."""
    Z = (
        sp.hstack([X, np.ones((X.shape[0], 1))], format="csr")
        if sp.issparse(X)
        else np.column_stack([X, np.ones(X.shape[0])])
    )
    sign = 2.0 * y - 1.0

    def fun(w):
        margin = sign * (Z @ w)
        weights = w[:-1]
        value = np.mean(np.logaddexp(0.0, -margin)) + 0.5 * alpha * weights @ weights
        grad = -(Z.T @ (sign * expit(-margin))) / len(y)
        grad[:-1] += alpha * weights
        return value, grad

    return fun, np.zeros(Z.shape[1])


def exact_minimum(fun, x0):
    return scipy_minimize(fun, x0, jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15}).fun


def default_problem():
    frame = load_default().frame.iloc[::4]  # every fourth of the 10,000 rows: a race of seconds
    X = np.column_stack([frame["balance"], frame["income"], frame["student"] == "Yes"]).astype(float)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return logistic(X, (frame["default"] == "Yes").to_numpy(float))


def text_problem():
    rng = np.random.default_rng(0)
    common = [f"word{i}" for i in range(300)]
    topics = [["match", "goal", "team", "score", "season"], ["market", "stock", "bank", "rate", "price"]]
    labels = rng.integers(0, 2, 1200)
    texts = [
        " ".join(rng.permutation(list(rng.choice(common, 12)) + list(rng.choice(topics[label], 2)))) for label in labels
    ]
    return logistic(hash_texts(texts, n_features=4096), labels.astype(float), alpha=1e-3)


def rotated_quadratic():
    """0.5 x'Ax in 10 dimensions, eigenvalues from 1 to 1000 along random directions (not the axes, where
    sign-based steps would have it easy), from a random start."""
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    A = q @ np.diag(np.logspace(0, 3, 10)) @ q.T
    return Quadratic(0.5 * (A + A.T)), rng.standard_normal(10)


rosenbrock = get_function("rosenbrock")
PROBLEMS = {  # name: (fun, x0, minimum, steps allowed, rates)
    "Rosenbrock": (rosenbrock, rosenbrock.start, 0.0, 3000, FUNCTION_RATES),
    "quadratic, condition 1e3": (*rotated_quadratic(), 0.0, 3000, FUNCTION_RATES),
    "Default, logistic": (*default_problem(), None, 400, DATA_RATES),
    "hashed text, logistic": (*text_problem(), None, 400, DATA_RATES),
}


def race(fun, x0, minimum, steps, rates):
    """{optimizer: (rate, steps, seconds)} of each optimizer's best rate, None where none got there."""
    results = {}
    for name in OPTIMIZER_NAMES:
        best = None
        for rate in [None] if get_optimizer(name).rate_free else rates:
            optimizer = get_optimizer(name) if rate is None else get_optimizer(name, lr=rate)
            start = time.perf_counter()
            try:
                result = minimize(
                    fun,
                    x0,
                    optimizer,
                    max_iter=steps,
                    tol=None,
                    record=False,
                    callbacks=[lambda info: info.value - minimum <= GAP],
                )
            except DivergenceError:  # a rate too large for it
                continue
            seconds = time.perf_counter() - start
            if result.fun - minimum <= GAP and (best is None or result.n_iter < best[1]):
                best = (optimizer.lr, result.n_iter, seconds)
        results[name] = best
    return results


races = {}
for title, (fun, x0, minimum, steps, rates) in PROBLEMS.items():
    minimum = exact_minimum(fun, x0) if minimum is None else minimum
    races[title] = race(fun, x0, minimum, steps, rates)

print(f"{'optimizer':20s}" + "".join(f"{title:>28s}" for title in races))
for name in OPTIMIZER_NAMES:
    cells = []
    for results in races.values():
        best = results[name]
        cells.append("-" if best is None else f"{best[1]} steps, {best[2] * 1000:.0f} ms (lr {best[0]:g})")
    print(f"{name:20s}" + "".join(f"{cell:>28s}" for cell in cells))

figure, axes = plt.subplots(1, len(races), figsize=(15, 7), sharey=True)
figure.subplots_adjust(left=0.13, right=0.98, wspace=0.08, top=0.88, bottom=0.09)
positions = np.arange(len(OPTIMIZER_NAMES))
for ax, (title, results) in zip(axes, races.items()):
    steps = [results[name][1] if results[name] else np.nan for name in OPTIMIZER_NAMES]
    ax.barh(positions, steps, color="tab:blue")
    for position, value in zip(positions, steps):
        if np.isnan(value):
            ax.text(12, position, "not within the steps", va="center", fontsize=7, color="tab:red")
    ax.set_xscale("log")
    ax.set_xlim(10, 5000)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(f"steps to {GAP:g} of the minimum", fontsize=9)
axes[0].set_yticks(positions, OPTIMIZER_NAMES)
axes[0].invert_yaxis()
figure.suptitle("Every optimizer, its best rate of a grid: fewer steps is better")

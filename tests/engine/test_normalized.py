"""The normalized update (Vowpal Wabbit's default): compiled loop = NumPy reference = the paper's algorithm."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from descend._engine import reference
from descend._engine.normalized import normalized_steps
from descend._engine.problem import Data, Model, Objective, SparseData
from descend.losses import LOSSES, gradient_flow, loss_and_derivative
from descend.optimizers import Normalized


def problem(loss, n=300, p=12, seed=0):
    """Sparse rows on mixed scales, weights, and targets for ``loss``."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.3, random_state=seed, format="csr") * sp.diags(10.0 ** rng.uniform(-2, 2, p))
    X = sp.csr_matrix(X)
    if loss == "squared_error":
        y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    elif loss == "multinomial":
        y = rng.integers(0, 3, n).astype(float)
    else:
        y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    return X, y, rng.uniform(0.5, 2.0, n)


def run(engine, data, n_out, loss, optimizer, l1, l2, order, lrs, weight_mean=1.3):
    p = len(l1)
    theta = np.zeros(n_out * (p + 1))
    state = optimizer.init(theta)
    model = Model(theta, None, None, n_out, True)
    objective = Objective(LOSSES[loss].code, np.zeros(2), l1, l2)
    scores = np.full((len(data.y), n_out), np.nan)  # each row's scores before its step
    if engine == "compiled":
        arrays = tuple(state[name] for name in optimizer.state_names)
        sums = normalized_steps(
            data, order, model, objective, optimizer.hyperparameters(), arrays, lrs, weight_mean, scores
        )
    else:
        sums = reference.normalized_steps(data, order, model, objective, optimizer, state, lrs, weight_mean, scores)
    state["scores"] = scores
    return theta, state, sums


@pytest.mark.parametrize("loss, n_out", [("log_loss", 1), ("squared_error", 1), ("hinge", 3), ("multinomial", 3)])
@pytest.mark.parametrize("invariant", [True, False])
@pytest.mark.parametrize("penalty, damping", [((0.0, 0.0), 0.0), ((1e-3, 1e-2), 0.0), ((0.0, 0.0), 10.0)])
def test_compiled_loop_equals_the_reference_dense_and_csr(loss, n_out, invariant, penalty, damping):
    X, y, weights = problem(loss if n_out == 1 else "multinomial")
    if loss == "hinge":
        y = y.astype(float)  # one-vs-rest: the class index; the loop makes each output's +-1
    l1, l2 = np.full(X.shape[1], penalty[0]), np.full(X.shape[1], penalty[1])
    order = np.random.default_rng(1).permutation(X.shape[0])
    lrs = np.linspace(0.5, 0.2, X.shape[0])
    optimizer = Normalized(invariant=invariant, damping=damping)
    theta_ref, state_ref, sums_ref = run(
        "reference", SparseData(X.indptr, X.indices, X.data, y, weights), n_out, loss, optimizer, l1, l2, order, lrs
    )
    assert np.abs(theta_ref).max() > 0.1  # it learned something
    assert state_ref["step"] == X.shape[0]
    for data in (SparseData(X.indptr, X.indices, X.data, y, weights), Data(X.toarray(), y, weights)):
        theta, state, sums = run("compiled", data, n_out, loss, optimizer, l1, l2, order, lrs)
        np.testing.assert_allclose(theta, theta_ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(sums, sums_ref, rtol=1e-12)
        for name in optimizer.state_names:
            np.testing.assert_allclose(state[name], state_ref[name], rtol=1e-12, atol=1e-300)
        # A score is a sum of terms of both signs: near 0, its rounding is that of the terms.
        np.testing.assert_allclose(state["scores"], state_ref["scores"], rtol=1e-12, atol=1e-12)
    assert np.isfinite(state_ref["scores"]).all() and np.abs(state_ref["scores"]).max() > 0.1


def paper_nag(rows, targets, lr, invariant, damping=0.0):
    """Algorithm NAG of Ross, Mineiro & Langford 2013 for the logistic loss, coordinate by coordinate
    over dicts (the intercept a feature "b" of value 1), with the invariant update of Karampatziakis
    & Langford 2011 solved by bisection: an implementation that shares nothing with descend's."""
    w, G, s = {}, {}, {}
    N = T = 0.0
    predictions = []  # each row's score before its update: progressive validation's
    for row, y in zip(rows, targets, strict=True):
        x = {**row, "b": 1.0}
        p = sum(w.get(i, 0.0) * v for i, v in x.items())
        predictions.append(p)
        d = -y / (1.0 + math.exp(y * p))
        for i, v in x.items():
            G[i] = G.get(i, 0.0) + d * d * v * v
            if abs(v) > s.get(i, 0.0):
                if s.get(i, 0.0) > 0:
                    w[i] = w.get(i, 0.0) * s[i] / abs(v)
                s[i] = abs(v)
        N += sum((v / s[i]) ** 2 for i, v in x.items())
        T += 1.0
        eta = {i: math.sqrt(T / N) / (s[i] * math.sqrt(G[i] + damping * s[i] ** 2)) for i in x}
        a = sum(eta[i] * v * v for i, v in x.items())
        if invariant:  # the margin z follows z + exp(z) = z0 + exp(z0) + lr a: bisection on it
            z0 = y * p
            c = z0 + math.exp(z0) + lr * a
            low, high = z0, z0 + lr * a
            for _ in range(200):
                mid = 0.5 * (low + high)
                low, high = (mid, high) if mid + math.exp(mid) < c else (low, mid)
            u = (y * 0.5 * (low + high) - p) / a
        else:
            u = -lr * d
        for i, v in x.items():
            w[i] = w.get(i, 0.0) + u * eta[i] * v
    return w, predictions


@pytest.mark.parametrize("invariant", [True, False])
@pytest.mark.parametrize("damping", [0.0, 10.0])
def test_the_loop_is_the_papers_algorithm(invariant, damping):
    """The paper's algorithm (damping 0); with damping, its sums started at damping times s_i^2."""
    X, y, _ = problem("log_loss", n=200, p=6, seed=3)
    theta, state, _ = run(
        "compiled",
        SparseData(X.indptr, X.indices, X.data, y, np.empty(0)),
        1,
        "log_loss",
        Normalized(lr=0.5, invariant=invariant, damping=damping),
        np.zeros(6),
        np.zeros(6),
        np.arange(200),
        np.full(200, 0.5),
        weight_mean=1.0,
    )
    rows = [dict(zip(X[i].indices.tolist(), X[i].data.tolist())) for i in range(200)]
    w, predictions = paper_nag(rows, y, 0.5, invariant, damping)
    expected = np.array([w.get(j, 0.0) for j in range(6)] + [w["b"]])
    np.testing.assert_allclose(theta, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(state["scores"][:, 0], predictions, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("damping", [0.0, 10.0])
def test_a_feature_in_other_units_gets_the_same_predictions(damping):
    """Scale invariance: column 0 in thousandths, its weight a thousand times larger, every score the same
    (the damping is in units of each feature's scale)."""
    X, y, _ = problem("squared_error", seed=4)
    order, lrs = np.arange(X.shape[0]), np.full(X.shape[0], 0.5)
    scaled = sp.csr_matrix(X @ sp.diags(np.r_[1000.0, np.ones(X.shape[1] - 1)]))
    zeros = np.zeros(X.shape[1])
    theta, _, _ = run(
        "compiled",
        SparseData(X.indptr, X.indices, X.data, y, np.empty(0)),
        1,
        "squared_error",
        Normalized(damping=damping),
        zeros,
        zeros,
        order,
        lrs,
    )
    theta_k, _, _ = run(
        "compiled",
        SparseData(scaled.indptr, scaled.indices, scaled.data, y, np.empty(0)),
        1,
        "squared_error",
        Normalized(damping=damping),
        zeros,
        zeros,
        order,
        lrs,
    )
    np.testing.assert_allclose(theta_k[0] * 1000.0, theta[0], rtol=1e-10)
    np.testing.assert_allclose(theta_k[1:], theta[1:], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    "loss, p, y",
    [
        ("squared_error", 0.3, 2.0),
        ("log_loss", -1.0, 1.0),
        ("log_loss", 4.0, -1.0),
        ("poisson", 0.5, 3.0),
        ("poisson", 1.0, 0.0),
    ],
)
def test_gradient_flow_is_the_flow_of_the_loss(loss, p, y):
    code = LOSSES[loss].code
    # Its own composition (a flow), and the limit of small steps.
    once = gradient_flow(p, y, code, (0.0, 0.0), 1.7)
    twice = gradient_flow(gradient_flow(p, y, code, (0.0, 0.0), 0.5), y, code, (0.0, 0.0), 1.2)
    assert once == pytest.approx(twice, rel=1e-12)
    q = p
    for _ in range(20_000):
        q -= 1.7 / 20_000 * loss_and_derivative(q, y, code, (0.0, 0.0))[1]
    assert once == pytest.approx(q, abs=1e-4)
    # The loss only falls, and a squared error never passes its target.
    assert loss_and_derivative(once, y, code, (0.0, 0.0))[0] < loss_and_derivative(p, y, code, (0.0, 0.0))[0]
    if loss == "squared_error":
        assert gradient_flow(p, y, code, (0.0, 0.0), 1e6) == pytest.approx(y)
    if loss == "poisson" and y > 0:  # the mean reaches the count, never beyond
        assert np.exp(gradient_flow(p, y, code, (0.0, 0.0), 1e3)) == pytest.approx(y)


def test_minimize_refuses_the_normalized_update():
    from descend import minimize

    with pytest.raises(TypeError, match="learns from rows"):
        minimize(lambda x: (float(x @ x), 2 * x), np.ones(2), "normalized", max_iter=2)


def test_normalized_hyperparameters_are_checked():
    with pytest.raises(ValueError, match="lr must be"):
        Normalized(lr=0.0)
    with pytest.raises(ValueError, match="invariant must be True or False"):
        Normalized(invariant="yes")
    with pytest.raises(ValueError, match="damping must be"):
        Normalized(damping=-1.0)


def test_a_repeated_column_is_learned_as_often_as_it_appears_compiled_as_the_reference():
    """Vowpal Wabbit's format repeats a word that occurs twice: the loop meets its column twice (its sums
    grow twice), in the compiled loop and the reference alike, and learns otherwise than from its count."""
    X, y, _ = problem("log_loss", n=200, p=8, seed=5)
    # Every entry twice, side by side, as a word that occurs twice in a document.
    doubled = SparseData(2 * X.indptr, np.repeat(X.indices, 2), np.repeat(X.data, 2), y, np.empty(0))
    counted = sp.csr_matrix((doubled.values, doubled.indices, doubled.indptr), shape=(200, 8), copy=True)
    counted.sum_duplicates()  # each column once, its value twice as large
    order, lrs = np.arange(200), np.full(200, 0.5)
    args = ("log_loss", Normalized(), np.zeros(8), np.zeros(8), order, lrs)
    theta, _, _ = run("compiled", doubled, 1, *args, weight_mean=1.0)
    theta_ref, _, _ = run("reference", doubled, 1, *args, weight_mean=1.0)
    np.testing.assert_allclose(theta, theta_ref, rtol=1e-12, atol=1e-14)
    theta_count, _, _ = run(
        "compiled", SparseData(counted.indptr, counted.indices, counted.data, y, np.empty(0)), 1, *args, weight_mean=1.0
    )
    assert np.abs(theta - theta_count).max() > 1e-3


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_a_stored_zero_is_no_feature(engine):
    """Hashing keeps a + and a - colliding as a stored 0: the update skips it, as Vowpal Wabbit's parser
    drops a feature of value 0, so that the rows learn as with their zeros eliminated, and a column first
    met at 0 (no scale yet) is no division by zero."""
    X, y, _ = problem("log_loss", n=200, p=8, seed=6)
    stored = X.copy()
    stored.data[::3] = 0.0  # the first entry of column stored.indices[0] among them
    eliminated = stored.copy()
    eliminated.eliminate_zeros()
    assert stored.nnz > eliminated.nnz
    order, lrs = np.arange(200), np.full(200, 0.5)
    args = ("log_loss", Normalized(damping=10.0), np.full(8, 1e-3), np.full(8, 1e-2), order, lrs)
    fits = [
        run(engine, SparseData(m.indptr, m.indices, m.data, y, np.empty(0)), 1, *args, weight_mean=1.0)[0]
        for m in (stored, eliminated)
    ]
    assert np.all(np.isfinite(fits[0])) and np.abs(fits[0]).max() > 0.1
    np.testing.assert_array_equal(fits[0], fits[1])

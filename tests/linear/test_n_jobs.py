"""n_jobs on the estimators: the full batch and large batches the same bit for bit on any number of
threads; per-sample steps by Hogwild!, as accurate as one thread; the rest on one thread."""

import numpy as np
import pytest
import scipy.sparse as sp

from descend import GDClassifier, GDRegressor
from descend._engine.blocks import BLOCK_ROWS

N = 2 * BLOCK_ROWS + 500  # three blocks


@pytest.fixture(scope="module")
def dense_classes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 6)) * [1, 2, 3, 0.5, 1, 4] + 1
    y = (X @ [0.5, -1, 0.3, 2, 0, 0.1] + rng.logistic(size=N) > 1.5).astype(int)
    return X, y


@pytest.fixture(scope="module")
def sparse_text():
    """A hashed-text-like problem: 30,000 rows of 2,000 sparse columns, labels from a sparse rule."""
    rng = np.random.default_rng(1)
    X = sp.random(30_000, 2_000, density=0.01, format="csr", random_state=2, data_rvs=lambda k: np.ones(k))
    rule = rng.normal(size=2_000) * (rng.random(2_000) < 0.3)
    y = (X @ rule + 0.3 * rng.normal(size=30_000) > 0).astype(int)
    return X, y


def _same(a, b):
    return np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)


@pytest.mark.parametrize(
    "params", [dict(), dict(optimizer="sgd"), dict(optimizer="adam", learning_rate=0.05, max_iter=20, tol=None)]
)
def test_full_batch_is_the_same_for_any_n_jobs(dense_classes, params):
    X, y = dense_classes
    fits = [GDClassifier(batch_size=None, n_jobs=n_jobs, **params).fit(X, y) for n_jobs in (1, 2, -1, 3)]
    assert all(_same(fits[0], other) and other.n_iter_ == fits[0].n_iter_ for other in fits[1:])
    # the blocks' sum differs from one running sum in the last bits only
    assert fits[0].score(X, y) > 0.7


def test_large_batches_are_the_same_for_any_n_jobs(dense_classes, linear_data):
    X, y = linear_data(N, [1.0, -2.0, 0.5], noise=0.3)
    params = dict(
        optimizer="adam", batch_size=2 * BLOCK_ROWS, learning_rate=0.1, max_iter=150, tol=None, random_state=0
    )
    one, two = (GDRegressor(n_jobs=n, **params).fit(X, y) for n in (1, 2))
    assert _same(one, two)
    np.testing.assert_allclose(one.coef_, [1.0, -2.0, 0.5], atol=0.05)


def test_sparse_full_batch_is_the_same_for_any_n_jobs(sparse_text):
    X, y = sparse_text
    one, two = (GDClassifier(batch_size=None, n_jobs=n).fit(X, y) for n in (1, 2))
    assert _same(one, two) and one.n_iter_ == two.n_iter_
    regressor = [GDRegressor(batch_size=None, n_jobs=n).fit(X, X @ np.arange(2_000.0) / 1e3) for n in (1, 2)]
    assert _same(*regressor)


@pytest.mark.parametrize(
    "params",
    [
        dict(optimizer="sgd", schedule="optimal", alpha=1e-5, standardize=False),
        dict(optimizer="sgd", penalty="elasticnet", alpha=1e-5, standardize=False),
        dict(optimizer="adagrad", learning_rate=0.5),
        dict(),
    ],
)
def test_hogwild_on_sparse_rows_learns_as_well_as_one_thread(sparse_text, params):
    X, y = sparse_text
    train, test = slice(0, 24_000), slice(24_000, None)
    settings = dict(batch_size=1, max_iter=3, tol=None, **params)
    scores = {
        n: np.mean(
            [
                GDClassifier(n_jobs=n, random_state=seed, **settings).fit(X[train], y[train]).score(X[test], y[test])
                for seed in range(3)
            ]
        )
        for n in (1, 2)
    }
    assert scores[1] > 0.75
    assert abs(scores[2] - scores[1]) < 0.02


def test_hogwild_on_dense_rows_learns_as_well_as_one_thread(dense_classes):
    X, y = dense_classes
    settings = dict(optimizer="sgd", batch_size=1, max_iter=3, tol=None, learning_rate=0.01)
    scores = {
        n: np.mean([GDClassifier(n_jobs=n, random_state=seed, **settings).fit(X, y).score(X, y) for seed in range(3)])
        for n in (1, 2)
    }
    assert abs(scores[2] - scores[1]) < 0.01


def test_hogwild_really_runs_on_several_threads(sparse_text):
    # Hogwild's threads change the order the steps are taken in: the weights are not one thread's
    X, y = sparse_text
    settings = dict(optimizer="adagrad", learning_rate=0.5, batch_size=1, max_iter=1, tol=None, random_state=0)
    assert not _same(GDClassifier(n_jobs=1, **settings).fit(X, y), GDClassifier(n_jobs=2, **settings).fit(X, y))


@pytest.mark.parametrize(
    "params",
    [dict(optimizer="nadam", learning_rate=0.01), dict(optimizer="adagrad", learning_rate=0.5, sparse_updates="dense")],
)
def test_steps_that_do_not_allow_hogwild_run_on_one_thread(sparse_text, params):
    X, y = sparse_text
    settings = dict(batch_size=1, max_iter=1, tol=None, random_state=0, **params)
    rows = slice(0, 3_000)
    assert _same(
        GDClassifier(n_jobs=1, **settings).fit(X[rows], y[rows]),
        GDClassifier(n_jobs=2, **settings).fit(X[rows], y[rows]),
    )


def test_n_jobs_one_is_the_default(dense_classes):
    X, y = dense_classes
    params = dict(optimizer="sgd", batch_size=1, max_iter=2, tol=None, random_state=0)
    assert _same(GDClassifier(**params).fit(X, y), GDClassifier(n_jobs=1, **params).fit(X, y))


@pytest.mark.parametrize("bad, error", [(0, ValueError), (2.5, TypeError), ("all", TypeError)])
def test_bad_n_jobs_refused_at_fit(bad, error):
    model = GDRegressor(n_jobs=bad)
    assert model.get_params()["n_jobs"] == bad  # stored untouched
    with pytest.raises(error, match="n_jobs"):
        model.fit(np.ones((4, 2)), np.arange(4.0))


@pytest.mark.parametrize("n_jobs, omp", [(None, None), (1, None), (-1, "1")])
def test_one_thread_starts_no_thread(dense_classes, sparse_text, monkeypatch, n_jobs, omp):
    # n_jobs=1, or every core of a joblib or Dask worker given one (OMP_NUM_THREADS=1), hands nothing to a pool
    from descend import _threads

    if omp:
        monkeypatch.setenv("OMP_NUM_THREADS", omp)

    def no_pool(n_threads):
        raise AssertionError(f"a pool of {n_threads} threads was asked for")

    monkeypatch.setattr(_threads, "_pool", no_pool)
    X, y = dense_classes
    GDClassifier(n_jobs=n_jobs).fit(X, y)
    GDClassifier(n_jobs=n_jobs, optimizer="sgd", batch_size=1, max_iter=1, tol=None).fit(X, y)
    GDClassifier(n_jobs=n_jobs, batch_size=None, max_iter=3, tol=None).fit(*sparse_text)


@pytest.fixture(scope="module")
def five_classes():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 6))
    y = np.argmax(X @ rng.normal(size=(6, 5)) + rng.gumbel(size=(3000, 5)), axis=1)
    return X, y


@pytest.mark.parametrize("sparse_rows", [False, True])
@pytest.mark.parametrize(
    "params",
    [
        dict(optimizer="adagrad", learning_rate=0.1, batch_size=1),
        dict(optimizer="sgd", learning_rate=0.05, batch_size=64),
        dict(optimizer="adam", learning_rate=0.01, batch_size=16, penalty="elasticnet"),
    ],
)
def test_one_vs_rest_classes_on_threads_give_one_threads_weights(five_classes, monkeypatch, sparse_rows, params):
    from descend._engine import classes

    X, y = five_classes
    if sparse_rows:
        X = sp.csr_matrix(np.where(np.abs(X) > 1.0, X, 0.0))
    split = []
    original = classes.class_steps
    monkeypatch.setattr(classes, "class_steps", lambda *args: split.append(1) or original(*args))
    settings = dict(loss="hinge", max_iter=3, tol=None, random_state=0, **params)
    one = GDClassifier(n_jobs=1, **settings).fit(X, y)
    assert not split
    two = GDClassifier(n_jobs=2, **settings).fit(X, y)
    assert split  # the classes were shared out
    assert _same(one, two) and one.coef_.shape == (5, 6)
    assert one.score(X, y) > 0.4  # five classes: chance is 0.2


def test_several_regression_targets_on_threads_give_one_threads_weights(linear_data):
    X, y = linear_data(4000, [1.0, -2.0, 0.5])
    Y = np.column_stack([y, 2 * y, -y, y + 1])
    settings = dict(optimizer="adam", learning_rate=0.05, batch_size=32, max_iter=3, tol=None, random_state=0)
    one, two = (GDRegressor(n_jobs=n, **settings).fit(X, Y) for n in (1, 2))
    assert _same(one, two) and one.coef_.shape == (4, 3)

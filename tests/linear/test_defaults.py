"""What the defaults choose (optimizer="auto", batch_size="auto"), and that the choice is said and kept."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from descend import GDClassifier, GDRegressor
from descend.linear import load_model
from descend.linear._settings import ONLINE_DAMPING, ONLINE_MAX_DENSITY, ONLINE_MIN_FEATURES, ONLINE_MIN_ROWS
from descend.optimizers import LBFGS, SGD, Normalized


def text_like(n=ONLINE_MIN_ROWS, p=2 * ONLINE_MIN_FEATURES, per_row=8, seed=0):
    """Rows of a few of many columns, Zipf-like, and a label from a hidden sparse rule."""
    rng = np.random.default_rng(seed)
    columns = np.minimum(rng.zipf(1.3, size=(n, per_row)) - 1, p - 1)
    X = sp.csr_matrix((np.ones(n * per_row), (np.repeat(np.arange(n), per_row), columns.ravel())), shape=(n, p))
    X.sum_duplicates()
    rule = rng.standard_normal(p) * (rng.random(p) < 0.3)
    score = X @ rule
    labels = (score + 0.5 * rng.standard_normal(n) > np.median(score)).astype(int)
    return X, score, labels


def test_a_large_sparse_matrix_is_learned_online_in_one_pass():
    X, score, labels = text_like()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one pass by design: no warning that it stopped short
        model = GDClassifier(random_state=0).fit(X, labels)
    assert isinstance(model.optimizer_, Normalized) and model.batch_size_ == 1
    assert model.n_iter_ == 1 and model.rows_seen_ == X.shape[0]
    assert model.score(X, labels) > 0.75  # labels split at the median: half of them a constant gets right
    regressor = GDRegressor(random_state=0).fit(X, score)
    assert isinstance(regressor.optimizer_, Normalized) and regressor.n_iter_ == 1
    assert regressor.score(X, score) > 0.8


def test_the_online_default_is_the_same_fit_whatever_the_targets_units():
    """The damped normalized update's rate and damping are in the target's units (its spread, and its
    deviation squared over log loss's derivative at even odds, 1/2, squared): targets in hundredths give
    weights a hundred times larger, the same fit."""
    X, score, _ = text_like()
    a = GDRegressor(random_state=0).fit(X, score)
    b = GDRegressor(random_state=0).fit(X, 100.0 * score)
    assert a.optimizer_.damping == pytest.approx(ONLINE_DAMPING * (score.std() / 0.5) ** 2, rel=1e-12)
    assert b.optimizer_.damping == pytest.approx(a.optimizer_.damping * 1e4, rel=1e-12)
    np.testing.assert_allclose(b.coef_, 100.0 * a.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b.intercept_, 100.0 * a.intercept_, rtol=1e-9)


def test_the_same_rows_dense_get_the_same_fit():
    """The choice is the data's, not its storage's: the dense array of the same rows is learned online too,
    step for step the same (a dense row's non-zeros are taken in the order of a CSR row's)."""
    X, _, labels = text_like(p=ONLINE_MIN_FEATURES)
    sparse_fit = GDClassifier(random_state=0).fit(X, labels)
    dense_fit = GDClassifier(random_state=0).fit(X.toarray(), labels)
    assert isinstance(dense_fit.optimizer_, Normalized) and dense_fit.batch_size_ == 1
    np.testing.assert_allclose(dense_fit.coef_, sparse_fit.coef_, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dense_fit.intercept_, sparse_fit.intercept_, rtol=1e-12)


@pytest.mark.parametrize("change", ["rows", "features", "density"])
def test_small_or_dense_data_take_the_full_batch(change):
    n, p, per_row = ONLINE_MIN_ROWS, ONLINE_MIN_FEATURES, 5
    if change == "rows":
        n = ONLINE_MIN_ROWS - 1
    elif change == "features":
        p = ONLINE_MIN_FEATURES - 1
    else:
        per_row = int(2 * ONLINE_MAX_DENSITY * p)
    X, score, _ = text_like(n=n, p=p, per_row=per_row)
    model = GDRegressor(max_iter=3, tol=None).fit(X, score)
    assert model.batch_size_ is None and isinstance(model.optimizer_, LBFGS)
    with_l1 = GDRegressor(penalty="elasticnet", max_iter=3, tol=None).fit(X, score)
    assert with_l1.batch_size_ is None and isinstance(with_l1.optimizer_, SGD)  # proximal steps for the L1 part


def test_one_row_a_step_takes_the_normalized_update_for_several_epochs():
    X, _, labels = text_like(n=2000)
    model = GDClassifier(batch_size=1, max_iter=3, tol=None, random_state=0).fit(X, labels)
    assert isinstance(model.optimizer_, Normalized) and model.n_iter_ == 3
    perceptron = GDClassifier(loss="perceptron", max_iter=2, tol=None, random_state=0).fit(X, labels)
    assert isinstance(perceptron.optimizer_, SGD) and perceptron.batch_size_ == 1  # Rosenblatt's steps


def test_lbfgs_takes_smooth_full_batches_only():
    X, _, labels = text_like(n=200)
    for params in (dict(batch_size=16), dict(penalty="l1")):
        with pytest.raises(ValueError, match="optimizer='lbfgs' takes the full batch .batch_size=None. of a smooth"):
            GDClassifier(optimizer="lbfgs", **params).fit(X, labels)
    with pytest.raises(ValueError, match="history_size must be an integer >= 1, got 0"):
        LBFGS(history_size=0)


def test_lbfgs_reaches_the_optimum_sooner_than_gradient_descent():
    """The default full batch (L-BFGS) and plain gradient descent's line search end on the same
    minimizer; on ill-conditioned rows L-BFGS takes far fewer passes."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 20)) @ np.diag(np.logspace(0, 1.5, 20)) @ rng.standard_normal((20, 20)) / 10
    y = (X @ rng.standard_normal(20) / 10 + rng.logistic(size=400) > 0).astype(int)
    quasi_newton = GDClassifier(tol=1e-10, max_iter=5000, standardize=False).fit(X, y)
    gradient = GDClassifier(optimizer="sgd", tol=1e-10, max_iter=5000, standardize=False).fit(X, y)
    np.testing.assert_allclose(quasi_newton.coef_, gradient.coef_, rtol=1e-5, atol=1e-7)
    assert quasi_newton.n_iter_ < gradient.n_iter_ / 2  # 1,116 passes against 4,167


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_lbfgs_on_squared_error_steps_to_the_minimizer_along_each_direction(container):
    """Squared error is a quadratic: each L-BFGS step moves on to the minimizer along its direction,
    so a ridge problem of 31 coefficients (condition number 5e4) is solved to tol=1e-10 in 44 passes
    (46 on CSR), where the Armijo step alone took 336 (305)."""
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15).astype(float)
    model = GDRegressor(tol=1e-10, max_iter=1000).fit(container(X), y)
    # Ridge in the standardized columns, its penalty on the original coefficients w / std.
    Z = np.c_[(X - X.mean(0)) / X.std(0), np.ones(15)]
    hessian = Z.T @ Z / 15 + np.diag(np.r_[1e-4 / X.var(0), 0.0])
    exact = np.linalg.solve(hessian, Z.T @ y / 15)
    np.testing.assert_allclose(model.predict(X), Z @ exact, rtol=0, atol=1e-7)
    assert model.n_iter_ <= 60
    from descend.losses import LOSSES

    assert [name for name, loss in LOSSES.items() if loss.quadratic] == ["squared_error"]  # no other takes them


@pytest.mark.parametrize("estimator_class", [GDClassifier, GDRegressor])
def test_lbfgs_skips_the_columns_that_never_occur(estimator_class):
    """On the full batch of sparse rows L-BFGS moves only the coefficients of columns that occur (the
    others stay 0): the fit equals the fit without those columns, where it moves every coordinate."""
    X, score, labels = text_like(n=3000, p=4000)
    occurs = np.flatnonzero(np.bincount(X.indices, minlength=X.shape[1]))
    assert len(occurs) < X.shape[1] / 2
    target = labels if estimator_class is GDClassifier else score
    every = estimator_class(batch_size=None, tol=1e-8).fit(X, target)
    fewer = estimator_class(batch_size=None, tol=1e-8).fit(X[:, occurs], target)
    assert every.n_iter_ == fewer.n_iter_ > 5
    coef = every.coef_.reshape(-1, X.shape[1])
    np.testing.assert_allclose(coef[:, occurs], fewer.coef_.reshape(-1, len(occurs)), rtol=1e-10, atol=1e-13)
    assert not np.delete(coef, occurs, axis=1).any()
    np.testing.assert_allclose(every.intercept_, fewer.intercept_, rtol=1e-10)
    # A warm start from a non-zero coefficient of an unused column moves it too: to 0, the L2 part's minimum.
    unused = np.setdiff1d(np.arange(X.shape[1]), occurs)[0]
    every.set_params(warm_start=True, tol=1e-6)
    every.coef_[..., unused] = 1.0
    every.fit(X, target)
    assert abs(every.coef_.reshape(-1, X.shape[1])[0, unused]) < 1e-3


def test_weighted_and_repeated_sparse_rows_get_the_same_first_rate():
    """The curvature bound of sparse rows is their mean squared norm (the Gram matrix's trace), which is
    the same for a row weighted by k as for the row repeated k times; the largest row's was not."""
    rng = np.random.RandomState(0)
    X = rng.rand(15, 30) * (rng.rand(15, 30) < 0.3)
    labels = rng.randint(0, 2, size=15)
    weights = rng.randint(1, 5, size=15)
    weighted = GDClassifier().fit(sp.csr_matrix(X), labels, sample_weight=weights)
    repeated = GDClassifier().fit(sp.csr_matrix(X.repeat(weights, axis=0)), labels.repeat(weights))
    assert weighted.learning_rate_ == pytest.approx(repeated.learning_rate_, rel=1e-12)
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-7, atol=1e-9)


def test_the_normalized_update_refuses_batches():
    X, _, labels = text_like(n=200)
    with pytest.raises(ValueError, match="optimizer='normalized' learns one row a step: it takes batch_size=1"):
        GDClassifier(optimizer="normalized", batch_size=32).fit(X, labels)
    with pytest.raises(ValueError, match="batch_size must be 'auto', None"):
        GDClassifier(batch_size="online").fit(X, labels)


def test_the_choice_is_kept_by_warm_starts_partial_fit_and_model_files(tmp_path):
    X, _, labels = text_like()
    model = GDClassifier(random_state=0, warm_start=True).fit(X, labels)
    model.fit(X[:500], labels[:500])  # a small matrix alone would take the full batch
    assert isinstance(model.optimizer_, Normalized) and model.batch_size_ == 1
    online = GDClassifier(random_state=0).partial_fit(X, labels, classes=[0, 1])
    online.partial_fit(X[:500], labels[:500])
    assert isinstance(online.optimizer_, Normalized) and online.batch_size_ == 1 and online.n_iter_ == 2
    path = tmp_path / "model.json"
    model.save(path)
    loaded = load_model(path)[0]
    assert loaded.optimizer_ == model.optimizer_ and loaded.batch_size_ == 1
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_sparse_inputs_are_checked():
    with pytest.raises(ValueError, match="0 sample"):
        GDClassifier().fit(sp.csr_matrix((0, 5)), np.array([]))
    X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, np.nan], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        GDClassifier().fit(X, [0, 1, 0])
    model = GDClassifier(max_iter=5, tol=None).fit(sp.csr_matrix(np.eye(4)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="X has 6 features, but GDClassifier is expecting 4 features"):
        model.predict(sp.csr_matrix(np.eye(6)))

"""The compiled engine and the NumPy reference path run the same algorithm."""

import itertools

import numpy as np
import pytest

from descend import GDClassifier, GDRegressor
from descend.optimizers import ASGD, RMSprop

# ASGD averages after its 5th step, so that the fit's coefficients are the average, not the iterate.
OPTIMIZERS = [
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    RMSprop(lr=0.01, centered=True, momentum=0.5),
    "adam",
    "amsgrad",
    "adamw",
    "nadam",
    "adamax",
    "adadelta",
    "radam",
    "sparse_adam",
    ASGD(t0=5),
    "rprop",
    "adafactor",
    "lion",
    "sgd_schedulefree",
    "adamw_schedulefree",
    "prodigy",
    "ftrl",
]


@pytest.fixture
def small_data(linear_data):
    """``small_data(seed=0, n=60)``: 4 features on several scales, their targets, then sample weights."""

    def make(seed=0, n=60):
        rng = np.random.default_rng(seed)
        X, y = linear_data(
            n, [1.0, -0.5, 0.0, 2.0], bias=0.5, scale=[1.0, 3.0, 0.5, 2.0], shift=[0.0, 1.0, -2.0, 0.5], seed=rng
        )
        return X, y, rng.uniform(0.2, 2.0, n)

    return make


def both_paths(make, X, y, **fit):
    compiled = make().fit(X, y, **fit)
    reference = make()
    reference._engine = "reference"
    reference.fit(X, y, **fit)
    return compiled, reference


def assert_same_fit(compiled, reference):
    np.testing.assert_allclose(compiled.coef_, reference.coef_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(compiled.intercept_, reference.intercept_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(compiled.history_["loss"], reference.history_["loss"], rtol=1e-12)
    assert compiled.t_ == reference.t_ and compiled.n_iter_ == reference.n_iter_
    assert np.any(compiled.coef_ != 0)


ADAPTIVE = {
    "adagrad",
    "adam",
    "amsgrad",
    "adamw",
    "nadam",
    "adamax",
    "adadelta",
    "radam",
    "sparse_adam",
    "rprop",
    "adafactor",
    "lion",
    "adamw_schedulefree",
    "prodigy",
    "ftrl",
}

CASES = [
    # (loss, optimizer, batch_size, penalty, standardize, weighted)
    # (Adadelta's first steps are ~1e-3, below the L1 threshold at its lr of 1, Adafactor's, from zero
    # weights, eps2 times the rate, and Prodigy's, from its d0 = 1e-6: all zeros. So L2 there.)
    *[
        (
            "squared_error",
            opt,
            batch,
            "l2" if opt in ("adadelta", "adafactor", "prodigy") else "elasticnet",
            True,
            False,
        )
        for opt, batch in itertools.product(OPTIMIZERS, [None, 7])
    ],
    *[
        ("huber", opt, 1, "l1", False, True)
        for opt in ["sgd", "adam", "nadam", ASGD(t0=5), "lion", "adamw_schedulefree"]
    ],
    ("huber", "prodigy", 1, "l2", False, True),
    ("huber", "ftrl", 1, "l1", False, True),
    ("squared_error", "sgd", None, "l2", False, True),
    ("squared_error", "momentum", 1, None, True, True),
    ("squared_error", "adagrad", 60, "l1", False, False),
]


def without_intercept(optimizer, loss):
    """Adaptive methods divide a gradient by its own size. The intercept starts at the
    mean target, where its squared-error gradient is zero but for rounding, and the two
    paths round differently: a gradient of 1e-16 against one of -1e-16 becomes steps of
    opposite sign. So those cases leave the intercept out; the others keep it."""
    return loss == "squared_error" and (not isinstance(optimizer, str) or optimizer in ADAPTIVE)


@pytest.mark.parametrize(
    "loss,optimizer,batch_size,penalty,standardize,weighted",
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}-{'std' if c[4] else 'raw'}-{'w' if c[5] else 'u'}" for c in CASES],
)
def test_regressor_paths_agree(small_data, loss, optimizer, batch_size, penalty, standardize, weighted):
    X, y, sw = small_data()
    lr = "auto" if optimizer in ("sgd", "momentum", "nesterov", "adadelta", "prodigy") else 0.02
    compiled, reference = both_paths(
        lambda: GDRegressor(
            loss=loss,
            optimizer=optimizer,
            learning_rate=lr,
            batch_size=batch_size,
            penalty=penalty,
            alpha=0.05,
            max_iter=4,
            tol=None,
            standardize=standardize,
            fit_intercept=not without_intercept(optimizer, loss),
            random_state=3,
        ),
        X,
        y,
        sample_weight=sw if weighted else None,
    )
    assert_same_fit(compiled, reference)


@pytest.mark.parametrize(
    "loss,classes,optimizer,batch_size,penalty",
    [
        ("log_loss", 2, "sgd", None, "l2"),
        ("log_loss", 2, "adam", 5, "elasticnet"),
        ("log_loss", 3, "sgd", None, "l1"),
        ("log_loss", 3, "nadam", 1, "l2"),
        ("hinge", 2, "momentum", 4, "l2"),
        ("hinge", 3, "adagrad", None, "elasticnet"),
        # Muon on the 3 x 5 coefficient matrix. Not on the full batch: a multinomial gradient's rows sum to
        # zero, so one of its singular values is zero but for rounding, which the orthogonalization raises
        # to the others' size: the two paths' last bits of the gradient sum part them by 1e-9 in 4 epochs.
        ("log_loss", 3, "muon", 7, "l2"),
    ],
)
def test_classifier_paths_agree(small_data, loss, classes, optimizer, batch_size, penalty):
    X, y, sw = small_data(seed=1)
    labels = np.digitize(y, np.quantile(y, np.linspace(0, 1, classes + 1)[1:-1]))
    compiled, reference = both_paths(
        lambda: GDClassifier(
            loss=loss,
            optimizer=optimizer,
            batch_size=batch_size,
            penalty=penalty,
            alpha=0.01,
            max_iter=4,
            tol=None,
            random_state=5,
            class_weight="balanced",
        ),
        X,
        labels,
        sample_weight=sw,
    )
    assert_same_fit(compiled, reference)


def test_float32_data_trains_in_float32(small_data):
    X, y, _ = small_data(n=200)
    wide = GDRegressor(penalty=None, max_iter=300, tol=None, batch_size=16, random_state=0).fit(X, y)
    narrow = GDRegressor(penalty=None, max_iter=300, tol=None, batch_size=16, random_state=0).fit(
        X.astype(np.float32), y.astype(np.float32)
    )
    assert narrow.coef_.dtype == np.float32 and narrow._state.theta.dtype == np.float32
    np.testing.assert_allclose(narrow.coef_, wide.coef_, rtol=1e-4, atol=1e-4)


def test_same_random_state_same_fit_bit_for_bit(small_data):
    X, y, _ = small_data(n=500)

    def fit(seed):
        return GDRegressor(
            optimizer="adam",
            batch_size=8,
            max_iter=5,
            tol=None,
            random_state=seed,
            early_stopping=True,
            n_iter_no_change=100,
        ).fit(X, y)

    a, b, c = fit(7), fit(7), fit(8)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.history_["val_loss"], b.history_["val_loss"])
    assert not np.array_equal(a.coef_, c.coef_)


@pytest.mark.parametrize(
    "make",
    [
        # Plain gradient descent on the full batch: the line search and the gradient rule.
        lambda: GDRegressor(loss="huber", penalty="elasticnet", alpha=0.05, epsilon=1.0),
        lambda: GDClassifier(penalty="l1", alpha=0.01),
        # Adam by name: the search for its rate, then the gradient rule (Huber: see without_intercept).
        lambda: GDRegressor(optimizer="adam", loss="huber", penalty="l2", alpha=0.05),
        # Mini-batches: the plateau rule.
        lambda: GDRegressor(optimizer="momentum", batch_size=8, random_state=0),
    ],
    ids=["line-search-huber-elasticnet", "line-search-multinomial-l1", "adam-searched-rate", "plateau"],
)
def test_paths_agree_where_the_stopping_rules_end_them(small_data, make):
    """The two paths stop at the same epoch with the same weights: the measures the rules use (the
    stationarity, the line search's tests) are computed alike."""
    X, y, sw = small_data(seed=2, n=200)
    if isinstance(make(), GDClassifier):
        y = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    compiled, reference = both_paths(make, X, y, sample_weight=sw)
    assert 1 < compiled.n_iter_ < 1000  # stopped by tol
    np.testing.assert_allclose(compiled.coef_, reference.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(compiled.intercept_, reference.intercept_, rtol=1e-9, atol=1e-12)
    assert compiled.n_iter_ == reference.n_iter_ and compiled.learning_rate_ == reference.learning_rate_

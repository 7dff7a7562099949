"""GDRegressor / GDClassifier as scikit-learn estimators, and their behaviour."""

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from descend import DivergenceError, GDClassifier, GDRegressor

# Weights equal repetitions at the optimum. GDClassifier passes every check at its defaults. The check's
# 15 x 30 ridge problem (condition number 5e4 at alpha=1e-4) is not solved to the 1e-9 its
# predictions are compared to at GDRegressor's default tol=1e-6, which leaves them about 1e-4 from the
# exact minimizer: there the weighted and the repeated fits stop at points their rounding set apart.
# As scikit-learn does for its own iterative solvers, that one check runs to a tight tolerance.
TIGHT = dict(tol=1e-12, max_iter=10_000)
PARAMS_FOR_CHECK = {
    ("GDRegressor", "check_sample_weight_equivalence_on_dense_data"): TIGHT,
    ("GDRegressor", "check_sample_weight_equivalence_on_sparse_data"): TIGHT,
}


@parametrize_with_checks([GDRegressor(), GDClassifier()])
def test_sklearn_estimator_checks(estimator, check):
    name = getattr(check, "func", check).__name__
    check(clone(estimator).set_params(**PARAMS_FOR_CHECK.get((type(estimator).__name__, name), {})))


@pytest.fixture
def regression_data(linear_data):
    """``regression_data(n=400, seed=0)``: 3 features, y = 2 x0 - x1 + 0.5 x2 + 1 + 0.1 noise."""

    def make(n=400, seed=0):
        return linear_data(n, [2.0, -1.0, 0.5], bias=1.0, noise=0.1, seed=seed)

    return make


def house_prices_in_dollars(n=1000, seed=0):
    """Unscaled features (square feet, bedrooms, age) and prices in dollars."""
    rng = np.random.default_rng(seed)
    sqft = rng.uniform(600, 4000, n)
    bedrooms = rng.integers(1, 6, n).astype(float)
    age = rng.uniform(0, 100, n)
    price = 50_000 + 150 * sqft + 10_000 * bedrooms - 800 * age + rng.normal(0, 20_000, n)
    return np.column_stack([sqft, bedrooms, age]), price


def test_pipeline_gridsearch_clone_and_dataframes(regression_data):
    X, y = regression_data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    search = GridSearchCV(make_pipeline(StandardScaler(), GDRegressor()), {"gdregressor__alpha": [1e-4, 1.0]}, cv=3)
    search.fit(frame, y)
    assert search.best_params_ == {"gdregressor__alpha": 1e-4}
    model = GDRegressor().fit(frame, y)
    assert list(model.feature_names_in_) == ["a", "b", "c"] and model.n_features_in_ == 3
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "coef_")
    labels = np.where(y > 1, "high", "low")
    classifier = GDClassifier().fit(frame, labels)
    assert set(classifier.predict(frame)) <= {"high", "low"} and list(classifier.classes_) == ["high", "low"]
    assert classifier.score(frame, labels) > 0.9


def test_learning_rate_auto_never_diverges_on_prices_in_dollars():
    X, y = house_prices_in_dollars()
    for standardize in (True, False):
        for batch_size in (None, 32, 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = GDRegressor(standardize=standardize, batch_size=batch_size, max_iter=20, random_state=0).fit(
                    X, y
                )
            assert np.all(np.isfinite(model.coef_)) and model.learning_rate_ > 0
            assert all(np.isfinite(model.history_["loss"]))
            if standardize:
                assert model.score(X, y) > 0.9, (standardize, batch_size)
    # A standardized full-batch fit finds the generating coefficients.
    model = GDRegressor(penalty=None, max_iter=2000, tol=1e-6).fit(X, y)
    np.testing.assert_allclose(model.coef_, [150, 10_000, -800], rtol=0.05)


def test_a_diverging_fit_raises_with_advice_and_no_nan_coefficients():
    X, y = house_prices_in_dollars()
    model = GDRegressor(optimizer="sgd", learning_rate=1e-3, standardize=False, max_iter=50)
    with pytest.raises(DivergenceError, match="smaller learning_rate"):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


def test_partial_fit_keeps_the_optimizer_state_between_calls(regression_data):
    X, y = regression_data()
    settings = dict(optimizer="adam", learning_rate=0.05, batch_size=16, shuffle=False, tol=None)
    whole = GDRegressor(max_iter=3, **settings).fit(X, y)
    streamed = GDRegressor(**settings)
    for _ in range(3):
        streamed.partial_fit(X, y)
    np.testing.assert_array_equal(streamed.coef_, whole.coef_)
    assert streamed.n_iter_ == 3 and streamed.t_ == 3 * 25
    state = streamed._state.optimizer_state
    assert state["step"] == 75 and np.any(state["exp_avg"] != 0)
    # Restarting the moments instead would give another path.
    fresh = GDRegressor(**settings)
    fresh.partial_fit(X, y)
    fresh.partial_fit(X, y)
    restarted = GDRegressor(**settings).set_params(warm_start=False)
    restarted.fit(X, y)
    assert not np.array_equal(fresh.coef_, restarted.coef_)


def test_warm_start_continues_where_fit_stopped(regression_data):
    X, y = regression_data()
    settings = dict(optimizer="momentum", batch_size=32, shuffle=False, tol=None)
    once = GDRegressor(max_iter=4, **settings).fit(X, y)
    twice = GDRegressor(max_iter=2, warm_start=True, **settings).fit(X, y)
    twice.fit(X, y)
    np.testing.assert_array_equal(twice.coef_, once.coef_)
    cold = GDRegressor(max_iter=2, **settings).fit(X, y).fit(X, y)
    assert not np.array_equal(cold.coef_, once.coef_)


def test_classifier_partial_fit_needs_classes_first(regression_data):
    X, y = regression_data()
    labels = (y > 1).astype(int)
    model = GDClassifier()
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(X, labels)
    model.partial_fit(X[:200], labels[:200], classes=[0, 1])
    model.partial_fit(X[200:], labels[200:])
    assert model.n_iter_ == 2 and model.score(X, labels) > 0.9
    with pytest.raises(ValueError, match="4 features"):
        model.partial_fit(np.hstack([X, X[:, :1]]), labels)


def test_early_stopping_restores_the_best_weights():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 3))
    y = X @ np.array([1.5, -2.0, 0.7]) + rng.standard_normal(1000)
    settings = dict(
        optimizer="sgd", learning_rate=0.05, batch_size=1, early_stopping=True, max_iter=200, random_state=0
    )
    model = GDRegressor(n_iter_no_change=3, tol=1e-4, **settings).fit(X, y)
    history = model.history_
    assert model.n_iter_ < 200
    assert len(history["loss"]) == len(history["val_loss"]) == len(history["lr"]) == model.n_iter_
    best = int(np.argmin(history["val_loss"])) + 1
    assert model.best_iteration_ == best < model.n_iter_
    # The same run stopped by max_iter at the best epoch ends with the kept weights, bit for bit.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        at_best = GDRegressor(n_iter_no_change=1000, tol=1e-4, **{**settings, "max_iter": best}).fit(X, y)
    np.testing.assert_array_equal(model.coef_, at_best.coef_)
    np.testing.assert_array_equal(model.intercept_, at_best.intercept_)


def test_history_records_the_schedule(regression_data):
    X, y = regression_data()
    model = GDRegressor(
        learning_rate=0.01, schedule="invscaling", batch_size=40, max_iter=5, tol=None, random_state=0
    ).fit(X, y)
    steps_per_epoch = 10
    expected = [0.01 / (steps_per_epoch * epoch) ** 0.25 for epoch in range(1, 6)]
    np.testing.assert_allclose(model.history_["lr"], expected)
    assert np.all(np.diff(model.history_["loss"]) < 0)


def test_verbose_shows_a_progress_bar(capsys, regression_data):
    X, y = regression_data()
    GDRegressor(verbose=1, max_iter=3, tol=None, batch_size=10).fit(X, y)
    out = capsys.readouterr().out
    assert "GDRegressor" in out and "1200/1200" in out


def test_fit_makes_no_copy_of_X():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40_000, 50))
    y = X[:, 0] + 0.1 * rng.standard_normal(40_000)
    for settings in (
        dict(batch_size=1, max_iter=1),
        dict(batch_size=None, max_iter=5),
        dict(batch_size=64, max_iter=1, optimizer="adam", early_stopping=True),
    ):
        GDRegressor(tol=None, **settings).fit(X[:100], y[:100])  # compile outside the measurement
        tracemalloc.start()
        GDRegressor(tol=None, **settings).fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 0.2 * X.nbytes, settings


@pytest.mark.parametrize(
    "make,X,y,error,match",
    [
        (GDRegressor, [[np.nan, 1.0], [1.0, 2.0]], [1.0, 2.0], ValueError, "NaN"),
        (GDRegressor, [[np.inf, 1.0], [1.0, 2.0]], [1.0, 2.0], ValueError, "infinity"),
        (GDRegressor, [[0.0, 1.0], [1.0, 2.0]], [1.0, np.nan], ValueError, "NaN"),
        (GDRegressor, [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], ValueError, "Expected 2D array"),
        (GDRegressor, [[0.0], [1.0], [2.0]], [1.0, 2.0], ValueError, "inconsistent numbers of samples"),
        (GDClassifier, [[0.0], [1.0], [2.0]], [1, 1, 1], ValueError, "at least 2 classes"),
        (lambda: GDRegressor(batch_size=0), [[0.0], [1.0]], [0.0, 1.0], ValueError, "batch_size must lie between"),
        (lambda: GDRegressor(batch_size=3), [[0.0], [1.0]], [0.0, 1.0], ValueError, r"number of samples \(2\)"),
        (lambda: GDRegressor(loss="hinge"), [[0.0], [1.0]], [0.0, 1.0], ValueError, "Unknown loss 'hinge'"),
        (lambda: GDClassifier(loss="squared_error"), [[0.0], [1.0]], [0, 1], ValueError, "Unknown loss"),
        (lambda: GDRegressor(penalty="l3"), [[0.0], [1.0]], [0.0, 1.0], ValueError, "Unknown penalty 'l3'"),
        (lambda: GDRegressor(schedule="linear"), [[0.0], [1.0]], [0.0, 1.0], ValueError, "Unknown schedule"),
        (lambda: GDRegressor(optimizer="adamm"), [[0.0], [1.0]], [0.0, 1.0], ValueError, "Unknown optimizer"),
        (lambda: GDRegressor(learning_rate=-1), [[0.0], [1.0]], [0.0, 1.0], ValueError, "learning_rate must be"),
        (lambda: GDRegressor(learning_rate="fast"), [[0.0], [1.0]], [0.0, 1.0], ValueError, "learning_rate"),
        (lambda: GDRegressor(max_iter=0), [[0.0], [1.0]], [0.0, 1.0], ValueError, "max_iter must be"),
    ],
)
def test_bad_input_is_a_clear_error(make, X, y, error, match):
    with pytest.raises(error, match=match):
        make().fit(np.asarray(X, dtype=float), np.asarray(y))


def test_negative_sample_weight_is_refused(regression_data):
    X, y = regression_data(n=10)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        GDRegressor().fit(X, y, sample_weight=-np.ones(10))


def test_a_one_epoch_fit_says_it_was_too_short_to_judge(regression_data):
    """The plateau rule compares n_iter_no_change epochs: after one, the warning says so, not 'rose by nan'."""
    X, y = regression_data()
    with pytest.warns(ConvergenceWarning) as caught:
        GDRegressor(batch_size=10, max_iter=1, random_state=0).fit(X, y)
    message = str(caught[0].message)
    assert "had a single epoch, too few for the stopping rule to judge" in message
    assert "n_iter_no_change=5" in message and "nan" not in message


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 0.0])
def test_a_bad_rate_in_the_middle_of_an_epoch_is_refused_with_its_value(bad):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2000, 2))
    y = X.sum(axis=1)

    def schedule(t):
        return 0.01 if t <= 1507 else bad

    with pytest.raises(ValueError, match=f"the schedule gave learning rate {bad} at a step of epoch 1"):
        GDRegressor(
            optimizer="sgd", learning_rate=0.01, schedule=schedule, batch_size=1, max_iter=1, tol=None, random_state=0
        ).fit(X, y)

"""Every loss in the estimators: the same optimum as the exact solvers of the same objective, the same
objective as scikit-learn's SGD, several outputs as separate fits, and targets checked per loss."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import (
    GammaRegressor,
    PoissonRegressor,
    QuantileRegressor,
    SGDClassifier,
    SGDRegressor,
    TweedieRegressor,
)
from sklearn.utils.estimator_checks import parametrize_with_checks

from descend import GDClassifier, GDRegressor
from descend.io import load_model
from descend.losses import LOSSES, loss_and_derivative

NEW_REGRESSION = ["epsilon_insensitive", "squared_epsilon_insensitive", "quantile", "poisson", "gamma", "tweedie"]
NEW_CLASSIFICATION = ["modified_huber", "squared_hinge", "perceptron"]


def glm_data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)) * [1.0, 2.0, 0.5, 1.0] + [0.0, 1.0, 0.0, -1.0]
    mu = np.exp(X @ np.array([0.3, -0.2, 0.5, 0.1]) + 0.4)
    return X, mu, rng


@pytest.mark.parametrize("alpha", [1e-3, 0.0])
@pytest.mark.parametrize(
    "loss, power, peer",
    [
        ("poisson", None, lambda a: PoissonRegressor(alpha=a, tol=1e-12, max_iter=10_000)),
        ("gamma", None, lambda a: GammaRegressor(alpha=a, tol=1e-12, max_iter=10_000)),
        ("tweedie", 1.5, lambda a: TweedieRegressor(power=1.5, link="log", alpha=a, tol=1e-12, max_iter=10_000)),
    ],
)
def test_log_link_fits_equal_scikit_learns_glms(loss, power, peer, alpha):
    X, mu, rng = glm_data()
    y = {
        "poisson": lambda: rng.poisson(mu).astype(float),
        "gamma": lambda: rng.gamma(2.0, mu / 2.0),
        "tweedie": lambda: rng.poisson(mu) * rng.gamma(2.0, 0.5, len(mu)),
    }[loss]()
    params = {} if power is None else {"power": power}
    ours = GDRegressor(loss=loss, alpha=alpha, penalty="l2" if alpha else None, tol=1e-10, max_iter=5000, **params).fit(
        X, y
    )
    theirs = peer(alpha).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_[0], theirs.intercept_, rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-5)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), abs=1e-6)  # D^2, as theirs


def pinball_objective(X, y, coef, intercept, q, alpha):
    r = y - X @ coef - intercept
    return np.mean(np.maximum(q * r, (q - 1) * r)) + alpha * np.abs(coef).sum()


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("alpha", [0.0, 0.02])
def test_quantile_fit_reaches_the_linear_programs_objective(q, alpha):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((800, 5))
    y = X @ np.array([1.0, -0.5, 0.0, 0.3, 2.0]) + (1 + np.abs(X[:, 0])) * rng.standard_normal(800)
    ours = GDRegressor(loss="quantile", quantile=q, penalty="l1" if alpha else None, alpha=alpha).fit(X, y)
    theirs = QuantileRegressor(quantile=q, alpha=alpha, solver="highs").fit(X, y)
    best = pinball_objective(X, y, theirs.coef_, theirs.intercept_, q, alpha)
    reached = pinball_objective(X, y, ours.coef_, ours.intercept_[0], q, alpha)
    assert (reached - best) / best <= 1e-4
    # and the fitted quantile holds that share of the targets below it
    assert np.mean(y <= ours.predict(X)) == pytest.approx(q, abs=0.02)


def objective(X, target, model, loss, alpha, parameter=0.0):
    """The mean loss by descend.losses (scikit-learn's definitions for these losses) + alpha/2 |w|^2."""
    coef, intercept = np.ravel(model.coef_), np.ravel(model.intercept_)[0]
    value, _ = loss_and_derivative(X @ coef + intercept, target, LOSSES[loss].code, np.array([parameter, 0.0]))
    return float(np.mean(value) + alpha / 2 * coef @ coef)


@pytest.mark.parametrize(
    "loss",
    [
        "log_loss",
        "hinge",
        "modified_huber",
        "squared_hinge",
        "perceptron",
        "squared_error",
        "huber",
        "epsilon_insensitive",
        "squared_epsilon_insensitive",
    ],
)
def test_the_objective_of_scikit_learns_sgd_with_each_of_its_losses(loss):
    """scikit-learn's SGD, run to convergence (many epochs of its decaying 'optimal' schedule), and the
    default fit reach the same objective to 1e-3 (relative; absolute where the optimum is near 0)."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((500, 4))
    score = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3
    alpha, epsilon = 0.01, 0.1
    classifier = loss in ("log_loss", "hinge", "modified_huber", "squared_hinge", "perceptron")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if classifier:
            y = (score + rng.standard_normal(500) > 0).astype(int)
            theirs = SGDClassifier(loss=loss, alpha=alpha, max_iter=3000, tol=None, random_state=0).fit(X, y)
            # the perceptron learns one row a step (its full-batch optimum is w = 0): run as scikit-learn's,
            # with the same schedule, towards that optimum
            same_schedule = dict(schedule="optimal", max_iter=3000, tol=None, random_state=0)
            ours = GDClassifier(
                loss=loss, alpha=alpha, **(same_schedule if loss == "perceptron" else dict(max_iter=5000))
            ).fit(X, y)
            target = 2.0 * y - 1.0
        else:
            target = y = score + rng.standard_normal(500)
            theirs = SGDRegressor(
                loss=loss,
                alpha=alpha,
                epsilon=epsilon,
                max_iter=3000,
                tol=None,
                learning_rate="optimal",
                random_state=0,
            ).fit(X, y)
            ours = GDRegressor(loss=loss, alpha=alpha, epsilon=epsilon, max_iter=5000).fit(X, y)
    parameter = epsilon if loss in ("huber", "epsilon_insensitive", "squared_epsilon_insensitive") else 0.0
    mine = objective(X, target, ours, loss, alpha, parameter)
    peer = objective(X, target, theirs, loss, alpha, parameter)
    assert abs(mine - peer) <= 1e-3 * max(abs(peer), 1.0)
    assert mine <= peer + 1e-3 * max(abs(peer), 1.0)


def test_modified_huber_probabilities_are_scikit_learns():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 3))
    y2 = (X[:, 0] + 0.5 * rng.standard_normal(300) > 0).astype(int)
    y3 = np.digitize(X[:, 0] + X[:, 1], [-0.7, 0.7])
    for y in (y2, y3):
        ours = GDClassifier(loss="modified_huber", alpha=0.01).fit(X, y)
        peer = SGDClassifier(loss="modified_huber", alpha=0.01, random_state=0).fit(X, y)
        peer.coef_, peer.intercept_ = ours.coef_.copy(), ours.intercept_.copy()  # the same model, their formula
        np.testing.assert_allclose(ours.predict_proba(X), peer.predict_proba(X), rtol=1e-12, atol=1e-12)
        assert np.all(np.isclose(ours.predict_proba(X).sum(axis=1), 1.0))
    assert not hasattr(GDClassifier(loss="squared_hinge"), "predict_proba")


@pytest.mark.parametrize(
    "loss, params, make_y",
    [
        ("squared_error", dict(optimizer="adam", learning_rate=0.01, batch_size=8), None),
        ("huber", dict(batch_size=1, learning_rate=0.01, epsilon=0.5), None),
        ("poisson", dict(batch_size=16, learning_rate=0.05, optimizer="momentum"), "counts"),
        ("quantile", dict(batch_size=1, learning_rate=0.01, quantile=0.8), None),
    ],
)
def test_several_outputs_equal_separate_fits(loss, params, make_y):
    """A 2-D y of 3 columns: one pass over the rows a step for all of them, and each column's
    coefficients those of its own fit, to 1e-12, with the same seed."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 4))
    W = rng.standard_normal((4, 3)) * 0.3
    Y = X @ W + 0.2 * rng.standard_normal((200, 3))
    if make_y == "counts":
        Y = rng.poisson(np.exp(Y)).astype(float)
    settings = dict(loss=loss, max_iter=4, tol=None, random_state=0, penalty="elasticnet", alpha=0.01, **params)
    together = GDRegressor(**settings).fit(X, Y)
    assert together.coef_.shape == (3, 4) and together.intercept_.shape == (3,)
    assert together.predict(X).shape == (200, 3)
    for k in range(3):
        alone = GDRegressor(**settings).fit(X, Y[:, k])
        np.testing.assert_allclose(together.coef_[k], alone.coef_, rtol=0, atol=1e-12)
        np.testing.assert_allclose(together.intercept_[k], alone.intercept_[0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(together.predict(X)[:, k], alone.predict(X), rtol=1e-12, atol=1e-12)


def test_several_outputs_on_the_full_batch_reach_each_ones_optimum():
    """The full batch's line search steps all outputs together (one step size): the path differs
    from separate fits, the optimum does not."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 4))
    Y = X @ rng.standard_normal((4, 2)) + rng.standard_normal((300, 2))
    together = GDRegressor(tol=1e-10, max_iter=5000).fit(X, Y)
    for k in range(2):
        alone = GDRegressor(tol=1e-10, max_iter=5000).fit(X, Y[:, k])
        np.testing.assert_allclose(together.coef_[k], alone.coef_, rtol=0, atol=1e-8)
    with pytest.raises(ValueError, match="fitted on a 2-D y of 2 columns"):
        together.set_params(warm_start=True).partial_fit(X, Y[:, 0])


@pytest.mark.parametrize(
    "params, y, message",
    [
        (dict(loss="poisson"), [0.0, 3.0, -1.0, 2.0], r"needs targets >= 0.*y\[2\] = -1"),
        (dict(loss="gamma"), [1.0, 0.0, 2.0, 1.0], r"needs positive targets.*y\[1\] = 0"),
        (dict(loss="tweedie", power=2.5), [1.0, 2.0, 0.0, 1.0], r"power=2.5.*positive.*y\[2\]"),
        (dict(loss="quantile", quantile=1.2), [1.0, 2.0, 3.0, 4.0], r"quantile must .*1.2"),
        (dict(loss="quantile", quantile=0.0), [1.0, 2.0, 3.0, 4.0], r"quantile must"),
        (dict(loss="tweedie", power=0.5), [1.0, 2.0, 3.0, 4.0], r"power must be 0 .* no power between 0 and 1.*0.5"),
        (dict(loss="epsilon_insensitive", epsilon=-0.1), [1.0, 2.0, 3.0, 4.0], r"epsilon"),
    ],
)
def test_bad_targets_and_parameters_are_refused(params, y, message):
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match=message):
        GDRegressor(**params).fit(X, np.array(y))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(loss="quantile", quantile=1.2), r"quantile must .*1.2"),
        (dict(loss="tweedie", power=0.5), r"power must be 0 .* no power between 0 and 1.*0.5"),
        (dict(loss="huber", epsilon=0.0), r"epsilon must"),
        (dict(loss="poisson", optimizer="adam", learning_rate=-1.0), r"learning_rate"),
    ],
)
def test_check_params_refuses_before_any_data_what_fit_refuses(params, message):
    with pytest.raises(ValueError, match=message):
        GDRegressor(**params).check_params()
    model = GDRegressor(loss="tweedie", power=1.5)
    assert model.check_params() is model and not hasattr(model, "coef_")
    with pytest.raises(ValueError, match="Unknown loss 'poisson'"):
        GDClassifier(loss="poisson").check_params()


def test_log_link_streams_and_partial_fits(tmp_path):
    """Poisson through partial_fit on blocks and through a checkpointed fit resumed: the log link
    everywhere the other losses go."""
    X, mu, rng = glm_data(n=400, seed=6)
    y = rng.poisson(mu).astype(float)
    model = GDRegressor(loss="poisson", batch_size=20, learning_rate=0.05, random_state=0)
    for _ in range(10):
        for start in range(0, 400, 100):
            model.partial_fit(X[start : start + 100], y[start : start + 100])
    best = GDRegressor(loss="poisson").fit(X, y).score(X, y)
    assert model.score(X, y) > 0.9 * best > 0.2
    path = tmp_path / "fit.json"
    whole = GDRegressor(loss="poisson", max_iter=6, tol=None, checkpoint=path).fit(X, y)
    cut = GDRegressor(loss="poisson", max_iter=3, tol=None, checkpoint=path).fit(X, y)
    resumed = clone(cut).set_params(max_iter=6).fit(X, y, resume=True)
    np.testing.assert_array_equal(resumed.coef_, whole.coef_)


def expected_failures(estimator):
    """The checks a loss cannot pass, each for a reason of the loss or of the check, not of the code
    (those are tested otherwise: the log-link losses' several outputs in
    test_several_outputs_equal_separate_fits)."""
    loss = estimator.loss
    failures = {}
    if loss in ("poisson", "gamma", "tweedie"):
        failures["check_regressor_multioutput"] = (
            "the check draws its targets from make_regression without its positive_only tag: negative, "
            "which a log-link loss refuses"
        )
    if loss == "perceptron":
        reason = (
            "one row a step (see GDClassifier): stochastic steps on weighted rows are not those on "
            "repeated rows, as scikit-learn marks for its own Perceptron and SGD estimators"
        )
        failures["check_sample_weight_equivalence_on_dense_data"] = reason
        failures["check_sample_weight_equivalence_on_sparse_data"] = reason
    return failures


@parametrize_with_checks(
    [GDRegressor(loss=loss) for loss in NEW_REGRESSION] + [GDClassifier(loss=loss) for loss in NEW_CLASSIFICATION],
    expected_failed_checks=expected_failures,
)
def test_sklearn_estimator_checks_with_every_new_loss(estimator, check):
    name = getattr(check, "func", check).__name__
    estimator = clone(estimator)  # the instance is shared by every check of its loss
    if "sample_weight_equivalence" in name:
        # scikit-learn runs its own iterative solvers to a tight tolerance for this check
        estimator.set_params(tol=1e-12, max_iter=50_000)
    check(estimator)


def targets_for(loss, score, rng):
    """Targets each loss accepts, from a linear score: counts, positive amounts, classes or reals."""
    if loss in ("poisson", "tweedie"):
        return rng.poisson(np.exp(0.3 * score)).astype(float)
    if loss == "gamma":
        return rng.gamma(2.0, np.exp(0.3 * score) / 2.0)
    if loss in NEW_CLASSIFICATION:
        return np.digitize(score, np.quantile(score, [0.4, 0.7]))  # three classes
    return score + rng.standard_normal(len(score))


@pytest.mark.parametrize("loss", NEW_REGRESSION + NEW_CLASSIFICATION)
@pytest.mark.parametrize(
    "optimizer, batch_size", [("sgd", None), ("nesterov", 7), ("adam", 1), ("nadam", 7), ("adagrad", None)]
)
def test_every_loss_runs_the_same_steps_compiled_and_in_numpy(loss, optimizer, batch_size):
    """Each new loss, weighted, with an elastic net, on the full batch, mini-batches and single rows: the
    compiled loops and the NumPy reference take the same steps (1e-12), and the model file gives back
    the same predictions."""
    rng = np.random.default_rng(11)
    X = rng.standard_normal((60, 4)) * [1.0, 3.0, 0.5, 2.0]
    y = targets_for(loss, X @ np.array([1.0, -0.3, 0.0, 0.4]) + 0.5, rng)
    weights = rng.uniform(0.2, 2.0, 60)
    model = GDClassifier if loss in NEW_CLASSIFICATION else GDRegressor
    settings = dict(
        loss=loss,
        optimizer=optimizer,
        batch_size=batch_size,
        penalty="elasticnet",
        alpha=0.01,
        learning_rate=0.01 if optimizer != "sgd" else "auto",
        max_iter=6,
        tol=None,
        random_state=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = model(**settings).fit(X, y, sample_weight=weights)
        reference = model(**settings)
        reference._engine = "reference"
        reference.fit(X, y, sample_weight=weights)
    # The two paths sum a batch's gradient in different orders. The log link's exp(score) carries those
    # last-bit differences into every coordinate, and AdaGrad's division by the root of the summed squares
    # magnifies them where a gradient is near zero: 3e-11 at the most, measured.
    tolerance = 1e-9 if loss in ("poisson", "gamma", "tweedie") else 1e-12
    np.testing.assert_allclose(compiled.coef_, reference.coef_, rtol=tolerance, atol=1e-12)
    np.testing.assert_allclose(compiled.history_["loss"], reference.history_["loss"], rtol=tolerance)
    assert np.any(compiled.coef_ != 0) and np.all(np.isfinite(compiled.history_["loss"]))


@pytest.mark.parametrize("loss", NEW_REGRESSION + NEW_CLASSIFICATION)
def test_every_loss_stops_early_and_survives_its_model_file(loss, tmp_path):
    rng = np.random.default_rng(12)
    X = rng.standard_normal((300, 3))
    y = targets_for(loss, X @ np.array([1.0, -0.5, 0.3]) + 0.5, rng)
    model = GDClassifier if loss in NEW_CLASSIFICATION else GDRegressor
    params = dict(quantile=0.8) if loss == "quantile" else dict(power=1.3) if loss == "tweedie" else {}
    fitted = model(
        loss=loss,
        optimizer="adam",
        learning_rate=0.02,
        batch_size=16,
        early_stopping=True,
        max_iter=200,
        random_state=0,
        **params,
    ).fit(X, y)
    assert fitted.n_iter_ < 200 and fitted.best_iteration_ <= fitted.n_iter_
    fitted.save(tmp_path / "model.json")
    loaded, _, _ = load_model(tmp_path / "model.json")
    assert loaded.get_params() == fitted.get_params()
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    if loss in ("poisson", "gamma", "tweedie"):
        assert np.all(fitted.predict(X) > 0)  # exp of the linear score

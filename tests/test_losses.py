"""Every loss: its derivative is its slope, and the compiled and NumPy paths compute the same numbers."""

import numpy as np
import pytest
from numba import njit

from descend.losses import (
    GAMMA,
    LOSSES,
    POISSON,
    QUANTILE,
    TWEEDIE,
    check_targets,
    get_loss,
    loss_and_derivative,
    quantile,
)

# (name, parameters (its own, its smoothing), targets it is defined on)
CASES = [
    ("squared_error", (0.0, 0.0), "real"),
    ("huber", (0.7, 0.0), "real"),
    ("epsilon_insensitive", (0.3, 0.0), "real"),
    ("squared_epsilon_insensitive", (0.3, 0.0), "real"),
    ("quantile", (0.2, 0.0), "real"),
    ("quantile", (0.9, 0.0), "real"),
    ("quantile", (0.7, 0.4), "real"),
    ("poisson", (0.0, 0.0), "counts"),
    ("gamma", (0.0, 0.0), "positive"),
    ("tweedie", (1.5, 0.0), "counts"),
    ("tweedie", (3.0, 0.0), "positive"),
    ("tweedie", (0.0, 0.0), "real"),
    ("log_loss", (0.0, 0.0), "sign"),
    ("hinge", (0.0, 0.0), "sign"),
    ("modified_huber", (0.0, 0.0), "sign"),
    ("squared_hinge", (0.0, 0.0), "sign"),
    ("perceptron", (0.0, 0.0), "sign"),
]


def targets(kind, n, rng):
    if kind == "sign":
        return rng.choice([-1.0, 1.0], n)
    if kind == "counts":
        return rng.poisson(2.0, n).astype(float)
    if kind == "positive":
        return rng.gamma(2.0, 1.5, n)
    return 2.0 * rng.standard_normal(n)


@njit
def compiled_loss(p, y, code, parameters):
    values, derivatives = np.empty(p.shape[0]), np.empty(p.shape[0])
    for i in range(p.shape[0]):
        values[i], derivatives[i] = loss_and_derivative(p[i], y[i], code, parameters)
    return values, derivatives


@pytest.mark.parametrize("name, parameters, kind", CASES)
def test_derivative_is_the_slope(name, parameters, kind):
    """Central differences of the value equal the derivative, away from the kinks."""
    rng = np.random.default_rng(0)
    y = targets(kind, 400, rng)
    p = rng.uniform(-2.5, 2.5, 400)
    code, parameters = LOSSES[name].code, np.array(parameters)
    h = 1e-6
    up, _ = loss_and_derivative(p + h, y, code, parameters)
    down, _ = loss_and_derivative(p - h, y, code, parameters)
    _, derivative = loss_and_derivative(p, y, code, parameters)
    slope = (up - down) / (2 * h)
    np.testing.assert_allclose(derivative, slope, rtol=1e-5, atol=1e-5)
    assert np.any(derivative != 0)


@pytest.mark.parametrize("name, parameters, kind", CASES)
def test_compiled_equals_numpy(name, parameters, kind):
    """The scalar, compiled evaluation equals the element-wise NumPy one to 1e-12."""
    rng = np.random.default_rng(1)
    y = targets(kind, 300, rng)
    p = rng.uniform(-3.0, 3.0, 300)
    p[:5] = [0.0, 1.0, -1.0, 0.3, -0.3]  # on and near the kinks of several losses
    code, parameters = LOSSES[name].code, np.array(parameters)
    value, derivative = loss_and_derivative(p, y, code, parameters)
    value_c, derivative_c = compiled_loss(p, y, code, parameters)
    np.testing.assert_allclose(value_c, value, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(derivative_c, derivative, rtol=1e-12, atol=1e-12)


def test_the_log_link_losses_are_half_deviances():
    """At the target the deviance is 0; in the mean it is scikit-learn's unit deviance over 2."""
    from sklearn._loss.loss import HalfGammaLoss, HalfPoissonLoss, HalfTweedieLoss

    rng = np.random.default_rng(2)
    y = rng.gamma(2.0, 1.5, 50)
    eta = rng.normal(0.5, 0.3, 50)
    for code, power, peer in [
        (POISSON, 1.0, HalfPoissonLoss()),
        (GAMMA, 2.0, HalfGammaLoss()),
        (TWEEDIE, 1.5, HalfTweedieLoss(power=1.5)),
    ]:
        value, derivative = loss_and_derivative(eta, y, code, np.array([power, 0.0]))
        at_target, _ = loss_and_derivative(np.log(y), y, code, np.array([power, 0.0]))
        np.testing.assert_allclose(at_target, 0.0, atol=1e-12)
        # scikit-learn's half losses drop the terms without eta: the same up to a constant per row
        theirs = peer.loss(y_true=y, raw_prediction=eta) - peer.loss(y_true=y, raw_prediction=np.log(y))
        np.testing.assert_allclose(value, theirs, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(derivative, peer.gradient(y_true=y, raw_prediction=eta), rtol=1e-10)


def test_the_pinball_loss_and_its_envelope():
    r = np.array([-2.0, -0.1, 0.0, 0.05, 3.0])
    value, derivative = quantile(0.0, r, 0.8)  # y = r, p = 0
    np.testing.assert_allclose(value, [0.4, 0.02, 0.0, 0.04, 2.4])
    np.testing.assert_allclose(derivative, [0.2, 0.2, 0.0, -0.8, -0.8])
    h = 0.5
    smooth, _ = quantile(0.0, r, 0.8, h)
    # below the pinball loss by at most h max(tau, 1 - tau)^2 / 2, and equal to it far from the kink
    assert np.all(smooth <= value + 1e-15) and np.all(value - smooth <= h * 0.8**2 / 2 + 1e-15)
    np.testing.assert_allclose(smooth[[0, 4]], value[[0, 4]] - h * np.array([0.2, 0.8]) ** 2 / 2)


@pytest.mark.parametrize(
    "loss, bad, message",
    [
        (get_loss("poisson"), [1.0, -1.0], r"poisson.*>= 0.*y\[1\] = -1"),
        (get_loss("gamma"), [1.0, 2.0, 0.0], r"gamma.*positive.*y\[2\] = 0"),
        (get_loss("tweedie", power=1.5), [-0.5], r"power=1.5.*>= 0.*y\[0\]"),
        (get_loss("tweedie", power=3.0), [1.0, 0.0], r"power=3.*positive.*y\[1\]"),
    ],
)
def test_targets_outside_the_domain_are_named(loss, bad, message):
    with pytest.raises(ValueError, match=message):
        check_targets(loss, np.array(bad))
    check_targets(get_loss("tweedie", power=0.0), np.array([-3.0]))  # the normal distribution takes any


def test_the_bad_target_is_named_as_the_caller_says():
    with pytest.raises(
        ValueError,
        match=r"^loss='poisson' needs targets >= 0 \(counts, amounts\); 'n' in data row 8 "
        r"= -2$",
    ):
        check_targets(get_loss("poisson"), np.array([0.0, 3.0, -2.0, -1.0]), where=lambda i: f"'n' in data row {i + 6}")


def test_tweedie_at_powers_one_and_two_is_poisson_and_gamma():
    assert get_loss("tweedie", power=1.0).code == POISSON
    assert get_loss("tweedie", power=2.0).code == GAMMA
    assert get_loss("quantile", quantile=0.3).parameter == 0.3 and get_loss("quantile").code == QUANTILE

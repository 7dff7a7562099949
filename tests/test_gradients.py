"""Gradients you don't write: jac="autograd", "2-point", "3-point" in minimize, and check_gradient."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.optimize

from descend import check_gradient, minimize
from descend.functions import FUNCTION_NAMES, Quadratic, Rosenbrock, get_function
from descend.gradients import central_differences, forward_differences, value_and_grad

EPS = np.finfo(float).eps
SURFACES = [get_function(name) for name in FUNCTION_NAMES] + [
    Quadratic(np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]]), np.array([1.0, -1.0, 2.0]))
]
POINTS = [np.array([-1.5, 2.0]), np.array([0.0, -3.7]), np.array([1e3, 1e-3]), np.array([-0.25, 0.0])]


@pytest.mark.parametrize("x", POINTS, ids=str)
def test_forward_differences_are_scipys_approx_fprime_to_the_last_bit(x):
    f = Rosenbrock()
    h = np.sqrt(EPS) * np.where(x >= 0, 1.0, -1.0) * np.maximum(1.0, np.abs(x))  # the documented rule
    np.testing.assert_array_equal(forward_differences(f.value, x), scipy.optimize.approx_fprime(x, f.value, h))


def test_the_steps_are_the_documented_ones():
    calls = []

    def f(p):
        calls.append(p.copy())
        return float(p @ p)

    x = np.array([-3.0, 0.0, 0.5])
    forward_differences(f, x)
    h = np.sqrt(EPS) * np.array([-3.0, 1.0, 1.0])  # sqrt(eps) sign(x_i) max(1, |x_i|), +1 at 0
    np.testing.assert_array_equal(calls[0], x)
    np.testing.assert_allclose(np.array(calls[1:]) - x, np.diag(h), rtol=1e-7, atol=0)
    calls.clear()
    central_differences(f, x)
    h = EPS ** (1 / 3) * np.array([-3.0, 1.0, 1.0])
    steps = np.array(calls) - x
    np.testing.assert_allclose(steps[0::2], np.diag(h), rtol=1e-9, atol=0)
    np.testing.assert_allclose(steps[1::2], -np.diag(h), rtol=1e-9, atol=0)


@pytest.mark.parametrize("f", SURFACES, ids=lambda f: f.name)
def test_central_differences_agree_with_every_analytic_gradient(f):
    rng = np.random.default_rng(3)
    for _ in range(10):
        x = rng.uniform(-2, 2, f.dim)
        grad = f.grad(x)
        np.testing.assert_allclose(central_differences(f.value, x), grad, rtol=1e-8, atol=1e-8 * np.abs(grad).max())


def test_autograd_reaches_rosenbrocks_minimum_on_the_analytic_path():
    pytest.importorskip("autograd")
    f = Rosenbrock()
    analytic = minimize(f, f.start, "adam", lr=0.05, max_iter=5000)
    automatic = minimize(f.value, f.start, "adam", jac="autograd", lr=0.05, max_iter=5000)
    assert analytic.converged and automatic.converged and automatic.n_iter == analytic.n_iter == 2022
    np.testing.assert_allclose(automatic.path, analytic.path, rtol=0, atol=1e-12)
    np.testing.assert_allclose(automatic.x, [1.0, 1.0], atol=3e-6)
    assert automatic.n_fev == analytic.n_fev == 2023


def test_autograd_differentiates_a_function_written_with_autograd_numpy():
    pytest.importorskip("autograd")
    import autograd.numpy as anp

    def chained_rosenbrock(x):  # the n-dimensional Rosenbrock, sum_i (1 - x_i)^2 + 100 (x_i+1 - x_i^2)^2
        return anp.sum((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2)

    def by_hand(x):
        inner = x[1:] - x[:-1] ** 2
        grad = np.zeros_like(x)
        grad[:-1] = -2 * (1 - x[:-1]) - 400 * x[:-1] * inner
        grad[1:] += 200 * inner
        return float(np.sum((1 - x[:-1]) ** 2 + 100 * inner**2)), grad

    x0 = np.array([-1.2, 1.0, 0.5, -0.3, 0.8])
    value, grad = value_and_grad(chained_rosenbrock, "autograd")(x0)
    assert value == pytest.approx(by_hand(x0)[0], rel=1e-15)
    np.testing.assert_allclose(grad, by_hand(x0)[1], rtol=1e-14)
    automatic = minimize(chained_rosenbrock, x0, "adam", jac="autograd", lr=0.02, max_iter=300, tol=None)
    analytic = minimize(by_hand, x0, "adam", lr=0.02, max_iter=300, tol=None)
    np.testing.assert_allclose(automatic.path, analytic.path, rtol=0, atol=1e-12)


def test_without_autograd_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "autograd", None)  # what a missing package looks like to import
    with pytest.raises(ImportError, match=r'pip install "descend\[autograd\]"'):
        minimize(Rosenbrock().value, [0.0, 0.0], jac="autograd")


@pytest.mark.parametrize("jac,atol,calls", [("2-point", 2e-5, 3), ("3-point", 1e-7, 5)])
def test_finite_differences_reach_rosenbrocks_minimum_like_the_analytic_gradient(jac, atol, calls):
    f = Rosenbrock()
    analytic = minimize(f, f.start, "adam", lr=0.05, max_iter=5000)
    numeric = minimize(f.value, f.start, "adam", jac=jac, lr=0.05, max_iter=5000)
    assert numeric.converged and numeric.n_iter == analytic.n_iter
    # Forward differences are biased by about sqrt(eps) |f''|, which moves the point where they vanish by ~1e-5
    # along the valley's flat direction; central ones by eps^(2/3).
    np.testing.assert_allclose(numeric.x, analytic.x, rtol=0, atol=atol)
    assert np.abs(numeric.x - analytic.x).max() > atol / 100  # the differences are not the analytic gradient
    assert numeric.n_fev == calls * (numeric.n_iter + 1)  # n + 1 or 2n + 1 calls of fun per iterate, n = 2


@pytest.mark.parametrize("f", SURFACES, ids=lambda f: f.name)
def test_check_gradient_passes_every_test_surfaces_gradient(f):
    rng = np.random.default_rng(0)
    if f.dim == 2:
        (x0, x1), (y0, y1) = f.domain
        points = [f.start, *f.minima, *np.column_stack([rng.uniform(x0, x1, 100), rng.uniform(y0, y1, 100)])]
    else:
        points = [*f.minima, *rng.uniform(-3, 3, (100, f.dim))]
    for point in points:
        check = check_gradient(f, point)
        assert check.ok, str(check)
        assert check.max_relative_error < 1e-8


@pytest.mark.parametrize("f", SURFACES, ids=lambda f: f.name)
def test_check_gradient_flags_a_factor_of_two_and_a_flipped_sign(f):
    x = f.start if f.dim == 2 else np.array([1.0, 2.0, -1.0])
    grad = f.grad(x)
    i = int(np.argmax(np.abs(grad)))
    one = np.eye(f.dim)[i]
    slips = {
        "twice": (lambda p: (f.value(p), 2 * f.grad(p)), 0.5),
        "flipped": (lambda p: (f.value(p), -f.grad(p)), 2.0),
        "one coordinate flipped": (lambda p: (f.value(p), f.grad(p) * (1 - 2 * one)), 2.0),
        "one coordinate halved": (lambda p: (f.value(p), f.grad(p) * (1 - 0.5 * one)), 0.5),
    }
    for name, (slipped, error) in slips.items():
        check = check_gradient(slipped, x)
        assert not check.ok, name
        assert check.max_relative_error == pytest.approx(error, rel=1e-6), name
        assert "DISAGREES" in str(check)
    assert check.worst == i


def test_check_gradient_reports_the_worst_coordinate_and_a_small_slip():
    f = Rosenbrock()
    x = np.array([-1.5, 2.0])  # gradient (-155, -50)
    off = lambda p: (f.value(p), f.grad(p) * np.array([1.0, 1.001]))  # noqa: E731 - a 0.1 % slip in y
    check = check_gradient(off, x)
    assert not check.ok and check.worst == 1
    assert check.max_relative_error == pytest.approx(0.001 / 1.001, rel=1e-6)
    np.testing.assert_allclose(check.numeric, [-155.0, -50.0], rtol=1e-9)
    assert check.relative_error[0] == 0.0
    assert check_gradient(off, x, rtol=2e-3).ok


def test_at_a_minimum_check_gradient_passes_what_differences_cannot_resolve():
    # At Rosenbrock's minimum the gradient is 0 and the differences' truncation error (about 1e-8) is all they see.
    check = check_gradient(Rosenbrock(), [1.0, 1.0])
    assert check.ok and check.max_relative_error == 0.0
    assert 1e-9 < abs(check.numeric[0]) < check.numeric_error[0]


@pytest.mark.parametrize(
    "call,error,match",
    [
        (
            lambda: minimize(Rosenbrock(), [0.0, 0.0], jac="cs"),
            ValueError,
            "Unknown jac 'cs'; valid names are: autograd",
        ),
        (lambda: minimize(Rosenbrock(), [0.0, 0.0], jac=False), ValueError, "jac must be True .* got False"),
        (
            lambda: minimize(Rosenbrock(), [0.0, 0.0], jac="2-point"),
            TypeError,
            "with jac='2-point', fun must return a number .* got tuple",
        ),
        (lambda: minimize(Rosenbrock().value, [0.0, 0.0]), TypeError, "pass jac='autograd', '2-point' or '3-point'"),
        (
            lambda: check_gradient(Rosenbrock(), [0.0, 0.0], rtol=-1),
            ValueError,
            "rtol must be a finite number > 0, got -1",
        ),
        (lambda: check_gradient(Rosenbrock(), [np.nan, 0.0]), ValueError, r"x contains NaN or inf at index \[0\]"),
        (lambda: check_gradient(Rosenbrock(), [[1.0, 2.0]]), ValueError, r"x must be a non-empty 1-D array"),
        (lambda: check_gradient(Rosenbrock().value, [0.0, 0.0]), TypeError, "pair"),
        (lambda: check_gradient(lambda x: (0.0, np.zeros(3)), [0.0, 0.0]), ValueError, r"shape \(3,\)"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("f", SURFACES, ids=lambda f: f.name)
def test_the_analytic_gradients_take_a_stack_of_points(f):
    points = np.random.default_rng(1).uniform(-2, 2, (f.dim, 7, 3))
    stacked = f.grad(points)
    assert stacked.shape == points.shape
    for j in range(7):
        np.testing.assert_allclose(stacked[:, j, 1], f.grad(points[:, j, 1]), rtol=1e-14, atol=1e-14)


def test_import_descend_loads_no_autograd():
    code = "import sys, descend; descend.check_gradient; print('autograd' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

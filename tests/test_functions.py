"""Test surfaces: analytic gradients against finite differences, known minima."""

import numpy as np
import pytest

from descend.functions import FUNCTION_NAMES, Bowl, Quadratic, get_function

SURFACES = [get_function(name) for name in FUNCTION_NAMES] + [
    Quadratic(np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]]), np.array([1.0, -1.0, 2.0]))
]


def central_difference(f, x, h=1e-6):
    return np.array([(f.value(x + h * e) - f.value(x - h * e)) / (2 * h) for e in np.eye(x.size)])


@pytest.mark.parametrize("f", SURFACES, ids=lambda f: f.name)
def test_gradient_agrees_with_finite_differences(f):
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.uniform(-2, 2, f.dim)
        numeric = central_difference(f, x)
        np.testing.assert_allclose(f.grad(x), numeric, rtol=1e-6, atol=1e-6 * max(1, np.abs(numeric).max()))


@pytest.mark.parametrize("f", SURFACES, ids=lambda f: f.name)
def test_known_minima_are_minima(f):
    assert len(f.minima) >= 1
    for x_star in f.minima:
        value, grad = f(x_star)
        assert value == pytest.approx(f.min_value, abs=1e-12)
        assert np.linalg.norm(grad) < 1e-8
    # Nothing nearby is lower.
    rng = np.random.default_rng(1)
    for x_star in f.minima:
        for _ in range(50):
            assert f.value(x_star + 1e-3 * rng.standard_normal(f.dim)) >= f.min_value - 1e-15


def test_published_minima():
    assert get_function("rosenbrock").minima.tolist() == [[1.0, 1.0]]
    assert get_function("beale").minima.tolist() == [[3.0, 0.5]]
    assert get_function("booth").minima.tolist() == [[1.0, 3.0]]
    assert len(get_function("himmelblau").minima) == 4
    bowl = Bowl()
    assert bowl.value(np.array([1.0, 1.0])) == 3.0  # x^2 + 2 y^2


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_value_on_a_grid_equals_pointwise(name):
    f = get_function(name)
    (x_lo, x_hi), (y_lo, y_hi) = f.domain
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, 7), np.linspace(y_lo, y_hi, 5))
    grid = f.value(np.stack([X, Y]))
    assert grid.shape == (5, 7)
    for i in range(5):
        for j in range(7):
            assert grid[i, j] == pytest.approx(f.value(np.array([X[i, j], Y[i, j]])), rel=1e-14)


def test_quadratic_minimum_and_validation():
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    b = np.array([1.0, 1.0])
    f = Quadratic(A, b)
    np.testing.assert_allclose(f.minima[0], np.linalg.solve(A, b))
    assert f.min_value == pytest.approx(-0.5 * b @ np.linalg.solve(A, b))
    with pytest.raises(ValueError, match="symmetric"):
        Quadratic(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="square"):
        Quadratic(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\)"):
        Quadratic(A, np.ones(3))


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown function 'rosenbrok'; valid names are: bowl, rosenbrock, beale"):
        get_function("rosenbrok")
    with pytest.raises(ValueError, match=r"takes a point of shape \(2,\)"):
        Bowl()([1.0, 2.0, 3.0])

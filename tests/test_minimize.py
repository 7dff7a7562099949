"""The generic loop: its contract, stopping rules, projections and errors."""

import numpy as np
import pytest

from descend import DivergenceError, minimize
from descend.functions import Bowl, Quadratic, Rosenbrock
from descend.optimizers import SGD, Adam
from descend.schedules import CosineAnnealing, ReduceOnPlateau, StepDecay


def recording(fun):
    """Wrap fun to record every point it is called at."""
    calls = []

    def wrapped(x):
        calls.append(np.array(x, copy=True))
        return fun(x)

    return wrapped, calls


def test_path_rows_are_x0_then_the_iterate_after_each_step():
    f = Bowl()
    x0 = np.array([1.0, -1.0])
    result = minimize(f, x0, SGD(lr=0.1), max_iter=5, tol=None)
    # Plain gradient descent on x^2 + 2y^2: x <- (1 - 0.2) x, y <- (1 - 0.4) y.
    expected = np.array([[0.8**k, -(0.6**k)] for k in range(6)])
    assert result.path.shape == (6, 2)
    np.testing.assert_allclose(result.path, expected, rtol=1e-15)
    np.testing.assert_allclose(result.loss_history, [f.value(p) for p in expected], rtol=1e-14)
    np.testing.assert_array_equal(result.x, result.path[-1])
    assert result.fun == result.loss_history[-1]
    assert result.n_iter == 5 and not result.converged
    np.testing.assert_array_equal(x0, [1.0, -1.0])  # x0 untouched


def test_fun_is_called_once_per_iterate_in_order():
    wrapped, calls = recording(Rosenbrock())
    result = minimize(wrapped, [-1.0, 1.0], Adam(lr=0.01), max_iter=50, tol=None)
    assert result.n_fev == len(calls) == result.n_iter + 1
    np.testing.assert_array_equal(np.array(calls), result.path)


def test_tol_stops_on_the_gradient_norm():
    result = minimize(Bowl(), [1.0, 1.0], SGD(lr=0.1), max_iter=10_000, tol=1e-8)
    assert result.converged and "tol" in result.message
    assert np.linalg.norm(result.grad) < 1e-8
    # One step earlier the gradient was still above tol.
    previous = result.path[-2]
    assert np.linalg.norm(Bowl().grad(previous)) >= 1e-8
    assert result.n_iter < 200


def test_tol_none_runs_every_step():
    result = minimize(Bowl(), [1.0, 1.0], SGD(lr=0.1), max_iter=300, tol=None)
    assert result.n_iter == 300 and result.path.shape == (301, 2)
    assert not result.converged and "max_iter" in result.message


def test_bounds_project_every_iterate_and_find_the_constrained_minimum():
    # min (x - 2)^2 + 2 (y + 3)^2 over [-1, 1]^2 is at the corner (1, -1).
    f = Quadratic(np.diag([2.0, 4.0]), np.array([4.0, -12.0]))
    result = minimize(f, [0.0, 0.0], SGD(lr=0.1), bounds=(-1.0, 1.0), max_iter=1000, tol=1e-10)
    assert result.converged
    np.testing.assert_allclose(result.x, [1.0, -1.0])
    assert np.all(result.path >= -1.0) and np.all(result.path <= 1.0)
    # Unconstrained the same run leaves the box.
    free = minimize(f, [0.0, 0.0], SGD(lr=0.1), max_iter=1000, tol=1e-10)
    np.testing.assert_allclose(free.x, [2.0, -3.0], atol=1e-9)


def test_bounds_per_coordinate_and_one_sided():
    f = Quadratic(np.eye(2), np.array([-5.0, 5.0]))  # unconstrained minimum (-5, 5)
    result = minimize(f, [0.0, 0.0], SGD(lr=0.5), bounds=([-2.0, -np.inf], [np.inf, 3.0]), max_iter=200)
    np.testing.assert_allclose(result.x, [-2.0, 3.0])


def test_callback_sees_each_step_and_can_stop_the_run():
    seen = []

    def stop_at_seven(info):
        seen.append((info.iteration, info.value, info.lr))
        return info.iteration == 7

    result = minimize(Bowl(), [1.0, 1.0], SGD(lr=0.05), max_iter=100, tol=None, callbacks=[stop_at_seven])
    assert result.n_iter == 7 and "callback" in result.message
    assert [s[0] for s in seen] == list(range(1, 8))
    np.testing.assert_allclose([s[1] for s in seen], result.loss_history[1:])
    assert all(s[2] == 0.05 for s in seen)


def test_schedule_sets_each_steps_rate():
    schedule = StepDecay(0.1, rate=0.5, steps=3)
    result = minimize(Bowl(), [1.0, 1.0], "sgd", schedule=schedule, max_iter=10, tol=None)
    np.testing.assert_allclose(result.lr_history, [schedule(t) for t in range(1, 11)])
    x = 1.0
    for t in range(1, 11):
        x *= 1 - 2 * schedule(t)
    assert result.x[0] == pytest.approx(x, rel=1e-14)


def test_plain_callable_schedule_and_lr_override():
    result = minimize(Bowl(), [1.0, 1.0], "sgd", schedule=lambda t: 0.1 / t, max_iter=4, tol=None)
    np.testing.assert_allclose(result.lr_history, [0.1, 0.05, 0.1 / 3, 0.025])
    result = minimize(Bowl(), [1.0, 1.0], "momentum", lr=0.01, max_iter=3, tol=None)
    np.testing.assert_allclose(result.lr_history, [0.01] * 3)


def test_the_schedule_is_asked_only_for_the_steps_taken():
    # CosineAnnealing(T_max=max_iter) reaches eta_min = 0 at step max_iter + 1, a step never taken.
    result = minimize(Bowl(), [1.0, 1.0], "sgd", schedule=CosineAnnealing(0.1, T_max=20), max_iter=20, tol=None)
    assert result.n_iter == 20 and "max_iter" in result.message
    np.testing.assert_allclose(result.lr_history, CosineAnnealing(0.1, T_max=20)(np.arange(1, 21)))
    asked = []

    def schedule(t):
        asked.append(t)
        return 0.1

    for kwargs in ({}, {"bounds": (-2.0, 2.0), "tol": 1e-3}, {"line_search": True}):
        asked.clear()
        result = minimize(Bowl(), [1.0, 1.0], "sgd", schedule=schedule, max_iter=5, **kwargs)
        assert asked == list(range(1, result.n_iter + 1)), kwargs
    # Converging before max_iter asks for no further rate either.
    asked.clear()
    result = minimize(Bowl(), [1.0, 1.0], "sgd", schedule=schedule, max_iter=1000, tol=1e-6)
    assert result.converged and asked == list(range(1, result.n_iter + 1))


def test_reduce_on_plateau_lowers_the_rate_when_the_loss_stalls():
    # SGD with lr 0.5 on x^2 + 2y^2 makes y bounce (factor 1 - 4*0.5 = -1): no progress.
    schedule = ReduceOnPlateau(0.5, factor=0.1, patience=2)
    result = minimize(Bowl(), [0.0, 1.0], "sgd", schedule=schedule, max_iter=40, tol=None)
    assert result.lr_history[0] == 0.5
    assert result.lr_history[-1] == pytest.approx(0.05)
    assert result.loss_history[-1] < 1e-3


def test_line_search_takes_steps_that_plain_gradient_descent_cannot():
    f = Rosenbrock()
    with pytest.raises(DivergenceError):
        minimize(f, f.start, SGD(lr=0.1), max_iter=100)
    result = minimize(f, f.start, SGD(lr=0.1), line_search=True, max_iter=50_000, tol=1e-6)
    assert result.converged
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-5)
    assert np.all(np.diff(result.loss_history) < 0)  # every accepted step decreases the objective
    assert np.all(result.lr_history <= 0.1)


def test_line_search_needs_plain_gradient_descent():
    with pytest.raises(ValueError, match="plain gradient descent"):
        minimize(Bowl(), [1.0, 1.0], "adam", line_search=True)
    with pytest.raises(ValueError, match="plain gradient descent"):
        minimize(Bowl(), [1.0, 1.0], "momentum", line_search=True)


def test_divergence_names_the_iteration_and_suggests_a_smaller_rate():
    with pytest.raises(DivergenceError, match=r"iteration \d+.*smaller learning rate") as info:
        minimize(Bowl(), [1.0, 1.0], SGD(lr=1.0), max_iter=1000)
    # y is multiplied by 1 - 4 = -3 per step: the loss passes 1e8 * 3 after ~9 steps.
    assert 5 <= info.value.iteration <= 12
    assert isinstance(info.value, ValueError)
    # The way there is kept: x0, then each step up to the one that exploded.
    path = info.value.path
    assert path.shape == (info.value.iteration + 1, 2) and np.array_equal(path[0], [1.0, 1.0])
    np.testing.assert_allclose(path[:, 1], (-3.0) ** np.arange(len(path)))
    assert len(info.value.loss_history) == len(path)


def test_non_finite_gradient_mid_run_is_a_divergence():
    def fun(x):
        value = float(x @ x)
        grad = 2 * x if abs(x[0]) > 0.5 else np.array([np.nan, 0.0])
        return value, grad

    # x[0] = 0.8^k passes below 0.5 at step 4.
    with pytest.raises(DivergenceError, match="iteration 4.*gradient"):
        minimize(fun, [1.0, 0.0], SGD(lr=0.1), max_iter=100)


def test_float32_start_stays_float32():
    result = minimize(Bowl(), np.array([1.0, 1.0], dtype=np.float32), SGD(lr=0.1), max_iter=5, tol=None)
    assert result.x.dtype == np.float32 and result.path.dtype == np.float32


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"optimizer": "adamm"}, ValueError, "Unknown optimizer 'adamm'; valid names are: sgd, momentum"),
        ({"x0": [np.nan, 1.0]}, ValueError, r"x0 contains NaN or inf at index \[0\]"),
        ({"x0": [[1.0, 2.0]]}, ValueError, "x0 must be a 1-D array"),
        ({"optimizer": "sgd", "lr": -0.1}, ValueError, "lr must be a finite number > 0, got -0.1"),
        ({"optimizer": "sgd", "lr": 0.0}, ValueError, "lr must be a finite number > 0, got 0.0"),
        ({"bounds": (1.0, -1.0)}, ValueError, "low > high"),
        ({"bounds": (2.0, 3.0)}, ValueError, "outside the bounds"),
        ({"max_iter": -1}, ValueError, "max_iter"),
        ({"tol": -1.0}, ValueError, "tol"),
        ({"schedule": lambda t: -1.0}, ValueError, "learning rate -1.0 at step 1"),
        ({"schedule": "fast"}, TypeError, "schedule must be a number or a callable"),
        ({"callbacks": [1]}, TypeError, "callbacks must be callables"),
    ],
)
def test_bad_input_raises_a_clear_error(kwargs, error, match):
    args = {"x0": [1.0, 1.0], **kwargs}
    x0 = args.pop("x0")
    with pytest.raises(error, match=match):
        minimize(Bowl(), x0, **args)


def test_bad_objectives_raise_clear_errors():
    with pytest.raises(ValueError, match=r"gradient of shape \(2,\), but x0 has shape \(3,\)"):
        minimize(lambda x: (0.0, np.zeros(2)), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="non-finite gradient at x0"):
        minimize(lambda x: (0.0, np.array([np.inf, 0.0])), [1.0, 1.0])
    with pytest.raises(ValueError, match="non-finite value at x0"):
        minimize(lambda x: (np.nan, np.zeros(2)), [1.0, 1.0])
    with pytest.raises(TypeError, match="pair"):
        minimize(lambda x: 1.0, [1.0, 1.0])
    with pytest.raises(TypeError, match="fun must be callable"):
        minimize("rosenbrock", [1.0, 1.0])


def test_record_false_keeps_the_last_iterate_of_the_same_run():
    f = Rosenbrock()
    full = minimize(f, f.start, "adam", lr=0.05, max_iter=3000)
    last = minimize(f, f.start, "adam", lr=0.05, max_iter=3000, record=False)
    assert last.n_iter == full.n_iter == 2022 and last.converged and last.message == full.message
    np.testing.assert_array_equal(last.x, full.x)
    np.testing.assert_array_equal(last.path, full.path[-1:])
    np.testing.assert_array_equal(last.loss_history, [full.fun])
    np.testing.assert_array_equal(last.lr_history, [0.05])
    assert last.n_fev == full.n_fev == 2023
    scheduled = minimize(Bowl(), [1.0, 1.0], "sgd", schedule=lambda t: 0.1 / t, max_iter=4, tol=None, record=False)
    np.testing.assert_array_equal(scheduled.lr_history, [0.025])
    untouched = minimize(Bowl(), [1.0, 1.0], "sgd", max_iter=0, record=False)
    assert untouched.path.shape == (1, 2) and untouched.lr_history.shape == (0,)


def test_record_false_divergence_keeps_the_last_finite_iterate():
    with pytest.raises(DivergenceError) as full:
        minimize(Bowl(), [1.0, 1.0], SGD(lr=1.0), max_iter=1000)
    with pytest.raises(DivergenceError) as last:
        minimize(Bowl(), [1.0, 1.0], SGD(lr=1.0), max_iter=1000, record=False)
    assert last.value.iteration == full.value.iteration
    np.testing.assert_array_equal(last.value.path, full.value.path[-1:])
    np.testing.assert_array_equal(last.value.loss_history, full.value.loss_history[-1:])


def test_a_nan_gradient_keeps_the_iterates_before_it():
    def fun(x):  # as in the test above: x[0] = 0.8^k passes below 0.5 at step 4
        return float(x @ x), (2 * x if abs(x[0]) > 0.5 else np.array([np.nan, 0.0]))

    for record in (True, False):
        with pytest.raises(DivergenceError) as info:
            minimize(fun, [1.0, 0.0], SGD(lr=0.1), max_iter=100, record=record)
        expected = [[0.8**k, 0.0] for k in range(4)] if record else [[0.8**3, 0.0]]
        np.testing.assert_allclose(info.value.path, expected, rtol=1e-15)
        assert np.all(np.isfinite(info.value.loss_history)) and len(info.value.loss_history) == len(expected)


def test_the_record_grows_past_its_first_rows():
    # 3000 steps: the arrays start at 1024 rows and double twice; every row is still the closed form.
    result = minimize(Bowl(), [1.0, -1.0], SGD(lr=0.005), max_iter=3000, tol=None)
    k = np.arange(3001)
    np.testing.assert_allclose(result.path, np.column_stack([0.99**k, -(0.98**k)]), rtol=1e-12)
    np.testing.assert_allclose(result.loss_history, 0.99 ** (2 * k) + 2 * 0.98 ** (2 * k), rtol=1e-12)
    assert result.lr_history.shape == (3000,) and np.all(result.lr_history == 0.005)


def test_a_huge_finite_gradient_is_not_a_divergence():
    # |g|^2 = 1e320 overflows to inf; the gradient itself is finite, so the run goes on.
    def linear(x):
        return 1e160 * float(x[0]), np.array([1e160, 0.0])

    result = minimize(linear, [0.0, 0.0], SGD(lr=1e-170), max_iter=3)
    assert result.n_iter == 3 and not result.converged
    np.testing.assert_allclose(result.path[:, 0], [0.0, -1e-10, -2e-10, -3e-10])


def test_line_search_counts_every_trial_and_records_the_accepted_rates():
    wrapped, calls = recording(Rosenbrock())
    result = minimize(wrapped, [-1.5, 2.0], SGD(lr=0.1), line_search=True, max_iter=40, tol=None)
    assert result.n_fev == len(calls) > result.n_iter + 1  # rejected trials cost calls too
    assert result.lr_history.shape == (40,) and len(set(result.lr_history)) > 1
    assert np.all(np.log2(0.1 / result.lr_history) % 1 == 0)  # 0.1 halved a whole number of times


def test_record_must_be_a_bool():
    with pytest.raises(TypeError, match="record must be True or False, got str: 'no'"):
        minimize(Bowl(), [1.0, 1.0], record="no")

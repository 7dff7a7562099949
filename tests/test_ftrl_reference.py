"""FTRL-Proximal step for step equal to TensorFlow's tf.keras.optimizers.Ftrl (float64, 200 steps), against
the paths tests/make_ftrl_reference.py made once with TensorFlow."""

from pathlib import Path

import numpy as np
import pytest
from make_ftrl_reference import FTRL_CASES, case_id
from torch_cases import N_STEPS, OBJECTIVES

from descend import minimize
from descend.optimizers import FTRL

REFERENCE = Path(__file__).parent / "data" / "ftrl_reference.npz"
RTOL = 1e-12
# Keras's names for descend's: the learning rate's name differs, the others are the same
RENAMED = {"learning_rate": "lr"}
PARAMS = [
    pytest.param(objective, hp, id=f"{objective}-{case_id(hp)}")
    for hp, objectives in FTRL_CASES
    for objective in objectives
]


@pytest.fixture(scope="module")
def reference():
    with np.load(REFERENCE) as data:
        return {key: data[key] for key in data.files}


@pytest.mark.parametrize("objective,hyperparameters", PARAMS)
def test_path_equals_tensorflows_ftrl(reference, objective, hyperparameters):
    theirs = reference[f"{objective}/{case_id(hyperparameters)}"]
    fun, x0 = OBJECTIVES[objective]()
    optimizer = FTRL(**{RENAMED.get(k, k): v for k, v in hyperparameters.items()})
    ours = minimize(fun, x0, optimizer, max_iter=N_STEPS, tol=None).path
    assert np.linalg.norm(theirs[-1] - theirs[0]) > 1e-2  # the path moves: equality proves something
    error = np.max(np.linalg.norm(ours - theirs, axis=1) / np.linalg.norm(theirs, axis=1))
    assert error <= RTOL, error


def test_the_reference_is_tensorflows_and_the_defaults_are_keras():
    with np.load(REFERENCE) as data:
        assert str(data["tensorflow_version"]).startswith("2.")
    assert FTRL().get_params() == {
        "lr": 1e-3,
        "learning_rate_power": -0.5,
        "initial_accumulator_value": 0.1,
        "l1_regularization_strength": 0.0,
        "l2_regularization_strength": 0.0,
        "l2_shrinkage_regularization_strength": 0.0,
        "beta": 0.0,
    }


def test_l1_keeps_small_coordinates_at_exactly_zero():
    """McMahan et al.'s point: a weight stays 0 until its accumulated gradient passes lambda_1."""
    target = np.array([1.0, 0.01, -2.0])
    result = minimize(
        lambda x: (0.5 * np.sum((x - target) ** 2), x - target),
        np.zeros(3),
        FTRL(lr=0.5, l1_regularization_strength=10.0),
        max_iter=500,
        tol=None,
    )
    assert result.x[1] == 0.0 and abs(result.x[0] - 1.0) < 1e-6 and abs(result.x[2] + 2.0) < 1e-6

"""descend's optimizers step for step equal to torch.optim's (float64, 200 steps)."""

from pathlib import Path

import numpy as np
import pytest
from torch_cases import CASES, ESTIMATED, MATRIX_SHAPES, N_STEPS, OBJECTIVES, as_matrix, case_id, objectives_for

from descend import minimize, optimizers

REFERENCE = Path(__file__).parent / "data" / "torch_reference.npz"
RTOL = 1e-10
PARAMS = [
    pytest.param(objective, name, hp, id=f"{objective}-{case_id(name, hp)}")
    for name, hp in CASES
    for objective in objectives_for(name, hp)
]


def descend_path(objective, name, hyperparameters):
    fun, x0 = OBJECTIVES[objective]()
    if as_matrix(name, objective):  # torch steps the matrix; descend's vector holds it row by row
        hyperparameters = {**hyperparameters, "shape": MATRIX_SHAPES[objective]}
    optimizer = getattr(optimizers, name)(**hyperparameters)
    return minimize(fun, x0, optimizer, max_iter=N_STEPS, tol=None).path


def relative_error(ours, theirs):
    """Largest over steps of |ours_k - theirs_k| / |theirs_k|."""
    assert ours.shape == theirs.shape
    return float(np.max(np.linalg.norm(ours - theirs, axis=1) / np.linalg.norm(theirs, axis=1)))


@pytest.fixture(scope="module")
def reference():
    with np.load(REFERENCE) as data:
        return {key: data[key] for key in data.files}


@pytest.mark.parametrize("objective,name,hyperparameters", PARAMS)
def test_path_equals_committed_torch_reference(reference, objective, name, hyperparameters):
    key = f"{objective}/{case_id(name, hyperparameters)}"
    assert key in reference, f"{key} missing: run python tests/make_torch_reference.py"
    theirs = reference[key]
    ours = descend_path(objective, name, hyperparameters)
    # The path must actually move, or equality would prove nothing.
    assert np.linalg.norm(theirs[-1] - theirs[0]) > 1e-2
    assert relative_error(ours, theirs) <= RTOL


def test_reference_made_by_pinned_torch(reference):
    assert str(reference["torch_version"]).startswith("2.13.0")


@pytest.mark.parametrize("objective,name,hyperparameters", PARAMS)
def test_path_equals_live_torch(objective, name, hyperparameters):
    pytest.importorskip("torch")
    from make_torch_reference import torch_path

    theirs = torch_path(objective, name, hyperparameters)
    assert relative_error(descend_path(objective, name, hyperparameters), theirs) <= RTOL


@pytest.mark.parametrize(
    "alias,name,hyperparameters",
    [
        ("momentum", "SGD", {"lr": 0.05, "momentum": 0.9}),
        ("nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        ("amsgrad", "Adam", {"lr": 0.05, "amsgrad": True}),
    ],
)
def test_named_aliases_are_the_torch_configurations(reference, alias, name, hyperparameters):
    fun, x0 = OBJECTIVES["quadratic"]()
    ours = minimize(fun, x0, alias, lr=0.05, max_iter=N_STEPS, tol=None).path
    theirs = reference[f"quadratic/{case_id(name, hyperparameters)}"]
    assert relative_error(ours, theirs) <= RTOL


ESTIMATE_PARAMS = [
    pytest.param(objective, name, hp, id=f"{objective}-{case_id(name, hp)}")
    for name, hp in CASES
    if name in ESTIMATED
    for objective in objectives_for(name, hp)
]


@pytest.mark.parametrize("objective,name,hyperparameters", ESTIMATE_PARAMS)
def test_minimize_returns_the_references_estimate(reference, objective, name, hyperparameters):
    """minimize's x is the point the reference's fit ends at: ASGD's state "ax", the average of the
    iterates (the iterate itself while averaging has not started), or the schedule-free average
    (schedulefree's eval()); fun is the objective there."""
    fun, x0 = OBJECTIVES[objective]()
    optimizer = getattr(optimizers, name)(**hyperparameters)
    result = minimize(fun, x0, optimizer, max_iter=N_STEPS, tol=None)
    theirs = reference[f"{objective}/{case_id(name, hyperparameters)}/estimate"]
    assert np.linalg.norm(result.x - theirs) <= RTOL * np.linalg.norm(theirs)
    assert result.fun == fun(result.x)[0]
    if getattr(optimizer, "t0", 0) < N_STEPS:  # averaging started: the average is not the last iterate
        assert np.linalg.norm(result.x - result.path[-1]) > 1e-6

"""One wording for bad values, and NumPy's numbers taken wherever Python's are."""

import numpy as np
import pytest

from descend import GDRegressor, minimize
from descend.functions import Bowl
from descend.optimizers import SGD, Adam
from descend.penalties import L2, ElasticNet
from descend.schedules import Constant, InverseScaling, ReduceOnPlateau, StepDecay


def test_numpy_scalars_are_numbers_everywhere():
    assert SGD(lr=np.float32(0.5)).lr == 0.5 and Adam(betas=(np.float64(0.8), np.float32(0.5))).betas == (0.8, 0.5)
    assert Constant(np.float32(0.5))(3) == 0.5 and InverseScaling(np.float64(1.0), power_t=np.float32(0.5))(4) == 0.5
    assert StepDecay(1.0, steps=np.int32(2))(4) == 0.25 and ReduceOnPlateau(1.0, patience=np.int64(2)).patience == 2
    assert L2(np.float32(0.5)).alpha == 0.5 and ElasticNet(np.int64(1), np.float32(0.5)).l1_ratio == 0.5
    assert (
        minimize(Bowl(), [1.0, 1.0], "sgd", lr=np.float32(0.1), max_iter=np.int64(3), tol=np.float32(0.0)).n_iter == 3
    )
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2))
    model = GDRegressor(
        learning_rate=np.float32(0.1), max_iter=np.int64(2), tol=None, alpha=np.float32(0.0), batch_size=np.int64(10)
    ).fit(X, X[:, 0])
    assert model.n_iter_ == 2 and model.learning_rate_ == pytest.approx(0.1)


@pytest.mark.parametrize(
    "make,error,message",
    [
        (lambda: SGD(lr=-0.1), ValueError, "lr must be a finite number > 0, got -0.1"),
        (lambda: Constant(0), ValueError, "lr0 must be a finite number > 0, got 0"),
        (lambda: L2(-1), ValueError, "alpha must be a finite number >= 0, got -1"),
        (lambda: Adam(betas=(1.0, 0.5)), ValueError, r"betas\[0\] must lie in \[0, 1\), got 1.0"),
        (lambda: StepDecay(0.1, steps=0), ValueError, "steps must be an integer >= 1, got 0"),
        (lambda: SGD(lr="fast"), TypeError, "lr must be a number, got str: 'fast'"),
        (lambda: Constant(True), TypeError, "lr0 must be a number, got bool: True"),
        (
            lambda: minimize(Bowl(), [1.0, 1.0], tol=-1.0),
            ValueError,
            "tol must be a finite number >= 0 or None, got -1.0",
        ),
        (
            lambda: GDRegressor(tol=float("nan")).fit([[0.0], [1.0]], [0.0, 1.0]),
            ValueError,
            "tol must be a finite number >= 0 or None, got nan",
        ),
    ],
)
def test_one_wording_names_the_parameter_and_the_value(make, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        make()

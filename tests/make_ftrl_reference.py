"""Regenerate tests/data/ftrl_reference.npz: tf.keras.optimizers.Ftrl's paths for every FTRL case.

TensorFlow is heavy and pins its own NumPy, so it runs once, in an environment of its own, and the paths
are committed (the tests compare against the file):

    python -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu
    /tmp/tfenv/bin/python tests/make_ftrl_reference.py

Keras keeps the learning rate and the initial accumulator as float32 variables, so FTRL_CASES gives them
values exact in float32 (0.125, 0.5, ...): then Keras's float64 arithmetic on a float64 variable is
descend's, and the paths agree to rounding. The objectives are torch_cases.py's (pure NumPy).
"""

from pathlib import Path

import numpy as np
from torch_cases import N_STEPS, OBJECTIVES

OUT = Path(__file__).parent / "data" / "ftrl_reference.npz"

#: (Keras's hyperparameters, the objectives they run on): every option alone, and together.
FTRL_CASES = [
    ({"learning_rate": 0.5, "initial_accumulator_value": 0.125}, ["quadratic", "logistic", "sparse_rows"]),
    ({"learning_rate": 0.125, "initial_accumulator_value": 0.5}, ["quadratic", "logistic"]),
    (
        {"learning_rate": 0.5, "initial_accumulator_value": 0.125, "learning_rate_power": -0.25},
        ["quadratic", "logistic"],
    ),
    (
        {"learning_rate": 0.5, "initial_accumulator_value": 0.125, "l1_regularization_strength": 0.3},
        ["quadratic", "logistic", "sparse_rows"],
    ),
    (
        {"learning_rate": 0.5, "initial_accumulator_value": 0.125, "l2_regularization_strength": 0.2},
        ["quadratic", "logistic"],
    ),
    (
        {"learning_rate": 0.5, "initial_accumulator_value": 0.125, "l2_shrinkage_regularization_strength": 0.1},
        ["quadratic", "logistic"],
    ),
    ({"learning_rate": 0.5, "initial_accumulator_value": 0.125, "beta": 0.5}, ["quadratic", "logistic"]),
    (
        {
            "learning_rate": 0.25,
            "initial_accumulator_value": 0.25,
            "learning_rate_power": -0.75,
            "l1_regularization_strength": 0.05,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.05,
            "beta": 0.25,
        },
        ["quadratic", "logistic", "sparse_rows"],
    ),
]


def case_id(hyperparameters):
    return "FTRL" + "".join(f"-{k}={v}" for k, v in hyperparameters.items())


def keras_path(objective, hyperparameters, n_steps=N_STEPS):
    """The iterates of tf.keras.optimizers.Ftrl on ``objective``, x0 first, a float64 variable."""
    import keras
    import tensorflow as tf

    fun, x0 = OBJECTIVES[objective]()
    variable = keras.Variable(x0, dtype="float64")
    optimizer = keras.optimizers.Ftrl(**hyperparameters)
    path = [x0.copy()]
    for _ in range(n_steps):
        _, grad = fun(variable.numpy().copy())
        optimizer.apply_gradients([(tf.constant(grad, dtype=tf.float64), variable)])
        path.append(variable.numpy().copy())
    return np.array(path)


def main():
    import tensorflow as tf

    arrays = {"tensorflow_version": np.array(tf.__version__)}
    for hyperparameters, objectives in FTRL_CASES:
        for objective in objectives:
            arrays[f"{objective}/{case_id(hyperparameters)}"] = keras_path(objective, hyperparameters)
    tmp = OUT.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(OUT)
    print(f"wrote {len(arrays) - 1} paths with TensorFlow {tf.__version__} to {OUT}")


if __name__ == "__main__":
    main()

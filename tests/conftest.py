"""What several folders of tests share: the command line run as a user runs it, and linear data."""

import subprocess
import sys

import numpy as np
import pytest


@pytest.fixture(scope="session")
def run_cli():
    """``run_cli(*args, cwd=None)``: ``python -m descend *args`` in a real process, its output captured as text.

    The arguments are passed through ``str``, so paths and numbers may be given as they are."""

    def run(*args, cwd=None, timeout=300):
        return subprocess.run(
            [sys.executable, "-m", "descend", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout
        )

    return run


@pytest.fixture(scope="session")
def linear_data():
    """``linear_data(n, coef, bias=0.0, noise=1.0, scale=None, shift=None, seed=0)`` -> ``(X, y)``.

    X is n rows of standard normal features (times ``scale``, plus ``shift``, per column), drawn first;
    y = X @ coef + bias + noise * standard normal, drawn next, from one ``np.random.default_rng(seed)``.
    ``seed`` may be a Generator, which the caller can go on drawing from."""

    def make(n, coef, *, bias=0.0, noise=1.0, scale=None, shift=None, seed=0):
        rng = np.random.default_rng(seed)
        coef = np.asarray(coef, dtype=float)
        X = rng.standard_normal((n, len(coef)))
        if scale is not None:
            X = X * scale
        if shift is not None:
            X = X + shift
        return X, X @ coef + bias + noise * rng.standard_normal(n)

    return make

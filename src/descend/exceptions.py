"""Errors raised by descend."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ._typing import FloatArray, NDArray

__all__ = ["DivergenceError", "DataError", "MissingExtraError", "EXPLOSION_FACTOR"]

#: A loss this many times larger than its starting scale has exploded: the run
#: is diverging, and waiting for the overflow to inf only loses the trail.
#: :func:`descend.minimize` and the linear models' epoch loop both apply this rule.
EXPLOSION_FACTOR = 1e8


class DivergenceError(ValueError):
    """The run diverged: a value or gradient stopped being finite, or the loss exploded.

    ``iteration`` is the step at which it was noticed. When raised by
    :func:`descend.minimize`, ``path`` and ``loss_history`` hold the finite
    iterates before it (rows as in ``OptimizeResult.path``), so the way to
    the blow-up can still be drawn.

    A ``ValueError``, so code that catches bad values catches it too.

    Parameters
    ----------
    message : str
        What happened, and what to try.
    iteration : int, optional
        The step at which the divergence was noticed.

    Examples
    --------
    >>> from descend import DivergenceError, minimize
    >>> try:
    ...     minimize(lambda x: (x @ x, 2 * x), [1.0], "sgd", lr=1.5)
    ... except DivergenceError as error:
    ...     print(error.iteration, len(error.path), error.loss_history[-1])
    14 15 268435456.0
    """

    def __init__(self, message: str, iteration: int | None = None) -> None:
        super().__init__(message)
        self.iteration = iteration
        # Filled in by descend.minimize once the error reaches it; None from anywhere else.
        self.path: FloatArray | None = None
        self.loss_history: NDArray[np.float64] | None = None


class DataError(ValueError):
    """The data cannot be used as it is; the message says why and where.

    A ``ValueError``.

    Examples
    --------
    >>> from descend.exceptions import DataError
    >>> from descend.readers.vw import VWFormat
    >>> try:
    ...     VWFormat().parse(b"1 |a x\\nyes |a y\\n", where="clicks.vw")
    ... except DataError as error:
    ...     print(error)
    clicks.vw, line 2: the label 'yes' is not a number
    """


class MissingExtraError(ImportError):
    """A feature needs a package that only one of descend's extras installs; the message names it.

    ``pip install descend`` installs what the optimizers, the estimators and the command line's
    ``fit``, ``predict``, ``evaluate`` and ``demo`` need; figures, the explorer, Dask and autograd
    come with the extras ``plot``, ``explorer``, ``dask`` and ``autograd`` (``all`` for every one).
    An ``ImportError``, so code that falls back when a package is missing catches it too.

    Examples
    --------
    >>> from descend.exceptions import MissingExtraError
    >>> raise MissingExtraError("figures need matplotlib: pip install \\"descend[plot]\\"")
    Traceback (most recent call last):
    ...
    descend.exceptions.MissingExtraError: figures need matplotlib: pip install "descend[plot]"
    """

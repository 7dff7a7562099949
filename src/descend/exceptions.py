"""Errors raised by descend."""

__all__ = ["DivergenceError", "DataError", "EXPLOSION_FACTOR"]

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

    def __init__(self, message: str, iteration: int | None = None):
        super().__init__(message)
        self.iteration = iteration
        # Filled in by descend.minimize once the error reaches it; None from anywhere else.
        self.path = None
        self.loss_history = None


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

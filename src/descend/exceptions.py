"""Errors raised by descend."""

__all__ = ["DivergenceError"]


class DivergenceError(ValueError):
    """The run diverged: a value or gradient stopped being finite, or the loss exploded.

    ``iteration`` is the step at which it was noticed. When raised by
    :func:`descend.minimize`, ``path`` and ``loss_history`` hold the finite
    iterates before it (rows as in ``OptimizeResult.path``), so the way to
    the blow-up can still be drawn.
    """

    def __init__(self, message: str, iteration: int | None = None, path=None, loss_history=None):
        super().__init__(message)
        self.iteration = iteration
        self.path = path
        self.loss_history = loss_history

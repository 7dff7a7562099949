"""Errors raised by descend."""

__all__ = ["DivergenceError"]


class DivergenceError(ValueError):
    """The run diverged: a value or gradient stopped being finite, or the loss exploded.

    ``iteration`` is the step at which it was noticed.
    """

    def __init__(self, message: str, iteration: int | None = None):
        super().__init__(message)
        self.iteration = iteration

"""What every optimizer shares: the base class, and the checks and weight decay of several."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from .._checks import check_integer, check_interval
from .._compiled import njit

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    from .._typing import FloatArray

    #: An optimizer's compiled step, ``step(x, g, state, t, lr, hyperparameters)``: x and the state's
    #: arrays changed in place, ``hyperparameters`` the optimizer's named tuple.
    StepFunction: TypeAlias = Callable[[FloatArray, FloatArray, tuple[FloatArray, ...], float, float, Any], None]

__all__ = ["Optimizer", "check_betas", "check_shape", "weight_decayed", "lerp"]


def check_betas(betas: tuple[float, float]) -> tuple[float, float]:
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    return (
        check_interval("betas[0]", beta1, 0.0, 1.0, closed="left"),
        check_interval("betas[1]", beta2, 0.0, 1.0, closed="left"),
    )


@njit(cache=True, inline="always")
def weight_decayed(x_i: float, d: float, lr: float, weight_decay: float, decoupled: bool) -> tuple[float, float]:
    r"""(x_i, d) after weight decay :math:`\lambda` on coordinate i, whose gradient is d: added
    to the gradient, :math:`d + \lambda x_i` (L2 regularisation), or, decoupled, applied to x itself,
    :math:`x_i (1 - \gamma\lambda)` (Loshchilov & Hutter 2019); torch's operations either way.

    Numbers in and out, no array: an array passed to an inlined function costs Numba a reference
    count per call, and per coordinate that made steps 5x slower (measured)."""
    if weight_decay != 0:
        if decoupled:
            return x_i * (1 - lr * weight_decay), d
        return x_i, d + weight_decay * x_i
    return x_i, d


def check_shape(shape: tuple[int, int] | None) -> tuple[int, int] | None:
    """``shape`` as a pair of integers >= 1 (the matrix a vector holds, row by row), or None."""
    if shape is None:
        return None
    try:
        rows, cols = shape
    except (TypeError, ValueError):
        raise ValueError(f"shape must be a pair (rows, cols) or None, got {shape!r}") from None
    return check_integer("shape[0]", rows, low=1), check_integer("shape[1]", cols, low=1)


@njit(cache=True, inline="always")
def lerp(start: float, end: float, weight: float) -> float:
    """``start + weight (end - start)``, computed as torch.lerp computes it: from the nearer end,
    so that each end is exact (weight 0 gives start, weight 1 gives end)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class Optimizer:
    """Base class: hyperparameters live on the instance, state is explicit.

    A subclass sets ``name``, ``Hyperparameters`` (the named tuple of what
    its step takes besides the learning rate), ``step`` (its compiled step
    function), ``state_names`` (the state arrays the step takes, in order),
    and implements :meth:`init` (the state: ``"step"``, the count of steps
    taken, and those arrays) and :meth:`hyperparameters`.

    Examples
    --------
    Every optimizer is driven the same way, :meth:`init` then :meth:`update`:

    >>> import numpy as np
    >>> from descend.optimizers import SGD
    >>> optimizer = SGD(lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> state = optimizer.init(x)
    >>> optimizer.update(x, 2 * x, state)  # one step on |x|^2: x <- x - 0.1 * 2x
    >>> x, state["step"]
    (array([ 0.8, -1.6]), 1)
    """

    name = "optimizer"
    lr: float
    Hyperparameters: type[tuple[Any, ...]] = tuple
    step: StepFunction | None = None
    state_names: tuple[str, ...] = ()
    #: Learns its own rate (Prodigy): ``learning_rate="auto"`` takes ``lr`` and searches nothing.
    rate_free: bool = False
    #: Needs the objective's values, not only its gradient (L-BFGS): minimize() calls its
    #: ``minimize_step`` instead of :meth:`update`.
    needs_objective: bool = False
    #: A step needs the whole matrix of parameters (Muon; Adafactor factored): not the lazy steps on
    #: sparse rows, which gather the coordinates a batch touches.
    whole_matrix: bool = False

    def init(self, x: FloatArray) -> dict[str, Any]:
        """Return the state for parameters shaped like ``x``.

        Parameters
        ----------
        x : ndarray
            The parameters (only their shape and dtype are used).

        Returns
        -------
        dict
            ``"step"`` (0, the count of steps taken) and the arrays of :attr:`state_names`.
        """
        raise NotImplementedError

    def hyperparameters(self) -> tuple[Any, ...]:
        """The step function's hyperparameters (all but the learning rate), as ``self.Hyperparameters``."""
        raise NotImplementedError

    def update(self, x: FloatArray, grad: FloatArray, state: dict[str, Any], lr: float | None = None) -> None:
        """Take one step: change ``x`` and ``state`` in place.

        Parameters
        ----------
        x : ndarray
            The parameters, changed in place.
        grad : ndarray
            The gradient at ``x``.
        state : dict
            The state from :meth:`init`, changed in place.
        lr : float, optional
            The learning rate of this step; None means ``self.lr``.
        """
        assert self.step is not None  # every optimizer of gradients has one (the others override update)
        state["step"] += 1
        arrays = tuple([state[name] for name in self.state_names])
        # A plain tuple: the compiled step is entered faster with one than with a named tuple.
        self.step(x, grad, arrays, float(state["step"]), self.lr if lr is None else lr, tuple(self.hyperparameters()))

    def for_coefficients(self, n_out: int, n_columns: int) -> Optimizer:
        """This optimizer for a linear model's coefficients, ``n_out`` rows of ``n_columns`` (the
        weights and the intercept): itself, unless it needs their shape (Muon's matrix).

        Parameters
        ----------
        n_out : int
            The model's outputs (rows).
        n_columns : int
            The coefficients of each (the features, then the intercept).

        Returns
        -------
        Optimizer
            ``self``, or a copy that knows the shape.
        """
        return self

    def estimate(self, x: FloatArray, state: dict[str, Any]) -> FloatArray:
        """The point a fit returns after the steps that made ``x`` and ``state``: ``x`` itself, unless
        the optimizer's estimate is another point than its iterate (ASGD's average of the iterates).

        Parameters
        ----------
        x : ndarray
            The iterate.
        state : dict
            The optimizer's state.

        Returns
        -------
        ndarray
            ``x`` itself (the same object) when the iterate is the estimate, else a new array.
        """
        return x

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The hyperparameters, as passed to ``__init__``.

        Parameters
        ----------
        deep : bool
            scikit-learn's signature; an optimizer holds no estimators, so it changes nothing.

        Returns
        -------
        dict
            ``{name: value}`` for every parameter of ``__init__``.
        """
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> Optimizer:
        """Change hyperparameters (validated again); lets a grid search tune ``optimizer__lr``.

        Parameters
        ----------
        **params
            Hyperparameters by name, as ``__init__`` takes them.

        Returns
        -------
        Optimizer
            ``self``.

        Raises
        ------
        ValueError
            For a name the optimizer does not have, or a value it rejects.
        """
        unknown = set(params) - set(self.get_params())
        if unknown:
            raise ValueError(f"{type(self).__name__} has no hyperparameter(s) {sorted(unknown)}")
        self.__init__(**{**self.get_params(), **params})  # type: ignore[misc]  # the subclass's own, on purpose
        return self

    def __sklearn_clone__(self) -> Optimizer:
        # scikit-learn's default clone insists that __init__ stores each argument as the very object
        # passed; ours validates and converts them (betas becomes a new tuple of floats), so rebuild.
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.get_params() == other.get_params()

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(map(repr, self.get_params().items())))))

r"""Steps on a matrix of parameters as a whole: Muon, momentum orthogonalized by Newton-Schulz."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .._checks import check_integer, check_interval, check_nonnegative, check_number, check_positive
from .._compiled import njit
from ._base import Optimizer, check_shape, lerp

if TYPE_CHECKING:
    from typing import Any

    from .._typing import FloatArray

__all__ = ["Muon"]

ADJUSTMENTS = (None, "original", "match_rms_adamw")


class MuonHyperparameters(NamedTuple):
    momentum: float
    nesterov: bool
    a: float
    b: float
    c: float
    eps: float
    ns_steps: int
    weight_decay: float
    rows: int
    cols: int
    rate_ratio: float


@njit(cache=True)
def orthogonalized(update: FloatArray, a: float, b: float, c: float, eps: float, ns_steps: int) -> FloatArray:
    r"""About :math:`U V^\top` of the matrix ``update`` = :math:`U S V^\top`, by ``ns_steps`` quintic
    Newton-Schulz iterations :math:`X \leftarrow aX + (bA + cA^2)X`, :math:`A = XX^\top`, from
    :math:`X = G / \|G\|_F` (on the wide side: a tall matrix is transposed first). A new array."""
    tall = update.shape[0] > update.shape[1]
    x = np.ascontiguousarray(update.T) if tall else update.copy()
    x /= max(np.sqrt(np.sum(x * x)), eps)
    for _ in range(ns_steps):
        gram = x @ x.T
        gram_update = b * gram + c * (gram @ gram)
        x = a * x + gram_update @ x
    return np.ascontiguousarray(x.T) if tall else x


@njit(cache=True)
def muon_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: MuonHyperparameters,
) -> None:
    """One step of :class:`Muon` (its docstring has the math) on the matrix that x holds row by row,
    x and state in place."""
    (buf,) = state
    momentum, nesterov, a, b, c, eps, ns_steps, weight_decay, rows, cols, rate_ratio = hyperparameters
    update = np.empty((rows, cols))
    for i in range(x.size):
        buf[i] = lerp(buf[i], g[i], 1 - momentum)
        update[i // cols, i % cols] = lerp(g[i], buf[i], momentum) if nesterov else buf[i]
    direction = orthogonalized(update, a, b, c, eps, ns_steps)
    shrink = 1 - lr * weight_decay
    step = -(lr * rate_ratio)
    for i in range(x.size):
        x[i] *= shrink
        x[i] += step * direction[i // cols, i % cols]


class Muon(Optimizer):
    r"""Muon: momentum whose matrix is replaced by its nearest semi-orthogonal matrix, so that every
    direction of the update moves alike.

    On a parameter matrix :math:`W` of shape (A, B) with gradient :math:`G_t`:

    .. math::

        M_t &= \mu M_{t-1} + (1 - \mu) G_t, \qquad
            U_t = (1 - \mu) M_t + \mu G_t \text{ with Nesterov, else } M_t \\
        O_t &= \operatorname{NS}(U_t) \approx U V^\top \quad (U_t = U S V^\top) \\
        W_t &= W_{t-1} (1 - \gamma\lambda) - \gamma\, r(A, B)\, O_t

    NS is five Newton-Schulz iterations of a quintic polynomial :math:`X \leftarrow aX + (bA + cA^2)X`,
    :math:`A = XX^\top`, from :math:`X = U_t / \|U_t\|_F`, whose coefficients (3.4445, -4.7750,
    2.0315) push every singular value toward 1 fast (to about 0.7-1.2, not exactly 1). The rate's
    factor :math:`r` is :math:`\sqrt{\max(1, A/B)}` (``adjust_lr_fn=None`` or ``"original"``) or
    :math:`0.2\sqrt{\max(A, B)}` (``"match_rms_adamw"``, to step as far as AdamW does). Jordan et al.
    2024, *Muon: an optimizer for hidden layers in neural networks*; the scaling of Liu et al. 2025,
    *Muon is scalable for LLM training*. As torch.optim.Muon computes it, with one difference: torch
    runs the Newton-Schulz iterations in bfloat16 (for GPUs), descend in float64; the tests hold
    descend equal to torch's Muon with that iteration in float64.

    It needs a matrix. In :func:`descend.minimize`, x is a vector: ``shape=(A, B)`` says how it
    holds the matrix, row by row. In ``GDRegressor``/``GDClassifier``, the coefficients of a model
    with several outputs (multinomial, one-vs-rest, several targets) are the matrix, one row per
    output and the intercept as the last column (a feature of value 1); ``shape`` is then set from
    the model. A single output is a vector: use Adam or SGD with momentum there.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0.
    weight_decay : float
        Decoupled weight decay :math:`\lambda` >= 0.
    momentum : float
        :math:`\mu` in [0, 1).
    nesterov : bool
        Orthogonalize the Nesterov interpolation :math:`(1 - \mu) M_t + \mu G_t` instead of :math:`M_t`.
    ns_coefficients : (float, float, float)
        The polynomial's (a, b, c).
    eps : float
        The least norm :math:`U_t` is divided by, > 0.
    ns_steps : int
        Newton-Schulz iterations, 1 to 99.
    adjust_lr_fn : None, "original" or "match_rms_adamw"
        The rate's factor for the matrix's shape, as above.
    shape : (int, int) or None
        (A, B), the matrix that ``minimize``'s vector holds, row by row; None for the linear models,
        which set it.

    Examples
    --------
    A least-squares problem in a 3 x 4 matrix W, :math:`\tfrac12\|W - T\|_F^2`, stepped as a matrix:

    >>> import numpy as np
    >>> from descend import minimize
    >>> from descend.optimizers import Muon
    >>> target = np.arange(12.0).reshape(3, 4) / 10
    >>> fun = lambda w: (0.5 * np.sum((w - target.ravel()) ** 2), w - target.ravel())
    >>> result = minimize(fun, np.zeros(12), Muon(lr=0.02, weight_decay=0.0, shape=(3, 4)), max_iter=300, tol=None)
    >>> bool(np.abs(result.x - target.ravel()).max() < 0.05)
    True
    """

    name = "muon"
    whole_matrix = True
    Hyperparameters = MuonHyperparameters
    step = staticmethod(muon_step)
    state_names = ("momentum_buffer",)

    def __init__(
        self,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (3.4445, -4.775, 2.0315),
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: str | None = None,
        shape: tuple[int, int] | None = None,
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.momentum = check_interval("momentum", momentum, 0.0, 1.0, closed="left")
        self.nesterov = bool(nesterov)
        try:
            a, b, c = ns_coefficients
        except (TypeError, ValueError):
            raise ValueError(f"ns_coefficients must be three numbers (a, b, c), got {ns_coefficients!r}") from None
        self.ns_coefficients = (
            check_number("ns_coefficients[0]", a),
            check_number("ns_coefficients[1]", b),
            check_number("ns_coefficients[2]", c),
        )
        self.eps = check_positive("eps", eps)
        self.ns_steps = check_integer("ns_steps", ns_steps, low=1)
        if self.ns_steps >= 100:
            raise ValueError(f"ns_steps must be an integer from 1 to 99, got {ns_steps!r}")
        if adjust_lr_fn not in ADJUSTMENTS:
            raise ValueError(f"adjust_lr_fn must be None, 'original' or 'match_rms_adamw', got {adjust_lr_fn!r}")
        self.adjust_lr_fn = adjust_lr_fn
        self.shape = check_shape(shape)

    def for_coefficients(self, n_out: int, n_columns: int) -> Muon:
        """Muon on the coefficient matrix (``n_out`` rows, the intercept its last column).

        Parameters
        ----------
        n_out : int
            The model's outputs: at least 2.
        n_columns : int
            The coefficients of each.

        Returns
        -------
        Muon
            ``self`` when its shape is that matrix's, else a copy with that shape.

        Raises
        ------
        ValueError
            For a model of one output (a vector, not a matrix), or another shape given.
        """
        if n_out < 2:
            raise ValueError(
                "optimizer='muon' steps a matrix, and a model of one output has a vector of coefficients: "
                "use it for several outputs (multinomial, one-vs-rest, several targets), or use "
                "optimizer='adam' or 'momentum'"
            )
        if self.shape == (n_out, n_columns):
            return self
        if self.shape is not None:
            raise ValueError(
                f"Muon's shape={self.shape} is not the model's coefficient matrix, ({n_out}, {n_columns}) "
                "(leave shape=None in the linear models)"
            )
        return type(self)(**{**self.get_params(), "shape": (n_out, n_columns)})

    def init(self, x: FloatArray) -> dict[str, Any]:
        if self.shape is None:
            raise ValueError(
                "Muon steps a matrix, and x is a vector: give shape=(rows, cols), the matrix x holds "
                "row by row (for a vector of parameters use adam or momentum)"
            )
        if self.shape[0] * self.shape[1] != x.size:
            raise ValueError(f"Muon's shape={self.shape} holds {self.shape[0] * self.shape[1]} numbers, x has {x.size}")
        return {"step": 0, "momentum_buffer": np.zeros_like(x)}

    def hyperparameters(self) -> MuonHyperparameters:
        rows, cols = self.shape if self.shape is not None else (1, 1)
        if self.adjust_lr_fn == "match_rms_adamw":
            ratio = 0.2 * math.sqrt(max(rows, cols))
        else:
            ratio = math.sqrt(max(1, rows / cols))
        return self.Hyperparameters(
            self.momentum,
            self.nesterov,
            *self.ns_coefficients,
            self.eps,
            self.ns_steps,
            self.weight_decay,
            rows,
            cols,
            ratio,
        )

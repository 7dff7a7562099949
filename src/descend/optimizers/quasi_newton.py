"""Quasi-Newton steps on the full batch: L-BFGS."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ._base import Optimizer

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    r"""L-BFGS on the full batch of a linear model: quasi-Newton steps under a line search.

    From the last ``history_size`` moves :math:`s_k = \theta_{k+1} - \theta_k` and gradient
    changes :math:`y_k = \nabla F(\theta_{k+1}) - \nabla F(\theta_k)`, the two-loop recursion
    (Nocedal 1980, *Updating quasi-Newton matrices with limited storage*; Liu & Nocedal 1989)
    makes :math:`d = -H \nabla F(\theta)`, H the BFGS approximation of the inverse Hessian
    started from :math:`H_0 = s^\top y / y^\top y` (the first step: the learning rate, the
    inverse of the curvature measured on the data). The step :math:`\theta + \eta d` starts
    at :math:`\eta = 1` and is halved until the objective falls by
    :math:`10^{-4}\, \eta\, |\nabla F^\top d|` below the largest of its last 10 values (a
    non-monotone Armijo rule, Grippo, Lampariello & Lucidi 1986). A pair with :math:`s^\top y
    \le 0` (rounding near the optimum) is not kept. It needs the objective's values as well as
    its gradient, and a smooth objective: the estimators take it on the full batch of a smooth
    (or smoothed) loss without an L1 part (:mod:`descend.linear._steps`); it is a gradient
    method, each step one pass over the data.

    Parameters
    ----------
    history_size : int
        The pairs (s, y) kept, >= 1.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import GDRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 30)) * np.logspace(-3, 3, 30)  # condition number 1e12
    >>> y = X @ rng.standard_normal(30)
    >>> model = GDRegressor(optimizer="lbfgs", penalty=None, tol=1e-10).fit(X, y)
    >>> exact = np.linalg.lstsq(np.c_[X, np.ones(200)], y, rcond=None)[0]
    >>> bool(np.allclose(model.predict(X), np.c_[X, np.ones(200)] @ exact, rtol=1e-8)), model.n_iter_ < 200
    (True, True)
    """

    name = "lbfgs"
    Hyperparameters = namedtuple("LBFGSHyperparameters", "history_size")
    state_names = ()
    lr = 1.0  # the first step is the estimator's learning rate ("auto": the inverse of the curvature)

    def __init__(self, history_size=10):
        if isinstance(history_size, bool) or not isinstance(history_size, (int, np.integer)) or history_size < 1:
            raise ValueError(f"history_size must be an integer >= 1, got {history_size!r}")
        self.history_size = int(history_size)

    def init(self, x):
        return {"step": 0}

    def hyperparameters(self):
        return self.Hyperparameters(self.history_size)

    def direction(self, memory, gradient, first_step):
        """:math:`d = -H \\nabla F` by the two-loop recursion (Nocedal & Wright, *Numerical
        Optimization*, algorithm 7.4) over ``memory``, the pairs (s, y) oldest first; with none,
        ``-first_step`` times the gradient.

        Parameters
        ----------
        memory : list of (ndarray, ndarray)
            The kept moves and gradient changes.
        gradient : ndarray
            :math:`\\nabla F` at the weights.
        first_step : float
            The step along the gradient when the memory is empty.

        Returns
        -------
        ndarray
            The direction, a new array.
        """
        from scipy.linalg import get_blas_funcs  # here: scipy.linalg takes a while to import

        if not memory:
            return -first_step * gradient
        # BLAS's axpy and dot, in place: on 2^20 weights NumPy's temporaries took twice as long.
        axpy, dot = get_blas_funcs(("axpy", "dot"), (gradient,))
        q = gradient.copy()
        alphas = []
        for s, y in reversed(memory):
            alpha = dot(s, q) / dot(s, y)
            q = axpy(y, q, a=-alpha)
            alphas.append(alpha)
        s, y = memory[-1]
        q *= dot(s, y) / dot(y, y)  # H0 = s'y / y'y
        for (s, y), alpha in zip(memory, reversed(alphas)):
            q = axpy(s, q, a=alpha - dot(y, q) / dot(s, y))
        return -q

    def remember(self, memory, moved, change):
        """``memory`` with the pair (moved, change) added (the oldest dropped past ``history_size``),
        unless :math:`s^\\top y` is not positive enough to keep H positive definite.

        Parameters
        ----------
        memory : list of (ndarray, ndarray)
            The kept pairs.
        moved, change : ndarray
            The step's move s and the gradient's change y.

        Returns
        -------
        list of (ndarray, ndarray)
            The pairs to keep.
        """
        if float(moved @ change) > 1e-12 * float(change @ change):
            return (memory + [(moved, change)])[-self.history_size:]
        return memory

    def update(self, x, grad, state, lr=None):
        raise TypeError("L-BFGS needs the objective's values as well as its gradient: use it in GDRegressor or "
                        "GDClassifier on the full batch (batch_size=None); minimize() takes an optimizer of "
                        "gradients (descend.optimizers.OPTIMIZER_NAMES)")

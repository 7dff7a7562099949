r"""Per-sample steps on every core: Hogwild! (Niu, Recht, Ré & Wright 2011, *HOGWILD!: A Lock-Free
Approach to Parallelizing Stochastic Gradient Descent*).

The shuffled rows of a pass are dealt out to the threads like cards, row :math:`r` to thread
:math:`r \bmod T` with the learning rate of its place in the pass, and each thread runs the
one-thread loop on its rows, at the same time as the others and without locks. What a thread
reads of the weights may be a step or two behind another thread's writes, and two writes to one
coordinate at the same moment may lose one of them. On sparse rows this happens seldom: a row
touches a few of many features, and the paper proves the steps converge at the serial rate when
collisions are rare. The result depends on how the threads were scheduled: it is **not
reproducible bit for bit** for more than one thread (``n_jobs=1`` runs the one loop alone, and
is).

The threads step on the very weights and optimizer state. The numbers that every row touches are
the exception that makes collisions common: the intercept, the normalized update's totals, and
the weights of dense rows (every row moves every one). The threads share them all the same, as the
paper's threads do; measured, sharing costs less than it saves: a dense per-sample pass over
1,000,000 x 100 rows ran 1.2 to 1.5 times faster on two threads, at the serial fit's accuracy (a
variant with a copy of the weights per thread, adding its moves every 4,096 rows, overshot: two
threads' moves from the same point add up to twice the step). Per-sample plain SGD on sparse rows,
the hot loop of text, goes further (:func:`descend._engine.sparse.lazy_sgd_steps` with ``shared``):
it keeps the decay of L2 as a scale of all the weights, and each thread holds its own scale, the
decay of its own rows, applied to every weight when it ends, so that every row's decay is applied
once; and each thread moves its own copy of the intercept, adding its change when it ends, instead
of the two threads passing its cache line back and forth at every row (on case (h) of the
benchmarks, that held-out accuracy came 0.005 closer to one thread's).

Only optimizers whose state is one number per coordinate (plain SGD, momentum, Adagrad, RMSprop,
the Adam family but NAdam...) and the normalized update step this way; one that keeps a number
for all coordinates (NAdam's product of momenta, Prodigy's estimate of the distance) runs on one
thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._threads import run_all

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._typing import FloatArray, IntArray
    from .problem import Model

__all__ = ["allows", "per_coordinate", "dealt", "shared_steps"]


def allows(row_steps: bool, model: Model, state: tuple[FloatArray, ...], sparse_rows: bool, lazy: bool) -> bool:
    """Whether per-sample steps may take Hogwild!: the normalized update (``row_steps``), or an optimizer
    whose ``state`` arrays are each one number per coordinate (or unused, empty); on sparse rows, with
    steps on the row's coordinates only (``lazy``, rows not centered)."""
    if row_steps:
        return True
    if sparse_rows and not (lazy and model.center is None):
        return False
    return per_coordinate(model, state)


def per_coordinate(model: Model, state: tuple[FloatArray, ...]) -> bool:
    """Whether each of an optimizer's ``state`` arrays is one number per coordinate of ``model.theta``
    (or unused, empty): a step of one coordinate then reads no other's."""
    return all(a.ndim == 1 and a.shape[0] in (0, model.theta.shape[0]) for a in state)


def dealt(order: IntArray, lrs: FloatArray, n_threads: int) -> list[tuple[IntArray, FloatArray]]:
    """The rows ``order`` and their rates ``lrs`` dealt out to ``n_threads`` threads: thread j takes
    rows j, j + T, j + 2T..."""
    return [
        (np.ascontiguousarray(order[j::n_threads]), np.ascontiguousarray(lrs[j::n_threads])) for j in range(n_threads)
    ]


def shared_steps(
    steps: Callable[[IntArray, FloatArray], tuple[float, float]], order: IntArray, lrs: FloatArray, n_threads: int
) -> tuple[float, float]:
    """``steps(rows, rates)``, the one-thread loop on shared weights and state, run on each
    thread's share of ``order`` at once; returns the (weighted loss sum, weight sum) of all."""
    results = run_all([lambda o=o, r=r: steps(o, r) for o, r in dealt(order, lrs, n_threads)], n_threads)  # type: ignore[misc]  # mypy: a lambda with defaults
    return sum(r[0] for r in results), sum(r[1] for r in results)

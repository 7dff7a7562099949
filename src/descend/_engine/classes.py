r"""One-vs-rest outputs on every core: the classes shared out to the threads, the same bit for bit.

A margin loss (hinge, log loss, modified Huber...) with K classes fits K outputs, one per class
against the rest, and so do K regression targets fitted together. No output's step reads another's
weights: output k's score is :math:`w_k^\top x + b_k`, its gradient is its own loss's derivative
times x, and an optimizer whose state is one number per coordinate steps each coordinate on its
own. So the outputs can be cut into groups, one a thread, each group stepping over every row with
its own slice of the weights and of the optimizer state (the rows of ``theta`` are the outputs, so a
group's slice is contiguous), and the weights are those of one thread, **bit for bit** (tested);
only the reported loss, summed group by group, may differ in its last digit.

Not for the multinomial loss (its softmax couples the outputs), the normalized update (its totals
are shared by the outputs), an optimizer that steps the whole matrix (Muon) or keeps a number for
all coordinates (NAdam's product): those run as one group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._threads import run_all, shares
from .hogwild import per_coordinate

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._typing import FloatArray, IntArray
    from ..optimizers import Optimizer
    from .problem import Data, Model, Problem, SparseData

__all__ = ["allows", "groups", "class_steps"]


def allows(optimizer: Optimizer, model: Model, state: tuple[FloatArray, ...]) -> bool:
    """Whether the ``model``'s outputs (more than one) may step in groups: an ``optimizer`` that does
    not step the whole matrix, each of whose ``state`` arrays is one number per coordinate (or empty)."""
    return model.n_out > 1 and not optimizer.whole_matrix and per_coordinate(model, state)


def groups(n_out: int, n_threads: int) -> list[tuple[int, int]]:
    """The outputs cut into at most ``n_threads`` consecutive groups (first, last + 1) of about equal size,
    two outputs or more each: a group of one would take the loops' path of one output, whose target is
    the row's own (a binary label's +-1), not one class against the rest."""
    return shares(n_out, min(n_threads, n_out // 2))


def _group(data: Data | SparseData, problem: Problem, first: int, last: int) -> tuple[Data | SparseData, Problem]:
    """(data, problem) of the outputs first..last - 1: their slices of the weights and the state; the
    targets of one-vs-rest counted from ``first`` (class ``first`` is the group's output 0), or their
    columns of several regression targets."""
    model, objective, hyperparameters, state = problem
    width = model.theta.shape[0] // model.n_out
    lo, hi = first * width, last * width
    y = data.y
    y = np.ascontiguousarray(y[:, first:last]) if y.ndim == 2 else y - y.dtype.type(first)
    part = model._replace(theta=model.theta[lo:hi], n_out=last - first)
    sliced = tuple(a[lo:hi] if a.shape[0] == model.theta.shape[0] else a for a in state)
    return data._replace(y=y), (part, objective, hyperparameters, sliced)


def class_steps(
    steps: Callable[..., tuple[float, float, float]],
    data: Data | SparseData,
    problem: Problem,
    order: IntArray,
    lrs: FloatArray,
    n_threads: int,
) -> tuple[float, float]:
    """``steps(order, rates, data=..., problem=...)``, the one-thread loop, for each group of outputs
    on a thread of its own, over all the rows ``order``; returns the (weighted loss sum, weight sum)."""
    model = problem[0]
    tasks = []
    for first, last in groups(model.n_out, n_threads):
        group_data, group_problem = _group(data, problem, first, last)
        tasks.append(lambda d=group_data, p=group_problem: steps(order, lrs, data=d, problem=p))
    results = run_all(tasks, n_threads)
    return sum(r[0] for r in results), results[0][1]

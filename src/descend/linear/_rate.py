r"""The learning rate of a fit: ``learning_rate="auto"`` and the named schedules.

``"auto"`` for gradient descent (SGD, momentum, Nesterov) is :math:`1/L`,
with L the smoothness of the objective measured on the data: the largest
eigenvalue of :math:`\tilde X^\top W \tilde X / \sum w` (standardized rows,
weighted) times the loss's curvature bound, plus the L2 penalty's. Below
:math:`2/L` gradient descent cannot diverge (:mod:`descend.curvature`), so
the defaults are safe even on unscaled features. For adaptive optimizers it
is their own default rate.
"""

from __future__ import annotations

from ..curvature import power_iteration
from ..optimizers import SGD
from ..schedules import get_schedule

__all__ = ["initial_rate", "make_schedule"]


def initial_rate(settings, loss, state, source, batch_size) -> float:
    """The first learning rate: ``settings.learning_rate`` when a number, else as the module docstring says.

    ``source`` gives the standardized Gram matrix and the largest row norm
    (``source.curvature(state, with_row_norm)``) of the ``source.curvature_rows``
    rows the estimate is about.
    """
    if settings.learning_rate != "auto":
        return float(settings.learning_rate)
    optimizer = state.optimizer
    if not isinstance(optimizer, SGD):
        return optimizer.lr
    n = source.curvature_rows
    mini_batches = batch_size < n
    gram, row_norm = source.curvature(state, mini_batches)
    gram = gram / gram[-1, -1]  # the weight sum: X~'WX~ / sum(w)
    L = loss.curvature * power_iteration(lambda v: gram @ v, gram.shape[0])
    if mini_batches:
        # Expected smoothness of a mini-batch of size b (Gower et al. 2019,
        # "SGD: General Analysis and Improved Rates", Proposition 3.8):
        # L_b = n(b-1)/(b(n-1)) L + (n-b)/(b(n-1)) L_max.
        L_max = loss.curvature * row_norm
        b = batch_size
        L = n * (b - 1) / (b * (n - 1)) * L + (n - b) / (b * (n - 1)) * L_max
    L += state.penalty_weights(settings.penalty)[1].max(initial=0.0)  # the L2 part's curvature
    rate = 1.0 / max(L, 1e-12)
    if mini_batches:
        # Momentum multiplies the step (and the gradient noise) by 1 / (1 - momentum)
        # in the long run; on noisy batches, take that back.
        rate *= 1.0 - optimizer.momentum
    return rate


def make_schedule(settings, lr0: float, steps_per_epoch: int):
    """The schedule of ``settings.schedule`` starting at ``lr0``; the named ones count in epochs:
    ``"step"`` halves the rate every 10 epochs, ``"exponential"`` divides it by e every 10,
    ``"cosine"`` makes one cycle over ``max_iter`` epochs. A callable is used as it is."""
    name = settings.schedule
    if not isinstance(name, str):
        return name
    if name == "cosine":
        return get_schedule("cosine", lr0, total_steps=settings.max_iter * steps_per_epoch)
    if name == "step":
        return get_schedule("step", lr0, steps=10 * steps_per_epoch)
    if name == "exponential":
        return get_schedule("exponential", lr0, k=1.0 / (10 * steps_per_epoch))
    return get_schedule(name, lr0)

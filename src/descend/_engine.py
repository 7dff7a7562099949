r"""The training engine of the linear models: (mini-)batch gradient steps.

The parameters of a linear model with K outputs live in one flat array
``theta`` of K rows of p + 1 numbers: the coefficients of output k, then its
intercept. One step on a batch B of rows with weights :math:`s_i`:

.. math::

    g = \frac{1}{|B|\,\bar s} \sum_{i \in B} s_i\, \ell'(\theta^\top \tilde x_i, y_i)\,
        \tilde x_i + \alpha (1 - \rho)\, w,
    \qquad \tilde x_i = (x_i, 1)

(:math:`\bar s` the mean weight over the training rows, so a full batch
takes the weighted mean and a mini-batch an unbiased estimate of it; the
intercept is not penalised), then the optimizer's step with this step's
learning rate, then the L1 part of the penalty by soft-thresholding.

The rows enter standardized, :math:`x \leftarrow (x - \mu) \odot \sigma^{-1}`
(``center`` and ``scale`` = :math:`\sigma^{-1}`; zeros and ones leave them
as they are). That is a change of variables, not of the problem: with
:math:`w = \sigma^{-1} \odot v` the objective is the same, and the penalty on
w becomes per-coordinate weights on v, ``l1[j]`` = :math:`\alpha\rho\,\sigma_j^{-1}`
and ``l2[j]`` = :math:`\alpha(1-\rho)\,\sigma_j^{-2}`. It only changes how
well conditioned the steps are.

Two paths run exactly this:

* :func:`reference_steps`, NumPy, to be read;
* :func:`compiled_steps`, the same loop compiled with Numba (``cache=True``),
  in float32 when X is float32. It copies each block of up to 256 rows of a
  shuffled batch into a small buffer before using them: the copies of
  independent rows overlap in memory, where row-by-row reads would wait on
  each other.

Both take the losses from :mod:`descend.losses` and the update rules from
:mod:`descend.optimizers` (the same functions), and the tests hold them
equal. For squared error on the full batch, :func:`compiled_gram_step`
takes the same step from the weighted Gram matrix of :math:`\tilde X`, so an
epoch costs :math:`O(p^2)` instead of a pass over the data.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .losses import hinge, huber, log_loss, softmax_cross_entropy, squared_error
from .optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    NAdam,
    RAdam,
    RMSprop,
    adadelta_step,
    adagrad_step,
    adam_step,
    adamax_step,
    nadam_step,
    radam_step,
    rmsprop_step,
    sgd_step,
)
from .penalties import soft_threshold

SQUARED_ERROR, HUBER, LOG_LOSS, HINGE, MULTINOMIAL = 0, 1, 2, 3, 4
GATHER_ROWS = 256
# The loop may reorder sums and fuse multiply-adds, so that dot products vectorize;
# not "nnan"/"ninf": NaN and inf must still propagate, to be caught as divergence.
FAST = {"reassoc", "nsz", "arcp", "contract"}


# ---------------------------------------------------------------- optimizers
# Each optimizer enters the compiled loop as (code, hyperparameters, state
# slots); the slots are the arrays of its state dict, in this order.
_PACKING = (
    (SGD, 0, ("momentum_buffer",), lambda o: (o.momentum, o.dampening, o.weight_decay, o.nesterov)),
    (Adagrad, 1, ("sum",), lambda o: (o.lr_decay, o.weight_decay, o.eps)),
    (RMSprop, 2, ("square_avg", "grad_avg", "momentum_buffer"),
     lambda o: (o.alpha, o.eps, o.weight_decay, o.momentum, o.centered)),
    (Adam, 3, ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
     lambda o: (*o.betas, o.eps, o.weight_decay, o.amsgrad, o.decoupled_weight_decay)),
    (NAdam, 4, ("exp_avg", "exp_avg_sq"),
     lambda o: (*o.betas, o.eps, o.weight_decay, o.momentum_decay, o.decoupled_weight_decay)),
    (Adamax, 5, ("exp_avg", "exp_inf"), lambda o: (*o.betas, o.eps, o.weight_decay)),
    (Adadelta, 6, ("square_avg", "acc_delta"), lambda o: (o.rho, o.eps, o.weight_decay)),
    (RAdam, 7, ("exp_avg", "exp_avg_sq"), lambda o: (*o.betas, o.eps, o.weight_decay, o.decoupled_weight_decay)),
)


def slot_names(optimizer):
    """The names of the state arrays the compiled loop takes, in order."""
    for cls, _, slots, _ in _PACKING:
        if isinstance(optimizer, cls):
            return slots
    raise TypeError(f"no compiled form for optimizer {optimizer!r}")


def pack_optimizer(optimizer, state):
    """(code, hyperparameters, three state arrays) for the compiled loop."""
    for cls, code, slots, hyper in _PACKING:
        if isinstance(optimizer, cls):
            arrays = [state[name] for name in slots]
            empty = np.empty(0, dtype=arrays[0].dtype)
            arrays += [empty] * (3 - len(arrays))
            return code, np.array(hyper(optimizer), dtype=np.float64), arrays
    raise TypeError(f"no compiled form for optimizer {optimizer!r}")


@njit(cache=True, inline="always")
def _optimizer_step(code, x, g, s0, s1, s2, t, lr, hp, mu_product):
    """Dispatch to the update rule of descend.optimizers; returns NAdam's mu product."""
    if code == 0:
        sgd_step(x, g, s0, t, lr, hp[0], hp[1], hp[2], hp[3] != 0)
    elif code == 1:
        adagrad_step(x, g, s0, t, lr, hp[0], hp[1], hp[2])
    elif code == 2:
        rmsprop_step(x, g, s0, s1, s2, lr, hp[0], hp[1], hp[2], hp[3], hp[4] != 0)
    elif code == 3:
        adam_step(x, g, s0, s1, s2, t, lr, hp[0], hp[1], hp[2], hp[3], hp[4] != 0, hp[5] != 0)
    elif code == 4:
        mu_product = nadam_step(x, g, s0, s1, mu_product, t, lr, hp[0], hp[1], hp[2], hp[3], hp[4], hp[5] != 0)
    elif code == 5:
        adamax_step(x, g, s0, s1, t, lr, hp[0], hp[1], hp[2], hp[3])
    elif code == 6:
        adadelta_step(x, g, s0, s1, lr, hp[0], hp[1], hp[2])
    else:
        radam_step(x, g, s0, s1, t, lr, hp[0], hp[1], hp[2], hp[3], hp[4] != 0)
    return mu_product


# ------------------------------------------------------------ compiled path
@njit(cache=True, inline="always")
def _dot(theta, offset, x):
    """theta[offset:offset + len(x)] . x, vectorized (summation order free)."""
    total = 0.0
    for j in range(x.shape[0]):
        total += theta[offset + j] * x[j]
    return total


@njit(cache=True, inline="always")
def _elementwise_loss(score, target, loss_code, epsilon):
    """(loss, derivative) of one score by the loss of ``loss_code``."""
    if loss_code == SQUARED_ERROR:
        return squared_error(score, target)
    if loss_code == HUBER:
        return huber(score, target, epsilon)
    if loss_code == LOG_LOSS:
        return log_loss(score, target)
    return hinge(score, target)


@njit(cache=True, inline="always")
def _row_loss(x, y, theta, n_out, loss_code, epsilon, scores, dscores):
    """Loss of one row; its derivative in each output's score into dscores."""
    p1 = x.shape[0] + 1
    if loss_code == MULTINOMIAL:
        for k in range(n_out):
            scores[k] = _dot(theta, k * p1, x) + theta[k * p1 + p1 - 1]
        return softmax_cross_entropy(scores, int(y), dscores)
    total = 0.0
    for k in range(n_out):
        score = _dot(theta, k * p1, x) + theta[k * p1 + p1 - 1]
        target = y
        if n_out > 1:  # one-vs-rest: output k separates class k from the rest
            target = 1.0 if y == k else -1.0
        loss, dscores[k] = _elementwise_loss(score, target, loss_code, epsilon)
        total += loss
    return total


@njit(cache=True, inline="always")
def _add_row_gradient(grad, x, weight, dscores, n_out):
    """grad += weight * dloss/dscore_k * (x, 1) for each output k: one row's share of a batch gradient."""
    p1 = x.shape[0] + 1
    for k in range(n_out):
        d = weight * dscores[k]
        offset = k * p1
        for j in range(p1 - 1):
            grad[offset + j] += d * x[j]
        grad[offset + p1 - 1] += d


@njit(cache=True, inline="always")
def _add_rows(block, block_y, block_w, lo, hi, theta, grad, n_out, loss_code, epsilon, scores, dscores):
    """Rows lo:hi of a block, all in one batch: their gradients added to grad;
    returns their (weighted loss sum, weight sum)."""
    loss_sum = 0.0
    weight_sum = 0.0
    if n_out == 1 and loss_code != MULTINOMIAL:
        # The common case written out: one score and one derivative per row and no loop over
        # outputs, which LLVM vectorizes (3x faster than the general loop below).
        p = block.shape[1]
        for r in range(lo, hi):
            x = block[r]
            weight = block_w[r]
            loss, d = _elementwise_loss(_dot(theta, 0, x) + theta[p], block_y[r], loss_code, epsilon)
            loss_sum += weight * loss
            weight_sum += weight
            d *= weight
            for j in range(p):
                grad[j] += d * x[j]
            grad[p] += d
        return loss_sum, weight_sum
    for r in range(lo, hi):
        x = block[r]
        weight = block_w[r]
        loss_sum += weight * _row_loss(x, block_y[r], theta, n_out, loss_code, epsilon, scores, dscores)
        weight_sum += weight
        _add_row_gradient(grad, x, weight, dscores, n_out)
    return loss_sum, weight_sum


@njit(cache=True, inline="always")
def _step_and_prox(theta, grad, n_out, p1, l1, has_l1, lr, code, s0, s1, s2, t, hp, mu_product):
    """The optimizer's step, then the L1 part of the penalty by soft-thresholding."""
    mu_product = _optimizer_step(code, theta, grad, s0, s1, s2, float(t), lr, hp, mu_product)
    if has_l1:
        for j in range(p1 - 1):
            threshold = lr * l1[j]
            for k in range(n_out):
                w = theta[k * p1 + j]
                theta[k * p1 + j] = w - min(max(w, -threshold), threshold)
    return mu_product


@njit(cache=True, inline="always")
def _finish_step(theta, grad, n_out, p1, norm, l1, has_l1, l2, fit_intercept, lr, code, s0, s1, s2, t, hp,
                 mu_product):
    """Normalize the summed gradient, add the L2 part, step, then the L1 prox."""
    for k in range(n_out):
        for j in range(p1 - 1):
            grad[k * p1 + j] = grad[k * p1 + j] * norm + l2[j] * theta[k * p1 + j]
        grad[k * p1 + p1 - 1] = grad[k * p1 + p1 - 1] * norm if fit_intercept else 0.0
    return _step_and_prox(theta, grad, n_out, p1, l1, has_l1, lr, code, s0, s1, s2, t, hp, mu_product)


@njit(cache=True)
def _gather_block(X, y, sw, order, start, count, center, scale, standardized, block, block_y, block_w):
    """Copy rows order[start:start + count], standardized, into the block buffers.

    Compiled on its own (not inlined into the fastmath loop): LLVM makes a
    better copy loop of it, 25% faster on shuffled per-sample epochs."""
    p = X.shape[1]
    weighted = sw.shape[0] > 0
    for r in range(count):
        i = order[start + r]
        if standardized:
            for j in range(p):
                block[r, j] = (X[i, j] - center[j]) * scale[j]
        else:
            for j in range(p):
                block[r, j] = X[i, j]
        block_y[r] = y[i]
        block_w[r] = sw[i] if weighted else 1.0


@njit(cache=True, fastmath=FAST, nogil=True)
def compiled_steps(X, y, sw, order, center, scale, theta, n_out, loss_code, epsilon, fit_intercept, batch_size,
                   lrs, sw_mean, code, hp, s0, s1, s2, t, mu_product, l1, l2, standardized=True):
    """Steps over the rows ``order`` in batches; returns (weighted loss sum, weight sum, t, mu_product).

    Step k uses learning rate ``lrs[k]``; ``t`` counts steps taken before.
    ``standardized=False`` promises center 0 and scale 1, and skips applying them.
    The loss is summed over the rows as they are met, at the parameters of
    their batch. Runs without the GIL, so that a stream can read its next
    piece meanwhile.
    """
    single = n_out == 1 and loss_code != MULTINOMIAL
    if batch_size == 1 and single and code == 0 and hp[0] == 0 and hp[2] == 0:  # SGD, no momentum or decay
        loss_sum, weight_sum = _plain_per_sample_steps(X, y, sw, order, center, scale, theta, loss_code, epsilon,
                                                       fit_intercept, lrs, sw_mean, l1, l2, standardized)
        return loss_sum, weight_sum, t + order.shape[0], mu_product
    p1 = X.shape[1] + 1
    n_rows = order.shape[0]
    grad = np.zeros(theta.shape[0], dtype=theta.dtype)
    scores = np.zeros(n_out)
    dscores = np.zeros(n_out)
    block, block_y, block_w = _gather_buffers(X, y, n_rows, batch_size)
    has_l1 = np.any(l1 > 0)
    loss_sum = 0.0
    weight_sum = 0.0
    step = 0
    block_start = block_end = 0
    batch_start = batch_end = 0
    q = 0
    while q < n_rows:
        if q == batch_end:  # a new batch
            batch_start, batch_end = q, min(q + batch_size, n_rows)
            for j in range(grad.shape[0]):
                grad[j] = 0.0
        if q == block_end:  # refill the block from row q on
            block_start, block_end = q, min(q + block.shape[0], n_rows)
            _gather_block(X, y, sw, order, q, block_end - q, center, scale, standardized, block, block_y, block_w)
        end = min(block_end, batch_end)
        part, weights = _add_rows(block, block_y, block_w, q - block_start, end - block_start, theta, grad, n_out,
                                  loss_code, epsilon, scores, dscores)
        loss_sum += part
        weight_sum += weights
        q = end
        if q == batch_end:
            t += 1
            mu_product = _finish_step(theta, grad, n_out, p1, 1.0 / ((batch_end - batch_start) * sw_mean), l1,
                                      has_l1, l2, fit_intercept, lrs[step], code, s0, s1, s2, t, hp, mu_product)
            step += 1
    return loss_sum, weight_sum, t, mu_product


@njit(cache=True)
def _gather_buffers(X, y, n_rows, batch_size):
    """The block buffers: whole batches when batches are small, so that per-sample steps
    gather 256 rows at once too."""
    block_rows = GATHER_ROWS if batch_size >= GATHER_ROWS else (GATHER_ROWS // batch_size) * batch_size
    rows = min(block_rows, n_rows)
    return np.empty((rows, X.shape[1]), dtype=X.dtype), np.empty(rows, dtype=y.dtype), np.empty(rows)


@njit(cache=True, fastmath=FAST, nogil=True)
def _plain_per_sample_steps(X, y, sw, order, center, scale, theta, loss_code, epsilon, fit_intercept, lrs,
                            sw_mean, l1, l2, standardized):
    """Per-sample plain gradient descent, the hot loop of SGD: sgd_step's update x -= lr * g
    with the gradient g = d x + l2 w formed on the fly, in one pass over x.

    A loop of its own: as a branch inside the general loop it slowed the
    batched steps down twofold. Returns (weighted loss sum, weight sum)."""
    p = X.shape[1]
    n_rows = order.shape[0]
    block, block_y, block_w = _gather_buffers(X, y, n_rows, 1)
    has_l1 = np.any(l1 > 0)
    loss_sum = 0.0
    weight_sum = 0.0
    for block_start in range(0, n_rows, block.shape[0]):
        block_fill = min(block.shape[0], n_rows - block_start)
        _gather_block(X, y, sw, order, block_start, block_fill, center, scale, standardized, block, block_y,
                      block_w)
        for r in range(block_fill):
            x = block[r]
            weight = block_w[r]
            weight_sum += weight
            loss, d = _elementwise_loss(_dot(theta, 0, x) + theta[p], block_y[r], loss_code, epsilon)
            loss_sum += weight * loss
            d = weight * d / sw_mean
            lr = lrs[block_start + r]
            for j in range(p):
                theta[j] -= lr * (d * x[j] + l2[j] * theta[j])
            if fit_intercept:
                theta[p] -= lr * d
            if has_l1:
                for j in range(p):
                    threshold = lr * l1[j]
                    theta[j] = theta[j] - min(max(theta[j], -threshold), threshold)
    return loss_sum, weight_sum


@njit(cache=True)
def compiled_gram_step(gram, xty, yty, weight_sum, theta, fit_intercept, lr, code, hp, s0, s1, s2, t, mu_product,
                       l1, l2):
    """One full-batch squared-error step from the weighted Gram matrix of the standardized [X, 1].

    With G = X~'WX~, c = X~'Wy: gradient (G theta - c) / sum(w), loss
    (theta'G theta - 2 theta'c + y'Wy) / (2 sum(w)), at theta before the step.
    """
    p1 = theta.shape[0]
    grad = np.zeros(p1, dtype=theta.dtype)
    quadratic = 0.0
    for j in range(p1):
        total = 0.0
        for i in range(p1):
            total += gram[j, i] * theta[i]
        quadratic += theta[j] * total
        grad[j] = total - xty[j]
    linear = 0.0
    for j in range(p1):
        linear += theta[j] * xty[j]
    loss_sum = 0.5 * (quadratic - 2.0 * linear + yty)
    t += 1
    mu_product = _finish_step(theta, grad, 1, p1, 1.0 / weight_sum, l1, np.any(l1 > 0), l2, fit_intercept, lr, code,
                              s0, s1, s2, t, hp, mu_product)
    return loss_sum, t, mu_product


@njit(cache=True, fastmath=FAST, nogil=True)
def compiled_gradient_sum(X, y, sw, center, scale, theta, n_out, loss_code, epsilon):
    """One partition's share of a full-batch step: (weighted loss sum, weight sum, summed gradient)
    over all rows of X, at ``theta``, before any normalization or penalty (see
    :func:`compiled_apply_gradient`). Summed over partitions, it is the full batch's.
    The rows go through the same gather blocks and row sums as :func:`compiled_steps`."""
    n_rows = X.shape[0]
    rows = np.arange(n_rows)
    grad = np.zeros(theta.shape[0], dtype=theta.dtype)
    scores = np.zeros(n_out)
    dscores = np.zeros(n_out)
    block, block_y, block_w = _gather_buffers(X, y, n_rows, GATHER_ROWS)
    loss_sum = 0.0
    weight_sum = 0.0
    for start in range(0, n_rows, block.shape[0]):
        count = min(block.shape[0], n_rows - start)
        _gather_block(X, y, sw, rows, start, count, center, scale, True, block, block_y, block_w)
        part, weights = _add_rows(block, block_y, block_w, 0, count, theta, grad, n_out, loss_code, epsilon,
                                  scores, dscores)
        loss_sum += part
        weight_sum += weights
    return loss_sum, weight_sum, grad


@njit(cache=True)
def compiled_apply_gradient(theta, grad, n_out, norm, l1, l2, fit_intercept, lr, code, hp, s0, s1, s2, t,
                            mu_product):
    """The step of :func:`compiled_steps` from an already summed gradient; returns (t, mu_product)."""
    t += 1
    mu_product = _finish_step(theta, grad.astype(theta.dtype), n_out, theta.shape[0] // n_out, norm, l1,
                              np.any(l1 > 0), l2, fit_intercept, lr, code, s0, s1, s2, t, hp, mu_product)
    return t, mu_product


@njit(cache=True)
def compiled_mean_loss(X, y, sw, rows, center, scale, theta, n_out, loss_code, epsilon):
    """Weighted mean loss over ``rows`` (no penalty)."""
    scores = np.zeros(n_out)
    dscores = np.zeros(n_out)
    x = np.empty(X.shape[1], dtype=X.dtype)
    weighted = sw.shape[0] > 0
    total = 0.0
    weight_sum = 0.0
    for r in range(rows.shape[0]):
        i = rows[r]
        for j in range(X.shape[1]):
            x[j] = (X[i, j] - center[j]) * scale[j]
        weight = sw[i] if weighted else 1.0
        total += weight * _row_loss(x, y[i], theta, n_out, loss_code, epsilon, scores, dscores)
        weight_sum += weight
    return total / weight_sum


@njit(cache=True)
def max_row_norm(X, sw, rows, center, scale, sw_mean):
    """max_i s_i / mean(s) * (|x_i|^2 + 1) over standardized rows: the curvature of one row's
    loss, for 1/L of a mini-batch."""
    weighted = sw.shape[0] > 0
    largest = 0.0
    for r in range(rows.shape[0]):
        i = rows[r]
        total = 1.0
        for j in range(X.shape[1]):
            z = (X[i, j] - center[j]) * scale[j]
            total += z * z
        if weighted:
            total *= sw[i] / sw_mean
        largest = max(largest, total)
    return largest


@njit(cache=True)
def column_moments(X, sw, rows):
    """Weighted mean and standard deviation of each column over ``rows``, two passes, no copy of X."""
    p = X.shape[1]
    weighted = sw.shape[0] > 0
    mean = np.zeros(p)
    var = np.zeros(p)
    weight_sum = 0.0
    for r in range(rows.shape[0]):
        i = rows[r]
        weight = sw[i] if weighted else 1.0
        weight_sum += weight
        for j in range(p):
            mean[j] += weight * X[i, j]
    for j in range(p):
        mean[j] /= weight_sum
    for r in range(rows.shape[0]):
        i = rows[r]
        weight = sw[i] if weighted else 1.0
        for j in range(p):
            d = X[i, j] - mean[j]
            var[j] += weight * d * d
    for j in range(p):
        var[j] /= weight_sum
    return mean, np.sqrt(var)


# ----------------------------------------------------------- reference path
def _batch_losses(scores, y, loss_code, epsilon):
    """Loss per row and derivative per row and output, by the descend.losses definitions."""
    n_out = scores.shape[1]
    if loss_code == MULTINOMIAL:
        derivative = np.zeros_like(scores)
        loss = np.array([softmax_cross_entropy(s, int(label), d)
                         for s, label, d in zip(scores, y, derivative, strict=True)])
        return loss, derivative
    target = y[:, None] if n_out == 1 else np.where(y[:, None] == np.arange(n_out), 1.0, -1.0)
    if loss_code == SQUARED_ERROR:
        loss, derivative = squared_error(scores, target)
    elif loss_code == HUBER:
        loss, derivative = huber(scores, target, epsilon)
    elif loss_code == LOG_LOSS:
        loss, derivative = log_loss(scores, target)
    else:
        loss, derivative = hinge(scores, target)
    return loss.sum(axis=1), derivative


def reference_steps(X, y, sw, order, center, scale, theta, n_out, loss_code, epsilon, fit_intercept, batch_size,
                    lrs, sw_mean, optimizer, state, l1, l2):
    """The algorithm of :func:`compiled_steps`, in NumPy; returns (weighted loss sum, weight sum)."""
    params = theta.reshape(n_out, -1)  # a view: rows are outputs, last column the intercept
    loss_sum = weight_sum = 0.0
    for step, start in enumerate(range(0, len(order), batch_size)):
        rows = order[start:start + batch_size]
        Xb = (X[rows] - center) * scale
        weights = sw[rows] if sw.size else np.ones(len(rows))
        scores = Xb @ params[:, :-1].T + params[:, -1]
        loss, derivative = _batch_losses(scores, y[rows], loss_code, epsilon)
        loss_sum += float(weights @ loss)
        weight_sum += float(weights.sum())

        derivative = derivative * weights[:, None]
        grad = np.empty_like(params)
        grad[:, :-1] = derivative.T @ Xb / (len(rows) * sw_mean) + l2 * params[:, :-1]
        grad[:, -1] = derivative.sum(axis=0) / (len(rows) * sw_mean) if fit_intercept else 0.0
        optimizer.update(theta, grad.ravel(), state, lrs[step])
        if np.any(l1 > 0):
            params[:, :-1] = soft_threshold(params[:, :-1], lrs[step] * l1)
    return loss_sum, weight_sum

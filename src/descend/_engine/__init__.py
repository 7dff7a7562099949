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

The modules:

* :mod:`~descend._engine.problem`: the named tuples every kernel takes (the
  data, the model, the objective);
* :mod:`~descend._engine.rules`: which optimizer step a compiled loop takes,
  found from the type of the optimizer's hyperparameters;
* :mod:`~descend._engine.kernels`: the loops compiled with Numba;
* :mod:`~descend._engine.prefetch`: the hint that lets the loops' cache
  misses on shuffled rows overlap;
* :mod:`~descend._engine.reference`: the same algorithm in NumPy, to be
  read, held equal to the kernels by the tests;
* :mod:`~descend._engine.stats`: one pass over the data before training
  (finiteness, column moments), Gram matrices and row norms.

The losses come from :mod:`descend.losses` and the update rules from
:mod:`descend.optimizers`: the same functions serve both paths.
"""

from __future__ import annotations

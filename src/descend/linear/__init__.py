r"""Linear models trained by gradient descent, with scikit-learn's interface.

:class:`GDRegressor` and :class:`GDClassifier` minimize

.. math::

    \frac{\sum_i s_i\, \ell(w^\top x_i + b,\ y_i)}{\sum_i s_i}
    + \alpha \left( \rho \lVert w \rVert_1 + \tfrac12 (1 - \rho) \lVert w \rVert_2^2 \right)

(sample weights :math:`s_i`, the intercept :math:`b` unpenalised) with any
optimizer of :mod:`descend.optimizers`, on the full batch, mini-batches or
one sample at a time. A converged full-batch fit is the exact solution of
this objective: scikit-learn's ``Ridge``, ``Lasso``, ``ElasticNet`` or
``LogisticRegression`` on the same problem.

One *epoch* is one pass over the training rows; ``max_iter`` counts epochs,
and the schedule's step ``t`` counts optimizer steps (one per batch).

The package, one concern a module (CONTRIBUTING.md walks a batch through it):

* ``_estimators``: GDRegressor and GDClassifier, scikit-learn's interface;
* ``_settings``: their parameters, checked once per fit;
* ``_sources``, ``_dask``: where the rows come from (memory, chunks, a cluster);
* ``_trainer``: the one epoch loop; ``_steps``: rows to optimizer steps;
* ``_state``: the model's state; ``_rate``: the automatic learning rate and schedules;
* ``_checkpoint``, ``_model_file``: the state on disk.
"""

from __future__ import annotations

from ._estimators import GDClassifier, GDRegressor, load_model
from ._model_file import FORMAT, VERSION, ModelFileError

__all__ = ["GDRegressor", "GDClassifier", "load_model", "ModelFileError", "FORMAT", "VERSION"]

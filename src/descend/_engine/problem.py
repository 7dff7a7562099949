"""What every kernel of the engine takes, in three named tuples.

Named tuples reach compiled code as light structs: the kernels read their
fields by name (``model.theta``, ``objective.l2``), and a kernel takes a
handful of them instead of twenty positional arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np

    from .._typing import FloatArray, IntArray, NDArray

__all__ = ["Data", "SparseData", "Model", "Objective", "Gram"]


#: The training rows: ``X`` (n, p), C-ordered; ``y`` (n,), in X's dtype (classes as -1/+1 for a
#: binary loss, as the class index for more), or (n, k) for k regression outputs; ``weights`` (n,),
#: or empty when every row weighs 1.
class Data(NamedTuple):
    X: FloatArray
    y: FloatArray
    weights: FloatArray


#: Rows in CSR form (canonical: sorted column indices, no duplicates): ``indptr`` (n + 1,), ``indices``
#: and ``values`` (nnz,), then ``y`` and ``weights`` as for Data. The number of features is the
#: model's (its L1 weights' length).
class SparseData(NamedTuple):
    indptr: IntArray
    indices: IntArray
    values: FloatArray
    y: FloatArray
    weights: FloatArray


#: The parameters and the coordinates they live in: ``theta`` (n_out * (p + 1),), ``center`` and
#: ``scale`` (p,), the standardization the steps apply to each row, (x - center) * scale; both None
#: when the steps take the rows as they are (then the kernels compiled for it skip the arithmetic).
class Model(NamedTuple):
    theta: FloatArray
    center: FloatArray | None
    scale: FloatArray | None
    n_out: int
    fit_intercept: bool


#: What is minimized: the loss (a code of descend.losses) and its ``parameters``, a float64 array of
#: the loss's own parameter (epsilon, the quantile, Tweedie's power; 0 for the losses without one) and
#: its smoothing (0: none; see descend.losses.quantile), and the penalty's per-coordinate L1 and L2
#: weights in standardized coordinates (float64 arrays of length p).
class Objective(NamedTuple):
    loss: int
    parameters: NDArray[np.float64]
    l1: NDArray[np.float64]
    l2: NDArray[np.float64]


#: A squared-error full batch summed up: ``matrix`` the weighted Gram matrix of the standardized
#: [X, 1], ``xty`` = X~'Wy, ``yty`` = y'Wy, ``weight_sum`` = sum(w).
class Gram(NamedTuple):
    matrix: NDArray[np.float64]
    xty: NDArray[np.float64]
    yty: float
    weight_sum: float


if TYPE_CHECKING:
    from typing import Any, TypeAlias

    #: A step's problem: the model, the objective, the optimizer's hyperparameters (its named tuple)
    #: and the arrays of its state.
    Problem: TypeAlias = tuple[Model, Objective, tuple[Any, ...], tuple[FloatArray, ...]]

"""The array types descend's signatures share (for the type checker; nothing here runs in a fit).

A module that uses them only in annotations imports them under ``typing.TYPE_CHECKING``, with
``from __future__ import annotations``, so that they cost nothing when it is imported.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["ArrayLike", "NDArray", "FloatArray", "IntArray", "BoolArray", "AnyArray", "FloatOrArray", "Matrix"]

#: An array of floats, float64 or float32 (the engine computes in X's precision).
FloatArray: TypeAlias = NDArray[np.floating[Any]]
#: An array of integers (row indices, counts, hashed columns).
IntArray: TypeAlias = NDArray[np.integer[Any]]
#: An array of booleans (masks).
BoolArray: TypeAlias = NDArray[np.bool_]
#: An array of any dtype (labels, which may be strings).
AnyArray: TypeAlias = NDArray[Any]
#: A number or an array of them: what works element-wise on either (the losses, soft-thresholding).
FloatOrArray: TypeAlias = float | FloatArray
#: Rows of features: a dense array or a SciPy sparse matrix (CSR, CSC, ...), as scikit-learn takes them.
Matrix: TypeAlias = Any  # SciPy has no type information: to the checker a sparse matrix is Any

"""Model files: JSON, versioned, never pickle, written atomically.

``estimator.save(path)`` writes one; :func:`load` reads it back. The format
is documented in :mod:`descend.linear._model_file`. This module is their
public face, for the command line and for users.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._files import write_atomically
from .linear import FORMAT, VERSION, GDClassifier, GDRegressor, ModelFileError, load_model

if TYPE_CHECKING:
    import os

__all__ = ["save", "load", "load_model", "ModelFileError", "FORMAT", "VERSION", "write_atomically"]


def save(
    estimator: GDRegressor | GDClassifier,
    path: str | os.PathLike[str],
    *,
    preprocessing: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Write a fitted estimator (and, for the command line, its preprocessing) to ``path``.

    The same as ``estimator.save(path, ...)``; the file appears only once complete.

    Parameters
    ----------
    estimator : GDRegressor or GDClassifier
        A fitted model.
    path : str or path-like
        Where to write the JSON model file (its folder must exist).
    preprocessing : dict, optional
        How to turn raw data into the model's X (``TablePreprocessor.to_dict()``, as the command line saves).
    metadata : dict, optional
        Free-form JSON data kept with the model (training data, metrics, date).

    Raises
    ------
    TypeError
        For an object that is not a GDRegressor or GDClassifier.
    ValueError
        For an estimator not fitted yet.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from descend import GDRegressor, load
    >>> from descend.io import save
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([1.0, 3.0, 5.0, 7.0])
    >>> model = GDRegressor(optimizer="sgd").fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save(model, os.path.join(folder, "line.json"), metadata={"data": "y = 2x + 1"})
    ...     again = load(os.path.join(folder, "line.json"))
    >>> bool(np.array_equal(again.predict(X), model.predict(X)))
    True
    """
    if not isinstance(estimator, (GDRegressor, GDClassifier)):
        raise TypeError(f"only GDRegressor and GDClassifier can be saved, not {type(estimator).__name__}")
    estimator.save(path, preprocessing=preprocessing, metadata=metadata)


def load(path: str | os.PathLike[str]) -> GDRegressor | GDClassifier:
    """A fitted GDRegressor or GDClassifier from a model file written by ``save``.

    Parameters
    ----------
    path : str or path-like
        A model file.

    Returns
    -------
    GDRegressor or GDClassifier
        The fitted model, predicting as the one saved. (:func:`load_model` also returns the
        file's preprocessing and metadata.)

    Raises
    ------
    ModelFileError
        When the file is not a descend model this version can read.

    Examples
    --------
    >>> import os, tempfile
    >>> from descend import GDRegressor, load
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     GDRegressor().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0]).save(os.path.join(folder, "line.json"))
    ...     model = load(os.path.join(folder, "line.json"))
    >>> model.predict([[3.0]]).round(2)  # y = 2x + 1, less the small default L2 penalty
    array([7.])
    """
    return load_model(path)[0]

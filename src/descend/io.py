"""Model files: JSON, versioned, never pickle, written atomically.

``estimator.save(path)`` writes one; :func:`load` reads it back. The format
is documented in :mod:`descend.linear._model_file`. This module is their
public face, for the command line and for users.
"""

from __future__ import annotations

from ._files import write_atomically
from .linear import FORMAT, VERSION, GDClassifier, GDRegressor, ModelFileError, load_model

__all__ = ["save", "load", "load_model", "ModelFileError", "FORMAT", "VERSION", "write_atomically"]


def save(estimator, path, *, preprocessing=None, metadata=None) -> None:
    """Write a fitted estimator (and, for the command line, its preprocessing) to ``path``."""
    if not isinstance(estimator, (GDRegressor, GDClassifier)):
        raise TypeError(f"only GDRegressor and GDClassifier can be saved, not {type(estimator).__name__}")
    estimator.save(path, preprocessing=preprocessing, metadata=metadata)


def load(path):
    """A fitted GDRegressor or GDClassifier from a model file written by ``save``."""
    return load_model(path)[0]

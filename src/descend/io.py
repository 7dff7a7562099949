"""Model files: JSON, versioned, never pickle, written atomically.

A model file is one UTF-8 JSON document::

    {
      "format": "descend-model",          # anything else is refused
      "version": 1,                       # the layout below; other versions are refused
      "descend_version": "0.1.0",         # who wrote it (information only)
      "estimator": "GDRegressor",         # or "GDClassifier"
      "params": {...},                    # get_params(); an optimizer object as {"class", "params"}
      "state": {                          # the fitted model
        "coef": [...], "intercept": [...], "classes": [...] (classifier),
        "n_features_in": 12, "feature_names_in": [...] or null,
        "center": [...], "scale": [...],  # the standardization the steps used
        "n_iter": 57, "t": 57, "learning_rate": 0.41, "history": {...}
      },
      "preprocessing": {...} or null,     # descend.tabular.TablePreprocessor.to_dict()
      "metadata": {...}                   # free-form: training data, task, metrics, date
    }

Floats are written with Python's shortest round-trip representation, so a
loaded model predicts bit for bit as the saved one did. Loading only reads
numbers and strings: nothing in a model file is ever executed. Writing goes
to a temporary file in the same folder, renamed over the target when
complete, so a crash never leaves half a model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import __version__
from ._files import write_atomically
from .optimizers import Optimizer, get_optimizer
from .penalties import ElasticNet

FORMAT = "descend-model"
VERSION = 1

__all__ = ["save", "load", "load_model", "ModelFileError", "FORMAT", "VERSION", "write_atomically"]


class ModelFileError(ValueError):
    """The file is not a descend model this version can read."""


def _param_to_json(value):
    if isinstance(value, Optimizer):
        return {"class": type(value).__name__, "params": value.get_params()}
    if isinstance(value, ElasticNet):
        return {"class": type(value).__name__, "alpha": value.alpha, "l1_ratio": value.l1_ratio}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _param_to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_param_to_json(v) for v in value]
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    # A function (a custom schedule) or a RandomState cannot be written as data.
    return {"unserializable": repr(value)}


def _param_from_json(value):
    if isinstance(value, dict) and "unserializable" in value:
        return None
    if isinstance(value, dict) and value.get("class") and "params" in value:
        params = dict(value["params"])
        if "betas" in params:
            params["betas"] = tuple(params["betas"])
        from . import optimizers

        cls = getattr(optimizers, value["class"], None)
        if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
            raise ModelFileError(f"unknown optimizer class {value['class']!r} in the model file")
        return get_optimizer(cls(**params))
    return value


def _floats(array) -> list:
    values = np.asarray(array, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("refusing to save a model with non-finite coefficients")
    return values.tolist()


def to_document(estimator, *, preprocessing=None, metadata=None) -> dict:
    """The JSON-ready document of a fitted GDRegressor or GDClassifier."""
    from .linear import GDClassifier, GDRegressor

    if not isinstance(estimator, (GDRegressor, GDClassifier)):
        raise TypeError(f"only GDRegressor and GDClassifier can be saved, not {type(estimator).__name__}")
    if not hasattr(estimator, "coef_"):
        raise ValueError(f"this {type(estimator).__name__} is not fitted yet: fit it before saving")
    state = {
        "coef": _floats(estimator.coef_),
        "intercept": _floats(estimator.intercept_),
        "n_features_in": int(estimator.n_features_in_),
        "feature_names_in": (None if not hasattr(estimator, "feature_names_in_")
                             else [str(n) for n in estimator.feature_names_in_]),
        "center": _floats(estimator._center),
        "scale": _floats(estimator._scale),
        "n_iter": int(estimator.n_iter_),
        "t": int(estimator.t_),
        "learning_rate": float(estimator.learning_rate_),
        "history": {k: [float(v) for v in values] for k, values in estimator.history_.items()},
        "dtype": str(estimator._theta.dtype),
    }
    if isinstance(estimator, GDClassifier):
        state["classes"] = estimator.classes_.tolist()
    return {
        "format": FORMAT,
        "version": VERSION,
        "descend_version": __version__,
        "estimator": type(estimator).__name__,
        "params": {k: _param_to_json(v) for k, v in estimator.get_params(deep=False).items()},
        "state": state,
        "preprocessing": preprocessing,
        "metadata": metadata or {},
    }


def save(estimator, path, *, preprocessing=None, metadata=None) -> None:
    """Write a fitted estimator (and, for the command line, its preprocessing) to ``path``."""
    document = to_document(estimator, preprocessing=preprocessing, metadata=metadata)
    write_atomically(path, lambda stream: json.dump(document, stream, indent=1, allow_nan=False))


def _refuse(path, why):
    raise ModelFileError(f"{path} is not a descend model file: {why}")


def load_model(path):
    """``(estimator, preprocessing dict or None, metadata dict)`` from a model file."""
    from .linear import GDClassifier, GDRegressor

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"no such model file: {path}")
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text, parse_constant=lambda name: _refuse(path, f"it holds {name}"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        _refuse(path, "it is not JSON")
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        _refuse(path, "its 'format' field is not 'descend-model'")
    if document.get("version") != VERSION:
        raise ModelFileError(f"{path} is a descend model of version {document.get('version')!r}; "
                             f"this descend reads version {VERSION}")
    classes = {"GDRegressor": GDRegressor, "GDClassifier": GDClassifier}
    try:
        cls = classes[document["estimator"]]
        params = {k: _param_from_json(v) for k, v in document["params"].items()}
        estimator = cls(**params)
        state = document["state"]
        dtype = np.dtype(state.get("dtype", "float64"))
        if dtype not in (np.float32, np.float64):
            _refuse(path, f"unknown dtype {dtype}")
        coef = np.array(state["coef"], dtype=dtype)
        intercept = np.array(state["intercept"], dtype=dtype)
        n_out = 1 if coef.ndim == 1 else coef.shape[0]
        p = int(state["n_features_in"])
        if coef.shape[-1] != p or intercept.shape != (n_out,):
            _refuse(path, "its coefficients do not fit together")
        estimator.coef_, estimator.intercept_ = coef, intercept
        estimator.n_features_in_ = p
        if state.get("feature_names_in") is not None:
            estimator.feature_names_in_ = np.array(state["feature_names_in"], dtype=object)
        if cls is GDClassifier:
            estimator.classes_ = np.array(state["classes"])
        estimator._set_coefficients(coef.reshape(n_out, p), intercept, np.array(state["center"], dtype=dtype),
                                    np.array(state["scale"], dtype=dtype))
        estimator.n_iter_, estimator.t_ = int(state["n_iter"]), int(state["t"])
        estimator.learning_rate_ = float(state["learning_rate"])
        estimator.history_ = {k: list(v) for k, v in state["history"].items()}
        for value in (coef, intercept, estimator._center, estimator._scale):
            if not np.all(np.isfinite(value)):
                _refuse(path, "it holds non-finite numbers")
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        _refuse(path, f"a field is missing or malformed ({type(error).__name__}: {error})")
    return estimator, document.get("preprocessing"), document.get("metadata") or {}


def load(path):
    """A fitted GDRegressor or GDClassifier from a model file written by ``save``."""
    return load_model(path)[0]

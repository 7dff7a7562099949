"""Model files: JSON, versioned, never pickle, written atomically.

A model file is one UTF-8 JSON document::

    {
      "format": "descend-model",          # anything else is refused
      "version": 2,                       # the layout below (1: the same, arrays as lists, no optimizer state)
      "descend_version": "0.1.0",         # who wrote it (information only)
      "estimator": "GDRegressor",         # or "GDClassifier"
      "params": {...},                    # get_params(); an optimizer object as {"class", "params"}
      "state": {                          # the fitted model
        "coef": [...], "intercept": [...], "classes": [...] (classifier),
        "n_features_in": 12, "feature_names_in": [...] or null,
        "center": [...], "scale": [...],  # the standardization the steps used
        "n_iter": 57, "t": 57, "learning_rate": 0.41, "history": {...}, "dtype": "float64",
        "optimizer": {...}, "batch_size": 32,  # what the fit took
        "optimizer_state": {...}          # its state (arrays as {"array", "dtype"}); older files have none
      },
      "preprocessing": {...} or null,     # descend.readers.tables.TablePreprocessor.to_dict(), or for an svmlight
                                          # file descend.readers.svmlight.SvmlightFormat.to_dict() ("kind": "svmlight")
      "metadata": {...}                   # free-form: training data, task, metrics, date
    }

An array is a list, or, mostly zeros, ``{"shape", "nonzero", "values"}`` (:func:`packed`).
Floats are written with Python's shortest round-trip representation, so a
loaded model predicts bit for bit as the saved one did. Loading only reads
numbers and strings: nothing in a model file is ever executed. Writing goes
to a temporary file in the same folder, renamed over the target when
complete, so a crash never leaves half a model.

This module reads and writes documents; the estimators
(:mod:`descend.linear._estimators`) make them and are made from them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from .. import optimizers
from .._files import write_atomically
from .._version import __version__
from ..optimizers import Optimizer, get_optimizer
from ..penalties import ElasticNet

if TYPE_CHECKING:
    import os

    from numpy.typing import DTypeLike

    from .._typing import AnyArray, ArrayLike

__all__ = [
    "FORMAT",
    "VERSION",
    "READABLE",
    "ModelFileError",
    "param_to_json",
    "param_from_json",
    "floats",
    "packed",
    "unpacked",
    "write_document",
    "read_document",
    "refuse",
]

FORMAT = "descend-model"
VERSION = 2  # 2: mostly-zero arrays as their non-zeros (packed), and the optimizer's state
READABLE = (1, 2)


class ModelFileError(ValueError):
    """The file is not a descend model this version can read.

    A ``ValueError``; its message names the file and what is wrong with it.

    Examples
    --------
    >>> import os, tempfile
    >>> from descend import load
    >>> from descend.io import ModelFileError
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "notes.json"), "w") as file:
    ...     _ = file.write('{"format": "other"}')
    >>> try:
    ...     load(os.path.join(folder, "notes.json"))
    ... except ModelFileError as error:
    ...     print(str(error).replace(folder, "<folder>"))
    <folder>/notes.json is not a descend model file: its 'format' field is not 'descend-model'
    >>> import shutil; shutil.rmtree(folder)
    """


def param_to_json(value: Any) -> Any:
    """An estimator parameter as JSON data."""
    if isinstance(value, Optimizer):
        return {"class": type(value).__name__, "params": {k: param_to_json(v) for k, v in value.get_params().items()}}
    if isinstance(value, ElasticNet):
        return {"class": type(value).__name__, "alpha": value.alpha, "l1_ratio": value.l1_ratio}
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):  # Prodigy's growth_rate=inf
        return {"float": repr(float(value))}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): param_to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [param_to_json(v) for v in value]
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    # A function (a custom schedule) or a RandomState cannot be written as data.
    return {"unserializable": repr(value)}


def param_from_json(value: Any) -> Any:
    """The inverse of :func:`param_to_json`; what could not be written comes back as None."""
    if isinstance(value, dict) and "unserializable" in value:
        return None
    if isinstance(value, dict) and set(value) == {"float"}:
        return float(value["float"])
    if isinstance(value, dict) and value.get("class") and "params" in value:
        params = {k: param_from_json(v) for k, v in value["params"].items()}
        if "betas" in params:
            params["betas"] = tuple(params["betas"])
        cls = getattr(optimizers, value["class"], None)
        if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
            raise ModelFileError(f"unknown optimizer class {value['class']!r} in the model file")
        return get_optimizer(cls(**params))
    return value


def packed(array: ArrayLike) -> list[Any] | dict[str, Any]:
    """An array as JSON data: its nested list; or, when it is mostly zeros (the weights of hashed
    features, which a stream of documents touches a few of), its shape and non-zero entries,
    ``{"shape": [...], "nonzero": [flat indices], "values": [...]}``, a tenth of the size.

    Examples
    --------
    >>> import numpy as np
    >>> packed(np.array([1.5, 0.0])), packed(np.eye(8))["nonzero"][:3]
    ([1.5, 0.0], [0, 9, 18])
    """
    values = np.asarray(array)
    nonzero = np.flatnonzero(values)
    if values.size >= 64 and 2 * nonzero.size < values.size:
        return {"shape": list(values.shape), "nonzero": nonzero.tolist(), "values": values.ravel()[nonzero].tolist()}
    return values.tolist()


def unpacked(item: list[Any] | dict[str, Any], dtype: DTypeLike = np.float64) -> AnyArray:
    """The array of :func:`packed`'s data (a list, or the non-zeros of a mostly-zero array).

    Raises
    ------
    ValueError
        For non-zeros that do not fit the shape.
    """
    if isinstance(item, dict) and "nonzero" in item:
        shape = tuple(int(n) for n in item["shape"])
        out = np.zeros(shape, dtype=dtype)
        nonzero = np.asarray(item["nonzero"], dtype=np.int64)
        if nonzero.size and (nonzero.min() < 0 or nonzero.max() >= out.size) or nonzero.size != len(item["values"]):
            raise ValueError("an array's non-zeros do not fit its shape")
        out.flat[nonzero] = np.asarray(item["values"], dtype=dtype)
        return out
    return np.array(item, dtype=dtype)


def floats(array: ArrayLike) -> list[Any] | dict[str, Any]:
    """An array of finite numbers as JSON data (:func:`packed`); a model with NaN or inf is not saved."""
    values = np.asarray(array, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("refusing to save a model with non-finite coefficients")
    return packed(values)


def write_document(
    path: str | os.PathLike[str],
    *,
    estimator: str,
    params: dict[str, Any],
    state: dict[str, Any],
    preprocessing: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Write the model file of an estimator named ``estimator``."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "descend_version": __version__,
        "estimator": estimator,
        "params": {k: param_to_json(v) for k, v in params.items()},
        "state": state,
        "preprocessing": preprocessing,
        "metadata": metadata or {},
    }
    # json.dumps, not json.dump: only a one-shot encoding without indent takes json's compiled encoder,
    # ten times as fast on the million coefficients of a hashed model.
    text = json.dumps(document, allow_nan=False)
    write_atomically(path, lambda stream: stream.write(text))


def refuse(path: str | os.PathLike[str], why: str) -> NoReturn:
    raise ModelFileError(f"{path} is not a descend model file: {why}")


def read_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The document of a model file, refused unless it is one this version reads."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"no such model file: {path}")
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text, parse_constant=lambda name: refuse(path, f"it holds {name}"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        refuse(path, "it is not JSON")
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        refuse(path, "its 'format' field is not 'descend-model'")
    if document.get("version") not in READABLE:
        raise ModelFileError(
            f"{path} is a descend model of version {document.get('version')!r}; "
            f"this descend reads versions {', '.join(map(str, READABLE))}"
        )
    return document

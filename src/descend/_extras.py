"""The optional features, the extra of descend that installs each, and the one line said when it is missing.

The lists here and ``[project.optional-dependencies]`` in ``pyproject.toml`` name the same extras (a test
holds them equal).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .exceptions import MissingExtraError

#: The extra that installs each optional module descend imports.
EXTRA_OF = {
    "matplotlib": "plot",
    "plotly": "explorer",
    "fastapi": "explorer",
    "uvicorn": "explorer",
    "orjson": "explorer",
    "dask": "dask",
    "distributed": "dask",
    "autograd": "autograd",
}


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` for ``feature``, or raise a :class:`MissingExtraError` naming the extra to install.

    Parameters
    ----------
    module : str
        A module of :data:`EXTRA_OF` (or one of its submodules, as ``"matplotlib.pyplot"``).
    feature : str
        What needs it, as the message should say it (``"descend explore"``, ``"figures"``).

    Returns
    -------
    module
        The imported module.

    Examples
    --------
    >>> from descend._extras import require
    >>> require("matplotlib.colors", "figures").__name__
    'matplotlib.colors'

    Without matplotlib, the same call raises ``MissingExtraError: figures needs matplotlib, which
    descend's extra "plot" installs: pip install "descend[plot]"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.split(".")[0]
        if error.name is not None and error.name.split(".")[0] != top and error.name.split(".")[0] not in EXTRA_OF:
            raise  # the package is there, something it needs is broken: its own message says more
        extra = EXTRA_OF[top]
        raise MissingExtraError(
            f'{feature} needs {top}, which descend\'s extra "{extra}" installs: pip install "descend[{extra}]"'
        ) from None

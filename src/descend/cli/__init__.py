"""The ``descend`` command line.

``descend fit`` trains a linear model on a CSV or Parquet file (text columns
hashed) or an svmlight file and writes a model file; ``descend predict`` and ``descend evaluate`` use it; ``descend
demo`` runs the applications and the optimizer race; ``descend paths`` and
``descend explore`` draw optimizer paths. Every failure a user can cause ends
in one line on stderr, ``error: ...``, and exit status 2; no traceback, and no
output file left behind.

Each command lives in its own module and registers on the one Typer ``app``
of :mod:`descend.cli.app`; importing them here is what registers them.
"""

from __future__ import annotations

from .app import app, main

# Importing the command modules registers their commands, in --help's order.
# isort: off
from . import fit, learn, models, demo, pictures  # noqa: F401
# isort: on

__all__ = ["app", "main"]

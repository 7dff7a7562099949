"""The version of descend, in one place: the package's metadata (pyproject.toml), ``descend.__version__``,
``descend --version`` and the model files read it here. CHANGELOG.md says what each version changed."""

from __future__ import annotations

__version__ = "0.1.0"

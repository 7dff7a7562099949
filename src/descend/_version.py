"""The version of descend (one place: the package and model files read it here)."""

__version__ = "0.1.0"

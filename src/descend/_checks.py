"""Checks of user-given values, one wording for all of descend.

Every check returns the value converted (a ``float``, an ``int``, a ``str``)
or raises:

* ``TypeError`` when the value is not of the right kind:
  ``lr must be a number, got str: 'fast'``;
* ``ValueError`` when it is of the right kind but out of range, naming the
  parameter, the range and the value: ``lr must be a finite number > 0,
  got -0.1``; ``betas[0] must lie in [0, 1), got 1.0``.

A number is any real number that is not a bool: ``int``, ``float`` and
NumPy's scalars alike (``np.float32(0.1)`` is as good as ``0.1``).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Collection
    from typing import TypeGuard

__all__ = [
    "is_number",
    "check_number",
    "check_positive",
    "check_nonnegative",
    "check_interval",
    "check_integer",
    "check_tolerance",
    "check_choice",
]


def is_number(value: object) -> TypeGuard[float]:
    """True for a real number (NumPy scalars included), False for a bool or anything else."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_number(name: str, value: object) -> float:
    """``value`` as a float; a TypeError if it is not a number."""
    if not is_number(value):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")
    return float(value)


def check_positive(name: str, value: object) -> float:
    """A finite number > 0."""
    number = check_number(name, value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return number


def check_nonnegative(name: str, value: object) -> float:
    """A finite number >= 0."""
    number = check_number(name, value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return number


def check_interval(name: str, value: object, low: float, high: float, *, closed: str = "both") -> float:
    """A number in the interval from ``low`` to ``high``; ``closed`` is "both", "left", "right" or "neither"."""
    number = check_number(name, value)
    left = number >= low if closed in ("both", "left") else number > low
    right = number <= high if closed in ("both", "right") else number < high
    if not (left and right):
        interval = (
            ("[" if closed in ("both", "left") else "(")
            + f"{low:g}, {high:g}"
            + ("]" if closed in ("both", "right") else ")")
        )
        raise ValueError(f"{name} must lie in {interval}, got {value}")
    return number


def check_integer(name: str, value: object, *, low: int | None = None) -> int:
    """An integer (not a bool), at least ``low`` when given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (low is not None and value < low):
        bound = "" if low is None else f" >= {low}"
        raise ValueError(f"{name} must be an integer{bound}, got {value!r}")
    return int(value)


def check_tolerance(value: Any) -> float | None:
    """A stopping tolerance: None (never stop early) or a finite number >= 0."""
    if value is not None and not (is_number(value) and math.isfinite(value) and value >= 0):
        raise ValueError(f"tol must be a finite number >= 0 or None, got {value!r}")
    return None if value is None else float(value)


def check_choice(kind: str, value: object, choices: Collection[str]) -> str:
    """One of the names ``choices`` (case and surrounding spaces ignored), as written there."""
    if not isinstance(value, str):
        raise TypeError(f"{kind} must be a name, got {type(value).__name__}: {value!r}")
    key = value.strip().lower()
    if key not in choices:
        raise ValueError(f"Unknown {kind} {value!r}; valid names are: {', '.join(choices)}")
    return key

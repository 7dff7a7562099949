"""Checkpoints: the whole state of a fit, written atomically, so that a resumed fit ends bit for bit
where the uninterrupted one would have.

A checkpoint is one JSON document::

    {
      "format": "descend-checkpoint", "version": 2,
      "fingerprint": [...],     # enough of the data to refuse resuming on other data
      "params": {...},          # the estimator's plain parameters (information only)
      "loop": {...},            # where the epoch loop stood: descend.linear._trainer.Record
      "rng": [...],             # the random state after that epoch (NumPy's legacy state tuple)
      "model": {...},           # descend.linear._state.ModelState.to_dict()
      "schedule": {...} or null # what an adaptive schedule (reduce-on-plateau) has learned
    }

Version 1 (descend 0.1.0's first checkpoints) held the model's fields at
the top level, with the step count and NAdam's product beside the optimizer
state; it is read too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._files import write_atomically
from ._state import from_plain, plain

if TYPE_CHECKING:
    import os

    from ._state import ModelState

__all__ = ["Checkpoint"]

FORMAT = "descend-checkpoint"
VERSION = 3  # 3: mostly-zero arrays as their non-zeros (descend.linear._model_file.packed)
_MODEL_KEYS = ("center", "scale", "learning_rate", "theta", "optimizer_state", "n_iter", "history")


class Checkpoint:
    """The checkpoint file ``path`` of a fit, written every ``every`` epochs."""

    def __init__(self, path: str | os.PathLike[str] | None, every: int, params: dict[str, Any]) -> None:
        self.path, self.every = path, every
        self.params = {k: v for k, v in params.items() if isinstance(v, (str, int, float, type(None)))}

    def due(self, epoch: int, last: bool) -> bool:
        """Whether to write after ``epoch``: every ``every`` epochs, and after the last one."""
        return epoch % self.every == 0 or last

    def write(
        self,
        *,
        fingerprint: list[Any],
        loop: dict[str, Any],
        rng: np.random.RandomState,
        schedule: object,
        state: ModelState,
    ) -> None:
        """Everything the loop needs to go on exactly where it is: ``loop`` is where the epoch loop stood
        (``Record.to_dict`` of descend.linear._trainer)."""
        assert self.path is not None  # only a resume's reading makes a Checkpoint of no file
        legacy = rng.get_state(legacy=True)  # the default: MT19937's tuple
        assert isinstance(legacy, tuple)  # a RandomState's bit generator is MT19937
        kind, keys, position, has_gauss, cached = legacy
        document = {
            "format": FORMAT,
            "version": VERSION,
            "fingerprint": fingerprint,
            "params": self.params,
            "loop": {k: plain(v) for k, v in loop.items()},
            "rng": [kind, keys.tolist(), int(position), int(has_gauss), float(cached)],
            "model": state.to_dict(),
            "schedule": {k: plain(v) for k, v in vars(schedule).items()} if hasattr(schedule, "observe") else None,
        }
        write_atomically(self.path, lambda stream: json.dump(document, stream))

    def read(self, fingerprint: list[Any]) -> dict[str, Any]:
        """The document in the file, refused if there is none or it was written while fitting other data."""
        path = Path(self.path) if self.path is not None else None
        if path is None or not path.is_file():
            raise ValueError(f"resume=True needs an existing checkpoint file; checkpoint={self.path!r}")
        try:
            document = json.loads(path.read_text())
            if document.get("format") != FORMAT or document.get("version") not in (1, 2, VERSION):
                raise ValueError
        except ValueError:
            raise ValueError(f"{path} is not a descend checkpoint") from None
        if document["fingerprint"] != fingerprint:
            raise ValueError(f"{path} was written while fitting other data; it cannot be resumed on this data")
        if document["version"] == 1:
            document["model"] = {key: document[key] for key in _MODEL_KEYS}
        return document


def loop_state(document: dict[str, Any]) -> dict[str, Any]:
    """The epoch loop's record as the checkpoint holds it."""
    return {key: from_plain(item) for key, item in document["loop"].items()}


def restore_rng(document: dict[str, Any], rng: np.random.RandomState) -> None:
    """Put ``rng`` (a RandomState) where it stood when the checkpoint was written."""
    kind, keys, position, has_gauss, cached = document["rng"]
    rng.set_state((kind, np.array(keys, dtype=np.uint32), position, has_gauss, cached))


def restore_schedule(document: dict[str, Any], schedule: object) -> None:
    """What an adaptive schedule (reduce-on-plateau) had learned."""
    if document["schedule"] is not None:
        for key, item in document["schedule"].items():
            setattr(schedule, key, from_plain(item))

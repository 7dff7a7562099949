"""Pictures of a fit, with matplotlib. Every function returns the figure and can save it."""

from __future__ import annotations

import numpy as np

__all__ = ["loss_curve", "save_figure"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)  # no screen needed
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path) -> None:
    """Save atomically, in the format the suffix names (png, svg, pdf, ...)."""
    from pathlib import Path

    from ._files import atomic_path

    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=120, bbox_inches="tight", format=Path(path).suffix.lstrip(".") or "png")


def loss_curve(history, *, title="Training loss", path=None, ax=None):
    """The loss per epoch (log scale), the validation loss beside it when there is one,
    and a marker at the best validation epoch.

    ``history`` is an estimator's ``history_`` dict, a fitted estimator, or a
    :class:`descend.OptimizeResult` (its ``loss_history``).
    """
    plt = _pyplot()
    if hasattr(history, "history_"):
        history = history.history_
    if hasattr(history, "loss_history"):
        history = {"loss": history.loss_history}
    loss = np.asarray(history["loss"], dtype=float)
    figure, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(loss) + 1)
    positive = bool(np.all(loss > 0))
    ax.plot(epochs, loss, label="training", color="tab:blue")
    validation = np.asarray(history.get("val_loss", []), dtype=float)
    if validation.size:
        ax.plot(epochs[: len(validation)], validation, label="validation", color="tab:orange")
        best = int(np.argmin(validation))
        ax.scatter([best + 1], [validation[best]], color="tab:red", zorder=3, label=f"best (epoch {best + 1})")
        positive = positive and bool(np.all(validation > 0))
    if positive:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    if path is not None:
        save_figure(figure, path)
    return figure

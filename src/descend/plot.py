"""Pictures of gradient descent, with matplotlib. Every function returns the figure and can save it.

* :func:`loss_curve` - loss per epoch or step, one or several runs, train and validation.
* :func:`paths` - optimizer paths over the filled contours of a 2-D function.
* :func:`compare_optimizers` - the same start, several optimizers, side by side or overlaid
  (the seed tutorial's three-panel picture is ``compare_optimizers()``).
* :func:`learning_rate_grid` - one optimizer, several learning rates.
* :func:`animate_paths` - the paths drawn step by step, as a GIF (or MP4 when ffmpeg is there).
* :func:`effects` - a fitted model's effect of each level of categorical predictors, one panel each.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from types import ModuleType
    from typing import Any, TypeAlias

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from ._typing import ArrayLike, FloatArray
    from .functions import Surface
    from .minimize import OptimizeResult
    from .optimizers import Optimizer

    #: A rectangle ((x_lo, x_hi), (y_lo, y_hi)).
    Bounds: TypeAlias = tuple[tuple[float, float], tuple[float, float]]

__all__ = [
    "loss_curve",
    "paths",
    "compare_optimizers",
    "learning_rate_grid",
    "animate_paths",
    "run_paths",
    "trace",
    "save_figure",
    "height_grid",
    "spans_decades",
    "path_points",
    "effects",
]

COLORS = [
    "tab:red",
    "tab:blue",
    "tab:green",
    "tab:purple",
    "tab:orange",
    "tab:brown",
    "tab:pink",
    "tab:gray",
    "tab:olive",
    "tab:cyan",
    "black",
    "gold",
]


def _pyplot() -> ModuleType:
    from ._extras import require

    matplotlib = require("matplotlib", "Drawing figures")
    matplotlib.use("Agg", force=False)  # no screen needed
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: Figure, path: str | os.PathLike[str]) -> None:
    """Save atomically, in the format the suffix names (png, svg, pdf, ...).

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure.
    path : str or path-like
        Where; the file appears only once complete (120 dpi, tight bounding box).

    Raises
    ------
    FileNotFoundError
        When the folder of ``path`` does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> from descend.plot import effects, save_figure
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_figure(effects({"a": {"x": 1.0}}), os.path.join(folder, "effects.svg"))
    ...     os.listdir(folder)
    ['effects.svg']
    """
    from ._files import atomic_path

    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=120, bbox_inches="tight", format=Path(path).suffix.lstrip(".") or "png")


# ----------------------------------------------------------------- loss curves
def _as_history(run: Any) -> Mapping[str, Any]:
    if hasattr(run, "history_"):
        return run.history_
    if hasattr(run, "loss_history"):  # an OptimizeResult: one point per step
        return {"loss": run.loss_history, "lr": run.lr_history}
    return run


def loss_curve(
    runs: Any,
    *,
    title: str = "Training loss",
    path: str | os.PathLike[str] | None = None,
    ax: Axes | None = None,
    show_lr: bool = True,
) -> Figure:
    """Loss per epoch (log scale when positive): one run or a dict ``{label: run}``.

    A run is an estimator (its ``history_``), a :class:`descend.OptimizeResult`
    (``loss_history``), or a history dict with ``loss`` and optionally
    ``val_loss`` and ``lr``. Validation curves are dashed, with a marker at
    the best epoch; the learning rate of a single run goes on a second axis.

    Parameters
    ----------
    runs : run or dict
        One run, or ``{label: run}``.
    title : str
        The axes' title.
    path : str or path-like, optional
        Save the figure there too, in the format its suffix names.
    ax : matplotlib.axes.Axes, optional
        Draw there rather than on a new figure.
    show_lr : bool
        Draw a single run's learning rate, when it varies, on a second axis.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> from descend.plot import loss_curve
    >>> figure = loss_curve({"run": {"loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 2.6]}})
    >>> [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    ['run training', 'run validation', 'run best (epoch 2)']
    """
    plt = _pyplot()
    runs = runs if isinstance(runs, dict) and "loss" not in runs else {"": runs}
    # ax.figure.figure: the Figure, also for an ax of a subfigure (a SubFigure cannot be saved)
    figure, ax = (ax.figure.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 4))
    positive = True
    for (label, run), color in zip(runs.items(), COLORS * 4):
        history = _as_history(run)
        loss = np.asarray(history["loss"], dtype=float)
        x = np.arange(1, len(loss) + 1)
        ax.plot(x, loss, color=color, label=f"{label} training".strip())
        positive &= bool(np.all(loss > 0))
        validation = np.asarray(history.get("val_loss", []), dtype=float)
        if validation.size:
            ax.plot(x[: len(validation)], validation, color=color, linestyle="--", label=f"{label} validation".strip())
            best = int(np.argmin(validation))
            ax.scatter(
                [best + 1],
                [validation[best]],
                color=color,
                edgecolor="black",
                zorder=3,
                label=f"{label} best (epoch {best + 1})".strip(),
            )
            positive &= bool(np.all(validation > 0))
    if positive:
        ax.set_yscale("log")
    ax.set_xlabel("epoch" if not any(hasattr(r, "loss_history") for r in runs.values()) else "step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if show_lr and len(runs) == 1:
        rates = np.asarray(_as_history(next(iter(runs.values()))).get("lr", []), dtype=float)
        if rates.size and np.ptp(rates) > 0:
            twin = ax.twinx()
            twin.plot(np.arange(1, len(rates) + 1), rates, color="gray", alpha=0.6, label="learning rate")
            twin.set_ylabel("learning rate", color="gray")
    ax.legend(loc="upper right", fontsize=8)
    if path is not None:
        save_figure(figure, path)
    return figure


# -------------------------------------------------------------------- effects
def effects(
    panels: Mapping[str, Mapping[Any, float]],
    *,
    title: str | None = None,
    ylabel: str = "coefficient",
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """The effect of each level of one or several categorical predictors, one panel each, side by side.

    ``panels`` maps a panel's title to ``{level: effect}`` (a dict or a
    ``pandas.Series``), drawn in its order as points joined by a line, with a
    dotted line at 0: ISLR's figure 4.15 for ``descend demo bikes``, where the
    effects are a Poisson fit's month and hour coefficients in sum coding.

    Parameters
    ----------
    panels : dict
        ``{panel title: {level: effect}}``.
    title : str, optional
        The figure's title.
    ylabel : str
        The y axes' label.
    path : str or path-like, optional
        Save the figure there too, in the format its suffix names.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, one axes per panel.

    Examples
    --------
    >>> from descend.plot import effects
    >>> figure = effects({"month": {"Jan": -0.5, "Feb": 0.1, "Mar": 0.4}, "hour": {0: -1.0, 12: 0.8}})
    >>> [ax.get_title() for ax in figure.axes]
    ['month', 'hour']
    """
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (name, levels), color in zip(axes[0], panels.items(), COLORS):
        labels = [str(level) for level in dict(levels)]
        x = np.arange(len(labels))
        ax.plot(x, list(dict(levels).values()), color=color, marker="o", markersize=4)
        ax.axhline(0.0, color="gray", linewidth=0.8, linestyle=":")
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_title(name)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    if path is not None:
        save_figure(figure, path)
    return figure


# ---------------------------------------------------------------------- paths
def _surface(function: str | Surface) -> Surface:
    from .functions import Surface, get_function

    surface = get_function(function) if isinstance(function, str) else function
    if not isinstance(surface, Surface) or surface.dim != 2:
        raise ValueError("paths are drawn on 2-D surfaces: a name from descend.functions or a 2-D Surface")
    return surface


def height_grid(
    surface: Surface, n: int, bounds: Bounds | None = None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""``(x, y, Z, shifted)``: the heights of a 2-D ``surface`` on an n-by-n grid over ``bounds``.

    ``x`` and ``y`` are ``n`` evenly spaced coordinates over ``bounds``
    ``((x_lo, x_hi), (y_lo, y_hi))``, the surface's domain by default, and
    :math:`Z_{ij} = f(x_j, y_i)` (rows follow y, as ``contourf`` expects).
    ``shifted`` is :math:`Z - \min Z + 10^{-3}(\max Z - \min Z + 10^{-12})`:
    ``Z`` moved up to lie just above 0 (even when flat), so a log scale can
    show the floor of a valley.

    Parameters
    ----------
    surface : descend.functions.Surface
        A 2-D surface.
    n : int
        Points per side.
    bounds : ((x_lo, x_hi), (y_lo, y_hi)), optional
        The rectangle; the surface's ``domain`` by default.

    Returns
    -------
    x, y : ndarray of shape (n,)
        The coordinates.
    Z, shifted : ndarray of shape (n, n)
        The heights, and the heights moved just above 0.

    Examples
    --------
    >>> from descend.functions import Bowl
    >>> from descend.plot import height_grid
    >>> x, y, Z, shifted = height_grid(Bowl(), 3)
    >>> x, Z
    (array([-2.,  0.,  2.]), array([[12.,  8., 12.],
           [ 4.,  0.,  4.],
           [12.,  8., 12.]]))
    >>> float(shifted.min())  # 1e-3 of the range above 0
    0.012000000000001001
    """
    (x_lo, x_hi), (y_lo, y_hi) = bounds or surface.domain
    x, y = np.linspace(x_lo, x_hi, n), np.linspace(y_lo, y_hi, n)
    Z = np.asarray(surface.value(np.stack(np.meshgrid(x, y))))  # an array: one height a point of the stack
    return x, y, Z, Z - Z.min() + 1e-3 * (np.ptp(Z) + 1e-12)


def spans_decades(Z: ArrayLike) -> bool:
    """True when a grid of heights is best shown on log-spaced levels.

    That is when at least half of the grid lies in the lowest tenth of its
    range (Rosenbrock: 0.06 of it; Beale: 0.002): linearly spaced levels would
    paint that half, the valley every path follows, in one flat colour.

    Parameters
    ----------
    Z : array_like
        The heights.

    Returns
    -------
    bool
        Whether log-spaced levels should be used.

    Examples
    --------
    >>> from descend.functions import get_function
    >>> from descend.plot import height_grid, spans_decades
    >>> [spans_decades(height_grid(get_function(name), 100)[2]) for name in ("rosenbrock", "bowl")]
    [True, False]
    """
    Z = np.asarray(Z, dtype=float)
    spread = np.ptp(Z)
    return bool(spread > 0 and np.median(Z - Z.min()) < 0.1 * spread)


def _contours(ax: Axes, surface: Surface, bounds: Bounds | None = None, levels: int = 30) -> None:
    x, y, Z, shifted = height_grid(surface, 300, bounds)
    if spans_decades(Z):
        # Valleys like Rosenbrock's span decades: levels spaced in log (of the heights moved just above 0),
        # and colours spread evenly over them, show the floor of the valley too.
        from matplotlib.colors import LogNorm

        heights, level_values = shifted, np.geomspace(shifted.min(), shifted.max(), levels)
        norm = LogNorm(vmin=level_values[0], vmax=level_values[-1])
    else:
        heights, level_values, norm = Z, np.linspace(Z.min(), Z.max(), levels), None
    ax.contourf(x, y, heights, levels=level_values, cmap="viridis", alpha=0.85, norm=norm)
    ax.contour(x, y, heights, levels=level_values, colors="white", linewidths=0.3, alpha=0.5)
    for minimum in surface.minima:
        ax.plot(*minimum, marker="*", color="gold", markersize=14, markeredgecolor="black", linestyle="none")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(y[0], y[-1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def _draw_path(ax: Axes, path: ArrayLike, color: str, label: str, width: float = 2.0) -> Line2D:
    import matplotlib.patheffects as effects

    path = np.asarray(path)
    # A white outline keeps the path visible over any colour of the fill.
    outline = [effects.Stroke(linewidth=width + 1.2, foreground="white", alpha=0.9), effects.Normal()]
    # A dot per step while the steps can be told apart; a long path's dots would merge into a blur.
    marker = "o" if len(path) <= 300 else ""
    (line,) = ax.plot(
        path[:, 0],
        path[:, 1],
        color=color,
        linewidth=width,
        marker=marker,
        markersize=2.5,
        label=label,
        path_effects=outline,
    )
    ax.plot(*path[0], marker="s", color=color, markeredgecolor="black", markersize=7, linestyle="none")
    # Ends above every line: a run whose path another covers still shows where it stopped.
    ax.plot(*path[-1], marker="X", color=color, markeredgecolor="black", markersize=9, linestyle="none", zorder=5)
    return line


def path_points(run: OptimizeResult | ArrayLike) -> FloatArray:
    """The points of a run as an (n, 2) array: an OptimizeResult's ``path``, or the points given (an array-like).

    Parameters
    ----------
    run : OptimizeResult or array-like of shape (n, 2)
        A run of :func:`descend.minimize`, or its points.

    Returns
    -------
    ndarray of shape (n, 2)
        The points.

    Examples
    --------
    >>> from descend.plot import path_points
    >>> path_points([[0.0, 0.0], [1.0, 1.0]])
    array([[0., 0.],
           [1., 1.]])
    """
    return run.path if hasattr(run, "path") else np.asarray(run)


def paths(
    function: str | Surface,
    runs: Mapping[str, OptimizeResult | ArrayLike],
    *,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
    ax: Axes | None = None,
    bounds: Bounds | None = None,
) -> Figure:
    """Paths over the filled contours of a 2-D function, overlaid.

    ``runs`` maps a label to an :class:`descend.OptimizeResult` or an array
    of points (n, 2). The start of each path is a square, its end a cross,
    the known minima gold stars. The contours are log-spaced where the surface
    spans decades (:func:`spans_decades`); each path is a little thinner than
    the one before, and the legend says where each run ended.

    Parameters
    ----------
    function : str or descend.functions.Surface
        A name of :data:`descend.functions.FUNCTION_NAMES` or a 2-D surface.
    runs : dict
        ``{label: run}``.
    title : str, optional
        The title; the surface's name by default.
    path : str or path-like, optional
        Save the figure there too, in the format its suffix names.
    ax : matplotlib.axes.Axes, optional
        Draw there rather than on a new figure.
    bounds : ((x_lo, x_hi), (y_lo, y_hi)), optional
        The rectangle shown; the surface's ``domain`` by default.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Raises
    ------
    ValueError
        For a function that is not a 2-D surface.

    Examples
    --------
    >>> from descend import minimize
    >>> from descend.functions import Rosenbrock
    >>> from descend.plot import paths
    >>> run = minimize(Rosenbrock(), [-1.5, 2.0], "adam", lr=0.05, max_iter=200, tol=None)
    >>> figure = paths("rosenbrock", {"adam": run})
    >>> figure.axes[0].get_legend().get_texts()[0].get_text()
    'adam: f = 3.69 after 200 steps'
    """
    plt = _pyplot()
    surface = _surface(function)
    # ax.figure.figure: the Figure, also for an ax of a subfigure (a SubFigure cannot be saved)
    figure, ax = (ax.figure.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 5.5))
    _contours(ax, surface, bounds)
    for index, ((label, run), color) in enumerate(zip(runs.items(), COLORS * 4)):
        points = path_points(run)
        ended = f"f = {surface.value(points[-1]):.3g} after {len(points) - 1} steps"
        # Each path a little thinner than the one before, so that paths along the same valley show as
        # nested bands instead of the last one hiding the others.
        width = 1.5 + 4.5 * (len(runs) - 1 - index) / max(len(runs) - 1, 1)
        _draw_path(ax, points, color, f"{label}: {ended}" if label else ended, width)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.set_title(title or f"{surface.name}")
    if path is not None:
        save_figure(figure, path)
    return figure


def _learning_rate(name: str, lr: float | dict[str, float] | None) -> float:
    """The rate optimizer ``name`` runs with: ``lr`` (one rate or ``{name: rate}``), else its own default."""
    from .optimizers import get_optimizer

    rate = lr.get(name) if isinstance(lr, dict) else lr
    return get_optimizer(name).lr if rate is None else rate


def run_paths(
    function: str | Surface,
    optimizers: Iterable[str],
    *,
    lr: float | dict[str, float] | None = None,
    start: ArrayLike | None = None,
    iters: int = 100,
) -> dict[str, FloatArray]:
    """Run ``descend.minimize`` for each optimizer from the same start; ``{name: path}``.

    ``lr`` is one rate for all or a dict ``{name: rate}``; an optimizer it
    does not name runs at its default rate. A run that diverges keeps the
    steps it took before (its path ends where it blew up).

    Parameters
    ----------
    function : str or descend.functions.Surface
        A name or a 2-D surface.
    optimizers : iterable of str
        Optimizer names.
    lr : float or dict, optional
        One rate, or ``{name: rate}``.
    start : array-like of shape (2,), optional
        The start; the surface's ``start`` by default.
    iters : int
        Steps per run.

    Returns
    -------
    dict
        ``{name: path}``, each path an array of shape (steps + 1, 2).

    Examples
    --------
    >>> from descend.plot import run_paths
    >>> runs = run_paths("bowl", ["sgd", "adam"], lr={"sgd": 0.1}, iters=10)
    >>> {name: path.shape for name, path in runs.items()}
    {'sgd': (11, 2), 'adam': (11, 2)}
    """
    from .optimizers import get_optimizer

    surface = _surface(function)
    start = surface.start if start is None else np.asarray(start, dtype=float)
    results = {}
    for name in optimizers:
        optimizer = get_optimizer(name, lr=_learning_rate(name, lr))
        results[name] = trace(surface, start, optimizer, iters)[0]
    return results


def trace(
    surface: Callable[[FloatArray], tuple[float, FloatArray]], start: ArrayLike, optimizer: str | Optimizer, iters: int
) -> tuple[FloatArray, FloatArray, bool]:
    """``minimize`` for ``iters`` steps: ``(path, loss_history, diverged)``.

    On divergence the path and losses stop where they were last finite and
    on the picture (coordinates below 1e6), as :class:`descend.DivergenceError` keeps them.

    Parameters
    ----------
    surface : callable
        ``f(x) -> (value, gradient)``, such as a surface.
    start : array-like
        The start.
    optimizer : str or Optimizer
        As :func:`descend.minimize` takes it.
    iters : int
        Steps to take (``tol=None``: all of them).

    Returns
    -------
    path : ndarray
        The iterates.
    loss_history : ndarray
        The objective at each.
    diverged : bool
        Whether the run diverged.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.functions import Bowl
    >>> from descend.optimizers import SGD
    >>> from descend.plot import trace
    >>> path, losses, diverged = trace(Bowl(), np.array([1.0, 1.0]), SGD(lr=0.1), 2)
    >>> path, losses.round(4), diverged
    (array([[1.  , 1.  ],
           [0.8 , 0.6 ],
           [0.64, 0.36]]), array([3.    , 1.36  , 0.6688]), False)
    >>> path, losses, diverged = trace(Bowl(), np.array([1.0, 1.0]), SGD(lr=1.0), 100)
    >>> len(path), diverged
    (10, True)
    """
    from .exceptions import DivergenceError
    from .minimize import minimize

    try:
        result = minimize(surface, start, optimizer, max_iter=iters, tol=None)
        return result.path, result.loss_history, False
    except DivergenceError as error:
        assert error.path is not None and error.loss_history is not None  # minimize fills them in
        shown = np.all(np.abs(error.path) < 1e6, axis=1)
        return error.path[shown], error.loss_history[shown], True


def compare_optimizers(
    function: str | Surface = "bowl",
    optimizers: Sequence[str] = ("sgd", "momentum", "adagrad"),
    *,
    lr: float | dict[str, float] | None = None,
    start: ArrayLike | None = None,
    iters: int = 50,
    side_by_side: bool = True,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """The seed tutorial's picture: the same start, several optimizers, one panel each.

    With the defaults: the contours of x^2 + 2y^2 and the paths of vanilla
    gradient descent, momentum and AdaGrad (the seed's "adaptive"), side by side.

    Parameters
    ----------
    function : str or descend.functions.Surface
        A name or a 2-D surface.
    optimizers : sequence of str
        Optimizer names.
    lr : float or dict, optional
        One rate, or ``{name: rate}``; by default a rate per optimizer that suits the bowl.
    start : array-like of shape (2,), optional
        The start; the surface's ``start`` by default.
    iters : int
        Steps per run.
    side_by_side : bool
        One panel per optimizer; ``False`` overlays the paths (:func:`paths`).
    path : str or path-like, optional
        Save the figure there too, in the format its suffix names.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> from descend.plot import compare_optimizers
    >>> figure = compare_optimizers()
    >>> [ax.get_title() for ax in figure.axes]  # doctest: +NORMALIZE_WHITESPACE
    ['sgd (lr 0.1): f = 4.58e-10 after 50 steps', 'momentum (lr 0.05): f = 1.42e-02 after 50 steps',
     'adagrad (lr 0.5): f = 7.16e-12 after 50 steps']
    """
    plt = _pyplot()
    surface = _surface(function)
    if lr is None:
        lr = {
            "sgd": 0.1,
            "momentum": 0.05,
            "nesterov": 0.05,
            "adagrad": 0.5,
            "rmsprop": 0.05,
            "adam": 0.2,
            "amsgrad": 0.2,
            "adamw": 0.2,
            "nadam": 0.2,
            "adamax": 0.3,
            "adadelta": 1.0,
            "radam": 0.2,
        }
    results = run_paths(surface, optimizers, lr=lr, start=start, iters=iters)
    if not side_by_side:
        return paths(surface, results, path=path)
    figure, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 4.6), squeeze=False)
    for ax, (name, run), color in zip(axes[0], results.items(), COLORS):
        _contours(ax, surface)
        _draw_path(ax, path_points(run), color, name)
        final = surface.value(path_points(run)[-1])
        rate = _learning_rate(name, lr)
        ax.set_title(f"{name} (lr {rate:g}): f = {final:.2e} after {len(path_points(run)) - 1} steps", fontsize=10)
    figure.suptitle(f"{surface.name}: the same start, {len(results)} optimizers")
    figure.tight_layout()
    if path is not None:
        save_figure(figure, path)
    return figure


def learning_rate_grid(
    function: str | Surface,
    optimizer: str,
    rates: Sequence[float],
    *,
    start: ArrayLike | None = None,
    iters: int = 50,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """One optimizer at several learning rates, one panel each: too small, right, too large.

    Parameters
    ----------
    function : str or descend.functions.Surface
        A name or a 2-D surface.
    optimizer : str
        An optimizer name.
    rates : sequence of float
        The learning rates, three panels a row.
    start : array-like of shape (2,), optional
        The start; the surface's ``start`` by default.
    iters : int
        Steps per run.
    path : str or path-like, optional
        Save the figure there too, in the format its suffix names.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; a panel's title says when its run diverged.

    Examples
    --------
    >>> from descend.plot import learning_rate_grid
    >>> figure = learning_rate_grid("bowl", "sgd", [0.05, 0.4, 0.55], iters=20)  # 2/L = 0.5
    >>> [ax.get_title() for ax in figure.axes]
    ['sgd, lr 0.05', 'sgd, lr 0.4', 'sgd, lr 0.55 (diverged)']
    """
    plt = _pyplot()
    surface = _surface(function)
    columns = min(len(rates), 3)
    rows = -(-len(rates) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 4.2 * rows), squeeze=False)
    from .optimizers import get_optimizer

    start_point = surface.start if start is None else np.asarray(start, dtype=float)
    for ax, rate in zip(axes.ravel(), rates):
        trail, _, blew_up = trace(surface, start_point, get_optimizer(optimizer, lr=rate), iters)
        _contours(ax, surface)
        _draw_path(ax, trail, "tab:red", f"lr {rate:g}")
        diverged = blew_up or surface.value(trail[-1]) > surface.value(trail[0])
        ax.set_title(f"{optimizer}, lr {rate:g}" + (" (diverged)" if diverged else ""), fontsize=10)
    for ax in axes.ravel()[len(rates) :]:
        ax.set_visible(False)
    figure.tight_layout()
    if path is not None:
        save_figure(figure, path)
    return figure


def animate_paths(
    function: str | Surface,
    runs: Mapping[str, OptimizeResult | ArrayLike],
    path: str | os.PathLike[str],
    *,
    steps_per_frame: int = 1,
    fps: int = 10,
) -> int:
    """Draw the paths step by step into a GIF (Pillow) or, for a .mp4 name, an MP4 (needs ffmpeg).

    One frame per ``steps_per_frame`` steps, plus the starting frame (and the last step's).

    Parameters
    ----------
    function : str or descend.functions.Surface
        A name or a 2-D surface.
    runs : dict
        ``{label: run}``, as :func:`paths` takes them.
    path : str or path-like
        The file, ``.gif`` or ``.mp4``.
    steps_per_frame : int
        Steps between frames.
    fps : int
        Frames per second.

    Returns
    -------
    int
        The number of frames written.

    Raises
    ------
    ValueError
        For another suffix, or an MP4 without ffmpeg.

    Examples
    --------
    >>> import os, tempfile
    >>> from descend.plot import animate_paths, run_paths
    >>> runs = run_paths("bowl", ["sgd"], lr=0.1, iters=10)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     animate_paths("bowl", runs, os.path.join(folder, "bowl.gif"), steps_per_frame=5)
    3
    """
    import matplotlib.animation as animation

    plt = _pyplot()
    surface = _surface(function)
    trails = {label: path_points(run) for label, run in runs.items()}
    longest = max(len(t) for t in trails.values())
    frames = list(range(0, longest, steps_per_frame))
    if frames[-1] != longest - 1:
        frames.append(longest - 1)
    figure, ax = plt.subplots(figsize=(6, 5))
    _contours(ax, surface)
    lines = {
        label: ax.plot([], [], color=color, marker="o", markersize=3, label=label)[0]
        for (label, _), color in zip(trails.items(), COLORS * 4)
    }
    ax.legend(loc="upper right", fontsize=8)

    def draw(frame: int) -> list[Line2D]:
        for label, line in lines.items():
            trail = trails[label][: frame + 1]
            line.set_data(trail[:, 0], trail[:, 1])
        ax.set_title(f"{surface.name}: step {frame}")
        return list(lines.values())

    movie = animation.FuncAnimation(figure, draw, frames=frames, blit=False)
    suffix = Path(path).suffix.lower()
    writer: animation.AbstractMovieWriter
    if suffix == ".mp4":
        if not animation.FFMpegWriter.isAvailable():
            raise ValueError("writing MP4 needs ffmpeg, which is not installed; write a .gif instead")
        writer = animation.FFMpegWriter(fps=fps)
    elif suffix == ".gif":
        writer = animation.PillowWriter(fps=fps)
    else:
        raise ValueError(f"animations are .gif or .mp4, not {suffix!r}")
    from ._files import atomic_path

    with atomic_path(path) as temporary:
        movie.save(temporary, writer=writer)
    plt.close(figure)
    return len(frames)

"""``descend explore``: a local web page to play with the optimizers on a test surface.

The page (``explorer_page.html``) draws the contours with Plotly.js, served
from the installed ``plotly`` package (no CDN, no internet). Every path it
shows comes from the library through one endpoint:

``GET /api/path?function=rosenbrock&optimizer=adam&lr=0.05&iters=200&x0=-1.5&y0=2&beta1=0.9``

returns ``{"path": [[x, y], ...] (iters + 1 points, fewer if it diverged),
"loss": [...], "diverged": bool, "converged_at": step or null}``. Every
parameter is validated: a bad one is answered with HTTP 422 and a message,
never 500. ``GET /api/surface?function=...`` gives the contour grid and
``GET /api/names`` the library's function and optimizer names.

A 10,000-step path is answered in a few tens of milliseconds
(``benchmarks/minimize_cases.py`` measures it): the gradient norms along it
are one vectorized call of the surface's analytic gradient, and the answer
goes out as bytes encoded at once, skipping FastAPI's ``jsonable_encoder``
(which walks every number in Python): by ``orjson`` when it is installed,
else by the standard library's ``json`` (about 14 ms more for 30,000
numbers, the time of printing each float's shortest form).
"""

from __future__ import annotations

from enum import Enum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._extras import require
from .functions import FUNCTION_NAMES, get_function
from .optimizers import FULL_BATCH_OPTIMIZER_NAMES, OPTIMIZER_NAMES, get_optimizer
from .plot import height_grid, path_points, trace

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Mapping
    from typing import Any

    from fastapi import FastAPI
    from fastapi.responses import FileResponse, Response

    from ._typing import ArrayLike
    from .minimize import OptimizeResult
    from .optimizers import Optimizer

MAX_ITERS = 10_000
GRID = 120
CONVERGED = 1e-6  # steps to converge: the first step where the gradient norm is below this

FunctionName = Enum("FunctionName", {name: name for name in FUNCTION_NAMES}, type=str)  # type: ignore[misc]  # members made at runtime
#: The optimizers the page offers: those of gradients and L-BFGS (minimize() gives it the function).
EXPLORER_OPTIMIZERS = OPTIMIZER_NAMES + FULL_BATCH_OPTIMIZER_NAMES
OptimizerName = Enum("OptimizerName", {name: name for name in EXPLORER_OPTIMIZERS}, type=str)  # type: ignore[misc]  # members made at runtime


def slider_targets() -> dict[str, list[str]]:
    """``{slider: [optimizer names]}``: the optimizers each of the page's sliders changes.

    The momentum slider changes the optimizers named for momentum, those
    whose default momentum is above 0 (``momentum``, ``nesterov``, and
    ``sgd_schedulefree``, whose interpolation is called momentum): ``sgd``
    and ``rmsprop`` have a momentum parameter too, but stay plain, as their
    names promise. The beta sliders change the optimizers with ``betas``
    (the Adam family, Lion, Prodigy). The page names them next to each slider.

    Returns
    -------
    dict
        ``{"momentum": [...], "beta1": [...], "beta2": [...]}``, each list in
        :data:`EXPLORER_OPTIMIZERS` order.

    Examples
    --------
    >>> from descend.explorer import slider_targets
    >>> slider_targets()["momentum"]
    ['momentum', 'nesterov', 'sgd_schedulefree']
    """
    defaults = {name: get_optimizer(name).get_params() for name in EXPLORER_OPTIMIZERS}
    with_momentum = [name for name, params in defaults.items() if params.get("momentum", 0.0) > 0]
    with_betas = [name for name, params in defaults.items() if "betas" in params]
    return {"momentum": with_momentum, "beta1": with_betas, "beta2": with_betas}


def _optimizer(
    name: str, lr: float, momentum: float | None = None, beta1: float | None = None, beta2: float | None = None
) -> Optimizer:
    """Optimizer ``name`` at ``lr``, with each slider value that :func:`slider_targets` says changes it.

    A value the optimizer rejects (nesterov without momentum) is its own ValueError.
    """
    optimizer = get_optimizer(name, lr=lr)
    params = optimizer.get_params()
    sliders: dict[str, Any] = {}
    if momentum is not None and name in slider_targets()["momentum"]:
        sliders["momentum"] = momentum
    if "betas" in params and (beta1 is not None or beta2 is not None):
        default1, default2 = params["betas"]
        sliders["betas"] = (default1 if beta1 is None else beta1, default2 if beta2 is None else beta2)
    return optimizer.set_params(**sliders)


def compute_path(
    function: str,
    optimizer: str,
    lr: float,
    iters: int,
    x0: float | None = None,
    y0: float | None = None,
    momentum: float | None = None,
    beta1: float | None = None,
    beta2: float | None = None,
) -> dict[str, Any]:
    """The path of ``optimizer`` on ``function``: what the API answers."""
    surface = get_function(function)
    start = surface.start.copy()
    if x0 is not None:
        start[0] = x0
    if y0 is not None:
        start[1] = y0
    points, values, diverged = trace(surface, start, _optimizer(optimizer, lr, momentum, beta1, beta2), iters)
    # All the points at once (the named surfaces' gradients take a stack (2, n)); the norm as minimize's tol sees it.
    gradients = surface.grad(points.T)
    below = np.flatnonzero(np.sqrt(np.einsum("in,in->n", gradients, gradients)) < CONVERGED)
    return {
        "function": surface.name,
        "optimizer": optimizer,
        "path": points.tolist(),
        "loss": values.tolist(),
        "diverged": diverged,
        "converged_at": int(below[0]) if below.size else None,
    }


def surface_grid(function: str) -> dict[str, Any]:
    surface = get_function(function)
    x, y, _, shifted = height_grid(surface, GRID)
    return {
        "function": surface.name,
        "x": x.tolist(),
        "y": y.tolist(),
        "z": np.log10(shifted).tolist(),  # log scale: valleys show
        "minima": surface.minima.tolist(),
        "start": surface.start.tolist(),
        "domain": surface.domain,
    }


def html_paths(function: str, runs: Mapping[str, OptimizeResult | ArrayLike], path: str | os.PathLike[str]) -> None:
    """The paths as a standalone interactive HTML page (Plotly.js embedded: no CDN needed)."""
    go = require("plotly.graph_objects", "An HTML page of paths")

    from ._files import atomic_path

    grid = surface_grid(function)
    figure = go.Figure(
        go.Contour(
            x=grid["x"],
            y=grid["y"],
            z=grid["z"],
            colorscale="Viridis",
            showscale=False,
            contours={"coloring": "heatmap"},
            name="log10 height",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[m[0] for m in grid["minima"]],
            y=[m[1] for m in grid["minima"]],
            mode="markers",
            name="minima",
            marker={"symbol": "star", "size": 16, "color": "gold"},
        )
    )
    for label, run in runs.items():
        points = path_points(run)
        figure.add_trace(
            go.Scatter(x=points[:, 0], y=points[:, 1], mode="lines+markers", name=label, marker={"size": 3})
        )
    (x0, x1), (y0, y1) = grid["domain"]
    figure.update_layout(title=grid["function"], xaxis={"range": [x0, x1]}, yaxis={"range": [y0, y1]})
    with atomic_path(path) as temporary:
        figure.write_html(temporary, include_plotlyjs=True, full_html=True)


def json_encoder() -> Callable[[Any], bytes]:
    """``body -> bytes`` of JSON: ``orjson.dumps`` when orjson is installed, else the standard library's.

    Both write each float in its shortest form that reads back to the same
    double, so the page gets the library's path to the last bit either way.
    """
    try:
        import orjson
    except ImportError:
        import json

        return lambda body: json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
    return orjson.dumps


def create_app() -> FastAPI:
    """The FastAPI application (``uvicorn`` serves it)."""
    require("fastapi", "The explorer")
    from fastapi import FastAPI, HTTPException, Query
    from fastapi.responses import FileResponse, HTMLResponse, Response

    app = FastAPI(title="descend explorer", docs_url=None, redoc_url=None)
    page = resources.files("descend").joinpath("explorer_page.html").read_text(encoding="utf-8")
    plotly = require("plotly", "The explorer")
    assert plotly.__file__ is not None  # an installed package, not a namespace
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    encode = json_encoder()

    # response_model=None: FastAPI would take a return annotation for a model, and validate each answer with it
    @app.get("/", response_class=HTMLResponse, response_model=None)
    def index() -> str:
        return page

    @app.get("/static/plotly.min.js", response_model=None)
    def plotly_script() -> FileResponse:
        return FileResponse(plotly_js, media_type="application/javascript")

    @app.get("/api/names", response_model=None)
    def names() -> dict[str, Any]:
        # The page builds its menus from these, so a new function or optimizer shows up by itself.
        return {"functions": list(FUNCTION_NAMES), "optimizers": list(EXPLORER_OPTIMIZERS), "sliders": slider_targets()}

    @app.get("/api/surface", response_model=None)
    def surface(function: FunctionName = Query(...)) -> dict[str, Any]:
        return surface_grid(function.value)

    @app.get("/api/path", response_model=None)
    def path(
        function: FunctionName = Query(...),
        optimizer: OptimizerName = Query(...),
        lr: float = Query(..., gt=0, le=100, allow_inf_nan=False),
        iters: int = Query(100, ge=1, le=MAX_ITERS),
        x0: float | None = Query(None, ge=-1e3, le=1e3, allow_inf_nan=False),
        y0: float | None = Query(None, ge=-1e3, le=1e3, allow_inf_nan=False),
        momentum: float | None = Query(None, ge=0, lt=1, allow_inf_nan=False),
        beta1: float | None = Query(None, ge=0, lt=1, allow_inf_nan=False),
        beta2: float | None = Query(None, ge=0, lt=1, allow_inf_nan=False),
    ) -> Response:
        try:
            body = compute_path(function.value, optimizer.value, lr, iters, x0, y0, momentum, beta1, beta2)
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None
        # Bytes of our own: FastAPI would otherwise pass the 30,000 numbers of a 10,000-step path through
        # jsonable_encoder one by one (27 ms).
        return Response(encode(body), media_type="application/json")

    return app


def serve(  # pragma: no cover - runs until interrupted
    host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True
) -> None:
    import threading
    import webbrowser

    uvicorn = require("uvicorn", "The explorer")
    app = create_app()  # before the browser opens: a missing extra is said at once
    if open_browser:
        threading.Timer(1.0, lambda: webbrowser.open(f"http://{host}:{port}/")).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")

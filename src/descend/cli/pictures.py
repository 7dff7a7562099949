"""``descend paths`` and ``descend explore``: optimizer paths over a test surface, drawn or explored live."""

from __future__ import annotations

from pathlib import Path

import typer

from .._extras import require
from ..choices import FUNCTION_NAMES
from .app import UserError, app, one_line_errors
from .views import new_console

PICTURE_SUFFIXES = (".png", ".svg", ".gif", ".html")


@app.command()
def paths(
    out: Path = typer.Option(..., "--out", "-o", help="Output file: .png, .svg, .gif (animation) or .html."),
    function: str = typer.Option("rosenbrock", help=f"{', '.join(FUNCTION_NAMES)}."),
    optimizers: str = typer.Option("sgd,momentum,adam", help="Comma-separated optimizer names."),
    lr: str = typer.Option(None, "--lr", help="One rate for all, or name=rate pairs: adam=0.1,sgd=0.01."),
    start: str = typer.Option(None, help="Starting point x,y (default: the surface's classic start)."),
    iters: int = typer.Option(200, min=1, max=100_000, help="Steps per optimizer."),
) -> None:
    """Draw optimizer paths over a test surface.

    Example: descend paths --function rosenbrock --optimizers sgd,momentum,adam --lr adam=0.05 --out paths.png
    """
    with one_line_errors():
        from .. import plot
        from ..functions import get_function
        from ..optimizers import get_optimizer

        get_function(function)  # the library's own errors name the valid choices
        names = [n.strip() for n in optimizers.split(",") if n.strip()]
        if not names:
            raise UserError("--optimizers names none")
        for name in names:
            get_optimizer(name)
        suffix = out.suffix.lower()
        if suffix not in PICTURE_SUFFIXES:
            raise UserError(f"--out must end in .png, .svg, .gif or .html, not {out.name!r}")
        point = _parse_start(start)
        if suffix == ".html":
            require("plotly", "An .html page")
        else:
            require("matplotlib", "Drawing paths")
        runs = plot.run_paths(function, names, lr=_parse_rates(lr, names), start=point, iters=iters)
        if suffix == ".html":
            from ..explorer import html_paths

            html_paths(function, runs, out)
        elif suffix == ".gif":
            plot.animate_paths(function, runs, out, steps_per_frame=max(1, iters // 60))
        else:
            plot.paths(function, runs, path=out)
        new_console().print(f"{len(runs)} path(s) on {function} written to {out}")


def _parse_start(text: str | None) -> list[float] | None:
    """``x,y`` as two floats; None keeps the surface's classic start."""
    if text is None:
        return None
    try:
        point = [float(v) for v in text.split(",")]
    except ValueError:
        point = []
    if len(point) != 2:
        raise UserError(f"--start must be two numbers x,y, got {text!r}")
    return point


def _parse_rates(text: str | None, names: list[str]) -> float | dict[str, float] | None:
    """One rate for every optimizer, or a rate per optimizer from ``name=rate`` pairs; None: their defaults."""
    if text is None:
        return None
    try:
        if "=" not in text:
            return float(text)
        rates: dict[str, float] = {}
        for part in text.split(","):
            name, value = part.split("=")
            rates[name.strip()] = float(value)
    except ValueError:
        raise UserError(f"--lr must be a number or name=number pairs like adam=0.1,sgd=0.01, got {text!r}") from None
    unknown = set(rates) - set(names)
    if unknown:
        raise UserError(f"--lr names {', '.join(sorted(unknown))}, not among --optimizers {', '.join(names)}")
    return rates


@app.command()
def explore(
    port: int = typer.Option(8765, min=1, max=65535, help="Port on 127.0.0.1."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (only this machine by default)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
) -> None:
    """Open the interactive explorer: sliders, optimizers, paths redrawn as you move them.

    Example: descend explore --port 8765
    """
    from ..explorer import serve

    with one_line_errors():
        for module in ("fastapi", "uvicorn", "plotly"):
            require(module, "descend explore")
    new_console().print(f"descend explorer on http://{host}:{port}/  (Ctrl+C to stop)")
    serve(host=host, port=port, open_browser=not no_browser)

"""``descend demo``: the applications on the data shipped with descend, and the optimizer race."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from .._extras import require
from ..choices import FUNCTION_NAMES
from .app import app, one_line_errors
from .views import new_console

# Learning rates for the optimizer race, tuned by hand on Rosenbrock from its
# classic start: for each method about the fastest that does not diverge.
RACE_LEARNING_RATES = {
    "sgd": 2e-3,
    "momentum": 2e-3,
    "nesterov": 1e-3,
    "adagrad": 0.5,
    "rmsprop": 1e-3,
    "adam": 0.05,
    "amsgrad": 0.05,
    "adamw": 0.05,
    "nadam": 2e-3,
    "adamax": 0.2,
    "adadelta": 1.0,
    "radam": 0.01,
}


class Demo(str, Enum):
    all = "all"
    housing = "housing"
    stocks = "stocks"
    bikes = "bikes"
    race = "race"


@app.command()
def demo(
    which: Demo = typer.Argument(
        Demo.all,
        help="housing: house prices on Boston; stocks: stock direction on the "
        "S&P 500; bikes: bike rentals by the hour (Poisson and "
        "quantile regression); all: those three; race: the "
        "optimizers on a test surface.",
    ),
    function: str = typer.Option("rosenbrock", help=f"For the race: {', '.join(FUNCTION_NAMES)}."),
    iters: int = typer.Option(10_000, min=1, max=1_000_000, help="For the race: most steps per optimizer."),
    plot: Path = typer.Option(
        None,
        help="For housing and stocks: write the loss curve to this file; for bikes: "
        "the monthly and hourly effects (.png, .svg, .pdf).",
    ),
) -> None:
    """Run the demos on the data shipped with descend (nothing is downloaded).

    Example: descend demo housing
    """
    with one_line_errors():
        from .. import demos

        if plot and not plot.parent.is_dir():  # before the fits, not after them
            raise FileNotFoundError(f"no such folder: {plot.parent}")
        if plot:
            require("matplotlib", "--plot")
        if which == Demo.race:
            race(function, iters)
        if which in (Demo.housing, Demo.all):
            demos.housing(plot=str(plot) if plot and which == Demo.housing else None)
        if which == Demo.all:
            new_console().print()
        if which in (Demo.stocks, Demo.all):
            demos.stocks(plot=str(plot) if plot and which == Demo.stocks else None)
        if which == Demo.all:
            new_console().print()
        if which in (Demo.bikes, Demo.all):
            demos.bikes(plot=str(plot) if plot and which == Demo.bikes else None)


def race(function: str, iters: int) -> None:
    """Every optimizer from the surface's classic start, each at its rate in RACE_LEARNING_RATES, as a table."""
    import numpy as np
    from rich.table import Table

    from ..curvature import safe_learning_rate
    from ..exceptions import DivergenceError
    from ..functions import get_function
    from ..minimize import minimize

    surface = get_function(function)
    console = new_console()
    start = surface.start
    minima = ", ".join("(" + ", ".join(f"{c:g}" for c in m) + ")" for m in surface.minima)
    console.print(
        f"Minimizing [bold]{surface.name}[/] from ({start[0]:g}, {start[1]:g}); "
        f"its minimum is {surface.min_value:g} at {minima}.\n"
        f"Plain gradient descent is safe there with a step up to 1/L = "
        f"{safe_learning_rate(surface, start):.3g}, L the curvature at the start "
        f"(descend.curvature.safe_learning_rate)."
    )
    table = Table(title=f"descend.minimize on {surface.name}, at most {iters} steps, tol 1e-8")
    for column in ("optimizer", "lr", "steps", "final loss", "distance to a minimum", "converged"):
        table.add_column(column, justify="left" if column == "optimizer" else "right")
    for name, lr in RACE_LEARNING_RATES.items():
        try:
            result = minimize(surface, start, name, lr=lr, max_iter=iters, tol=1e-8)
        except DivergenceError as error:
            table.add_row(name, f"{lr:g}", str(error.iteration), "diverged", "-", "no")
            continue
        distance = np.min(np.linalg.norm(surface.minima - result.x, axis=1))
        table.add_row(
            name,
            f"{lr:g}",
            str(result.n_iter),
            f"{result.fun:.3e}",
            f"{distance:.3e}",
            "yes" if result.converged else "no",
        )
    console.print(table)
    if surface.name != "bowl":
        console.print(
            "adamw's decoupled weight decay (0.01) pulls its end point off the minimum: "
            "it minimizes a different objective."
        )

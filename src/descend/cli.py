"""The ``descend`` command line."""

from __future__ import annotations

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from .curvature import safe_learning_rate
from .exceptions import DivergenceError
from .functions import FUNCTION_NAMES, get_function
from .minimize import minimize

app = typer.Typer(
    help="descend: gradient descent, end to end.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Learning rates for the demo race, tuned by hand on Rosenbrock from its
# classic start: for each method about the fastest that does not diverge.
DEMO_RACE = {
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


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


@app.callback()
def _root() -> None:
    """descend: gradient descent, end to end."""


@app.command()
def demo(
    function: str = typer.Option("rosenbrock", help=f"Test surface: {', '.join(FUNCTION_NAMES)}."),
    iters: int = typer.Option(10_000, min=1, max=1_000_000, help="Most steps per optimizer."),
) -> None:
    """Race every optimizer on a test surface and print where each ended."""
    try:
        surface = get_function(function)
    except ValueError as error:
        _fail(str(error))
    console = Console()
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
    for name, lr in DEMO_RACE.items():
        try:
            result = minimize(surface, start, name, lr=lr, max_iter=iters, tol=1e-8)
        except DivergenceError as error:
            table.add_row(name, f"{lr:g}", str(error.iteration), "diverged", "-", "no")
            continue
        distance = np.min(np.linalg.norm(surface.minima - result.x, axis=1))
        table.add_row(
            name, f"{lr:g}", str(result.n_iter), f"{result.fun:.3e}", f"{distance:.3e}",
            "yes" if result.converged else "no",
        )
    console.print(table)
    console.print(
        "adamw's decoupled weight decay (0.01) pulls its end point off the minimum: it minimizes a "
        "different objective." if surface.name != "bowl" else ""
    )


def main() -> None:
    app()

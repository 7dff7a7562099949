"""The ``descend`` command line."""

from __future__ import annotations

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from .exceptions import DivergenceError
from .functions import FUNCTION_NAMES, get_function
from .minimize import minimize

app = typer.Typer(
    help="descend: gradient descent, end to end.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Learning rates for the demo race, tuned by hand on Rosenbrock: each is
# about the largest that does not diverge from the classic start.
DEMO_RACE = {
    "sgd": 1e-3,
    "momentum": 1e-4,
    "nesterov": 1e-4,
    "adagrad": 0.5,
    "rmsprop": 1e-3,
    "adam": 0.05,
    "amsgrad": 0.05,
    "adamw": 0.05,
    "nadam": 0.05,
    "adamax": 0.1,
    "adadelta": 1.0,
    "radam": 0.05,
}


def _fail(message: str) -> None:
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
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
    console.print(
        f"Minimizing [bold]{surface.name}[/] from ({start[0]:g}, {start[1]:g}); "
        f"its minimum is {surface.min_value:g} at {', '.join(str(tuple(m)) for m in surface.minima)}."
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


def main() -> None:
    app()

"""What the commands print beside their results: tables of metrics and notices."""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from rich.console import Console
    from rich.table import Table


def metrics_table(title: str, metrics: Mapping[str, float | None]) -> Table:
    """A two-column table, metric and value, as fit and evaluate print it; a metric the rows do not
    define (None) as "undefined" and why."""
    from rich.table import Table

    from ..metrics import why_undefined

    table = Table(title=title, title_justify="left", min_width=len(title))
    table.add_column("metric")
    table.add_column("value", justify="right")
    undefined = why_undefined(metrics)
    for name, value in metrics.items():
        if name in undefined:
            table.add_row(name, f"undefined: {undefined[name]}")
        else:
            table.add_row(name, f"{value:.4g}" if isinstance(value, float) else str(value))
    return table


def new_console(stderr: bool = False) -> Console:
    """A rich Console (on stderr if asked), imported when a command runs: its help does not need it."""
    from rich.console import Console

    return Console(stderr=stderr)


def print_notice(console: Console, text: str) -> None:
    """Something the user should know that does not stop the command."""
    console.print(f"[yellow]notice:[/] {text}")


@contextmanager
def convergence_notice(console: Console, epochs: int) -> Iterator[None]:
    """A fit's warning that it ran out of epochs, as a notice saying how far it stopped; other
    warnings as they are."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        text = str(warning.message)
        if "returned unchanged" in text:  # a resumed fit that had ended already
            print_notice(
                console, "the checkpoint holds " + text.split(" holds ", 1)[-1].replace("max_iter", "--epochs")
            )
        elif "max_iter" in text:
            # "... reached max_iter=N epochs with the gradient's norm at ...: the fit stopped short ..."
            how_far = re.search(r"epochs (?:with|while) (.*?)(?:: the fit stopped short of the optimum)?\. Raise", text)
            detail = f" ({how_far.group(1)})" if how_far else ""
            print_notice(
                console, f"did not converge in {epochs} epoch{'' if epochs == 1 else 's'}{detail}; raise --epochs"
            )
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)

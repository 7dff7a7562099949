"""Case (y) of benchmarks/run.py, start-up: how long the command line takes to answer, as a whole process.

    python benchmarks/startup_cases.py [--json]

Each command runs 11 times in turn (after one run that warms the disk cache), and the median of each is kept:

- ``python -c pass``: the interpreter's own start on this machine, the floor of every command;
- ``descend --help`` and ``descend fit --help`` (targets: 0.3 s and 0.5 s);
- ``python -c "import descend"``, and the same with the estimators' first use (``descend.GDClassifier``, which
  loads scikit-learn) beside ``from sklearn.linear_model import SGDClassifier``, scikit-learn's own.

Each figure is the wall time of the process, from its start to its exit, measured from outside it. Nothing
here is asserted in the tests (a test holds that the help imports no numerical library).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time

RUNS = 11
DESCEND = shutil.which("descend") or "descend"
COMMANDS = {
    "python": [sys.executable, "-c", "pass"],
    "help": [DESCEND, "--help"],
    "fit_help": [DESCEND, "fit", "--help"],
    "import_descend": [sys.executable, "-c", "import descend"],
    "estimator": [sys.executable, "-c", "import descend; descend.GDClassifier"],
    "sklearn_estimator": [sys.executable, "-c", "from sklearn.linear_model import SGDClassifier"],
}
TARGETS = {"help": 0.3, "fit_help": 0.5}


def _wall(command):
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def case_y():
    """{name: {"median_s", "all_s"}} of each command, run in turn, RUNS times each."""
    for command in COMMANDS.values():
        _wall(command)  # warm the disk cache
    times = {name: [] for name in COMMANDS}
    for _ in range(RUNS):
        for name, command in COMMANDS.items():
            times[name].append(_wall(command))
    return {name: {"median_s": statistics.median(t), "all_s": sorted(t)} for name, t in times.items()}


def startup_lines(y):
    """The markdown of case (y)."""
    mark = {True: "met", False: "**missed**"}
    rows = [
        ("`python -c pass` (the interpreter's start, the floor)", "python", None),
        ("`descend --help`", "help", TARGETS["help"]),
        ("`descend fit --help`", "fit_help", TARGETS["fit_help"]),
        ('`python -c "import descend"`', "import_descend", None),
        ("`import descend; descend.GDClassifier` (loads scikit-learn)", "estimator", None),
        ("`from sklearn.linear_model import SGDClassifier`", "sklearn_estimator", None),
    ]
    lines = [
        "### (y) Start-up: the command line's help, as a whole process",
        "",
        f"The median of {RUNS} runs of each command, in turn (`benchmarks/startup_cases.py`), wall time from the "
        "process's start to its exit. The help loads neither NumPy nor anything that compiles (a test holds it); "
        "what remains is the interpreter, Typer and click, and the pydantic that Typer uses to read an option.",
        "",
        "| command | median | fastest, slowest | target |",
        "| --- | --- | --- | --- |",
    ]
    for label, key, target in rows:
        figure = y[key]
        verdict = f"< {target} s: {mark[figure['median_s'] < target]}" if target else ""
        lines.append(
            f"| {label} | {figure['median_s']:.3f} s | {figure['all_s'][0]:.3f}, {figure['all_s'][-1]:.3f} s "
            f"| {verdict} |"
        )
    return lines + [""]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as one line of JSON")
    args = parser.parse_args()
    y = case_y()
    print(json.dumps(y) if args.json else "\n".join(startup_lines(y)))


if __name__ == "__main__":
    main()

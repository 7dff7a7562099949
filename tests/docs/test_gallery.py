"""Every gallery script runs in seconds and draws its figure; every code block of the user guide runs."""

import re
import runpy
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SCRIPTS = sorted((ROOT / "examples").glob("plot_*.py"))
PAGES = sorted((ROOT / "docs" / "user_guide").glob("*.rst"))


def test_the_gallery_has_its_examples():
    names = {script.stem for script in SCRIPTS}
    assert len(names) >= 12
    for chapter in (
        "batch_gradient_descent",
        "mini_batch",
        "momentum",
        "adaptive",
        "sgd_per_sample",
        "early_stopping",
        "schedules",
        "penalties",
        "housing",
        "stocks",
        "visualizer",
        "streaming",
        "rosenbrock_paths",
        "learning_rate_sweep",
        "amsgrad",
        "text_hashing",
        "bikes",
    ):
        assert f"plot_{chapter}" in names


@pytest.mark.parametrize("script", SCRIPTS, ids=[script.stem for script in SCRIPTS])
def test_gallery_script_runs_and_draws(script, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    plt.close("all")
    started = time.perf_counter()
    runpy.run_path(str(script), run_name="__main__")
    elapsed = time.perf_counter() - started
    assert plt.get_fignums(), f"{script.name} drew no figure"
    plt.close("all")
    assert elapsed < 30, f"{script.name} took {elapsed:.1f} s"
    # sphinx-gallery's format: a docstring with a title underlined by '='.
    assert re.match(r'"""\n[^\n]+\n=+\n', script.read_text())


def code_blocks(page):
    """The ``.. code-block:: python`` blocks of a reST page, dedented."""
    blocks, lines = [], page.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() == ".. code-block:: python":
            body = []
            for following in lines[i + 1 :]:
                if following.strip() and not following.startswith("   "):
                    break
                body.append(following[3:])
            blocks.append("\n".join(body).strip("\n"))
    return blocks


@pytest.mark.parametrize("page", [p for p in PAGES if code_blocks(p)], ids=lambda p: p.stem)
def test_user_guide_code_runs(page, tmp_path, monkeypatch, capsys):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # some write files (a Parquet table, a checkpoint)
    namespace = {}
    for block in code_blocks(page):
        exec(compile(block, f"{page.name}", "exec"), namespace)


def test_the_user_guide_has_its_pages():
    names = {page.stem for page in PAGES}
    assert {
        "gradient_descent",
        "batches",
        "momentum",
        "adaptive",
        "schedules",
        "penalties",
        "early_stopping",
        "convergence",
        "linear_models",
        "streaming",
        "sparse",
        "command_line",
        "explorer",
    } <= names

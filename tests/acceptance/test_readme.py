"""The README's Python examples run as written and do what they say."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).parents[2] / "README.md"


def test_readme_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write pictures
    text = README.read_text()
    assert text.index("pip install -e . && descend demo") < text.index('pip install -e ".[test]" && python -m pytest')
    namespace = {}
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        exec(compile(block, str(README), "exec"), namespace)
    np.testing.assert_allclose(namespace["result"].x, [1.0, 1.0], atol=1e-6)
    assert namespace["lasso"].converged and np.any(namespace["lasso"].x == 0.0)
    assert np.all(np.abs(namespace["boxed"].x) <= 0.1)
    assert {"seed.png", "paths.png", "paths.gif", "grid.png"} <= {p.name for p in tmp_path.iterdir()}


def test_ci_runs_the_readme_test_command():
    ci = (README.parent / ".ci" / "run").read_text()
    # The README's command, with the docs and lint extras added: CI also builds the site (failing on a warning),
    # lints and type-checks.
    assert 'pip install -e ".[test]" && python -m pytest' in README.read_text()
    assert 'pip install -e ".[test,docs,lint]" && python -m pytest' in ci
    assert "python -m sphinx -W" in ci and 'exit "$docs"' in ci

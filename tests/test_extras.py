"""The lean install: what the core needs, what each extra adds, and the one line said when an extra is missing.

A missing package is simulated by ``sys.modules[name] = None``, which makes ``import name`` raise ImportError
as if it were not installed.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomllib
from packaging.requirements import Requirement

from descend._extras import EXTRA_OF, require
from descend.exceptions import MissingExtraError

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
OPTIONAL = ("matplotlib", "plotly", "fastapi", "uvicorn", "orjson", "dask", "distributed", "autograd")


def test_the_core_install_needs_none_of_the_optional_packages():
    core = {Requirement(requirement).name for requirement in PYPROJECT["project"]["dependencies"]}
    assert core == {"numpy", "scipy", "numba", "scikit-learn", "pandas", "pyarrow", "typer", "rich"}
    assert not core & set(OPTIONAL)


def test_each_optional_module_is_installed_by_the_extra_its_message_names():
    extras = PYPROJECT["project"]["optional-dependencies"]
    for module, extra in EXTRA_OF.items():
        # A package, or an extra of one: distributed comes with dask[distributed].
        installed = {name for r in map(Requirement, extras[extra]) for name in {r.name} | r.extras}
        assert module in installed, (module, extra)
    (every,) = map(Requirement, extras["all"])
    assert every.name == "descend" and every.extras == set(EXTRA_OF.values())
    assert "descend[all]" in extras["test"]  # the README's test command installs every feature


@pytest.fixture
def hidden(monkeypatch):
    """Hide the optional packages (and their submodules) from this process for one test."""
    for module in list(sys.modules):
        if module.split(".")[0] in OPTIONAL:
            monkeypatch.delitem(sys.modules, module)
    for module in OPTIONAL:
        monkeypatch.setitem(sys.modules, module, None)


def test_require_names_the_extra(hidden):
    with pytest.raises(
        MissingExtraError,
        match=r'^Drawing figures needs matplotlib, which descend\'s extra "plot" '
        r'installs: pip install "descend\[plot\]"$',
    ):
        require("matplotlib.pyplot", "Drawing figures")
    assert issubclass(MissingExtraError, ImportError)


def test_a_broken_package_keeps_its_own_error(tmp_path, monkeypatch):
    # matplotlib is there, but something it imports is not: that error, not the advice to install the extra.
    (tmp_path / "matplotlib").mkdir()
    (tmp_path / "matplotlib" / "__init__.py").write_text("import descend_test_no_such_module\n")
    for module in list(sys.modules):
        if module.split(".")[0] == "matplotlib":
            monkeypatch.delitem(sys.modules, module)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as raised:
        require("matplotlib", "Drawing figures")
    assert raised.value.name == "descend_test_no_such_module" and not isinstance(raised.value, MissingExtraError)


def test_the_library_says_which_extra(hidden):
    from descend import minimize
    from descend.explorer import create_app, html_paths
    from descend.plot import loss_curve, run_paths
    from descend.readers.dask_tables import DaskTable

    with pytest.raises(MissingExtraError, match=r'pip install "descend\[plot\]"'):
        loss_curve({"sgd": [1.0, 0.5]})
    with pytest.raises(MissingExtraError, match=r'pip install "descend\[explorer\]"'):
        create_app()
    with pytest.raises(MissingExtraError, match=r'pip install "descend\[explorer\]"'):
        html_paths("bowl", run_paths("bowl", ["sgd"], lr=0.1, iters=3), ROOT / "never-written.html")
    assert not (ROOT / "never-written.html").exists()
    with pytest.raises(MissingExtraError, match=r'pip install "descend\[autograd\]"'):
        minimize(lambda x: x @ x, np.ones(2), "sgd", jac="autograd")
    with pytest.raises(MissingExtraError, match=r'pip install "descend\[dask\]"'):
        DaskTable(ROOT / "src/descend/data/Boston.csv", "medv")


HIDE_AND_RUN = f"""
import sys
for module in {OPTIONAL!r}:
    sys.modules[module] = None
sys.argv = ["descend"] + sys.argv[1:]
from descend.cli import main
main()
"""


def _run_without_extras(*args, cwd):
    return subprocess.run(
        [sys.executable, "-c", HIDE_AND_RUN, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.mark.parametrize(
    "args, extra",
    [
        (["explore", "--no-browser"], "explorer"),
        (["paths", "--out", "paths.png"], "plot"),
        (["paths", "--out", "paths.html"], "explorer"),
        (["demo", "housing", "--plot", "curve.png"], "plot"),
        (
            ["fit", ROOT / "src/descend/data/Boston.csv", "--target", "medv", "--out", "model.json", "--plot", "c.png"],
            "plot",
        ),
        (
            [
                "fit",
                ROOT / "src/descend/data/Boston.csv",
                "--target",
                "medv",
                "--out",
                "model.json",
                "--scheduler",
                "tcp://127.0.0.1:1",
            ],
            "dask",
        ),
    ],
)
def test_the_command_line_says_which_extra_in_one_line(tmp_path, args, extra):
    run = _run_without_extras(*args, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.endswith(f'installs: pip install "descend[{extra}]"\n') and run.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # said before any work: nothing written


def test_the_core_commands_run_without_any_extra(tmp_path):
    run = _run_without_extras("demo", "housing", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "ISLR" in run.stdout
    fitted = _run_without_extras(
        "fit", ROOT / "src/descend/data/Boston.csv", "--target", "medv", "--out", "model.json", cwd=tmp_path
    )
    assert fitted.returncode == 0, fitted.stderr
    predicted = _run_without_extras("predict", "model.json", ROOT / "src/descend/data/Boston.csv", cwd=tmp_path)
    assert predicted.returncode == 0 and len(predicted.stdout.splitlines()) == 507, predicted.stderr

"""Numba's cache of descend's compiled functions follows the source (descend._compiled): an edit to a function
that another module's compiled code inlines, or a new version of descend, compiles anew.

Each run is a fresh process on a copy of the package, as an editable install edited between two runs is."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import descend

# SGD's step (optimizers/sgd.py) inlines weight_decayed (optimizers/_base.py). It runs with weight decay 0.5,
# and 1.0 for what a step that decays twice as much gives.
UPDATE = """
import json
import numpy as np
import descend
from descend.optimizers import SGD

steps = {}
for weight_decay in (0.5, 1.0):
    optimizer = SGD(lr=0.1, weight_decay=weight_decay)
    x = np.array([1.0, -2.0])
    optimizer.update(x, np.array([0.5, 0.25]), optimizer.init(x))
    steps[weight_decay] = x.tolist()
stats = SGD.step.stats
print(json.dumps({"file": descend.__file__, "x": steps[0.5], "x_twice": steps[1.0],
                  "hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}))
"""

# The kernels' mini-batch loop (_engine/kernels.py) inlines SGD's step (optimizers/sgd.py); learning rate
# 0.02 gives what a step twice as long gives.
FIT = """
import json
import warnings
import numpy as np
import descend
from descend import GDRegressor
from descend._engine import kernels

X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5], [2.0, 1.0]])
y = np.array([1.0, 2.0, 0.0, 3.0])
coef = {}
for lr in (0.01, 0.02):
    model = GDRegressor(optimizer="sgd", learning_rate=lr, batch_size=2, max_iter=1, tol=None, penalty=None,
                        fit_intercept=False, standardize=False, shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch does not converge
        model.fit(X, y)
    coef[lr] = model.coef_.tolist()
stats = kernels.batch_steps.stats
print(json.dumps({"file": descend.__file__, "x": coef[0.01], "x_twice": coef[0.02],
                  "hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}))
"""


def copy_package(tmp_path) -> Path:
    root = tmp_path / "src"
    shutil.copytree(Path(descend.__file__).parent, root / "descend", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def run(root, script, cache_dir=None) -> dict:
    """The script's report, run on the copy at ``root``; cached in ``cache_dir`` (None: beside the sources)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("NUMBA_")}
    env["PYTHONPATH"] = str(root)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert Path(report.pop("file")).is_relative_to(root)
    return report


def edit(path, old, new):
    source = path.read_text()
    assert source.count(old) == 1
    path.write_text(source.replace(old, new))


@pytest.mark.parametrize("cache", ["NUMBA_CACHE_DIR", "__pycache__"])
def test_an_edited_inlined_function_is_compiled_anew(tmp_path, cache):
    root = copy_package(tmp_path)
    cache_dir = tmp_path / "cache" if cache == "NUMBA_CACHE_DIR" else None
    first = run(root, UPDATE, cache_dir)
    assert (first["hits"], first["misses"]) == (0, 1)
    assert run(root, UPDATE, cache_dir) == {**first, "hits": 1, "misses": 0}  # the cache serves the same source
    if cache_dir is None:
        assert list((root / "descend" / "optimizers" / "__pycache__").glob("sgd.sgd_step-*.nbi"))
    else:
        assert list(cache_dir.rglob("sgd.sgd_step-*.nbi")) and not list(root.rglob("*.nbi"))

    edit(root / "descend" / "optimizers" / "_base.py", "d + weight_decay * x_i", "d + 2 * weight_decay * x_i")
    edited = run(root, UPDATE, cache_dir)
    assert edited["x"] == first["x_twice"] != first["x"]  # the edited function runs
    assert (edited["hits"], edited["misses"]) == (0, 1)


def test_a_new_version_is_compiled_anew(tmp_path):
    root = copy_package(tmp_path)
    first = run(root, UPDATE, tmp_path / "cache")
    assert (first["hits"], first["misses"]) == (0, 1)
    version = root / "descend" / "_version.py"
    edit(version, f'__version__ = "{descend.__version__}"', f'__version__ = "{descend.__version__}.post1"')
    assert run(root, UPDATE, tmp_path / "cache") == first


def test_the_kernels_run_an_edited_step(tmp_path):
    """The compiled kernels run an optimizer's step as it reads now, not as it read when they were cached."""
    root = copy_package(tmp_path)
    first = run(root, FIT, tmp_path / "cache")
    assert first["misses"] == 1
    assert run(root, FIT, tmp_path / "cache") == {**first, "hits": 1, "misses": 0}

    edit(root / "descend" / "optimizers" / "sgd.py", "x[i] -= lr * g[i]", "x[i] -= 2 * lr * g[i]")
    edited = run(root, FIT, tmp_path / "cache")
    assert not np.allclose(edited["x"], first["x"])
    np.testing.assert_allclose(edited["x"], first["x_twice"], rtol=1e-12)
    assert edited["misses"] == 1

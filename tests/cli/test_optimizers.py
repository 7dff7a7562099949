"""Every optimizer by name on the command line: `descend fit --optimizer NAME`, its model file, `descend
predict` (in-process, through Typer's test runner: a process each would take a minute)."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from descend.cli.app import app
from descend.optimizers import FULL_BATCH_OPTIMIZER_NAMES, MATRIX_OPTIMIZER_NAMES, OPTIMIZER_NAMES

NAMES = OPTIMIZER_NAMES + MATRIX_OPTIMIZER_NAMES + FULL_BATCH_OPTIMIZER_NAMES


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """300 rows, three features, three classes."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=np.digitize(X @ [1.0, -2.0, 0.5], [-1, 1]))
    path = tmp_path_factory.mktemp("table") / "table.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("name", NAMES)
def test_every_optimizer_fits_and_predicts_from_the_command_line(tmp_path, table, name):
    runner = CliRunner()
    batch = [] if name in FULL_BATCH_OPTIMIZER_NAMES else ["--batch-size", "32"]
    fitted = runner.invoke(
        app,
        [
            "fit",
            str(table),
            "--target",
            "label",
            "--task",
            "classification",
            "--optimizer",
            name,
            *batch,
            "--epochs",
            "5",
            "--out",
            str(tmp_path / "model.json"),
        ],
    )
    assert fitted.exit_code == 0, fitted.output
    assert "model written to" in fitted.output
    predicted = runner.invoke(
        app, ["predict", str(tmp_path / "model.json"), str(table), "--out", str(tmp_path / "predictions.csv")]
    )
    assert predicted.exit_code == 0, predicted.output
    assert len(pd.read_csv(tmp_path / "predictions.csv")) == 300


def test_an_optimizer_that_cannot_run_says_so_in_one_line(tmp_path, table):
    fitted = CliRunner().invoke(
        app,
        [
            "fit",
            str(table),
            "--target",
            "label",
            "--task",
            "classification",
            "--optimizer",
            "muon",
            "--batch-size",
            "1",
            "--out",
            str(tmp_path / "m.json"),
        ],
    )
    assert fitted.exit_code == 2
    assert "optimizer='muon' steps the whole coefficient matrix" in fitted.output
    assert "Traceback" not in fitted.output and not (tmp_path / "m.json").exists()

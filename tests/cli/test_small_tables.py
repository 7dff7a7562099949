"""descend fit / evaluate on small and odd tables, as a new user meets them (issue 12, parts 3 and 4)."""

import json

import numpy as np
import pandas as pd
import pytest


def refuse_nan(name):
    raise AssertionError(f"the model file holds {name}")


def read_model(path):
    return json.loads(path.read_text(), parse_constant=refuse_nan)


def assert_refused(out, folder, message):
    """One line on stderr, exit status 2, no traceback, no model file."""
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.strip() == f"error: {message}"
    assert "Traceback" not in out.stdout + out.stderr
    assert not (folder / "model.json").exists()


def test_a_column_of_numbers_with_a_word_is_named_with_its_value_and_row(tmp_path, run_cli):
    (tmp_path / "four.csv").write_text("a,b,y\n1.5,2,3.5\n2.7,x,4.1\n3.1,8,9.0\n0.4,1,2.2\n")
    out = run_cli("fit", "four.csv", "--target", "y", "--out", "model.json", cwd=tmp_path)
    assert_refused(
        out,
        tmp_path,
        "column 'b' is numeric but holds non-numeric values: data row 2 ('x') (3 of its 4 values are numbers)",
    )


@pytest.mark.parametrize(
    "rows, args, message",
    [
        (
            4,
            (),
            "holding out 20% of 4 rows leaves 1 row to measure on, fewer than 10; "
            "use more data or --test-size 0 to report training metrics",
        ),
        (
            45,
            (),
            "holding out 20% of 45 rows leaves 9 rows to measure on, fewer than 10; "
            "use more data, --test-size 0.23 or more, or --test-size 0 to report training metrics",
        ),
        (
            100,
            ("--test-size", "0.05"),
            "holding out 5% of 100 rows leaves 5 rows to measure on, fewer than 10; "
            "use more data, --test-size 0.10 or more, or --test-size 0 to report training "
            "metrics",
        ),
    ],
)
def test_a_held_out_split_too_small_to_measure_on_is_refused_with_advice(tmp_path, run_cli, rows, args, message):
    x = np.linspace(0, 1, rows)
    pd.DataFrame({"x": x, "y": 2 * x + np.sin(7 * x)}).to_csv(tmp_path / "small.csv", index=False)
    out = run_cli("fit", "small.csv", "--target", "y", "--out", "model.json", *args, cwd=tmp_path)
    assert_refused(out, tmp_path, message)


def test_a_held_out_split_with_fewer_rows_than_classes_is_refused(tmp_path, run_cli):
    frame = pd.DataFrame({"x": np.linspace(0, 1, 100), "y": np.repeat([f"c{i}" for i in range(20)], 5)})
    frame.to_csv(tmp_path / "classes.csv", index=False)
    out = run_cli("fit", "classes.csv", "-t", "y", "-o", "model.json", "--test-size", "0.1", cwd=tmp_path)
    assert_refused(
        out,
        tmp_path,
        "holding out 10% of 100 rows leaves 10 rows to measure on, fewer than the 20 "
        "classes of 'y'; use more data, --test-size 0.20 or more, or --test-size 0 to "
        "report training metrics",
    )


def test_a_tiny_table_keeps_its_unique_column_and_says_so(tmp_path, run_cli):
    (tmp_path / "three.csv").write_text("id,x,y\nA1,1.0,2.0\nB2,2.0,4.1\nC3,3.0,5.9\n")
    out = run_cli("fit", "three.csv", "-t", "y", "-o", "model.json", "--test-size", "0", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    said = " ".join(out.stdout.split())  # rich wraps the notice to the terminal's width
    assert (
        "notice: column 'id' has a different value in each of its 3 rows, like an identifier, but fewer "
        "than 20 rows cannot tell one from a category: it is kept as a feature (one-hot encoded); remove it "
        "if it only names the rows"
    ) in said
    assert "training metrics (no rows held out)" in said
    document = read_model(tmp_path / "model.json")
    assert document["preprocessing"]["ids"] == [] and document["preprocessing"]["categories"]["id"] == [
        "A1",
        "B2",
        "C3",
    ]


def test_a_big_table_drops_its_identifier_with_the_evidence(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": [f"C{i:05d}" for i in rng.permutation(1000)], "x": rng.normal(size=1000)})
    frame["y"] = 2 * frame["x"] + 0.1 * rng.normal(size=1000)
    frame.to_csv(tmp_path / "customers.csv", index=False)
    out = run_cli("fit", "customers.csv", "-t", "y", "-o", "model.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    said = " ".join(out.stdout.split())
    assert "notice: dropped column 'id': a different value in each of its 1000 rows, an identifier" in said
    assert read_model(tmp_path / "model.json")["preprocessing"]["ids"] == ["id"]


def test_an_undefined_held_out_r2_is_printed_as_such_and_written_as_null(tmp_path, run_cli):
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=100)})
    frame["y"] = 3 * frame["x"] + rng.normal(size=100)
    # The rows descend fit holds out (--test-size 0.2 --random-state 0, not stratified for regression)
    # all get the same target: R^2 divides by their variance, zero.
    _, held_out = train_test_split(np.arange(100), test_size=0.2, random_state=0)
    frame.loc[held_out, "y"] = 1.0
    frame.to_csv(tmp_path / "flat.csv", index=False)
    out = run_cli("fit", "flat.csv", "-t", "y", "-o", "model.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "held-out metrics (20 of 100 rows)" in out.stdout
    assert "undefined: the true values are all equal" in out.stdout and "nan" not in out.stdout.lower()
    metrics = read_model(tmp_path / "model.json")["metadata"]["metrics"]
    assert metrics["R^2"] is None and metrics["rows"] == 20 and metrics["RMSE"] > 0

    (tmp_path / "one.csv").write_text("x,y\n0.5,1.5\n")
    out = run_cli("evaluate", "model.json", "one.csv", "-t", "y", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "undefined: a single row" in out.stdout and "nan" not in out.stdout.lower()


def test_a_fit_short_of_tol_says_how_far_and_a_finished_checkpoint_says_so(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    pd.DataFrame(X, columns=list("abc")).assign(y=X @ [1.0, 2.0, -1.0] + rng.standard_normal(300)).to_csv(
        tmp_path / "t.csv", index=False
    )
    common = ("fit", "t.csv", "--target", "y", "--out", "m.json", "--epochs", "2", "--checkpoint", "ck.json")
    first = run_cli(*common, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "did not converge in 2 epochs (the gradient's norm at" in " ".join(first.stdout.split())
    again = run_cli(*common, "--resume", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "ran all its 2 epochs: its model is returned unchanged" in " ".join(again.stdout.split())

"""``descend fit --scheduler`` against a cluster started from the shell (`dask scheduler`, `dask worker`):
the workers read the files (issue 16, item 4)."""

import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def address():
    """A scheduler and 2 workers of one thread, as separate processes (``python -m dask`` is the ``dask``
    command, found whatever the PATH), torn down at the end; skipped when they cannot start."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--dashboard-address",
                ":0",
            ],
            **quiet,
        )
    ]
    try:
        time.sleep(1)
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "dask", "worker", address, "--nthreads", "1", "--no-dashboard"], **quiet
                )
            )
        try:
            with distributed.Client(address, timeout=30) as probe:
                probe.wait_for_workers(2, timeout=60)
        except (OSError, TimeoutError) as error:
            pytest.skip(f"a dask scheduler and workers could not start here: {error}")
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)) * [1, 3, 0.5, 2]
    colour = rng.choice(["red", "green", "blue"], n)
    y = X @ [1.0, -2.0, 0.5, 3.0] + (colour == "red") + 1.0 + 0.3 * rng.standard_normal(n)
    frame = pd.DataFrame(X, columns=list("abcd")).assign(colour=colour, id=np.arange(n), target=y)
    frame.loc[[5, n // 2], "target"] = np.nan
    return frame


def state(path):
    return json.loads(path.read_text())


def assert_same_fit(cluster, local):
    a, b = state(cluster), state(local)
    np.testing.assert_allclose(a["state"]["coef"], b["state"]["coef"], rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(a["state"]["intercept"], b["state"]["intercept"], rtol=1e-8)
    # impute none: the fill is never used, means on the cluster, medians in memory (see descend.readers.dask_tables)
    assert {**a["preprocessing"], "fill": None} == {**b["preprocessing"], "fill": None}
    assert a["metadata"]["rows"] == b["metadata"]["rows"]
    np.testing.assert_allclose(a["metadata"]["metrics"]["RMSE"], b["metadata"]["metrics"]["RMSE"], rtol=1e-8)


COMMON = ["--target", "target", "--penalty", "none", "--epochs", "25", "--random-state", "0"]


def test_a_csv_file_and_a_glob_of_8_parquet_files_fit_on_the_cluster_as_in_memory(address, tmp_path, run_cli):
    frame = data()
    frame.to_csv(tmp_path / "data.csv", index=False)
    frame.to_parquet(tmp_path / "whole.parquet", index=False)
    (tmp_path / "parts").mkdir()
    for index, rows in enumerate(np.array_split(np.arange(len(frame)), 8)):
        frame.iloc[rows].to_parquet(tmp_path / "parts" / f"p{index}.parquet", index=False)
    local = run_cli("fit", "whole.parquet", *COMMON, "--test-size", "0", "--out", "local.json", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    for given, out in (("data.csv", "csv.json"), ("parts/*.parquet", "parts.json")):  # paths relative to here
        on_cluster = run_cli("fit", given, *COMMON, "--out", out, "--scheduler", address, cwd=tmp_path)
        assert on_cluster.returncode == 0, on_cluster.stderr
        assert "dropped 2 row(s) whose target 'target' is missing" in on_cluster.stdout
        assert "dropped column 'id'" in on_cluster.stdout
        assert "training metrics over every row, on the cluster (2998 rows)" in on_cluster.stdout
        assert_same_fit(tmp_path / out, tmp_path / "local.json")
    assert state(tmp_path / "parts.json")["metadata"]["files"] == 8


def test_bad_input_is_one_line_and_no_model_file(address, tmp_path, run_cli):
    (tmp_path / "parts").mkdir()
    frame = data(n=300)
    frame.iloc[:150].to_parquet(tmp_path / "parts" / "p0.parquet", index=False)
    frame.iloc[150:].rename(columns={"c": "C"}).to_parquet(tmp_path / "parts" / "p1.parquet", index=False)
    cases = [
        (["none/*.parquet"], "no file matches none/*.parquet"),
        (["parts"], "p1.parquet has no column 'c', which p0.parquet has"),
        (
            ["parts/p0.parquet", "--test-size", "0.2"],
            "--test-size works in memory or with --stream, not with --scheduler",
        ),
        (["parts/p0.parquet", "--text", "colour"], "--text works in memory or with --stream"),
    ]
    for arguments, message in cases:
        result = run_cli(
            "fit", *arguments, "--target", "target", "--out", "model.json", "--scheduler", address, cwd=tmp_path
        )
        assert result.returncode == 2
        assert result.stderr.strip().count("\n") == 0 and message in result.stderr, result.stderr
        assert not (tmp_path / "model.json").exists()

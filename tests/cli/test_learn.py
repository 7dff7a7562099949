"""``descend learn`` (issue 25): one pass online, from files and standard input, in a shell pipeline with
``descend predict ... -``; stopped by SIGTERM with nothing lost; --save-every files never partial; --follow."""

import json
import os
import shlex
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from descend import GDClassifier, load
from descend.readers.vw import VWFormat

PYTHON = f"{shlex.quote(sys.executable)} -m descend"


def vw_lines(n, seed=0, start=0):
    """Lines of Vowpal Wabbit's format: a label of -1/1 from a linear rule on three features of namespace f,
    and a word of namespace w that says nothing."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = np.where(X @ [2.0, -1.0, 0.5] + 0.3 * rng.standard_normal(n) > 0, 1, -1)
    return [
        f"{label} 'r{start + i}|f a:{x[0]:.5f} b:{x[1]:.5f} c:{x[2]:.5f} |w word{i % 7}"
        for i, (label, x) in enumerate(zip(y, X, strict=True))
    ]


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def rows_in(path):
    """The row count a model file says it learned from (None while it is not there)."""
    try:
        return json.loads(path.read_text())["metadata"]["rows"]
    except FileNotFoundError:
        return None


def wait_for(condition, timeout=180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_learn_prints_vw_s_table_and_writes_a_model(run_cli, tmp_path):
    data = write_lines(tmp_path / "rows.vw", vw_lines(3000))
    run = run_cli("learn", data, "--out", tmp_path / "model.json")
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert lines[0].split()[:5] == ["average", "since", "rows", "label", "prediction"]
    counts = [int(line.split()[2]) for line in lines[2:-1]]
    assert counts == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3000]
    assert "3000 rows learned, progressive log_loss" in lines[-1]
    model = load(tmp_path / "model.json")
    assert isinstance(model, GDClassifier) and model.optimizer_.name == "normalized"
    document = json.loads((tmp_path / "model.json").read_text())
    assert document["metadata"]["rows"] == 3000 and document["metadata"]["format"] == "vw"
    final_loss = float(lines[-2].split()[0])
    assert document["metadata"]["progressive"]["loss"] == pytest.approx(final_loss, abs=1e-6)
    assert document["metadata"]["progressive"]["accuracy"] > 0.9


def test_a_shell_pipeline_learns_from_stdin_and_predicts_to_stdout(tmp_path):
    train, new = write_lines(tmp_path / "train.vw", vw_lines(2000)), tmp_path / "new.vw"
    # Rows to predict carry no label: a line starting at its first namespace.
    write_lines(new, [line.split("'", 1)[1].split("|", 1)[1].join(["|", ""]) for line in vw_lines(50, seed=1)])
    model = tmp_path / "model.json"
    learned = subprocess.run(
        f"cat {train} | {PYTHON} learn - --out {model} --quiet", shell=True, capture_output=True, text=True, timeout=300
    )
    assert learned.returncode == 0, learned.stderr
    predicted = subprocess.run(
        f"cat {new} | {PYTHON} predict {model} - | head -n 20", shell=True, capture_output=True, text=True, timeout=300
    )
    out = predicted.stdout.splitlines()
    assert out[0] == "prediction,probability_-1.0,probability_1.0" and len(out) == 20
    labels = np.array([float(line.split(",")[0]) for line in out[1:]])
    truth = np.array([int(line.split()[0]) for line in vw_lines(50, seed=1)[:19]])
    assert np.mean(labels == truth) > 0.8
    assert predicted.stderr == ""  # head closing the pipe is no error


def test_sigterm_mid_stream_writes_every_row_read(tmp_path):
    """Rows go in through a pipe; once the model file says it learned all of them, SIGTERM: the process
    exits 0 and its last model file holds every row, and it still predicts."""
    model = tmp_path / "model.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "descend",
            "learn",
            "-",
            "--out",
            str(model),
            "--save-every",
            "100",
            "--quiet",
            "--bits",
            "12",
        ],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    lines = vw_lines(1000)
    for start in range(0, 1000, 250):  # in pieces, the last line of one cut in two
        chunk = "".join(line + "\n" for line in lines[start : start + 250])
        process.stdin.write(chunk[:-20].encode())
        process.stdin.flush()
        time.sleep(0.05)
        process.stdin.write(chunk[-20:].encode())
        process.stdin.flush()
    wait_for(lambda: rows_in(model) == 1000)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()
    assert rows_in(model) == 1000
    assert "1000 rows learned" in stderr.decode()
    rows = VWFormat(n_features=2**12).parse("".join(line + "\n" for line in lines).encode())
    assert load(model).score(rows.X, rows.y) > 0.9


def test_save_every_files_are_never_partial(tmp_path):
    data = write_lines(tmp_path / "rows.vw", vw_lines(20_000))
    model = tmp_path / "model.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "descend",
            "learn",
            str(data),
            "--out",
            str(model),
            "--save-every",
            "50",
            "--quiet",
            "--bits",
            "12",
        ],
        stderr=subprocess.PIPE,
    )
    reads, counts = 0, []
    while process.poll() is None:
        if model.exists():
            counts.append(json.loads(model.read_text())["metadata"]["rows"])  # a partial file would not parse
            reads += 1
    assert process.wait(timeout=60) == 0, process.stderr.read().decode()
    assert reads > 3 and counts == sorted(counts)
    assert rows_in(model) == 20_000
    assert not [name for name in os.listdir(tmp_path) if name not in ("rows.vw", "model.json")]  # no temporary left


def test_follow_picks_up_rows_appended_after_start(tmp_path):
    lines = vw_lines(600)
    data = write_lines(tmp_path / "live.vw", lines[:200])
    model = tmp_path / "model.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "descend",
            "learn",
            str(data),
            "--follow",
            "--out",
            str(model),
            "--save-every",
            "50",
            "--quiet",
            "--bits",
            "12",
        ],
        stderr=subprocess.PIPE,
    )
    wait_for(lambda: rows_in(model) == 200)
    with data.open("a") as file:
        file.write("".join(line + "\n" for line in lines[200:]))
    wait_for(lambda: rows_in(model) == 600)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()
    assert rows_in(model) == 600


def test_initial_goes_on_where_a_model_stopped(run_cli, tmp_path):
    lines = vw_lines(2000)
    first, second = write_lines(tmp_path / "a.vw", lines[:1200]), write_lines(tmp_path / "b.vw", lines[1200:])
    whole = write_lines(tmp_path / "all.vw", lines)
    assert run_cli("learn", first, "--out", tmp_path / "a.json", "--quiet").returncode == 0
    run = run_cli("learn", second, "--initial", tmp_path / "a.json", "--out", tmp_path / "b.json", "--quiet")
    assert run.returncode == 0, run.stderr
    assert run_cli("learn", whole, "--out", tmp_path / "all.json", "--quiet").returncode == 0
    continued, at_once = load(tmp_path / "b.json"), load(tmp_path / "all.json")
    np.testing.assert_allclose(continued.coef_, at_once.coef_, rtol=1e-12)
    np.testing.assert_allclose(continued.intercept_, at_once.intercept_, rtol=1e-12)


def test_svmlight_and_csv_streams(run_cli, tmp_path):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((800, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.standard_normal(800)
    svm = tmp_path / "rows.svm"
    svm.write_text("".join(f"{t:.6f} 1:{a:.6f} 2:{b:.6f} 3:{c:.6f}\n" for t, (a, b, c) in zip(y, X, strict=True)))
    run = run_cli("learn", svm, "--out", tmp_path / "svm.json", "--quiet", "--bits", "4")
    assert run.returncode == 0, run.stderr
    # One pass of the normalized update: row 651's second feature, 3.89, beyond any before (3.06), rescales
    # its weight by (3.06 / 3.89)^2 (Ross et al. 2013), from -2.00 to -1.57; by row 800 it is back at -1.81.
    assert load(tmp_path / "svm.json").coef_[1:4] == pytest.approx([1.0, -2.0, 0.5], abs=0.2)
    csv = tmp_path / "rows.csv"
    csv.write_text("a,b,c,y\n" + "".join(f"{a},{b},{c},{t}\n" for t, (a, b, c) in zip(y, X, strict=True)))
    run = run_cli("learn", csv, "--target", "y", "--out", tmp_path / "csv.json")
    assert run.returncode == 0, run.stderr
    assert "RMSE" in run.stderr.splitlines()[0]
    assert load(tmp_path / "csv.json").coef_ == pytest.approx([1.0, -2.0, 0.5], abs=0.2)


def test_bad_lines_are_named_by_number_or_skipped(run_cli, tmp_path):
    lines = vw_lines(100)
    lines[41] = "x1 |f a:1"
    data = write_lines(tmp_path / "bad.vw", lines)
    run = run_cli("learn", data, "--out", tmp_path / "m.json", "--quiet")
    assert run.returncode == 2 and "line 42" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "m.json").exists()
    run = run_cli("learn", data, "--out", tmp_path / "m.json", "--quiet", "--skip-bad")
    assert run.returncode == 0 and "99 rows learned" in run.stderr and "1 malformed lines skipped" in run.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (("--target", "y"), "--target works on CSV"),
        (("--ngram", "2", "--format", "svmlight"), "--ngram works on Vowpal Wabbit's format"),
        (("--follow", "-"), "--follow reads a file"),
    ],
)
def test_flags_out_of_place_are_refused_in_one_line(run_cli, tmp_path, args, message):
    data = write_lines(tmp_path / "rows.vw", vw_lines(10))
    target = [a for a in args if a == "-"] or [str(data)]
    run = run_cli("learn", *target, *[a for a in args if a != "-"], "--out", tmp_path / "m.json")
    assert run.returncode == 2 and message in run.stderr and len(run.stderr.splitlines()) == 1


def test_fit_and_evaluate_read_vw_files_in_memory_with_their_importance(run_cli, tmp_path):
    lines = vw_lines(3000)
    weighted = [line.replace(" 'r", " 3 'r", 1) if i % 2 else line for i, line in enumerate(lines)]
    data = write_lines(tmp_path / "rows.vw", weighted)
    run = run_cli("fit", data, "--out", tmp_path / "model.json", "--n-features", 4096)
    assert run.returncode == 0, run.stderr
    assert "accuracy" in run.stdout
    document = json.loads((tmp_path / "model.json").read_text())
    assert document["preprocessing"]["kind"] == "vw" and document["preprocessing"]["n_features"] == 4096
    run = run_cli("evaluate", tmp_path / "model.json", data)
    assert run.returncode == 0 and "accuracy" in run.stdout, run.stderr
    # The weights count: the same rows unweighted give another model.
    plain = write_lines(tmp_path / "plain.vw", lines)
    assert run_cli("fit", plain, "--out", tmp_path / "plain.json", "--n-features", 4096).returncode == 0
    assert load(tmp_path / "plain.json").coef_.tolist() != load(tmp_path / "model.json").coef_.tolist()
    run = run_cli("fit", data, "--out", tmp_path / "m.json", "--stream")
    assert run.returncode == 2 and "descend learn" in run.stderr


def test_learn_on_two_threads_learns_every_row(run_cli, tmp_path):
    data = write_lines(tmp_path / "rows.vw", vw_lines(3000))
    run = run_cli("learn", data, "--out", tmp_path / "model.json", "--jobs", "2", "--quiet")
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "model.json").read_text())
    assert document["metadata"]["rows"] == 3000 and document["params"]["n_jobs"] == 2
    assert document["metadata"]["progressive"]["accuracy"] > 0.9
    bad = run_cli("learn", data, "--jobs", "0")
    assert bad.returncode != 0 and "n_jobs" in bad.stderr and "Traceback" not in bad.stderr

"""Checkpoints: a fit killed with SIGKILL and resumed ends with the same model, bit for bit."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

from descend import GDClassifier, GDRegressor
from descend.optimizers import ASGD

SCRIPT = textwrap.dedent("""
    import sys, json
    import numpy as np
    from descend import GDRegressor
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6000, 5))
    y = X @ np.arange(1.0, 6.0) + rng.standard_normal(6000)
    model = GDRegressor(optimizer="adam", learning_rate=0.01, batch_size=1, max_iter=25, tol=None,
                        early_stopping=True, n_iter_no_change=100, random_state=3,
                        checkpoint=sys.argv[1], checkpoint_every=1)
    model._engine = "reference"  # the readable path: slow enough to be killed mid-fit
    model.fit(X, y, resume=sys.argv[2] == "resume")
    print(json.dumps({"coef": model.coef_.tolist(), "intercept": model.intercept_.tolist(),
                      "n_iter": model.n_iter_, "history": model.history_}))
""")


def launch(tmp_path, name, mode):
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path / name), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_then_resume_gives_the_uninterrupted_model(tmp_path):
    whole = launch(tmp_path, "whole.json", "fresh")
    killed = launch(tmp_path, "killed.json", "fresh")
    deadline = time.time() + 240
    epoch = 0
    while time.time() < deadline:
        try:
            epoch = json.loads((tmp_path / "killed.json").read_text())["loop"]["epoch"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            epoch = 0
        if epoch >= 3:
            break
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL
    assert 3 <= epoch < 25, "the fit must be killed in the middle"
    resumed = launch(tmp_path, "killed.json", "resume")
    out_whole, err_whole = whole.communicate(timeout=300)
    out_resumed, err_resumed = resumed.communicate(timeout=300)
    assert whole.returncode == 0, err_whole
    assert resumed.returncode == 0, err_resumed
    a, b = json.loads(out_whole), json.loads(out_resumed)
    assert a["coef"] == b["coef"] and a["intercept"] == b["intercept"]  # bit for bit
    assert a["history"] == b["history"] and a["n_iter"] == b["n_iter"] == 25
    # A kill can strand a temporary file; the next write replaces the checkpoint whole and leaves none of its own.
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp" not in p.name) == ["killed.json", "whole.json"]


@pytest.mark.parametrize(
    "make",
    [
        lambda ck: GDRegressor(
            optimizer="nadam",
            learning_rate=0.01,
            batch_size=8,
            tol=None,
            random_state=0,
            checkpoint=ck,
            checkpoint_every=2,
        ),
        lambda ck: GDClassifier(
            optimizer="momentum",
            batch_size=4,
            tol=None,
            early_stopping=True,
            random_state=1,
            n_iter_no_change=50,
            checkpoint=ck,
        ),
        # The normalized update's sums, scales and totals; L-BFGS's pairs (the default full batch).
        lambda ck: GDClassifier(batch_size=1, tol=None, random_state=2, checkpoint=ck, checkpoint_every=3),
        lambda ck: GDRegressor(tol=None, checkpoint=ck),
        # The optimizers added later, each with its own state: ASGD's average (past its t0), Rprop's step
        # sizes and last signs, Adafactor's second moment, Lion's momentum, schedule-free AdamW's z, second
        # moment and averaging sums, Prodigy's distance estimate, Muon's momentum
        # matrix (the classifier of three classes: a 3 x 4 coefficient matrix).
        lambda ck: GDRegressor(optimizer=ASGD(t0=100), batch_size=8, tol=None, random_state=3, checkpoint=ck),
        lambda ck: GDRegressor(optimizer="rprop", batch_size=None, tol=None, checkpoint=ck),
        lambda ck: GDClassifier(optimizer="adafactor", batch_size=16, tol=None, random_state=4, checkpoint=ck),
        lambda ck: GDClassifier(optimizer="lion", batch_size=1, tol=None, random_state=5, checkpoint=ck),
        lambda ck: GDRegressor(optimizer="adamw_schedulefree", batch_size=8, tol=None, random_state=6, checkpoint=ck),
        lambda ck: GDClassifier(optimizer="prodigy", batch_size=None, tol=None, checkpoint=ck),
        lambda ck: GDClassifier(optimizer="muon", batch_size=16, tol=None, random_state=7, checkpoint=ck),
        lambda ck: GDRegressor(optimizer="ftrl", batch_size=1, tol=None, random_state=8, checkpoint=ck),
        lambda ck: GDRegressor(optimizer="sparse_adam", batch_size=4, tol=None, random_state=9, checkpoint=ck),
        lambda ck: GDClassifier(optimizer="sgd_schedulefree", batch_size=8, tol=None, random_state=10, checkpoint=ck),
    ],
)
def test_resume_on_the_compiled_path(tmp_path, make):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.standard_normal(400)
    if isinstance(make(None), GDClassifier):
        y = np.digitize(y, [-1, 1])
    checkpoint = tmp_path / "state.json"
    uninterrupted = make(None).set_params(max_iter=12).fit(X, y)
    make(str(checkpoint)).set_params(max_iter=6).fit(X, y)  # stops after 6 epochs, as if interrupted
    assert json.loads(checkpoint.read_text())["loop"]["epoch"] == 6
    resumed = make(str(checkpoint)).set_params(max_iter=12).fit(X, y, resume=True)
    np.testing.assert_array_equal(resumed.coef_, uninterrupted.coef_)
    np.testing.assert_array_equal(resumed.intercept_, uninterrupted.intercept_)
    assert resumed.history_ == uninterrupted.history_ and resumed.t_ == uninterrupted.t_


def test_resume_refuses_other_data_and_missing_files(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((100, 2)), rng.standard_normal(100)
    checkpoint = str(tmp_path / "state.json")
    GDRegressor(max_iter=3, tol=None, checkpoint=checkpoint).fit(X, y)
    with pytest.raises(ValueError, match="other data"):
        GDRegressor(max_iter=6, tol=None, checkpoint=checkpoint).fit(X + 1, y, resume=True)
    with pytest.raises(ValueError, match="needs an existing checkpoint"):
        GDRegressor(checkpoint=str(tmp_path / "none.json")).fit(X, y, resume=True)
    assert os.listdir(tmp_path) == ["state.json"]


def test_a_streamed_fit_resumes_where_it_stopped(tmp_path):
    """Checkpoints of a fit on a TableStream: the random state restored before the next epoch makes
    the stream shuffle it as the interrupted fit would have, and the first block's standardization
    and learning rate come from the checkpoint, not from the block the resumed fit starts on."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from descend.readers.stream import TableStream

    rng = np.random.default_rng(2)
    X = rng.standard_normal((3000, 4)) * [1.0, 2.0, 0.5, 3.0] + 1.0
    table = {f"x{j}": X[:, j] for j in range(4)} | {"y": X @ [1.0, -1.0, 2.0, 0.5] + rng.standard_normal(3000)}
    pq.write_table(pa.table(table), tmp_path / "data.parquet", row_group_size=500)
    source = TableStream(tmp_path / "data.parquet", "y", chunk_rows=400, buffer_rows=1000)
    checkpoint = str(tmp_path / "state.json")

    def make(max_iter, checkpoint=None):
        return GDRegressor(
            optimizer="adam", batch_size=16, max_iter=max_iter, tol=None, random_state=4, checkpoint=checkpoint
        )

    uninterrupted = make(5).fit(source)
    make(2, checkpoint).fit(source)  # stops after 2 epochs, as if interrupted
    assert json.loads((tmp_path / "state.json").read_text())["loop"]["epoch"] == 2
    resumed = make(5, checkpoint).fit(source, resume=True)
    np.testing.assert_array_equal(resumed.coef_, uninterrupted.coef_)
    np.testing.assert_array_equal(resumed.intercept_, uninterrupted.intercept_)
    assert resumed.history_ == uninterrupted.history_ and resumed.t_ == uninterrupted.t_
    assert resumed.rows_seen_ == uninterrupted.rows_seen_ == 5 * 3000

    with pytest.raises(ValueError, match="other data"):
        make(5, checkpoint).fit(TableStream(tmp_path / "data.parquet", "y", chunk_rows=300), resume=True)
    with pytest.warns(UserWarning, match="ran all its 5 epochs: its model is returned unchanged"):
        again = make(5, checkpoint).fit(source, resume=True)  # a job killed after its last checkpoint
    np.testing.assert_array_equal(again.coef_, uninterrupted.coef_)
    assert again.history_ == uninterrupted.history_
    with pytest.raises(ValueError, match="need a source that can be read again"):
        make(1, checkpoint).fit(iter([(X, X[:, 0])]))


def fits_stopped_by_tol(tmp_path):
    """(name, make(checkpoint, max_iter), data to fit on): fits whose stopping rule ends them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from descend.readers.stream import TableStream

    rng = np.random.default_rng(5)
    X = rng.standard_normal((2000, 5)) * [1.0, 2.0, 0.5, 3.0, 1.0]
    y = X @ [1.0, -1.0, 2.0, 0.5, 0.0] + rng.standard_normal(2000)
    labels = np.digitize(y, [-1.0, 1.0])
    pq.write_table(
        pa.table({f"x{j}": X[:, j] for j in range(5)} | {"y": y}), tmp_path / "data.parquet", row_group_size=500
    )
    stream = TableStream(tmp_path / "data.parquet", "y", chunk_rows=400, buffer_rows=1000)
    return [
        # the issue's: per-sample SGD, a plateau of the epoch's loss
        ("per-sample", lambda ck, n: GDRegressor(batch_size=1, random_state=3, max_iter=n, checkpoint=ck), (X, y)),
        # the full batch: the line search's step and window, and the gradient rule's reference
        ("full-batch", lambda ck, n: GDClassifier(penalty="l1", alpha=0.01, max_iter=n, checkpoint=ck), (X, labels)),
        (
            "streamed",
            lambda ck, n: GDRegressor(optimizer="adam", batch_size=16, random_state=4, max_iter=n, checkpoint=ck),
            (stream,),
        ),
    ]


def test_resuming_from_any_epoch_of_a_fit_stopped_by_tol_gives_its_model(tmp_path):
    """A job killed after any checkpoint, the last included, and resumed, ends with the model the
    uninterrupted fit ended with, bit for bit; resuming a fit that had stopped changes nothing."""
    from sklearn.exceptions import ConvergenceWarning

    for name, make, data in fits_stopped_by_tol(tmp_path):
        whole = make(None, 300).fit(*data)
        assert 2 < whole.n_iter_ < 300, name  # the stopping rule ended it
        for epoch in range(1, whole.n_iter_ + 1):
            checkpoint = str(tmp_path / f"{name}-{epoch}.json")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                make(checkpoint, epoch).fit(*data)  # the job's last checkpoint is this epoch's
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                resumed = make(checkpoint, 300).fit(*data, resume=True)
            np.testing.assert_array_equal(resumed.coef_, whole.coef_, err_msg=f"{name}, epoch {epoch}")
            np.testing.assert_array_equal(resumed.intercept_, whole.intercept_)
            assert resumed.history_ == whole.history_ and resumed.n_iter_ == whole.n_iter_
            said = [str(w.message) for w in caught]
            assert (epoch == whole.n_iter_) == any("stopping rule ended" in m for m in said), (name, epoch, said)

"""Training on a real Dask cluster (issue 6, part 2): worker processes on this machine."""

import os
import signal

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from descend import GDClassifier, GDRegressor  # noqa: E402
from descend.linear._trainer import Trainer  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


@pytest.fixture
def data(linear_data):
    """``data(n=4000, seed=0)``: 5 features on several scales, y linear in them plus 0.3 noise."""

    def make(n=4000, seed=0):
        return linear_data(
            n,
            [1.0, -2.0, 0.5, 0.0, 3.0],
            bias=1.0,
            noise=0.3,
            scale=[1, 3, 0.5, 2, 1],
            shift=[0, 1, 2, 0, 0],
            seed=seed,
        )

    return make


@pytest.mark.parametrize(
    "settings",
    [
        dict(penalty="elasticnet", alpha=0.01, max_iter=40, tol=None),
        dict(optimizer="adam", learning_rate=0.05, loss="huber", epsilon=1.0, max_iter=30, tol=None),
    ],
)
def test_full_batch_on_the_cluster_equals_the_in_memory_fit(client, data, settings):
    X, y = data()
    ours = GDRegressor(**settings).fit(da.from_array(X, chunks=(700, 5)), da.from_array(y, chunks=700))
    reference = GDRegressor(**settings).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, rtol=1e-8)
    np.testing.assert_allclose(ours.history_["loss"], reference.history_["loss"], rtol=1e-8)


@pytest.mark.parametrize(
    "loss, params", [("poisson", {}), ("tweedie", dict(power=1.5)), ("quantile", dict(quantile=0.8))]
)
def test_new_losses_on_the_cluster_equal_the_in_memory_fit(client, data, loss, params):
    """The log link, Tweedie's power and the quantile's smoothing stages run on the workers as in memory."""
    X, y = data(seed=2)
    if loss in ("poisson", "tweedie"):
        y = np.random.default_rng(2).poisson(np.exp(0.1 * (y - y.mean()) / y.std() + 1.0)).astype(float)
    settings = dict(loss=loss, max_iter=30, tol=None, **params)
    ours = GDRegressor(**settings).fit(da.from_array(X, chunks=(700, 5)), da.from_array(y, chunks=700))
    reference = GDRegressor(**settings).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.history_["loss"], reference.history_["loss"], rtol=1e-8)


def test_classifier_and_dataframes_on_the_cluster(client, data):
    import dask.dataframe as dd
    import pandas as pd

    X, y = data(seed=1)
    labels = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abcde")), npartitions=4)
    ours = GDClassifier(max_iter=25, tol=None).fit(frame, dd.from_pandas(pd.Series(labels), npartitions=4))
    reference = GDClassifier(max_iter=25, tol=None).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-8, atol=1e-10)
    assert list(ours.feature_names_in_) == list("abcde")


def test_mini_batches_average_local_models(client, data):
    X, y = data()
    model = GDRegressor(batch_size=16, max_iter=6, tol=None, random_state=0).fit(
        da.from_array(X, chunks=(1000, 5)), da.from_array(y, chunks=1000)
    )
    assert model.score(X, y) > 0.99  # approximate, but close
    np.testing.assert_allclose(model.coef_, [1.0, -2.0, 0.5, 0.0, 3.0], atol=0.1)


def test_a_worker_killed_mid_fit_does_not_stop_it(client, data, monkeypatch):
    X, y = data()
    settings = dict(penalty=None, max_iter=60, tol=None)
    pids = list(client.run(os.getpid).values())
    end_epoch = Trainer._end_epoch

    def end_epoch_killing_a_worker(self, state, record, mean_loss, lr):
        if record.epoch == 5:  # a fifth of the way through: the worker dies mid-fit, whatever its speed
            os.kill(pids[0], signal.SIGKILL)
        return end_epoch(self, state, record, mean_loss, lr)

    monkeypatch.setattr(Trainer, "_end_epoch", end_epoch_killing_a_worker)
    ours = GDRegressor(**settings).fit(da.from_array(X, chunks=(500, 5)), da.from_array(y, chunks=500))
    monkeypatch.undo()
    assert ours.n_iter_ == 60
    assert pids[0] not in client.run(os.getpid).values()  # that process is gone (a nanny may start another)
    reference = GDRegressor(**settings).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-8, atol=1e-10)


def test_no_checkpoints_on_a_cluster():
    with pytest.raises(ValueError, match="not on a Dask cluster"):
        GDRegressor(checkpoint="state.json").fit(da.ones((10, 2)), da.ones(10))

"""Online learning (issue 25): progressive_fit and progressive_validation equal a hand loop of predict,
then partial_fit, row by row and batch by batch; their sources; their reports."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file
from sklearn.metrics import log_loss, mean_absolute_error, mean_squared_error

from descend import GDClassifier, GDRegressor
from descend.datasets import StreamingDataSimulator
from descend.linear._settings import ONLINE_DAMPING, ONLINE_FIRST_ROWS, ONLINE_RATE
from descend.losses import get_loss, loss_and_derivative
from descend.online import progressive_validation, report_counts
from descend.readers.svmlight import SvmlightStream

N = 300


@pytest.fixture(scope="module")
def rows():
    """Dense rows on mixed scales, half zeros (so CSR rows differ from dense ones), a label and a target."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, 5)) * [1, 10, 0.1, 1, 3]
    X[rng.random(X.shape) < 0.5] = 0
    labels = np.where(X[:, 0] + X[:, 1] / 10 + rng.standard_normal(N) > 0, "yes", "no")
    target = X @ [1, 0.1, 10, -1, 0.3] + 2 + rng.standard_normal(N)
    return X, labels, target


def hand_loop(model, X, y, batch, **fit):
    """Score each batch with the model as it stands (0 before it has learned), then partial_fit on it; a
    fresh model's first part is its first ONLINE_FIRST_ROWS rows (or one batch, if more)."""
    scores, start = [], 0
    while start < X.shape[0]:
        stop = start + (batch if hasattr(model, "coef_") else max(batch, ONLINE_FIRST_ROWS))
        part = X[start:stop]
        if hasattr(model, "coef_"):
            scores.append(model.decision_function(part) if hasattr(model, "classes_") else model.predict(part))
        else:
            scores.append(np.zeros(part.shape[0]))
        model.partial_fit(part, y[start:stop], **fit)
        start = stop
    return np.concatenate(scores)


LEARNERS = [
    ({"optimizer": "normalized", "batch_size": 1}, 1),
    ({"optimizer": "adagrad", "batch_size": 8, "learning_rate": 0.1}, 8),
    ({"optimizer": "sgd", "batch_size": 1, "learning_rate": 0.002}, 1),
]


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("params, batch", LEARNERS)
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_progressive_fit_equals_the_hand_loop(rows, kind, params, batch, sparse):
    X, labels, target = rows
    X = sp.csr_matrix(X) if sparse else X
    make, y, fit = (
        (GDRegressor, target, {}) if kind == "regressor" else (GDClassifier, labels, {"classes": ["no", "yes"]})
    )
    model, by_hand = make(**params, shuffle=False), make(**params, shuffle=False)
    scores = model.progressive_fit(X, y, **fit)
    expected = hand_loop(by_hand, X, y, batch, **fit)
    assert scores.shape == (N,) and scores[0] == 0.0
    np.testing.assert_allclose(scores, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(model.coef_, by_hand.coef_)
    assert model.t_ == by_hand.t_ and model.batch_size_ == batch
    # It learned: the second half's scores beat those of the model it started from (all 0); plain SGD, at a
    # rate small enough for the column of scale 10, learns too slowly for 300 rows to show it.
    if params["optimizer"] == "sgd":
        return
    if kind == "regressor":
        assert np.mean((scores[150:] - y[150:]) ** 2) < 0.5 * np.mean(y[150:] ** 2)
    else:
        assert np.mean((scores[150:] > 0) != (y[150:] == "yes")) < 0.35


def test_progressive_fit_continues_and_settles_auto_for_rows_one_by_one(rows):
    X, labels, _ = rows
    model = GDClassifier()  # every parameter at its default
    first = model.progressive_fit(X[:100], labels[:100], classes=["no", "yes"])
    second = model.progressive_fit(X[100:], labels[100:])
    by_hand = hand_loop(
        GDClassifier(batch_size=1, shuffle=False),
        X,
        labels,
        1,
        classes=["no", "yes"],  # auto: the damped update
    )
    np.testing.assert_allclose(np.concatenate([first, second]), by_hand, rtol=1e-12, atol=1e-12)
    assert model.optimizer_.name == "normalized" and model.batch_size_ == 1
    assert (model.optimizer_.lr, model.optimizer_.damping) == (ONLINE_RATE, ONLINE_DAMPING)


def test_progressive_fit_refuses_the_full_batch(rows):
    X, _, target = rows
    with pytest.raises(ValueError, match="batch_size=None"):
        GDRegressor(batch_size=None).progressive_fit(X, target)


def test_progressive_fit_after_a_full_batch_fit_asks_for_a_batch_size(rows):
    # batch_size="auto" goes on with the fitted model's batch size, here the full batch's None: a
    # ValueError that says what to set (it was a TypeError from deep inside).
    X, _, target = rows
    model = GDRegressor().fit(X, target)
    assert model.batch_size_ is None
    with pytest.raises(ValueError, match="set batch_size"):
        model.progressive_fit(X[:10], target[:10])


def test_the_first_row_of_a_stream_starts_a_classifier_near_even_odds(rows):
    """One row learned alone: the intercept starts at the log-odds of its class counted with one row of
    each class (log 2), not at those of a share of 1 (log 1e6, which then takes many rows to undo)."""
    X, labels, _ = rows
    model = GDClassifier(optimizer="normalized", batch_size=1, learning_rate=1e-12).partial_fit(
        X[:1], labels[:1], classes=["no", "yes"]
    )
    assert model.intercept_[0] == pytest.approx(np.log(2.0) * (1 if labels[0] == "yes" else -1), rel=1e-6)


def hand_figures(model, X, y, batch, **fit):
    """The progressive figures of a hand loop: mean loss, and the metrics, computed independently."""
    scores = hand_loop(model, X, y, batch, **fit)
    loss = get_loss(model.loss)
    if "classes" in fit:
        signs = np.where(y == model.classes_[1], 1.0, -1.0)
        values, _ = loss_and_derivative(scores, signs, loss.code, np.zeros(2))
        proba = 1 / (1 + np.exp(-scores))
        predicted = model.classes_[(scores > 0).astype(int)]
        return values.mean(), {"accuracy": np.mean(predicted == y), "log loss": log_loss(y, proba)}
    values, _ = loss_and_derivative(scores, y, loss.code, np.zeros(2))
    return values.mean(), {"RMSE": np.sqrt(mean_squared_error(y, scores)), "MAE": mean_absolute_error(y, scores)}


@pytest.mark.parametrize("params, batch", LEARNERS[:2])
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_progressive_validation_equals_the_hand_loops_figures(rows, kind, params, batch):
    X, labels, target = rows
    make, y, fit = (
        (GDRegressor, target, {}) if kind == "regressor" else (GDClassifier, labels, {"classes": ["no", "yes"]})
    )
    result = progressive_validation(make(**params, shuffle=False), X, y, block_rows=64, **fit)
    loss, metrics = hand_figures(make(**params, shuffle=False), X, y, batch, **fit)
    assert result.final["rows"] == N
    assert result.final["loss"] == pytest.approx(loss, rel=1e-10)
    for name, value in metrics.items():
        assert result.final[name] == pytest.approx(value, rel=1e-10)
    np.testing.assert_array_equal(result.counts, [1, 2, 4, 8, 16, 32, 64, 128, 256, N])
    assert result.average_loss[-1] == pytest.approx(loss, rel=1e-10)


def test_reports_since_last_and_at_a_fixed_step(rows):
    X, _, target = rows
    scores = GDRegressor(optimizer="normalized", shuffle=False).progressive_fit(X, target)
    values = 0.5 * (scores - target) ** 2
    seen = []
    result = progressive_validation(
        GDRegressor(optimizer="normalized", shuffle=False),
        X,
        target,
        report_at=100,
        block_rows=64,
        on_report=seen.append,
    )
    np.testing.assert_array_equal(result.counts, [100, 200, 300])
    np.testing.assert_allclose(
        result.recent_loss, [values[:100].mean(), values[100:200].mean(), values[200:].mean()], rtol=1e-10
    )
    np.testing.assert_allclose(result.average_loss, [values[:c].mean() for c in (100, 200, 300)], rtol=1e-10)
    assert [row["rows"] for row in seen] == [100, 200, 300] and seen[1]["label"] == target[199]
    assert seen[1]["prediction"] == pytest.approx(scores[199])
    assert result.to_frame().shape[0] == 3 and "RMSE" in result.metrics
    assert report_counts("doubling", 4, 20) == [8, 16] and report_counts(7, 0, 20) == [7, 14]


def test_importance_weights_scale_the_steps_and_the_average(rows):
    X, _, target = rows
    weights = np.random.default_rng(1).uniform(0.5, 2.0, N)
    plain = GDRegressor(optimizer="normalized", shuffle=False).progressive_fit(X, target)
    model = GDRegressor(optimizer="normalized", shuffle=False)
    result = progressive_validation(model, X, target, sample_weight=weights)
    weighted = GDRegressor(optimizer="normalized", shuffle=False).progressive_fit(X, target, sample_weight=weights)
    assert np.abs(weighted - plain).max() > 1e-3  # the weights change the steps
    values = 0.5 * (weighted - target) ** 2
    assert result.final["loss"] == pytest.approx(np.sum(weights * values) / weights.sum(), rel=1e-10)


def test_sources_of_blocks_give_what_arrays_give(rows, tmp_path):
    X, labels, target = rows
    expected = progressive_validation(GDRegressor(optimizer="normalized"), X, target).final
    pairs = [(X[s : s + 50], target[s : s + 50]) for s in range(0, N, 50)]
    assert progressive_validation(GDRegressor(optimizer="normalized"), iter(pairs)).final == pytest.approx(expected)
    triples = [(a, b, np.ones(len(b))) for a, b in pairs]
    assert progressive_validation(GDRegressor(optimizer="normalized"), triples).final == pytest.approx(expected)
    path = tmp_path / "rows.svm"
    dump_svmlight_file(X, target, str(path), zero_based=True)
    stream = SvmlightStream(path, n_features=5, zero_based=True, shuffle=False, chunk_rows=70)
    from_file = progressive_validation(GDRegressor(optimizer="normalized"), stream).final
    assert from_file["loss"] == pytest.approx(expected["loss"], rel=1e-9)  # svmlight keeps 16 digits


def test_a_simulated_stream(rows):
    stream = StreamingDataSimulator(3, weights=[1.0, -2.0, 0.5], noise=0.1, batch_size=20, random_state=0)
    result = progressive_validation(GDRegressor(), stream.batches(100), report_at=500)
    assert result.final["rows"] == 2000 and list(result.counts) == [500, 1000, 1500, 2000]
    assert result.recent_loss[-1] < 0.05 < result.recent_loss[0]  # the noise's 0.005, once learned


def test_bad_arguments_are_named(rows):
    X, _, target = rows
    with pytest.raises(ValueError, match="report_at must be"):
        progressive_validation(GDRegressor(), X, target, report_at=0)
    with pytest.raises(ValueError, match="block_rows must be"):
        progressive_validation(GDRegressor(), X, target, block_rows=0)
    with pytest.raises(ValueError, match="y is required"):
        progressive_validation(GDRegressor(), X)
    with pytest.raises(ValueError, match="X has 300 rows and y 2"):
        progressive_validation(GDRegressor(), X, target[:2])
    with pytest.raises(ValueError, match="no rows"):
        progressive_validation(GDRegressor(), iter([]))
    with pytest.raises(TypeError, match="blocks are"):
        progressive_validation(GDRegressor(), [X])


def test_the_normalized_update_learns_a_repeated_column_as_often_as_it_appears(rows):
    """A CSR row may repeat a column (Vowpal Wabbit's format repeats a word): the normalized update meets
    it as often (as Vowpal Wabbit does); every other step adds the repeats up first."""
    X, labels, _ = rows
    X = sp.csr_matrix(X)
    doubled = sp.csr_matrix((np.repeat(X.data, 2), np.repeat(X.indices, 2), 2 * X.indptr), shape=X.shape)
    counted = doubled.copy()
    counted.sum_duplicates()
    fit = {"classes": ["no", "yes"]}
    normalized = [
        GDClassifier(optimizer="normalized", shuffle=False).progressive_fit(data, labels, **fit)
        for data in (doubled, counted)
    ]
    assert np.abs(normalized[0] - normalized[1]).max() > 1e-3
    adagrad = [
        GDClassifier(optimizer="adagrad", batch_size=1, shuffle=False).progressive_fit(data, labels, **fit)
        for data in (doubled, counted)
    ]
    np.testing.assert_allclose(adagrad[0], adagrad[1], rtol=1e-12)  # scored as X @ w: x w + x w, or 2x w
    assert doubled.nnz == 2 * X.nnz  # the caller's matrix is left as it was

"""The data sets shipped with the package, and the streaming simulator's concept drift."""

import numpy as np
import pytest
from sklearn.utils import check_random_state

from descend.datasets import BIKESHARE_LEVELS, StreamingDataSimulator, load_bikeshare, load_default


def test_default_is_shipped_with_its_attribution():
    default = load_default()
    assert default.frame.shape == (10_000, 4)
    assert list(default.frame.columns) == ["default", "student", "balance", "income"]
    assert default.data.shape == (10_000, 3) and default.feature_names == ["balance", "income", "student"]
    assert list(default.data.columns) == default.feature_names and default.target_name == "default"
    assert set(default.data["student"]) == {0, 1}
    assert (default.data["student"] == 1).sum() == (default.frame["student"] == "Yes").sum()
    assert set(default.target) == {"Yes", "No"}
    assert round((default.target == "Yes").mean(), 3) == 0.033  # ISLR: 3.3% of the customers default
    assert "ISLP" in default.DESCR and "BSD" in default.DESCR


def test_bikeshare_is_shipped_with_its_attribution():
    bikes = load_bikeshare()
    assert bikes.frame.shape == (8_645, 15) and bikes.target_name == "bikers"
    assert (bikes.frame["casual"] + bikes.frame["registered"] == bikes.target).all()
    assert {"casual", "registered", "bikers"}.isdisjoint(bikes.feature_names)  # their sum is the target
    assert list(bikes.data.columns) == bikes.feature_names and len(bikes.feature_names) == 12
    for column, levels in BIKESHARE_LEVELS.items():  # categoricals in their natural order, every value a level
        assert list(bikes.data[column].cat.categories) == levels and bikes.data[column].notna().all()
    assert bikes.data["mnth"].cat.categories[0] == "Jan" and bikes.data["weathersit"].cat.categories[0] == "clear"
    assert bikes.data["weathersit"].value_counts()["heavy rain/snow"] == 1  # one hour: its coefficient rests on it
    assert bikes.target.min() >= 1 and bikes.target.dtype.kind == "i"
    assert "ISLP" in bikes.DESCR and "BSD" in bikes.DESCR


# StreamingDataSimulator: the random walk, abrupt and gradual concept drift


def stream_before_concept_drift(
    n_batches, n_features=3, *, weights=None, bias=0.0, noise=0.1, batch_size=32, drift=0.0, random_state=None
):
    """The simulator's batches as it drew them before concept drift existed (its code, line for line)."""
    rng = check_random_state(random_state)
    weights = rng.standard_normal(n_features) if weights is None else np.array(weights, dtype=float)
    for _ in range(n_batches):
        X = rng.standard_normal((batch_size, len(weights)))
        y = X @ weights + bias + noise * rng.standard_normal(batch_size)
        if drift:
            weights = weights + drift * rng.standard_normal(len(weights))
        yield X, y


def rows_of(stream, n_batches):
    """All the rows of ``n_batches`` batches, and for each whether it followed the new concept."""
    Xs, ys, new = [], [], []
    for X, y in stream.batches(n_batches):
        Xs.append(X), ys.append(y), new.append(stream.last_batch_new_concept)
    return np.vstack(Xs), np.concatenate(ys), np.concatenate(new)


@pytest.mark.parametrize(
    "settings",
    [{}, {"drift": 0.05}, {"weights": [1.0, -2.0], "bias": 0.3, "noise": 0.5, "batch_size": 7, "drift": 0.2}],
)
def test_a_stream_without_concept_drift_is_the_same_as_before_bit_for_bit(settings):
    stream = StreamingDataSimulator(random_state=3, **settings)
    for (X, y), (X_before, y_before) in zip(
        stream.batches(6), stream_before_concept_drift(6, random_state=3, **settings)
    ):
        assert np.array_equal(X, X_before) and np.array_equal(y, y_before)
        assert not stream.last_batch_new_concept.any()
    assert stream.rows_drawn == 6 * stream.batch_size and stream.new_weights is None and stream.new_bias is None


@pytest.mark.parametrize(
    "settings",
    [
        {"concept_drift": "abrupt", "drift_position": 50},
        {"concept_drift": "gradual", "drift_position": 50, "drift_width": 30, "drift": 0.1},
    ],
)
def test_same_seed_same_batches_with_a_concept_drift(settings):
    first, second = (StreamingDataSimulator(4, batch_size=16, random_state=7, **settings) for _ in range(2))
    for (X1, y1), (X2, y2) in zip(first.batches(8), second.batches(8)):
        assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert np.array_equal(first.new_weights, second.new_weights)
    other = StreamingDataSimulator(4, batch_size=16, random_state=8, **settings)
    assert not np.array_equal(
        other.next_batch()[0], StreamingDataSimulator(4, batch_size=16, random_state=7, **settings).next_batch()[0]
    )


@pytest.mark.parametrize("position", [0, 32, 40, 63])  # the first row, a batch's first row, mid-batch, its last
def test_an_abrupt_drift_switches_concept_at_exactly_its_row(position):
    old, new = np.array([1.0, -2.0, 0.5]), np.array([-1.5, 0.0, 3.0])
    stream = StreamingDataSimulator(
        weights=old,
        bias=0.5,
        noise=0.0,
        batch_size=16,
        concept_drift="abrupt",
        drift_position=position,
        new_weights=new,
        new_bias=-1.0,
        random_state=0,
    )
    X, y, followed_new = rows_of(stream, 6)
    before = np.arange(len(y)) < position
    np.testing.assert_allclose(y[before], X[before] @ old + 0.5, rtol=0, atol=1e-12)
    np.testing.assert_allclose(y[~before], X[~before] @ new - 1.0, rtol=0, atol=1e-12)
    assert np.array_equal(followed_new, ~before)


def test_a_gradual_drift_moves_from_the_old_concept_to_the_new_around_its_position():
    old, new = np.array([1.0, -2.0, 0.5]), np.array([-1.5, 0.0, 3.0])
    stream = StreamingDataSimulator(
        weights=old,
        noise=0.0,
        batch_size=100,
        concept_drift="gradual",
        drift_position=2000,
        drift_width=400,
        new_weights=new,
        random_state=0,
    )
    X, y, followed_new = rows_of(stream, 40)
    matches_old = np.isclose(y, X @ old, rtol=0, atol=1e-12)
    matches_new = np.isclose(y, X @ new, rtol=0, atol=1e-12)
    assert np.array_equal(matches_new, followed_new) and np.array_equal(matches_old, ~followed_new)
    share_new = followed_new.reshape(20, 200).mean(axis=1)  # windows of 200 rows
    assert share_new[:5].max() == 0.0 and share_new[-5:].min() == 1.0  # rows 0-999: p <= 5e-5; 3000-3999: >= 1 - 5e-5
    assert 0.3 < followed_new[1900:2100].mean() < 0.7  # p = 1/2 at the position
    assert np.all(np.diff(share_new[6:14]) > -0.15)  # rising through rows 1200-2800, but for the draws' noise
    expected = stream.new_concept_probability(np.arange(4000)).reshape(20, 200).mean(axis=1)
    np.testing.assert_allclose(share_new, expected, atol=0.12)  # binomial: 3.4 standard deviations of 200 draws
    assert any(0 < batch.mean() < 1 for batch in followed_new.reshape(40, 100))  # a batch mixes the two


def test_the_probability_of_the_new_concept():
    gradual = StreamingDataSimulator(2, concept_drift="gradual", drift_position=100, drift_width=40)
    np.testing.assert_allclose(
        gradual.new_concept_probability([80, 100, 120]), [1 / (1 + np.exp(2)), 0.5, 1 / (1 + np.exp(-2))], rtol=1e-14
    )
    assert gradual.new_concept_probability(10**9) == 1.0 and gradual.new_concept_probability(0) < 1e-4
    abrupt = StreamingDataSimulator(2, concept_drift="abrupt", drift_position=5)
    assert abrupt.new_concept_probability(4) == 0.0 and abrupt.new_concept_probability(5) == 1.0
    assert StreamingDataSimulator(2).new_concept_probability(10**6) == 0.0


def test_the_new_concept_is_drawn_when_not_given_and_walks_with_the_old():
    stream = StreamingDataSimulator(3, bias=0.25, drift=0.1, concept_drift="abrupt", drift_position=10, random_state=0)
    assert stream.new_weights.shape == (3,) and not np.allclose(stream.new_weights, stream.weights)
    assert stream.new_bias == 0.25
    gap = stream.new_weights - stream.weights
    start = stream.weights.copy()
    for _ in stream.batches(5):
        pass
    assert not np.allclose(stream.weights, start)  # the random walk moved the weights...
    np.testing.assert_allclose(stream.new_weights - stream.weights, gap, atol=1e-12)  # ...both by the same step


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"concept_drift": "sudden", "drift_position": 5}, "Unknown concept_drift 'sudden'; valid names are: abrupt"),
        ({"concept_drift": "abrupt"}, "concept_drift='abrupt' needs drift_position"),
        ({"concept_drift": "abrupt", "drift_position": -1}, "drift_position must be an integer >= 0, got -1"),
        ({"concept_drift": "abrupt", "drift_position": 2.5}, "drift_position must be an integer >= 0, got 2.5"),
        ({"concept_drift": "abrupt", "drift_position": 5, "drift_width": 10}, "drift_width is the width of a gradual"),
        ({"concept_drift": "gradual", "drift_position": 5}, "concept_drift='gradual' needs drift_width"),
        (
            {"concept_drift": "gradual", "drift_position": 5, "drift_width": 0},
            "drift_width must be a finite number > 0",
        ),
        (
            {"concept_drift": "gradual", "drift_position": 5, "drift_width": -3.0},
            "drift_width must be a finite number > 0, got -3.0",
        ),
        (
            {"concept_drift": "abrupt", "drift_position": 5, "new_weights": [1.0, 2.0]},
            r"new_weights must have shape \(3,\), like weights, got \(2,\)",
        ),
        (
            {"drift_position": 5, "new_bias": 1.0},
            "drift_position, new_bias describe a concept drift, but concept_drift is None",
        ),
    ],
)
def test_concept_drift_arguments_are_checked(settings, message):
    with pytest.raises(ValueError, match=message):
        StreamingDataSimulator(3, **settings)


def test_a_concept_drift_name_must_be_a_string():
    with pytest.raises(TypeError, match="concept_drift must be a name, got bool: True"):
        StreamingDataSimulator(3, concept_drift=True, drift_position=5)

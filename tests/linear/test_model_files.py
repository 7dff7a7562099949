"""Model files: exact round trips, refusal of anything else, atomic writes."""

import json

import numpy as np
import pytest

import descend
from descend import GDClassifier, GDRegressor, load
from descend.io import ModelFileError, load_model, write_atomically
from descend.linear._model_file import unpacked
from descend.optimizers import Adam


@pytest.fixture
def data(linear_data):
    """``data()``: 300 rows, 4 features on scales from 0.1 to 10, y linear in them plus noise."""
    return lambda: linear_data(300, [1.0, 0.2, -5.0, 0.3], scale=[1, 10, 0.1, 3])


@pytest.mark.parametrize(
    "make",
    [
        lambda: GDRegressor(optimizer=Adam(lr=0.05), batch_size=16, random_state=0, max_iter=20),
        lambda: GDRegressor(loss="huber", penalty="elasticnet", max_iter=50),
        lambda: GDClassifier(max_iter=50),
        lambda: GDClassifier(loss="hinge", optimizer="momentum", batch_size=8, max_iter=10, random_state=0),
    ],
)
def test_a_saved_model_loads_and_predicts_identically(tmp_path, data, make):
    X, y = data()
    if "Classifier" in repr(make()):
        y = np.digitize(y, [-1, 1])  # three classes
    model = make().fit(X, y)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = descend.load(path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.history_ == {k: list(map(float, v)) for k, v in model.history_.items()}
    # A loaded model can go on training (warm start) without an optimizer state.
    loaded.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert loaded.n_iter_ == model.n_iter_ + 2


def test_the_file_is_documented_json(tmp_path, data):
    X, y = data()
    path = tmp_path / "model.json"
    GDRegressor().fit(X, y).save(path, metadata={"note": "test"})
    document = json.loads(path.read_text())
    assert document["format"] == "descend-model" and document["version"] == 2
    assert document["estimator"] == "GDRegressor" and document["metadata"] == {"note": "test"}
    assert len(document["state"]["coef"]) == 4


@pytest.mark.parametrize(
    "content,match",
    [
        ("{not json", "not JSON"),
        ('{"hello": 1}', "'format' field"),
        ('{"format": "descend-model", "version": 3}', "version 3"),
        ('{"format": "descend-model", "version": 1, "estimator": "os.system"}', "missing or malformed"),
        (
            '{"format": "descend-model", "version": 1, "estimator": "GDRegressor", "params": {}, "state": {}}',
            "missing or malformed",
        ),
        (
            '{"format": "descend-model", "version": 1, "estimator": "GDRegressor", "params": {"optimizer": '
            '{"class": "Popen", "params": {}}}, "state": {}}',
            "unknown optimizer class 'Popen'",
        ),
        ("\x00\x01binary", "not JSON"),
    ],
)
def test_anything_else_is_refused(tmp_path, content, match):
    path = tmp_path / "model.json"
    path.write_text(content)
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


def test_unfitted_models_are_not_saved(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        GDRegressor().save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def broken(stream):
        stream.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, broken)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_an_unstandardized_model_stores_its_center_and_scale_as_one_number_each(tmp_path):
    """Center 0 and scale 1 in every column (standardize=False, as on sparse rows) are one number in the
    file, not a list as long as the columns: a hashed model's file is a third of the size."""
    import scipy.sparse as sp

    X = sp.random(200, 5000, density=0.01, format="csr", random_state=0)
    y = np.arange(200) % 2
    model = GDClassifier(batch_size=1, standardize=False, max_iter=2, tol=None, random_state=0).fit(X, y)
    model.save(tmp_path / "m.json")
    state = json.loads((tmp_path / "m.json").read_text())["state"]
    assert state["center"] == 0.0 and state["scale"] == 1.0 and np.shape(state["coef"]) == (1, 5000)
    loaded = descend.load(tmp_path / "m.json")
    np.testing.assert_array_equal(loaded.decision_function(X), model.decision_function(X))


@pytest.mark.parametrize(
    "name",
    descend.optimizers.OPTIMIZER_NAMES
    + descend.optimizers.MATRIX_OPTIMIZER_NAMES
    + descend.optimizers.FULL_BATCH_OPTIMIZER_NAMES,
)
def test_every_optimizer_round_trips_through_a_model_file(tmp_path, data, name):
    """Each optimizer by name: its hyperparameters written (Prodigy's growth_rate=inf included) and read
    back as they were, the same predictions, and a warm start from the file goes on as from the model."""
    X, y = data()
    y = np.digitize(y, [-1, 1])  # three classes: a coefficient matrix, which Muon needs
    batch_size = None if name == "lbfgs" else 32
    model = GDClassifier(optimizer=name, batch_size=batch_size, max_iter=3, tol=None, random_state=0).fit(X, y)
    model.save(tmp_path / "model.json")
    loaded = descend.load(tmp_path / "model.json")
    assert loaded.optimizer_ == model.optimizer_
    np.testing.assert_array_equal(loaded.decision_function(X), model.decision_function(X))


def test_mostly_zero_arrays_are_written_as_their_non_zeros_and_read_back_exactly(tmp_path):
    """Hashed features: of 2^16 coefficients a few hundred are learned; the file keeps those (and the
    optimizer's state, so that learning goes on exactly), and the model read back predicts bit for bit."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X = sp.random(2000, 2**16, density=5e-5, random_state=1, format="csr")
    y = (X @ rng.standard_normal(2**16) > 0).astype(int)
    model = GDClassifier(optimizer="normalized", batch_size=1, random_state=0).fit(X, y)
    path = tmp_path / "hashed.json"
    model.save(path)
    document = json.loads(path.read_text())
    coef = document["state"]["coef"]
    assert set(coef) == {"shape", "nonzero", "values"} and len(coef["nonzero"]) == np.count_nonzero(model.coef_)
    assert 0 < len(coef["nonzero"]) < 2**16 / 8
    assert set(document["state"]["optimizer_state"]["sum_squares"]["array"]) == {"shape", "nonzero", "values"}
    again = load(path)
    np.testing.assert_array_equal(again.coef_, model.coef_)
    np.testing.assert_array_equal(again.decision_function(X), model.decision_function(X))
    continued = model.set_params(shuffle=False).partial_fit(X[:300], y[:300])
    reloaded = again.set_params(shuffle=False).partial_fit(X[:300], y[:300])
    np.testing.assert_array_equal(continued.coef_, reloaded.coef_)
    with pytest.raises(ValueError, match="do not fit its shape"):
        unpacked({"shape": [4], "nonzero": [7], "values": [1.0]})

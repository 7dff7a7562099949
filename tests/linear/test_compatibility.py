"""Files written by descend 0.1.0 before the linear models became a package still load
(fixtures from tests/make_compat_fixtures.py, run on that version)."""

import json
import shutil
from pathlib import Path

import numpy as np

import descend
from descend import GDRegressor

FIXTURES = Path(__file__).parents[1] / "data" / "compat_0.1.0"


def test_an_old_checkpoint_resumes_to_the_old_uninterrupted_model(tmp_path):
    """The version 1 checkpoint keeps NAdam's mu_product as a number beside the step count; resumed
    today, the fit ends where the old version's uninterrupted fit did."""
    data = np.load(FIXTURES / "data.npz")
    expected = json.loads((FIXTURES / "expected.json").read_text())
    checkpoint = tmp_path / "checkpoint.json"
    shutil.copy(FIXTURES / "checkpoint.json", checkpoint)
    assert json.loads(checkpoint.read_text())["version"] == 1
    resumed = GDRegressor(
        optimizer="nadam",
        learning_rate=0.01,
        batch_size=16,
        max_iter=6,
        tol=None,
        random_state=5,
        checkpoint=str(checkpoint),
    ).fit(data["X"], data["y"], resume=True)
    np.testing.assert_allclose(resumed.coef_, expected["resumed_coef"], rtol=1e-12)
    np.testing.assert_allclose(resumed.intercept_, expected["resumed_intercept"], rtol=1e-12)
    np.testing.assert_allclose(resumed.history_["loss"], expected["resumed_history"], rtol=1e-12)
    assert resumed.n_iter_ == 6 and json.loads(checkpoint.read_text())["version"] == 3


def test_an_old_model_file_predicts_as_it_did():
    data = np.load(FIXTURES / "data.npz")
    expected = json.loads((FIXTURES / "expected.json").read_text())
    model = descend.load(FIXTURES / "classifier.json")
    np.testing.assert_array_equal(model.predict_proba(data["X"]), expected["classifier_proba"])

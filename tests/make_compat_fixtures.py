"""Regenerate tests/data/compat_0.1.0/: a checkpoint and a model file as descend 0.1.0 wrote them
before the linear models became a package (commit 0c40807), and what that version computed from them.

    git worktree add /tmp/descend-0c40807 0c40807
    PYTHONPATH=/tmp/descend-0c40807/src python tests/make_compat_fixtures.py

tests/linear/test_compatibility.py checks that today's descend reads both: the checkpoint resumes
to the model the old version's uninterrupted fit ended with, and the model file predicts as it did.
"""

import json
from pathlib import Path

import numpy as np

import descend
from descend import GDClassifier, GDRegressor

OUT = Path(__file__).parent / "data" / "compat_0.1.0"


def data():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((300, 3)) * [1.0, 4.0, 0.2] + [0.0, 2.0, -1.0]
    y = X @ [1.0, -0.5, 3.0] + 0.3 * rng.standard_normal(300)
    return X, y


def nadam(checkpoint, max_iter):
    return GDRegressor(
        optimizer="nadam",
        learning_rate=0.01,
        batch_size=16,
        max_iter=max_iter,
        tol=None,
        random_state=5,
        checkpoint=checkpoint,
    )


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    X, y = data()
    np.savez(OUT / "data.npz", X=X, y=y)
    whole = nadam(None, 6).fit(X, y)
    nadam(str(OUT / "checkpoint.json"), 3).fit(X, y)  # stopped after 3 of the 6 epochs
    labels = np.digitize(y, [-1.0, 1.0])
    classifier = GDClassifier(optimizer="adam", batch_size=8, max_iter=5, tol=None, random_state=0).fit(X, labels)
    classifier.save(OUT / "classifier.json")
    expected = {
        "descend_version": descend.__version__,
        "resumed_coef": whole.coef_.tolist(),
        "resumed_intercept": whole.intercept_.tolist(),
        "resumed_history": whole.history_["loss"],
        "classifier_proba": classifier.predict_proba(X).tolist(),
    }
    (OUT / "expected.json").write_text(json.dumps(expected))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

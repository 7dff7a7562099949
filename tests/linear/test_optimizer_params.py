"""An optimizer object as an estimator parameter: scikit-learn can clone it and tune its hyperparameters."""

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from descend import GDRegressor
from descend.optimizers import Adam


def test_clone_keeps_the_optimizer_hyperparameters():
    model = GDRegressor(optimizer=Adam(lr=0.05, betas=(0.8, 0.99)))
    twin = clone(model)
    assert twin.optimizer == model.optimizer and twin.optimizer is not model.optimizer
    assert twin.optimizer.lr == 0.05 and twin.optimizer.betas == (0.8, 0.99)


def test_grid_search_tunes_the_optimizer_learning_rate():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=60)
    grid = [0.01, 0.1]
    search = GridSearchCV(GDRegressor(optimizer=Adam(lr=0.001), random_state=0), {"optimizer__lr": grid}, cv=3).fit(
        X, y
    )
    assert search.best_params_["optimizer__lr"] in grid
    assert search.best_estimator_.optimizer.lr == search.best_params_["optimizer__lr"]
    assert [params["optimizer__lr"] for params in search.cv_results_["params"]] == grid
    # The fits differ, so each clone trained with its own grid value.
    assert len(set(search.cv_results_["mean_test_score"])) == len(grid)
    # Each candidate tuned a clone: the optimizer given to the search is left as it was.
    assert search.estimator.optimizer.lr == 0.001

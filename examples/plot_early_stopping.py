"""
Early stopping
==============

With 150 rows and 100 features, least squares can fit the noise: the training loss keeps falling while
the loss on held-out rows levels off well above it. ``early_stopping=True`` holds out
``validation_fraction`` of the rows, stops when their loss has not improved for ``n_iter_no_change`` epochs, and keeps the weights of the best
epoch (``best_iteration_``).
"""

import numpy as np

from descend import GDRegressor
from descend.plot import loss_curve

rng = np.random.default_rng(0)
X = rng.standard_normal((150, 100))
y = X[:, :5] @ np.array([2.0, -1.0, 1.0, 0.5, -0.5]) + rng.standard_normal(150)
model = GDRegressor(
    learning_rate=0.01,
    batch_size=16,
    penalty=None,
    early_stopping=True,
    validation_fraction=0.3,
    n_iter_no_change=20,
    tol=1e-4,
    max_iter=500,
    random_state=0,
).fit(X, y)
print("stopped after", model.n_iter_, "epochs; best epoch", model.best_iteration_)
loss_curve(model, title="Early stopping: training and validation loss")

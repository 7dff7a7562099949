"""
House prices on Boston
======================

ISLR's least-squares fit of the median house value ``medv`` on the twelve predictors of Boston (shipped
with descend, :func:`descend.datasets.load_housing`), by full-batch gradient descent, against the
closed-form least-squares solution: the coefficients agree to many digits. The right panel shows the
fitted values against the actual ones.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LinearRegression

from descend import GDRegressor
from descend.datasets import load_housing

housing = load_housing()
X, y = housing.data, housing.target
model = GDRegressor(penalty=None, tol=1e-10, max_iter=20_000).fit(X, y)
exact = LinearRegression().fit(X, y)
print("largest difference to the closed form:", np.max(np.abs(model.coef_ - exact.coef_)))
print("R^2 on the training data:", round(model.score(X, y), 4))

figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
positions = np.arange(len(housing.feature_names))
left.barh(positions + 0.2, model.coef_, height=0.4, label="descend (gradient descent)")
left.barh(positions - 0.2, exact.coef_, height=0.4, label="closed form")
left.set_yticks(positions, housing.feature_names)
left.set_xscale("symlog", linthresh=0.1)
left.set_title("coefficients ($1000s per unit)")
left.legend(fontsize=8)
right.scatter(y, model.predict(X), s=8, alpha=0.6)
right.plot([0, 50], [0, 50], color="black", linewidth=0.8)
right.set_xlabel("actual medv")
right.set_ylabel("fitted medv")
right.set_title(f"fitted against actual, R^2 = {model.score(X, y):.3f}")
figure.tight_layout()

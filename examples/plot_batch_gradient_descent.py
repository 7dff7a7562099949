"""
Batch gradient descent and its loss curve
=========================================

Full-batch gradient descent on least squares: every step uses all the rows, so the loss falls at every
step. At a constant learning rate below :math:`2/L` (here 0.05, with the features standardized) it falls
geometrically, a straight line on the log scale, until it meets the noise floor, the loss of the exact
least-squares fit.
"""

import numpy as np
from sklearn.linear_model import LinearRegression

from descend import GDRegressor
from descend.datasets import make_linear
from descend.plot import loss_curve

X, y, true_weights, true_bias = make_linear(1000, 3, weights=[1.5, -2.0, 0.5], bias=4.0, noise=0.5, random_state=0)
model = GDRegressor(optimizer="sgd", learning_rate=0.05, penalty=None, max_iter=150, tol=None).fit(X, y)
exact = LinearRegression().fit(X, y)
floor = 0.5 * np.mean((exact.predict(X) - y) ** 2)
print("descend weights", np.round(model.coef_, 4), "intercept", np.round(model.intercept_[0], 4))
print("exact weights  ", np.round(exact.coef_, 4), "intercept", np.round(exact.intercept_, 4))

figure = loss_curve(model, title="Full-batch gradient descent, learning rate 0.05")
figure.axes[0].axhline(floor, color="gray", linestyle=":", label="exact least squares")
figure.axes[0].legend(fontsize=8)

"""
Stochastic gradient descent, one sample per step
================================================

With ``batch_size=1`` each step follows one row's gradient. At a constant learning rate the iterates
never settle: they keep bouncing in a ball whose size grows with the rate. A decaying rate
(``schedule="invscaling"``, :math:`\\eta_t = \\eta_0 / t^{1/4}` as scikit-learn's ``SGDRegressor``) shrinks
the ball, and the loss creeps down to the floor.
"""

from descend import GDRegressor
from descend.datasets import make_linear
from descend.plot import loss_curve

X, y, _, _ = make_linear(2000, 4, noise=1.0, random_state=3)
runs = {}
for label, schedule in [("constant rate", "constant"), ("invscaling", "invscaling")]:
    runs[label] = GDRegressor(
        learning_rate=0.05, batch_size=1, schedule=schedule, penalty=None, max_iter=25, tol=None, random_state=0
    ).fit(X, y)
    print(label, "final loss", round(runs[label].history_["loss"][-1], 5))
loss_curve(runs, title="One sample per step, learning rate 0.05")

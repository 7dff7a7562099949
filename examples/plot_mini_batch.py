"""
Batch, mini-batch and stochastic gradient descent
=================================================

The same least-squares problem, the same learning rate, three batch sizes. The full batch takes one
exact step per epoch; mini-batches of 32 take 32 noisy steps per epoch and get close in a few epochs;
one sample per step (stochastic gradient descent) takes 1000 steps per epoch, and its noise keeps the
loss above the floor until the learning rate decays.
"""

from descend import GDRegressor
from descend.datasets import make_linear
from descend.plot import loss_curve

X, y, _, _ = make_linear(1000, 5, noise=0.5, random_state=1)
runs = {}
for label, batch_size in [("full batch", None), ("batches of 32", 32), ("one sample", 1)]:
    runs[label] = GDRegressor(
        learning_rate=0.01, batch_size=batch_size, penalty=None, max_iter=30, tol=None, random_state=0
    ).fit(X, y)
    print(f"{label:14s} final training loss {runs[label].history_['loss'][-1]:.4f}")

loss_curve(runs, title="Learning rate 0.01: training loss per epoch")

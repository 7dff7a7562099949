"""
Online learning from a stream
=============================

:class:`descend.datasets.StreamingDataSimulator` draws batches from a linear model; ``partial_fit`` takes
one optimizer step per batch (``batch_size`` rows at a time). On a fixed model the error of the weights
falls and stays low; when the true weights drift after every batch, the model tracks them, a constant
distance behind.
"""

import matplotlib.pyplot as plt
import numpy as np

from descend import GDRegressor
from descend.datasets import StreamingDataSimulator

figure, ax = plt.subplots(figsize=(6.5, 4))
for drift, color in [(0.0, "tab:blue"), (0.02, "tab:orange")]:
    stream = StreamingDataSimulator(
        4, weights=[2.0, -3.0, 0.5, 1.0], bias=0.7, noise=0.1, batch_size=50, drift=drift, random_state=0
    )
    model = GDRegressor(optimizer="adam", learning_rate=0.05, batch_size=10, penalty=None, random_state=0)
    errors = []
    for X, y in stream.batches(300):
        truth = stream.weights.copy()  # the weights this batch was drawn from
        model.partial_fit(X, y)
        errors.append(np.abs(model.coef_ - truth).max())
    ax.semilogy(errors, color=color, label=f"drift {drift}: last error {errors[-1]:.3f}")
ax.set_xlabel("batch")
ax.set_ylabel("largest error of a weight")
ax.set_title("partial_fit on a stream of batches of 50 (Adam, lr 0.05)")
ax.legend(fontsize=8)

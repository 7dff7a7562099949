"""
Adaptive methods: Adagrad, RMSprop and Adam
===========================================

Plain gradient descent must take one learning rate for every coordinate, small enough for the steepest.
Adagrad (Duchi et al. 2011) divides each coordinate's step by the root of its summed squared gradients,
RMSprop (Tieleman & Hinton 2012) by a moving average of them, and Adam (Kingma & Ba 2015) adds momentum
and corrects both averages' bias. On a quadratic whose curvatures differ by a factor of 1000 the adaptive
methods move both coordinates at the same pace.
"""

import matplotlib.pyplot as plt
import numpy as np

from descend import minimize
from descend.functions import Quadratic

f = Quadratic(np.diag([1.0, 1000.0]))
start = [3.0, 0.5]
settings = {"sgd": 1.9e-3, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.1}
figure, ax = plt.subplots(figsize=(6.5, 4))
for (name, lr), color in zip(settings.items(), ["tab:red", "tab:green", "tab:purple", "tab:blue"]):
    result = minimize(f, start, name, lr=lr, max_iter=300, tol=None)
    ax.semilogy(result.loss_history, color=color, label=f"{name} (lr {lr:g}): f = {result.fun:.1e}")
    print(f"{name:8s} after 300 steps: f = {result.fun:.3e}")
ax.set_xlabel("step")
ax.set_ylabel("f(x)")
ax.set_title("curvatures 1 and 1000, 300 steps")
ax.legend(fontsize=8)

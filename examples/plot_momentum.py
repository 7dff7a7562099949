"""
Momentum on an ill-conditioned quadratic
========================================

On :math:`f(x) = \\tfrac12 x^\\top A x` with eigenvalues :math:`\\mu = 1` and :math:`L = 50`, gradient
descent at its best constant step :math:`2/(\\mu + L)` needs about :math:`\\kappa/2 = 25` steps per decade
of error; the heavy ball at Goh's optimal parameters (:func:`descend.curvature.optimal_momentum`),
learning rate :math:`(2/(\\sqrt L + \\sqrt\\mu))^2` and momentum
:math:`((\\sqrt L - \\sqrt \\mu)/(\\sqrt L + \\sqrt \\mu))^2`, needs about :math:`\\sqrt\\kappa/2`. The
measured rates match :func:`descend.curvature.momentum_rate`.
"""

import matplotlib.pyplot as plt
import numpy as np

from descend import minimize
from descend.curvature import momentum_rate, optimal_momentum
from descend.functions import Quadratic
from descend.optimizers import SGD

mu, L = 1.0, 50.0
f = Quadratic(np.diag([mu, L]))
start = [1.0, 0.8]
lr, beta = optimal_momentum(mu, L)
runs = {
    f"gradient descent, lr 2/(mu+L) = {2 / (mu + L):.3f}": minimize(
        f, start, SGD(lr=2 / (mu + L)), max_iter=150, tol=None
    ),
    f"heavy ball, lr {lr:.3f}, momentum {beta:.3f}": minimize(
        f, start, SGD(lr=lr, momentum=beta), max_iter=150, tol=None
    ),
}
figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
xs, ys = np.meshgrid(np.linspace(-0.2, 1.2, 200), np.linspace(-1.2, 1.2, 200))
left.contour(xs, ys, 0.5 * (mu * xs**2 + L * ys**2), levels=np.geomspace(0.01, 40, 15), colors="gray", linewidths=0.6)
for (label, result), color in zip(runs.items(), ["tab:red", "tab:blue"]):
    left.plot(*result.path[:40].T, color=color, marker="o", markersize=2.5, label=label)
    error = np.linalg.norm(result.path, axis=1)
    right.semilogy(error, color=color, label=label)
kappa_rate = (L / mu - 1) / (L / mu + 1)
right.semilogy(kappa_rate ** np.arange(150), color="tab:red", linestyle=":", label="(kappa-1)/(kappa+1) per step")
right.semilogy(
    momentum_rate(mu, L) ** np.arange(150),
    color="tab:blue",
    linestyle=":",
    label="(sqrt(kappa)-1)/(sqrt(kappa)+1) per step",
)
left.set_title("the first 40 steps")
left.set_xlim(-0.2, 1.2)
left.set_ylim(-1.2, 1.2)
left.legend(fontsize=7, loc="lower right")
right.set_title("distance to the minimum")
right.set_xlabel("step")
right.legend(fontsize=7)
figure.tight_layout()

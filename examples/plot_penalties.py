"""
L1 and L2 penalties: the coefficient paths
==========================================

Ridge (L2) shrinks every coefficient smoothly towards zero; the lasso (L1) sets them to exactly zero one
by one, because its proximal step (soft thresholding, :func:`descend.penalties.soft_threshold`) maps every
weight within :math:`\\eta\\alpha` of zero to zero. The coefficients of Boston housing (standardized
features) as the penalty grows.
"""

import matplotlib.pyplot as plt
import numpy as np

from descend import GDRegressor
from descend.datasets import load_housing

housing = load_housing()
X, y = housing.data, housing.target
alphas = np.geomspace(1e-3, 10, 12)
figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
for ax, penalty in zip(axes, ["l2", "l1"]):
    paths = np.array(
        [GDRegressor(penalty=penalty, alpha=alpha, max_iter=2000, tol=1e-6).fit(X, y).coef_ for alpha in alphas]
    )
    ax.semilogx(alphas, paths)
    ax.axhline(0, color="black", linewidth=0.6)
    zeros = (paths == 0).sum(axis=1)
    ax.set_title(f"{penalty.upper()}: exact zeros at each alpha: {zeros.tolist()}", fontsize=9)
    ax.set_xlabel("alpha")
axes[0].set_ylabel("coefficient (per standard deviation of the feature)")
figure.suptitle("Boston housing: ridge shrinks, the lasso selects")
figure.tight_layout()

"""
Adam fails on Reddi et al.'s example; AMSGrad does not
======================================================

Reddi, Kale & Kumar (2018) built an online problem on :math:`x \\in [-1, 1]` where Adam converges to the
worst point. The loss at step :math:`t` is :math:`f_t(x) = C x` when :math:`t \\bmod 3 = 1` and
:math:`-x` otherwise, with :math:`C = 3`: over each cycle the sum is :math:`(C - 2) x`, smallest at
:math:`x = -1`. With :math:`\\beta_1 = 0` and :math:`\\beta_2 = 1/(1 + C^2)`, Adam's rare large gradient
:math:`C` is forgotten by its second-moment average before it comes again, so the frequent small
gradients :math:`-1` win and Adam walks to :math:`x = +1`. AMSGrad keeps the largest second moment seen
and goes to :math:`-1`. (:func:`descend.minimize` calls ``fun`` once per step, in order, so the loss may
change with the step; ``bounds`` projects onto the interval.)
"""

import matplotlib.pyplot as plt
import numpy as np

from descend import minimize
from descend.optimizers import Adam

C = 3.0


def online_loss():
    step = 0

    def fun(x):
        nonlocal step
        step += 1
        slope = C if step % 3 == 1 else -1.0
        return slope * x[0], np.array([slope])

    return fun


figure, ax = plt.subplots(figsize=(6.5, 4))
for amsgrad, color in [(False, "tab:red"), (True, "tab:blue")]:
    optimizer = Adam(lr=0.05, betas=(0.0, 1 / (1 + C**2)), amsgrad=amsgrad)
    result = minimize(online_loss(), [0.5], optimizer, bounds=(-1.0, 1.0), max_iter=3000, tol=None)
    name = "AMSGrad" if amsgrad else "Adam"
    ax.plot(result.path[:, 0], color=color, label=f"{name}: x ends at {result.x[0]:+.2f}")
    print(name, "ends at", result.x[0])
ax.axhline(-1, color="black", linestyle=":", linewidth=0.8)
ax.set_xlabel("step")
ax.set_ylabel("x")
ax.set_ylim(-1.1, 1.1)
ax.set_title("Reddi et al.'s counter-example, C = 3: the optimum is x = -1")
ax.legend(fontsize=8)

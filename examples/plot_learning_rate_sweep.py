"""
A learning-rate sweep: too small, right, too large
==================================================

Gradient descent on the bowl :math:`x^2 + 2y^2`, whose gradient has Lipschitz constant :math:`L = 4`.
Below :math:`1/L` it crawls, at :math:`1/L` the steep coordinate is solved in one step, between
:math:`1/L` and :math:`2/L` it zigzags but converges, and beyond :math:`2/L = 0.5` it diverges.
"""

from descend import plot

plot.learning_rate_grid("bowl", "sgd", [0.02, 0.1, 0.25, 0.4, 0.49, 0.52], iters=30)

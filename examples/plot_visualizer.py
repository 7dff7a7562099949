"""
The three-panel visualizer
==========================

The seed tutorial's picture, one call: :func:`descend.plot.compare_optimizers` runs vanilla gradient
descent, momentum and Adagrad from the same start on the bowl :math:`x^2 + 2y^2` and draws each path over
the contours, with where it ended in the title.
"""

from descend import plot

plot.compare_optimizers("bowl", ("sgd", "momentum", "adagrad"), iters=50)

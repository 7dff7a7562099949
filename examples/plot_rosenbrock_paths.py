"""
Optimizer paths on Rosenbrock
=============================

Rosenbrock's function :math:`(1-x)^2 + 100 (y - x^2)^2` has a long curved valley whose floor falls
gently to the minimum at (1, 1). The contours are filled on log-spaced levels so that the valley shows;
the legend says where each run ended after 2000 steps.
"""

from descend import plot

runs = plot.run_paths(
    "rosenbrock",
    ["sgd", "momentum", "nesterov", "rmsprop", "adam"],
    lr={"sgd": 1e-3, "momentum": 1e-4, "nesterov": 1e-4, "rmsprop": 1e-3, "adam": 0.05},
    iters=2000,
)
plot.paths("rosenbrock", runs, title="Rosenbrock: 2000 steps from (-1.5, 2)")

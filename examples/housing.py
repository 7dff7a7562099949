"""House prices on Boston with descend: ISLR's least-squares figures, then a ridge fit
judged on held-out suburbs, beside the closed-form solution.

    python examples/housing.py [loss.png]

The code is descend.demos.housing (the same that `descend demo housing` runs):
read it there, or step through it from here.
"""

import sys

from descend import demos

if __name__ == "__main__":
    demos.housing(plot=sys.argv[1] if len(sys.argv) > 1 else None)

"""Stock direction on the S&P 500 (Smarket) with descend: ISLR's logistic regression on
Lag1 and Lag2, then technical features of past returns, split by time, judged against
the majority-class baseline with a confusion matrix.

    python examples/stocks.py [loss.png]

The code is descend.demos.stocks (the same that `descend demo stocks` runs).
"""

import sys

from descend import demos

if __name__ == "__main__":
    demos.stocks(plot=sys.argv[1] if len(sys.argv) > 1 else None)

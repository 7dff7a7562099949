"""
Concept drift: constant, decaying and adaptive learning rates
=============================================================

When the model behind a stream changes, a *concept drift* (Gama et al. 2014, *A survey on concept drift
adaptation*), an online learner must forget what it learned. :class:`descend.datasets.StreamingDataSimulator`
switches from one linear model to another at row 2,000, abruptly (every row from then on follows the new
one) or gradually (row t follows it with probability :math:`1/(1 + e^{-4 (t - 2000)/500})`, the sigmoid of
MOA's and river's ``ConceptDriftStream``). Four ``GDRegressor`` models learn from it, one optimizer step per
batch of 10 rows: plain SGD at a constant rate, SGD at a decaying rate, and two adaptive optimizers, Adagrad
and Adam. :func:`descend.online.progressive_validation` judges them as the stream goes by: each batch is
predicted by the model as it stands, then learned from (``partial_fit``), so every loss is measured on rows
the model had not yet seen.
"""

# %%
# The streams and the learners
# ----------------------------
# Four features drawn from N(0, 1), the weights (2, -3, 0.5, 1) and intercept 0.7 before the drift,
# (-1, 1, 2.5, -2) and -0.5 after, noise of standard deviation 0.1: the best possible squared error is 0.01.
# The rates were chosen so that the four learners do about equally well before the drift. The features are
# already on one scale, so the models step on them as they are (``standardize=False``): a model that learns
# from a stream takes its scaling from its first batch, here ten rows.

import matplotlib.pyplot as plt

from descend import GDRegressor
from descend.datasets import StreamingDataSimulator
from descend.online import progressive_validation

ROWS, POSITION, WIDTH, EVERY = 4000, 2000, 500, 100  # the drift at row 2000; a report every 100 rows
NOISE = 0.1
RECOVERED = 10 * NOISE**2  # recovered: the squared error of 100 rows below ten times the noise's variance


def stream(kind):
    """The stream of ``ROWS`` rows, in blocks of 100, with an abrupt or gradual drift at ``POSITION``."""
    width = {"drift_width": WIDTH} if kind == "gradual" else {}
    return StreamingDataSimulator(
        4,
        weights=[2.0, -3.0, 0.5, 1.0],
        bias=0.7,
        noise=NOISE,
        batch_size=100,
        concept_drift=kind,
        drift_position=POSITION,
        new_weights=[-1.0, 1.0, 2.5, -2.0],
        new_bias=-0.5,
        random_state=0,
        **width,
    )


LEARNERS = {  # name: (GDRegressor's settings, colour)
    "SGD, constant rate 0.3": ({"optimizer": "sgd", "learning_rate": 0.3}, "tab:blue"),
    "SGD, decaying 0.3 / t^0.25": ({"optimizer": "sgd", "learning_rate": 0.3, "schedule": "invscaling"}, "tab:orange"),
    "Adagrad, rate 1": ({"optimizer": "adagrad", "learning_rate": 1.0}, "tab:green"),
    "Adam, rate 0.1": ({"optimizer": "adam", "learning_rate": 0.1}, "tab:red"),
}

results = {}
for kind in ("abrupt", "gradual"):
    for name, (settings, _) in LEARNERS.items():
        model = GDRegressor(penalty=None, standardize=False, random_state=0, **settings)
        result = progressive_validation(model, stream(kind).batches(ROWS // 100), batch_size=10, report_at=EVERY)
        # The model's loss is half the squared error: twice its mean since the last report is the mean squared
        # error of those 100 rows.
        results[kind, name] = result.counts, 2 * result.recent_loss

# %%
# The progressive loss
# --------------------
# The mean squared error of each 100 rows, predicted before the model learned from them (twice
# ``recent_loss``, the mean of the model's loss :math:`\tfrac12 (\hat y - y)^2` since the report before).
# The dashed line marks row 2,000; the band, the 500 rows over which the gradual drift's probability rises
# from 0.12 to 0.88.

figure, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
for ax, kind in zip(axes, ("abrupt", "gradual")):
    for name, (_, color) in LEARNERS.items():
        counts, squared_error = results[kind, name]
        ax.semilogy(counts, squared_error, color=color, label=name)
    ax.axvline(POSITION, color="grey", linestyle="--", linewidth=1)
    if kind == "gradual":
        ax.axvspan(POSITION - WIDTH / 2, POSITION + WIDTH / 2, color="grey", alpha=0.15)
    ax.axhline(NOISE**2, color="black", linestyle=":", linewidth=1, label="the noise's variance")
    ax.set_title(f"{kind} drift at row {POSITION}")
    ax.set_xlabel("rows seen")
axes[0].set_ylabel("progressive mean squared error, per 100 rows")
axes[0].legend(fontsize=8, loc="upper left")
figure.tight_layout()

# %%
# How long each takes to recover
# ------------------------------
# Before: the mean squared error of rows 1,000 to 1,500, before either drift begins (the gradual drift's
# probability is still below 2%, but the few rows of the new concept it draws there weigh heavily); recovery:
# the rows after row 2,000 until the squared error of 100 rows falls below 0.1, ten times the noise's
# variance; after: the mean squared error of the last 1,000 rows.


def mean_squared_error(counts, squared_error, start, stop):
    """The mean squared error of the rows from ``start`` to ``stop``, from the reports every 100 rows."""
    inside = (counts > start) & (counts <= stop)
    return float(squared_error[inside].mean())


def rows_to_recover(counts, squared_error):
    """The rows after ``POSITION`` until the squared error of 100 rows is below ``RECOVERED``."""
    recovered = (counts > POSITION) & (squared_error < RECOVERED)
    return int(counts[recovered][0] - POSITION) if recovered.any() else None


for kind in ("abrupt", "gradual"):
    print(f"{kind + ' drift':32s}  before  recovery   after")
    for name in LEARNERS:
        counts, squared_error = results[kind, name]
        rows = rows_to_recover(counts, squared_error)
        print(
            f"  {name:30s} {mean_squared_error(counts, squared_error, 1000, 1500):6.4f}  "
            f"{rows if rows else '-':>8}  {mean_squared_error(counts, squared_error, ROWS - 1000, ROWS):6.4f}"
        )

# %%
# What the figure shows
# ---------------------
# After the abrupt drift, plain SGD at its constant rate is back within ten times the noise's variance in
# 200 rows (20 steps). The decaying schedule, whose rate has fallen to 0.3 / 200^0.25 = 0.08 by row 2,000,
# needs 500; Adagrad, whose rate per coordinate keeps falling as its sums of squared gradients grow (the
# drift's large gradients most of all), 400; Adam 600: its steps move each weight by about its rate, 0.1,
# whatever the gradient, and one weight has 4 to travel (-3 to 1). The constant rate pays in the quiet
# stretches, its steps jittering around the optimum: a mean squared error of 0.0109 before the drift and
# 0.0112 over the last 1,000 rows, against 0.0103 and 0.0104 for the decaying rate, whose excess over the
# noise's 0.01 is a third as large. Forgetting fast and settling close are the two ends of one trade-off.
#
# A gradual drift blurs the difference. While the two concepts alternate no single linear model fits them,
# and every learner's error follows the mix (the bump between rows 1,300 and 1,500 is two early rows of the
# new concept, 1,315 and 1,480, missed by 11 and 8.5); all four are back within ten times the noise's
# variance 600 to 700 rows after the centre, about when the new concept's probability passes 0.99 (row
# 2,575).

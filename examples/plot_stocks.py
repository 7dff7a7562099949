"""
The direction of the S&P 500
============================

ISLR's logistic regression ``Direction ~ Lag1 + Lag2`` on Smarket (:func:`descend.datasets.load_smarket`),
fitted on 2001-2004 by gradient descent and judged on 2005. Its accuracy, about 0.56, is the same as
saying "Up" every day: yesterday's returns say almost nothing about today's. The picture shows the
predicted probabilities of "Up" on the 2005 days, for the days that went up and those that went down.
"""

import matplotlib.pyplot as plt

from descend import GDClassifier
from descend.datasets import load_smarket

frame = load_smarket().frame
train, test = frame["Year"] < 2005, frame["Year"] == 2005
features = ["Lag1", "Lag2"]
model = GDClassifier(penalty=None, tol=1e-8, max_iter=5000).fit(
    frame.loc[train, features], frame.loc[train, "Direction"]
)
accuracy = model.score(frame.loc[test, features], frame.loc[test, "Direction"])
always_up = (frame.loc[test, "Direction"] == "Up").mean()
print(f"accuracy in 2005: {accuracy:.3f}; always 'Up': {always_up:.3f}")

probability_up = model.predict_proba(frame.loc[test, features])[:, list(model.classes_).index("Up")]
figure, ax = plt.subplots(figsize=(6.5, 4))
went_up = (frame.loc[test, "Direction"] == "Up").to_numpy()
ax.hist(
    [probability_up[went_up], probability_up[~went_up]],
    bins=20,
    label=["days that went up", "went down"],
    color=["tab:green", "tab:red"],
    alpha=0.8,
)
ax.axvline(0.5, color="black", linewidth=0.8)
ax.set_xlabel("predicted probability of 'Up'")
ax.set_ylabel("days of 2005")
ax.set_title(f"accuracy {accuracy:.3f}, always 'Up' {always_up:.3f}")
ax.legend(fontsize=8)

"""
Poisson regression on bike rentals
==================================

ISLR's Poisson regression ``bikers ~ mnth + hr + workingday + temp + weathersit`` on the 8,645 hours of
Washington DC's bike share in 2011 (:func:`descend.datasets.load_bikeshare`), by full-batch gradient descent
with ``loss="poisson"`` (log link, unpenalized). The effects of the month and of the hour (sum coding:
each level's coefficient less their mean) reproduce ISLR's figure 4.15: rentals peak at the commuting hours
and in the warm months.
"""

import pandas as pd

from descend import GDRegressor
from descend.datasets import BIKESHARE_LEVELS, load_bikeshare
from descend.demos import bike_design
from descend.plot import effects

data = load_bikeshare()
X, y = bike_design(data.data), data.target.to_numpy(dtype=float)
model = GDRegressor(loss="poisson", penalty=None, tol=1e-8, max_iter=20_000).fit(X, y)
coefficients = pd.Series(model.coef_, index=X.columns)
print("epochs", model.n_iter_, "D^2", round(model.score(X, y), 4))
print(coefficients[["workingday", "temp"]].round(4))


def sum_coded(name):
    levels = BIKESHARE_LEVELS[name]
    treatment = pd.Series([0.0] + [coefficients[f"{name}[{level}]"] for level in levels[1:]], index=levels)
    return treatment - treatment.mean()


effects(
    {"month": sum_coded("mnth"), "hour of the day": sum_coded("hr")},
    title="Bike rentals, Poisson regression: the effect of the month and of the hour (log scale)",
)

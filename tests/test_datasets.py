"""The data sets shipped with the package."""

from descend.datasets import BIKESHARE_LEVELS, load_bikeshare, load_default


def test_default_is_shipped_with_its_attribution():
    default = load_default()
    assert default.frame.shape == (10_000, 4)
    assert list(default.frame.columns) == ["default", "student", "balance", "income"]
    assert default.data.shape == (10_000, 3) and default.feature_names == ["balance", "income", "student"]
    assert list(default.data.columns) == default.feature_names and default.target_name == "default"
    assert set(default.data["student"]) == {0, 1}
    assert (default.data["student"] == 1).sum() == (default.frame["student"] == "Yes").sum()
    assert set(default.target) == {"Yes", "No"}
    assert round((default.target == "Yes").mean(), 3) == 0.033  # ISLR: 3.3% of the customers default
    assert "ISLP" in default.DESCR and "BSD" in default.DESCR


def test_bikeshare_is_shipped_with_its_attribution():
    bikes = load_bikeshare()
    assert bikes.frame.shape == (8_645, 15) and bikes.target_name == "bikers"
    assert (bikes.frame["casual"] + bikes.frame["registered"] == bikes.target).all()
    assert {"casual", "registered", "bikers"}.isdisjoint(bikes.feature_names)  # their sum is the target
    assert list(bikes.data.columns) == bikes.feature_names and len(bikes.feature_names) == 12
    for column, levels in BIKESHARE_LEVELS.items():  # categoricals in their natural order, every value a level
        assert list(bikes.data[column].cat.categories) == levels and bikes.data[column].notna().all()
    assert bikes.data["mnth"].cat.categories[0] == "Jan" and bikes.data["weathersit"].cat.categories[0] == "clear"
    assert bikes.data["weathersit"].value_counts()["heavy rain/snow"] == 1  # one hour: its coefficient rests on it
    assert bikes.target.min() >= 1 and bikes.target.dtype.kind == "i"
    assert "ISLP" in bikes.DESCR and "BSD" in bikes.DESCR

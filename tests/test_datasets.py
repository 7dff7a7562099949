"""The data sets shipped with the package."""

from descend.datasets import load_default


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

import pytest
from pydantic import ValidationError

from orthotune import InvalidInputError
from orthotune.data import LoadOptions, load_options, split_policy


def test_defaults_and_roles():
    options = LoadOptions()
    assert options.impute == "auto" and options.drop == () and options.role_columns() == {}
    options = LoadOptions(target="y", weight="w", drop=["a", "b"], split_col="part")
    assert options.role_columns() == {"--target": "y", "--weight": "w", "--split-col": "part"}
    assert options.column_flags_given() == ["--target", "--weight", "--split-col", "--drop"]
    assert options.drop == ("a", "b")


def test_unknown_field_and_bad_impute_are_refused():
    with pytest.raises(ValidationError):
        LoadOptions(targt="y")
    with pytest.raises(ValidationError):
        LoadOptions(impute="mode")


def test_load_options_builds_options_and_words_bad_impute():
    options = load_options(target="y", drop=["x"], impute="MEDIAN")
    assert options == LoadOptions(target="y", drop=("x",), impute="median")
    with pytest.raises(InvalidInputError, match=r"--impute 'mode' is not accepted.*mean, median"):
        load_options(impute="mode")


def test_split_policy_of_the_flags():
    policy = split_policy(ratios="70/15/15", train_dev=True, dev_source="b")
    assert policy.ratios == pytest.approx((0.7, 0.15, 0.15))
    assert policy.train_dev is True and policy.dev_source == "b"
    with pytest.raises(InvalidInputError, match="split ratios"):
        split_policy(ratios="70/30")

import pytest
from pydantic import ValidationError

from orthotune import InvalidInputError
from orthotune.diagnose import ErrorLevels, Level


def test_from_rates_accepts_percent_and_fraction():
    levels = ErrorLevels.from_rates(
        human_error="0.7%",
        bayes_error=0.005,
        train_error="3.5%",
        dev_error="0.078",
        train_size=10_000,
        dev_size=2_000,
        dev_sources={"web": ("9%", 1000), "phone": (0.066, 1000)},
    )
    assert levels.human_error == pytest.approx(0.007)
    assert (levels.train.error, levels.train.n) == (pytest.approx(0.035), 10_000)
    assert levels.dev.n == 2_000 and levels.train_dev is None and levels.test is None
    assert levels.dev_sources["web"].error == pytest.approx(0.09)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        # named as the command line names them (was train_error, train_dev_size …)
        ({"train_error": "3.5"}, "--train-error 3.5 is above 1.*write 3.5%"),
        ({"bayes_error": "1%"}, "--bayes-error 1.0000% is above --human-error 0.7000%"),
        ({"dev_size": 0}, "--dev-size 0 is not a positive whole number"),
        ({"test_size": 100}, "--test-size 100 is given without its error rate"),
        (
            {"train_dev_size": 10},
            "--train-dev-size 10 is given without its error rate: give --train-dev-error too",
        ),
    ],
)
def test_bad_levels_are_one_line_errors(kwargs, match):
    args = {"human_error": "0.7%", "train_error": "3.5%", "dev_error": "7.8%", **kwargs}
    with pytest.raises(InvalidInputError, match=match):
        ErrorLevels.from_rates(**args)


def test_direct_construction_validates_too():
    with pytest.raises(ValidationError, match="Bayes error is the lowest possible"):
        ErrorLevels(
            human_error=0.01, bayes_error=0.02, train=Level(error=0.1), dev=Level(error=0.2)
        )

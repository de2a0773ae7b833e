import pytest

from orthotune import InvalidInputError, parse_rate


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3.5%", 0.035), ("0.035", 0.035), (0.7, 0.7), ("0%", 0.0), ("100%", 1.0), (" 4.2 % ", 0.042)],
)
def test_parse_rate_accepts_percent_and_fraction(text, expected):
    assert parse_rate(text) == pytest.approx(expected)


def test_bare_rate_above_one_is_refused_with_percent_hint():
    with pytest.raises(InvalidInputError, match=r"human_error 4.2 is above 1.*write 4.2%"):
        parse_rate("4.2", name="human_error")


def test_an_error_written_1_is_refused_as_ambiguous_but_a_score_of_1_is_one():
    with pytest.raises(InvalidInputError, match=r"human_error 1 reads as an error of 100 %.*1%"):
        parse_rate("1", name="human_error")
    assert parse_rate("1.0", name="human_error") == 1.0  # the fraction, written as one
    assert parse_rate("1", name="--goal") == 1.0  # an accuracy of 1
    assert parse_rate("1", name="accuracy of low-error net") == 1.0  # compare: a row's name
    with pytest.raises(InvalidInputError, match=r"dev_error of A 1 reads as an error of 100 %"):
        parse_rate("1", name="dev_error of A")


@pytest.mark.parametrize("text", ["abc", "nan", "-1%", "150%", ""])
def test_parse_rate_rejects_non_rates(text):
    with pytest.raises(InvalidInputError, match="rate"):
        parse_rate(text, name="rate")

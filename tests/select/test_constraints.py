import math

import pytest

from orthotune import InvalidInputError
from orthotune.select import parse_constraint


@pytest.mark.parametrize(
    ("text", "metric", "op", "threshold"),
    [
        ("latency_ms<100", "latency_ms", "<", 100.0),
        ("params < 1e6", "params", "<", 1e6),
        ("recall>=0.9", "recall", ">=", 0.9),
        ("recall>=90%", "recall", ">=", 0.9),
        ("dev_error<=3.5%", "dev_error", "<=", 0.035),
        ("Class A > 0.5", "class_a", ">", 0.5),
        ("latency_ms≤100", "latency_ms", "<=", 100.0),
    ],
)
def test_constraints_parse(text, metric, op, threshold):
    c = parse_constraint(text)
    assert (c.metric, c.op) == (metric, op)
    assert c.threshold == pytest.approx(threshold)


def test_satisfied_by_and_missing_values():
    c = parse_constraint("latency_ms<100")
    assert c.satisfied_by(99.9) and not c.satisfied_by(100) and not c.satisfied_by(math.nan)
    assert not c.satisfied_by(None)


@pytest.mark.parametrize("text", ["latency_ms<<100", "latency_ms=100", "<100", "recall>=high", ""])
def test_bad_constraints_show_the_grammar(text):
    with pytest.raises(InvalidInputError, match="does not parse: write NAME OP VALUE"):
        parse_constraint(text)


def test_a_bare_rate_above_one_needs_a_percent():
    with pytest.raises(InvalidInputError, match="write 90% if you meant percent"):
        parse_constraint("recall>=90")

import math

import pytest

from orthotune import InvalidInputError
from orthotune.select import Direction, pareto_front

POINTS = [
    {"accuracy": 0.945, "latency_ms": 70},
    {"accuracy": 0.950, "latency_ms": 95},
    {"accuracy": 0.943, "latency_ms": 35},
    {"accuracy": 0.955, "latency_ms": 240},
    {"accuracy": 0.968, "latency_ms": 980},
    {"accuracy": 0.945, "latency_ms": 60},
]


def test_lecture_accuracy_time_front():
    # A (94.5 %, 70 ms) is dominated by F (94.5 %, 60 ms); every other one trades off.
    assert pareto_front(POINTS, ["accuracy", "latency_ms"]) == [1, 2, 3, 4, 5]


def test_single_metric_front_is_the_best_and_ties_stay():
    assert pareto_front(POINTS, ["accuracy"]) == [4]
    assert pareto_front(POINTS, ["latency_ms"]) == [2]
    tied = [{"x": 1.0}, {"x": 1.0}, {"x": 0.5}]
    assert pareto_front(tied, ["x"]) == [0, 1]


def test_float_noise_does_not_dominate():
    a = {"avg": (0.95 + 0.90 + 0.94 + 0.99) / 4, "ms": 60}
    b = {"avg": (0.99 + 0.91 + 0.96 + 0.92) / 4, "ms": 60}
    assert pareto_front([a, b], ["avg", "ms"]) == [0, 1]


def test_missing_values_are_never_on_the_front_and_directions_override():
    points = [{"score": math.nan}, {"score": 0.2}, {"score": 0.1}]
    assert pareto_front(points, ["score"]) == [1]
    assert pareto_front(points, ["score"], directions={"score": Direction.MINIMIZE}) == [2]
    with pytest.raises(InvalidInputError, match="at least one metric"):
        pareto_front(points, [])

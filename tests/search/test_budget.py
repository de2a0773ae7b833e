"""Budgets: parsing, limits, goal, stop reasons."""

from __future__ import annotations

import pytest

from orthotune._errors import InvalidInputError
from orthotune.search import Budget, StopReason, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("2h", 7200), ("1h30m", 5400), ("1.5h", 5400), (" 30M ", 1800)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


def test_a_number_is_seconds_and_must_be_positive():
    assert parse_duration(90) == 90.0 and parse_duration(2.5) == 2.5
    for bad in (-1, 0, float("nan"), float("inf")):
        with pytest.raises(InvalidInputError, match=r"--budget .* is not a positive number of"):
            parse_duration(bad)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("5", "write 5m or 5s"),
        ("1e3", "write 1000m or 1000s"),  # it said "write 1e3s", which does not parse either
        ("inf", "does not parse.*fix: write e.g. 90s"),
        ("0", "'0' is not positive: accepted is a positive duration.*fix: give e.g. 5m"),
        ("-5", "'-5' is not positive"),  # they parse: "does not parse" was wrong
        ("abc", "does not parse"),
        ("5 minutes", "90s, 5m"),
        ("0m", "zero"),
        ("", "does not parse"),
    ],
)
def test_bad_durations(text, match):
    with pytest.raises(InvalidInputError, match=match) as info:
        parse_duration(text)
    assert "--budget" in str(info.value)


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_time_budget_and_stop_reasons():
    clock = FakeClock()
    budget = Budget(seconds=60, trials=10, goal=0.95, clock=clock).start()
    assert budget.stop(finished=0, best=None) is None
    clock.t += 59
    assert not budget.expired() and budget.remaining() == pytest.approx(1)
    clock.t += 2
    stop = budget.stop(finished=3, best=0.5)
    assert stop.reason is StopReason.BUDGET and "1m00s" in stop.message
    assert budget.stop(finished=10, best=0.5).reason is StopReason.TRIALS
    assert budget.stop(finished=1, best=0.96).reason is StopReason.GOAL
    assert budget.trials_left(7) == 3 and budget.trials_left(12) == 0


def test_goal_direction_for_errors():
    budget = Budget(goal=0.03, maximize=False)
    assert budget.goal_reached(0.02) and not budget.goal_reached(0.05)
    assert not budget.goal_reached(float("nan"))


def test_budget_needs_a_limit():
    with pytest.raises(InvalidInputError, match="no limit"):
        Budget()
    with pytest.raises(InvalidInputError, match="--trials 0"):
        Budget(trials=0)


def test_format_duration():
    assert format_duration(12.34) == "12.3s"
    assert format_duration(270) == "4m30s"
    assert format_duration(3900) == "1h05m"


def test_the_clock_can_start_when_the_job_began():
    """A search's clock started after reading the data (40 s of 1,000,000 rows outside a
    60-s budget); the autopilot's counts it. ``at``: the job's start on the same clock."""
    now = [100.0]
    budget = Budget(seconds=60, clock=lambda: now[0]).start(at=60.0)  # read from 60 s to 100 s
    assert budget.elapsed() == 40.0 and budget.remaining() == 20.0
    budget.start()  # later calls keep the first start
    assert budget.elapsed() == 40.0

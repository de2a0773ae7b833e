import math

import pytest

from orthotune import InvalidInputError
from orthotune.select import Candidate, rank

LECTURE = [  # the lecture's accuracy / classification-time table
    ("A", 0.945, 70),
    ("B", 0.950, 95),
    ("C", 0.943, 35),
    ("D", 0.955, 240),
    ("E", 0.968, 980),
    ("F", 0.945, 60),
]
CANDIDATES = [Candidate(name=n, values={"accuracy": a, "latency_ms": t}) for n, a, t in LECTURE]


def test_accuracy_subject_to_time_below_100ms_chooses_b():
    ranking = rank(CANDIDATES, metric="accuracy", constraints=["latency_ms<100"])
    assert ranking.choice == "B"
    assert ranking.satisfied == 4
    # A and F tie at 94.5 %: F, as fast at 60 ms as A at 70 ms is not, is on the Pareto front
    assert [r.name for r in ranking.rows][:4] == ["B", "F", "A", "C"]
    assert {r.name for r in ranking.rows if not r.satisfies} == {"D", "E"}
    assert all(r.rank is None for r in ranking.rows if not r.satisfies)
    assert "among the 4 of 6 candidates with latency_ms<100" in ranking.message


def test_without_constraints_the_best_accuracy_wins():
    assert rank(CANDIDATES, metric="accuracy").choice == "E"
    assert rank(CANDIDATES, metric="latency_ms").choice == "C"


def test_nothing_satisfies_then_nothing_is_chosen_and_it_says_so():
    ranking = rank(CANDIDATES, metric="accuracy", constraints=["latency_ms<10", "accuracy>=0.9"])
    assert ranking.choice is None
    # each violates one constraint; C misses 10 ms by the least (35 ms; E, the most accurate,
    # by 980 ms)
    assert ranking.closest == "C"
    assert ranking.message.startswith("no candidate satisfies latency_ms<10 and accuracy>=0.9")


def test_nan_never_ranks_best():
    rows = [
        Candidate(name="x", values={"accuracy": math.nan}),
        Candidate(name="y", values={"accuracy": 0.5}),
    ]
    ranking = rank(rows, metric="accuracy")
    assert ranking.choice == "y"
    assert ranking.rows[-1].rank is None


def test_unknown_metric_and_constraint_names_list_the_accepted_ones():
    with pytest.raises(InvalidInputError, match="accepted are accuracy, latency_ms"):
        rank(CANDIDATES, metric="speed")
    with pytest.raises(InvalidInputError, match="unknown metric 'params'"):
        rank(CANDIDATES, metric="accuracy", constraints=["params<1e6"])


def test_pareto_front_is_reported_with_the_ranking():
    ranking = rank(CANDIDATES, metric="accuracy", constraints=["latency_ms<100"])
    assert ranking.pareto_metrics == ["accuracy", "latency_ms"]
    assert ranking.pareto_front == ["B", "C", "D", "E", "F"]


def test_a_tie_on_the_metric_goes_to_the_candidate_that_dominates_and_is_said():
    rows = [
        Candidate(name="A", values={"accuracy": 0.95, "latency_ms": 200}),
        Candidate(name="B", values={"accuracy": 0.95, "latency_ms": 50}),
        Candidate(name="C", values={"accuracy": 0.90, "latency_ms": 10}),
    ]
    ranking = rank(rows, metric="accuracy", constraints=["latency_ms<300"])
    assert ranking.choice == "B" and ranking.pareto_front == ["B", "C"]
    assert ranking.message.endswith("; tied with A, chosen as on the Pareto front")
    alike = [Candidate(name=n, values={"accuracy": 0.9, "latency_ms": 5}) for n in "PQ"]
    ranking = rank(alike, metric="accuracy", constraints=["latency_ms<300"])
    assert ranking.choice == "P"
    assert ranking.message.endswith("; tied with Q, chosen as first in the table")


def test_a_value_at_a_percent_threshold_meets_it_whatever_the_float_rounding():
    rows = [Candidate(name=n, values={"error": e}) for n, e in (("A", 0.007), ("B", 0.008))]
    assert 0.7 / 100 != 0.007  # what the threshold parsed to before
    ranking = rank(rows, metric="error", constraints=["error<=0.7%"])
    assert ranking.choice == "A" and ranking.satisfied == 1
    assert rank(rows, metric="error", constraints=["error<0.7%"]).satisfied == 0  # not below

"""A ranked table of candidates: optimize one metric subject to satisficing constraints.

The lecture: "we choose this one with the highest accuracy if its classification time is lower
than 100 ms" — the accuracy is *optimized*, the time *satisficed*. The choice always respects
the constraints: candidates that violate one rank below every one that satisfies them all, and
when none satisfies them nothing is chosen (the ranking says so and names the candidate that
comes closest). A missing or NaN value never ranks best.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from orthotune._errors import InvalidInputError
from orthotune.select._constraints import Constraint, parse_constraint
from orthotune.select._metric import Direction, direction_of, is_rate, resolve_metric
from orthotune.select._pareto import pareto_front

__all__ = ["Candidate", "RankedRow", "Ranking", "format_value", "rank"]

SCHEMA_VERSION = 1


class Candidate(BaseModel):
    """A named candidate (a classifier, a trial) and its metric values."""

    model_config = ConfigDict(frozen=True)

    name: str
    values: dict[str, float]


class RankedRow(BaseModel):
    """One candidate in the ranking."""

    model_config = ConfigDict(frozen=True)

    name: str
    values: dict[str, float]
    rank: int | None = Field(description="1 = chosen; None when it violates a constraint")
    satisfies: bool
    violated: list[str] = Field(default_factory=list, description="constraints it violates")
    on_pareto_front: bool = False


class Ranking(BaseModel):
    """Candidates ranked by the optimizing metric among those meeting every constraint."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    metric: str
    direction: Direction
    constraints: list[Constraint]
    rows: list[RankedRow] = Field(description="satisfying candidates first, best first")
    choice: str | None = Field(description="best candidate that satisfies every constraint")
    satisfied: int = Field(description="how many candidates satisfy every constraint")
    closest: str | None = Field(
        default=None,
        description="when none satisfies: the one violating the fewest constraints, by the "
        "least (relative to each threshold)",
    )
    pareto_metrics: list[str]
    pareto_front: list[str]
    message: str


def format_value(name: str, value: float | None) -> str:
    """A rate as a percent (two decimals), any other quantity as a plain number."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value * 100:.2f}%" if is_rate(name) else f"{value:g}"


def _sort_key(value: float | None, direction: Direction) -> tuple[int, float]:
    if value is None or not math.isfinite(value):
        return (1, 0.0)  # missing values last
    # 12 significant digits: equal averages summed in another order tie (input order kept).
    value = float(f"{value:.12g}")
    return (0, -value if direction == Direction.MAXIMIZE else value)


def _miss(candidate: Candidate, constraints: Sequence[Constraint]) -> float:
    """How far ``candidate`` misses its constraints: each miss relative to its threshold
    (980 ms against ``latency_ms<10`` misses by 97, 35 ms by 2.5); a missing value, infinitely."""
    total = 0.0
    for k in constraints:
        value = candidate.values.get(k.metric)
        if value is None or not math.isfinite(value):
            return math.inf
        if not k.satisfied_by(value):
            total += abs(value - k.threshold) / max(abs(k.threshold), 1e-12)
    return total


def rank(
    candidates: Sequence[Candidate],
    *,
    metric: str,
    constraints: Sequence[Constraint | str] = (),
    pareto_metrics: Sequence[str] | None = None,
    directions: Mapping[str, Direction] | None = None,
) -> Ranking:
    """Rank ``candidates`` by ``metric`` (direction from its name) under ``constraints``.

    ``pareto_metrics`` defaults to the metric plus every constrained metric.
    """
    if not candidates:
        raise InvalidInputError("no candidates to rank: give at least one row")
    accepted = list(dict.fromkeys(k for c in candidates for k in c.values))
    metric = resolve_metric(metric, accepted)
    parsed = [parse_constraint(c) if isinstance(c, str) else c for c in constraints]
    parsed = [c.model_copy(update={"metric": resolve_metric(c.metric, accepted)}) for c in parsed]
    direction = (directions or {}).get(metric) or direction_of(metric)

    if pareto_metrics is None:
        pareto_metrics = [metric, *(k.metric for k in parsed)]
    pareto_metrics = list(dict.fromkeys(resolve_metric(m, accepted) for m in pareto_metrics))
    front_idx = pareto_front([c.values for c in candidates], pareto_metrics, directions=directions)
    front = {candidates[i].name for i in front_idx}

    rows = []
    for c in candidates:
        violated = [k.text for k in parsed if not k.satisfied_by(c.values.get(k.metric))]
        rows.append((c, violated))
    ok = [(c, v) for c, v in rows if not v]
    # a tie on the metric goes to the candidate on the Pareto front (the same accuracy at a
    # quarter of the latency), then to the file's order
    ok.sort(
        key=lambda cv: (_sort_key(cv[0].values.get(metric), direction), cv[0].name not in front)
    )
    bad = [(c, v) for c, v in rows if v]
    # closest: the fewest constraints violated, then the smallest miss (relative to each
    # threshold), then the metric
    bad.sort(
        key=lambda cv: (
            len(cv[1]),
            _miss(cv[0], parsed),
            _sort_key(cv[0].values.get(metric), direction),
        )
    )

    ranked: list[RankedRow] = []
    position = 0
    for c, violated in ok + bad:
        value = c.values.get(metric)
        rankable = not violated and value is not None and math.isfinite(value)
        if rankable:
            position += 1
        ranked.append(
            RankedRow(
                name=c.name,
                values=c.values,
                rank=position if rankable else None,
                satisfies=not violated,
                violated=violated,
                on_pareto_front=c.name in front,
            )
        )
    best = next((r for r in ranked if r.rank == 1), None)
    closest = None
    if best is not None:
        word = "highest" if direction == Direction.MAXIMIZE else "lowest"
        among = (
            f"among the {len(ok)} of {len(candidates)} candidates with "
            f"{' and '.join(k.text for k in parsed)}"
            if parsed
            else f"among {len(candidates)} candidates"
        )
        message = (
            f"{best.name}: {word} {metric} {format_value(metric, best.values.get(metric))} {among}"
        )
        tied = [
            c.name
            for c, _ in ok[1:]
            if _sort_key(c.values.get(metric), direction)
            == _sort_key(best.values.get(metric), direction)
        ]
        if tied:
            message += f"; tied with {', '.join(tied)}, " + (
                "chosen as on the Pareto front"
                if best.on_pareto_front and any(t not in front for t in tied)
                else "chosen as first in the table"
            )
    elif ok:
        message = f"no candidate has a value for {metric}: none chosen"
    else:
        closest = bad[0][0].name
        message = (
            f"no candidate satisfies {' and '.join(k.text for k in parsed)} "
            f"({len(candidates)} candidates): none chosen; closest is {closest} "
            f"(violates {', '.join(bad[0][1])})"
        )
    return Ranking(
        metric=metric,
        direction=direction,
        constraints=parsed,
        rows=ranked,
        choice=None if best is None else best.name,
        satisfied=len(ok),
        closest=closest,
        pareto_metrics=pareto_metrics,
        pareto_front=[candidates[i].name for i in front_idx],
        message=message,
    )

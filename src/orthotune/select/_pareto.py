"""The Pareto front: candidates no other candidate beats on every metric at once.

Candidate ``j`` dominates ``i`` when it is at least as good on every metric (each in its own
direction) and strictly better on one. A candidate with a missing or NaN value on any of the
metrics is never on the front. Values within ``1e-12`` (relative) count as equal, so that two
averages of the same numbers summed in another order tie instead of one dominating the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from orthotune._errors import InvalidInputError
from orthotune.select._metric import Direction, direction_of

__all__ = ["pareto_front"]


def pareto_front(
    points: Sequence[Mapping[str, float]],
    metrics: Sequence[str],
    *,
    directions: Mapping[str, Direction] | None = None,
) -> list[int]:
    """Indices of the non-dominated ``points`` over ``metrics`` (directions from the names)."""
    if not metrics:
        raise InvalidInputError("no metrics for the Pareto front: give at least one metric name")
    signs = []
    for m in metrics:
        d = (directions or {}).get(m) or direction_of(m)
        signs.append(1.0 if d == Direction.MAXIMIZE else -1.0)
    # Larger is better after the sign flip; rows with a missing value drop out.
    rows: list[tuple[int, tuple[float, ...]]] = []
    for i, p in enumerate(points):
        values = [p.get(m) for m in metrics]
        if all(v is not None and math.isfinite(v) for v in values):
            rows.append((i, tuple(s * v for s, v in zip(signs, values, strict=True))))

    def tol(x: float, y: float) -> float:
        return 1e-12 * max(1.0, abs(x), abs(y))

    def dominates(b: tuple[float, ...], a: tuple[float, ...]) -> bool:
        pairs = list(zip(a, b, strict=True))
        return all(bj >= aj - tol(aj, bj) for aj, bj in pairs) and any(
            bj > aj + tol(aj, bj) for aj, bj in pairs
        )

    front = []
    for i, a in rows:
        dominated = any(dominates(b, a) for _, b in rows)
        if not dominated:
            front.append(i)
    return front

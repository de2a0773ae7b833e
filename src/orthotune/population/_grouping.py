"""``group_trials``: which trials can share a population (DESIGN.md's grouping key).

Trials share a population when their architecture shape (``ModelSpec.shape_key``), optimizer
family and batch size (``TrainConfig.group_key``) match — HFTA's grouping. A trial a population
cannot vectorize (per-model augmentation, class balancing) gets a group of its own flagged for
the sequential executor, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orthotune._errors import InvalidInputError
from orthotune.models import ModelSpec
from orthotune.population._population import vectorization_problem
from orthotune.train import TrainConfig


@dataclass(frozen=True)
class TrialGroup:
    """Positions (into the list given to ``group_trials``) of trials trained together.

    vectorized: True → one ``Population``; False → the sequential trainer (``reason`` says why).
    """

    indices: list[int]
    key: tuple
    vectorized: bool
    reason: str | None = None


def group_trials(
    trials: Sequence[tuple[ModelSpec, TrainConfig]], *, max_members: int | None = None
) -> list[TrialGroup]:
    """Group (spec, config) pairs by (shape_key, group_key), in order of first appearance;
    groups larger than ``max_members`` are split into chunks of at most that many."""
    if max_members is not None and max_members < 1:
        raise InvalidInputError(
            f"max_members={max_members} is not a group size: give an integer ≥ 1 or None"
        )
    groups: dict[tuple, list[int]] = {}
    sequential: list[TrialGroup] = []
    for i, (spec, config) in enumerate(trials):
        key = (spec.shape_key(), config.group_key())
        problem = vectorization_problem(spec, config)
        if problem:
            sequential.append(TrialGroup([i], key, False, problem))
        else:
            groups.setdefault(key, []).append(i)
    out: list[TrialGroup] = []
    for key, indices in groups.items():
        size = max_members or len(indices)
        for start in range(0, len(indices), size):
            out.append(TrialGroup(indices[start : start + size], key, True))
    return out + sequential

"""The best trial of a study under satisficing constraints, and the leaderboard.

Optuna's ``Study.best_trial`` ranks by the objective alone (optuna#5184): a model with 3 ms more
latency than the user allows can win. Here a trial is eligible only when it COMPLETEd with a
finite value and meets every satisficing constraint — both the constraints stored on the trial
with Optuna's ``Trial.set_constraint`` (feasible when ≤ 0) and those given as predicates over the
trial's metrics. A failed, pruned or NaN trial is never best. Ties go to the earlier trial.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from orthotune.search._space import PARAMS_ATTR
from orthotune.search._storage import FAIL_REASON_ATTR

if TYPE_CHECKING:
    import optuna

# A satisficing constraint: metrics of one trial → satisfied? ``str(c)`` is shown to the user.
Constraint = Callable[[Mapping[str, float]], bool]

METRICS_ATTR = "metrics"  # trial user attribute: {name: number} measured for the trial
CHECKPOINT_ATTR = "checkpoint"  # trial user attribute: where its model was saved (incumbents)


def trial_metrics(trial: optuna.trial.FrozenTrial, *, metric: str = "value") -> dict[str, float]:
    """Every number known about a trial: the objective under ``metric``, the ``metrics`` user
    attribute, and other numeric user attributes (e.g. ``latency_ms``, ``params``)."""
    out: dict[str, float] = {}
    for key, value in trial.user_attrs.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = float(value)
    nested = trial.user_attrs.get(METRICS_ATTR)
    if isinstance(nested, Mapping):
        for key, value in nested.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[str(key)] = float(value)
    if trial.value is not None:
        out[metric] = float(trial.value)
    return out


def is_feasible(
    trial: optuna.trial.FrozenTrial,
    constraints: Sequence[Constraint] = (),
    *,
    metric: str = "value",
) -> bool:
    """Meets Optuna's stored constraints (all ≤ 0) and every predicate in ``constraints``."""
    stored = trial.constraints
    if any(not (v <= 0) for v in stored.values()):  # NaN counts as violated
        return False
    if not constraints:
        return True
    metrics = trial_metrics(trial, metric=metric)
    return all(c(metrics) for c in constraints)


def _eligible(trial: optuna.trial.FrozenTrial) -> bool:
    from optuna.trial import TrialState

    return (
        trial.state == TrialState.COMPLETE
        and trial.value is not None
        and math.isfinite(float(trial.value))
    )


def best_trial(
    trials: Sequence[optuna.trial.FrozenTrial],
    *,
    maximize: bool = True,
    constraints: Sequence[Constraint] = (),
    metric: str = "value",
) -> optuna.trial.FrozenTrial | None:
    """The best feasible COMPLETE trial with a finite value; None when there is none."""
    sign = 1.0 if maximize else -1.0
    best = None
    for t in trials:
        if not _eligible(t) or not is_feasible(t, constraints, metric=metric):
            continue
        if best is None or sign * float(t.value) > sign * float(best.value):
            best = t
        elif float(t.value) == float(best.value) and _saved(t) and not _saved(best):
            # a tie goes to the trial whose model was kept: an incumbent is saved only when it
            # beats the one before, so of two tied trials that finished out of order the
            # earlier number was never saved, and was re-trained at the end (a PBT member
            # without the exploits it underwent: another model than the one measured)
            best = t
    return best


def _saved(trial: optuna.trial.FrozenTrial) -> bool:
    return CHECKPOINT_ATTR in trial.user_attrs


class TrialRow(BaseModel):
    """One trial as the leaderboard shows it."""

    number: int
    state: str
    value: float | None = None
    feasible: bool = False
    params: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    fail_reason: str | None = None
    duration_s: float | None = None
    # told by an earlier run of the study (a resume hands its best to the progress first)
    earlier: bool = False


class Leaderboard(BaseModel):
    """The study's trials ranked by the metric (feasible first), and the satisficing best."""

    schema_version: int = 1
    study_name: str
    metric: str
    maximize: bool
    constraints: list[str] = Field(default_factory=list)
    best: int | None = Field(default=None, description="number of the best feasible trial")
    counts: dict[str, int] = Field(default_factory=dict, description="trials per state")
    rows: list[TrialRow] = Field(default_factory=list)
    note: str = ""


def leaderboard(
    study: optuna.Study,
    *,
    metric: str = "value",
    maximize: bool = True,
    constraints: Sequence[Constraint] = (),
    top: int | None = None,
) -> Leaderboard:
    """Rank a study's trials: feasible COMPLETE ones by value, then infeasible, then the rest."""
    trials = study.get_trials(deepcopy=False)
    best = best_trial(trials, maximize=maximize, constraints=constraints, metric=metric)
    sign = 1.0 if maximize else -1.0
    rows: list[tuple[tuple, TrialRow]] = []
    counts: dict[str, int] = {}
    for t in trials:
        state = t.state.name.lower()
        counts[state] = counts.get(state, 0) + 1
        eligible = _eligible(t)
        feasible = eligible and is_feasible(t, constraints, metric=metric)
        value = float(t.value) if eligible else None
        params = t.user_attrs.get(PARAMS_ATTR)
        duration = t.duration.total_seconds() if t.duration is not None else None
        row = TrialRow(
            number=t.number,
            state=state,
            value=value,
            feasible=feasible,
            params=dict(params) if isinstance(params, Mapping) else dict(t.params),
            metrics=trial_metrics(t, metric=metric),
            fail_reason=t.user_attrs.get(FAIL_REASON_ATTR),
            duration_s=duration,
        )
        rank = 0 if feasible else 1 if eligible else 2
        rows.append(((rank, -sign * value if value is not None else 0.0, t.number), row))
    rows.sort(key=lambda r: r[0])
    ordered = [r for _, r in rows]
    note = ""
    if best is None:
        note = (
            "no trial is eligible as best: none completed with a finite value"
            if not any(_eligible(t) for t in trials)
            else "no completed trial meets every satisficing constraint"
        )
    return Leaderboard(
        study_name=study.study_name,
        metric=metric,
        maximize=maximize,
        constraints=[str(c) for c in constraints],
        best=None if best is None else best.number,
        counts=counts,
        rows=ordered if top is None else ordered[:top],
        note=note,
    )

"""The lecture's grid that tightens around the most promising point, level after level."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from orthotune._errors import InvalidInputError
from orthotune.search._space import (
    CategoricalParam,
    FloatParam,
    IntParam,
    SearchSpace,
    optuna_name,
)
from orthotune.search._storage import ask_owned
from orthotune.search._strategies._base import Strategy

if TYPE_CHECKING:
    import optuna


GRID_LEVEL_ATTR = "grid_level"
GRID_INDEX_ATTR = "grid_index"


class GridZoom(Strategy):
    """Grid search that tightens around the prospective area (the lecture's first technique).

    Level 0 is a coarse grid of ``points`` values per numeric parameter (evenly spaced in log
    for log and reverse-log scales) and every choice of each categorical one. When a level has
    finished, the next one is a grid of the same size centred on the best trial so far, one old
    spacing either side (so the spacing shrinks by (points − 1)/2 per level) with the
    categorical choices of that best trial. A grid larger than ``max_points`` is subsampled
    (seeded). ``levels`` levels in all; then the strategy is exhausted.

    The level and index of each point are stored on its trial, and each level's grid depends only
    on the finished trials of earlier levels, so a resumed study continues where it stopped.
    """

    name = "grid"

    def __init__(
        self, *, seed: int | None = 0, points: int = 5, levels: int = 3, max_points: int = 64
    ) -> None:
        super().__init__(seed=seed)
        if points < 3:
            raise InvalidInputError(
                f"grid points={points}: accepted is 3 or more per parameter; fix: use e.g. 5"
            )
        if levels < 2:
            raise InvalidInputError(
                f"grid levels={levels}: accepted is 2 or more (coarse, then zoomed); fix: use 3"
            )
        self.points = points
        self.levels = levels
        self.max_points = max_points

    # -- coordinates: u is linear in the sampling scale ---------------------------------------
    @staticmethod
    def _bounds_u(p: FloatParam | IntParam) -> tuple[float, float]:
        if isinstance(p, FloatParam) and p.scale == "reverse_log":
            return math.log(1.0 - p.high), math.log(1.0 - p.low)
        log = p.scale == "log" if isinstance(p, FloatParam) else p.log
        return (math.log(p.low), math.log(p.high)) if log else (float(p.low), float(p.high))

    @staticmethod
    def _from_u(p: FloatParam | IntParam, u: float) -> Any:
        """u → Optuna's internal value (1 − β for reverse-log), clipped into range."""
        if isinstance(p, FloatParam) and p.scale == "reverse_log":
            return min(max(math.exp(u), 1.0 - p.high), 1.0 - p.low)
        log = p.scale == "log" if isinstance(p, FloatParam) else p.log
        x = math.exp(u) if log else u
        if isinstance(p, IntParam):
            return int(min(max(round(x), p.low), p.high))
        return min(max(x, p.low), p.high)

    @staticmethod
    def _to_u(p: FloatParam | IntParam, internal: Any) -> float:
        if isinstance(p, FloatParam) and p.scale == "reverse_log":
            return math.log(float(internal))
        log = p.scale == "log" if isinstance(p, FloatParam) else p.log
        return math.log(float(internal)) if log else float(internal)

    def _axis(self, p: FloatParam | IntParam, centre: float | None, spacing: float) -> list[Any]:
        lo, hi = self._bounds_u(p)
        if centre is None:
            us = [lo + (hi - lo) * i / (self.points - 1) for i in range(self.points)]
        else:
            a, b = max(lo, centre - spacing), min(hi, centre + spacing)
            us = [a + (b - a) * i / (self.points - 1) for i in range(self.points)]
        return list(dict.fromkeys(self._from_u(p, u) for u in us))  # ints may collide

    def _spacing(self, p: FloatParam | IntParam, level: int) -> float:
        lo, hi = self._bounds_u(p)
        return (hi - lo) / (self.points - 1) * (2.0 / (self.points - 1)) ** (level - 1)

    def grid(self, space: SearchSpace, level: int, best: Mapping[str, Any] | None) -> list[dict]:
        """The points (Optuna's internal params) of one level; ``best`` (internal params of the
        best earlier trial) centres levels above 0."""
        axes: dict[str, list[Any]] = {}
        for name, p in space.items():
            key = optuna_name(name, p)
            if isinstance(p, CategoricalParam):
                if best is not None and key in best:
                    axes[name] = [best[key]]
                else:
                    axes[name] = list(p.choices)
            elif best is not None and key in best:
                axes[name] = self._axis(p, self._to_u(p, best[key]), self._spacing(p, level))
            else:
                axes[name] = self._axis(p, None, 0.0)
        size = math.prod(len(a) for a in axes.values())
        if size <= self.max_points:
            points = self._enumerate(space, axes)
        else:
            rng = random.Random(f"{self.seed}-{level}")
            seen: dict[tuple, dict] = {}
            for _ in range(self.max_points * 20):
                if len(seen) >= self.max_points:
                    break
                point = self._draw(space, axes, rng)
                seen.setdefault(tuple(sorted(point.items(), key=lambda kv: kv[0])), point)
            points = list(seen.values())
        return points

    @staticmethod
    def _enumerate(space: SearchSpace, axes: Mapping[str, list[Any]]) -> list[dict]:
        names = list(space)
        out: dict[tuple, dict] = {}
        for combo in itertools.product(*(axes[n] for n in names)):
            values: dict[str, Any] = {}
            internal: dict[str, Any] = {}
            for name, v in zip(names, combo, strict=True):
                if space.is_active(name, values):
                    values[name] = v  # categorical values are what conditions test
                    internal[optuna_name(name, space[name])] = v
            out.setdefault(tuple(internal.items()), internal)
        return list(out.values())

    @staticmethod
    def _draw(space: SearchSpace, axes: Mapping[str, list[Any]], rng: random.Random) -> dict:
        values: dict[str, Any] = {}
        internal: dict[str, Any] = {}
        for name in space:
            if space.is_active(name, values):
                v = rng.choice(axes[name])
                values[name] = v
                internal[optuna_name(name, space[name])] = v
        return internal

    def ask(self, study: optuna.Study, space: SearchSpace, n: int) -> list[optuna.trial.Trial]:
        from optuna.trial import TrialState

        trials = [t for t in study.get_trials(deepcopy=False) if GRID_LEVEL_ATTR in t.user_attrs]
        level = max((int(t.user_attrs[GRID_LEVEL_ATTR]) for t in trials), default=0)
        out: list[optuna.trial.Trial] = []
        while len(out) < n and level < self.levels:
            this_level = [t for t in trials if t.user_attrs[GRID_LEVEL_ATTR] == level]
            points = self._level_points(study, space, level, trials)
            asked = {int(t.user_attrs[GRID_INDEX_ATTR]) for t in this_level}
            pending = [i for i in range(len(points)) if i not in asked]
            for i in pending[: n - len(out)]:
                trial = ask_owned(
                    study, params=points[i], user_attrs={GRID_LEVEL_ATTR: level, GRID_INDEX_ATTR: i}
                )
                space.suggest(trial)
                out.append(trial)
            if out:
                break  # the next level needs this level's results first
            if any(t.state == TrialState.RUNNING for t in this_level):
                break  # another worker's points are still training
            level += 1
        return out

    def _level_points(
        self, study: optuna.Study, space: SearchSpace, level: int, trials: list
    ) -> list[dict]:
        if level == 0:
            return self.grid(space, 0, None)
        best = _best_finished(study, [t for t in trials if t.user_attrs[GRID_LEVEL_ATTR] < level])
        return self.grid(space, level, None if best is None else best.params)


def _best_finished(study: optuna.Study, trials: list) -> Any:
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    done = [
        t
        for t in trials
        if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]
    if not done:
        return None
    sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
    return max(done, key=lambda t: (sign * t.value, -t.number))

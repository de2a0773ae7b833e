"""Search strategies: how the next trials are chosen (the lecture's grid that tightens around
promising areas, random on a log scale, evolutionary, plus Hyperband and PBT).

Every strategy has one method to implement, ``ask(study, space, n)``: start up to ``n`` new
trials in ``study`` (through ``ask_owned``, so each carries its worker's pid and a heartbeat)
with every active parameter of ``space`` suggested, and return them (an empty
list means nothing is left to ask right now). Three hooks with defaults: ``sampler(seed=…)``
(random) and ``pruner(space)`` (none) say what the study is opened with, ``exploit_hook(space)``
(none; PBT's exploit/explore) what runs between epochs of the asked trials trained together.
The executor trains the asked trials and tells their results; it never needs to know which
strategy asked them.
"""

from __future__ import annotations

import abc
import itertools
import math
import random
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from orthotune._errors import InvalidInputError
from orthotune.search._space import (
    CategoricalParam,
    FloatParam,
    IntParam,
    SearchSpace,
    optuna_name,
)
from orthotune.search._storage import ask_owned

if TYPE_CHECKING:
    import optuna

    from orthotune.fit import ExploitHook

# Discrete parameters that members of one population may still differ in (DESIGN.md's group key
# leaves them out: ModelSpec.shape_key without init, TrainConfig.group_key without epochs and
# schedule): a coherent batch samples them per trial.
PER_MEMBER: tuple[str, ...] = ("epochs", "schedule", "init")

GRID_LEVEL_ATTR = "grid_level"
GRID_INDEX_ATTR = "grid_index"


def max_epochs(space: SearchSpace, *, default: int = 20) -> int:
    """The largest number of epochs a trial of ``space`` may train (Hyperband's max resource)."""
    if "epochs" not in space:
        return default
    p = space["epochs"]
    if isinstance(p, CategoricalParam):
        return int(max(int(c) for c in p.choices if c is not None))
    return int(p.high)


class Strategy(abc.ABC):
    """A way of choosing the next trials; subclasses implement ``ask``.

    ``coherent`` (PBT sets it): a batch asked at once shares its structure — the first trial
    samples every parameter, the others take its categorical and integer ones (architecture,
    widths, optimizer family, batch size …) but ``PER_MEMBER``, and sample the rest (learning
    rate, L2, dropout, βs, epochs, schedule, initialization), so the whole batch is one
    population. The other strategies sample every trial independently: on MNIST-1D a coherent
    TPE trained more trials in 10 minutes (80 vs 56) but explored 10 structures instead of 56
    and never reached 97.5 % test accuracy, which independent sampling reached at 150 s
    (``bench/search_vs_optuna.py``, seed 0, this machine).
    """

    name: ClassVar[str] = ""
    coherent: bool = False
    warm_start: ClassVar[bool] = False
    # Whether several workers may run this strategy on one study (``join_study``); when not,
    # ``unshared_reason`` says why, in the message that refuses a second worker.
    shareable: ClassVar[bool] = True
    unshared_reason: ClassVar[str] = ""

    def __init__(self, *, seed: int | None = 0) -> None:
        self.seed = seed
        self.start: Mapping[str, Any] | None = None  # user-facing values; see the module doc

    def sampler(self) -> optuna.samplers.BaseSampler:
        """The Optuna sampler the study is opened with (default: random)."""
        import optuna

        return optuna.samplers.RandomSampler(seed=self.seed)

    def pruner(self, space: SearchSpace) -> optuna.pruners.BasePruner:
        """The Optuna pruner that stops members early from their per-epoch values (default:
        none)."""
        import optuna

        return optuna.pruners.NopPruner()

    def exploit_hook(self, space: SearchSpace) -> ExploitHook | None:
        """What the population executor runs between epochs of the members it trains together
        (``fit.ExploitHook``; default: none, members train as sampled)."""
        return None

    @abc.abstractmethod
    def ask(self, study: optuna.Study, space: SearchSpace, n: int) -> list[optuna.trial.Trial]:
        """Start up to ``n`` trials with their parameters suggested; [] when nothing is left."""

    # A helper for the strategies whose choice lies entirely in the sampler.
    def _sampled(self, study: optuna.Study, space: SearchSpace, n: int) -> list[optuna.trial.Trial]:
        if self.warm_start and self.start and n >= 1 and not study.get_trials(deepcopy=False):
            first = ask_owned(study, params=space.internal_params(space.project(self.start)))
            space.suggest(first)
            return [first, *self._sampled(study, space, n - 1)]
        if not self.coherent or n <= 1:
            return self._independent(study, space, n)
        import optuna

        first = self._independent(study, space, 1)
        shared = {
            optuna_name(k, space[k]): v
            for k, v in first[0].params.items()
            if k in space and not isinstance(space[k], FloatParam) and k not in PER_MEMBER
        }
        base = study.sampler
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.sampler = optuna.samplers.PartialFixedSampler(shared, base)
        try:
            return first + self._independent(study, space, n - 1)
        finally:
            study.sampler = base

    @staticmethod
    def _independent(study: optuna.Study, space: SearchSpace, n: int) -> list[optuna.trial.Trial]:
        trials = []
        for _ in range(max(0, n)):
            trial = ask_owned(study)
            space.suggest(trial)
            trials.append(trial)
        return trials


class RandomSearch(Strategy):
    """Independent random samples (log-uniform where the space says log)."""

    name = "random"

    def ask(self, study: optuna.Study, space: SearchSpace, n: int) -> list[optuna.trial.Trial]:
        return self._sampled(study, space, n)


class TPE(Strategy):
    """Optuna's Tree-structured Parzen Estimator (grouped for conditional spaces; constant liar
    so that a batch asked at once spreads out), with median stopping: once four trials have
    finished, a member whose dev score after an epoch (from the third) is below the median of
    the finished trials at that epoch stops there.

    Without a pruner every sampled model trains all its epochs: on MNIST-1D (default space)
    TPE reached 97.5 % test accuracy 2.1× later than Optuna's TPE + Hyperband one model at a time
    (``bench/search_vs_optuna.py``, 3 seeds, before this pruner and the warm start).
    """

    name = "tpe"
    warm_start = True

    def __init__(self, *, seed: int | None = 0, n_startup_trials: int = 10) -> None:
        super().__init__(seed=seed)
        self.n_startup_trials = n_startup_trials

    def sampler(self) -> optuna.samplers.BaseSampler:
        import optuna

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.TPESampler(
                seed=self.seed,
                n_startup_trials=self.n_startup_trials,
                multivariate=True,
                group=True,
                constant_liar=True,
            )

    def pruner(self, space: SearchSpace) -> optuna.pruners.BasePruner:
        import optuna

        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=2)

    def ask(self, study: optuna.Study, space: SearchSpace, n: int) -> list[optuna.trial.Trial]:
        return self._sampled(study, space, n)


class Evolution(Strategy):
    """Genetic search with Optuna's NSGA-II sampler (single objective: elitist selection,
    crossover and mutation of the previous generation)."""

    name = "evolution"

    def __init__(self, *, seed: int | None = 0, population_size: int = 16) -> None:
        super().__init__(seed=seed)
        self.population_size = population_size

    def sampler(self) -> optuna.samplers.BaseSampler:
        import optuna

        return optuna.samplers.NSGAIISampler(population_size=self.population_size, seed=self.seed)

    def ask(self, study: optuna.Study, space: SearchSpace, n: int) -> list[optuna.trial.Trial]:
        return self._sampled(study, space, n)


class Hyperband(Strategy):
    """Successive halving over epochs in Hyperband brackets (Optuna's HyperbandPruner), with TPE
    proposing the configurations."""

    name = "hyperband"
    warm_start = True

    def __init__(self, *, seed: int | None = 0, reduction_factor: int = 3) -> None:
        super().__init__(seed=seed)
        self.reduction_factor = reduction_factor

    def sampler(self) -> optuna.samplers.BaseSampler:
        return TPE(seed=self.seed).sampler()

    def pruner(self, space: SearchSpace) -> optuna.pruners.BasePruner:
        import optuna

        return optuna.pruners.HyperbandPruner(
            min_resource=1,
            max_resource=max_epochs(space),
            reduction_factor=self.reduction_factor,
        )

    def ask(self, study: optuna.Study, space: SearchSpace, n: int) -> list[optuna.trial.Trial]:
        return self._sampled(study, space, n)


# Parameters a population member can change in place during PBT (no change of shapes): the
# continuous knobs ``Population.perturb`` multiplies.
PBT_MUTABLE: tuple[str, ...] = ("lr", "l2", "dropout", "beta", "beta1", "beta2")


class PBT(Strategy):
    """Population-based training: a random initial population; every ``exploit_every`` epochs
    the worst ``fraction`` of members copy the weights and hyperparameters of a member from the
    best ``fraction`` (exploit) and perturb the continuous ones by ×0.8 or ×1.2 (explore).

    ``ask`` always draws one coherent population (see ``Strategy``): members that share their
    structure can exploit each other. The executor calls ``exploit_hook(space)`` between
    epochs; it moves weights and knobs through the population's ``copy_member`` and
    ``perturb``.
    """

    name = "pbt"
    coherent = True
    shareable: ClassVar[bool] = False
    unshared_reason: ClassVar[str] = (
        "PBT's exploit step copies weights between members trained together in one process"
    )

    def __init__(
        self,
        *,
        seed: int | None = 0,
        exploit_every: int = 2,
        fraction: float = 0.25,
        factors: tuple[float, float] = (0.8, 1.2),
    ) -> None:
        super().__init__(seed=seed)
        if exploit_every < 1:
            raise InvalidInputError(
                f"PBT exploit_every={exploit_every}: accepted is an integer ≥ 1; fix: use 1 or "
                "more epochs between exploits"
            )
        if not 0 < fraction <= 0.5:
            raise InvalidInputError(
                f"PBT fraction={fraction}: accepted is in (0, 0.5]; fix: use e.g. 0.25"
            )
        self.exploit_every = exploit_every
        self.fraction = fraction
        self.factors = factors
        self._rng = random.Random(seed)

    def ask(self, study: optuna.Study, space: SearchSpace, n: int) -> list[optuna.trial.Trial]:
        return self._sampled(study, space, n)

    def exploit_hook(self, space: SearchSpace) -> ExploitHook:
        """The executor's ``ExploitHook``: every ``exploit_every`` epochs, each loser's new
        values are ``explore`` of its winner's."""

        def hook(epoch: int, scores: list[float], values: list[dict[str, float]]):
            if (epoch + 1) % self.exploit_every:
                return []
            return [
                (loser, winner, self.explore(values[winner], space))
                for loser, winner in self.exploit(scores)
            ]

        return hook

    def exploit(self, scores: Sequence[float]) -> list[tuple[int, int]]:
        """(loser, winner) pairs: each member of the bottom ``fraction`` (by score, higher is
        better; NaN counts as worst) gets a random member of the top ``fraction``."""
        n = len(scores)
        k = max(1, int(n * self.fraction)) if n >= 2 else 0
        if k == 0:
            return []

        def key(i: int) -> float:
            s = scores[i]
            return -math.inf if s is None or math.isnan(s) else s

        order = sorted(range(n), key=key, reverse=True)
        top, bottom = order[:k], order[-k:]
        return [(loser, self._rng.choice(top)) for loser in bottom if loser not in top]

    def explore(self, values: Mapping[str, Any], space: SearchSpace) -> dict[str, Any]:
        """A perturbed copy of a winner's values: each mutable float ×0.8 or ×1.2 (on 1 − β for
        reverse-log), clipped to its range."""
        out = dict(values)
        for name in PBT_MUTABLE:
            if name not in out or name not in space:
                continue
            p = space[name]
            if not isinstance(p, FloatParam):
                continue
            f = self._rng.choice(self.factors)
            v = float(out[name])
            v = 1.0 - (1.0 - v) * f if p.scale == "reverse_log" else v * f
            out[name] = min(max(v, p.low), p.high)
        return out


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


STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (GridZoom, RandomSearch, TPE, Evolution, Hyperband, PBT)
}


def make_strategy(name: str, *, seed: int | None = 0, **options: Any) -> Strategy:
    """The strategy called ``name`` (grid, random, tpe, evolution, hyperband, pbt)."""
    cls = STRATEGIES.get(name)
    if cls is None:
        raise InvalidInputError(
            f"--strategy {name!r} is unknown: accepted are {', '.join(STRATEGIES)}; fix: pick "
            "one of them"
        )
    return cls(seed=seed, **options)

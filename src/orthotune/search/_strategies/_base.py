"""The one-method contract every strategy implements (``Strategy``), and what they share."""

from __future__ import annotations

import abc
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from orthotune.search._space import (
    CategoricalParam,
    FloatParam,
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
    population. The other strategies sample every trial independently, chosen on dev data:
    on the synthetic development set (12 seeds, 45 s each, 1 torch thread, Intel Xeon;
    ``python bench/search_vs_optuna.py --seeds 12 --budget-s 45 --batches
    independent,coherent --data SYNTHETIC``, SYNTHETIC the ``source`` of ``synthetic`` in
    ``bench/datasets.yaml``) a coherent TPE trained twice the trials (median 141 against 69),
    but its incumbent passed the start's dev accuracy + 0.5 points later (median 4.0 s against
    3.25 s; later in 9 seeds, sooner in 2, the same in 1) and ended lower on dev (median
    79.84 % against 80.33 %): a batch that shares a slow structure spends the time of 8 slow
    models on it (seed 3: 9 trials in 45 s, the target passed at 45.7 s against 10.5 s), and a
    population reports its members when the slowest finishes. (Random batches of 8 from the
    default space never shared a structure in 50 tries, so the independent ones train one after
    another.)
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

    # A helper for the strategies whose choice lies entirely in the sampler. The starting point
    # of a new study is asked alone, a batch of its own, however many trials the executor would
    # train at once: a population shares each step among its members, so the start, trained
    # beside 7 sampled trials, was the incumbent 4.2 s into the search on the synthetic
    # development set (1.4 s of it imports, before the first batch); alone, and with the imports
    # made before the clock, 2.0 s, where the Optuna peer had it at 1.4 s (``bench/suite.py``'s
    # search methods, seed 0, 30 s, 1 torch thread). The start is the incumbent every later
    # trial has to beat, and the model a short budget hands back.
    def _sampled(self, study: optuna.Study, space: SearchSpace, n: int) -> list[optuna.trial.Trial]:
        if self.warm_start and self.start and n >= 1 and not study.get_trials(deepcopy=False):
            first = ask_owned(study, params=space.internal_params(space.project(self.start)))
            space.suggest(first)
            return [first]
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

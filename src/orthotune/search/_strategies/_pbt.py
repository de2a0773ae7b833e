"""Population-based training: members trained together exploit and explore between epochs."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from orthotune._errors import InvalidInputError
from orthotune.search._space import (
    FloatParam,
    SearchSpace,
)
from orthotune.search._strategies._base import Strategy

if TYPE_CHECKING:
    import optuna

    from orthotune.fit import ExploitHook


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

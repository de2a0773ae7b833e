"""Hyperband: successive halving over epochs, TPE choosing the configurations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orthotune.search._space import SearchSpace
from orthotune.search._strategies._base import Strategy, max_epochs
from orthotune.search._strategies._tpe import TPE

if TYPE_CHECKING:
    import optuna


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

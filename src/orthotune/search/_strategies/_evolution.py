"""Genetic search: Optuna's NSGA-II sampler over the previous generation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orthotune.search._space import SearchSpace
from orthotune.search._strategies._base import Strategy

if TYPE_CHECKING:
    import optuna


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

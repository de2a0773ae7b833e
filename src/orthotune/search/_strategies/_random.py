"""Random search: every parameter sampled independently (log scale where the space says so)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orthotune.search._space import SearchSpace
from orthotune.search._strategies._base import Strategy

if TYPE_CHECKING:
    import optuna


class RandomSearch(Strategy):
    """Independent random samples (log-uniform where the space says log)."""

    name = "random"

    def ask(self, study: optuna.Study, space: SearchSpace, n: int) -> list[optuna.trial.Trial]:
        return self._sampled(study, space, n)

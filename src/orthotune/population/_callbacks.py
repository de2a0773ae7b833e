"""Hooks a search plugs into ``fit_population``: see each epoch's figures, prune members.

``PopulationCallback`` is a class of no-op hooks (Lightning-style); override what you need.
``PruneWith`` adapts the one-function form a pruner offers, e.g. Optuna's
``trial.report(value, epoch); trial.should_prune()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from orthotune._errors import InvalidInputError

METRICS = ("dev_error", "dev_loss", "train_loss")


@dataclass(frozen=True)
class EpochMetrics:
    """Figures of the members still training after one epoch, aligned with ``member_ids``.

    dev_error / dev_loss are None when fit was given no dev set.
    """

    epoch: int
    member_ids: list[int]
    train_loss: list[float]
    dev_error: list[float] | None = None
    dev_loss: list[float] | None = None

    def value(self, member_id: int, metric: str = "dev_error") -> float:
        """One member's figure (``dev_error``, ``dev_loss`` or ``train_loss``)."""
        if metric not in METRICS:
            raise InvalidInputError(
                f"metric {metric!r} is not reported per epoch: accepted are {', '.join(METRICS)}"
            )
        values = getattr(self, metric)
        if values is None:
            raise InvalidInputError(
                f"metric {metric!r} needs a dev set: pass dev= to fit, or use train_loss"
            )
        return values[self.member_ids.index(member_id)]


class PopulationCallback:
    """Hooks called by ``fit_population``; every method is optional."""

    def on_epoch_end(self, population, epoch: int, metrics: EpochMetrics) -> Iterable[int] | None:
        """After each epoch's evaluation: return the member ids to prune (None prunes none)."""
        return None


class PruneWith(PopulationCallback):
    """Prune each member for which ``should_prune(member_id, epoch, value)`` is true, where
    value is the member's ``metric`` after that epoch (e.g. Optuna's report + should_prune)."""

    def __init__(
        self, should_prune: Callable[[int, int, float], bool], *, metric: str = "dev_error"
    ):
        if metric not in METRICS:
            raise InvalidInputError(
                f"metric {metric!r} is not reported per epoch: accepted are {', '.join(METRICS)}"
            )
        self.should_prune = should_prune
        self.metric = metric

    def on_epoch_end(self, population, epoch: int, metrics: EpochMetrics) -> list[int]:
        return [
            mid
            for mid in metrics.member_ids
            if self.should_prune(mid, epoch, metrics.value(mid, self.metric))
        ]

"""What happened to each member: its status, why it stopped, and its per-epoch history.

A member's history uses the single trainer's ``EpochRecord`` and its stop reasons are the
trainer's ``StopReason`` (``CALLBACK`` = pruned by a search's hook), so a member's record reads
like a ``TrainResult``. A stopped member explains itself like Lightning's EarlyStopping: an enum
plus a sentence with the numbers.
"""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from orthotune.models import ModelSpec
from orthotune.train import EpochRecord, StopReason, TrainConfig

__all__ = ["MemberResult", "MemberStatus", "PopulationResult", "StopReason"]


class MemberStatus(StrEnum):
    """Where a member stands."""

    RUNNING = "running"
    COMPLETED = "completed"  # trained all its epochs
    EARLY_STOPPED = "early_stopped"  # dev error stopped improving (TrainConfig.patience)
    PRUNED = "pruned"  # a search's pruner or the caller stopped it
    OUT_OF_TIME = "out_of_time"  # the time budget ran out before its last epoch
    FAILED = "failed"  # its loss turned NaN/inf; never reported best


class MemberResult(BaseModel):
    """The outcome of one member of a population (the population's ``TrainResult``)."""

    model_config = ConfigDict(extra="forbid")

    member_id: int
    seed: int
    spec: ModelSpec
    config: TrainConfig
    status: MemberStatus
    reason: StopReason | None = None
    message: str = ""
    epochs: int = Field(0, description="epochs trained")
    steps: int = Field(0, description="optimizer steps taken")
    history: list[EpochRecord] = Field(default_factory=list)
    best_epoch: int | None = Field(
        None, description="epoch of the lowest dev error (the kept weights under early stopping)"
    )
    restored_best: bool = Field(False, description="the kept weights are best_epoch's")

    @property
    def failed(self) -> bool:
        return self.status is MemberStatus.FAILED

    @property
    def best_dev_error(self) -> float | None:
        errors = [r.dev_error for r in self.history if r.dev_error is not None]
        return min(errors) if errors else None

    @property
    def final_dev_error(self) -> float | None:
        """Dev error of the weights the member keeps (its best epoch's when restored)."""
        if not self.history:
            return None
        if self.restored_best and self.best_epoch is not None:
            return self.history[self.best_epoch].dev_error
        return self.history[-1].dev_error


class PopulationResult(BaseModel):
    """Every member's outcome after ``fit_population``."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    members: list[MemberResult]
    shared_batches: bool
    steps: int = Field(description="optimizer steps the population took")
    seconds: float

    def best(self, metric: str = "final_dev_error") -> MemberResult | None:
        """The member with the lowest ``metric`` (``final_dev_error`` or ``best_dev_error``);
        failed members and NaN values never rank. None when no member qualifies."""
        ranked = []
        for m in self.members:
            value = getattr(m, metric)
            if m.failed or value is None or not math.isfinite(value):
                continue
            ranked.append((value, m.member_id, m))
        return min(ranked, key=lambda t: t[:2])[2] if ranked else None

    @property
    def failures(self) -> list[MemberResult]:
        return [m for m in self.members if m.failed]

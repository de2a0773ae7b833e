"""What happened to each member: status, the reason it stopped, and its per-epoch record.

A stopped member explains itself like Lightning's EarlyStopping: an enum plus a sentence with the
numbers ("dev error did not improve by 0 in the last 3 epochs; best 0.212 at epoch 4").
"""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from orthotune.models import ModelSpec
from orthotune.train import TrainConfig


class MemberStatus(StrEnum):
    """Where a member stands."""

    RUNNING = "running"
    COMPLETED = "completed"  # trained all its epochs
    EARLY_STOPPED = "early_stopped"  # dev error stopped improving (TrainConfig.patience)
    PRUNED = "pruned"  # a search's pruner or the caller stopped it
    FAILED = "failed"  # its loss turned NaN/inf; never reported best


class StopReason(StrEnum):
    """Why a member left the stack."""

    EPOCHS_DONE = "epochs_done"
    PATIENCE_EXHAUSTED = "patience_exhausted"
    PRUNED = "pruned"
    NON_FINITE_LOSS = "non_finite_loss"


class EpochRecord(BaseModel):
    """One member's figures after one epoch (rates as fractions; None where not measured)."""

    model_config = ConfigDict(extra="forbid")

    epoch: int
    train_loss: float
    dev_error: float | None = None
    dev_loss: float | None = None


class MemberResult(BaseModel):
    """The outcome of one member of a population."""

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

    @property
    def failed(self) -> bool:
        return self.status is MemberStatus.FAILED

    @property
    def best_dev_error(self) -> float | None:
        errors = [r.dev_error for r in self.history if r.dev_error is not None]
        return min(errors) if errors else None

    @property
    def final_dev_error(self) -> float | None:
        return self.history[-1].dev_error if self.history else None


class PopulationResult(BaseModel):
    """Every member's outcome after ``Population.fit``."""

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

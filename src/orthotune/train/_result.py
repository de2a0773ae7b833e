"""What a training run leaves: per-epoch history, why it stopped, the final errors.

Errors are fractions (never percents). ``train_loss`` / ``train_error`` of an epoch are running
values over that epoch's mini-batches (train mode: dropout on, weights moving); the final errors
of ``TrainResult`` are measured once more at the end in eval mode on the whole sets.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from orthotune.train._config import TrainConfig

__all__ = ["EpochRecord", "GradientNorms", "StopReason", "TrainResult"]

SCHEMA_VERSION = 1


class StopReason(StrEnum):
    """Why a training run ended."""

    COMPLETED = "completed"  # every configured epoch ran
    PATIENCE_EXHAUSTED = "patience_exhausted"  # early stopping: dev metric stopped improving
    NON_FINITE = "non_finite"  # the loss became NaN or infinite
    TIME_BUDGET = "time_budget"  # the wall-clock budget ran out
    INTERRUPTED = "interrupted"  # Ctrl-C
    CALLBACK = "callback"  # a user callback asked to stop


class GradientNorms(BaseModel):
    """L2 norms of each layer's weight gradient at the last step of an epoch.

    The lecture's vanishing / exploding gradients: a layer is flagged ``vanishing`` when its norm
    is below ``VANISHING_ABS`` or below ``VANISHING_REL`` times the largest layer norm, and
    ``exploding`` when it is above ``EXPLODING_ABS`` or not finite.
    """

    model_config = ConfigDict(frozen=True)

    VANISHING_ABS: ClassVar[float] = 1e-7
    VANISHING_REL: ClassVar[float] = 1e-4
    EXPLODING_ABS: ClassVar[float] = 1e3

    norms: dict[str, float] = Field(default_factory=dict)
    vanishing: list[str] = Field(default_factory=list)
    exploding: list[str] = Field(default_factory=list)

    @classmethod
    def from_norms(cls, norms: dict[str, float]) -> GradientNorms:
        finite = [v for v in norms.values() if math.isfinite(v)]
        top = max(finite, default=0.0)
        vanishing = [
            k
            for k, v in norms.items()
            if math.isfinite(v) and v < max(cls.VANISHING_ABS, cls.VANISHING_REL * top)
        ]
        exploding = [k for k, v in norms.items() if not math.isfinite(v) or v > cls.EXPLODING_ABS]
        return cls(norms=norms, vanishing=vanishing, exploding=exploding)


class EpochRecord(BaseModel):
    """One epoch t (0-based) of the history."""

    model_config = ConfigDict(frozen=True)

    epoch: int
    steps: int  # optimizer steps taken in this epoch (fewer than usual if the budget ran out)
    lr: float  # learning rate at the epoch's first step
    train_loss: float  # running mean of the (weighted) mini-batch losses
    train_error: float  # running error rate over the epoch's mini-batches
    smoothed_loss: float  # EWA of the per-step losses with bias correction, at the epoch's end
    dev_loss: float | None = None
    dev_error: float | None = None
    seconds: float  # wall time of the epoch, dev evaluation included
    gradients: GradientNorms = Field(default_factory=GradientNorms)


class TrainResult(BaseModel):
    """A finished run: history, stop reason and message, best epoch, final errors."""

    schema_version: int = SCHEMA_VERSION
    config: TrainConfig
    history: list[EpochRecord]
    stop_reason: StopReason
    stop_message: str
    best_epoch: int | None  # epoch of the lowest dev error (the restored weights under early
    #                         stopping), None without a dev set
    restored_best: bool = False  # the returned weights are those of best_epoch
    epochs_run: int
    num_train: int  # m
    batch_size: int
    steps_per_epoch: int
    train_loss: float | None = None  # final, eval mode, whole training set
    train_error: float | None = None
    dev_loss: float | None = None
    dev_error: float | None = None
    seconds: float
    device: str
    seed: int

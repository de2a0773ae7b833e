"""What a training run leaves: per-epoch history, why it stopped, the final errors.

Errors are fractions (never percents). ``train_loss`` / ``train_error`` of an epoch are running
values over that epoch's mini-batches (train mode: dropout on, weights moving); the final errors
of ``TrainResult`` are measured once more at the end in eval mode on the whole sets.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from orthotune._records import EpochRecord, GradientNorms
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

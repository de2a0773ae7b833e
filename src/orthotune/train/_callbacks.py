"""Callbacks: small objects the ``Trainer`` calls at fixed points of the loop (Lightning style).

A ``Callback`` is a class of no-op hooks; subclasses override what they need. ``on_batch_end`` is
only called for callbacks that override it (the per-step loop stays lean). A callback stops the
run with ``state.request_stop(reason, message)``; the trainer finishes the epoch's bookkeeping
and ends. The trainer adds ``NonFiniteGuard`` always and ``EarlyStopping`` when
``config.patience`` is set; user callbacks run after them, in the order given.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from orthotune.train._result import EpochRecord, StopReason, TrainResult

if TYPE_CHECKING:
    from orthotune.train._checkpoint import Manifest

__all__ = [
    "Callback",
    "CheckpointCallback",
    "EarlyStopping",
    "NonFiniteGuard",
    "TrainState",
]

logger = logging.getLogger(__name__)


@dataclass
class TrainState:
    """What callbacks see and may change while a run is in progress."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    max_epochs: int
    steps_per_epoch: int
    epoch: int = 0
    history: list[EpochRecord] = field(default_factory=list)
    stop_reason: StopReason | None = None
    stop_message: str = ""
    best_epoch: int | None = None
    restored_best: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def should_stop(self) -> bool:
        return self.stop_reason is not None

    def request_stop(self, reason: StopReason, message: str) -> None:
        """Ask the trainer to stop after this epoch; the first request wins."""
        if self.stop_reason is None:
            self.stop_reason = reason
            self.stop_message = message


def snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the model's state (parameters and buffers), on the model's device."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class Callback:
    """Base class: every hook is a no-op."""

    def on_fit_start(self, state: TrainState) -> None:
        """Called once before the first epoch."""

    def on_epoch_start(self, state: TrainState) -> None:
        """Called at the start of each epoch (``state.epoch`` is its 0-based index)."""

    def on_batch_end(self, state: TrainState, step: int, loss: torch.Tensor) -> None:
        """Called after each optimizer step with the batch loss (a 0-dim tensor, not synced)."""

    def on_epoch_end(self, state: TrainState, record: EpochRecord) -> None:
        """Called after each epoch with its record (already appended to ``state.history``)."""

    def on_fit_end(self, state: TrainState) -> None:
        """Called once after the last epoch, before the final evaluation."""

    def on_result(self, state: TrainState, result: TrainResult) -> None:
        """Called with the finished result (final errors measured)."""


def _fmt(x: float) -> str:
    return f"{x:.4g}"


class EarlyStopping(Callback):
    """Stop when the dev metric has not improved by ``min_delta`` for ``patience`` epochs.

    Improvement means ``value < best - min_delta`` (lower is better: ``dev_error``,
    ``dev_loss``). At the end of the run — whatever stopped it — the weights of the best epoch
    are restored when ``restore_best`` is set.
    """

    def __init__(
        self,
        *,
        patience: int,
        min_delta: float = 0.0,
        monitor: str = "dev_error",
        restore_best: bool = True,
    ) -> None:
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        self.patience = patience
        self.min_delta = min_delta
        self.monitor = monitor
        self.restore_best = restore_best
        self.best: float = math.inf
        self.best_epoch: int | None = None
        self.wait = 0
        self._best_state: dict[str, torch.Tensor] | None = None

    def on_fit_start(self, state: TrainState) -> None:
        self.best, self.best_epoch, self.wait, self._best_state = math.inf, None, 0, None

    def on_epoch_end(self, state: TrainState, record: EpochRecord) -> None:
        value = getattr(record, self.monitor)
        if value is None or not math.isfinite(value):
            return  # no dev set, or non-finite: the NonFiniteGuard handles the latter
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, record.epoch, 0
            if self.restore_best:
                self._best_state = snapshot(state.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            name = self.monitor.replace("_", " ")
            state.request_stop(
                StopReason.PATIENCE_EXHAUSTED,
                f"{name} did not improve by {_fmt(self.min_delta)} in the last "
                f"{self.patience} epochs; best {_fmt(self.best)} at epoch {self.best_epoch + 1}",
            )

    def on_fit_end(self, state: TrainState) -> None:
        if self.best_epoch is None:
            return
        state.best_epoch = self.best_epoch
        if self.restore_best and self._best_state is not None:
            state.model.load_state_dict(self._best_state)
            state.restored_best = True


class NonFiniteGuard(Callback):
    """Stop with ``NON_FINITE`` when the train or dev loss is NaN/inf; never raises.

    With ``restore`` set, the weights of the last epoch whose losses were finite are put back
    (a copy is kept each epoch), so the returned model is usable.
    """

    def __init__(self, *, restore: bool = True) -> None:
        self.restore = restore
        self._last_good: dict[str, torch.Tensor] | None = None
        self._last_good_epoch: int | None = None

    def on_fit_start(self, state: TrainState) -> None:
        self._last_good = snapshot(state.model) if self.restore else None
        self._last_good_epoch = None

    def on_epoch_end(self, state: TrainState, record: EpochRecord) -> None:
        bad = [
            (name, value)
            for name, value in (("train loss", record.train_loss), ("dev loss", record.dev_loss))
            if value is not None and not math.isfinite(value)
        ]
        if not bad:
            if self.restore:
                self._last_good = snapshot(state.model)
                self._last_good_epoch = record.epoch
            return
        name, value = bad[0]
        where = (
            f"the weights of epoch {self._last_good_epoch + 1} are kept"
            if self._last_good_epoch is not None
            else "the initial weights are kept"
        )
        if not self.restore:
            where = "the weights are left as they are"
        state.request_stop(
            StopReason.NON_FINITE,
            f"{name} became {value} in epoch {record.epoch + 1} (lr {_fmt(record.lr)}); {where}; "
            "lower the learning rate or clip gradients (grad_clip)",
        )
        if self.restore and self._last_good is not None:
            state.model.load_state_dict(self._last_good)
        state.extra["non_finite_epoch"] = record.epoch


class CheckpointCallback(Callback):
    """Save the model with ``save_checkpoint`` when the monitored metric improves (``save="best"``)
    or after every epoch (``save="last"``). ``manifest`` is the template (spec, names,
    normalization…); each save fills in the epoch's metrics. The model must be a ``Net``."""

    def __init__(
        self,
        directory: str | Path,
        manifest: Manifest,
        *,
        save: str = "best",
        monitor: str = "dev_error",
    ) -> None:
        if save not in ("best", "last"):
            raise ValueError(f"save must be 'best' or 'last', got {save!r}")
        self.directory = Path(directory)
        self.manifest = manifest
        self.save = save
        self.monitor = monitor
        self.best = math.inf
        self.saved_epoch: int | None = None

    def on_epoch_end(self, state: TrainState, record: EpochRecord) -> None:
        from orthotune.train._checkpoint import save_checkpoint

        value = getattr(record, self.monitor)
        if not math.isfinite(record.train_loss):
            return
        if self.save == "best":
            if value is None or not math.isfinite(value) or value >= self.best:
                return
            self.best = value
        metrics = {
            "epoch": float(record.epoch),
            "train_loss": record.train_loss,
            "train_error": record.train_error,
        }
        if record.dev_error is not None:
            metrics["dev_error"] = record.dev_error
            metrics["dev_loss"] = record.dev_loss
        manifest = self.manifest.model_copy(update={"metrics": metrics})
        save_checkpoint(self.directory, state.model, manifest)
        self.saved_epoch = record.epoch

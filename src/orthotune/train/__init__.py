"""Training one model: ``Trainer``, optimizers, LR schedules, callbacks, checkpoints."""

from orthotune.train._config import OPTIMIZERS, SCHEDULES, TrainConfig
from orthotune.train._schedule import lr_factor

__all__ = ["OPTIMIZERS", "SCHEDULES", "TrainConfig", "lr_factor"]

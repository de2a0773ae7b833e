"""Training one model: ``Trainer``, optimizers, LR schedules, callbacks, checkpoints."""

from orthotune.train._config import OPTIMIZERS, SCHEDULES, TrainConfig

__all__ = ["OPTIMIZERS", "SCHEDULES", "TrainConfig"]

"""Training one model: ``Trainer``, optimizers, LR schedules, callbacks, checkpoints."""

from orthotune.train._callbacks import (
    Callback,
    CheckpointCallback,
    EarlyStopping,
    NonFiniteGuard,
    ProgressCallback,
    TrainState,
)
from orthotune.train._checkpoint import (
    MANIFEST_FILE,
    WEIGHTS_FILE,
    Manifest,
    library_versions,
    load_checkpoint,
    read_manifest,
    save_checkpoint,
)
from orthotune.train._config import OPTIMIZERS, SCHEDULES, TrainConfig
from orthotune.train._optim import decay_groups, l2_weight_decay, make_optimizer
from orthotune.train._predict import (
    ModelInputs,
    Predictor,
    load_predictor,
    predict_logits,
    prepare_inputs,
)
from orthotune.train._result import EpochRecord, GradientNorms, StopReason, TrainResult
from orthotune.train._schedule import lr_factor
from orthotune.train._trainer import DEVICES, Examples, Trainer, batch_bounds, resolve_device

__all__ = [
    "DEVICES",
    "MANIFEST_FILE",
    "OPTIMIZERS",
    "SCHEDULES",
    "WEIGHTS_FILE",
    "Callback",
    "CheckpointCallback",
    "EarlyStopping",
    "EpochRecord",
    "Examples",
    "GradientNorms",
    "Manifest",
    "ModelInputs",
    "NonFiniteGuard",
    "Predictor",
    "ProgressCallback",
    "StopReason",
    "TrainConfig",
    "TrainResult",
    "TrainState",
    "Trainer",
    "batch_bounds",
    "decay_groups",
    "l2_weight_decay",
    "library_versions",
    "load_checkpoint",
    "load_predictor",
    "lr_factor",
    "make_optimizer",
    "predict_logits",
    "prepare_inputs",
    "read_manifest",
    "resolve_device",
    "save_checkpoint",
]

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
    InitRecord,
    Manifest,
    library_versions,
    load_checkpoint,
    model_from_bytes,
    read_manifest,
    save_checkpoint,
    weights_to_bytes,
)
from orthotune.train._config import OPTIMIZERS, SCHEDULES, TrainConfig
from orthotune.train._loss import FOCAL_FLOOR, focal_factor
from orthotune.train._optim import decay_groups, l2_weight_decay, make_optimizer
from orthotune.train._precision import check_precision, resolve_precision
from orthotune.train._predict import (
    ModelInputs,
    Predictor,
    encode_inputs,
    load_predictor,
    predict_logits,
    prepare_inputs,
    probabilities,
)
from orthotune.train._result import EpochRecord, GradientNorms, StopReason, TrainResult
from orthotune.train._run import (
    TrainSummary,
    build_config,
    build_spec,
    read_config_file,
    save_trained,
    train_on_split,
)
from orthotune.train._schedule import lr_factor
from orthotune.train._trainer import DEVICES, Examples, Trainer, batch_bounds, resolve_device
from orthotune.train._transfer import (
    FREEZE_FEATURES,
    WarmStart,
    frozen_modules,
    load_warm_start,
    parse_freeze,
)

__all__ = [
    "DEVICES",
    "FOCAL_FLOOR",
    "FREEZE_FEATURES",
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
    "InitRecord",
    "Manifest",
    "ModelInputs",
    "NonFiniteGuard",
    "Predictor",
    "ProgressCallback",
    "StopReason",
    "TrainConfig",
    "TrainResult",
    "TrainState",
    "TrainSummary",
    "Trainer",
    "WarmStart",
    "batch_bounds",
    "build_config",
    "build_spec",
    "check_precision",
    "decay_groups",
    "encode_inputs",
    "focal_factor",
    "frozen_modules",
    "l2_weight_decay",
    "library_versions",
    "load_checkpoint",
    "load_predictor",
    "load_warm_start",
    "lr_factor",
    "make_optimizer",
    "model_from_bytes",
    "parse_freeze",
    "predict_logits",
    "prepare_inputs",
    "probabilities",
    "read_config_file",
    "read_manifest",
    "resolve_device",
    "resolve_precision",
    "save_checkpoint",
    "save_trained",
    "train_on_split",
    "weights_to_bytes",
]

"""Hyperparameter search on Optuna: spaces, strategies, budgets, study storage, the best trial.

- ``SearchSpace`` (float linear/log/reverse-log, int, categorical, conditional) and
  ``default_space(input_shape, num_classes)``; ``params_to_candidate`` → (ModelSpec, TrainConfig)
- strategies (``make_strategy``): grid with coarse-to-fine zoom, random, tpe, evolution,
  hyperband, pbt — each a ``Strategy`` with one method, ``ask``
- ``Budget`` (``parse_duration("5m")``, trials, goal) and ``StopReason``
- storage: ``open_storage`` / ``open_study`` (SQLite in the run folder by default; PostgreSQL
  shared by many workers, retried through outages), trial owners and heartbeats,
  ``fail_stale_trials``, ``join_study`` (fingerprint of data/split/space; unshared strategies)
- ``best_trial`` / ``leaderboard``: the best that respects satisficing constraints
- ``study_record``: a shared study as a whole (workers, best, checkpoints) → ``study.json``
- ``tune_search``: the whole job behind ``orthotune tune --strategy …`` (run folder, resumable
  study, incumbent checkpoint, test metrics once) → ``SearchSummary``; the caller renders the
  report
"""

from orthotune._rundir import WORKERS_DIR
from orthotune.search._best import (
    Constraint,
    Leaderboard,
    TrialRow,
    best_trial,
    is_feasible,
    leaderboard,
    trial_metrics,
)
from orthotune.search._budget import (
    Budget,
    Stop,
    StopReason,
    format_duration,
    parse_duration,
)
from orthotune.search._candidate import (
    MODEL_PARAMETERS,
    PARAMETERS,
    TRAIN_PARAMETERS,
    check_vocabulary,
    default_space,
    load_space,
    params_to_candidate,
)
from orthotune.search._job import SearchSummary, accepted_metrics, resolve_metric, tune_search
from orthotune.search._space import (
    CategoricalParam,
    FloatParam,
    IntParam,
    Param,
    SearchSpace,
    optuna_name,
)
from orthotune.search._start import starting_point
from orthotune.search._storage import (
    MEMORY_STORAGE,
    Heartbeat,
    Lease,
    Owner,
    RetryingStorage,
    ask_owned,
    claim,
    default_storage_url,
    fail_stale_trials,
    grace_period,
    heartbeat_interval,
    is_server_url,
    join_study,
    open_storage,
    open_study,
    redact,
    sqlite_file,
    stale_reason,
    study_fingerprint,
)
from orthotune.search._strategies import (
    PBT,
    STRATEGIES,
    TPE,
    Evolution,
    GridZoom,
    Hyperband,
    RandomSearch,
    Strategy,
    make_strategy,
    max_epochs,
)
from orthotune.search._workers import StudyRecord, WorkerRow, study_record, write_study_record

__all__ = [
    "MEMORY_STORAGE",
    "MODEL_PARAMETERS",
    "PARAMETERS",
    "PBT",
    "STRATEGIES",
    "TPE",
    "TRAIN_PARAMETERS",
    "WORKERS_DIR",
    "Budget",
    "CategoricalParam",
    "Constraint",
    "Evolution",
    "FloatParam",
    "GridZoom",
    "Heartbeat",
    "Hyperband",
    "IntParam",
    "Leaderboard",
    "Lease",
    "Owner",
    "Param",
    "RandomSearch",
    "RetryingStorage",
    "SearchSpace",
    "SearchSummary",
    "Stop",
    "StopReason",
    "Strategy",
    "StudyRecord",
    "TrialRow",
    "WorkerRow",
    "accepted_metrics",
    "ask_owned",
    "best_trial",
    "check_vocabulary",
    "claim",
    "default_space",
    "default_storage_url",
    "fail_stale_trials",
    "format_duration",
    "grace_period",
    "heartbeat_interval",
    "is_feasible",
    "is_server_url",
    "join_study",
    "leaderboard",
    "load_space",
    "make_strategy",
    "max_epochs",
    "open_storage",
    "open_study",
    "optuna_name",
    "params_to_candidate",
    "parse_duration",
    "redact",
    "resolve_metric",
    "sqlite_file",
    "stale_reason",
    "starting_point",
    "study_fingerprint",
    "study_record",
    "trial_metrics",
    "tune_search",
    "write_study_record",
]

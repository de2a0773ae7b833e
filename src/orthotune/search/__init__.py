"""Hyperparameter search on Optuna: spaces, strategies, budgets, study storage, the best trial.

- ``SearchSpace`` (float linear/log/reverse-log, int, categorical, conditional) and
  ``default_space(input_shape, num_classes)``; ``params_to_candidate`` → (ModelSpec, TrainConfig)
- strategies (``make_strategy``): grid with coarse-to-fine zoom, random, tpe, evolution,
  hyperband, pbt — each a ``Strategy`` with one method, ``ask``
- ``Budget`` (``parse_duration("5m")``, trials, goal) and ``StopReason``
- storage: ``open_storage`` / ``open_study`` (SQLite in the run folder by default), trial owners
  and heartbeats, ``fail_stale_trials`` on resume
- ``best_trial`` / ``leaderboard``: the best that respects satisficing constraints
- ``tune_search``: the whole job behind ``orthotune tune --strategy …`` (run folder, resumable
  study, incumbent checkpoint, test metrics once, report) → ``SearchSummary``
"""

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
from orthotune.search._executor import calibrate_trained
from orthotune.search._job import SearchSummary, accepted_metrics, tune_search
from orthotune.search._space import (
    CategoricalParam,
    FloatParam,
    IntParam,
    Param,
    SearchSpace,
    optuna_name,
)
from orthotune.search._storage import (
    Heartbeat,
    Owner,
    ask_owned,
    claim,
    default_storage_url,
    fail_stale_trials,
    open_storage,
    open_study,
    stale_reason,
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

__all__ = [
    "MODEL_PARAMETERS",
    "PARAMETERS",
    "PBT",
    "STRATEGIES",
    "TPE",
    "TRAIN_PARAMETERS",
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
    "Owner",
    "Param",
    "RandomSearch",
    "SearchSpace",
    "SearchSummary",
    "Stop",
    "StopReason",
    "Strategy",
    "TrialRow",
    "accepted_metrics",
    "ask_owned",
    "best_trial",
    "calibrate_trained",
    "check_vocabulary",
    "claim",
    "default_space",
    "default_storage_url",
    "fail_stale_trials",
    "format_duration",
    "is_feasible",
    "leaderboard",
    "load_space",
    "make_strategy",
    "max_epochs",
    "open_storage",
    "open_study",
    "optuna_name",
    "params_to_candidate",
    "parse_duration",
    "stale_reason",
    "trial_metrics",
    "tune_search",
]

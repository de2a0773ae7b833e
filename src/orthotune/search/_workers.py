"""The study-level record of a study shared by many workers (``orthotune report --study NAME
--storage URL``): built from the database and the workers' folders.

Each worker of a server study wrote ``RUN_DIR/workers/<host>-<pid>/`` and recorded in every
COMPLETE trial the folder of its checkpoint (``models/trial-N``). ``study_record`` reads the
trials, groups them by worker, finds the best (COMPLETE, finite, feasible; ties to the lower
number) and checks which checkpoints this machine can see; ``run_dir_of`` finds the shared
``RUN_DIR`` from those folders, where ``write_study_record`` leaves ``study.json``.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from orthotune._rundir import WORKERS_DIR
from orthotune.search._job import CHECKPOINT_ATTR, FEASIBLE_ATTR
from orthotune.search._storage import (
    OWNER_HOST_ATTR,
    OWNER_PID_ATTR,
    STALE_ATTR,
    Owner,
)

__all__ = ["STUDY_RECORD", "StudyRecord", "WorkerRow", "study_record", "write_study_record"]

SCHEMA_VERSION = 1
STUDY_RECORD = "study.json"


class WorkerRow(BaseModel):
    """One worker process of the study and what it told."""

    folder: str = Field(description="<host>-<pid>, its folder under RUN_DIR/workers/")
    host: str
    pid: int
    trials: int
    complete: int
    failed: int


class StudyRecord(BaseModel):
    """``RUN_DIR/study.json``: a shared study as a whole."""

    schema_version: int = SCHEMA_VERSION
    study_name: str
    storage: str = Field(description="the storage URL, password hidden")
    maximize: bool
    trials: int
    states: dict[str, int]
    workers: list[WorkerRow]
    best_trial: int | None = None
    best_value: float | None = None
    best_model_dir: str | None = None
    run_dir: str | None = Field(None, description="the shared RUN_DIR, when this disk has it")
    missing_checkpoints: list[int] = Field(
        default_factory=list, description="COMPLETE trials whose checkpoint this disk lacks"
    )


def study_record(study: Any, *, storage: str) -> StudyRecord:
    """The record of an Optuna ``study`` (``storage``: its URL, shown with the password
    hidden)."""
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    from orthotune.search._storage import redact

    maximize = study.direction == StudyDirection.MAXIMIZE
    trials = study.get_trials(deepcopy=False)
    by_worker: dict[Owner, list[Any]] = {}
    for t in trials:
        if OWNER_PID_ATTR in t.user_attrs:
            owner = Owner(str(t.user_attrs.get(OWNER_HOST_ATTR)), int(t.user_attrs[OWNER_PID_ATTR]))
            by_worker.setdefault(owner, []).append(t)
    workers = [
        WorkerRow(
            folder=owner.folder,
            host=owner.host,
            pid=owner.pid,
            trials=len(ts),
            complete=sum(t.state == TrialState.COMPLETE for t in ts),
            failed=sum(t.state == TrialState.FAIL for t in ts),
        )
        for owner, ts in sorted(by_worker.items(), key=lambda kv: (kv[0].host, kv[0].pid))
    ]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    eligible = [
        t
        for t in complete
        if t.value is not None
        and math.isfinite(t.value)
        and t.user_attrs.get(FEASIBLE_ATTR, True)
        and not t.user_attrs.get(STALE_ATTR)
    ]
    sign = 1.0 if maximize else -1.0
    best = min(eligible, key=lambda t: (-sign * t.value, t.number), default=None)
    missing = [
        t.number
        for t in complete
        if not Path(str(t.user_attrs.get(CHECKPOINT_ATTR, ""))).joinpath("manifest.json").is_file()
    ]
    best_dir = None if best is None else best.user_attrs.get(CHECKPOINT_ATTR)
    return StudyRecord(
        study_name=study.study_name,
        storage=redact(storage),
        maximize=maximize,
        trials=len(trials),
        states=dict(Counter(t.state.name for t in trials)),
        workers=workers,
        best_trial=None if best is None else best.number,
        best_value=None if best is None else float(best.value),
        best_model_dir=best_dir,
        run_dir=run_dir_of(complete),
        missing_checkpoints=missing,
    )


def run_dir_of(trials: list[Any]) -> str | None:
    """The shared ``RUN_DIR`` of the trials' checkpoints (``RUN_DIR/workers/W/models/trial-N``)
    when this disk has it, else None."""
    for t in trials:
        path = Path(str(t.user_attrs.get(CHECKPOINT_ATTR, "")))
        if len(path.parts) > 4 and path.parents[2].name == WORKERS_DIR:
            run_dir = path.parents[3]
            if run_dir.is_dir():
                return str(run_dir)
    return None


def write_study_record(folder: str | Path, record: StudyRecord) -> Path:
    """Write ``folder/study.json`` atomically."""
    from orthotune._io import atomic_write_json

    return atomic_write_json(Path(folder) / STUDY_RECORD, record)

"""``RunDir``: the run folder every command leaves behind (DESIGN.md), read by the report.

    RUN_DIR/
      run.json              what was asked and the summary result (``RunRecord``)
      split.json            example ids of train / train-dev / dev / test
      study.db              the Optuna study, when a search ran
      models/<name>/        checkpoints (weights.safetensors + manifest.json)
      models/best           a text file holding the chosen model's name (not a symlink)
      history/<name>.json   per-epoch curves of each kept model
      calibration.json      temperature scaling of the chosen model on dev: ECE before/after
      diagnosis.json · decisions.json · analysis/ · report.html

Every write is atomic (``orthotune._io``). ``RunDir.create`` refuses a folder that already
holds a run or anything else (it never writes into, or deletes from, what another command
left); ``RunDir.open`` reads an existing run.

run.json carries ``schema_version`` (``SCHEMA_VERSION``). ``read_run`` reads a file without
one as version 0 (written before the field was read) through ``_migrate``, and refuses in one
line a file that is not JSON, not an object, or from a newer orthotune.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from orthotune._errors import InvalidInputError
from orthotune._io import atomic_write_json, atomic_write_text

__all__ = ["RunDir", "RunRecord", "check_keep", "resolve_model_dir"]

SCHEMA_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunRecord(BaseModel):
    """run.json: what was asked (command, data, config, seed, versions) and the summary."""

    schema_version: int = SCHEMA_VERSION
    command: str
    argv: list[str] = Field(default_factory=lambda: list(sys.argv[1:]))
    data: str = ""
    seed: int | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    filled: list[str] = Field(
        default_factory=list, description="what --impute did to each column with missing values"
    )
    versions: dict[str, str] = Field(default_factory=dict)
    started: str = Field(default_factory=_now)
    finished: str | None = None
    summary: dict[str, Any] | None = None


def _check_name(name: str) -> str:
    if not _NAME.match(name) or name == "best":
        raise InvalidInputError(
            f"model name {name!r} is not allowed; use letters, digits, '.', '_' or '-' "
            "(not 'best'), e.g. mlp-1"
        )
    return name


class RunDir:
    """Paths and atomic writers of one run folder."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    # ------------------------------------------------------------ opening
    @staticmethod
    def refuse_existing(path: str | os.PathLike) -> None:
        """Raise unless ``path`` is missing or an empty folder (checked before any work)."""
        folder = Path(path)
        if not folder.exists():
            return
        if not folder.is_dir():
            raise InvalidInputError(
                f"--out {folder} is a file, not a folder; give a new folder path"
            )
        if (folder / "run.json").exists():
            raise InvalidInputError(
                f"--out {folder} already holds a run (run.json); orthotune never overwrites "
                "a run: give a new --out folder, or move that one away"
            )
        if any(folder.iterdir()):
            raise InvalidInputError(
                f"--out {folder} is not empty and not an orthotune run; give a new or empty "
                "--out folder"
            )

    @classmethod
    def create(cls, path: str | os.PathLike) -> RunDir:
        """A new run folder at ``path``: missing or empty is fine; anything else is refused."""
        cls.refuse_existing(path)
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        return cls(folder)

    @classmethod
    def open(cls, path: str | os.PathLike) -> RunDir:
        """An existing run folder (it must hold run.json)."""
        folder = Path(path)
        if not (folder / "run.json").is_file():
            raise InvalidInputError(
                f"{folder} is not an orthotune run folder (no run.json); give the --out folder "
                "of an orthotune command"
            )
        return cls(folder)

    # ------------------------------------------------------------ paths
    @property
    def run_json(self) -> Path:
        return self.path / "run.json"

    @property
    def split_json(self) -> Path:
        return self.path / "split.json"

    @property
    def study_db(self) -> Path:
        return self.path / "study.db"

    @property
    def diagnosis_json(self) -> Path:
        return self.path / "diagnosis.json"

    @property
    def calibration_json(self) -> Path:
        return self.path / "calibration.json"

    @property
    def decisions_json(self) -> Path:
        return self.path / "decisions.json"

    @property
    def analysis_dir(self) -> Path:
        return self.path / "analysis"

    @property
    def report_html(self) -> Path:
        return self.path / "report.html"

    @property
    def models_dir(self) -> Path:
        return self.path / "models"

    def model_dir(self, name: str) -> Path:
        return self.models_dir / _check_name(name)

    def history_path(self, name: str) -> Path:
        return self.path / "history" / f"{_check_name(name)}.json"

    # ------------------------------------------------------------ writers
    def write_run(self, record: RunRecord) -> Path:
        return atomic_write_json(self.run_json, record)

    def read_run(self) -> RunRecord:
        """run.json as a ``RunRecord``, migrated from an older schema (see the module doc)."""
        where = self.run_json
        try:
            raw = json.loads(where.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InvalidInputError(
                f"{where} is unreadable ({type(err).__name__}: {err}); accepted is a run.json "
                "written by orthotune: give another run folder, or run the command again"
            ) from None
        if not isinstance(raw, dict):
            raise InvalidInputError(
                f"{where} holds a JSON {type(raw).__name__}, not a run record; accepted is a "
                "run.json written by orthotune: give another run folder"
            )
        version = raw.get("schema_version", 0)
        if not isinstance(version, int) or not 0 <= version <= SCHEMA_VERSION:
            raise InvalidInputError(
                f"{where} has schema_version {version!r}; this orthotune reads versions 0 to "
                f"{SCHEMA_VERSION}: upgrade orthotune to read it"
            )
        try:
            return RunRecord.model_validate(_migrate(raw, version))
        except ValueError as err:  # pydantic's ValidationError
            first = str(err).splitlines()
            raise InvalidInputError(
                f"{where} (schema_version {version}) is not a run record: "
                f"{' '.join(first[1:3]).strip() or first[0]}; give another run folder"
            ) from None

    def write_split(self, split: Any) -> Path:
        return atomic_write_json(self.split_json, split)

    def write_history(self, name: str, history: Any) -> Path:
        return atomic_write_json(self.history_path(name), history)

    def write_diagnosis(self, diagnosis: Any) -> Path:
        return atomic_write_json(self.diagnosis_json, diagnosis)

    def write_calibration(self, calibration: Any) -> Path:
        return atomic_write_json(self.calibration_json, calibration)

    def write_decisions(self, decisions: Any) -> Path:
        return atomic_write_json(self.decisions_json, decisions)

    def set_best(self, name: str) -> Path:
        """Name the chosen model (models/best, a one-line text file)."""
        if not (self.model_dir(name) / "manifest.json").is_file():
            raise ValueError(f"no checkpoint at {self.model_dir(name)} to name as best")
        return atomic_write_text(self.models_dir / "best", name + "\n")

    def prune_models(self, incumbents: Sequence[str], *, keep: int | None) -> list[str]:
        """Bound the checkpoints kept: the chosen model (models/best) and, of ``incumbents``
        (oldest first), the newest ones — all with ``keep`` None, else ``keep`` in all with the
        chosen one. Every other folder under models/ goes (a half-written checkpoint too), with
        its history. Returns the names removed."""
        check_keep(keep)
        chosen = self.best_name()
        others = [n for n in incumbents if n != chosen]
        if keep is not None:
            n = keep - (chosen is not None)  # room left beside the chosen model
            others = others[-n:] if n > 0 else []
        kept = {*others, *([chosen] if chosen else [])}
        folders = sorted(self.models_dir.iterdir()) if self.models_dir.is_dir() else []
        # every other folder, checkpoints half-written by a killed job included
        removed = [p.name for p in folders if p.is_dir() and p.name not in kept]
        for name in removed:
            shutil.rmtree(self.models_dir / name, ignore_errors=True)
            if _NAME.match(name):
                (self.path / "history" / f"{name}.json").unlink(missing_ok=True)
        return removed

    # ------------------------------------------------------------ readers
    def model_names(self) -> list[str]:
        if not self.models_dir.is_dir():
            return []
        return sorted(p.name for p in self.models_dir.iterdir() if (p / "manifest.json").is_file())

    def best_name(self) -> str | None:
        best = self.models_dir / "best"
        if not best.is_file():
            return None
        return best.read_text(encoding="utf-8").strip() or None

    def best_model_dir(self) -> Path:
        """The chosen model's checkpoint folder (models/best, or the only model there is)."""
        name = self.best_name()
        names = self.model_names()
        if name is None and len(names) == 1:
            name = names[0]
        if name is None:
            raise InvalidInputError(
                f"run folder {self.path} names no chosen model (models/best) among "
                f"{names or 'no models'}; give a model folder such as {self.models_dir}/<name>"
            )
        return self.model_dir(name)


def check_keep(keep: int | None) -> None:
    """Refuse a ``--keep`` below 1 (None: keep every incumbent)."""
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
        raise InvalidInputError(
            f"--keep {keep!r}: accepted is an integer ≥ 1 (the chosen model and the newest "
            "incumbents); fix: give e.g. --keep 1, or leave it out to keep every incumbent"
        )


def _migrate(raw: dict[str, Any], version: int) -> dict[str, Any]:
    """A run.json of ``version`` in today's form. Version 0 (no ``schema_version``) had the
    fields of version 1, only ``command`` could be missing (read as ``unknown``)."""
    if version == 0:
        raw = {**raw, "schema_version": SCHEMA_VERSION, "command": raw.get("command", "unknown")}
    return raw


def resolve_model_dir(path: str | os.PathLike) -> Path:
    """A checkpoint folder from ``RUN_DIR`` (its chosen model) or ``MODEL_DIR`` itself."""
    folder = Path(path)
    if (folder / "manifest.json").is_file():
        return folder
    if (folder / "run.json").is_file() or (folder / "models").is_dir():
        return RunDir(folder).best_model_dir()
    if folder.is_file() and folder.name == "manifest.json":
        return folder.parent
    return folder  # load_checkpoint explains what is wrong with it

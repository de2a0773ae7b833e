"""``RunDir``: the run folder every command leaves behind (DESIGN.md), read by the report.

    RUN_DIR/
      run.json              what was asked and the summary result (``RunRecord``)
      split.json            example ids of train / train-dev / dev / test
      study.db              the Optuna study, when a search ran
      models/<name>/        checkpoints (weights.safetensors + manifest.json)
      models/best           a text file holding the chosen model's name (not a symlink)
      history/<name>.json   per-epoch curves of each kept model
      calibration.json      temperature scaling of the chosen model on dev: ECE before/after
      test_scores.json      the chosen model's ClassificationReport on test (confusion matrix)
      diagnosis.json · decisions.json · analysis/ · report.html

Every write is atomic (``orthotune._io``). ``RunDir.create`` refuses a folder that already
holds a run or anything else (it never writes into, or deletes from, what another command
left); ``RunDir.open`` reads an existing run.

Every JSON file is a typed record with a ``schema_version`` (``orthotune._records``), written
and read here only: ``write_history`` / ``read_history``, ``write_diagnosis`` /
``read_diagnosis``, ``write_decisions`` / ``read_decisions``, ``read_record`` for the others.
A reader migrates what an older orthotune wrote — run.json without a version (``_migrate``),
history files in train's or tune's old shape (``_migrate_history``) — and refuses in one line
(``InvalidInputError``) a file that is not JSON, not the record, or from a newer orthotune.
The checkpoint's manifest.json has its own writer and reader, which verify its hashes
(``orthotune.train.save_checkpoint`` / ``read_manifest``; train sits above this module).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from orthotune._errors import InvalidInputError
from orthotune._io import atomic_write_json, atomic_write_text, check_writable
from orthotune._records import (
    HISTORY_SCHEMA_VERSION,
    RUN_SCHEMA_VERSION,
    DecisionLog,
    History,
    RunRecord,
    SplitRecord,
)
from orthotune.diagnose import Diagnosis

WORKERS_DIR = "workers"  # OUT/workers/<host>-<pid>/: one run folder per worker of a study

__all__ = [
    "CALIBRATION_FILE",
    "TEST_SCORES_FILE",
    "WORKERS_DIR",
    "RunDir",
    "RunRecord",
    "as_folder",
    "check_keep",
    "check_model_name",
    "resolve_model_dir",
    "shared_study_hint",
]

SCHEMA_VERSION = RUN_SCHEMA_VERSION
DIAGNOSIS_FILE = "diagnosis.json"
DECISIONS_FILE = "decisions.json"
CALIBRATION_FILE = "calibration.json"
TEST_SCORES_FILE = "test_scores.json"  # the chosen model's ClassificationReport on test
SPLIT_FILE = "split.json"  # which example went to which part (SplitRecord)
# commands whose run folder holds a result and no model (a model is asked of it in vain)
KEEPS_NO_MODEL = ("learning-curve",)
# a run folder's claim (its writer's pid): a new run's until its run.json is written, a
# resumed search's until it ends — two jobs given one --out at once both found it empty and
# wrote one folder of two runs, and two resumes of one search both ran in it (``RunDir.claim``)
CLAIM_FILE = ".orthotune-claim"
CLAIM_WRITE_S = 10.0  # a claim without its pid older than this was never finished: free
Record = TypeVar("Record", bound=BaseModel)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_model_name(name: str) -> str:
    """A model's folder name: letters, digits, '.', '_' or '-', and not ``best`` (the pointer
    file's name); else one line."""
    if not isinstance(name, str) or not _NAME.match(name) or name == "best":
        raise InvalidInputError(
            f"model name {name!r} is not allowed; use letters, digits, '.', '_' or '-' "
            "(not 'best'), e.g. mlp-1"
        )
    return name


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


# default run folders this process made (``RunDir.reserve``): whether it made their parent too
_RESERVED: dict[Path, bool] = {}


def _claim_alive(folder: Path) -> bool:
    """Whether the process that claimed ``folder`` still runs on this machine (a claim whose
    pid is gone — killed, or refused before its run.json — frees the folder again)."""
    claim = folder / CLAIM_FILE
    try:
        pid = int(claim.read_text().strip())
    except ValueError:  # no pid: being written this instant, or never (a full disk, a kill)
        try:
            return time.time() - claim.stat().st_mtime < CLAIM_WRITE_S
        except OSError:
            return False
    except OSError:  # unreadable: taken as held
        return True
    # this process's own claim was left by a job it refused (a notebook's): taken over
    return pid != os.getpid() and pid_alive(pid)


def _claimed(folder: Path) -> str:
    """The refusal of a folder another job claimed and has not yet written run.json into."""
    try:
        pid = (folder / CLAIM_FILE).read_text().strip()
    except OSError:
        pid = ""
    who = f"another orthotune process (pid {pid})" if pid else "another orthotune process"
    return (
        f"--out {folder} is being written by {who}: give a new --out folder, or wait until "
        "that one has finished"
    )


class RunDir:
    """Paths and atomic writers of one run folder."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).expanduser()
        self._made: bool | None = None  # ``create``: whether it made the folder (else it was empty)
        self._identity: tuple[int, int] | None = None  # the folder a job writes (``hold``)

    # ------------------------------------------------------------ opening
    @staticmethod
    def refuse_existing(path: str | os.PathLike) -> None:
        """Raise unless ``path`` is missing or an empty folder (checked before any work)."""
        folder = as_folder(path)
        if folder.exists() and not folder.is_dir():
            raise InvalidInputError(
                f"--out {folder} is a file, not a folder; give a new folder path"
            )
        check_writable(folder, folder=True)
        if not folder.exists():
            return
        if (folder / CLAIM_FILE).exists() and not (folder / "run.json").exists():
            if _claim_alive(folder):
                raise InvalidInputError(_claimed(folder))
            (folder / CLAIM_FILE).unlink(missing_ok=True)  # its writer is gone: free again
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
        folder = Path(path).expanduser()
        made = not folder.exists() or folder.absolute() in _RESERVED
        # a link to a folder not made yet: its target is made (mkdir of the link failed)
        real = Path(os.path.realpath(folder)) if folder.is_symlink() else folder
        real.mkdir(parents=True, exist_ok=True)
        run = cls(folder)
        run.claim()  # of two jobs at once, one gets it; the other is refused, nothing written
        run._made = made
        run.hold()
        return run

    def hold(self) -> None:
        """Remember which folder this job writes, so that ``check_in_place`` notices it moved."""
        found = os.stat(self.path)
        self._identity = (found.st_dev, found.st_ino)

    def check_in_place(self) -> None:
        """Refuse to write on when the folder this job opened was moved or deleted meanwhile:
        the writes made a new folder at the old path (mkdir of its parents) and the job ended
        in an internal FileNotFoundError, its run split in two. No-op for a folder not held."""
        if self._identity is None:
            return
        try:
            found = os.stat(self.path)
            same = (found.st_dev, found.st_ino) == self._identity
        except OSError:
            same = False
        if not same:
            raise InvalidInputError(
                f"{self.path} was moved or deleted while the job ran: the models it kept so far "
                "are where the folder went; run the job again with a new --out (a search "
                "resumes from the moved folder: the same command with --out there)"
            )

    @staticmethod
    def reserve(stamp: str) -> str:
        """A default run folder (no ``--out`` given), made now: ``stamp``, else ``stamp-2``,
        ``stamp-3``… — the first one mkdir makes, so two jobs started in the same second (a
        loop, two shells) never meet in one. ``create`` counts it as made by this job, so a
        job refused before its first model removes it (``abandon``)."""
        out, k = stamp, 1
        parent = Path(stamp).parent
        made_parent = not parent.exists()
        while True:
            try:
                Path(out).mkdir(parents=True)
            except FileExistsError:
                k += 1
                out = f"{stamp}-{k}"
                continue
            _RESERVED[Path(out).absolute()] = made_parent
            return out

    @staticmethod
    def unreserve(out: str) -> None:
        """Remove a folder ``reserve`` made, when the job left it empty (refused before it
        wrote: a missing DATA left an empty ``runs/tune-<time>`` behind), and ``runs/`` too
        when ``reserve`` made that and it is empty now."""
        folder = Path(out).absolute()
        made_parent = _RESERVED.pop(folder, False)
        with contextlib.suppress(OSError):  # not empty: the job's run stays
            folder.rmdir()  # (gone already: the job's refusal removed it)
        if made_parent and not folder.exists():
            with contextlib.suppress(OSError):
                folder.parent.rmdir()

    def claim(self) -> None:
        """Hold this folder for this process until ``release``: a file made only if missing,
        holding the pid (``CLAIM_FILE``) — a new run's until its run.json is written, a
        resumed search's until it ends. A claim whose process is gone is taken over; a live
        one refuses, in one line."""
        path = self.path / CLAIM_FILE
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if _claim_alive(self.path):
                    raise InvalidInputError(_claimed(self.path)) from None
                path.unlink(missing_ok=True)
                continue
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(f"{os.getpid()}\n")
            except BaseException:  # a full disk: no claim left without its pid
                path.unlink(missing_ok=True)
                raise
            return
        raise InvalidInputError(_claimed(self.path))

    def release(self) -> None:
        """Let go of this process's claim (``claim``)."""
        (self.path / CLAIM_FILE).unlink(missing_ok=True)

    def abandon(self) -> None:
        """Remove what this command wrote, and the folder when ``create`` made it: a job
        refused before it kept a model leaves no run behind, so the same ``--out`` works when
        the user runs it again. ``create`` took only a missing or empty folder, so everything
        in it is this command's; a run opened with ``open`` is never touched."""
        if self._made is None:
            return
        try:
            self.check_in_place()  # never remove what another folder at its old path holds
        except InvalidInputError:
            return
        if self._made:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        for entry in self.path.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    @classmethod
    def open(cls, path: str | os.PathLike) -> RunDir:
        """An existing run folder (it must hold run.json)."""
        folder = Path(path).expanduser()
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
        return self.path / SPLIT_FILE

    @property
    def study_db(self) -> Path:
        return self.path / "study.db"

    @property
    def diagnosis_json(self) -> Path:
        return self.path / DIAGNOSIS_FILE

    @property
    def calibration_json(self) -> Path:
        return self.path / CALIBRATION_FILE

    @property
    def test_scores_json(self) -> Path:
        return self.path / TEST_SCORES_FILE

    @property
    def decisions_json(self) -> Path:
        return self.path / DECISIONS_FILE

    @property
    def analysis_dir(self) -> Path:
        return self.path / "analysis"

    @property
    def models_dir(self) -> Path:
        return self.path / "models"

    def model_dir(self, name: str) -> Path:
        return self.models_dir / check_model_name(name)

    def history_path(self, name: str) -> Path:
        return self.path / "history" / f"{check_model_name(name)}.json"

    # ------------------------------------------------------------ writers
    def _write(self, where: Path, record: Any) -> Path:
        """Every writer's: ``record`` as JSON at ``where``, atomically, into the folder held."""
        self.check_in_place()
        return atomic_write_json(where, record)

    def write_run(self, record: RunRecord) -> Path:
        return self._write(self.run_json, record)

    def read_run(self) -> RunRecord:
        """run.json as a ``RunRecord``, migrated from an older schema (see the module doc)."""
        return self._read(self.run_json, RunRecord, RUN_SCHEMA_VERSION, _migrate, "run record")

    def _read(
        self, where: Path, record: type[Record], newest: int, migrate: Any, what: str
    ) -> Record:
        """``where`` as a ``record``: JSON, a version this reads, migrated, validated — or
        refused in one line (InvalidInputError) naming the file, what is accepted and the fix."""
        raw = _load_json(where, what)
        version = raw.get("schema_version", 0) if isinstance(raw, dict) else 0
        if not isinstance(version, int) or not 0 <= version <= newest:
            raise InvalidInputError(
                f"{where} has schema_version {version!r}; this orthotune reads versions 0 to "
                f"{newest}: upgrade orthotune to read it"
            )
        raw = migrate(raw, version)
        if not isinstance(raw, dict):
            raise InvalidInputError(
                f"{where} holds a JSON {type(raw).__name__}, not a {what}; accepted is a "
                f"{where.name} written by orthotune: give another run folder"
            )
        try:
            return record.model_validate(raw)
        except ValidationError as err:
            first = str(err).splitlines()
            raise InvalidInputError(
                f"{where} (schema_version {version}) is not a {what}: "
                f"{' '.join(first[1:3]).strip() or first[0]}; give another run folder"
            ) from None

    def write_split(self, split: Any) -> Path:
        """split.json: ``Split.to_json``'s object, validated as a ``SplitRecord``."""
        return self._write(self.split_json, SplitRecord.model_validate(split))

    def write_history(self, name: str, history: History) -> Path:
        return self._write(self.history_path(name), History.model_validate(history))

    def read_history(self, name: str) -> History:
        """history/NAME.json as a ``History``; the shapes written before version 2 (train's
        TrainResult, tune's bare list of epochs) are migrated (``_migrate_history``)."""
        return self._read(
            self.history_path(name), History, HISTORY_SCHEMA_VERSION, _migrate_history, "history"
        )

    def history_names(self) -> list[str]:
        """The models (and ensemble members) with a history/NAME.json, sorted."""
        folder = self.path / "history"
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.json") if _NAME.match(p.stem))

    def write_diagnosis(self, diagnosis: Diagnosis) -> Path:
        return self._write(self.diagnosis_json, Diagnosis.model_validate(diagnosis))

    def read_diagnosis(self) -> Diagnosis | None:
        """diagnosis.json as a ``Diagnosis`` (None when the run has none)."""
        return self.read_record(DIAGNOSIS_FILE, Diagnosis)

    def read_record(self, relative: str, record: type[Record]) -> Record | None:
        """``RUN_DIR/relative`` as ``record``, a pydantic record whose ``schema_version`` is
        its first (nothing to migrate): diagnosis.json, calibration.json
        (``TemperatureScaling``), analysis/learning_curve.json … None when the file is
        missing; a damaged or newer file is refused in one line (InvalidInputError)."""
        where = self.path / relative
        if not where.is_file():
            return None
        newest = record.model_fields["schema_version"].default
        return self._read(where, record, newest, _same, record.__name__)

    def write_calibration(self, calibration: Any) -> Path:
        return self._write(self.calibration_json, calibration)

    def write_test_scores(self, scores: BaseModel) -> Path:
        """The chosen model's ``ClassificationReport`` on test (measured once, at the end)."""
        return self._write(self.test_scores_json, scores)

    def write_decisions(self, decisions: DecisionLog) -> Path:
        return self._write(self.decisions_json, DecisionLog.model_validate(decisions))

    def read_decisions(self) -> DecisionLog | None:
        """decisions.json as a ``DecisionLog`` (None when no autopilot ran)."""
        return self.read_record(DECISIONS_FILE, DecisionLog)

    def read_split(self) -> SplitRecord | None:
        """split.json as a ``SplitRecord``; None when missing."""
        return self.read_record(SPLIT_FILE, SplitRecord)

    def set_best(self, name: str) -> Path:
        """Name the chosen model (models/best, a one-line text file)."""
        if not (self.model_dir(name) / "manifest.json").is_file():
            raise ValueError(f"no checkpoint at {self.model_dir(name)} to name as best")
        self.check_in_place()
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
    def _command(self) -> str | None:
        """The command that wrote run.json, or None where it cannot be read."""
        try:
            return self.read_run().command
        except InvalidInputError:
            return None

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
        if name is not None and name not in names:
            raise InvalidInputError(  # it named models/ghost, not the pointer or the models
                f"{self.models_dir / 'best'} names the model {name!r}, which is not in "
                f"{self.models_dir} (it holds {', '.join(names) or 'none'}); fix: write one of "
                "those names into models/best, or restore that model"
            )
        if name is None and len(names) == 1:
            name = names[0]
        if name is None and not names:  # "give a model folder such as …" named none there is
            command = self._command()
            if command in KEEPS_NO_MODEL:  # finished, but kept none: not "killed" (a new user)
                raise InvalidInputError(
                    f"run folder {self.path} is a {command} run, which keeps no model; give "
                    "the run folder of tune or train (or one of their model folders)"
                )
            raise InvalidInputError(
                f"run folder {self.path} holds no model: its job did not finish (killed, or "
                "stopped before it kept one); fix: run the job again with a new --out (a search "
                "resumes with the same command)"
            )
        if name is None:
            raise InvalidInputError(
                f"run folder {self.path} names no chosen model (models/best) among "
                f"{', '.join(names)}; fix: give one of them, as {self.models_dir}/<name>"
            )
        return self.model_dir(name)


def check_keep(keep: int | None) -> None:
    """Refuse a ``--keep`` below 1 (None: keep every incumbent)."""
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
        raise InvalidInputError(
            f"--keep {keep!r}: accepted is an integer ≥ 1 (the chosen model and the newest "
            "incumbents); fix: give e.g. --keep 1, or leave it out to keep every incumbent"
        )


def _load_json(where: Path, what: str) -> Any:
    try:
        return json.loads(where.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InvalidInputError(
            f"{where} is unreadable ({type(err).__name__}: {err}); accepted is a {what} "
            "written by orthotune: give another run folder, or run the command again"
        ) from None


def _migrate(raw: Any, version: int) -> Any:
    """A run.json of ``version`` in today's form. Version 0 (no ``schema_version``) had the
    fields of version 1, only ``command`` could be missing (read as ``unknown``)."""
    if version == 0 and isinstance(raw, dict):
        raw = {**raw, "schema_version": SCHEMA_VERSION, "command": raw.get("command", "unknown")}
    return raw


def _migrate_history(raw: Any, version: int) -> Any:
    """A history file in version 2's form. ``tune`` wrote a bare list of epochs (version 0);
    ``train`` wrote its whole ``TrainResult`` (version 1: epochs under ``history``, with its
    stop reason, message and best epoch); anything else is left for validation to refuse."""
    if isinstance(raw, list):
        return {"schema_version": HISTORY_SCHEMA_VERSION, "epochs": raw}
    if version == 1 and isinstance(raw, dict) and "history" in raw:
        kept = {k: raw[k] for k in ("stop_reason", "stop_message", "best_epoch") if k in raw}
        return {"schema_version": HISTORY_SCHEMA_VERSION, "epochs": raw["history"], **kept}
    return raw


def _same(raw: Any, version: int) -> Any:
    """No older spelling to migrate (the file's first version is still the newest)."""
    return raw


def as_folder(path: object, flag: str = "--out") -> Path:
    """``path`` (text or a path) as a ``Path``, ``~`` expanded (the API takes "~/runs/a" as a
    shell would); anything else is one line."""
    if isinstance(path, str | os.PathLike):  # the class pathlib.Path itself is neither
        return Path(path).expanduser()
    raise InvalidInputError(
        f"{flag} {path!r} is no path (type {type(path).__name__}); accepted: a folder path "
        "(text or a pathlib.Path), e.g. 'runs/first'"
    )


def shared_study_hint(folder: str | os.PathLike) -> str:
    """``""``, or, when ``folder`` is the ``--out`` of a study shared by workers, where their
    runs lie (``OUT/workers/<host>-<pid>/``) and which to give: the commands that read a run
    refused that folder with fixes that did not work."""
    root = Path(folder).expanduser()
    runs = sorted(p for p in (root / WORKERS_DIR).glob("*") if (p / "run.json").is_file())
    if not runs:
        return ""
    return (
        f"; {root} is the folder of a study shared by workers: each worker's run is in "
        f"{root / WORKERS_DIR}/ (e.g. {runs[0]}): give one of them, or report the whole study "
        "with `orthotune report --study NAME --storage URL`"
    )


def resolve_model_dir(path: str | os.PathLike) -> Path:
    """A checkpoint folder from ``RUN_DIR`` (its chosen model) or ``MODEL_DIR`` itself; a
    run's ``models/best`` pointer file names the model it points to."""
    folder = as_folder(path, "RUN_DIR|MODEL_DIR")
    hint = shared_study_hint(folder)
    if hint and not (folder / "run.json").is_file():
        raise InvalidInputError(f"{folder} holds no model of its own{hint}")
    if folder.is_file() and folder.name == "best" and (folder.parent.parent / "run.json").is_file():
        return RunDir(folder.parent.parent).best_model_dir()
    if (folder / "manifest.json").is_file():
        return folder
    if (folder / "run.json").is_file() or (folder / "models").is_dir():
        return RunDir(folder).best_model_dir()
    if folder.is_file() and folder.name == "manifest.json":
        return folder.parent
    return folder  # load_checkpoint explains what is wrong with it

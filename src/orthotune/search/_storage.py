"""Study storage: an Optuna RDB study in ``RUN_DIR/study.db`` by default, resumable by name,
shared safely by several worker processes, and cleaned of trials whose worker died.

- SQLite gets a busy timeout and ``BEGIN IMMEDIATE`` transactions, so concurrent workers wait
  for the write lock instead of failing with "database is locked".
- Optuna's own heartbeat works only inside ``Study.optimize``, not with ask/tell. So each trial
  records its owner (host, pid) and a heartbeat timestamp in its user attributes; a
  ``Heartbeat`` thread refreshes them while the trial trains. On start (resume), RUNNING trials
  are failed only when stale: the owner's pid is gone on this host, or the heartbeat is older
  than a grace period (another host, or a pid reused). A live worker's trials are never touched.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orthotune._errors import InvalidInputError

if TYPE_CHECKING:
    import optuna

logger = logging.getLogger(__name__)

STUDY_FILE = "study.db"
OWNER_HOST_ATTR = "owner_host"
OWNER_PID_ATTR = "owner_pid"
HEARTBEAT_ATTR = "heartbeat"
FAIL_REASON_ATTR = "fail_reason"
STALE_ATTR = "stale"  # True on trials failed because their worker died (not counted as tried)
DEFAULT_BUSY_TIMEOUT_S = 60.0
DEFAULT_HEARTBEAT_S = 10.0
DEFAULT_GRACE_S = 120.0


def default_storage_url(run_dir: str | Path) -> str:
    """``sqlite:///RUN_DIR/study.db`` (absolute path)."""
    return f"sqlite:///{Path(run_dir).resolve() / STUDY_FILE}"


def _rdb_storage(url: str, engine_kwargs: dict[str, Any]) -> optuna.storages.RDBStorage:
    """``RDBStorage(url)``, tolerating a worker that creates the same new database at the same
    moment: Optuna writes the schema version row once, and the loser of that race gets an
    IntegrityError — by then the schema exists, so opening again succeeds."""
    import time

    import optuna
    import sqlalchemy.exc

    for attempt in range(5):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def open_storage(
    url: str | None = None,
    *,
    run_dir: str | Path | None = None,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT_S,
) -> optuna.storages.BaseStorage:
    """An Optuna storage for ``url`` (any Optuna RDB URL), or the run folder's SQLite file."""

    if url is None:
        if run_dir is None:
            raise InvalidInputError(
                "no study storage: accepted are --storage URL or --out RUN_DIR; fix: give one"
            )
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        url = default_storage_url(run_dir)
    sqlite = url.startswith("sqlite:")
    if sqlite:
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:" and not Path(path).parent.is_dir():
            raise InvalidInputError(
                f"--storage {url!r}: the folder {str(Path(path).parent)!r} does not exist; fix: "
                "create it or point at an existing folder"
            )
    kwargs: dict[str, Any] = {"connect_args": {"timeout": busy_timeout}} if sqlite else {}
    try:
        storage = _rdb_storage(url, kwargs)
    except ImportError:
        raise InvalidInputError(
            f"--storage {url!r} needs a database driver that is not installed: accepted are "
            "sqlite:///FILE or an installed driver; fix: install the driver (e.g. psycopg2)"
        ) from None
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends: a URL that is not one
        first = " ".join(str(exc).split())[:160]
        raise InvalidInputError(
            f"--storage {url!r} could not be opened ({first}): accepted are Optuna storage URLs "
            "such as sqlite:///study.db or postgresql://user@host/db; fix: check the URL"
        ) from None
    if sqlite:
        _immediate_transactions(storage.engine)
    install_storage_fault(storage)
    return storage


def _immediate_transactions(engine: Any) -> None:
    """Make every SQLite transaction take the write lock at BEGIN (waiting up to the busy
    timeout), so that two workers never deadlock upgrading a read lock; use the WAL journal."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite would otherwise BEGIN (deferred)
        # WAL: readers never block the writer; synchronous=NORMAL is still safe when a process
        # is killed (only a power loss may drop the last commits) and saves an fsync per write.
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened before the listeners would keep deferred BEGINs


def open_study(
    storage: optuna.storages.BaseStorage,
    *,
    study_name: str,
    sampler: optuna.samplers.BaseSampler | None = None,
    pruner: optuna.pruners.BasePruner | None = None,
    maximize: bool = True,
) -> optuna.Study:
    """Create the study, or load it when it exists (resume); the direction must match."""
    import optuna

    direction = "maximize" if maximize else "minimize"
    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        sampler=sampler,
        pruner=pruner,
        direction=direction,
        load_if_exists=True,
    )
    existing = study.direction.name.lower()
    if existing != direction:
        raise InvalidInputError(
            f"--study {study_name!r} exists and {existing}s its metric, but this run would "
            f"{direction} it: accepted is the study's own direction; fix: use the same --metric "
            "as before or a new --study name"
        )
    return study


@dataclass(frozen=True)
class Owner:
    """The worker process that runs a trial."""

    host: str
    pid: int

    @classmethod
    def me(cls) -> Owner:
        return cls(host=socket.gethostname(), pid=os.getpid())

    def attrs(self, now: float | None = None) -> dict[str, Any]:
        return {
            OWNER_HOST_ATTR: self.host,
            OWNER_PID_ATTR: self.pid,
            HEARTBEAT_ATTR: time.time() if now is None else now,
        }


def ask_owned(
    study: optuna.Study,
    *,
    params: dict[str, Any] | None = None,
    user_attrs: dict[str, Any] | None = None,
    owner: Owner | None = None,
) -> optuna.trial.Trial:
    """``study.ask()`` whose trial carries its owner from the moment it exists.

    The trial is created RUNNING with the owner attributes (and ``params`` fixed, as
    ``enqueue_trial`` would fix them) in one transaction: a process killed at any point leaves
    no RUNNING trial without an owner, so a resumed run recognizes its orphans at once instead
    of waiting for a heartbeat grace period. It does not go through Optuna's queue of WAITING
    trials: two workers racing for the queue can leave an enqueued trial behind while one of
    them creates a fresh one (seen with two workers on one SQLite study).
    """
    import optuna
    from optuna.trial import TrialState

    owner = owner or Owner.me()
    template = optuna.trial.create_trial(
        state=TrialState.RUNNING,
        system_attrs={"fixed_params": params} if params else {},
        user_attrs={**(user_attrs or {}), **owner.attrs()},
    )
    trial_id = study._storage.create_new_trial(study._study_id, template_trial=template)
    return optuna.trial.Trial(study, trial_id)


def claim(trial: optuna.trial.Trial, owner: Owner | None = None) -> None:
    """Record the trial's owner and a first heartbeat (right after ``study.ask``)."""
    for key, value in (owner or Owner.me()).attrs().items():
        trial.set_user_attr(key, value)


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def stale_reason(
    trial: optuna.trial.FrozenTrial,
    *,
    grace: float = DEFAULT_GRACE_S,
    now: float | None = None,
    host: str | None = None,
) -> str | None:
    """Why a RUNNING trial's worker is gone, or None when it may still be alive."""
    now = time.time() if now is None else now
    host = socket.gethostname() if host is None else host
    attrs = trial.user_attrs
    pid = attrs.get(OWNER_PID_ATTR)
    owner_host = attrs.get(OWNER_HOST_ATTR)
    if pid is not None and owner_host == host and not pid_alive(int(pid)):
        return f"its worker (pid {pid} on {host}) is gone"
    beat = attrs.get(HEARTBEAT_ATTR)
    if beat is None and trial.datetime_start is not None:
        beat = trial.datetime_start.timestamp()
    if beat is None:
        return None
    age = now - float(beat)
    if age > grace:
        who = f"pid {pid} on {owner_host}" if pid is not None else "an unknown worker"
        return f"no heartbeat from {who} for {age:.0f}s (grace {grace:.0f}s)"
    return None


def fail_stale_trials(
    study: optuna.Study, *, grace: float = DEFAULT_GRACE_S, now: float | None = None
) -> list[int]:
    """Fail the RUNNING trials whose worker is gone (with the reason); return their numbers."""
    import optuna
    from optuna.trial import TrialState

    storage = study._storage
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        reason = stale_reason(trial, grace=grace, now=now)
        if reason is None:
            continue
        try:
            storage.set_trial_user_attr(trial._trial_id, FAIL_REASON_ATTR, f"stale: {reason}")
            storage.set_trial_user_attr(trial._trial_id, STALE_ATTR, True)
            storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another worker failed or finished it first
        logger.info("trial %d failed as stale: %s", trial.number, reason)
        failed.append(trial.number)
    return failed


class Heartbeat:
    """A daemon thread refreshing the heartbeat of this process's running trials.

    Use as a context manager; ``track(trial)`` when training starts, ``untrack`` after tell.
    """

    def __init__(
        self, storage: optuna.storages.BaseStorage, *, interval: float = DEFAULT_HEARTBEAT_S
    ) -> None:
        self._storage = storage
        self._interval = interval
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def track(self, trials: Iterable[Any]) -> None:
        with self._lock:
            self._ids.update(t._trial_id for t in trials)

    def untrack(self, trials: Iterable[Any]) -> None:
        with self._lock:
            self._ids.difference_update(t._trial_id for t in trials)

    def beat(self) -> None:
        """Refresh every tracked trial now."""
        import optuna

        with self._lock:
            ids = sorted(self._ids)
        now = time.time()
        for trial_id in ids:
            try:
                self._storage.set_trial_user_attr(trial_id, HEARTBEAT_ATTR, now)
            except optuna.exceptions.UpdateFinishedTrialError:
                with self._lock:
                    self._ids.discard(trial_id)
            except Exception:  # a busy database must not kill training; the next beat retries
                logger.warning("heartbeat of trial id %d failed", trial_id, exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.beat()

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._run, name="orthotune-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._interval + 5)


def install_storage_fault(storage: Any) -> None:
    """Route the ``storage_write`` fault point (``orthotune._faults``) through every COMMIT of
    an RDB storage's engine — only when fault injection is asked for."""
    from orthotune._faults import FAULT_ENV, fault_point

    if not os.environ.get(FAULT_ENV):
        return
    engine = getattr(storage, "engine", None)
    if engine is None:
        return
    from sqlalchemy import event

    @event.listens_for(engine, "commit")
    def _before_commit(_connection: Any) -> None:
        fault_point("storage_write")

"""Study storage: an Optuna RDB study in ``RUN_DIR/study.db`` by default, resumable by name,
shared safely by several worker processes, and cleaned of trials whose worker died.

- SQLite gets a busy timeout and ``BEGIN IMMEDIATE`` transactions, so concurrent workers wait
  for the write lock instead of failing with "database is locked".
- Optuna's own heartbeat works only inside ``Study.optimize``, not with ask/tell. So each trial
  records its owner (host, pid) and a heartbeat timestamp in its user attributes; a
  ``Heartbeat`` thread refreshes them while the trial trains. On start (resume), RUNNING trials
  are failed only when stale: the owner's pid is gone on this host, or the heartbeat is older
  than a grace period (another host, or a pid reused). A live worker's trials are never touched.
  Every worker sweeps for stale trials before each batch, so whichever sees one first fails it.
  ``ORTHOTUNE_HEARTBEAT_S`` (default 10) and ``ORTHOTUNE_GRACE_S`` (default 120, at least three
  intervals, so that a starved CPU that delays a beat or two never fails a live trial) set them.
- A server database (``postgresql://USER[:PASSWORD]@HOST:PORT/DB``, driver psycopg 3 from the
  extra ``orthotune[postgres]``) is shared by workers on many machines. Its storage retries
  every call that lost the connection, with exponential backoff, for ``ORTHOTUNE_DB_RETRY_S``
  seconds (default 300), then raises ``StorageUnavailableError`` (CLI exit 75). A result whose
  write reached the server as the connection died is not an error when the retry finds it
  there. After an outage a worker waits one grace period before failing others' trials as stale
  (their beats resume).
- ``join_study``: the study keeps a fingerprint of its data, split and search space; a worker
  whose fingerprint differs is refused. A strategy that cannot be shared holds the study alone
  (a lease refreshed like a heartbeat); a second worker is refused while the holder lives.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orthotune._errors import InvalidInputError, StorageUnavailableError
from orthotune._records import redact_url as redact  # a URL, its password as ***
from orthotune._rundir import pid_alive

if TYPE_CHECKING:
    import optuna

logger = logging.getLogger(__name__)

STUDY_FILE = "study.db"
OWNER_HOST_ATTR = "owner_host"
OWNER_PID_ATTR = "owner_pid"
HEARTBEAT_ATTR = "heartbeat"
FAIL_REASON_ATTR = "fail_reason"
STALE_ATTR = "stale"  # True on trials failed because their worker died (not counted as tried)
FINGERPRINT_ATTR = "orthotune_fingerprint"  # study user attr: {"data", "split", "space"}
SOLE_WORKER_ATTR = "orthotune_sole_worker"  # study user attr: the lease of an unshared strategy
DEFAULT_BUSY_TIMEOUT_S = 60.0
DEFAULT_HEARTBEAT_S = 10.0
DEFAULT_GRACE_S = 120.0
# the longest wait between two retries of a lost database call: a worker whose call was in its
# backoff when the database came back writes again (its trial's first heartbeat included) up to
# this long after the others
MAX_RETRY_DELAY_S = 5.0
DEFAULT_DB_RETRY_S = 300.0
HEARTBEAT_ENV = "ORTHOTUNE_HEARTBEAT_S"
GRACE_ENV = "ORTHOTUNE_GRACE_S"
DB_RETRY_ENV = "ORTHOTUNE_DB_RETRY_S"
HOST_ENV = "ORTHOTUNE_HOST"  # the name a worker gives its machine (default: the host name)


def _env_seconds(name: str, default: float) -> float:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise InvalidInputError(
            f"{name}={text!r} is not a duration: accepted are seconds > 0 such as 10 or 0.5; "
            f"fix: set {name} to a positive number or unset it"
        )
    return value


def heartbeat_interval() -> float:
    """Seconds between two heartbeats of a running trial (``ORTHOTUNE_HEARTBEAT_S``)."""
    return _env_seconds(HEARTBEAT_ENV, DEFAULT_HEARTBEAT_S)


def grace_period() -> float:
    """Seconds without a heartbeat after which a trial is stale (``ORTHOTUNE_GRACE_S``; at
    least three heartbeat intervals, so a starved CPU that delays a beat does not fail it)."""
    interval = heartbeat_interval()
    grace = _env_seconds(GRACE_ENV, max(DEFAULT_GRACE_S, 3 * interval))
    if grace < 3 * interval:
        raise InvalidInputError(
            f"{GRACE_ENV}={grace:g} is under three heartbeat intervals ({HEARTBEAT_ENV}="
            f"{interval:g}): accepted is a grace of at least {3 * interval:g} s; fix: raise "
            f"{GRACE_ENV} or lower {HEARTBEAT_ENV}"
        )
    return grace


MEMORY_STORAGE = "memory:"


def is_server_url(url: str | None) -> bool:
    """Whether ``url`` names a database server (shared by machines), not a SQLite file."""
    return url is not None and re.match(r"postgres(ql)?(\+\w+)?://", url) is not None


def _driver_url(url: str) -> str:
    """``postgresql://`` / ``postgres://`` → ``postgresql+psycopg://`` (psycopg 3, the extra
    ``orthotune[postgres]``); a URL naming its driver is kept."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def sqlite_file(url: str) -> Path | None:
    """The file a ``sqlite:///PATH`` URL names, decoded as SQLAlchemy opens it (``my%20runs``
    is the folder ``my runs``); None for any other URL."""
    from urllib.parse import unquote

    if not url.startswith("sqlite:") or ":///" not in url:
        return None
    return Path(unquote(url.split(":///", 1)[1].split("?", 1)[0])).expanduser()


def default_storage_url(run_dir: str | Path) -> str:
    """``sqlite:///RUN_DIR/study.db`` (absolute path)."""
    return f"sqlite:///{Path(run_dir).resolve() / STUDY_FILE}"


def _rdb_storage(
    url: str, engine_kwargs: dict[str, Any], *, connection_errors: re.Pattern | None = None
) -> optuna.storages.RDBStorage:
    """``RDBStorage(url)``, tolerating a worker that creates the same new database at the same
    moment: Optuna writes the schema version row once, and the loser of that race gets an
    IntegrityError (PostgreSQL: also a duplicate table or type) — by then the schema exists, so
    opening again succeeds. An error matching ``connection_errors`` is raised at once."""
    import optuna
    import sqlalchemy.exc

    for attempt in range(6):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError,
                sqlalchemy.exc.ProgrammingError) as exc:  # fmt: skip
            if attempt == 5 or (connection_errors and connection_errors.search(str(exc))):
                raise
            if "password" in str(exc) or re.search(r'database ".*" does not exist', str(exc)):
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def open_storage(
    url: str | None = None,
    *,
    run_dir: str | Path | None = None,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT_S,
) -> optuna.storages.BaseStorage:
    """An Optuna storage for ``url`` (any Optuna RDB URL, or ``MEMORY_STORAGE``: a study
    that lives as long as the process), or the run folder's SQLite file."""
    if url == MEMORY_STORAGE:  # OrthoClassifier.fit's throw-away run: no database to create
        import optuna

        return optuna.storages.InMemoryStorage()

    if url is None:
        if run_dir is None:
            raise InvalidInputError(
                "no study storage: accepted are --storage URL or --out RUN_DIR; fix: give one"
            )
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        url = default_storage_url(run_dir)
    sqlite = url.startswith("sqlite:")
    if sqlite:
        file = sqlite_file(url)
        path = "" if file is None else str(file)
        if path in ("", ".", ":memory:"):  # SQLAlchemy's in-memory database: an internal error
            raise InvalidInputError(
                f"--storage {url!r} names no database file (an in-memory SQLite database is "
                "lost with the process, and workers cannot share it): accepted is "
                "sqlite:///FILE; fix: e.g. --storage sqlite:///study.db"
            )
        if not Path(path).parent.is_dir():
            raise InvalidInputError(
                f"--storage {url!r}: the folder {str(Path(path).parent)!r} does not exist; fix: "
                "create it or point at an existing folder"
            )
        _check_sqlite_file(url, Path(path))
    if is_server_url(url):
        return _open_server(url)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": busy_timeout}} if sqlite else {}
    try:
        storage = _rdb_storage(url, kwargs)
    except ImportError:
        raise InvalidInputError(
            f"--storage {url!r} needs a database driver that is not installed: accepted are "
            "sqlite:///FILE or an installed driver; fix: install the driver"
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


def _check_sqlite_file(url: str, path: Path) -> None:
    """An existing SQLite file a search cannot use is refused untouched: one that another
    program's tables fill (Optuna added its 12 tables to it and switched its journal), and one
    that cannot be written (the search failed at its first trial, an internal error)."""
    import sqlite3
    from contextlib import closing

    if not path.is_file():
        if not os.access(path.parent, os.W_OK):
            raise InvalidInputError(
                f"--storage {url!r}: the folder {str(path.parent)!r} is read-only: a search "
                "writes its trials there; fix: point at a writable folder"
            )
        return
    with path.open("rb") as handle:
        head = handle.read(16)
    if head and head != b"SQLite format 3\x00":  # (an empty file is a new database)
        raise InvalidInputError(
            f"--storage {url!r} is not a SQLite database file: accepted is an Optuna study "
            "database or a new file name; fix: give a new file name"
        )
    try:  # no wait: a study another worker is writing is Optuna's, and its lock no refusal
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0)) as db:
            tables = {row[0] for row in db.execute("select name from sqlite_master")}
    except sqlite3.OperationalError:  # locked by a writer: in use by a study
        tables = set()
    if tables and "version_info" not in tables:
        raise InvalidInputError(
            f"--storage {url!r} holds another program's tables ({', '.join(sorted(tables)[:4])}"
            "), not an Optuna study database: accepted is an Optuna study database or a new "
            "file; fix: give a new file name (the file is left as it was)"
        )
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        raise InvalidInputError(
            f"--storage {url!r} is read-only (or its folder is): a search writes its trials "
            "there; fix: make it writable, or copy it and give the copy"
        )


_UNREACHABLE = re.compile(
    r"connection refused|could not translate host name|timeout expired|no route to host|"
    r"network is unreachable|connection timed out|server closed the connection|"
    r"the database system is (starting up|shutting down)",
    re.IGNORECASE,
)


def _open_server(url: str) -> RetryingStorage:
    """A PostgreSQL study storage (psycopg 3), wrapped so that lost connections are retried;
    a URL that cannot work (no driver, wrong password, unknown database, no server) is refused
    in one line, at once."""
    import sqlalchemy.engine

    shown = redact(url)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise InvalidInputError(
            f"--storage {shown!r} needs the PostgreSQL driver psycopg 3, which is not installed: "
            "accepted are sqlite:///FILE, or postgresql://… with the driver; fix: pip install "
            "'orthotune[postgres]'"
        ) from None
    try:
        parsed = sqlalchemy.engine.make_url(_driver_url(url))
    except Exception:
        raise InvalidInputError(
            f"--storage {shown!r} is not a database URL: accepted is "
            "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB; fix: check the URL"
        ) from None
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if url.split("://", 1)[-1].split("/", 1)[0].count("@") > 1:
        raise InvalidInputError(
            f"--storage {shown!r}: its password holds an '@', which ends the user part of a "
            "URL: accepted is a percent-encoded password; fix: write each '@' in it as %40"
        )
    if not parsed.database:
        raise InvalidInputError(
            f"--storage {shown!r} names no database: accepted is "
            "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB; fix: add /DB (an existing database)"
        )
    # pool_pre_ping: a pooled connection that died with a server restart is replaced, not used
    kwargs = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 10}}
    try:
        rdb = _rdb_storage(_driver_url(url), kwargs, connection_errors=_UNREACHABLE)
    except Exception as exc:
        text = " ".join(str(getattr(exc, "orig", None) or exc).split())
        if "password authentication failed" in text or "no password supplied" in text:
            raise InvalidInputError(
                f"--storage {shown!r}: the server at {where} refused user "
                f"{parsed.username!r} (wrong or missing password): accepted is the user and "
                "password the database was set up with; fix: correct them in the URL, "
                "postgresql://USER:PASSWORD@HOST:PORT/DB"
            ) from None
        if re.search(r'database ".*" does not exist', text):
            raise InvalidInputError(
                f"--storage {shown!r}: the server at {where} has no database "
                f"{parsed.database!r}: accepted is an existing database; fix: create it "
                f"(createdb -h {parsed.host} -p {parsed.port or 5432} {parsed.database}) or "
                "name another"
            ) from None
        if _UNREACHABLE.search(text):
            raise InvalidInputError(
                f"--storage {shown!r}: no PostgreSQL server answers at {where} "
                f"({text[:100]}): accepted is the host and port of a running server; fix: "
                "start the server or correct HOST:PORT"
            ) from None
        raise InvalidInputError(
            f"--storage {shown!r} could not be opened ({text[:160]}): accepted is "
            "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB of a running server; fix: check it"
        ) from None
    install_storage_fault(rdb)
    return RetryingStorage(rdb, name=shown, limit_s=_env_seconds(DB_RETRY_ENV, DEFAULT_DB_RETRY_S))


def _connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database connection is gone."""
    import sqlalchemy.exc

    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, sqlalchemy.exc.DBAPIError) and (
            exc.connection_invalidated
            or isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError)
        ):
            return True
        if type(exc).__module__.startswith("psycopg") and type(exc).__name__ in (
            "OperationalError",
            "InterfaceError",
        ):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return False


def _storage_methods() -> list[str]:
    import optuna

    base = optuna.storages.BaseStorage
    return [n for n, v in vars(base).items() if callable(v) and not n.startswith("_")]


class RetryingStorage:
    """An Optuna storage (the study's usual cached RDB storage) whose every call is retried
    while the database connection is lost: backoff 0.5 s doubling to 5 s, for ``limit_s`` of
    continuous outage, then ``StorageUnavailableError``. Other errors pass through at once.

    ``trouble_age()``: seconds since this worker last saw the database fail (inf when never);
    ``fail_stale_trials`` waits a grace period after an outage, until every live worker's
    heartbeat has resumed.
    """

    def __init__(self, rdb: Any, *, name: str, limit_s: float) -> None:
        import optuna

        if not isinstance(self, optuna.storages.BaseStorage):
            _make_retrying_a_storage()
        self.rdb = rdb  # the heartbeat writes through it directly (no retries, no cache)
        self._inner = optuna.storages.get_storage(rdb)  # optuna's cached RDB storage
        self.name = name
        self.limit_s = limit_s
        self._trouble_at = -float("inf")
        _quiet_lost_connections()

    def note_trouble(self) -> None:
        self._trouble_at = time.monotonic()

    def trouble_age(self) -> float:
        return time.monotonic() - self._trouble_at

    def _call(self, method: str, args: tuple, kwargs: dict) -> Any:
        first = None
        delay = 0.5
        while True:
            try:
                result = getattr(self._inner, method)(*args, **kwargs)
            except Exception as exc:
                lost = _connection_lost(exc)
                if first is not None and not lost:
                    try:
                        if _landed_before(self._inner, method, args, kwargs, exc):
                            return True  # the lost reply's write had reached the server
                    except Exception as read:  # reading it back lost the connection: retry
                        if not _connection_lost(read):
                            raise
                        lost = True
                if not lost:
                    raise
                now = time.monotonic()
                first = now if first is None else first
                self.note_trouble()
                if now - first > self.limit_s:
                    raise StorageUnavailableError(
                        f"the study database {self.name} has been unreachable for "
                        f"{now - first:.0f}s (limit {DB_RETRY_ENV}={self.limit_s:g}s); every "
                        "trial told before stays in the study: run the same command again when "
                        "the database is back"
                    ) from None
                logger.info("study database unreachable (%s); retrying in %.1fs", method, delay)
                time.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY_S)
                continue
            if first is not None:
                self.note_trouble()
                logger.info("study database back after %.1fs", time.monotonic() - first)
            return result

    def __getattr__(self, name: str) -> Any:  # anything else optuna asks of its storage
        return getattr(self._inner, name)


def _landed_before(inner: Any, method: str, args: tuple, kwargs: dict, exc: Exception) -> bool:
    """Whether a retried ``set_trial_state_values`` failed only because its first attempt was
    written: the connection died after the server committed the trial's result but before its
    reply came, so the retry finds the trial finished (``UpdateFinishedTrialError``). It is
    done when the stored trial has the state and values the call asked for; a trial finished
    otherwise (failed as stale by another worker, say) is a real error."""
    from optuna.exceptions import UpdateFinishedTrialError

    if method != "set_trial_state_values" or not isinstance(exc, UpdateFinishedTrialError):
        return False
    named = dict(zip(("trial_id", "state", "values"), args, strict=False)) | kwargs
    stored = inner.get_trial(named["trial_id"])
    values = named.get("values")
    return stored.state == named["state"] and (
        values is None or list(stored.values or []) == [float(v) for v in values]
    )


class _LostConnectionNoise(logging.Filter):
    """Drops optuna's own warning about an SQLAlchemy error when it is a lost connection: the
    retrying storage handles those (and logs them at info), so a worker's stderr keeps one line
    for what the user must know."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not (
            text.startswith("Caught an error from sqlalchemy")
            and any(word in text for word in _LOST_WORDS)
        )


_LOST_WORDS = ("AdminShutdown", "connection", "server closed")
_QUIET = _LostConnectionNoise()


def _quiet_lost_connections() -> None:
    """Install the filter on optuna's RDB storage logger (once)."""
    rdb_logger = logging.getLogger("optuna.storages._rdb.storage")
    if _QUIET not in rdb_logger.filters:
        rdb_logger.addFilter(_QUIET)


def _retrying(name: str) -> Callable[..., Any]:
    def method(self: RetryingStorage, *args: Any, **kwargs: Any) -> Any:
        return self._call(name, args, kwargs)

    method.__name__ = name
    return method


def _make_retrying_a_storage() -> None:
    """Give ``RetryingStorage`` every ``BaseStorage`` method and make it one (optuna checks)."""
    import optuna

    for name in _storage_methods():
        setattr(RetryingStorage, name, _retrying(name))
    optuna.storages.BaseStorage.register(RetryingStorage)


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


INIT_PID_NAMESPACE = 0xEFFFFFFC  # the inode of the kernel's first pid namespace


def _pid_namespace() -> int | None:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:  # no /proc (macOS, Windows): one namespace
        return None


def _machine() -> str:
    """The host name, and the pid namespace when it is not the kernel's first: two containers
    sharing a host name (``docker run --network host``, say) number their processes apart, so
    a pid tells whether a worker lives only in its own namespace: read in the other, a live
    worker's pid is gone (its trials failed as stale) or another process's."""
    name = socket.gethostname()
    ns = _pid_namespace()
    return name if ns in (None, INIT_PID_NAMESPACE) else f"{name}~pidns{ns}"


@dataclass(frozen=True)
class Owner:
    """The worker process that runs a trial."""

    host: str
    pid: int

    @classmethod
    def me(cls) -> Owner:
        return cls(host=os.environ.get(HOST_ENV) or _machine(), pid=os.getpid())

    @property
    def folder(self) -> str:
        """``<host>-<pid>``: this worker's folder name under ``RUN_DIR/workers/``."""
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", self.host)
        return f"{safe}-{self.pid}"

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


def stale_reason(
    trial: optuna.trial.FrozenTrial,
    *,
    grace: float = DEFAULT_GRACE_S,
    now: float | None = None,
    host: str | None = None,
) -> str | None:
    """Why a RUNNING trial's worker is gone, or None when it may still be alive."""
    now = time.time() if now is None else now
    host = Owner.me().host if host is None else host
    attrs = trial.user_attrs
    pid = attrs.get(OWNER_PID_ATTR)
    owner_host = attrs.get(OWNER_HOST_ATTR)
    if pid is not None and owner_host == host and not pid_alive(int(pid)):
        return f"{GONE} (pid {pid} on {host}) is gone"
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


GONE = "its worker"  # how a stale reason starts when the worker's pid is gone on this host
ORPHAN_REASON = (
    "orphaned: created by a database call that was retried after the connection dropped (the "
    "first attempt had committed); no worker trained it"
)


def fail_own_orphans(study: optuna.Study, owner: Owner | None = None) -> list[int]:
    """Fail this worker's RUNNING trials once it trains none (call it as it stops): a trial
    created twice by a retried call is one nobody trains, and left RUNNING it would wait for
    another worker to find it stale."""
    import optuna
    from optuna.trial import TrialState

    me = owner or Owner.me()
    storage = study._storage
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        attrs = trial.user_attrs
        if attrs.get(OWNER_HOST_ATTR) != me.host or attrs.get(OWNER_PID_ATTR) != me.pid:
            continue
        try:
            storage.set_trial_user_attr(trial._trial_id, FAIL_REASON_ATTR, ORPHAN_REASON)
            storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
        logger.info("trial %d failed: %s", trial.number, ORPHAN_REASON)
        failed.append(trial.number)
    return failed


def fail_stale_trials(
    study: optuna.Study, *, grace: float | None = None, now: float | None = None
) -> list[int]:
    """Fail the RUNNING trials whose worker is gone (with the reason); return their numbers.

    ``grace`` defaults to ``grace_period()``. Right after this worker saw the database fail, it
    fails only trials whose pid is gone on this host, for one grace period plus the longest
    retry delay: the other workers' beats were lost too and resume."""
    import optuna
    from optuna.trial import TrialState

    grace = grace_period() if grace is None else grace
    storage = study._storage
    # right after an outage only a certain death counts (a pid gone on this host): heartbeats
    # were lost with the database, so an old one proves nothing for one grace period after
    # the other workers can write again — up to one retry delay after this one could. (With a
    # 3 s grace a worker still retrying the creation of its trial, not yet beating for it,
    # had it failed as stale under it, and crashed as it set the trial's seed.)
    trouble = getattr(storage, "trouble_age", lambda: float("inf"))()
    certain_only = trouble < grace + MAX_RETRY_DELAY_S
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        reason = stale_reason(trial, grace=grace, now=now)
        if reason is None or (certain_only and not reason.startswith(GONE)):
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
        self, storage: optuna.storages.BaseStorage, *, interval: float | None = None
    ) -> None:
        self._outer = storage
        self._storage = getattr(storage, "rdb", storage)  # a server's: directly, no retries
        self._interval = heartbeat_interval() if interval is None else interval
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
            except Exception:  # a busy or lost database must not kill training: beat again next
                logger.info("heartbeat of trial id %d failed", trial_id, exc_info=True)
                getattr(self._outer, "note_trouble", lambda: None)()

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


# ------------------------------------------------------------------------------ joining a study
def study_fingerprint(
    *, data: Iterable[bytes], split: Mapping[str, Any], space: Mapping[str, Any]
) -> dict[str, str]:
    """Short hashes of what makes two workers' trials comparable: the data (its arrays'
    bytes), the split (example ids per part) and the search space."""

    def digest(chunks: Iterable[bytes]) -> str:
        h = hashlib.sha256()
        for chunk in chunks:
            h.update(chunk)
        return h.hexdigest()[:16]

    def canonical(obj: Any) -> bytes:
        return json.dumps(obj, sort_keys=True, default=str).encode()

    return {
        "data": digest(data),
        "split": digest([canonical(split)]),
        "space": digest([canonical(space)]),
    }


class Lease:
    """A strategy that cannot be shared holds its study alone: the study's ``SOLE_WORKER_ATTR``
    names the holder and a heartbeat that a daemon thread refreshes; ``release`` ends it."""

    def __init__(self, study: optuna.Study, value: dict[str, Any]) -> None:
        self._study = study
        self._value = value
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="orthotune-lease", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        storage = getattr(self._study._storage, "rdb", self._study._storage)
        while not self._stop.wait(heartbeat_interval()):
            try:
                self._value[HEARTBEAT_ATTR] = time.time()
                storage.set_study_user_attr(self._study._study_id, SOLE_WORKER_ATTR, self._value)
            except Exception:  # the next beat retries
                logger.info("lease heartbeat failed", exc_info=True)

    def release(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self._study.set_user_attr(SOLE_WORKER_ATTR, {**self._value, "released": True})
        except Exception:  # a lease that is not released goes stale after the grace period
            logger.info("lease release failed", exc_info=True)


def _live_holder(value: Any, me: Owner, grace: float) -> str | None:
    """``pid P on HOST`` when ``value`` is a lease still held by another live worker."""
    if not isinstance(value, dict) or value.get("released"):
        return None
    host, pid = value.get(OWNER_HOST_ATTR), value.get(OWNER_PID_ATTR)
    if (host, pid) == (me.host, me.pid):
        return None
    if host == me.host and pid is not None and not pid_alive(int(pid)):
        return None
    if time.time() - float(value.get(HEARTBEAT_ATTR, 0.0)) > grace:
        return None
    return f"pid {pid} on {host}"


def join_study(
    study: optuna.Study,
    *,
    fingerprint: Mapping[str, str],
    strategy: str,
    shareable: bool = True,
    why_not: str = "",
) -> Lease | None:
    """Check that this worker may join ``study``, and record what it joins with.

    Refused (``InvalidInputError``): a fingerprint (data, split, search space) that differs
    from the study's; any worker while an unshared strategy's live holder has the study; an
    unshared strategy while another live worker has trials RUNNING. An unshared strategy gets
    the study's lease (release it at the end); a shareable one gets None.
    """
    from optuna.trial import TrialState

    name = study.study_name
    for _ in range(2):  # set it when new, then read it back: of two racing writers one wins
        recorded = study.user_attrs.get(FINGERPRINT_ATTR)
        if recorded is None:
            held = study.get_trials(deepcopy=False)
            if held:  # another program's study: its values are not this search's measurements
                raise InvalidInputError(
                    f"--study {name!r} in this storage holds {len(held)} trial(s) that "
                    "orthotune did not write (it carries no data fingerprint): accepted is a "
                    "new study or one of orthotune's; fix: give another --study"
                )
            study.set_user_attr(FINGERPRINT_ATTR, dict(fingerprint))
            continue
        differs = [k for k in fingerprint if recorded.get(k) != fingerprint[k]]
        if differs:
            raise InvalidInputError(
                f"--study {name!r} was started on another {' and '.join(differs)} (fingerprint "
                f"{', '.join(f'{k} {recorded.get(k)}' for k in differs)}; this worker's "
                f"{', '.join(f'{k} {fingerprint[k]}' for k in differs)}): accepted are "
                "workers with the same DATA, data options, --seed and --space; fix: run the "
                "study's own command, or give a new --study"
            )
        break
    me, grace = Owner.me(), grace_period()
    holder = _live_holder(study.user_attrs.get(SOLE_WORKER_ATTR), me, grace)
    if holder is not None:
        held = study.user_attrs[SOLE_WORKER_ATTR]
        raise InvalidInputError(
            f"--study {name!r} is held by {holder} running --strategy {held.get('strategy')}, "
            f"which cannot be shared ({held.get('why', '')}): accepted is one worker on this "
            "study; fix: wait for it to finish, or give another --study"
        )
    if shareable:
        return None
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        attrs = trial.user_attrs
        other = Owner(str(attrs.get(OWNER_HOST_ATTR)), int(attrs.get(OWNER_PID_ATTR, -1)))
        if other != me and stale_reason(trial, grace=grace) is None:
            raise InvalidInputError(
                f"--strategy {strategy} cannot share --study {name!r} ({why_not}), and pid "
                f"{other.pid} on {other.host} is running its trial {trial.number}: accepted is "
                "one worker on this study; fix: wait for it to finish, use a strategy that "
                "shares (random, tpe, evolution, hyperband, grid), or give another --study"
            )
    value = {**me.attrs(), "strategy": strategy, "why": why_not}
    study.set_user_attr(SOLE_WORKER_ATTR, value)
    time.sleep(0.05)
    if _live_holder(study.user_attrs.get(SOLE_WORKER_ATTR), me, grace) is not None:
        return join_study(  # another worker's claim landed after ours: it holds the study
            study, fingerprint=fingerprint, strategy=strategy, shareable=False, why_not=why_not
        )
    return Lease(study, value)

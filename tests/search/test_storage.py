"""Study storage: SQLite in the run folder, resume, stale trials, concurrent workers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from orthotune._errors import InvalidInputError
from orthotune.search import (
    Heartbeat,
    Owner,
    claim,
    default_storage_url,
    fail_stale_trials,
    open_storage,
    open_study,
    stale_reason,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)
SRC = Path(__file__).resolve().parents[2] / "src"


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_default_storage_in_run_folder_and_resume(tmp_path):
    run = tmp_path / "run"
    storage = open_storage(None, run_dir=run)
    assert (run / "study.db").is_file()
    assert default_storage_url(run).endswith("run/study.db")
    study = open_study(storage, study_name="s")
    study.tell(study.ask(), 1.0)
    again = open_study(open_storage(default_storage_url(run)), study_name="s")
    assert [t.state for t in again.trials] == [TrialState.COMPLETE]
    with pytest.raises(InvalidInputError, match="maximizes its metric"):
        open_study(storage, study_name="s", maximize=False)


def test_bad_storage_urls(tmp_path):
    with pytest.raises(InvalidInputError, match="could not be opened"):
        open_storage("nosuchdb://x")
    with pytest.raises(InvalidInputError, match="does not exist"):
        open_storage(f"sqlite:///{tmp_path}/missing/study.db")
    with pytest.raises(InvalidInputError, match="--storage URL or --out"):
        open_storage(None)
    for memory in ("sqlite:///", "sqlite://", "sqlite:///:memory:"):  # was an internal error
        with pytest.raises(InvalidInputError, match=r"names no database file .*sqlite:///FILE"):
            open_storage(memory)


def test_a_sqlite_file_of_another_program_is_refused_untouched(tmp_path):
    import sqlite3

    app = tmp_path / "app.db"
    with sqlite3.connect(app) as db:
        db.execute("create table studies(id integer primary key, patient text)")
    before = app.read_bytes()
    with pytest.raises(
        InvalidInputError,
        match=r"holds another program's tables \(studies\), not an Optuna study database",
    ):
        open_storage(f"sqlite:///{app}")  # Optuna added 12 tables to it and switched its journal
    assert app.read_bytes() == before and not (tmp_path / "app.db-wal").exists()
    text = tmp_path / "notes.db"
    text.write_text("not a database at all, but long enough to be read as one " * 4)
    with pytest.raises(InvalidInputError, match=r"is not a SQLite database file"):
        open_storage(f"sqlite:///{text}")


def test_run_json_hides_a_storage_password_in_argv(monkeypatch):
    from orthotune._records import RunRecord, redact_url

    url = "postgresql://u:s3cr@t@db.example:5432/studies"
    monkeypatch.setattr(sys, "argv", ["orthotune", "tune", "--storage", url, f"--storage={url}"])
    assert RunRecord(command="tune").argv == [
        "tune",
        "--storage",
        "postgresql://u:***@db.example:5432/studies",
        "--storage=postgresql://u:***@db.example:5432/studies",
    ]  # argv kept the password in clear; "s3cr" alone was hidden before the '@'
    assert redact_url("sqlite:////tmp/a@b/x.db") == "sqlite:////tmp/a@b/x.db"


def test_only_stale_trials_are_failed(tmp_path):
    storage = open_storage(None, run_dir=tmp_path)
    study = open_study(storage, study_name="s")
    me = Owner.me()
    done = study.ask()
    claim(done)
    study.tell(done, 0.5)
    mine = study.ask()
    claim(mine, me)  # a live worker (this process), fresh heartbeat
    dead = study.ask()
    claim(dead, Owner(host=me.host, pid=dead_pid()))  # its process is gone
    far_fresh = study.ask()
    claim(far_fresh, Owner(host="elsewhere", pid=1))
    far_old = study.ask()
    for k, v in Owner(host="elsewhere", pid=1).attrs(now=time.time() - 1000).items():
        far_old.set_user_attr(k, v)
    failed = fail_stale_trials(study, grace=120)
    assert sorted(failed) == [dead.number, far_old.number]
    by_number = {t.number: t for t in study.trials}
    assert by_number[done.number].state == TrialState.COMPLETE
    assert by_number[mine.number].state == TrialState.RUNNING
    assert by_number[far_fresh.number].state == TrialState.RUNNING
    assert "is gone" in by_number[dead.number].user_attrs["fail_reason"]
    assert "no heartbeat" in by_number[far_old.number].user_attrs["fail_reason"]
    assert by_number[dead.number].user_attrs["stale"] is True
    # the live worker can still finish its trial
    study.tell(mine, 0.7)
    assert fail_stale_trials(study, grace=120) == []


def test_heartbeat_thread_keeps_a_trial_fresh(tmp_path):
    storage = open_storage(None, run_dir=tmp_path)
    study = open_study(storage, study_name="s")
    trial = study.ask()
    claim(trial, Owner(host="elsewhere", pid=1))
    first = storage.get_trial(trial._trial_id).user_attrs["heartbeat"]
    with Heartbeat(storage, interval=0.05) as hb:
        hb.track([trial])
        time.sleep(0.3)
    later = storage.get_trial(trial._trial_id)
    assert later.user_attrs["heartbeat"] > first
    assert stale_reason(later, grace=1.0, now=later.user_attrs["heartbeat"] + 0.5) is None
    assert stale_reason(later, grace=1.0, now=later.user_attrs["heartbeat"] + 5) is not None


WORKER = textwrap.dedent(
    """
    import os, signal, sys, time
    import optuna
    from orthotune.search import ask_owned, open_storage, open_study, fail_stale_trials
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url, n, kill_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    study = open_study(open_storage(url), study_name="shared",
                       sampler=optuna.samplers.RandomSampler())
    fail_stale_trials(study)
    for i in range(n):
        trial = ask_owned(study)
        x = trial.suggest_float("x", -1, 1)
        if i == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)  # dies with a RUNNING trial
        study.tell(trial, x * x)
    """
)


def run_workers(url: str, specs: list[tuple[int, int]]) -> list[int]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, url, str(n), str(k)], env=env)
        for n, k in specs
    ]
    return [p.wait(timeout=120) for p in procs]


@pytest.mark.slow
def test_two_workers_share_one_sqlite_study(tmp_path):
    url = default_storage_url(tmp_path)
    assert run_workers(url, [(15, -1), (15, -1)]) == [0, 0]
    trials = optuna.load_study(study_name="shared", storage=url).trials
    assert len(trials) == 30
    assert sorted(t.number for t in trials) == list(range(30))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.user_attrs["owner_pid"] for t in trials}) == 2


@pytest.mark.slow
def test_killed_worker_resumes_without_loss_or_duplicates(tmp_path):
    url = default_storage_url(tmp_path)
    assert run_workers(url, [(10, 4)]) == [-9]  # SIGKILLed while its 5th trial runs
    assert run_workers(url, [(3, -1)]) == [0]  # the same command again
    trials = optuna.load_study(study_name="shared", storage=url).trials
    states = [t.state for t in trials]
    assert states.count(TrialState.COMPLETE) == 4 + 3  # every finished trial kept
    assert states.count(TrialState.FAIL) == 1  # the orphan, failed as stale with its reason
    assert (
        "is gone" in next(t for t in trials if t.state == TrialState.FAIL).user_attrs["fail_reason"]
    )
    assert sorted(t.number for t in trials) == list(range(len(trials)))


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["storage_write:12", "random:7"])
def test_kill_inside_a_storage_write_leaves_a_valid_study(tmp_path, fault):
    url = default_storage_url(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(SRC), "ORTHOTUNE_FAULT": fault}
    proc = subprocess.run([sys.executable, "-c", WORKER, url, "8", "-1"], env=env, timeout=120)
    assert proc.returncode == -9  # killed mid-transaction
    assert run_workers(url, [(3, -1)]) == [0]  # the same command again, no fault
    trials = optuna.load_study(study_name="shared", storage=url).trials
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    assert sum(t.state == TrialState.COMPLETE for t in trials) >= 3
    assert not any(t.state == TrialState.RUNNING for t in trials)  # orphans failed as stale


def test_heartbeat_and_grace_come_from_the_environment_and_are_checked(monkeypatch):
    from orthotune.search import grace_period, heartbeat_interval, is_server_url, redact

    monkeypatch.setenv("ORTHOTUNE_HEARTBEAT_S", "0.5")
    monkeypatch.delenv("ORTHOTUNE_GRACE_S", raising=False)
    assert heartbeat_interval() == 0.5 and grace_period() == 120.0
    monkeypatch.setenv("ORTHOTUNE_GRACE_S", "1.5")
    assert grace_period() == 1.5
    monkeypatch.setenv("ORTHOTUNE_GRACE_S", "1.4")  # a starved beat or two must not fail a trial
    with pytest.raises(InvalidInputError, match="under three heartbeat intervals"):
        grace_period()
    monkeypatch.setenv("ORTHOTUNE_HEARTBEAT_S", "soon")
    with pytest.raises(InvalidInputError, match="ORTHOTUNE_HEARTBEAT_S='soon' is not a duration"):
        heartbeat_interval()
    assert is_server_url("postgresql://u@h/db") and is_server_url("postgres://u@h/db")
    assert not is_server_url("sqlite:///x.db") and not is_server_url(None)
    assert redact("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"


def test_a_worker_fails_its_own_orphans_as_it_stops_and_a_dead_pid_counts_even_after_trouble(
    tmp_path,
):
    from optuna.trial import TrialState

    from orthotune.search import Owner, ask_owned, fail_stale_trials
    from orthotune.search._storage import ORPHAN_REASON, fail_own_orphans

    storage = open_storage(f"sqlite:///{tmp_path / 's.db'}")
    study = optuna.create_study(study_name="o", storage=storage)
    me = Owner.me()
    mine = ask_owned(study, owner=me)
    other = ask_owned(study, owner=Owner(me.host, 2**22 + 12345))  # a pid that does not exist
    alive = ask_owned(study, owner=Owner("elsewhere", 1))  # fresh heartbeat: left alone
    # right after an outage, only a pid gone on this host counts, not an old heartbeat
    study._storage.trouble_age = lambda: 0.0
    assert fail_stale_trials(study, grace=3600) == [other.number]
    assert fail_own_orphans(study, me) == [mine.number]
    states = {t.number: t for t in study.get_trials()}
    assert states[mine.number].state == TrialState.FAIL
    assert states[mine.number].user_attrs["fail_reason"] == ORPHAN_REASON
    assert states[other.number].user_attrs["fail_reason"].startswith("stale: its worker (pid")
    assert states[alive.number].state == TrialState.RUNNING


def test_after_an_outage_an_old_heartbeat_counts_only_once_every_worker_could_beat_again(
    tmp_path,
):
    """A worker still in its retry backoff when the database came back writes its trial's
    first heartbeat up to one retry delay after the others: an old heartbeat counts only a
    grace period plus that delay after this worker's own trouble."""
    from orthotune.search import Owner, ask_owned, fail_stale_trials
    from orthotune.search._storage import MAX_RETRY_DELAY_S

    storage = open_storage(f"sqlite:///{tmp_path / 's.db'}")
    study = optuna.create_study(study_name="o", storage=storage)
    quiet = ask_owned(study, owner=Owner("elsewhere", 1))
    later = time.time() + 60  # its heartbeat is a minute old by then
    study._storage.trouble_age = lambda: 3 + MAX_RETRY_DELAY_S - 0.5
    assert fail_stale_trials(study, grace=3, now=later) == []
    study._storage.trouble_age = lambda: 3 + MAX_RETRY_DELAY_S + 0.5
    assert fail_stale_trials(study, grace=3, now=later) == [quiet.number]


def test_optuna_warnings_about_a_lost_connection_are_dropped_and_others_kept(tmp_path, caplog):
    import logging

    from orthotune.search._storage import _quiet_lost_connections

    _quiet_lost_connections()
    rdb = logging.getLogger("optuna.storages._rdb.storage")
    with caplog.at_level(logging.WARNING, logger="optuna.storages._rdb.storage"):
        rdb.warning(
            "Caught an error from sqlalchemy: (psycopg.errors.AdminShutdown) terminating "
            "connection due to administrator command. Falling back to a slower alternative."
        )
        rdb.warning(
            "Caught an error from sqlalchemy: (sqlite3.OperationalError) too many SQL variables"
        )
    kept = [r.getMessage() for r in caplog.records]
    assert len(kept) == 1 and "(sqlite3.OperationalError) too many SQL variables" in kept[0]


@pytest.mark.parametrize(
    "finished_by", ["this tell", "this tell, read back lost", "another worker"]
)
def test_a_result_written_as_the_connection_died_is_not_told_twice(tmp_path, finished_by):
    """The server commits a trial's result and the connection dies before the reply: the
    retried write finds the trial finished. That is the same result (done), unless another
    worker finished the trial otherwise (a real error, raised). Reading the trial back may lose
    the connection too: then the write is retried again."""
    import sqlalchemy.exc
    from optuna.exceptions import UpdateFinishedTrialError

    from orthotune.search import RetryingStorage

    rdb = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 's.db'}")
    storage = RetryingStorage(rdb, name="s.db", limit_s=30)
    study = optuna.create_study(study_name="lost", storage=storage)
    trial = study.ask()
    write = storage._inner.set_trial_state_values
    calls = []

    def commit_then_lose_the_reply(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            if finished_by.startswith("this tell"):
                write(*args, **kwargs)
            else:  # another worker failed it meanwhile; this write never reached the server
                rdb.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            raise sqlalchemy.exc.OperationalError(
                "COMMIT", None, Exception("server closed the connection unexpectedly")
            )
        return write(*args, **kwargs)

    storage._inner.set_trial_state_values = commit_then_lose_the_reply
    if finished_by == "this tell, read back lost":
        read = storage._inner.get_trial
        lost = []

        def lose_the_first_read(trial_id):
            if len(calls) == 2 and not lost:  # the read back after the retried write
                lost.append(trial_id)
                raise sqlalchemy.exc.OperationalError("SELECT", None, Exception("connection"))
            return read(trial_id)

        storage._inner.get_trial = lose_the_first_read
    if finished_by.startswith("this tell"):
        study.tell(trial, 0.25)
        stored = study.get_trials()[0]
        assert (stored.state, stored.value) == (TrialState.COMPLETE, 0.25)
    else:
        with pytest.raises(UpdateFinishedTrialError, match="has already finished"):
            study.tell(trial, 0.25)
        assert study.get_trials()[0].state == TrialState.FAIL
    # one retry after the lost reply (two when reading the trial back lost the connection)
    assert len(calls) == (3 if finished_by == "this tell, read back lost" else 2)
    if finished_by == "this tell, read back lost":
        assert lost == [trial._trial_id]


def test_a_percent_encoded_sqlite_path_is_checked_where_it_is_opened(tmp_path):
    (tmp_path / "my runs").mkdir()
    open_storage(f"sqlite:///{tmp_path}/my%20runs/s.db")  # was "folder …/my%20runs does not exist"
    assert (tmp_path / "my runs" / "s.db").is_file()
    from orthotune.search import sqlite_file

    assert sqlite_file("sqlite:///a/p%41q.db") == Path("a/pAq.db")  # what SQLAlchemy opens
    assert sqlite_file("postgresql://u@h/db") is None


def test_workers_in_containers_that_share_a_host_name_are_told_apart(monkeypatch):
    """A container's pid namespace joins its host name; the kernel's first namespace (a plain
    machine) keeps the host name alone, and ORTHOTUNE_HOST still names the machine."""
    import socket

    from orthotune.search import Owner, _storage, stale_reason

    monkeypatch.delenv("ORTHOTUNE_HOST", raising=False)
    name = socket.gethostname()
    monkeypatch.setattr(_storage, "_pid_namespace", lambda: _storage.INIT_PID_NAMESPACE)
    assert Owner.me().host == name
    monkeypatch.setattr(_storage, "_pid_namespace", lambda: None)  # no /proc
    assert Owner.me().host == name
    monkeypatch.setattr(_storage, "_pid_namespace", lambda: 4026532201)
    here = Owner.me()
    assert here.host == f"{name}~pidns4026532201"
    # a worker of the other container, whose pid does not exist in this one: not "gone" here,
    # judged by its heartbeat
    trial = optuna.trial.create_trial(
        state=TrialState.RUNNING,
        user_attrs=Owner(f"{name}~pidns4026532202", 2**22 + 7).attrs(now=time.time()),
    )
    assert stale_reason(trial, grace=60, host=here.host) is None
    monkeypatch.setenv("ORTHOTUNE_HOST", "rack-3")
    assert Owner.me().host == "rack-3"

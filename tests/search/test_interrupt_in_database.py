"""Ctrl-C inside a study-database call is taken when the call returns, never half-way through
it (``orthotune._interrupt``): the write lands, the study stays usable, the next check raises."""

import signal

import optuna
import pytest
from sqlalchemy import event

from orthotune import _interrupt
from orthotune.search._storage import open_storage, open_study


def _study_with_ctrl_c_at_commit(tmp_path):
    """A run folder's study whose next commit receives a Ctrl-C just before SQLite commits."""
    storage = open_storage(run_dir=tmp_path, busy_timeout=2.0)
    study = open_study(storage, study_name="s")
    armed = [False]

    @event.listens_for(storage.engine, "commit")
    def _ctrl_c(_connection):
        if armed[0]:
            armed[0] = False
            signal.raise_signal(signal.SIGINT)

    return study, armed


def test_a_ctrl_c_during_a_commit_lets_the_write_land_and_is_raised_by_the_next_check(
    tmp_path, sigint_handler
):
    study, armed = _study_with_ctrl_c_at_commit(tmp_path)
    trial = study.ask()
    armed[0] = True
    try:
        study.tell(trial, 0.5)
    except KeyboardInterrupt:  # a failure of this test, not an abort of the test session
        pytest.fail("Ctrl-C was raised half-way through the commit")
    assert not armed[0]  # the Ctrl-C did arrive inside the commit
    with pytest.raises(KeyboardInterrupt):
        _interrupt.check()
    _interrupt.check()  # raised once
    # the study is whole and writable: the told value is there, a new trial can be told
    again = study.ask()
    study.tell(again, 0.7)
    fresh = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'study.db'}")
    assert [(t.state, t.value) for t in fresh.trials] == [
        (optuna.trial.TrialState.COMPLETE, 0.5),
        (optuna.trial.TrialState.COMPLETE, 0.7),
    ]


def test_a_ctrl_c_outside_a_database_call_is_raised_at_once(sigint_handler):
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
    _interrupt.clear()

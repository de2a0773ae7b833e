"""Best trial under satisficing constraints; the leaderboard."""

from __future__ import annotations

import math

import optuna
from optuna.trial import TrialState

from orthotune.search import Leaderboard, best_trial, leaderboard

optuna.logging.set_verbosity(optuna.logging.WARNING)


class Below:
    def __init__(self, name, bound):
        self.name, self.bound = name, bound

    def __call__(self, metrics):
        return self.name in metrics and metrics[self.name] < self.bound

    def __str__(self):
        return f"{self.name}<{self.bound}"


def make_study():
    study = optuna.create_study(direction="maximize", study_name="b")
    rows = [  # value, latency_ms, state
        (0.99, 150.0, TrialState.COMPLETE),  # best by value, too slow
        (0.97, 40.0, TrialState.COMPLETE),  # the satisficing best
        (0.95, 20.0, TrialState.COMPLETE),
        (float("nan"), 10.0, TrialState.COMPLETE),
        (None, 5.0, TrialState.FAIL),
        (None, 5.0, TrialState.PRUNED),
    ]
    for value, latency, state in rows:
        t = study.ask()
        t.suggest_float("lr", 1e-4, 1e-1, log=True)
        t.set_user_attr("metrics", {"latency_ms": latency, "dev_error": 0.1})
        if state == TrialState.FAIL:
            t.set_user_attr("fail_reason", "diverged: loss is nan at epoch 2")
            study.tell(t, state=TrialState.FAIL)
        elif state == TrialState.PRUNED:
            study.tell(t, state=TrialState.PRUNED)
        elif value is not None and math.isnan(value):
            study.tell(t, state=TrialState.FAIL)  # Optuna refuses NaN values: it fails them
        else:
            study.tell(t, value)
    return study


def test_best_respects_constraints_unlike_optuna():
    study = make_study()
    assert study.best_trial.number == 0  # Optuna ignores satisficing (optuna#5184)
    best = best_trial(study.trials, constraints=[Below("latency_ms", 100)])
    assert best.number == 1
    assert best_trial(study.trials).number == 0
    assert best_trial(study.trials, maximize=False).number == 2
    assert best_trial(study.trials, constraints=[Below("latency_ms", 1)]) is None
    assert best_trial(study.trials, constraints=[Below("missing", 1)]) is None


def test_stored_optuna_constraints_count():
    study = optuna.create_study(direction="maximize")
    for value, violation in ((0.9, 5.0), (0.8, -1.0)):
        t = study.ask()
        t.set_constraint("latency_ms<100", violation)
        study.tell(t, value)
    assert best_trial(study.trials).number == 1


def test_a_tie_goes_to_the_trial_whose_model_was_kept():
    """Of two tied trials that finished out of order, the earlier number was never saved (an
    incumbent is saved only when it beats the one before) and was re-trained at the end: a PBT
    member without its exploits, not the model the study measured."""
    study = optuna.create_study(direction="maximize")
    for value, saved in ((0.9, True), (0.97, False), (0.97, True), (0.97, False)):
        t = study.ask()
        if saved:
            t.set_user_attr("checkpoint", f"run/models/trial-{t.number}")
        study.tell(t, value)
    assert best_trial(study.trials).number == 2
    assert best_trial(study.trials[:2]).number == 1  # no saved one tied: the first, as before


def test_nan_never_best():
    study = optuna.create_study(direction="minimize")
    t = study.ask()
    study.tell(t, state=TrialState.FAIL)
    assert best_trial(study.trials, maximize=False) is None


def test_leaderboard_orders_and_round_trips():
    board = leaderboard(make_study(), metric="dev_accuracy", constraints=[Below("latency_ms", 100)])
    assert board.best == 1
    assert [r.number for r in board.rows[:3]] == [1, 2, 0]  # feasible first, then infeasible
    assert board.rows[0].feasible and not board.rows[2].feasible
    assert board.rows[0].metrics["dev_accuracy"] == 0.97
    assert board.counts == {"complete": 3, "fail": 2, "pruned": 1}
    failed = [r for r in board.rows if r.fail_reason]
    assert failed[0].fail_reason.startswith("diverged")
    assert board.constraints == ["latency_ms<100"]
    again = Leaderboard.model_validate_json(board.model_dump_json())
    assert again == board and again.schema_version == 1


def test_leaderboard_says_why_no_best():
    board = leaderboard(make_study(), constraints=[Below("latency_ms", 1)])
    assert board.best is None and "satisficing" in board.note

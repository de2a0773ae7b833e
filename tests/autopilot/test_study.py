"""Each model the autopilot trains is a trial of the run's study, its curve thinned."""

import optuna
import pytest
import torch

from orthotune._records import EpochRecord
from orthotune.autopilot._study import CURVE_POINTS, record_trial, thinned
from orthotune.fit import Candidate, Trained, baseline


def test_a_long_curve_keeps_evenly_spaced_epochs_with_its_first_and_last():
    values = {e: e / 100 for e in range(30)}
    kept = thinned(values, at_most=4)
    assert kept == {0: 0.0, 10: 0.1, 19: 0.19, 29: 0.29}  # round(i · 29 / 3), i = 0…3
    assert thinned({3: 0.5, 7: 0.25}, at_most=4) == {3: 0.5, 7: 0.25}  # short: all of it


def test_a_recorded_trial_holds_its_value_and_a_thinned_curve(tmp_path):
    spec, config = baseline((4,), 2)
    epochs = [
        EpochRecord(
            epoch=e,
            steps=1,
            lr=0.01,
            train_loss=1.0,
            train_error=0.5,
            smoothed_loss=1.0,
            dev_error=0.5 - e / 100,
            seconds=0.1,
        )
        for e in range(30)
    ]
    dev = torch.tensor([True] + [False] * 9)  # dev error 0.1
    trained = Trained(
        Candidate("baseline", spec, config),
        None,
        history=epochs,
        wrong={"train": torch.zeros(20, dtype=torch.bool), "dev": dev},
    )
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}", direction="maximize")
    record_trial(study, trained, step=0, problem="baseline", knob="baseline", label="start")
    (trial,) = study.get_trials()
    assert trial.value == pytest.approx(0.9) and trial.user_attrs["model_name"] == "baseline"
    steps = sorted(trial.intermediate_values)
    assert len(steps) == CURVE_POINTS and (steps[0], steps[-1]) == (0, 29)
    assert trial.intermediate_values[29] == 1.0 - epochs[29].dev_error

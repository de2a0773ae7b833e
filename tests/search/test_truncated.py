"""A trial that the time budget cut short is no measurement: PRUNED, never COMPLETE, never best."""

import re
import time

import optuna
import pytest

from orthotune.data import load_dataset, make_split
from orthotune.data._prepare import prepare
from orthotune.fit import Candidate, train_candidates
from orthotune.models import ModelSpec
from orthotune.search import SearchSpace
from orthotune.search._job import tune_search
from orthotune.train import TrainConfig

DATA = "builtin:synthetic?n=3000&classes=3&features=20"

# one configuration that needs far more than the budget: 400 epochs of a one-cycle schedule
LONG = """
width: {type: categorical, choices: [64]}
depth: {type: categorical, choices: [2]}
lr: {type: categorical, choices: [0.01]}
schedule: {type: categorical, choices: [one_cycle]}
epochs: {type: categorical, choices: [400]}
"""


@pytest.mark.slow
def test_a_trial_the_budget_cuts_is_pruned_with_its_epochs_and_never_the_incumbent(tmp_path):
    s = tune_search(
        DATA,
        out=tmp_path / "run",
        strategy="random",
        executor="sequential",
        budget_s=3,
        space=SearchSpace.from_yaml(LONG),
        device="cpu",
        study_name="cut",
    )
    study = optuna.load_study(study_name="cut", storage=f"sqlite:///{tmp_path / 'run/study.db'}")
    first = study.trials[0]
    assert first.state == optuna.trial.TrialState.PRUNED
    assert first.user_attrs["complete"] is False
    assert 1 <= first.user_attrs["epochs_trained"] < 400
    assert "time budget" in first.user_attrs["truncated"]
    # Optuna keeps its last intermediate value (the dev accuracy of its last epoch)
    assert first.value == pytest.approx(first.intermediate_values[first.last_step])
    assert not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert s.best_trial is None and "checkpoint" not in first.user_attrs
    assert s.leaderboard.best is None and "no trial is eligible" in s.leaderboard.note
    # the CLI's error line (exit 2): why no model, and how to go on
    assert re.fullmatch(
        r"the time budget cut \d+ trial\(s\) short before any completed \(trial 0: \d+ of "
        r"its 400 epochs\): run the same command with --study cut and a larger --budget to go "
        r"on with this study, or give --trials N \(no time limit\)",
        s.no_model,
    ), s.no_model


@pytest.fixture(scope="module")
def data():
    ds = load_dataset(DATA)
    return prepare(ds, make_split(ds, seed=0))


def _cand(name, epochs, width=64):
    spec = ModelSpec(input_shape=(20,), num_classes=3, hidden=(width, width))
    return Candidate(name, spec, TrainConfig(epochs=epochs, batch_size=32, lr=0.01), seed=0)


@pytest.mark.parametrize("executor", ["sequential", "population"])
def test_the_time_goes_to_the_trials_in_order_not_in_equal_slices(executor, data, monkeypatch):
    """Each model (or population) trains toward the whole deadline: an equal slice of what is
    left would cut every one of them short when the time cannot fit them all. Two shapes are
    two groups for the population executor too."""
    from orthotune.fit import _executor

    seen = []
    real = _executor._train_one

    def recording(cand, data, *, deadline, **kw):
        seen.append((cand.name, deadline))
        return real(cand, data, deadline=deadline, **kw)

    monkeypatch.setattr(_executor, "_train_one", recording)
    deadline = time.monotonic() + 600
    first, second = train_candidates(
        [_cand("a", epochs=2), _cand("b", epochs=2, width=32)],
        data,
        executor=executor,
        device="cpu",
        deadline=deadline,
    )
    assert seen == [("a", deadline), ("b", deadline)]
    assert first.complete and second.complete and len(second.history) == 2


def test_a_candidate_whose_turn_comes_after_the_deadline_is_not_started(data):
    [late] = train_candidates(
        [_cand("late", epochs=2)],
        data,
        executor="sequential",
        device="cpu",
        deadline=time.monotonic() - 1,
    )
    assert late.model is None and late.failed is None and not late.complete
    assert late.history == [] and "ran out before its turn" in late.stop_message


def test_a_new_studys_start_trains_the_epochs_that_fit_the_budget(data, monkeypatch):
    """``_fitted_start``: at most ``START_SHARE`` of the budget for the start, as a whole
    schedule; the pace is set here, as ``fit.epoch_seconds`` would measure it."""
    import orthotune.fit
    from orthotune.search import default_space, starting_point
    from orthotune.search._job import START_SHARE, _fitted_start

    monkeypatch.setattr(orthotune.fit, "epoch_seconds", lambda *a, **k: 2.0)  # 2 s an epoch
    space = default_space((20,), 3)
    start = starting_point((20,), 3)
    assert start["epochs"] == 30 and space["epochs"].low == 5

    def fitted(seconds, on=space):
        return _fitted_start(start, on, data, seconds, device="cpu", precision="fp32")

    assert fitted(200.0) == (start, None)  # 60 s of 30 epochs fit in half of 200 s
    shorter, note = fitted(60.0)
    assert shorter == {**start, "epochs": int(START_SHARE * 60.0 / 2.0)} == {**start, "epochs": 15}
    assert note == "the first trial trains 15 of its 30 epochs to fit the budget"
    assert fitted(16.0) == (start, None)  # 4 epochs: fewer than the space's least (5)
    assert fitted(60.0, SearchSpace.from_yaml(LONG)) == (start, None)  # categorical epochs

"""tune_search: a real search on tiny data — run folder, satisficing best, failures, resume."""

import json
import re

import optuna
import pytest

from orthotune._errors import InvalidInputError
from orthotune.search import SearchSpace
from orthotune.search._job import MAX_SAME_FAILURES, tune_search

DATA = "builtin:synthetic?n=300&features=5"

TINY = """
width: {type: categorical, choices: [8, 16]}
depth: {type: int, low: 1, high: 2}
lr: {type: float, low: 0.003, high: 0.1, scale: log}
epochs: {type: int, low: 1, high: 3}
"""


def _search(tmp_path, name="run", **kw):
    args = dict(
        out=tmp_path / name,
        strategy="random",
        executor="sequential",
        budget_s=120,
        trials=3,
        space=SearchSpace.from_yaml(TINY),
        device="cpu",
    )
    args.update(kw)
    return tune_search(args.pop("data_spec", DATA), **args)


def _study(out, name):
    return optuna.load_study(study_name=name, storage=f"sqlite:///{out / 'study.db'}")


@pytest.mark.slow
def test_search_fills_the_run_folder_and_keeps_only_the_best(tmp_path):
    s = _search(tmp_path, study_name="s", trials=4, keep=1)
    out = tmp_path / "run"
    assert s.stop_reason == "trials" and s.trials_this_run == 4
    assert len(s.leaderboard.rows) == 4 and s.leaderboard.best == s.best_trial
    best = s.leaderboard.rows[0]
    assert best.number == s.best_trial and best.value == pytest.approx(s.best_value)
    assert s.best_value == max(r.value for r in s.leaderboard.rows if r.value is not None)
    # --keep 1: only the chosen model is kept, named best, with its history
    assert (out / "models" / "best").read_text().strip() == s.chosen == f"trial-{s.best_trial}"
    assert sorted(p.name for p in (out / "models").iterdir()) == ["best", s.chosen]
    assert [p.stem for p in (out / "history").iterdir()] == [s.chosen]
    manifest = json.loads((out / "models" / s.chosen / "manifest.json").read_text())
    assert "test_accuracy" in manifest["metrics"]
    assert manifest["train_config"]["precision"] == "fp32"  # auto: an MLP keeps float32
    # the chosen model is calibrated on dev; its checkpoint carries the temperature
    calibration = json.loads((out / "calibration.json").read_text())
    assert manifest["temperature"] == calibration["temperature"] == s.temperature
    assert s.calibration == calibration["message"] and s.ece_before == calibration["ece_before"]
    assert 0 <= s.test_metrics["error"] <= 1 and s.diagnosis is not None
    assert json.loads((out / "diagnosis.json").read_text())["levels"]["test"] is not None
    run = json.loads((out / "run.json").read_text())
    assert run["summary"]["best_trial"] == s.best_trial and run["finished"]
    assert run["config"]["precision"] == "auto"
    # every trial records what the issue asks for
    study = _study(out, "s")
    for t in study.trials:
        assert t.state == optuna.trial.TrialState.COMPLETE
        m = t.user_attrs["metrics"]
        assert {"dev_error", "train_error", "params", "latency_ms"} <= set(m)
        assert set(t.user_attrs["errors"]) >= {"train", "dev"}
        assert t.user_attrs["diagnosis"]["headline"]
        assert t.intermediate_values  # per-epoch dev accuracy
        assert 1 <= t.user_attrs["params"]["epochs"] <= 3
    assert study.trials[s.best_trial].user_attrs["checkpoint"].endswith(s.chosen)
    # resume: the same --study on the same folder continues; nothing is re-run
    rows = []
    again = _search(tmp_path, study_name="s", trials=5, progress=rows.append)
    assert again.resumed and again.trials_this_run == 1
    # the progress's best is the study's: it started from this run's own trials
    assert rows[0].earlier and rows[0].number == s.best_trial
    assert [r.earlier for r in rows[1:]] == [False]
    numbers = [t.number for t in _study(out, "s").trials]
    assert numbers == list(range(5))


def test_every_incumbent_keeps_its_checkpoint_unless_keep_bounds_them(tmp_path):
    s = _search(tmp_path, trials=4, seed=1)
    out = tmp_path / "run"
    incumbents = [t for t in _study(out, "random").trials if "checkpoint" in t.user_attrs]
    assert len(incumbents) >= 2  # so keeping them all differs from keeping the best
    values = [t.value for t in incumbents]
    assert values == sorted(values) and len(set(values)) == len(values)  # each beat the last
    assert f"trial-{s.best_trial}" == s.chosen == f"trial-{incumbents[-1].number}"
    record = json.loads((out / "run.json").read_text())["summary"]  # were null for a search
    best_row = next(r for r in s.leaderboard.rows if r.number == s.best_trial)
    assert record["parameters"] == s.parameters == best_row.metrics["params"]
    assert record["latency_ms"] == s.latency_ms and s.latency_ms > 0
    models = sorted(p.name for p in (out / "models").iterdir())
    assert models == sorted(["best", *(f"trial-{t.number}" for t in incumbents)])
    with pytest.raises(InvalidInputError, match="--keep 0: accepted is an integer ≥ 1"):
        _search(tmp_path, name="other", keep=0)
    assert not (tmp_path / "other").exists()  # refused before any work


def test_models_best_names_the_incumbent_while_the_search_runs(tmp_path):
    from orthotune._rundir import RunDir

    seen = []  # a killed search left trial checkpoints but no models/best: predict RUN refused

    def after_each_trial(row):
        seen.append((row.number, RunDir(tmp_path / "run").best_name()))

    s = _search(tmp_path, trials=4, seed=1, progress=after_each_trial)
    incumbents = [
        t.number for t in _study(tmp_path / "run", "random").trials if "checkpoint" in t.user_attrs
    ]
    assert len(incumbents) >= 2
    for number, best in seen:  # the incumbent so far, as each trial is told
        assert best == f"trial-{max(n for n in incumbents if n <= number)}", seen
    assert s.chosen == f"trial-{incumbents[-1]}"


def test_a_satisficing_constraint_nobody_meets_leaves_no_best(tmp_path):
    s = _search(tmp_path, trials=2, constraints=["params<5"])
    assert s.chosen is None and s.best_trial is None
    assert "constraint" in s.notes[-1]
    assert s.no_model == (
        "no model chosen: no completed trial meets --constraint params<5 (the trials table "
        f"shows what each reached); fix: loosen the constraint and resume the trials with "
        f"--study {s.study_name} --out {s.run_dir}"
    )
    assert all(not r.feasible for r in s.leaderboard.rows)
    assert not (tmp_path / "run" / "models").exists() or not any(
        (tmp_path / "run" / "models").iterdir()
    )
    # resumed with the constraint loosened, as the line says: the chosen trial had no
    # checkpoint, so it is re-trained and saved; a later resume keeps it (it was removed)
    first = _search(tmp_path, trials=2, constraints=["params<100000"], study_name=s.study_name)
    assert first.chosen is not None and first.best_trial < 2
    later = _search(tmp_path, trials=6, constraints=["params<100000"], study_name=s.study_name)
    assert (tmp_path / "run" / "models" / first.chosen / "manifest.json").is_file(), later.chosen


def test_diverging_and_raising_trials_fail_with_a_reason_and_the_search_goes_on(tmp_path):
    # lr 1e6 with plain SGD diverges; batch norm on batches of one is no training
    # (params_to_candidate raises: each value alone is valid, so the space is accepted)
    space = SearchSpace.from_yaml(
        """
        optimizer: {type: categorical, choices: [sgd]}
        lr: {type: categorical, choices: [1000000.0, 0.05]}
        batch_size: {type: categorical, choices: [1, 32]}
        batch_norm: {type: categorical, choices: [true]}
        epochs: {type: int, low: 1, high: 2}
        """
    )
    s = _search(tmp_path, space=space, trials=12, study_name="bad")
    rows = sorted(s.leaderboard.rows, key=lambda r: r.number)
    failed = [r for r in rows if r.state == "fail"]
    assert any("invalid parameters" in r.fail_reason for r in failed)
    assert any("nan" in r.fail_reason or "infinite" in r.fail_reason for r in failed)
    assert all(r.fail_reason for r in failed)
    first_fail = failed[0].number
    assert any(r.state == "complete" for r in rows if r.number > first_fail)  # it went on
    assert s.chosen is not None and s.stop_reason == "trials" and s.no_model == ""


def test_identical_failures_in_a_row_stop_the_search_and_say_why(tmp_path):
    space = SearchSpace.from_yaml(
        "{batch_size: {type: categorical, choices: [1]}, "
        "batch_norm: {type: categorical, choices: [true]}}"
    )
    s = _search(tmp_path, space=space, trials=40)
    assert s.stop_reason == "failures" and s.trials_this_run == MAX_SAME_FAILURES
    assert "in a row failed the same way: invalid parameters" in s.stop_message
    assert s.chosen is None


def test_an_autopilot_run_is_not_resumed_by_a_search(tmp_path):
    import orthotune

    orthotune.tune(DATA, trials=1, refit=False, study="ap", out=tmp_path / "ap")
    # was "holds another run (study None), not --study 'ap'": a fix no one could follow
    with pytest.raises(InvalidInputError, match=r"--out .*ap holds an autopilot run, which no"):
        _search(tmp_path, name="ap", study_name="ap", trials=1)


def test_bad_input_is_refused_before_any_work(tmp_path):
    with pytest.raises(InvalidInputError, match="--metric 'test_accuracy' is unknown"):
        _search(tmp_path, metric="test_accuracy")
    with pytest.raises(InvalidInputError, match="tests 'flops'"):
        _search(tmp_path, constraints=["flops<10"])
    with pytest.raises(InvalidInputError, match="--strategy 'magic' is unknown"):
        _search(tmp_path, strategy="magic")
    with pytest.raises(InvalidInputError, match="--executor 'gpu' is unknown"):
        _search(tmp_path, executor="gpu")
    # a bound no model meets: every trial was infeasible, and the run exited 0 with no model
    for text in ("latency_ms<0", "params<=0", "dev_error<0", "dev_accuracy>1"):
        with pytest.raises(InvalidInputError, match=rf"--constraint '{text}' can never hold"):
            _search(tmp_path, constraints=[text])
    # the examples shown are constraints tune accepts (recall>=0.9 and error<=3.5% are not)
    with pytest.raises(InvalidInputError, match=r"dev_accuracy>=0.9 or dev_error<=3.5%$"):
        _search(tmp_path, constraints=["latency_ms<"])
    # a range's end the model refuses: every trial of it failed, and the run exited 0
    for text, message in (
        ("dropout: {type: float, low: 0.5, high: 1.5}", r"--space: dropout = 1.5: model param"),
        ("epochs: {type: int, low: -5, high: 3}", r"--space: epochs = -5: training parameter"),
        ("width: {type: categorical, choices: [0, 16]}", r"--space: width = 0: model parameter"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            _search(tmp_path, space=SearchSpace.from_yaml(text))
    assert not (tmp_path / "run").exists()


def test_an_existing_run_is_resumed_only_with_its_own_study(tmp_path):
    _search(tmp_path, trials=1, study_name="mine")
    with pytest.raises(InvalidInputError, match="holds another run"):
        _search(tmp_path, trials=1, study_name="other")
    with pytest.raises(InvalidInputError, match="already holds a run"):
        _search(tmp_path, trials=1)  # no --study: never writes into an existing run
    weights = next((tmp_path / "run" / "models").glob("*/weights.safetensors")).read_bytes()
    (tmp_path / "run" / "study.db").unlink()  # a new study wrote over trial-0's model, rc 0
    with pytest.raises(InvalidInputError, match=r"holds a search whose study.db is gone"):
        _search(tmp_path, trials=1, study_name="mine")
    assert next((tmp_path / "run" / "models").glob("*/weights.safetensors")).read_bytes() == (
        weights
    )


@pytest.mark.slow
def test_hyperband_prunes_members_from_their_per_epoch_values(tmp_path):
    space = SearchSpace.from_yaml(
        """
        width: {type: categorical, choices: [4, 32]}
        lr: {type: float, low: 0.00001, high: 0.1, scale: log}
        epochs: {type: categorical, choices: [9]}
        """
    )
    s = _search(tmp_path, strategy="hyperband", space=space, trials=14, study_name="hb")
    assert s.leaderboard.counts.get("pruned", 0) >= 1
    study = _study(tmp_path / "run", "hb")
    for t in study.trials:
        if t.state == optuna.trial.TrialState.PRUNED:
            assert len(t.intermediate_values) < 9  # stopped early


@pytest.mark.parametrize("strategy", ["grid", "tpe", "evolution", "pbt"])
def test_every_strategy_runs_a_search_to_a_best(tmp_path, strategy):
    executor = "population" if strategy == "pbt" else "sequential"
    s = _search(tmp_path, strategy=strategy, executor=executor, trials=2, study_name=strategy)
    assert s.chosen == f"trial-{s.best_trial}" and s.stop_reason == "trials"
    assert s.leaderboard.counts == {"complete": 2}


def test_the_goal_stops_the_search_once_the_best_reaches_it(tmp_path):
    s = _search(tmp_path, trials=20, goal=0.05)  # any model beats 5 % dev accuracy
    assert s.stop_reason == "goal" and s.trials_this_run == 1
    assert s.best_value >= 0.05 and "reached the goal" in s.stop_message


def test_pbt_asks_one_population_and_records_its_exploits(tmp_path):
    space = SearchSpace.from_yaml(
        """
        width: {type: categorical, choices: [8, 16, 32]}
        depth: {type: int, low: 1, high: 3}
        lr: {type: float, low: 0.000001, high: 0.3, scale: log}
        epochs: {type: categorical, choices: [6]}
        """
    )
    s = _search(
        tmp_path, strategy="pbt", executor="population", space=space, trials=8, study_name="p"
    )
    assert s.leaderboard.counts == {"complete": 8}
    study = _study(tmp_path / "run", "p")
    # one population: every member shares the shape parameters, the learning rates differ
    assert len({(t.params["width"], t.params["depth"]) for t in study.trials}) == 1
    assert len({t.params["lr"] for t in study.trials}) == 8
    exploited = [t for t in study.trials if t.user_attrs.get("pbt_exploits")]
    assert exploited, "the bottom quarter copies the top quarter every 2 epochs"
    for t in exploited:
        assert all(e["from"].startswith("trial-") for e in t.user_attrs["pbt_exploits"])


def test_pbt_refuses_the_sequential_executor(tmp_path):
    with pytest.raises(InvalidInputError, match="--strategy pbt with --executor sequential"):
        _search(tmp_path, strategy="pbt", executor="sequential")


def test_a_batch_trains_and_is_told_cheapest_first(tmp_path):
    space = SearchSpace.from_yaml(
        """
        width: {type: categorical, choices: [16]}
        lr: {type: float, low: 0.003, high: 0.1, scale: log}
        epochs: {type: int, low: 1, high: 8}
        """
    )
    _search(tmp_path, executor="population", trials=8, space=space, study_name="order")
    told = sorted(_study(tmp_path / "run", "order").trials, key=lambda t: t.datetime_complete)
    epochs = [t.params["epochs"] for t in told]
    assert len(told) == 8 and len(set(epochs)) > 1
    assert epochs == sorted(epochs)  # asked in random order, told by cost
    assert [t.number for t in told] != sorted(t.number for t in told)


def test_a_search_whose_every_trial_fails_names_the_first_reason(tmp_path):
    space = SearchSpace.from_yaml(
        """
        optimizer: {type: categorical, choices: [sgd]}
        lr: {type: categorical, choices: [1000000.0]}
        epochs: {type: int, low: 1, high: 2}
        """
    )
    s = _search(tmp_path, space=space, trials=2, study_name="diverge")
    assert s.chosen is None and all(r.state == "fail" for r in s.leaderboard.rows)
    assert re.fullmatch(
        r"no model chosen: no trial finished with a finite value \(trial 0: .*(nan|infinite).*\); "
        r"fix: change the settings that failed \(the flags, --space\) and run again with a new "
        r"--out",
        s.no_model,
    ), s.no_model


def test_a_resume_or_join_that_would_mix_studies_is_refused_before_any_folder(tmp_path):
    shared = f"sqlite:///{tmp_path / 'shared.db'}"
    _search(tmp_path, name="a", trials=1, study_name="x", storage=shared)
    # another seed (another split): refused, and no run folder left to block the retry
    with pytest.raises(InvalidInputError, match=r"--study 'x' was started on another split"):
        _search(tmp_path, name="b", trials=2, study_name="x", storage=shared, seed=5)
    assert not (tmp_path / "b").exists()  # the retry "resumed" it and mislabelled test rows
    # another metric of the same direction: the study's values would mix two metrics
    with pytest.raises(
        InvalidInputError,
        match=r"--study 'x' optimizes dev_accuracy, not --metric train_accuracy: accepted is "
        r"the study's own metric; fix: --metric dev_accuracy",
    ):
        _search(
            tmp_path, name="c", trials=2, study_name="x", storage=shared, metric="train_accuracy"
        )
    assert not (tmp_path / "c").exists()
    # the run folder's own search resumed in another storage: a new study over its models
    _search(tmp_path, name="own", trials=1, study_name="s")
    with pytest.raises(
        InvalidInputError,
        match=r"searched in its own study.db, not sqlite:///.*other.db: accepted is the same "
        r"--storage to resume; fix: leave --storage out",
    ):
        _search(tmp_path, name="own", study_name="s", storage=f"sqlite:///{tmp_path / 'other.db'}")
    own_db = f"sqlite:///{tmp_path / 'own' / 'study.db'}"  # its own file, named: the same
    assert _search(tmp_path, name="own", trials=2, study_name="s", storage=own_db).resumed


def test_a_study_orthotune_did_not_write_is_not_joined(tmp_path):
    shared = f"sqlite:///{tmp_path / 'foreign.db'}"
    foreign = optuna.create_study(study_name="random", storage=shared, direction="maximize")
    foreign.optimize(lambda t: 0.999 + 0 * t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.raises(
        InvalidInputError,
        match=r"--study 'random' in this storage holds 2 trial\(s\) that orthotune did not "
        r"write \(it carries no data fingerprint\)",
    ):
        _search(tmp_path, storage=shared)  # its 0.999 was "best", re-trained from defaults
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("study", ["", "   ", "x" * 513])
def test_a_study_name_optuna_cannot_keep_everywhere_is_refused(tmp_path, study):
    with pytest.raises(InvalidInputError, match=r"accepted is a name of 1 to 512 characters"):
        _search(tmp_path, study_name=study)
    assert not (tmp_path / "run").exists()


def test_a_resume_takes_the_same_file_written_another_way(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
    frame["label"] = (frame["a"] > 0).astype(int)
    frame.to_csv(tmp_path / "d.csv", index=False)
    first = _search(tmp_path, data_spec=str(tmp_path / "d.csv"), trials=1, study_name="s")
    again = _search(tmp_path, data_spec=f"{tmp_path}/./d.csv", trials=2, study_name="s")
    assert not first.resumed and again.resumed  # was "searched '…/d.csv', not '…/./d.csv'"
    frame.assign(c=0.0).to_csv(tmp_path / "other.csv", index=False)
    with pytest.raises(InvalidInputError, match=r"accepted is the same data to resume"):
        _search(tmp_path, data_spec=str(tmp_path / "other.csv"), study_name="s")


def test_trials_another_worker_failed_before_or_during_training_are_dropped(tmp_path, monkeypatch):
    """Another worker failed trial 0 as stale while this one was still asking for it (retrying
    a lost database), and trial 1 while this one trained it. Neither is trained on or told; the
    search goes on (trial 0 crashed the worker with an internal UpdateFinishedTrialError in a
    PostgreSQL outage test before)."""
    from optuna.trial import TrialState

    from orthotune.search._strategies._random import RandomSearch

    space = SearchSpace.from_yaml(
        """
        width: {type: categorical, choices: [8]}
        lr: {type: float, low: 0.003, high: 0.1, scale: log}
        epochs: {type: categorical, choices: [4]}
        """
    )
    url = f"sqlite:///{tmp_path / 'shared.db'}"

    def another_worker_fails(number: int) -> None:
        other = optuna.load_study(study_name="stale", storage=url)
        trial = next(t for t in other.get_trials() if t.number == number)
        other._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)

    asked = RandomSearch.ask

    def ask_then_lose_trial_0(self, study, space, n):
        trials = asked(self, study, space, n)
        if any(t.number == 0 for t in trials):
            another_worker_fails(0)
        return trials

    monkeypatch.setattr(RandomSearch, "ask", ask_then_lose_trial_0)
    epochs_of: dict[str, list[int]] = {}

    def lose_trial_1_at_epoch_1(cand, epoch, dev_error):
        epochs_of.setdefault(cand.name, []).append(epoch)
        if cand.name == "trial-1" and epoch == 1:
            another_worker_fails(1)

    s = _search(
        tmp_path, trials=4, space=space, study_name="stale", storage=url,
        on_epoch=lose_trial_1_at_epoch_1,
    )  # fmt: skip
    assert "trial-0" not in epochs_of  # never trained
    assert epochs_of["trial-1"] == [0, 1]  # stopped at the epoch that found it finished
    assert all(epochs_of[f"trial-{n}"] == [0, 1, 2, 3] for n in (2, 3))
    trials = optuna.load_study(study_name="stale", storage=url).trials
    assert [t.state for t in trials[:2]] == [TrialState.FAIL] * 2
    assert all("fail_reason" not in t.user_attrs for t in trials[:2])  # nothing told over them
    assert s.best_trial in (2, 3) and s.chosen == f"trial-{s.best_trial}"


def test_a_search_resumed_while_another_process_resumes_it_is_refused(tmp_path):
    """Two resumes at once both ran in one folder, and run.json kept one of their resumes:
    a resume holds the folder until it ends; a claim whose process is gone is taken over."""
    import os

    from orthotune._rundir import CLAIM_FILE

    _search(tmp_path, trials=1, study_name="s")
    claim = tmp_path / "run" / CLAIM_FILE
    assert not claim.exists()  # a finished run holds none
    claim.write_text(f"{os.getppid()}\n")  # a live process resuming it
    with pytest.raises(InvalidInputError, match=r"is being written by another orthotune proc"):
        _search(tmp_path, trials=2, study_name="s")
    claim.write_text("4194303\n")  # no such process: killed while it resumed
    s = _search(tmp_path, trials=2, study_name="s")
    assert s.resumed and not claim.exists()
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert len(record["resumes"]) == 1


def test_a_ctrl_c_mid_batch_counts_each_trial_of_this_run_once(tmp_path):
    told = []

    def ctrl_c_after_the_first(row):  # a Ctrl-C as the batch's first trial is told
        told.append(row.number)
        if len(told) == 1:
            raise KeyboardInterrupt

    s = _search(tmp_path, executor="population", trials=6, progress=ctrl_c_after_the_first)
    assert s.stop_reason == "interrupted"
    trials = _study(tmp_path / "run", "random").trials
    assert len(trials) > 1  # a batch: the others were failed as interrupted
    # the trials told before the Ctrl-C were told (and counted) again: 24 said, 17 there
    assert s.trials_this_run == len(trials)

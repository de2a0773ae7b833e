"""The gradient-boosting yardstick: the same figure scikit-learn gives on the same split."""

import json
import logging
import math
import re
import time

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import cross_val_predict

from orthotune.autopilot import AutopilotSettings
from orthotune.autopilot._loop import _yardstick_s
from orthotune.autopilot._yardstick import PROBE, SHARE, yardstick
from orthotune.data import LoadOptions, dataset_from_arrays, load_dataset, make_split, prepare
from orthotune.fit import fold_rows


def _data(spec):
    ds = load_dataset(spec)
    return prepare(ds, make_split(ds, seed=0))


def test_hold_out_yardstick_is_hgb_early_stopped_on_dev():
    data = _data("builtin:synthetic?n=800&classes=3&features=5&seed=3")
    got = yardstick(data, folds=None, seed=0)
    ref = HistGradientBoostingClassifier(early_stopping=True, random_state=0)
    ref.fit(
        data.train.x.numpy(),
        data.train.y.numpy(),
        X_val=data.dev.x.numpy(),
        y_val=data.dev.y.numpy(),
    )
    expected = float(np.mean(ref.predict(data.dev.x.numpy()) != data.dev.y.numpy()))
    assert got is not None and got.dev_error == expected
    assert got.how == "early stopping on the dev set"
    assert ref.n_iter_ > PROBE  # so a time limit grows it in two fits: the same trees
    assert yardstick(data, folds=None, seed=0, seconds=3600.0).dev_error == expected


def test_a_class_only_dev_has_counts_as_the_yardsticks_error_not_its_failure():
    # scikit-learn refused it in early stopping: "it failed: y contains previously unseen labels"
    from dataclasses import replace

    data = _data("builtin:synthetic?n=800&classes=3&features=5&seed=3")
    keep = data.train.y != 2  # class 2: dev only
    part = data.train
    train = replace(part, x=part.x[keep], y=part.y[keep], ids=part.ids[keep.numpy()])
    data = replace(data, train=train)
    got = yardstick(data, folds=None, seed=0)
    assert got.skipped is None and got.dev_error is not None
    dev_y = data.dev.y.numpy()
    assert got.dev_error >= float(np.mean(dev_y == 2))  # those it can never get right


def test_k_fold_yardstick_is_out_of_fold_and_signals_get_none():
    data = _data("builtin:synthetic?n=300&classes=2&features=4&seed=5")
    got = yardstick(data, folds=3, seed=1)
    x, y = data.train.x.numpy(), data.train.y.numpy()
    cv = fold_rows(y, folds=3, seed=1)[1]  # the networks' own folds
    pred = cross_val_predict(HistGradientBoostingClassifier(random_state=1), x, y, cv=cv)
    assert got is not None and got.dev_error == float(np.mean(pred != y))
    assert yardstick(data, folds=3, seed=1, seconds=3600.0).dev_error == got.dev_error
    assert yardstick(_data("builtin:digits"), folds=None, seed=0) is None


def test_classes_rarer_than_the_folds_get_a_yardstick_on_the_networks_folds():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(25), 4)  # 25 classes of 4: StratifiedKFold(5) refused them
    ds = dataset_from_arrays(rng.normal(size=(100, 3)) + y[:, None] * 0.4, y)
    data = prepare(ds, make_split(ds, seed=0))
    got = yardstick(data, folds=5, seed=0)
    assert got is not None and got.skipped is None and 0.0 <= got.dev_error <= 1.0


def test_a_yardstick_past_its_time_is_dropped_with_a_warning_not_cut_short(caplog):
    data = _data("builtin:synthetic?n=300&classes=2&features=4&seed=5")
    for folds in (None, 3):  # 100 trees per fold without early stopping: more than the probe
        with caplog.at_level(logging.WARNING, logger="orthotune.autopilot._yardstick"):
            got = yardstick(data, folds=folds, seed=1, seconds=1e-9)
        assert got.dev_error is None and got.skipped.startswith("given up after ")
        assert re.search(
            r"no gradient-boosting yardstick: given up after \d+\.\d s of its 0\.0 s \(5 % of the "
            r"budget\): no time was left for its first trees; the networks get the time",
            caplog.text,
        )
        caplog.clear()


def test_the_yardstick_gets_its_share_of_a_time_budget_and_no_limit_under_a_count():
    assert _yardstick_s(AutopilotSettings(budget_s=300.0)) == SHARE * 300.0 == 15.0
    assert _yardstick_s(AutopilotSettings(budget_s=math.inf, trials=4)) is None


def test_the_floor_is_the_most_frequent_training_class_on_dev_or_on_the_pool():
    from sklearn.dummy import DummyClassifier

    from orthotune.autopilot._yardstick import floor

    data = _data("builtin:breast-cancer")  # 2 classes, 63 % benign
    got = floor(data, folds=None)
    x, y = data.train.x.numpy(), data.train.y.numpy()
    ref = DummyClassifier(strategy="most_frequent").fit(x, y)
    expected = float(np.mean(ref.predict(data.dev.x.numpy()) != data.dev.y.numpy()))
    assert got.dev_error == expected and 0.3 < got.dev_error < 0.45  # the minority's share
    assert got.label == data.dataset.class_names[int(ref.predict(x[:1])[0])]
    pooled = floor(data, folds=5)  # under k-fold the pool is the train part
    assert pooled.dev_error == float(np.mean(ref.predict(x) != y))
    assert floor(_data("builtin:digits"), folds=None).dev_error > 0.85  # images too


def test_a_probe_whose_pace_overruns_says_what_it_measured(monkeypatch):
    """A sweep saw "it did not finish within its 4.5 s" where the record said 1.3 s: the
    yardstick was given up on its first trees' pace, and the line now says so."""
    import orthotune.autopilot._yardstick as ys

    data = _data("builtin:synthetic?n=800&classes=3&features=5&seed=3")
    monkeypatch.setattr(ys, "_probe_floor_s", lambda *a: 0.0)  # the probe is started
    got = yardstick(data, folds=3, seed=0, seconds=0.05)  # 3 folds × 100 trees: not in 0.05 s
    assert got.dev_error is None, got
    assert re.fullmatch(
        r"given up after \d+\.\d s of its 0\.1 s \(5 % of the budget\): its first 10 trees "
        r"took \d+\.\d s, a pace at which its 100 would end past it; the networks get the time",
        got.skipped,
    )  # under k-fold no early stopping: the hold-out's line says it may end them sooner


def test_a_fold_given_up_says_what_the_folds_before_it_took(monkeypatch):
    """A sweep read "its first 10 trees took 0.0 s, a pace at which its 100 would end past it"
    on a 25-s budget: the folds before had taken its 1.2 s, and the line did not say so."""
    import orthotune.autopilot._yardstick as ys

    data = _data("builtin:synthetic?n=300&classes=2&features=4&seed=5")
    grown = []

    def fold(x, y, seed, deadline, categorical, val=None):
        grown.append(len(y))
        if len(grown) == 1:  # the first fold takes the time
            time.sleep(0.3)
            return HistGradientBoostingClassifier(max_iter=2).fit(x, y)
        raise ys._OutOfTime(
            "its first 10 trees took 0.0 s, a pace at which its 100 would end past it"
        )

    monkeypatch.setattr(ys, "_grown", fold)
    got = yardstick(data, folds=3, seed=0, seconds=0.3)
    assert len(grown) == 2 and got.dev_error is None
    assert re.fullmatch(
        r"given up after 0\.\d s of its 0\.3 s \(5 % of the budget\): fold 2 of 3, after "
        r"0\.[3-9] s on the folds before: its first 10 trees took 0\.0 s, a pace at which its "
        r"100 would end past it; the networks get the time",
        got.skipped,
    )


def test_a_probe_that_ends_where_early_stopping_ends_grows_no_more_trees(monkeypatch):
    import orthotune.autopilot._yardstick as ys

    data = _data("builtin:synthetic?n=800&classes=3&features=5&seed=3")
    x, y = data.train.x.numpy(), data.train.y.numpy()
    val = (data.dev.x.numpy(), data.dev.y.numpy())
    one = ys._grown(x, y, 0, None, "from_dtype", val=val)  # one fit, no time limit
    assert one.n_iter_ < one.max_iter  # it stopped early …
    monkeypatch.setattr(ys, "PROBE", one.n_iter_)  # … exactly where the probe ends
    probed = ys._grown(x, y, 0, time.perf_counter() + 3600, "from_dtype", val=val)
    assert probed.n_iter_ == one.n_iter_
    assert np.array_equal(probed.predict_proba(val[0]), one.predict_proba(val[0]))


@pytest.mark.slow
def test_a_skipped_yardstick_is_said_in_the_log_the_terminal_and_the_report(
    tmp_path, monkeypatch, capsys
):
    import json

    import orthotune
    from orthotune.autopilot import _loop
    from orthotune.cli._render_tune import render_autopilot

    monkeypatch.setattr(_loop, "_yardstick_s", lambda settings: 1e-9)  # no time for it
    monkeypatch.setenv("COLUMNS", "200")
    summary = orthotune.tune(
        "builtin:synthetic?n=600&classes=3&features=5&seed=2", trials=1, out=tmp_path / "run"
    )
    logged = json.loads((tmp_path / "run" / "decisions.json").read_text())["yardstick"]
    said = logged["skipped"]  # its seconds are the machine's: the words are checked
    assert logged["dev_error"] is None and re.fullmatch(
        r"given up after \d+\.\d s of its 0\.0 s \(5 % of the budget\): no time was left for "
        r"its first trees; the networks get the time",
        said,
    )
    render_autopilot(summary)
    assert f"yardstick: none — {said}" in capsys.readouterr().out
    assert (
        f"no gradient-boosting yardstick: {said}" in (tmp_path / "run" / "report.html").read_text()
    )


def test_a_table_whose_probe_cannot_fit_its_share_is_not_probed(monkeypatch):
    """The probe has no deadline of its own: a 1,000-class table of 100,000 rows took 65 s of
    a 60-s budget in it. A pilot round on a sample, scaled to the table, is a floor of the
    probe's time; past the share, the probe is not started."""
    import orthotune.autopilot._yardstick as ys

    rng = np.random.default_rng(0)
    x = rng.normal(size=(900, 4)).astype(np.float32)
    y = rng.integers(0, 60, 900)  # more classes than PILOT_CLASSES: piloted
    ds = dataset_from_arrays(x, y)
    data = prepare(ds, make_split(ds, seed=0))
    probed = []
    floor = ys._probe_floor_s(data.train.x.numpy(), data.train.y.numpy(), 0, "from_dtype")
    assert floor > 0
    small = _data("builtin:synthetic?n=300&classes=2&features=4&seed=5")  # too small to pilot
    assert ys._probe_floor_s(small.train.x.numpy(), small.train.y.numpy(), 0, "from_dtype") == 0.0
    monkeypatch.setattr(ys, "_probe_floor_s", lambda *a: probed.append(a) or 3600.0)
    got = yardstick(data, folds=None, seed=0, seconds=60.0)
    assert got.dev_error is None and re.match(
        r"given up after \d+\.\d s of its 60\.0 s", got.skipped
    )
    assert "its first 10 trees alone would end past it (a round of trees on a sample" in (
        got.skipped
    )
    assert got.seconds < 5  # not probed (the real probe's 100 trees × 60 classes take longer)
    assert len(probed) == 1


def test_a_yardstick_ahead_of_the_chosen_network_is_said_in_the_notes(caplog, tmp_path):
    """On ames the network lost to the gradient-boosting default by 1.5 test points with the
    yardstick ahead on dev: only the terminal's summary line showed both, --json said nothing."""
    import pandas as pd

    import orthotune

    g = np.random.default_rng(0)
    x = g.normal(size=(800, 30))
    y = ((x[:, 0] > 0.3) ^ (x[:, 1] > -0.2)).astype(int)  # two thresholds: trees find them
    frame = pd.DataFrame(x.round(3), columns=[f"f{i}" for i in range(30)]).assign(label=y)
    with caplog.at_level("WARNING", logger="orthotune"):
        result = orthotune.tune(frame, trials=1, seed=0, write_report=False, out=tmp_path / "r")
    stick = result.decisions.yardstick["dev_error"]
    assert stick < result.errors["dev"]
    said = f"reaches {stick:.2%} dev error, below the chosen network's {result.errors['dev']:.2%}"
    assert any(said in note for note in result.notes) and said in caplog.text
    # under k-fold both errors count every pooled row out of fold, not the dev part's alone
    assert result.decisions.validation.startswith("5-fold")
    split = json.loads((tmp_path / "r" / "split.json").read_text())["sizes"]
    pooled = split["train"] + split["dev"]
    assert any(f"more than two of the {pooled:,} examples they count" in n for n in result.notes)


def test_a_tables_yardstick_sees_each_categorical_column_as_one_column_of_codes():
    # HGB given the table as it takes it (native categories), not the network's one-hot inputs
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 1200
    city = rng.choice([f"c{i:03d}" for i in range(40)], n)
    size = rng.normal(size=n)
    odd = np.isin(city, [f"c{i:03d}" for i in range(0, 40, 3)])
    label = np.where(odd ^ (size > 0.5), "a", "b")
    frame = pd.DataFrame({"city": city, "size": size, "label": label})
    ds = load_dataset(frame, LoadOptions(target="label"))
    data = prepare(ds, make_split(ds, seed=0))
    got = yardstick(data, folds=None, seed=0)

    cities = next(c for c in ds.encoding.columns if c.name == "city").categories
    assert len(ds.feature_names) == len(cities) + 1  # the networks' inputs: one-hot
    code = {c: i for i, c in enumerate(cities)}
    table = np.stack([np.array([code[c] for c in city], dtype=float), size], axis=1)
    train, dev = table[data.split.train], table[data.split.dev]
    ref = HistGradientBoostingClassifier(
        early_stopping=True, random_state=0, categorical_features=[True, False]
    )
    ref.fit(train, data.train.y.numpy(), X_val=dev, y_val=data.dev.y.numpy())
    expected = float(np.mean(ref.predict(dev) != data.dev.y.numpy()))
    assert got.dev_error == pytest.approx(expected, abs=1e-12)
    assert got.dev_error < 0.15  # on the 40 one-hot columns: 0.30


def test_a_yardstick_no_better_than_the_floor_is_not_offered_instead():
    # "it may serve better" was said of an HGB at the floor's 23.67 % (a sweep, a class only
    # dev had); the floor's own note says what a model at the floor means
    from orthotune._records import DecisionLog
    from orthotune.autopilot._job import _yardstick_ahead

    stick = {"model": "HistGradientBoostingClassifier()", "how": "k", "dev_error": 0.2367}
    log = DecisionLog(yardstick=stick, floor={"label": "Yes", "dev_error": 0.2367})
    assert _yardstick_ahead(log, 0.305, 600) is None
    below = log.model_copy(update={"floor": {"label": "Yes", "dev_error": 0.30}})
    assert _yardstick_ahead(below, 0.305, 600).startswith(
        "a gradient-boosting model (HistGradientBoostingClassifier(), k) reaches 23.67% dev "
        "error, below the chosen network's 30.50%"
    )
    assert _yardstick_ahead(below, 0.2380, 600) is None  # within two dev examples' worth


def test_a_model_at_the_floor_beside_a_yardstick_above_it_blames_the_network_not_the_inputs():
    # "the inputs may not predict the label" beside a gradient-boosting model at 20.69 % dev
    # error against the floor's 23.72 % (a new user's flights, 327,346 rows)
    from orthotune._records import DecisionLog
    from orthotune.autopilot._job import _at_the_floor

    stick = {"model": "HistGradientBoostingClassifier()", "how": "k", "dev_error": 0.2069}
    log = DecisionLog(yardstick=stick, floor={"label": "no", "dev_error": 0.2372})
    assert _at_the_floor(log, 0.2400, 65469) == (
        "the chosen model's dev error (24.00%) is no lower than the floor's, always predicting "
        "'no' (23.72%): a gradient-boosting model reaches 20.69% on the same inputs, so they "
        "do predict the label: the network did not learn it within the budget (a larger "
        "--budget may) (with 76.28% of the dev examples 'no', accuracy rewards predicting it: "
        "judge the other classes by macro F1, and weigh the classes equally with orthotune "
        "train --class-balance)"
    )
    assert _at_the_floor(log, 0.2360, 65469) is None  # below the floor: nothing to say
    # a sweep's nassCDS: 234 of 5,244 dev examples wrong against the floor's 236
    nass = DecisionLog(floor={"label": "alive", "dev_error": 236 / 5244})
    assert _at_the_floor(nass, 234 / 5244, 5244).startswith(
        "the chosen model's dev error (4.46%) is lower than the floor's by two of its 5,244 dev "
        "examples at most, always predicting 'alive' (4.50%): the inputs may not predict"
    )
    assert "95.50% of the dev examples 'alive'" in _at_the_floor(nass, 234 / 5244, 5244)
    assert _at_the_floor(nass, 233 / 5244, 5244) is None  # three below: beyond the noise
    even = DecisionLog(floor={"label": "a", "dev_error": 0.48})
    assert "accuracy rewards" not in _at_the_floor(even, 0.5, 1000)  # no majority to name
    # a yardstick within two dev examples of the floor, or none: the inputs may not predict it
    for near in ({**stick, "dev_error": 0.2372 - 1 / 1000}, None):
        said = _at_the_floor(log.model_copy(update={"yardstick": near}), 0.2400, 1000)
        assert (
            "(23.72%): the inputs may not predict the label, or there are too few examples: "
            "get more data or other features before tuning (with 76.28%" in said
        )


def test_loading_scikit_learn_is_not_counted_in_the_yardsticks_share():
    # in a fresh process: the import took 1.0 s of a 25-s budget's 1.2-s share (a sweep); its
    # clock (the first perf_counter call) starts once scikit-learn's ensembles are loaded
    import subprocess
    import sys

    code = (
        "import sys, time\n"
        "from orthotune.data import load_dataset, make_split, prepare\n"
        "import orthotune.autopilot._yardstick as ys\n"
        "ds = load_dataset('builtin:synthetic?n=300&classes=2&features=4&seed=5')\n"
        "data = prepare(ds, make_split(ds, seed=0))\n"
        "assert 'sklearn.ensemble' not in sys.modules\n"
        "loaded = []\n"
        "clock = time.perf_counter\n"
        "def counter():\n"
        "    loaded.append('sklearn.ensemble' in sys.modules)\n"
        "    return clock()\n"
        "ys.time.perf_counter = counter\n"
        "got = ys.yardstick(data, folds=None, seed=0, seconds=3600.0)\n"
        "print(loaded[0], got.skipped)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "None"], out.stdout

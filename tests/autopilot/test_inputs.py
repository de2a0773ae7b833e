"""Step 0's input encoding: on feature vectors the baseline is also trained on binned inputs,
and the encoding with the lower dev error is kept — and travels with the saved model."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

import orthotune
from orthotune.analysis import run_saliency
from orthotune.autopilot import AutopilotSettings, run_autopilot
from orthotune.autopilot._loop import INPUT_BINS, _binnable, _binned
from orthotune.data import dataset_from_arrays, load_dataset, make_split, prepare

pytestmark = pytest.mark.slow


def _stripes(seed=0, n=1200, flipped=0.0):
    """Class = parity of x₀'s eighth (x₀ uniform): seven thresholds on one feature, which 8
    quantile bins give the first layer at once and a plain MLP has to find by training
    (``flipped``: that share of labels flipped, so that even a good model errs)."""
    g = np.random.default_rng(seed)
    x = g.uniform(size=(n, 3)).astype(np.float32)
    y = (np.floor(x[:, 0] * 8) % 2).astype(np.int64)
    return x, np.where(g.random(n) < flipped, 1 - y, y)


def _coded(seed=0, n=1500, flipped=0.0):
    """Class = a random label per code of x₀: 60 codes written as irregular numbers (a salary
    converted from 60 currencies, say), each shared by about 25 rows; ramps between quantiles
    cannot single one out, an indicator per shared value can."""
    g = np.random.default_rng(seed)
    codes, labels = g.uniform(0, 1000, 60) / 3.1, g.integers(0, 2, 60)
    which = g.integers(0, 60, n)
    x = np.stack([codes[which], g.normal(size=n), g.normal(size=n)], axis=1)
    y = labels[which]
    return x.astype(np.float32), np.where(g.random(n) < flipped, 1 - y, y)


def _settings(trials=2, **kw):
    return AutopilotSettings(
        trials=trials,
        budget_s=float("inf"),
        polish=False,
        refit=False,
        learning_curve=False,
        yardstick=False,
        **kw,
    )


def test_step_0_keeps_binned_inputs_where_thresholds_rule():
    ds = dataset_from_arrays(*_stripes())
    data = prepare(ds, make_split(ds, seed=0))
    heard = []
    result = run_autopilot(data, _settings(), on_inputs=heard.append)
    step = result.log.steps[0]
    errors = {v.name: v.errors["dev"] for v in step.variants}
    assert step.kept == "baseline-bins" and errors["baseline-bins"] < errors["baseline"] - 0.1
    assert [v.accepted for v in step.variants] == [False, True]
    assert "against" in step.variants[1].why
    assert heard == [result.data] and result.data.normalizer.bins is not None
    width = 3 + result.data.normalizer.bins.width
    assert result.chosen.candidate.spec.input_shape == (width,)
    assert result.data.test.x.shape[1] == width and len(result.trained) == 2


def test_step_0_marks_shared_values_where_a_code_is_the_class():
    ds = dataset_from_arrays(*_coded())
    data = prepare(ds, make_split(ds, seed=0))
    result = run_autopilot(data, _settings(trials=3))
    step = result.log.steps[0]
    errors = {v.name: v.errors["dev"] for v in step.variants}
    assert list(errors) == ["baseline", "baseline-bins", "baseline-points"]
    assert step.kept == "baseline-points"
    assert errors["baseline-points"] < min(errors["baseline"], errors["baseline-bins"]) - 0.1
    assert "with the best other encoding" in step.variants[2].why
    assert sum(len(p) for p in result.data.normalizer.bins.points) == 60
    # no shared value to mark (uniform x₀): the third encoding is not tried
    plain = dataset_from_arrays(*_stripes())
    data = prepare(plain, make_split(plain, seed=0))
    assert _binned(data, _settings(), 1, points=True) is None


def test_no_other_encoding_where_it_and_one_more_model_do_not_fit_the_budget(monkeypatch):
    # on 52,000 rows at 90 s three encodings took 57 s and left the refit no time (a sweep);
    # here the refit's share is made to take more than an hour's budget
    from orthotune.autopilot import _loop

    ds = dataset_from_arrays(*_coded())
    data = prepare(ds, make_split(ds, seed=0))
    settings = AutopilotSettings(
        budget_s=3600, polish=False, learning_curve=False, yardstick=False, max_steps=0
    )
    monkeypatch.setattr(_loop, "_refit_share", lambda *a: 1e9)
    result = run_autopilot(data, settings)
    assert [v.name for v in result.log.steps[0].variants] == ["baseline"]


def test_no_second_encoding_when_turned_off_or_for_signals():
    ds = dataset_from_arrays(*_stripes())
    data = prepare(ds, make_split(ds, seed=0))
    result = run_autopilot(data, _settings(input_bins=0))
    assert [v.name for v in result.log.steps[0].variants] == ["baseline"]
    assert result.data is data and result.data.normalizer.bins is None
    g = np.random.default_rng(0)
    signals = dataset_from_arrays(
        g.normal(size=(300, 1, 16)).astype(np.float32), g.integers(0, 2, 300)
    )
    data = prepare(signals, make_split(signals, seed=0))
    result = run_autopilot(data, _settings(trials=1))
    assert [v.name for v in result.log.steps[0].variants] == ["baseline"]
    narrow = dataset_from_arrays(
        g.normal(size=(300, 256)).astype(np.float32), g.integers(0, 2, 300)
    )
    data = prepare(narrow, make_split(narrow, seed=0))
    assert _binned(data, _settings(), 1).train.x.shape[1] == 256 * (INPUT_BINS + 1)
    assert _binned(data, _settings(trials=1), 1) is None  # no model left for it
    wide = dataset_from_arrays(g.normal(size=(300, 257)).astype(np.float32), g.integers(0, 2, 300))
    data = prepare(wide, make_split(wide, seed=0))
    assert _binned(data, _settings(), 1) is None  # wider than INPUT_BINS_MAX_FEATURES
    # a table's one-hot columns get no bins, so they do not count against that cap
    hot = np.eye(300, dtype=np.float32)[g.integers(0, 300, 600)]
    table = np.concatenate([hot, g.normal(size=(600, 2)).astype(np.float32)], axis=1)
    table = dataset_from_arrays(table, g.integers(0, 2, 600))
    data = prepare(table, make_split(table, seed=0))
    assert _binned(data, _settings(), 1).train.x.shape[1] == data.train.x.shape[1] + 2 * 32
    nan = float("nan")  # a missing value is no third value
    assert _binnable(torch.tensor([[0.0, 1.0, 1.0], [1.0, nan, 2.0], [0.0, 2.0, 3.0]])) == 1


def test_no_binned_copy_larger_than_the_cap(monkeypatch):
    from orthotune.autopilot import _loop

    ds = dataset_from_arrays(*_stripes(n=400))
    data = prepare(ds, make_split(ds, seed=0))
    assert _binned(data, _settings(), 1) is not None
    cells = 400 * 3 * (INPUT_BINS + 1)
    monkeypatch.setattr(_loop, "INPUT_BINS_MAX_CELLS", cells - 1)  # one number short
    assert _binned(data, _settings(), 1) is None
    # the marked values count too, before any fit: 60 codes on x₀
    ds = dataset_from_arrays(*_coded())
    data = prepare(ds, make_split(ds, seed=0))
    cells = 1500 * (3 + 3 * INPUT_BINS + 60)
    monkeypatch.setattr(_loop, "INPUT_BINS_MAX_CELLS", cells)
    assert _binned(data, _settings(), 1, points=True).train.x.shape[1] == 3 + 3 * INPUT_BINS + 60
    monkeypatch.setattr(_loop, "INPUT_BINS_MAX_CELLS", cells - 1)
    assert _binned(data, _settings(), 1, points=True) is None
    assert _binned(data, _settings(), 1) is not None  # the bins alone still fit


@pytest.mark.parametrize("kind", ["bins", "points"])
def test_a_binned_model_is_saved_with_its_bins_and_predicts_as_the_run_scored(tmp_path, kind):
    # the shared values too: read back from the CSV, a row's value is the point it was fitted as
    x, y = _stripes(seed=1, flipped=0.05) if kind == "bins" else _coded(seed=1, flipped=0.05)
    frame = pd.DataFrame(x, columns=["a", "b", "c"]).assign(label=np.array(["even", "odd"])[y])
    frame.to_csv(tmp_path / "stripes.csv", index=False)
    data = str(tmp_path / "stripes.csv")
    result = orthotune.tune(data, trials=3, seed=0, out=tmp_path / "run")
    assert result.chosen == f"baseline-{kind}"
    model = orthotune.load(result.run_dir)
    ds = load_dataset(data)
    split = json.loads((tmp_path / "run" / "split.json").read_text())["ids"]
    test = np.isin(ds.ids, split["test"])
    accuracy = float((model.predict(data)[test] == frame["label"].to_numpy()[test]).mean())
    assert accuracy == pytest.approx(result.test_metrics["accuracy"])
    # where it looks: attributions of the binned inputs folded back onto the 3 columns
    report = run_saliency(result.run_dir)
    assert report.examples and all(len(e.attribution) == 3 for e in report.examples)
    # k-fold: the chosen model learned from dev, so the out-of-fold predictions pick the mistakes
    assert "misclassified by models that had not learned from them" in report.message
    # its configuration's learning curve reads the inputs it read (bins, and marked values)
    curve = orthotune.learning_curve(data, from_run=result.run_dir, fractions=[0.5, 0.75, 1])
    assert [p.fraction for p in curve.points] == [0.5, 0.75, 1.0]

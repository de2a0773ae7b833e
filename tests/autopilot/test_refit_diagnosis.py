"""After a refit on train + dev, the final ladder is one model's: the chosen configuration as
trained on train (its train, train-dev and dev errors were already that model's; its test error
was the refitted model's, so test − dev mixed two models)."""

import re

import numpy as np
import pytest

from orthotune.autopilot import AutopilotSettings, run_autopilot
from orthotune.data import dataset_from_arrays, make_split, prepare
from orthotune.fit import score_parts


def test_the_final_diagnosis_is_the_configuration_before_its_refit():
    g = np.random.default_rng(0)
    x = g.normal(size=(4000, 4)).astype(np.float32)
    y = ((x[:, 0] + 0.5 * x[:, 1] > 0) ^ (g.random(4000) < 0.1)).astype(np.int64)
    ds = dataset_from_arrays(x, y)
    data = prepare(ds, make_split(ds, seed=0))
    seen = {}

    def remember(trained, step, problem):
        seen.setdefault(trained.candidate.name, trained)  # the first: trained on train

    settings = AutopilotSettings(
        trials=2, budget_s=float("inf"), polish=False, learning_curve=False, yardstick=False
    )
    labels = []

    def progress(candidate, epoch, dev_error):
        labels.append(candidate.label)

    result = run_autopilot(data, settings, on_trained=remember, on_epoch=progress)
    assert result.log.refitted
    # live progress hears the refit's epochs, named as such (a 128-s refit was unsaid)
    refit = [lb for lb in labels if lb.startswith("refit on train + dev: ")]
    assert len(refit) == result.chosen.candidate.config.epochs
    configured = seen[result.log.chosen]
    assert configured.model is not result.chosen.model
    levels = {lv.name: lv.error for lv in result.diagnosis.decomposition.levels}
    test = score_parts(configured.model, {"test": data.test}, device="cpu")["test"]
    refitted = score_parts(result.chosen.model, {"test": data.test}, device="cpu")["test"]
    assert levels["test"] == pytest.approx(float(test.double().mean()))
    assert levels["dev"] == configured.error("dev")
    assert (test != refitted).any()  # two models: which one the ladder read matters


def test_no_temperature_carried_across_a_refit_that_learned_the_dev_distribution(tmp_path):
    # dev and test come from a shifted source: the configuration before its refit is confidently
    # wrong there (a new-user sweep: T = 7.0), while the refitted model learned that source
    import json

    import orthotune

    data = "builtin:synthetic?n=6000&classes=3&features=2&noise=0&shift=2&shifted=0.15&seed=3"
    result = orthotune.tune(data, trials=2, dev_source="shifted", seed=0, out=tmp_path / "run")
    record = json.loads((tmp_path / "run" / "decisions.json").read_text())
    assert record["refit"].startswith("refit on")
    assert result.diagnosis.is_high["data_mismatch"]
    assert not (tmp_path / "run" / "calibration.json").exists()
    said = "no temperature scaling: the chosen model learned"
    assert any(n.startswith(said) for n in result.notes)
    # the refit was the run's mismatch fix: said, with the test error before and after it
    before, after = result.diagnosis.levels.test.error, result.test_metrics["error"]
    fix = (
        "the refit on train + dev gave the model examples of the dev distribution — the "
        f"lecture's fix for data mismatch, training data like dev: test error {before:.2%} "
        f"before it, {after:.2%} after"
    )
    assert any(n.startswith(fix) for n in result.notes) and after < before
    # the same data judged on its own source: the temperature is fitted as before
    plain = orthotune.tune(data, trials=2, seed=0, out=tmp_path / "plain")
    assert not plain.diagnosis.is_high["data_mismatch"]
    assert not any("the refit on train + dev gave" in n for n in plain.notes)
    assert (tmp_path / "plain" / "calibration.json").exists()


def test_the_final_diagnosis_gives_each_dev_sources_error(tmp_path, capsys, caplog):
    # the lecture's dev1 / dev2: the dev examples of two sources, one shifted; `tune` left them
    # out where `evaluate` and `errors` gave them (a new-user sweep, --source)
    import json

    import pandas as pd

    from orthotune.cli._main import main

    g = np.random.default_rng(1)
    n = 6000  # 2,000 training rows or more: a hold-out dev set, not k-fold
    source = np.where(g.random(n) < 0.8, "base", "shifted")
    x = g.normal(size=(n, 2))
    y = (x[:, 0] > 0).astype(int)
    x[source == "shifted", 0] += 1.5  # a sensor offset: the base source's rule misreads it
    split = np.where(source == "base", "train", np.where(g.random(n) < 0.5, "dev", "test"))
    split[(source == "base") & (g.random(n) < 0.2)] = "dev"
    path = tmp_path / "d.csv"
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "src": source, "split": split, "y": y})
    frame.to_csv(path, index=False)
    out = tmp_path / "run"
    args = ["tune", str(path), "--target", "y", "--split-col", "split", "--source", "src"]
    with pytest.raises(SystemExit) as stop, caplog.at_level("WARNING", logger="orthotune"):
        main([*args, "--trials", "1", "--no-refit", "--out", str(out)])
    assert stop.value.code == 0
    diag = json.loads((out / "diagnosis.json").read_text())
    levels = diag["levels"]["dev_sources"]
    dev = frame[frame.split == "dev"]
    assert sorted(levels) == ["base", "shifted"]
    assert levels["base"]["n"] == int((dev.src == "base").sum())
    assert levels["shifted"]["n"] == int((dev.src == "shifted").sum())
    mean = (
        levels["base"]["error"] * levels["base"]["n"]
        + levels["shifted"]["error"] * levels["shifted"]["n"]
    ) / len(dev)
    assert mean == pytest.approx(diag["levels"]["dev"]["error"])
    assert levels["shifted"]["error"] > levels["base"]["error"] + 0.1
    shown = capsys.readouterr()
    assert "dev[base]" in shown.out and "dev[shifted]" in shown.out
    # the note names them too (rich read "[shifted]" as markup: "dev 45.66% vs dev 0.52%")
    assert "dev error differs across sources: dev[shifted]" in " ".join(shown.out.split())
    # no train-dev rows in the split column: the variance gap also holds the mismatch, said
    assert diag["decomposition"]["data_mismatch"] is None and diag["is_high"]["variance"]
    assert re.search(
        r"the split column has no 'train-dev' rows, so the variance gap \(dev − train, "
        r"[\d.]+%\) also holds any data mismatch",
        caplog.text,  # a warning on stderr
    )


def test_no_word_of_a_train_dev_set_where_the_user_gave_no_dev_set():
    # MNIST-1D's canonical test set is a preset split, but dev is the policy's: from train
    # (the note's own rule on its data and a high variance; a full run took 70 s of the suite)
    from orthotune.autopilot._job import _confounded
    from orthotune.data import load_dataset, make_split, prepare
    from orthotune.diagnose import ErrorLevels, diagnose

    ds = load_dataset("builtin:mnist1d")
    data = prepare(ds, make_split(ds, seed=0))
    assert ds.preset_split is not None and data.train_dev is None
    levels = ErrorLevels.from_rates(
        human_error=ds.reference.human_error,
        train_error=0.0,
        dev_error=0.05,
        train_size=len(data.train),
        dev_size=len(data.dev),
    )
    high = diagnose(levels, tolerance=0.01)
    assert high.is_high["variance"]  # so the note's other conditions hold
    assert _confounded(data, high) is None


def test_the_dev_error_of_classes_no_training_example_has_is_said(caplog):
    # a sweep: 63 of 600 dev rows of a class only dev had were 10.5 points of a "data mismatch"
    import pandas as pd

    import orthotune

    g = np.random.default_rng(2)
    n = 3000
    x = g.normal(size=(n, 2))
    y = np.where(x[:, 0] > 0, "a", "b").astype(object)
    y[:150] = "held"  # a class only dev and test have
    split = np.where(g.random(n) < 0.7, "train", np.where(g.random(n) < 0.5, "dev", "test"))
    split[:150] = np.where(np.arange(150) % 2, "dev", "test")
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y, "split": split})
    with caplog.at_level("WARNING", logger="orthotune"):
        result = orthotune.tune(frame, target="y", split_col="split", trials=1, seed=0)
    dev = frame[frame.split == "dev"]
    held = int((dev.y == "held").sum())
    said = (
        f"{held} of the {len(dev)} dev examples are of class(es) no training example has ('held')"
    )
    assert any(n.startswith(said) for n in result.notes) and said in caplog.text
    share = f"always wrong, they are {held / len(dev):.2%} of the"
    assert share in next(n for n in result.notes if n.startswith(said))

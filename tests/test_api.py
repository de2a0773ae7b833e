"""The public Python API (``orthotune.tune`` …): typed results whose ``to_json()`` is the CLI's
``--json`` for the same call, a count budget that makes a seeded run reproducible, ``load``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import orthotune
from orthotune import InvalidInputError
from orthotune.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = "builtin:synthetic?n=240&classes=3&features=5&noise=0.05&seed=3"


def cli_json(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    """``orthotune ARGS… --json`` in this process: its stdout (exit code 0 asserted)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main([*map(str, args), "--json"])
    out = capsys.readouterr()
    assert stop.value.code == 0, out.err
    return out.out


def _clock_and_paths_blanked(text: str, run_dir: Path) -> dict:
    """The --json of a tune run with what differs between two identical seeded runs blanked:
    wall-clock durations (``seconds``, ``*_seconds``, ``elapsed``, ``latency_ms``) and paths
    inside the run folder."""

    def clock(key: str) -> bool:
        return key in ("seconds", "elapsed", "latency_ms") or key.endswith("_seconds")

    def blank(value):
        if isinstance(value, dict):
            return {k: None if clock(k) else blank(v) for k, v in value.items()}
        if isinstance(value, list):
            return [blank(v) for v in value]
        if isinstance(value, str):
            return value.replace(str(run_dir), "RUN_DIR")
        return value

    return blank(json.loads(text))


@pytest.mark.slow
def test_tune_with_a_count_budget_is_the_clis_json_and_loads_as_a_model(tmp_path, capsys):
    api_dir, cli_dir = tmp_path / "api", tmp_path / "cli"
    result = orthotune.tune(DATA, trials=2, seed=0, out=api_dir)
    assert result.models_trained == 2  # the count budget, with no time limit
    assert result.decisions.stop_reason == "budget_spent"
    assert "budget of 2 models" in result.decisions.stop_message
    text = cli_json(capsys, "tune", DATA, "--trials", "2", "--seed", "0", "--out", cli_dir)
    assert result.to_json() + "\n" != text  # the run folders differ …
    # … and nothing else: same errors, diagnosis, decisions, test metrics, calibration
    assert _clock_and_paths_blanked(result.to_json(), api_dir) == _clock_and_paths_blanked(
        text, cli_dir
    )
    # the chosen model, loaded, scores the test part as the run did
    from orthotune.data import load_dataset

    model = orthotune.load(result.run_dir)
    ds = load_dataset(DATA)
    test = np.isin(ds.ids, json.loads((api_dir / "split.json").read_text())["ids"]["test"])
    proba = model.predict_proba(DATA)
    assert proba.shape == (240, 3) and np.allclose(proba.sum(axis=1), 1)
    truth = model.classes_[ds.y.numpy()]  # the labels as the model gives them (integers here)
    accuracy = float((model.predict(DATA)[test] == truth[test]).mean())
    assert accuracy == pytest.approx(result.test_metrics["accuracy"])
    assert result.report == str(api_dir / "report.html") and Path(result.report).is_file()


def test_diagnose_evaluate_compare_return_what_the_cli_prints(tmp_path, capsys):
    rates = {"human_error": "0.7%", "train_error": "3.5%", "dev_error": "7.8%"}
    diagnosis = orthotune.diagnose(**rates, dev_size=1000)
    assert diagnosis.problem.value == "avoidable_bias"
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in rates.items()]
    assert diagnosis.to_json() + "\n" == cli_json(capsys, "diagnose", *flags, "--dev-size", 1000)

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300).astype(str)
    wrong = rng.random(300) < np.r_[np.full(200, 0.02), np.full(100, 0.2)]
    pred = np.where(wrong, ((y.astype(int) + 1) % 3).astype(str), y)
    split = ["train"] * 200 + ["dev"] * 100
    path = tmp_path / "pred.csv"
    pd.DataFrame({"y_true": y, "y_pred": pred, "split": split}).to_csv(path, index=False)
    evaluation = orthotune.evaluate(path, human_error="1%")
    assert [s.split for s in evaluation.splits] == ["train", "dev"]
    assert evaluation.to_json() + "\n" == cli_json(capsys, "evaluate", path, "--human-error", "1%")
    # the same table as a DataFrame
    frame = pd.read_csv(path, dtype=str)
    assert orthotune.evaluate(frame, human_error=0.01).to_json() == evaluation.to_json()

    table = ROOT / "examples" / "lecture_classifiers.csv"
    comparison = orthotune.compare(table, constraints=["latency_ms<100"])
    assert comparison.ranking.choice == "B"  # the lecture's answer
    expected = cli_json(capsys, "compare", table, "--constraint", "latency_ms<100")
    assert comparison.to_json() + "\n" == expected
    columns = pd.read_csv(table).to_dict(orient="list")
    assert orthotune.compare(columns, constraints=["latency_ms<100"]).ranking.choice == "B"


@pytest.mark.slow
def test_train_then_load_predicts_arrays_as_it_predicts_data(tmp_path, caplog):
    out = tmp_path / "run"
    summary = orthotune.train(DATA, out=out, model={"hidden": [16]}, training={"epochs": 3}, seed=1)
    assert summary.epochs_run == 3 and summary.spec.hidden == (16,)
    assert json.loads(summary.to_json())["model_dir"] == summary.model_dir
    model = orthotune.load(out)
    from orthotune.data import load_dataset

    x = load_dataset(DATA).x.numpy()  # raw features: the model normalizes them itself
    from_array = model.predict_proba(x)
    assert np.allclose(from_array, model.predict_proba(DATA), atol=1e-6)
    assert model.classes_.tolist() == [0, 1, 2]  # integer labels come back as integers
    y = load_dataset(DATA).y.numpy()
    accuracy = (from_array.argmax(1) == y).mean()
    assert accuracy > 0 and (model.predict(x) == y).mean() == accuracy  # like with like
    assert model.predict(x[:5]).tolist() == model.classes_[from_array[:5].argmax(1)].tolist()
    assert model.score(x, y) == pytest.approx(accuracy)
    assert model.score(x, y.astype(str)) == pytest.approx(accuracy)  # "1" is the class 1
    assert model.score(x, y.astype(float)) == pytest.approx(accuracy)  # so is 1.0 (it gave 0)
    from orthotune.metrics import label_keys

    big = ["12345678901234567", "12345678901234568"]  # one float: as text, two codes
    assert label_keys([*big, 1.0, True, " a "]) == [*big, "1", "True", "a"]
    assert model.score(x[:4], [9, 9, 9, 9]) == 0.0  # no label is a class
    with pytest.raises(InvalidInputError, match=r"y holds 2 missing label\(s\), the first at row"):
        model.score(x[:4], [y[0], np.nan, None, y[3]])  # counted as mistakes before
    with pytest.raises(InvalidInputError, match=r"y has 3 labels for the 5 examples of X"):
        model.score(x[:5], y[:3])
    with pytest.raises(InvalidInputError, match=r"X has shape \(5, 4\)"):
        model.predict_proba(x[:5, :4])
    import logging

    import pandas as pd

    with caplog.at_level(logging.WARNING):
        assert np.allclose(model.predict_proba(pd.DataFrame(x)), from_array, atol=1e-6)
        assert "column names" not in caplog.text  # 0, 1, 2 …: an array's positions
        named = pd.DataFrame(x, columns=[f"f{k}" for k in range(x.shape[1])])
        assert np.allclose(model.predict_proba(named), from_array, atol=1e-6)
    assert (
        "X has column names (f0, f1, f2, f3, f4), but the model was trained on an array "
        "without them: its columns are read by position" in caplog.text
    )


def test_train_and_diagnose_are_both_functions_and_subpackages():
    import orthotune.diagnose
    import orthotune.train

    assert orthotune.diagnose.Diagnosis.__name__ == "Diagnosis"
    assert orthotune.train.Trainer.__name__ == "Trainer"
    result = orthotune.diagnose(human_error=0.01, train_error=0.02, dev_error=0.021)
    assert isinstance(result, orthotune.diagnose.Diagnosis)
    # a fresh interpreter: the names are functions first, cheap to import, callable after too
    code = (
        "import sys, orthotune; assert 'torch' not in sys.modules; "
        "assert orthotune.diagnose.__name__ == 'diagnose'; "
        "from orthotune.diagnose import Diagnosis; "
        "d = orthotune.diagnose(human_error=0.01, train_error=0.05, dev_error=0.06); "
        "print(type(d) is Diagnosis, d.problem.value)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["True", "avoidable_bias"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trials": 0}, r"--trials 0: accepted is an integer ≥ 1"),
        ({"trials": 2.5}, r"--trials 2.5: accepted is an integer"),
        ({"budget": "5"}, r"--budget '5' does not parse.*write 5m or 5s"),
        ({"strategy": "magic"}, r"--strategy 'magic' is unknown; accepted: autopilot"),
        ({"human_error": 4.2}, r"write 4.2%"),
        ({"metric": "dev_error"}, r"--metric 'dev_error': .* belong to the search strategies"),
        ({"metric": "nope"}, r"--metric 'nope' is unknown: accepted are train_accuracy"),
        ({"precision": "fp16"}, r"--precision 'fp16' is not a precision; accepted: auto, fp32"),
        ({"strategy": "tpe", "tolerance": "2%"}, r"--tolerance 2% sets how large a gap the auto"),
        # DATA is a built-in with a known Bayes error (its 5 % flip rate): human-level below it
        ({"human_error": "1%"}, r"--bayes-error 5.0000% is above --human-error 1.0000%.*swap"),
        (
            {"strategy": "random", "human_error": "1%", "bayes_error": "2%"},
            r"--bayes-error 2.0000% is above --human-error 1.0000%: accepted is a Bayes error at",
        ),
    ],
)
def test_tune_refuses_bad_arguments_before_any_work(tmp_path, kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        orthotune.tune(DATA, out=tmp_path / "r", **kwargs)
    assert not (tmp_path / "r").exists()


def test_load_refuses_a_folder_that_holds_no_model(tmp_path):
    with pytest.raises(InvalidInputError, match=r"has no manifest\.json"):
        orthotune.load(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["autopilot", "random"])
def test_a_report_that_cannot_be_written_is_a_note_not_a_lost_run(tmp_path, strategy):
    """Jobs return; ``tune`` renders the report, and a rendering failure (here a folder where
    report.html should go) is a note in both modes — the finished run and its model are kept."""
    out = tmp_path / "run"

    def block_the_report(*_):
        (out / "report.html").mkdir(exist_ok=True)

    hook = {"on_step": block_the_report} if strategy == "autopilot" else {}
    hook = hook or {"on_trial": block_the_report}
    result = orthotune.tune(DATA, strategy=strategy, trials=1, seed=0, out=out, **hook)
    assert result.report is None
    assert result.notes == ["report.html could not be rendered (see the log)"]
    assert Path(result.chosen_model_dir, "manifest.json").is_file()
    if strategy == "autopilot":  # the run folder's records are what they were before: the
        # job's own notes (none here), not the report's
        assert json.loads((out / "run.json").read_text())["summary"]["notes"] == []


def _customers(n: int = 300) -> pd.DataFrame:
    """A DataFrame as an analyst holds one: a category with gaps, a number with gaps, and a
    label that the first two decide."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"age": rng.integers(18, 80, n).astype(float), "plan": rng.choice(["a", "b", None], n)}
    )
    frame["spend"] = rng.normal(50, 10, n)
    frame.loc[::9, "spend"] = np.nan
    frame["churn"] = np.where((frame.age > 45) & (frame.plan != "a"), "yes", "no")
    return frame


@pytest.mark.slow
def test_tune_and_train_take_a_dataframe_and_its_run_keeps_it(tmp_path, capsys):
    frame = _customers()
    result = orthotune.tune(frame, target="churn", trials=2, seed=0, out=tmp_path / "t")
    kept = tmp_path / "t" / "data.parquet"
    assert result.data == str(kept) and kept.is_file()  # run.json names the copy
    assert json.loads((tmp_path / "t" / "run.json").read_text())["data"] == str(kept)
    assert any(f.startswith("spend: 34 missing") for f in result.filled)
    new = frame.drop(columns="churn").head(4).assign(plan=["a", "zzz", None, "b"])
    p = orthotune.load(tmp_path / "t").predict_proba(new)  # an unseen category: a gap
    assert p.shape == (4, 2) and np.allclose(p.sum(1), 1.0)
    # error analysis predicts the run's own rows again, from the copy
    report = json.loads(cli_json(capsys, "errors", tmp_path / "t"))["errors"]
    sizes = json.loads((tmp_path / "t" / "split.json").read_text())["sizes"]
    assert report["split"] == "dev" and report["n"] == sizes["dev"] > 0
    # k-fold: the chosen model learned from the dev rows, so predict names them train rows
    from orthotune.train import load_predictor, predict

    assert orthotune.load(tmp_path / "t").manifest.learned_from == ("train", "dev")
    split = predict(load_predictor(tmp_path / "t"), str(kept))["split"]
    assert split.value_counts().to_dict() == {
        "train": sizes["train"] + sizes["dev"],
        "test": sizes["test"],
    }
    summary = orthotune.train(frame, target="churn", out=tmp_path / "m", training={"epochs": 2})
    assert summary.data == str(tmp_path / "m" / "data.parquet")
    assert orthotune.load(tmp_path / "m").predict(new).tolist()[0] in ("no", "yes")


def test_tune_takes_x_and_y_as_scikit_learn_does(tmp_path):
    frame = _customers()
    labels = frame.pop("churn")
    # a DataFrame of features and its labels: read as the table with a label column
    result = orthotune.tune(frame, labels, trials=1, refit=False, out=tmp_path / "t")
    assert result.chosen is not None
    assert orthotune.load(tmp_path / "t").predict(frame.head(3)).tolist()[0] in ("no", "yes")
    # arrays of numbers, the labels as text: a Dataset of them, labels kept
    x = np.nan_to_num(frame[["age", "spend"]].to_numpy())
    result = orthotune.tune(x, labels.to_numpy(), trials=1, refit=False, out=tmp_path / "a")
    assert set(orthotune.load(tmp_path / "a").predict(x[:5])) <= {"no", "yes"}
    from scipy import sparse  # a sparse matrix is read densely (len() of one is a TypeError)

    result = orthotune.tune(sparse.csr_matrix(x), labels, trials=1, refit=False, out=tmp_path / "s")
    assert result.chosen is not None
    model = orthotune.load(tmp_path / "s")
    assert model.predict(sparse.csr_matrix(x[:4])).tolist() == model.predict(x[:4]).tolist()
    # boolean labels come back as booleans: predict(X) == y compares like with like
    flags = labels.to_numpy() == "yes"
    orthotune.tune(x, flags, trials=1, refit=False, out=tmp_path / "b")
    model = orthotune.load(tmp_path / "b")
    assert model.classes_.dtype == bool
    assert (model.predict(x) == flags).mean() == pytest.approx(model.score(x, flags))


def test_train_takes_x_and_y_as_tune_does(tmp_path):
    frame = _customers()
    labels = frame.pop("churn")
    x = np.nan_to_num(frame[["age", "spend"]].to_numpy())
    summary = orthotune.train(x, labels, out=tmp_path / "a", training={"epochs": 2})
    assert summary.epochs_run == 2
    assert set(orthotune.load(tmp_path / "a").predict(x[:5])) <= {"no", "yes"}
    orthotune.train(frame, labels, out=tmp_path / "f", training={"epochs": 2})
    assert orthotune.load(tmp_path / "f").predict(frame.head(2)).shape == (2,)
    # labels given as text stay text: predict(X) == y compares like with like (were integers)
    digits = np.where(labels == "yes", "1", "0")
    for given, folder in ((x, "d"), (frame, "e")):
        orthotune.train(given, digits, out=tmp_path / folder, training={"epochs": 2})
        model = orthotune.load(tmp_path / folder)
        assert model.classes_.tolist() == ["0", "1"]
        assert (model.predict(given) == digits).mean() == pytest.approx(model.score(given, digits))
    orthotune.train(x, digits.astype(int), out=tmp_path / "i", training={"epochs": 2})
    assert orthotune.load(tmp_path / "i").classes_.tolist() == [0, 1]  # numbers stay numbers
    table = frame.assign(label=digits.astype(int))  # a CSV's cells are text; its 0/1 numbers
    table.to_csv(tmp_path / "t.csv", index=False)
    orthotune.train(tmp_path / "t.csv", out=tmp_path / "c", training={"epochs": 2})
    assert orthotune.load(tmp_path / "c").classes_.tolist() == [0, 1]


def test_an_object_array_of_numbers_is_read_as_numbers(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120), "c": "x"})
    x = frame.to_numpy()[:, :2]  # dtype object, numbers only: was "not numeric"
    y = (frame["a"] > 0).astype(int).to_numpy()
    orthotune.train(x, y, out=tmp_path / "r", training={"epochs": 2})
    model = orthotune.load(tmp_path / "r")
    assert (model.predict(x) == model.predict(x.astype(float))).all()
    x[0, 0] = "abc"  # a cell that is no number stays refused
    with pytest.raises(InvalidInputError, match=r"X has shape \(120, 2\) and dtype object"):
        model.predict(x)


def test_a_frame_with_multiindex_columns_is_read_with_its_levels_joined(tmp_path):
    rng = np.random.default_rng(0)
    x = pd.DataFrame({("g", "a"): rng.normal(size=120), ("g", "b"): rng.normal(size=120)})
    y = (x[("g", "a")] > 0).astype(int)
    # was "--target 'y' names a column that does not exist; columns: …, ('y', '')"
    orthotune.train(x, y, out=tmp_path / "r", training={"epochs": 2})
    model = orthotune.load(tmp_path / "r")
    assert model.manifest.feature_names == ("g_a", "g_b")
    assert model.predict(x).shape == (120,)


def test_a_y_whose_index_holds_xs_in_another_order_is_warned_about(tmp_path, caplog):
    frame = _customers()
    shuffled = frame.drop(columns="churn").sample(frac=1, random_state=0)  # y in frame's order
    with caplog.at_level("WARNING", logger="orthotune"):
        orthotune.tune(shuffled, frame["churn"], trials=1, refit=False, out=tmp_path / "t")
    assert "y is a Series whose index holds X's in another order" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="orthotune"):
        orthotune.tune(shuffled, frame["churn"].loc[shuffled.index], trials=1, out=tmp_path / "u")
    assert "another order" not in caplog.text


def test_tune_x_y_names_a_label_column_left_among_the_features(tmp_path, caplog):
    frame = _customers()
    with caplog.at_level("WARNING", logger="orthotune"):
        orthotune.tune(frame, frame["churn"], trials=1, refit=False, out=tmp_path / "t")
    assert "X has a column named like a label" not in caplog.text  # 'churn' is no label name
    frame["label"] = frame.pop("churn")
    with caplog.at_level("WARNING", logger="orthotune"):
        orthotune.tune(frame, frame["label"], trials=1, refit=False, out=tmp_path / "u")
    assert "X has a column named like a label ('label') and y gives the labels" in caplog.text


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (DATA, {}, r"y is given, but DATA is the file 'builtin:.*which holds its own labels"),
        ("frame", {"target": "churn"}, r"target='churn' names a label column, and y gives"),
        ("frame", {"y": ["no"] * 5}, r"y has 5 labels for the 300 examples of X: give one label"),
        ("x", {"y": np.zeros((300, 2))}, r"y has shape \(300, 2\) for the 300 examples of X"),
        ("ragged", {}, r"X holds rows of different lengths: give one row of the same length"),
        # column options beside an array X went unapplied without a word (a weight, a drop)
        ("x", {"weight": "age"}, r"tune\(X, y\): --weight \(weight=\) names a column, and"),
        ("x", {"drop": ["x0"]}, r"--drop \(drop=\) names a column, and arrays have none: give X"),
        ("x", {"split_col": "s"}, r"--split-col \(split_col=\) names a column"),
    ],
)
def test_tune_refuses_a_y_that_cannot_go_with_x(tmp_path, data, kwargs, message):
    frame = _customers()
    ragged = [[1.0, 2.0], [3.0], *[[0.0, 1.0]] * 298]  # numpy's "inhomogeneous shape"
    given = {"frame": frame, "x": frame[["age"]].to_numpy(), "ragged": ragged}.get(data, data)
    kwargs = {"y": frame["churn"], **kwargs}
    with pytest.raises(InvalidInputError, match=message):
        orthotune.tune(given, out=tmp_path / "r", trials=1, **kwargs)
    assert not (tmp_path / "r").exists()


def test_a_search_refuses_a_dataframe_its_workers_cannot_read_again(tmp_path):
    with pytest.raises(InvalidInputError, match=r"not a DataFrame in memory: save it \(e\.g\. df"):
        orthotune.tune(_customers(), target="churn", strategy="tpe", out=tmp_path / "r")
    assert not (tmp_path / "r").exists()
    table = tmp_path / "customers.csv"
    _customers().to_csv(table, index=False)
    found = orthotune.tune(table, target="churn", strategy="random", trials=1, out=tmp_path / "s")
    assert found.data == str(table)  # a Path is a file, for a search too


def test_a_storage_that_cannot_be_opened_leaves_no_run_folder_to_block_the_retry(tmp_path):
    table = tmp_path / "customers.csv"
    _customers().to_csv(table, index=False)
    out = tmp_path / "s"
    for url in ("not-a-url", "nosuchdb://x"):  # it used to leave run.json and split.json
        with pytest.raises(InvalidInputError, match=rf"--storage '{url}' could not be opened"):
            orthotune.tune(table, target="churn", strategy="random", storage=url, out=out)
        assert not out.exists()
        with pytest.raises(InvalidInputError, match=rf"--storage '{url}' could not be opened"):
            orthotune.tune(table, target="churn", storage=url, out=out)  # the autopilot's too
        assert not out.exists()
    nowhere = f"sqlite:///{tmp_path / 'nope' / 'x.db'}"  # a SQLite file outside the run folder
    with pytest.raises(InvalidInputError, match=r"the folder .*nope' does not exist"):
        orthotune.tune(table, target="churn", strategy="random", storage=nowhere, out=out)
    assert not out.exists()
    found = orthotune.tune(table, target="churn", strategy="random", trials=1, out=out)
    assert found.trials_this_run == 1 and found.chosen is not None
    inside = tmp_path / "t"  # a SQLite file in the run folder itself: opened once it is made
    storage = f"sqlite:///{inside / 'study.db'}"
    orthotune.tune(table, target="churn", strategy="random", trials=1, storage=storage, out=inside)
    assert (inside / "study.db").is_file()


@pytest.mark.slow
def test_errors_clean_and_learning_curve_return_what_the_cli_prints(tmp_path, capsys):
    from tests.analysis.conftest import blobs, predictions_frame

    predictions = tmp_path / "predictions.csv"
    predictions_frame().to_csv(predictions, index=False)
    report = orthotune.errors(predictions)
    assert report.errors.split == "dev" and report.errors.errors > 0
    assert report.to_json() == cli_json(capsys, "errors", predictions).rstrip("\n")

    data, _, _ = blobs(n=120, flip=0.1, seed=4)
    frame = pd.DataFrame(data.x.numpy(), columns=list(data.feature_names))
    frame["label"] = [data.class_names[int(k)] for k in data.y]
    noisy = tmp_path / "noisy.csv"
    frame.to_csv(noisy, index=False)
    found = orthotune.clean(noisy, method="cluster")
    assert len(found.issues.suspects) > 0 and found.out is None  # nothing written without out
    assert found.to_json() == cli_json(capsys, "clean", noisy, "--method", "cluster").rstrip("\n")

    big = "builtin:synthetic?n=1000&classes=3&features=8&noise=0.05"
    curve = orthotune.learning_curve(big, fractions=[0.25, 0.5, 1], epochs=2, out=tmp_path / "c")
    assert [p.fraction for p in curve.points] == [0.25, 0.5, 1.0]
    shown = json.loads(
        cli_json(capsys, "learning-curve", big, "--fractions", "1/4,1/2,1", "--epochs", "2")
    )
    assert shown["points"] == json.loads(curve.to_json())["points"]  # the same seeded models
    with pytest.raises(InvalidInputError, match=r"--fractions 'a,b' is not a list of fractions"):
        orthotune.learning_curve(big, fractions="a,b")


@pytest.mark.slow
def test_clean_and_learning_curve_take_a_dataframe(tmp_path):
    frame = _customers(n=400)
    frame.loc[:19, "churn"] = np.where(frame.loc[:19, "churn"] == "yes", "no", "yes")  # 20 flips
    found = orthotune.clean(frame, target="churn", method="cluster", out=tmp_path / "c")
    assert found.issues.num_examples == 400 and (tmp_path / "c" / "audit.csv").is_file()
    assert {s.id for s in found.issues.suspects} <= {str(i) for i in range(400)}  # positions
    with pytest.raises(
        InvalidInputError,
        match=r"--apply remove writes a cleaned copy of DATA's file, and a DataFrame",
    ):
        orthotune.clean(frame, target="churn", apply="remove", out=tmp_path / "r")
    assert not (tmp_path / "r").exists()
    curve = orthotune.learning_curve(
        frame, target="churn", fractions=[0.5, 0.75, 1], epochs=2, out=tmp_path / "lc"
    )
    assert [p.fraction for p in curve.points] == [0.5, 0.75, 1.0]
    record = json.loads((tmp_path / "lc" / "run.json").read_text())
    assert record["data"] == str(tmp_path / "lc" / "data.parquet")
    assert len(pd.read_parquet(record["data"])) == 400


def test_one_name_where_a_list_is_taken_is_that_one_name_not_its_letters(tmp_path):
    from orthotune.data import load_options

    assert load_options(drop="ab").drop == ("ab",)
    assert load_options(drop=["a", "b"], target=0).drop == ("a", "b")
    assert load_options(target=0).target == "0"  # a DataFrame's numbered column
    with pytest.raises(InvalidInputError, match=r"--target 1.5 is a float; accepted: a column"):
        load_options(target=1.5)
    with pytest.raises(InvalidInputError, match=r"--impute None is not accepted; accepted: auto"):
        load_options(impute=None)
    table = ROOT / "examples" / "lecture_classifiers.csv"
    one = orthotune.compare(table, constraints="latency_ms<100")
    assert one.ranking.choice == "B"


def test_a_frame_with_label_and_target_columns_says_which_it_took(caplog):
    frame = pd.DataFrame(
        {"a": range(40), "target": [i % 2 for i in range(40)], "label": ["p", "q"] * 20}
    )
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = orthotune.data.load_dataset(frame)
    assert ds.class_names == ("p", "q")
    assert "several columns have a target's name ('label', 'target'): took 'label'" in caplog.text
    caplog.clear()  # names that differ in case only: the first taken, and said (it took the
    frame = frame.assign(Label=["A", "B", "B", "A"] * 10)  # last, 'Label', unsaid)
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = orthotune.data.load_dataset(frame)
    assert ds.class_names == ("p", "q")
    assert "target's name ('label', 'Label', 'target'): took 'label'" in caplog.text


def test_the_data_and_sklearn_subpackages_are_reachable_right_after_import_orthotune():
    code = (
        "import sys, orthotune\n"
        "cheap = 'torch' not in sys.modules\n"
        "print(cheap, orthotune.data.dataset_from_arrays.__name__, "
        "orthotune.sklearn.OrthoClassifier.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "dataset_from_arrays", "OrthoClassifier"]
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        orthotune.nothing  # noqa: B018


@pytest.mark.parametrize(
    ("call", "given", "message"),
    [
        ("tune", {"device": "tpu"}, r"--device 'tpu' is not a device"),
        ("tune", {"on_step": 123}, r"on_step=123 is not callable"),
        ("tune", {"out": 123}, r"--out 123 is no path \(type int\)"),
        ("train", {"name": "best"}, r"model name 'best' is not allowed"),
        ("train", {"name": "../up"}, r"model name '../up' is not allowed"),
        ("train", {"callbacks": [123]}, r"callbacks=\[123\]: accepted: a list of"),
        ("train", {"out": None}, r"--out None is no path"),
    ],
)
def test_options_are_checked_before_any_folder_is_made(tmp_path, call, given, message):
    frame = pd.DataFrame({"a": np.arange(40.0), "label": ["p", "q"] * 20})
    kwargs = {"out": tmp_path / "run", **given}
    with pytest.raises(InvalidInputError, match=message):
        getattr(orthotune, call)(frame, **kwargs)
    assert not (tmp_path / "run").exists()  # a retry with a good value may use the same out


def test_load_takes_a_runs_best_pointer_and_refuses_what_is_no_path(tmp_path):
    out = tmp_path / "run"
    orthotune.train(DATA, out=out, model={"hidden": [8]}, training={"epochs": 1})
    assert orthotune.load(out / "models" / "best").classes_.tolist() == [0, 1, 2]
    with pytest.raises(InvalidInputError, match=r"RUN_DIR\|MODEL_DIR None is no path"):
        orthotune.load(None)


def test_values_of_the_wrong_kind_are_one_line_each(tmp_path):
    from orthotune.data import dataset_from_arrays

    frame = pd.DataFrame({"a": np.arange(40.0) % 7, "label": ["p", "q"] * 20})
    with pytest.raises(InvalidInputError, match=r"training='epochs=1' is a str; accepted: a dict"):
        orthotune.train(frame, out=tmp_path / "r", training="epochs=1")
    with pytest.raises(InvalidInputError, match=r"--epochs '2' is not accepted: give an integer"):
        orthotune.learning_curve(frame, epochs="2")
    with pytest.raises(InvalidInputError, match=r"the predictions are a NoneType; accepted"):
        orthotune.evaluate(None)
    with pytest.raises(InvalidInputError, match=r"the predictions hold no rows"):
        orthotune.evaluate({"y_true": [], "y_pred": []})
    table = {"y_true": ["a", "b"], "y_pred": ["a", "a"]}
    with pytest.raises(InvalidInputError, match=r"--human-error"):
        orthotune.evaluate(table, human_error="abc")  # checked with no split to diagnose too
    x = np.zeros((6, 1, 2, 3, 4))
    with pytest.raises(InvalidInputError, match=r"array 'x' has shape \(6, 1, 2, 3, 4\)"):
        dataset_from_arrays(x, np.arange(6) % 2)
    with pytest.raises(InvalidInputError, match=r"--impute 'zero' is not accepted"):
        dataset_from_arrays(np.zeros((6, 2)), np.arange(6) % 2, impute="zero")
    with pytest.raises(InvalidInputError, match=r"DATA is a Dataset \(dataset_from_arrays\)"):
        orthotune.clean(dataset_from_arrays(np.zeros((6, 2)), np.arange(6) % 2))
    # were AttributeError ('NoneType' object has no attribute 'columns'), and a frame's text
    # read as a path ("'a 0 1' does not exist")
    with pytest.raises(InvalidInputError, match=r"table is a NoneType; accepted: a CSV"):
        orthotune.compare(None)
    scores = {"name": ["A", "B"], "accuracy": [0.9, 0.8]}
    with pytest.raises(InvalidInputError, match=r"constraints=5: accepted: constraint texts"):
        orthotune.compare(scores, constraints=5)
    with pytest.raises(InvalidInputError, match=r"target is a DataFrame, not a path; accepted"):
        orthotune.errors(frame)


def test_a_single_fraction_is_a_list_of_one_and_an_empty_batch_predicts_nothing(tmp_path):
    from orthotune._api import _as_list

    assert _as_list(0.5) == [0.5] and _as_list((0.5, 1)) == [0.5, 1] and _as_list("1/2") == ["1/2"]
    from orthotune.data import dataset_from_arrays

    x = np.random.default_rng(0).normal(size=(60, 3))
    orthotune.train(
        dataset_from_arrays(x, (x[:, 0] > 0).astype(int)),
        out=tmp_path / "r",
        training={"epochs": 1},
    )
    model = orthotune.load(tmp_path / "r")
    assert model.predict_proba(x[:0]).shape == (0, 2) and model.predict(x[:0]).shape == (0,)


def test_diagnose_without_a_train_or_dev_error_says_which_is_missing():
    with pytest.raises(InvalidInputError, match=r"--dev-error is missing: the diagnosis needs"):
        orthotune.diagnose(human_error="5%", train_error="5%", dev_error=None)
    with pytest.raises(InvalidInputError, match=r"--train-error is missing"):
        orthotune.diagnose(human_error="5%", train_error=None, dev_error="6%")


def test_paths_under_home_written_with_a_tilde_are_read_and_written_there(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # Python expands no "~"; a shell would
    monkeypatch.chdir(tmp_path)  # where a literal "~" folder would have been made
    _customers().to_csv(tmp_path / "d.csv", index=False)
    orthotune.tune("~/d.csv", target="churn", trials=1, out="~/run", write_report=False)
    run = tmp_path / "run"  # was an internal FileNotFoundError after the training
    assert json.loads((run / "run.json").read_text())["data"] == str(tmp_path / "d.csv")
    assert (run / "analysis" / "predictions.csv").is_file() and not (tmp_path / "~").exists()
    model = orthotune.load("~/run")
    assert len(model.predict("~/d.csv")) == 300
    assert orthotune.errors("~/run").errors.n > 0
    options = orthotune.data.LoadOptions(target="churn")
    assert orthotune.data.inspect_data("~/d.csv", options).n == 300
    (tmp_path / "scores.csv").write_text("name,accuracy,Latency (ms)\nA,0.9,10\nB,0.8,20\n")
    assert orthotune.compare("~/scores.csv").ranking.choice == "A"
    from orthotune.train import check_predictions_out

    with pytest.raises(InvalidInputError, match=r"--out .*d.csv is DATA itself"):
        check_predictions_out("~/d.csv", "~/d.csv")  # the user's data, not to be overwritten


def test_a_training_that_diverged_is_warned_about(tmp_path, caplog):
    with caplog.at_level("WARNING", logger="orthotune"):
        orthotune.train(DATA, out=tmp_path / "ok", training={"epochs": 2})
    assert "training diverged" not in caplog.text
    with caplog.at_level("WARNING", logger="orthotune"):  # it ended with exit 0, said nothing
        orthotune.train(DATA, out=tmp_path / "big", training={"epochs": 2, "lr": 1e6})
    assert "where a uniform guess over the 3 classes scores 1.10: training diverged" in (
        caplog.text
    )


def test_the_default_run_folder_is_a_new_one_each_call(tmp_path, monkeypatch):
    from orthotune._rundir import RunDir

    monkeypatch.chdir(tmp_path)  # two tune calls within one second got the same folder
    assert RunDir.reserve("runs/tune-1") == "runs/tune-1"
    (tmp_path / "runs" / "tune-1-2").mkdir()  # another process's, made meanwhile
    assert RunDir.reserve("runs/tune-1") == "runs/tune-1-3"
    # made at once, not only looked for: two processes that both found the name free
    # shared it, and the second was refused by a line about an --out it never gave
    assert (tmp_path / "runs" / "tune-1-3").is_dir()
    run = RunDir.create("runs/tune-1-3")  # counted as this job's: a refused job removes it
    run.abandon()
    assert not (tmp_path / "runs" / "tune-1-3").exists()
    assert (tmp_path / "runs" / "tune-1-2").is_dir()


@pytest.mark.parametrize("strategy", ["autopilot", "tpe"])
def test_a_tune_refused_without_out_leaves_no_folder_behind(tmp_path, monkeypatch, strategy):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text("a,b\n1,2\n3,4\n")
    # made as it was named, the default folder stayed, empty, after a refusal (and runs/ too)
    with pytest.raises(InvalidInputError, match="--target 'zz' names a column that does not"):
        orthotune.tune("d.csv", target="zz", trials=1, strategy=strategy)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]
    (tmp_path / "runs").mkdir()  # a runs/ of the user's own stays
    with pytest.raises(InvalidInputError):
        orthotune.tune("d.csv", target="zz", trials=1, strategy=strategy)
    assert list((tmp_path / "runs").iterdir()) == []


def test_two_tunes_without_out_at_once_get_a_folder_each(tmp_path):
    data = tmp_path / "cls.csv"
    rows = ["a,b,label", *(f"{i % 7},{i % 5},{i % 2}" for i in range(120))]
    data.write_text("\n".join(rows) + "\n")
    command = [sys.executable, "-m", "orthotune", "tune", str(data), "--trials", "1", "-q"]
    jobs = [subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE) for _ in range(2)]
    assert [job.wait(timeout=300) for job in jobs] == [0, 0], [j.stderr.read() for j in jobs]
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2, runs
    assert all((run / "run.json").is_file() for run in runs)


def test_ctrl_c_before_any_model_was_kept_leaves_no_run_to_block_the_retry(tmp_path, monkeypatch):
    from orthotune.autopilot import _job

    def ctrl_c(*args, **kwargs):  # Ctrl-C as the loop starts (the yardstick): nothing kept
        raise KeyboardInterrupt  # (one during a model's training stops it: that model is kept)

    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(_job, "run_autopilot", ctrl_c)
        with pytest.raises(KeyboardInterrupt):
            orthotune.tune("builtin:synthetic?n=300", out=out, budget="20s")
    assert not out.exists()  # it held run.json, split.json and study.db, and refused --out again
    assert orthotune.tune("builtin:synthetic?n=300", out=out, trials=1, refit=False).chosen


def test_run_json_names_the_columns_the_table_left_out(tmp_path):
    rows = "".join(f"{i + 1},{(i * 7) % 5},{'pq'[i % 2]}\n" for i in range(60))
    (tmp_path / "d.csv").write_text("PassengerId,f,label\n" + rows)
    orthotune.train(str(tmp_path / "d.csv"), out=tmp_path / "run", training={"epochs": 1})
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["left_out"] == ["PassengerId"]  # a warning on stderr was all that said so


def test_a_learning_curve_from_a_binned_model_trains_its_configuration_on_binned_inputs(tmp_path):
    """--from a model that reads quantile bins (the autopilot's step 0 keeps one where they win)
    was refused: "its model takes inputs of shape (198,), the data's examples are (6,)"."""
    data = "builtin:synthetic?n=600&classes=3&features=6&noise=0.05&seed=7"
    orthotune.train(data, input_bins=32, training={"epochs": 2}, out=tmp_path / "b")
    curve = orthotune.learning_curve(data, from_run=tmp_path / "b", fractions=[0.5, 0.75, 1])
    assert [p.fraction for p in curve.points] == [0.5, 0.75, 1.0]
    assert curve.configuration.startswith(f"the configuration of {tmp_path / 'b'}")
    other = "builtin:synthetic?n=600&classes=3&features=4&noise=0.05&seed=7"
    with pytest.raises(InvalidInputError, match=r"its model takes 198 inputs, this data's"):
        orthotune.learning_curve(other, from_run=tmp_path / "b", fractions=[0.5, 0.75, 1])


def test_errors_says_a_killed_jobs_run_is_unfinished(tmp_path):
    """The README: a killed job's run "is said to be unfinished by report and errors"; errors
    said nothing (its notes were [])."""
    run = tmp_path / "run"
    orthotune.train("builtin:synthetic?n=300&features=4", training={"epochs": 1}, out=run)
    assert not any("did not finish" in n for n in orthotune.errors(run).notes)
    record = json.loads((run / "run.json").read_text())
    record["finished"] = None  # as a kill -9 leaves it
    (run / "run.json").write_text(json.dumps(record))
    notes = orthotune.errors(run).notes
    assert notes[0].startswith("the job that wrote this run did not finish (killed")


def test_errors_says_its_rows_are_each_parts_where_tune_measured_over_train_and_dev(tmp_path):
    """Under k-fold tune's train and dev errors are over train + dev; errors' train rows are
    the train part's alone, and only the dev error's difference was explained (sweep21 F8)."""
    run = tmp_path / "run"
    orthotune.tune("builtin:synthetic?n=300&features=4", trials=1, out=run, write_report=False)
    assert "fold" in json.loads((run / "decisions.json").read_text())["validation"]
    notes = orthotune.errors(run).notes
    assert any(
        n.startswith("tune's errors are over train + dev") and "its train error" in n for n in notes
    ), notes


def test_a_split_without_training_examples_is_one_line_and_leaves_no_run(tmp_path):
    # a new user's split column of dev and test only: tune and learning-curve said "cannot fit
    # a normalizer on data of shape (0, 5)", train left a run behind, data inspect said nothing
    rows = "".join(f"{i % 7},{i % 5},{'pq'[i % 2]},{('dev', 'test')[i % 2]}\n" for i in range(80))
    (tmp_path / "d.csv").write_text("a,b,label,part\n" + rows)
    data, out = str(tmp_path / "d.csv"), tmp_path / "run"
    said = r"d.csv: the split has no training examples \(only dev, test\): mark some rows 'train'"
    for job in (
        lambda: orthotune.tune(data, split_col="part", trials=1, out=out),
        lambda: orthotune.tune(data, split_col="part", trials=1, strategy="random", out=out),
        lambda: orthotune.train(data, split_col="part", out=out),
        lambda: orthotune.learning_curve(data, split_col="part", out=out),
    ):
        with pytest.raises(InvalidInputError, match=said):
            job()
        assert not out.exists()
    from orthotune.data import LoadOptions, inspect_data

    report = inspect_data(data, LoadOptions(split_col="part"))
    assert any(w.startswith("training refuses this split: ") for w in report.warnings)


def test_a_train_refused_before_its_model_leaves_no_run_to_block_the_retry(tmp_path):
    # a new user's split column held no train rows: exit 2, and run.json and split.json left
    # behind refused the same --out once the file was fixed
    rows = "".join(f"{i % 7},{'pq'[i % 2]},{('dev', 'test')[i % 2]}\n" for i in range(60))
    (tmp_path / "d.csv").write_text("a,label,part\n" + rows)
    out = tmp_path / "run"
    with pytest.raises(InvalidInputError, match="the split has no training examples"):
        orthotune.train(str(tmp_path / "d.csv"), out=out, split_col="part")
    assert not out.exists()
    fixed = rows.replace("dev", "train")
    (tmp_path / "d.csv").write_text("a,label,part\n" + fixed)
    assert orthotune.train(
        str(tmp_path / "d.csv"), out=out, split_col="part", training={"epochs": 1}
    )


def test_a_learning_curve_run_asked_for_a_model_says_it_keeps_none(tmp_path):
    # "holds no model: its job did not finish (killed, …)" of a learning curve that had finished
    rows = "".join(f"{i % 7},{i % 5},{'pq'[i % 3 == 0]}\n" for i in range(400))
    (tmp_path / "d.csv").write_text("a,b,label\n" + rows)
    lc = tmp_path / "lc"
    orthotune.learning_curve(str(tmp_path / "d.csv"), epochs=1, out=lc)
    with pytest.raises(
        InvalidInputError, match=r"lc is a learning-curve run, which keeps no model"
    ):
        orthotune.load(lc)


def test_weights_zero_on_most_rows_train_instead_of_reading_as_a_diverged_model(tmp_path):
    # 18 weighted rows of 300: a batch (or the dev set) of zero weights gave 0/0, a NaN loss
    # that stopped training as "lower the learning rate" and failed tune's baseline
    g = np.random.default_rng(0)
    x = g.normal(size=(300, 2))
    w = np.zeros(300)
    w[g.choice(300, 18, replace=False)] = 1.0
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "w": w})
    frame["label"] = np.where(x[:, 0] > 0, "p", "q")
    frame.to_csv(tmp_path / "w.csv", index=False)
    data = str(tmp_path / "w.csv")
    for k, ensemble in enumerate((1, 2)):  # one Trainer, then a population's dense step
        done = orthotune.train(data, weight="w", out=tmp_path / f"r{k}", ensemble=ensemble,
                               training={"epochs": 3, "batch_size": 16})  # fmt: skip
        assert done.stop_reason.value == "completed", done.stop_message

"""``predict`` and ``report`` never write over a user's file, and what a messy prediction file
brings is read as training read it or refused in one line (exit 2): duplicate names, a
``--target`` that is not there, ``--impute none``'s strictness, numbers beyond float32."""

import numpy as np
import pandas as pd
import pytest

from orthotune import InvalidInputError
from orthotune.train import load_predictor, prepare_inputs

ENV = {"OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model trained on a table with a gap in 'a' and a colour column."""
    import orthotune

    folder = tmp_path_factory.mktemp("guards")
    rng = np.random.default_rng(0)
    n = 120
    a = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "a": a,
            "b": rng.normal(size=n),
            "color": rng.choice(["red", "blue"], size=n),
            "label": np.where(a > 0, "yes", "no"),
        }
    )
    frame.loc[3, "a"] = np.nan
    data = folder / "train.csv"
    frame.to_csv(data, index=False)
    orthotune.train(str(data), out=str(folder / "run"), training={"epochs": 1})
    return folder, frame


def _one_line(done) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_predict_writes_over_its_own_file_but_never_a_users(run_cli, trained):
    folder, frame = trained
    run, data = folder / "run", folder / "train.csv"
    mine = folder / "mine.csv"
    mine.write_text("name,phone\nada,123\n")
    line = _one_line(run_cli("predict", run, data, "--out", mine, env=ENV))
    assert "--out" in line and "exists and is not a predictions file written by orthotune" in line
    assert mine.read_text() == "name,phone\nada,123\n"
    line = _one_line(run_cli("predict", run, data, "--out", data, env=ENV))
    assert "is DATA itself" in line
    assert pd.read_csv(data).shape == frame.shape
    out = folder / "p.csv"
    for _ in range(2):  # a rerun replaces the predictions it wrote
        done = run_cli("predict", run, data, "--out", out, env=ENV)
        assert done.returncode == 0, done.stderr
    assert pd.read_csv(out).columns[:3].tolist() == ["id", "y_pred", "confidence"]
    # predictions a user annotated are theirs: a column of notes was lost to a rerun
    pd.read_csv(out).assign(reviewer_note="checked").to_csv(out, index=False)
    line = _one_line(run_cli("predict", run, data, "--out", out, env=ENV))
    assert "exists and is not a predictions file written by orthotune" in line
    assert pd.read_csv(out)["reviewer_note"].eq("checked").all()


def test_report_writes_over_a_report_but_never_a_users_file(run_cli, trained):
    folder, _ = trained
    notes = folder / "notes.html"
    notes.write_text("<p>my notes</p>")
    line = _one_line(run_cli("report", folder / "run", "--out", notes, env=ENV))
    assert "exists and is not an HTML report written by orthotune" in line
    assert notes.read_text() == "<p>my notes</p>"
    again = folder / "again.html"
    for _ in range(2):
        done = run_cli("report", folder / "run", "--out", again, env=ENV)
        assert done.returncode == 0, done.stderr


def test_an_output_under_a_file_is_refused_in_one_line_before_any_work(run_cli, trained):
    folder, _ = trained
    run, data = folder / "run", folder / "train.csv"
    before = data.read_bytes()
    under = data / "out"
    for args in (
        ("train", data, "--epochs", 1, "--out", under),
        ("tune", data, "--trials", 1, "--out", under),
        ("clean", data, "--out", under),
        ("learning-curve", data, "--out", under),
        ("predict", run, data, "--out", under / "p.csv"),
        ("report", run, "--out", under / "r.html"),
    ):
        line = _one_line(run_cli(*args, env=ENV))
        assert "train.csv is a file, so nothing can be written under it" in line, args
    assert data.read_bytes() == before


def _inputs(folder, frame, **options):
    path = folder / "new.csv"
    frame.to_csv(path, index=False)
    return prepare_inputs(load_predictor(folder / "run"), str(path), options=options)


def test_impute_none_refuses_gaps_and_unseen_categories_that_training_would_fill(trained):
    folder, frame = trained
    rows = frame.head(4).copy()
    rows.loc[1, "b"] = np.nan  # 'b' had no gap in training
    assert np.isfinite(_inputs(folder, rows).x.numpy()).all()  # filled as in training
    with pytest.raises(InvalidInputError, match=r"missing \(NaN\) values in 2 column\(s\): a"):
        _inputs(folder, rows, impute="none")
    # predict's own flag refused them, not the training (it filled them: --impute auto)
    with pytest.raises(InvalidInputError, match=r"one trained to fill them does so when predict"):
        _inputs(folder, rows, impute="none")
    rows = frame.head(4).copy().dropna()
    rows.loc[rows.index[0], "color"] = "green"
    assert len(_inputs(folder, rows).x) == len(rows)  # read as a missing colour
    with pytest.raises(InvalidInputError, match=r"'green', a category not seen in training"):
        _inputs(folder, rows, impute="none")
    with pytest.raises(InvalidInputError, match=r"--impute 'zero' is not accepted; accepted: none"):
        _inputs(folder, rows, impute="zero")
    with pytest.raises(InvalidInputError, match=r"--impute mean: this model was trained with"):
        _inputs(folder, rows, impute="mean")
    assert len(_inputs(folder, rows, impute="auto").x) == len(rows)  # the training's own


def test_a_messy_prediction_file_is_refused_in_one_line(trained):
    folder, frame = trained
    rows = frame.head(4).copy()
    twice = rows.copy()
    twice.insert(0, "b_", 1.0)
    twice.columns = ["b", *rows.columns]  # two columns named 'b': the first one a constant
    with pytest.raises(InvalidInputError, match=r"duplicate column names b: rename"):
        _inputs(folder, twice)
    with pytest.raises(InvalidInputError, match=r"--target 'outcome': .* has no such column"):
        _inputs(folder, rows, target="outcome")
    renamed = rows.rename(columns={"label": "outcome"})
    assert list(_inputs(folder, renamed, target="outcome").y_true) == list(rows["label"])
    huge = rows.copy()
    huge.loc[2, "b"] = 1e39  # finite in the file, inf in float32
    with pytest.raises(InvalidInputError, match=r"beyond ±3.4e38.*first in 'b' at row 2"):
        _inputs(folder, huge)


def test_a_renamed_npy_file_and_a_seed_out_of_range_are_refused_in_one_line(run_cli, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((10, 3)))
    (tmp_path / "x.npy").rename(tmp_path / "x.npz")
    line = _one_line(run_cli("data", "inspect", tmp_path / "x.npz", env=ENV))
    assert "holds one array (.npy), not an NPZ archive" in line and "numpy.savez" in line
    for seed, words in (("-1", "greater than or equal to 0"), ("4294967296", "less than")):
        line = _one_line(run_cli("data", "inspect", "builtin:digits", "--seed", seed, env=ENV))
        assert "Invalid value for '--seed'" in line and words in line


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True])
def test_the_api_refuses_a_seed_numpy_cannot_take(tmp_path, seed):
    import orthotune

    with pytest.raises(InvalidInputError, match=r"seed .* is not accepted: give an integer from 0"):
        orthotune.train("builtin:digits", out=str(tmp_path / "r"), seed=seed)
    assert not (tmp_path / "r").exists()


def test_the_api_takes_numpy_integers_for_seed_and_trials(tmp_path):
    import json

    import orthotune

    # np.int64(1) was refused as "not an integer from 0 to 4294967295"
    summary = orthotune.tune(
        "builtin:synthetic?n=120",
        seed=np.int64(1),
        trials=np.int32(1),
        refit=False,
        out=tmp_path / "r",
        write_report=False,
    )
    record = json.loads((tmp_path / "r" / "run.json").read_text())
    assert record["seed"] == 1 and summary.run_dir
    with pytest.raises(InvalidInputError, match=r"seed np.True_ is not accepted"):
        orthotune.tune("builtin:synthetic?n=120", seed=np.bool_(True), trials=1)


def test_predict_says_how_many_rows_hold_a_label_the_model_never_learned(run_cli, trained):
    folder, frame = trained
    rows = frame.head(10).copy()
    rows["label"] = rows["label"].astype(object)
    rows.loc[rows.index[:3], "label"] = "maybe"
    rows.loc[rows.index[3], "label"] = None  # no label: a row to predict, not a strange one
    rows.loc[rows.index[4], "label"] = " ? "  # "?": no label either, as training reads it
    rows.to_csv(folder / "strange.csv", index=False)
    out = folder / "strange_p.csv"
    done = run_cli("predict", folder / "run", folder / "strange.csv", "--out", out, env=ENV)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    assert "error on the 5 labelled rows" in said
    assert "3 row(s) hold a label the model never learned ('maybe' …)" in said
    assert pd.read_csv(out, keep_default_na=False)["y_true"].iloc[3:5].tolist() == ["", ""]


def test_predict_on_a_header_only_file_says_it_holds_no_rows(run_cli, trained):
    folder, frame = trained
    frame.head(0).to_csv(folder / "header.csv", index=False)
    out = folder / "header_p.csv"
    done = run_cli("predict", folder / "run", folder / "header.csv", "--out", out, env=ENV)
    assert done.returncode == 0, done.stderr
    assert "holds no data rows" in " ".join(done.stdout.split())
    assert out.read_text().startswith("id,y_pred,confidence,")


def test_feature_names_that_differ_in_case_only_are_named_as_such(trained):
    folder, frame = trained
    shouting = frame.head(3).rename(columns={"a": "A", "color": "Color "})
    with pytest.raises(
        InvalidInputError,
        match=r"'a', 'color' used in training are missing.*DATA has 'A' for 'a', 'Color ' for "
        r"'color', which differ in case or spaces only",
    ):
        _inputs(folder, shouting)


def test_naming_trainings_own_target_for_rows_to_predict_is_no_error(trained):
    folder, frame = trained
    rows = frame.head(3).drop(columns=["label"])  # rows to predict: no label yet
    assert _inputs(folder, rows, target="label").y_true is None

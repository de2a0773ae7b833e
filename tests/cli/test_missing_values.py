"""Missing values without ceremony: ``--impute auto`` (the default) trains, says what it filled,
and ``predict`` copes with messy rows; ``--impute none`` still refuses in one line."""

import json

import numpy as np
import pandas as pd
import pytest

ENV = {"OMP_NUM_THREADS": "1"}


@pytest.fixture
def messy_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 240
    a = rng.normal(size=n)
    b = rng.normal(size=n)
    color = rng.choice(["red", "blue"], size=n).astype(object)
    label = np.where(a + (color == "red") > 0.5, "yes", "no")
    a[rng.random(n) < 0.15] = np.nan
    color[rng.random(n) < 0.1] = None
    frame = pd.DataFrame({"a": a, "b": b, "color": color, "label": label})
    path = tmp_path / "messy.csv"
    frame.to_csv(path, index=False)
    return path, frame


@pytest.mark.slow
def test_missing_values_train_with_no_flag_and_predict_copes_with_messy_rows(
    run_cli, tmp_path, messy_csv
):
    path, _ = messy_csv
    out = tmp_path / "run"
    done = run_cli("train", path, "--epochs", "3", "--out", out, env=ENV)
    assert done.returncode == 0, done.stderr
    assert "filled: a: " in done.stdout and "'was missing' column" in done.stdout
    assert "filled: color: " in done.stdout and "'(missing)'" in done.stdout
    record = json.loads((out / "run.json").read_text())
    assert [line.split(":")[0] for line in record["filled"]] == ["a", "color"]
    # new rows: NaN in b (complete in training), columns in another order, no label
    rows = pd.DataFrame({"color": ["red", None], "b": [np.nan, 0.5], "a": [np.nan, 1.0]})
    rows.to_csv(tmp_path / "new.csv", index=False)
    pred = run_cli("predict", out, tmp_path / "new.csv", "--out", tmp_path / "p.csv", env=ENV)
    assert pred.returncode == 0, pred.stderr
    got = pd.read_csv(tmp_path / "p.csv")
    assert len(got) == 2 and got["y_pred"].isin(["yes", "no"]).all()
    assert np.allclose(got[[c for c in got.columns if c.startswith("p_")]].sum(axis=1), 1.0)
    # an unseen category is a missing value ('(missing)' here), and an extra column is
    # ignored: each named in one warning line, the predictions those of the missing colour
    odd = pd.DataFrame(
        {"color": ["green", None], "b": [0.5] * 2, "a": [1.0] * 2, "site": ["x"] * 2}
    )
    odd.to_csv(tmp_path / "odd.csv", index=False)
    done = run_cli("predict", out, tmp_path / "odd.csv", "--out", tmp_path / "q.csv", env=ENV)
    assert done.returncode == 0, done.stderr
    assert "column 'color': 1 row(s) hold a category not seen in training ('green'" in done.stderr
    assert "column(s) ['site'] were not in the training data: ignored" in done.stderr
    q = pd.read_csv(tmp_path / "q.csv")
    # green reads as a missing colour: the same encoded row, so the same probability up to
    # float32 rounding (rows of one batch can differ in the last bits on AVX-512: 1.5e-8)
    assert q.loc[0, "p_yes"] == pytest.approx(q.loc[1, "p_yes"], rel=1e-6)


def test_impute_none_refuses_missing_values_in_one_line(run_cli, tmp_path, messy_csv):
    path, _ = messy_csv
    done = run_cli("train", path, "--impute", "none", "--epochs", "1", "--out", tmp_path / "r")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "missing (NaN) values in 2 column(s)" in done.stderr
    assert "--impute auto (the default)" in done.stderr
    assert not (tmp_path / "r").exists()


def test_an_unknown_impute_value_is_refused_in_one_line(run_cli, tmp_path, messy_csv):
    path, _ = messy_csv
    done = run_cli("data", "inspect", path, "--impute", "zero")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "--impute 'zero' is not accepted; accepted: auto, none, mean, median" in done.stderr

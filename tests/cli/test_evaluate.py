import json

import pandas as pd

from tests.diagnose.test_evaluate import _predictions


def test_evaluate_predictions_file_with_splits(run_cli, tmp_path):
    path = tmp_path / "pred.parquet"
    _predictions(splits=(("train", 600, 0.97), ("dev", 300, 0.85), ("test", 300, 0.85))).to_parquet(
        path
    )
    out = run_cli("evaluate", path, "--human-error", "1%", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [s["split"] for s in data["splits"]] == ["train", "dev", "test"]
    assert data["diagnosis"]["problem"] in {"avoidable_bias", "variance"}
    text = run_cli("evaluate", path, "--human-error", "1%", "--positive-class", "cat")
    assert text.returncode == 0
    assert "macro avg" in text.stdout and "Verdict:" in text.stdout
    assert "positive class cat" in text.stdout


def test_file_without_y_true_is_exit_2(run_cli, tmp_path):
    path = tmp_path / "pred.csv"
    pd.DataFrame({"id": [1, 2], "y_pred": [0, 1]}).to_csv(path, index=False)
    out = run_cli("evaluate", path)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "no y_true column" in out.stderr


def test_predicted_labels_no_true_label_has_are_scored_and_named(run_cli, tmp_path):
    path = tmp_path / "pred.csv"
    pd.DataFrame({"y_true": ["a", "b"], "y_pred": ["a", "c"]}).to_csv(path, index=False)
    out = run_cli("evaluate", path)  # was refused: "never seen in the true labels: 'c'"
    assert out.returncode == 0 and "no true label has ('c')" in out.stderr
    assert "50.00%" in out.stdout  # one of two wrong


def test_missing_file_is_exit_2(run_cli, tmp_path):
    out = run_cli("evaluate", tmp_path / "nope.csv")
    assert out.returncode == 2 and "does not exist" in out.stderr


def test_rows_without_y_true_are_not_scored_by_evaluate_or_errors(run_cli, tmp_path):
    # what `predict` writes for a file whose rows to predict have no label
    frame = _predictions(splits=(("dev", 200, 0.9),))
    frame["y_true"] = frame["y_true"].astype(object)
    frame.loc[[0, 7], ["y_true", "split"]] = None
    path = tmp_path / "pred.csv"
    frame.to_csv(path, index=False)
    out = run_cli("evaluate", path, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [s["n"] for s in data["splits"]] == [198]
    assert "2 row(s) without y_true (rows to predict) are not scored" in data["notes"]
    errors = run_cli("errors", path, "--json")
    assert errors.returncode == 0, errors.stderr
    assert "2 row(s) without y_true are left out" in errors.stderr
    analysis = json.loads(errors.stdout)
    assert analysis["errors"]["split"] == "dev" and analysis["errors"]["n"] == 198

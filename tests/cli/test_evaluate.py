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


def test_unknown_predicted_labels_are_listed_exit_2(run_cli, tmp_path):
    path = tmp_path / "pred.csv"
    pd.DataFrame({"y_true": ["a", "b"], "y_pred": ["a", "c"]}).to_csv(path, index=False)
    out = run_cli("evaluate", path)
    assert out.returncode == 2 and "never seen in the true labels: 'c'" in out.stderr


def test_missing_file_is_exit_2(run_cli, tmp_path):
    out = run_cli("evaluate", tmp_path / "nope.csv")
    assert out.returncode == 2 and "does not exist" in out.stderr

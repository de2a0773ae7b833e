"""``orthotune train --ensemble K``: K seeds kept as one model, used as one by every command."""

import json

import pandas as pd
import pytest

from orthotune.models import ModelSpec, build_model, count_parameters

ENV = {"OMP_NUM_THREADS": "1"}
DATA = "builtin:synthetic?n=300&features=5"


@pytest.mark.slow
def test_train_ensemble_3_then_predict_and_evaluate_its_folder(run_cli, tmp_path):
    run = tmp_path / "run"
    done = run_cli(
        "train", DATA, "--hidden", "16", "--epochs", "3", "--ensemble", "3", "--out", run,
        "--json", "--seed", "1", env=ENV,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    one = count_parameters(build_model(ModelSpec.model_validate(summary["spec"])))
    assert summary["ensemble"] == 3 and summary["parameters"] == 3 * one
    assert summary["latency_ms"] > 0
    assert summary["stop_message"].startswith("3 of 3 members kept")
    model_dir = run / "models" / "mlp"
    manifest = json.loads((model_dir / "manifest.json").read_text())
    members = [m["file"] for m in manifest["members"]]
    assert sorted(p.name for p in model_dir.iterdir()) == sorted(["manifest.json", *members])
    assert [m[: len("member-k")] for m in members] == ["member-1", "member-2", "member-3"]
    assert sorted(p.name for p in (run / "history").iterdir()) == [
        f"mlp.member-{k}.json" for k in (1, 2, 3)
    ]
    # the run's errors, diagnosis and calibration are the ensemble's
    assert manifest["metrics"]["dev_error"] == summary["errors"]["dev"]
    assert manifest["temperature"] == summary["temperature"]
    diagnosis = json.loads((run / "diagnosis.json").read_text())
    assert diagnosis["levels"]["dev"]["error"] == summary["errors"]["dev"]
    assert "an ensemble of 3" in (run / "report.html").read_text()

    out = tmp_path / "pred.csv"
    done = run_cli("predict", run, DATA, "--out", out, "--json", env=ENV)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["temperature"] == summary["temperature"]
    frame = pd.read_csv(out, dtype={"y_true": str, "y_pred": str})
    assert len(frame) == 300
    probabilities = frame[[c for c in frame.columns if c.startswith("p_")]]
    assert probabilities.sum(axis=1).round(6).eq(1).all()
    for part in ("dev", "test"):
        rows = frame[frame["split"] == part]
        wrong = (rows["y_true"] != rows["y_pred"]).mean()
        assert wrong == pytest.approx(summary["errors"][part], abs=1e-6)

    done = run_cli("evaluate", out, "--json", env=ENV)
    assert done.returncode == 0, done.stderr
    by_split = {s["split"]: s["report"] for s in json.loads(done.stdout)["splits"]}
    assert by_split["dev"]["error"] == pytest.approx(summary["errors"]["dev"], abs=1e-6)

"""A run's own predictions (what ``errors RUN`` and the report analyse) come from the file the
run trained on, whichever folder the command runs in — never from another file of that name."""

import numpy as np
import pandas as pd
import pytest

import orthotune
from orthotune import InvalidInputError
from orthotune.analysis import read_predictions


def _table(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(rows, 3)), columns=list("abc"))
    frame["label"] = np.where(frame["a"] + frame["b"] > 0, "yes", "no")
    return frame


def test_errors_finds_the_runs_own_file_from_any_folder_and_refuses_an_impostor(
    tmp_path, monkeypatch
):
    (tmp_path / "proj").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "proj")
    _table(200, 0).to_csv("data.csv", index=False)
    orthotune.train("data.csv", out="run", training={"epochs": 1})
    monkeypatch.chdir(tmp_path / "elsewhere")  # "data.csv: file does not exist" before
    _table(50, 1).to_csv("data.csv", index=False)  # another file of that name: it was analysed
    own = read_predictions(tmp_path / "proj" / "run")
    assert len(own) == 200 and set(own.split) == {"train", "dev", "test"}
    (tmp_path / "proj" / "run" / "analysis" / "predictions.csv").unlink()
    (tmp_path / "proj" / "data.csv").unlink()
    with pytest.raises(InvalidInputError, match=r"the file it trained on, data.csv, is not found"):
        read_predictions(tmp_path / "proj" / "run")  # the impostor was kept as the run's own
    assert not (tmp_path / "proj" / "run" / "analysis" / "predictions.csv").exists()


def test_predict_with_other_ids_writes_no_empty_split_column(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    frame = _table(200, 0)
    frame.assign(code=[f"c{i}" for i in range(len(frame))]).to_csv("data.csv", index=False)
    orthotune.train("data.csv", out="run", drop=["code"], training={"epochs": 1})
    res = run_cli("predict", "run", "data.csv", "--id", "code", "--out", "p.csv", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "split" not in pd.read_csv(tmp_path / "p.csv").columns  # was all empty, and "from"
    assert "split column from" not in res.stdout + res.stderr  # split.json said it came from


def test_rows_whose_label_the_model_never_learned_are_left_out_as_predict_leaves_them(
    tmp_path, caplog
):
    frame = pd.DataFrame(
        {
            "id": list("abcd"),
            "y_pred": ["no", "yes", "no", "yes"],
            "confidence": [0.9, 0.8, 0.7, 0.6],
            "p_no": [0.9, 0.2, 0.7, 0.4],
            "p_yes": [0.1, 0.8, 0.3, 0.6],
            "y_true": ["no", "maybe", "yes", "yes"],
        }
    )
    frame.to_csv(tmp_path / "p.csv", index=False)
    with caplog.at_level("WARNING"):
        preds = read_predictions(tmp_path / "p.csv")  # refused: "name every class with p_"
    assert list(preds.ids) == ["a", "c", "d"] and preds.proba.shape == (3, 2)
    assert "1 row(s) hold a label the model never learned ('maybe' …): left out" in caplog.text
    frame.assign(y_true="maybe").to_csv(tmp_path / "all.csv", index=False)
    with pytest.raises(InvalidInputError, match=r"y_true holds \['maybe'\] which are not among"):
        read_predictions(tmp_path / "all.csv")


def test_a_run_folder_without_a_model_says_its_job_did_not_finish(tmp_path):
    """A killed train left run.json and split.json: errors' fix was `orthotune predict RUN
    DATA`, which refused the same folder for having no model."""
    from orthotune._rundir import RunDir, RunRecord
    from orthotune.analysis._predictions import predictions_path

    run = RunDir.create(tmp_path / "t")
    run.write_run(RunRecord(command="train", data="d.csv", seed=0))
    with pytest.raises(InvalidInputError, match=r"run folder .*t holds no model: its job did"):
        predictions_path(run.path)


def test_a_run_folder_edited_by_hand_is_refused_naming_the_file_and_the_fix(tmp_path):
    """A broken run.json was an internal JSONDecodeError; without split.json every row was
    analysed as one part, the training rows among them, unsaid; models/best naming a missing
    model named models/ghost only; a truncated manifest 'is not an orthotune checkpoint'."""
    import shutil

    from orthotune.train import load_predictor

    _table(200, 0).to_csv(tmp_path / "data.csv", index=False)
    base = tmp_path / "base"
    orthotune.train(str(tmp_path / "data.csv"), out=base, training={"epochs": 1})
    (base / "analysis" / "predictions.csv").unlink(missing_ok=True)
    runs = {}
    for name in ("badjson", "nosplit", "ghost", "cut"):
        runs[name] = tmp_path / name
        shutil.copytree(base, runs[name])
    (runs["badjson"] / "run.json").write_text('{"schema_version": 1, "command": "tr')
    (runs["nosplit"] / "split.json").unlink()
    (runs["ghost"] / "models" / "best").write_text("ghost\n")
    manifest = runs["cut"] / "models" / "mlp" / "manifest.json"
    manifest.write_text(manifest.read_text()[:300])
    with pytest.raises(InvalidInputError, match=r"badjson/run.json is unreadable \(JSONDecodeE"):
        read_predictions(runs["badjson"])
    with pytest.raises(InvalidInputError, match=r"nosplit/split.json is missing: the run's err"):
        read_predictions(runs["nosplit"])
    with pytest.raises(InvalidInputError, match=r"best names the model 'ghost', which is not in"):
        load_predictor(runs["ghost"])
    with pytest.raises(InvalidInputError, match=r"manifest.json is damaged \(JSONDecodeError.*fix"):
        load_predictor(runs["cut"])

"""The typed run folder: a ``train`` and a ``tune`` run folder hold the same records, and files
written before the records (old spellings) migrate or are refused in one line."""

from __future__ import annotations

import json

import pytest

import orthotune
from orthotune._errors import InvalidInputError
from orthotune._records import History
from orthotune._rundir import TEST_SCORES_FILE, RunDir
from orthotune.diagnose import Diagnosis
from orthotune.metrics import ClassificationReport
from orthotune.train import Manifest, read_manifest

EPOCH = {
    "epoch": 0,
    "steps": 3,
    "lr": 0.01,
    "train_loss": 0.7,
    "train_error": 0.4,
    "smoothed_loss": 0.69,
    "dev_loss": 0.6,
    "dev_error": 0.3,
    "seconds": 0.1,
}


@pytest.mark.slow
def test_train_and_tune_run_folders_validate_against_the_same_records(tmp_path):
    data = "builtin:breast-cancer"
    orthotune.train(data, out=tmp_path / "train", training={"epochs": 2}, seed=0)
    orthotune.tune(data, trials=2, out=tmp_path / "tune", seed=0)
    keys: dict[str, set] = {}
    for job in ("train", "tune"):
        run = RunDir.open(tmp_path / job)
        assert run.read_run().command == job
        names = run.history_names()
        assert names and set(names) <= set(run.model_names())
        for name in names:  # one History class, one shape: an object with its epochs
            history = run.read_history(name)
            assert isinstance(history, History) and history.epochs
            raw = json.loads(run.history_path(name).read_text())
            keys.setdefault("history", set()).add(tuple(sorted(raw)))
        for name in run.model_names():  # one Manifest class, one spelling of its metrics
            manifest = read_manifest(run.model_dir(name))
            assert isinstance(manifest, Manifest)
            assert (manifest.data, manifest.data_shape) == (data, (30,))
            assert manifest.data_options is not None
            assert {"train_error", "dev_error"} <= set(manifest.metrics)
            assert not [k for k in manifest.metrics if "-" in k]
        assert isinstance(run.read_diagnosis(), Diagnosis)
        # one pipeline (orthotune.pipeline): the same run record, the chosen model finished
        # the same way (test scored once, temperature on dev), whichever job ran
        record = run.read_run()
        assert record.versions.get("torch") and record.finished and record.summary
        best = read_manifest(run.best_model_dir())
        keys.setdefault("test", set()).add(tuple(sorted(k for k in best.metrics if "test" in k)))
        assert run.calibration_json.is_file() and best.temperature > 0
    assert len(keys["history"]) == 1  # the same fields whichever job wrote the file
    assert keys["test"] == {("test_accuracy", "test_error", "test_harmonic_f1", "test_macro_f1")}
    assert RunDir.open(tmp_path / "train").read_decisions() is None
    tune = RunDir.open(tmp_path / "tune")
    assert tune.read_decisions().steps
    for job in ("train", "tune"):  # the confusion section's record, whichever job wrote it
        run = RunDir.open(tmp_path / job)
        scores = run.read_record(TEST_SCORES_FILE, ClassificationReport)
        assert scores.labels == ["malignant", "benign"]
        assert sum(map(sum, scores.confusion)) == run.read_split().sizes["test"]


def test_histories_written_before_the_records_are_migrated(tmp_path):
    run = RunDir.create(tmp_path / "run")
    tune_v0 = [EPOCH, {**EPOCH, "epoch": 1, "train_loss": float("nan")}]  # a bare list
    run.history_path("a").parent.mkdir()
    run.history_path("a").write_text(json.dumps(tune_v0))
    history = run.read_history("a")
    assert [e.epoch for e in history.epochs] == [0, 1] and history.stop_reason is None
    train_v1 = {  # train's whole TrainResult
        "schema_version": 1,
        "history": [EPOCH],
        "stop_reason": "patience_exhausted",
        "stop_message": "dev error did not improve",
        "best_epoch": 0,
        "epochs_run": 1,
    }
    run.history_path("b").write_text(json.dumps(train_v1))
    history = run.read_history("b")
    assert (history.schema_version, history.stop_reason, history.best_epoch) == (
        2,
        "patience_exhausted",
        0,
    )
    run.write_history("b", history)  # written back in today's one spelling
    assert json.loads(run.history_path("b").read_text())["epochs"][0]["dev_error"] == 0.3


def test_old_manifest_metrics_read_in_one_spelling():
    manifest = Manifest.model_validate(
        {
            "spec": {"kind": "mlp", "input_shape": [4], "num_classes": 2},
            "metrics": {"train-dev_error": 0.1, "dev_error": 0.2},
        }
    )
    assert manifest.metrics == {"train_dev_error": 0.1, "dev_error": 0.2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"history/m\.json is unreadable \(JSONDecodeError"),
        ('"epochs"', r"holds a JSON str, not a history"),
        ('{"schema_version": 9, "epochs": []}', r"schema_version 9.*upgrade orthotune"),
        ('{"schema_version": 2, "epochs": [{"epoch": "x"}]}', r"\(schema_version 2\) is not a"),
        ('{"schema_version": 1, "curves": []}', r"\(schema_version 1\) is not a history"),
    ],
)
def test_a_history_that_is_no_record_is_refused_in_one_line(tmp_path, text, message):
    run = RunDir.create(tmp_path / "run")
    run.history_path("m").parent.mkdir()
    run.history_path("m").write_text(text)
    with pytest.raises(InvalidInputError, match=message):
        run.read_history("m")


def test_a_damaged_diagnosis_decision_log_or_split_is_refused(tmp_path):
    run = RunDir.create(tmp_path / "run")
    assert run.read_diagnosis() is None and run.read_decisions() is None
    assert run.read_split() is None
    run.split_json.write_text('{"schema_version": 1, "sizes": {"train": "many"}}')
    with pytest.raises(InvalidInputError, match=r"split\.json .* is not a SplitRecord"):
        run.read_split()
    run.diagnosis_json.write_text('{"tolerance": 0.01}')
    with pytest.raises(InvalidInputError, match=r"diagnosis\.json .* is not a Diagnosis"):
        run.read_diagnosis()
    run.decisions_json.write_text('{"schema_version": 1, "steps": [{"index": "first"}]}')
    with pytest.raises(InvalidInputError, match=r"decisions\.json .* is not a DecisionLog"):
        run.read_decisions()

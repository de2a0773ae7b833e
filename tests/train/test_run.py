import json

import numpy as np
import pytest
import torch

from orthotune._errors import InvalidInputError
from orthotune._rundir import RunDir
from orthotune.data import load_dataset, make_split
from orthotune.fit import baseline
from orthotune.pipeline import Job
from orthotune.train import StopReason, load_checkpoint, train_history, train_summary
from orthotune.train._run import (
    build_config,
    build_spec,
    read_config_file,
    train_on_split,
)


def test_spec_takes_shape_and_classes_from_the_data():
    spec = build_spec({"hidden": (8,)}, data_shape=(20,), num_classes=3)
    assert (spec.kind, spec.input_shape, spec.num_classes) == ("mlp", (20,), 3)
    cnn = build_spec({"kind": "cnn1d"}, data_shape=(40,), num_classes=10)
    assert cnn.input_shape == (1, 40)  # vectors become 1-channel signals
    long = build_spec({"kind": "cnn1d"}, data_shape=(2, 200), num_classes=10)
    assert [b.pool for b in long.conv] == ["none", "max", "max", "none"]
    tiny = build_spec({"kind": "cnn2d"}, data_shape=(1, 4, 4), num_classes=2)
    assert all(b.pool == "none" for b in tiny.conv)  # too small to pool
    # the one default per shape: a CNN without conv blocks is the autopilot's first CNN
    for spec, shape in ((cnn, (1, 40)), (long, (2, 200)), (tiny, (1, 4, 4))):
        first = baseline(shape, spec.num_classes)[0]
        assert (spec.conv, spec.hidden, spec.global_pool) == (
            first.conv,
            first.hidden,
            first.global_pool,
        )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"kind": "rnn"}, r"--arch 'rnn' is not accepted: accepted are mlp, cnn1d, cnn2d"),
        ({"kind": "cnn2d"}, r"--arch cnn2d needs images .* shape \(20,\); use --arch mlp"),
        ({"dropout": 1.5}, r"--dropout 1.5 is not accepted: dropout rate must be in \[0, 1\)"),
        ({"activation": "swish"}, r"--activation 'swish' is not accepted: Input should be 'relu'"),
        ({"num_classes": 7}, r"model.num_classes 7 does not match the data \(3\)"),
        ({"widths": 3}, r"model.widths 3 is not accepted: model: has no .widths.; accepted keys"),
    ],
)
def test_bad_model_settings_name_the_flag_value_and_what_is_accepted(settings, message):
    with pytest.raises(InvalidInputError, match=message):
        build_spec(settings, data_shape=(20,), num_classes=3)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"lr": -1},
            r"--lr -1 is not accepted: Input should be greater than 0 \(accepted range "
            r"\(0, inf\)\)",
        ),
        ({"beta": 1.0}, r"--beta 1.0 is not accepted: .*less than 1 \(accepted range \[0, 1\)\)"),
        (
            {"optimizer": "adamx"},
            r"--optimizer 'adamx' is not accepted: Input should be 'sgd', "
            r"'momentum', 'nesterov', 'rmsprop', 'adam' or 'adamw'",
        ),
        ({"schedule": "linear"}, r"--schedule 'linear' .* 'constant', 'inverse_time'"),
        ({"augment": "wild"}, r"--augment 'wild' .* accepted presets: none, light"),
        # inf trained to NaN and saved a model no command could load; yes was 1 epoch
        ({"lr": float("inf")}, r"--lr inf is not accepted: Input should be a finite number"),
        ({"l2": float("inf")}, r"--l2 inf is not accepted: Input should be a finite number"),
        ({"epochs": True}, r"--epochs True is not accepted: True is a yes/no value, not a count"),
        ({"lr2": 0.1}, r"train: has no 'lr2'; accepted keys: optimizer, lr, beta"),
    ],
)
def test_bad_train_settings_name_the_flag_value_and_range(settings, message):
    with pytest.raises(InvalidInputError, match=message):
        build_config(settings)


def test_config_file_sections(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  hidden: [16]\n  kind: mlp\ntrain:\n  lr: 0.01\n")
    assert read_config_file(path) == {
        "model": {"hidden": [16], "kind": "mlp"},
        "train": {"lr": 0.01},
    }
    (tmp_path / "c.json").write_text(json.dumps({"train": {"epochs": 3}}))
    assert read_config_file(tmp_path / "c.json") == {"model": {}, "train": {"epochs": 3}}
    (tmp_path / "bad.yaml").write_text("optimizer: adam\n")
    with pytest.raises(InvalidInputError, match=r"unknown section.*'optimizer'; accepted: model"):
        read_config_file(tmp_path / "bad.yaml")
    with pytest.raises(InvalidInputError, match="does not exist"):
        read_config_file(tmp_path / "none.yaml")
    with pytest.raises(InvalidInputError, match="is a folder; give a YAML or JSON file"):
        read_config_file(tmp_path)  # was "does not exist"
    (tmp_path / "u16.yaml").write_text("train:\n  epochs: 2\n", encoding="utf-16")
    with pytest.raises(InvalidInputError, match="is not UTF-8 text; save it as UTF-8"):
        read_config_file(tmp_path / "u16.yaml")  # was internal error: UnicodeDecodeError
    (tmp_path / "zero.yaml").write_text("model: 0\n")
    with pytest.raises(InvalidInputError, match="section model: must be a mapping"):
        read_config_file(tmp_path / "zero.yaml")  # was read as an empty section


def test_train_on_split_normalizes_on_train_and_measures_every_part(tmp_path):
    data = "builtin:synthetic?n=400&classes=3&noise=0.05"
    dataset = load_dataset(data)
    split = make_split(dataset, seed=0)
    spec = build_spec({"hidden": (32,)}, data_shape=dataset.input_shape, num_classes=3)
    config = build_config({"epochs": 15, "lr": 0.01, "batch_size": 32, "patience": 5})
    trained = train_on_split(dataset, split, spec, config, seed=0, device="cpu")
    train_idx = torch.as_tensor(split.train)
    mean = dataset.x[train_idx].double().mean(0)
    np.testing.assert_allclose(trained.normalizer.mean, mean.numpy(), rtol=1e-6, atol=1e-9)
    assert trained.result.stop_reason in (StopReason.COMPLETED, StopReason.PATIENCE_EXHAUSTED)
    assert trained.errors["train-dev"] is None and trained.sizes["train-dev"] == 0
    assert trained.errors["test"] is not None and trained.errors["train"] < 0.5

    # what the train job keeps of it, through the pipeline the three jobs share
    job = Job.start(
        RunDir.create(tmp_path / "run"),
        command="train",
        dataset=dataset,
        data=data,
        load_options=None,
        split=split,
        seed=0,
        config={},
    )
    run = job.run
    done = job.finish(trained.model, trained.prepared, seed=0)
    manifest = job.manifest(
        "mlp",
        spec=spec,
        config=config,
        normalizer=trained.normalizer,
        errors=trained.errors,
        test=done.test_metrics,
    )
    job.save_model(trained.model, manifest, train_history(trained))
    job.run.set_best("mlp")
    summary = train_summary(
        trained, dataset, name="mlp", data=data, run_dir=run.path, model_dir=run.model_dir("mlp")
    )
    model, manifest = load_checkpoint(run.best_model_dir())
    assert manifest.normalization["mean"] == pytest.approx(mean.tolist())
    assert manifest.data == data and manifest.data_shape == (20,)
    assert manifest.metrics["test_error"] == done.test_metrics["error"]
    assert done.test_metrics["error"] == pytest.approx(summary.errors["test"])
    assert json.loads(run.test_scores_json.read_text())["accuracy"] == pytest.approx(
        1 - summary.errors["test"]
    )
    history = run.read_history("mlp")
    assert summary.epochs_run == len(history.epochs)
    assert (history.stop_reason, history.best_epoch) == (summary.stop_reason, summary.best_epoch)
    assert json.loads(run.split_json.read_text())["sizes"]["train"] == len(split.train)
    # the saved model reproduces the measured test error
    from orthotune.data import Normalizer

    test = torch.as_tensor(split.test)
    x = Normalizer.from_state_dict(manifest.normalization).apply(dataset.x[test])
    with torch.no_grad():
        error = (model(x).argmax(1) != dataset.y[test]).float().mean().item()
    assert error == pytest.approx(summary.errors["test"])


def test_values_from_the_config_file_are_named_by_section_and_key():
    with pytest.raises(InvalidInputError, match=r"^train.step_epochs 0 is not accepted"):
        build_config({"step_epochs": 0, "lr": 0.1}, from_flags=["lr"])
    with pytest.raises(InvalidInputError, match=r"^model.dropout 2 is not accepted"):
        build_spec({"dropout": 2}, data_shape=(4,), num_classes=2, from_flags=[])

"""``train --init-from RUN_DIR|MODEL_DIR [--freeze features|N]`` and ``tune --init-from``:
fine-tuning from a checkpoint, and every bad checkpoint refused in one line with exit 2 (the
--freeze values are refused in-process: tests/train/test_transfer.py)."""

from __future__ import annotations

import json

import pytest
import torch

from orthotune.models import ModelSpec, build_model
from orthotune.train import WEIGHTS_FILE, Manifest, save_checkpoint

ENV = {"OMP_NUM_THREADS": "1"}
DATA = "builtin:synthetic?n=100"  # 20 features, classes 0, 1, 2


def _checkpoint(folder, *, features=20, classes=("0", "1", "2")):
    spec = ModelSpec(input_shape=(features,), num_classes=len(classes), hidden=(12, 12))
    torch.manual_seed(0)
    save_checkpoint(
        folder,
        build_model(spec),
        Manifest(spec=spec, class_names=classes, data_shape=(features,)),
    )
    return folder


def _edited(folder):
    _checkpoint(folder)
    data = bytearray((folder / WEIGHTS_FILE).read_bytes())
    data[-1] ^= 1
    (folder / WEIGHTS_FILE).write_bytes(bytes(data))
    return folder


def _binned(folder):  # a model that reads the features beside their quantile bins
    import orthotune

    orthotune.train(DATA, input_bins=8, training={"epochs": 1}, out=folder)
    return folder


def _pickle(folder):
    folder.mkdir()
    torch.save({"w": torch.zeros(2)}, folder / "model.pt")
    return folder / "model.pt"


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        (lambda p: p / "missing", [], "--init-from {p}/ckpt/missing does not exist"),
        (_pickle, [], "model.pt looks like a zip archive (torch.save writes these; they hold"),
        (_edited, [], "does not match the sha256 in"),
        (lambda p: _checkpoint(p, features=8), [], "trained on examples of shape (8,), this"),
        (_checkpoint, ["--arch", "mlp"], "takes the checkpoint's architecture, but --arch"),
        # was "trained on examples of shape (20,), this data's are (20,)"
        (_binned, [], "its network reads each example's 20 features beside their quantile bins"),
    ],
    ids=["missing", "pickle", "edited", "input-shape", "arch-flag", "binned"],
)
def test_bad_init_from_exits_2_with_one_line(run_cli, tmp_path, make, extra, message):
    source = make(tmp_path / "ckpt")
    out = tmp_path / "run"
    done = run_cli("train", DATA, "--init-from", source, *extra, "--out", out, env=ENV)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message.format(p=tmp_path) in lines[0], lines
    assert not out.exists()


def test_freeze_without_init_from_and_init_from_with_a_search_are_refused(run_cli, tmp_path):
    done = run_cli("train", DATA, "--freeze", "features", "--out", tmp_path / "a", env=ENV)
    assert done.returncode == 2 and "no --init-from gives them" in done.stderr
    ckpt = _checkpoint(tmp_path / "ckpt")
    done = run_cli(
        "tune", DATA, "--strategy", "tpe", "--init-from", ckpt, "--out", tmp_path / "b", env=ENV
    )
    assert done.returncode == 2 and "use --strategy autopilot" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_train_from_a_run_folder_fine_tunes_its_chosen_model_and_records_where_from(
    run_cli, tmp_path
):
    pre = tmp_path / "pre"
    done = run_cli("train", DATA, "--hidden", "12", "--epochs", "2", "--out", pre, env=ENV)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "ft"
    done = run_cli(
        "train", DATA, "--init-from", pre, "--freeze", "features", "--focal-gamma", "2",
        "--epochs", "2", "--out", run, "--json", env=ENV,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["spec"]["hidden"] == [12] and summary["config"]["focal_gamma"] == 2.0
    record = summary["init_from"]
    assert record["source"] == str(pre) and record["freeze"] == 1
    assert not record["replaced_output"]
    manifest = json.loads((run / "models" / "mlp" / "manifest.json").read_text())
    pre_manifest = json.loads((pre / "models" / "mlp" / "manifest.json").read_text())
    assert manifest["init_from"]["weights_sha256"] == pre_manifest["weights_sha256"]
    from safetensors.torch import load_file

    before = load_file(pre / "models" / "mlp" / WEIGHTS_FILE)
    after = load_file(run / "models" / "mlp" / WEIGHTS_FILE)
    assert torch.equal(before["head.0.linear.weight"], after["head.0.linear.weight"])  # frozen
    assert not torch.equal(before["out.weight"], after["out.weight"])  # trained

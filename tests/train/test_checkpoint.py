import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from orthotune._errors import InvalidInputError
from orthotune.models import ConvBlock, ModelSpec, build_model
from orthotune.train import (
    Manifest,
    TrainConfig,
    load_checkpoint,
    read_manifest,
    save_checkpoint,
)

SRC = Path(__file__).resolve().parents[2] / "src"
SPEC = ModelSpec(
    kind="cnn1d",
    input_shape=(1, 12),
    num_classes=3,
    conv=(ConvBlock(channels=4, kernel=3, pool="max"),),
    hidden=(8,),
    batch_norm=True,
    dropout=0.1,
)


def _trained(seed=0):
    """A net with its own weights and batch-norm running statistics."""
    torch.manual_seed(seed)
    model = build_model(SPEC)
    model(torch.randn(40, 1, 12) + seed)  # train mode: moves the BN running mean/var
    return model


def _manifest(**kw):
    return Manifest(
        spec=SPEC,
        class_names=("a", "b", "c"),
        feature_names=tuple(f"t{i}" for i in range(12)),
        normalization={"mean": torch.zeros(12), "std": torch.ones(12)},
        train_config=TrainConfig(epochs=2),
        metrics={"dev_error": 0.25},
        **kw,
    )


def test_round_trip_gives_identical_predictions(tmp_path):
    model = _trained()
    model.eval()
    x = torch.randn(16, 1, 12)
    written = save_checkpoint(tmp_path / "m", model, _manifest())
    loaded, manifest = load_checkpoint(tmp_path / "m")
    assert torch.equal(loaded(x), model(x))  # BN running stats travel too
    assert not loaded.training
    assert manifest == written
    assert manifest.class_names == ("a", "b", "c")
    assert manifest.normalization == {"mean": [0.0] * 12, "std": [1.0] * 12}
    assert len(manifest.weights_sha256) == 64 and manifest.versions["torch"]
    # the manifest is plain JSON a person can read
    raw = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert raw["format"] == "orthotune.checkpoint" and raw["spec"]["kind"] == "cnn1d"
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "manifest.json",
        "weights.safetensors",
    ]


def test_a_second_save_replaces_the_first(tmp_path):
    a, b = _trained(0), _trained(1)
    save_checkpoint(tmp_path, a, _manifest())
    save_checkpoint(tmp_path, b, _manifest())
    loaded, _ = load_checkpoint(tmp_path / "manifest.json")
    x = torch.randn(4, 1, 12)
    assert torch.equal(loaded(x), b.eval()(x))
    assert not (tmp_path / "weights.previous.safetensors").exists()


def test_edited_weights_are_refused_by_the_hash(tmp_path):
    save_checkpoint(tmp_path, _trained(), _manifest())
    path = tmp_path / "weights.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidInputError, match="does not match the sha256"):
        load_checkpoint(tmp_path)


def test_an_edited_manifest_is_refused_by_its_own_hash(tmp_path):
    save_checkpoint(tmp_path, _trained(), _manifest())
    path = tmp_path / "manifest.json"
    raw = json.loads(path.read_text())
    assert raw["manifest_sha256"] == read_manifest(tmp_path).content_sha256()
    raw["spec"]["activation"] = "tanh"  # loaded into another network: predictions changed
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidInputError, match=r"does not give its manifest_sha256 \(the man"):
        load_checkpoint(tmp_path)
    del raw["manifest_sha256"]  # a manifest written before the hash: read as it is
    path.write_text(json.dumps(raw))
    assert read_manifest(tmp_path).spec.activation == "tanh"
    # a NaN metric is written null: the hash is of what the file holds (a diverged model's
    # NaN dev loss was refused as "edited" by a hash of the NaN)
    nan = _manifest().model_copy(update={"metrics": {"dev_loss": float("nan")}})
    save_checkpoint(tmp_path / "n", _trained(), nan)
    assert load_checkpoint(tmp_path / "n")[1].metrics == {"dev_loss": None}


def test_a_pickle_file_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"
    bad = tmp_path / "model.pkl"

    class Trap:
        def __reduce__(self):
            return (Path.touch, (marker,))

    bad.write_bytes(pickle.dumps(Trap()))
    with pytest.raises(InvalidInputError, match=r"model\.pkl looks like a pickle file.*accepted"):
        load_checkpoint(bad)
    assert not marker.exists()

    pt = tmp_path / "model.pt"
    torch.save(_trained().state_dict(), pt)
    with pytest.raises(InvalidInputError, match=r"model\.pt looks like a zip archive"):
        load_checkpoint(pt)
    # a folder holding only torch.save files names them
    with pytest.raises(InvalidInputError, match=r"no manifest\.json \(found model\.pkl, model\.pt"):
        load_checkpoint(tmp_path)


def test_a_pickle_disguised_as_the_weights_file_is_refused(tmp_path):
    save_checkpoint(tmp_path, _trained(), _manifest())
    torch.save(_trained().state_dict(), tmp_path / "weights.safetensors")
    with pytest.raises(InvalidInputError, match="looks like a zip archive"):
        load_checkpoint(tmp_path)


def test_foreign_or_newer_manifests_are_refused(tmp_path):
    save_checkpoint(tmp_path, _trained(), _manifest())
    path = tmp_path / "manifest.json"
    raw = json.loads(path.read_text())
    path.write_text(json.dumps({**raw, "schema_version": 99}))
    with pytest.raises(InvalidInputError, match="schema_version 99, newer"):
        load_checkpoint(tmp_path)
    path.write_text(json.dumps({"hello": 1}))
    with pytest.raises(InvalidInputError, match="not an orthotune manifest"):
        read_manifest(tmp_path)
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_checkpoint(tmp_path / "nowhere")


_WRITER = textwrap.dedent(
    """
    import sys, torch
    from orthotune.models import build_model
    from orthotune.train import Manifest, save_checkpoint, read_manifest
    folder = sys.argv[1]
    torch.manual_seed(123)
    manifest = read_manifest(folder)
    save_checkpoint(folder, build_model(manifest.spec), manifest)
    print("finished")
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["checkpoint_write", "checkpoint_commit"])
def test_sigkill_while_writing_leaves_the_previous_checkpoint_loadable(tmp_path, point):
    model = _trained().eval()
    save_checkpoint(tmp_path, model, _manifest())
    env = {**os.environ, "PYTHONPATH": str(SRC), "ORTHOTUNE_FAULT": point}
    proc = subprocess.run(
        [sys.executable, "-c", _WRITER, str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == -signal.SIGKILL  # the writer died at the fault point
    assert f"orthotune-fault: {point}" in proc.stderr and "finished" not in proc.stdout
    loaded, _ = load_checkpoint(tmp_path)
    x = torch.randn(8, 1, 12)
    assert torch.equal(loaded(x), model(x))
    # the next save succeeds and is the one loaded afterwards
    other = _trained(5).eval()
    save_checkpoint(tmp_path, other, _manifest())
    assert torch.equal(load_checkpoint(tmp_path)[0](x), other(x))


def test_the_temperature_round_trips_and_an_older_manifest_without_one_reads_as_1(tmp_path):
    save_checkpoint(tmp_path / "m", _trained(), _manifest(temperature=2.5))
    assert load_checkpoint(tmp_path / "m")[1].temperature == 2.5
    # a checkpoint written before temperature scaling existed: no such key in its manifest
    path = tmp_path / "m" / "manifest.json"
    raw = json.loads(path.read_text())
    del raw["temperature"], raw["manifest_sha256"]  # (nor a manifest hash: not checked)
    path.write_text(json.dumps(raw))
    assert load_checkpoint(tmp_path / "m")[1].temperature == 1.0
    raw["temperature"] = 0
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidInputError, match="field temperature is invalid"):
        load_checkpoint(tmp_path / "m")


def test_the_same_weights_are_the_same_bytes():
    """safetensors writes several metadata keys in any order: one model gave two different
    files (an ensemble member's name and sha256 changed from run to run)."""
    from orthotune.train import weights_to_bytes

    model = _trained()
    assert len({weights_to_bytes(model) for _ in range(30)}) == 1

"""An ensemble is one checkpoint: K hashed member files, one manifest, refused when tampered."""

import hashlib
import json

import pytest
import torch

from orthotune._errors import InvalidInputError
from orthotune.metrics import measure_latency
from orthotune.models import Ensemble, ModelSpec, build_model, count_parameters
from orthotune.train import (
    Manifest,
    load_checkpoint,
    load_predictor,
    load_warm_start,
    save_checkpoint,
)
from orthotune.train import _checkpoint as checkpoint_module

SPEC = ModelSpec(kind="mlp", input_shape=(6,), num_classes=3, hidden=(8,), batch_norm=True)


def _net(seed):
    torch.manual_seed(seed)
    net = build_model(SPEC)
    net(torch.randn(32, 6) + seed)  # train mode: moves the batch-norm running statistics
    return net.eval()


def _ensemble(*seeds):
    return Ensemble([_net(s) for s in seeds]).eval()


def _manifest():
    return Manifest(spec=SPEC, class_names=("a", "b", "c"), temperature=1.5)


def _member_files(folder):
    return sorted(p.name for p in folder.glob("member-*.safetensors"))


def test_round_trip_gives_the_same_ensemble_and_hashes_every_member(tmp_path):
    model = _ensemble(0, 1, 2)
    written = save_checkpoint(tmp_path / "m", model, _manifest())
    loaded, manifest = load_checkpoint(tmp_path / "m")
    assert isinstance(loaded, Ensemble) and len(loaded) == 3 and not loaded.training
    x = torch.randn(10, 6)
    assert torch.equal(loaded(x), model(x))
    assert manifest == written and manifest.schema_version == 2
    assert manifest.weights_file is None and manifest.temperature == 1.5
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == sorted(
        ["manifest.json", *(m.file for m in manifest.members)]
    )
    for k, member in enumerate(manifest.members, start=1):
        data = (tmp_path / "m" / member.file).read_bytes()
        assert member.sha256 == hashlib.sha256(data).hexdigest()
        assert member.file.startswith(f"member-{k}-{member.sha256[:12]}")
    # one model, the same size and latency path: parameters add up, latency runs all members
    assert count_parameters(loaded) == 3 * count_parameters(_net(0))
    assert measure_latency(loaded, x[0], repeats=2, warmup=0).per_example_ms > 0
    # predict's loader takes the folder as one model, temperature and all
    predictor = load_predictor(tmp_path / "m")
    assert isinstance(predictor.model, Ensemble) and predictor.manifest.temperature == 1.5


def test_a_deleted_member_is_refused_by_name(tmp_path):
    written = save_checkpoint(tmp_path, _ensemble(0, 1, 2), _manifest())
    gone = tmp_path / written.members[1].file
    gone.unlink()
    with pytest.raises(
        InvalidInputError, match=rf"ensemble member {gone} is missing \(member 2 of 3"
    ):
        load_checkpoint(tmp_path)


def test_an_edited_member_is_refused_by_its_hash(tmp_path):
    written = save_checkpoint(tmp_path, _ensemble(0, 1), _manifest())
    path = tmp_path / written.members[0].file
    path.write_bytes((tmp_path / written.members[1].file).read_bytes())  # valid, other weights
    with pytest.raises(
        InvalidInputError,
        match=rf"{path} does not match its sha256 .* expected {written.members[0].sha256}, found",
    ):
        load_checkpoint(tmp_path)


def test_a_manifest_whose_member_hash_was_edited_is_refused(tmp_path):
    save_checkpoint(tmp_path, _ensemble(0, 1), _manifest())
    path = tmp_path / "manifest.json"
    raw = json.loads(path.read_text())
    raw["members"][0]["sha256"] = "0" * 64
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidInputError, match="the manifest was edited"):
        load_checkpoint(tmp_path)
    raw["members"][0]["file"] = "../weights.safetensors"  # never read outside the folder
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidInputError, match=r"field members\.0\.file is invalid"):
        load_checkpoint(tmp_path)


def test_resaving_replaces_the_members_and_a_crash_before_the_manifest_keeps_the_old(
    tmp_path, monkeypatch
):
    save_checkpoint(tmp_path, _net(7), _manifest())  # a one-model folder becomes an ensemble
    first = _ensemble(0, 1)
    written = save_checkpoint(tmp_path, first, _manifest())
    assert not (tmp_path / "weights.safetensors").exists()
    assert _member_files(tmp_path) == sorted(m.file for m in written.members)

    def crash(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(checkpoint_module, "atomic_write_json", crash)
    with pytest.raises(OSError):
        save_checkpoint(tmp_path, _ensemble(3, 4, 5), _manifest())
    monkeypatch.undo()
    x = torch.randn(5, 6)
    assert torch.equal(load_checkpoint(tmp_path)[0](x), first(x))  # the committed one

    single = _net(9)
    save_checkpoint(tmp_path, single, _manifest())  # and back to one model: members removed
    assert _member_files(tmp_path) == []
    model, manifest = load_checkpoint(tmp_path)
    assert not isinstance(model, Ensemble) and manifest.schema_version == 1
    assert torch.equal(model(x), single(x))


def test_transfer_from_an_ensemble_is_refused(tmp_path):
    save_checkpoint(tmp_path, _ensemble(0, 1), _manifest())
    with pytest.raises(InvalidInputError, match="is an ensemble of 2 models; transfer starts"):
        load_warm_start(tmp_path, data_shape=(6,), class_names=("a", "b", "c"))

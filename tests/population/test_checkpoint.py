"""A member saved as ``weights.safetensors`` + ``manifest.json`` loads back as the same model."""

import json

import torch
from safetensors.torch import load_file

from orthotune.models import ModelSpec, build_model
from orthotune.population import Population, save_member
from orthotune.train import TrainConfig


def test_saved_member_reloads_into_build_model_and_predicts_the_same(tmp_path):
    spec = ModelSpec(input_shape=(6,), num_classes=3, hidden=(8,), batch_norm=True)
    configs = [TrainConfig(lr=0.01, batch_size=8), TrainConfig(lr=0.05, batch_size=8)]
    population = Population(spec, configs, num_examples=16, seeds=[1, 2])
    x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
    for _ in range(5):
        population.train_step(x[:8], y[:8])
    out = save_member(population, 1, tmp_path / "member1")

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["lr"] == 0.05
    assert manifest["trained_by"] == "population" and manifest["steps"] == 5
    model = build_model(ModelSpec.model_validate(manifest["spec"]))
    model.load_state_dict(load_file(out / "weights.safetensors"))
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(x), population.predict_logits(x)[1])
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "weights.safetensors"]

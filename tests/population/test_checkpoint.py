"""A member is saved as the trainer's checkpoint and loads back as the same model."""

import torch

from orthotune.models import ModelSpec
from orthotune.population import Population, save_member
from orthotune.train import TrainConfig, load_checkpoint


def test_saved_member_loads_with_load_checkpoint_and_predicts_the_same(tmp_path):
    spec = ModelSpec(input_shape=(6,), num_classes=3, hidden=(8,), batch_norm=True)
    configs = [TrainConfig(lr=0.01, batch_size=8), TrainConfig(lr=0.05, batch_size=8)]
    population = Population(spec, configs, num_examples=16, seeds=[1, 2])
    x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
    for _ in range(5):
        population.train_step(x[:8], y[:8])
    written = save_member(population, 1, tmp_path / "member1", class_names=("a", "b", "c"))

    model, manifest = load_checkpoint(tmp_path / "member1")
    assert manifest == written
    assert manifest.train_config.lr == 0.05 and manifest.name == "member-1"
    assert manifest.class_names == ("a", "b", "c")
    with torch.no_grad():
        torch.testing.assert_close(model(x), population.predict_logits(x)[1])

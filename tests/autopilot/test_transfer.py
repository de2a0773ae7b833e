"""The transfer-learning knob: variants that start from the user's checkpoint, and the autopilot
keeping one when it lowers the (cross-validated) dev error beyond the noise."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from orthotune.autopilot import AutopilotSettings, run_autopilot, variants
from orthotune.data import make_split, make_synthetic
from orthotune.data._prepare import prepare
from orthotune.fit import baseline
from orthotune.models import ModelSpec, build_model
from orthotune.train import Manifest, TrainConfig, Trainer, load_warm_start, save_checkpoint

SPEC = ModelSpec(input_shape=(20,), num_classes=3, hidden=(64,))


def _pretrained(folder, ds, rows):
    torch.manual_seed(0)
    model = build_model(SPEC)
    Trainer(TrainConfig(epochs=8, lr=3e-3), device="cpu").fit(model, (ds.x[rows], ds.y[rows]))
    save_checkpoint(folder, model, Manifest(spec=SPEC, class_names=ds.class_names))
    return folder


def test_transfer_variants_exist_only_with_a_checkpoint_and_hold_the_training(tmp_path):
    spec, config = baseline((20,), 3)
    assert variants("transfer_learning", spec, config) == []
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "c", build_model(SPEC), Manifest(spec=SPEC, class_names=("a", "b")))
    warm = load_warm_start(tmp_path / "c", data_shape=(20,), class_names=("a", "b", "c"))
    found = variants("transfer_learning", spec, config, warm_start=warm)
    assert [v.init.freeze for v in found] == [0, 1]  # every layer trained; features frozen
    assert all(v.config == config and v.spec == warm.spec for v in found)
    assert "first 1 layers frozen" in found[1].label
    frozen = load_warm_start(
        tmp_path / "c", data_shape=(20,), class_names=("a", "b", "c"), freeze="features"
    )
    assert [
        v.init.freeze for v in variants("transfer_learning", spec, config, warm_start=frozen)
    ] == [1]


@pytest.mark.slow
def test_the_autopilot_keeps_the_transfer_when_the_new_task_has_few_examples(tmp_path):
    ds = make_synthetic(n=3000, noise=0.0, seed=0)
    folder = _pretrained(tmp_path / "pre", ds, slice(0, 2400))
    target = ds.subset(np.arange(2400, 2700))  # 300 new examples of the same task
    data = prepare(target, make_split(target, seed=0))
    warm = load_warm_start(folder, data_shape=(20,), class_names=ds.class_names)
    start = (SPEC, TrainConfig(epochs=20, lr=3e-3, batch_size=16))
    settings = AutopilotSettings(
        start=start,
        human_error=0.0,
        bayes_error=0.0,
        budget_s=120,
        max_steps=1,
        warm_start=warm,
        polish=False,  # the transfer knob is what is tested, not the budget filled after it
    )
    result = run_autopilot(data, settings)
    step = result.log.steps[1]
    assert step.knob == "transfer_learning", step
    assert step.kept is not None and result.chosen.candidate.init is not None
    before = result.log.steps[0].variants[0].errors["dev"]  # out of fold: 5-fold CV
    assert result.chosen.errors["dev"] < before - 0.05, (before, result.chosen.errors)

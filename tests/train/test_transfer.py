"""Transfer learning: weights copied (hash verified), a new output layer for new classes,
frozen layers that stay exactly as they were, bad checkpoints refused in one line."""

from __future__ import annotations

import pytest
import torch

from orthotune import InvalidInputError
from orthotune.data import make_synthetic
from orthotune.models import ModelSpec, build_model
from orthotune.population import Population, fit_population
from orthotune.train import (
    WEIGHTS_FILE,
    Manifest,
    TrainConfig,
    Trainer,
    load_warm_start,
    save_checkpoint,
)

SPEC = ModelSpec(input_shape=(6,), num_classes=3, hidden=(8, 8), batch_norm=True)
CLASSES = ("a", "b", "c")


def _data(n=40, k=3, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g).to(dtype)
    y = torch.randint(0, k, (n,), generator=g)
    return x, y


@pytest.fixture
def checkpoint(tmp_path):
    """A trained checkpoint folder (BN statistics no longer at their initial values)."""
    torch.manual_seed(0)
    model = build_model(SPEC)
    Trainer(TrainConfig(epochs=2, batch_size=8), device="cpu").fit(model, _data())
    folder = tmp_path / "pre"
    save_checkpoint(folder, model, Manifest(spec=SPEC, class_names=CLASSES, data_shape=(6,)))
    return folder, {k: v.clone() for k, v in model.state_dict().items()}


def _seeded(spec, seed=5, dtype=torch.float32):
    torch.manual_seed(seed)
    return build_model(spec).to(dtype)


def test_same_classes_copy_every_tensor_including_the_output_layer(checkpoint):
    folder, state = checkpoint
    warm = load_warm_start(folder, data_shape=(6,), class_names=CLASSES)
    assert warm.spec == SPEC and not warm.replaced_output and warm.freeze == 0
    model = warm.initialize(_seeded(warm.spec))
    for name, value in model.state_dict().items():
        assert torch.equal(value, state[name]), name


def test_new_classes_get_a_new_output_layer_and_keep_the_rest(checkpoint):
    folder, state = checkpoint
    warm = load_warm_start(folder, data_shape=(6,), class_names=("x", "y", "z", "w"))
    assert warm.spec.num_classes == 4 and warm.replaced_output
    fresh = _seeded(warm.spec)
    model = warm.initialize(_seeded(warm.spec))
    for name, value in model.state_dict().items():
        want = fresh.state_dict()[name] if name.startswith("out.") else state[name]
        assert torch.equal(value, want), name
    # the same number of classes under other names is a new task too
    assert load_warm_start(folder, data_shape=(6,), class_names=("x", "y", "z")).replaced_output


@pytest.mark.parametrize(("freeze", "kept"), [("features", ("head.0", "head.1")), (1, ("head.0",))])
def test_frozen_layers_keep_weights_and_batch_norm_statistics_exactly(checkpoint, freeze, kept):
    folder, state = checkpoint
    warm = load_warm_start(folder, data_shape=(6,), class_names=CLASSES, freeze=freeze)
    model = warm.initialize(_seeded(warm.spec))
    Trainer(TrainConfig(epochs=3, batch_size=8, lr=0.01), device="cpu").fit(model, _data(seed=1))
    after = model.state_dict()
    for name, value in state.items():
        if not value.is_floating_point():
            continue
        if name.startswith(kept):
            assert torch.equal(after[name], value), f"{name} changed although frozen"
        else:
            assert not torch.equal(after[name], value), f"{name} did not train"


def test_a_population_member_from_a_checkpoint_equals_its_trainer_run(checkpoint):
    folder, _ = checkpoint
    warm = load_warm_start(folder, data_shape=(6,), class_names=("p", "q"))
    x, y = _data(n=21, k=2, seed=2, dtype=torch.float64)
    configs = [TrainConfig(lr=0.01, batch_size=8, epochs=2)] * 2
    population = Population(
        warm.spec, configs, num_examples=21, seeds=[3, 4], dtype=torch.float64, init=[warm, None]
    )
    fit_population(population, (x, y), shared_batches=True, seed=6)
    for i, init in enumerate([warm, None]):
        model = _seeded(warm.spec, seed=3 + i, dtype=torch.float64)
        if init is not None:
            init.initialize(model)
        Trainer(configs[i], device="cpu", seed=6).fit(model, (x, y))
        for name, value in model.state_dict().items():
            torch.testing.assert_close(population.state_dict(i)[name], value, rtol=1e-9, atol=1e-12)


def test_a_population_refuses_frozen_layers_with_the_fix(checkpoint):
    folder, _ = checkpoint
    warm = load_warm_start(folder, data_shape=(6,), class_names=CLASSES, freeze="features")
    with pytest.raises(InvalidInputError, match=r"freezes its first 2 layers.*sequential Trainer"):
        Population(SPEC, [TrainConfig()], num_examples=10, init=[warm])


def test_bad_checkpoints_are_refused_in_one_line(checkpoint, tmp_path):
    folder, state = checkpoint
    with pytest.raises(InvalidInputError, match=r"--init-from .*nowhere does not exist"):
        load_warm_start(tmp_path / "nowhere", data_shape=(6,), class_names=CLASSES)
    pickled = tmp_path / "model.pt"
    torch.save(state, pickled)
    with pytest.raises(InvalidInputError, match=r"model.pt looks like a zip archive.*pickle"):
        load_warm_start(pickled, data_shape=(6,), class_names=CLASSES)
    with pytest.raises(InvalidInputError, match=r"has no manifest\.json \(found model\.pt"):
        load_warm_start(tmp_path, data_shape=(6,), class_names=CLASSES)
    with pytest.raises(InvalidInputError, match="the same input shape"):
        load_warm_start(folder, data_shape=(7,), class_names=CLASSES)
    with pytest.raises(InvalidInputError, match=r"--freeze 3: .* 2 layers before its output"):
        load_warm_start(folder, data_shape=(6,), class_names=CLASSES, freeze=3)
    with pytest.raises(InvalidInputError, match="--freeze 'head'"):
        load_warm_start(folder, data_shape=(6,), class_names=CLASSES, freeze="head")
    data = bytearray((folder / WEIGHTS_FILE).read_bytes())
    data[-1] ^= 1  # one bit of one weight
    (folder / WEIGHTS_FILE).write_bytes(bytes(data))
    with pytest.raises(InvalidInputError, match=r"does not match the sha256.*edited"):
        load_warm_start(folder, data_shape=(6,), class_names=CLASSES)


@pytest.mark.slow
def test_transfer_beats_scratch_on_dev_when_the_new_task_has_few_examples(tmp_path):
    """One teacher's task: 2400 examples to pretrain on, then 60 new examples to learn from
    and 540 dev examples to judge on. Starting from the pretrained weights, the dev error is
    far below the same network's trained from scratch on the 60."""
    ds = make_synthetic(n=3000, noise=0.0, seed=0)
    x, y = ds.x, ds.y
    spec = ModelSpec(input_shape=(20,), num_classes=3, hidden=(64,))
    torch.manual_seed(0)
    pre = build_model(spec)
    Trainer(TrainConfig(epochs=8, lr=3e-3), device="cpu").fit(pre, (x[:2400], y[:2400]))
    save_checkpoint(tmp_path / "pre", pre, Manifest(spec=spec, class_names=ds.class_names))
    few, dev = (x[2400:2460], y[2400:2460]), (x[2460:], y[2460:])

    config = TrainConfig(epochs=30, lr=3e-3, batch_size=16)
    errors = {}
    for name in ("scratch", "transfer"):
        model = _seeded(spec, seed=1)
        if name == "transfer":
            warm = load_warm_start(tmp_path / "pre", data_shape=(20,), class_names=ds.class_names)
            warm.initialize(model)
        trainer = Trainer(config, device="cpu")
        trainer.fit(model, few)
        errors[name] = trainer.evaluate(model, dev)[1]
    assert errors["transfer"] < errors["scratch"] - 0.10, errors

"""The stacked forward (grouped convolution, batched matmul, per-member BN) equals each member's
own ``build_model`` network, and CNN members train exactly like torch runs."""

from __future__ import annotations

import pytest
import torch

from orthotune.models import ConvBlock, ModelSpec
from orthotune.population import Population
from orthotune.train import TrainConfig
from tests.population.reference import (
    assert_members_match,
    seeded_model,
    shuffled_batches,
    tiny_data,
    train_reference,
)

CNN1D = ModelSpec(
    kind="cnn1d",
    input_shape=(2, 16),
    num_classes=3,
    conv=(
        ConvBlock(channels=4, kernel=3, pool="max"),
        ConvBlock(channels=6, kernel=3, residual=True),  # projection skip (4 → 6 channels)
        ConvBlock(channels=6, kernel=3, residual=True, pool="avg"),  # identity skip
    ),
    hidden=(8,),
    batch_norm=True,
    activation="relu",
)
CNN1D_SHARED_SKIP = ModelSpec(  # identity skip straight from the shared input
    kind="cnn1d",
    input_shape=(3, 12),
    num_classes=2,
    conv=(ConvBlock(channels=3, kernel=3, residual=True), ConvBlock(channels=4, stride=2)),
    hidden=(),
    global_pool="max",
    activation="gelu",
)
CNN2D = ModelSpec(
    kind="cnn2d",
    input_shape=(1, 6, 6),
    num_classes=3,
    conv=(ConvBlock(channels=3, kernel=3, pool="max"), ConvBlock(channels=4, residual=True)),
    hidden=(6,),
    batch_norm=True,
    global_pool="none",
)
SPECS = {"cnn1d": CNN1D, "cnn1d-identity-skip": CNN1D_SHARED_SKIP, "cnn2d": CNN2D}


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("shared", [True, False], ids=["shared", "own"])
def test_eval_logits_equal_each_members_own_network(name, shared):
    spec = SPECS[name]
    dtype = torch.float64
    population = Population(
        spec, [TrainConfig(batch_size=8)] * 3, num_examples=10, seeds=[3, 4, 5], dtype=dtype
    )
    x, _, _ = tiny_data(10, spec.input_shape, spec.num_classes, dtype=dtype)
    if shared:
        logits = population.predict_logits(x)  # [N, M, C]
    else:
        own = torch.stack([x, x.flip(0), x * 2])  # member i sees its own inputs
        with torch.no_grad():
            logits = population.net.forward(
                own,
                population._views,
                population.buffers,
                population._drop_rates,
                shared=False,
                train=False,
            ).transpose(1, 2)
    for i, seed in enumerate([3, 4, 5]):
        model = seeded_model(spec, seed, dtype).eval()
        xi = x if shared else own[i]
        torch.testing.assert_close(logits[i], model(xi), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["cnn1d", "cnn1d-identity-skip", "cnn2d"])
def test_cnn_members_train_like_torch_runs(name):
    spec = SPECS[name]
    dtype = torch.float64
    m, batch, steps = 24, 8, 60
    configs = [
        TrainConfig(optimizer="adam", lr=0.01, batch_size=batch, l2=0.2),
        TrainConfig(optimizer="adam", lr=0.003, beta1=0.8, batch_size=batch, grad_clip=0.5),
    ]
    x, y, _ = tiny_data(m, spec.input_shape, spec.num_classes, dtype=dtype)
    population = Population(spec, configs, num_examples=m, seeds=[1, 2], dtype=dtype)
    batches = shuffled_batches(m, batch, steps // 3, seed=0)
    for k, idx in enumerate(batches):
        population.train_step(x[idx], y[idx], epoch=k // 3, step=k % 3, steps_per_epoch=3)
    models = {}
    for i, config in enumerate(configs):
        models[i] = seeded_model(spec, i + 1, dtype)
        train_reference(
            models[i],
            config,
            [(x[idx], y[idx], None) for idx in batches],
            num_examples=m,
            steps_per_epoch=3,
        )
    assert_members_match(population, models, rtol=1e-9, atol=1e-12)


def test_cnn_members_with_their_own_batches_train_like_torch_runs():
    spec, dtype, m, batch = CNN1D, torch.float64, 24, 8
    configs = [TrainConfig(optimizer="momentum", lr=0.05, batch_size=batch)] * 2
    x, y, _ = tiny_data(m, spec.input_shape, spec.num_classes, dtype=dtype)
    population = Population(spec, configs, num_examples=m, seeds=[1, 2], dtype=dtype)
    own = [shuffled_batches(m, batch, 10, seed=s) for s in (7, 8)]
    for k, (a, b) in enumerate(zip(*own, strict=True)):
        idx = torch.stack([a, b])  # [N, B]
        population.train_step(x[idx], y[idx], epoch=k // 3, step=k % 3, steps_per_epoch=3)
    models = {}
    for i in range(2):
        models[i] = seeded_model(spec, i + 1, dtype)
        train_reference(
            models[i],
            configs[i],
            [(x[idx], y[idx], None) for idx in own[i]],
            num_examples=m,
            steps_per_epoch=3,
        )
    assert_members_match(population, models, rtol=1e-9, atol=1e-12)


def test_float32_cnn_members_match_after_20_steps():
    spec, dtype, m, batch = CNN1D, torch.float32, 24, 8
    configs = [TrainConfig(optimizer="rmsprop", lr=0.002, batch_size=batch)] * 2
    x, y, _ = tiny_data(m, spec.input_shape, spec.num_classes, dtype=dtype)
    population = Population(spec, configs, num_examples=m, seeds=[1, 2], dtype=dtype)
    batches = shuffled_batches(m, batch, 7, seed=0)[:20]
    for k, idx in enumerate(batches):
        population.train_step(x[idx], y[idx], epoch=k // 3, step=k % 3, steps_per_epoch=3)
    models = {}
    for i in range(2):
        models[i] = seeded_model(spec, i + 1, dtype)
        train_reference(
            models[i],
            configs[i],
            [(x[idx], y[idx], None) for idx in batches],
            num_examples=m,
            steps_per_epoch=3,
        )
    assert_members_match(population, models, rtol=1e-4, atol=1e-6)


def test_dropout_rates_are_per_member_and_off_in_eval():
    spec = ModelSpec(input_shape=(200,), num_classes=2, hidden=(400,), dropout=0.5)
    specs = [spec, spec.model_copy(update={"dropout": 0.1})]
    population = Population(specs, [TrainConfig()] * 2, num_examples=4)
    h = torch.ones(2, 400, 300)
    from orthotune.population._network import _dropout

    out = _dropout(h, population._drop_rates[0], True, population.generator)
    kept = (out != 0).double().mean((1, 2))
    assert kept[0].item() == pytest.approx(0.5, abs=0.01)
    assert kept[1].item() == pytest.approx(0.9, abs=0.01)
    assert out[0][out[0] != 0].unique().tolist() == [2.0]  # inverted dropout: 1/(1−p)
    assert torch.equal(_dropout(h, population._drop_rates[0], False, None), h)

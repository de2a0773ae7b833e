"""The vectorized optimizers: N members equal N independent torch.nn + torch.optim runs.

Same initial weights (member i seeded as the single model), same hyperparameters, same batches;
every optimizer and every schedule (one member per schedule in one population), L2 and gradient
clipping on some members, batch norm on and off, dropout off.
float64: parameters agree to rtol 1e-9 after 300 steps; float32: rtol 1e-4 after 20 steps.
"""

from __future__ import annotations

import pytest
import torch

from orthotune.models import ModelSpec
from orthotune.population import Population
from orthotune.train import SCHEDULES, TrainConfig
from tests.population.reference import (
    assert_members_match,
    seeded_model,
    shuffled_batches,
    tiny_data,
    train_reference,
)

M, BATCH = 48, 16  # 3 steps per epoch
STEPS_PER_EPOCH = 3
FAMILIES = {
    "sgd": ("sgd", "momentum", "nesterov"),
    "rmsprop": ("rmsprop",),
    "adam": ("adam",),
    "adamw": ("adamw",),
}
LR = {"sgd": 0.05, "rmsprop": 0.003, "adam": 0.005, "adamw": 0.005}


def member_configs(family: str, epochs: int) -> list[TrainConfig]:
    """One member per schedule; optimizers of the family, L2 and clipping cycle through."""
    configs = []
    for i, schedule in enumerate(SCHEDULES):
        optimizers = FAMILIES[family]
        configs.append(
            TrainConfig(
                optimizer=optimizers[i % len(optimizers)],
                lr=LR[family] * (1 + 0.25 * i),
                beta=0.8 + 0.02 * i,
                beta1=0.85 + 0.01 * i,
                beta2=0.99 + 0.001 * i,
                l2=0.0 if i % 3 == 0 else 0.3 * i,
                grad_clip=0.5 if i % 4 == 1 else None,
                schedule=schedule,
                decay=0.3,
                step_epochs=2,
                batch_size=BATCH,
                epochs=epochs,
            )
        )
    return configs


def run_both(spec, configs, *, dtype, steps, backward="auto", weighted=False):
    x, y, s = tiny_data(M, spec.input_shape, spec.num_classes, dtype=dtype)
    seeds = [10 + i for i in range(len(configs))]
    population = Population(
        spec, configs, num_examples=M, seeds=seeds, dtype=dtype, backward=backward
    )
    batches = shuffled_batches(M, BATCH, -(-steps // STEPS_PER_EPOCH), seed=1)[:steps]
    for k, idx in enumerate(batches):
        epoch, step = divmod(k, STEPS_PER_EPOCH)
        loss = population.train_step(
            x[idx],
            y[idx],
            s[idx] if weighted else None,
            epoch=epoch,
            step=step,
            steps_per_epoch=STEPS_PER_EPOCH,
        )
        assert loss.shape == (len(configs),)
    models = {}
    for i, config in enumerate(configs):
        model = seeded_model(spec, seeds[i], dtype)
        train_reference(
            model,
            config,
            [(x[idx], y[idx], s[idx] if weighted else None) for idx in batches],
            num_examples=M,
            steps_per_epoch=STEPS_PER_EPOCH,
        )
        models[i] = model
    return population, models


MLP = ModelSpec(input_shape=(6,), num_classes=3, hidden=(12, 10), activation="tanh")
MLP_BN = ModelSpec(input_shape=(6,), num_classes=3, hidden=(12, 10), batch_norm=True)


@pytest.mark.slow
@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("spec", [MLP, MLP_BN], ids=["mlp", "mlp-bn"])
def test_float64_members_equal_torch_runs_after_300_steps(family, spec):
    population, models = run_both(
        spec, member_configs(family, epochs=100), dtype=torch.float64, steps=300
    )
    assert_members_match(population, models, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("spec", [MLP, MLP_BN], ids=["mlp", "mlp-bn"])
def test_float32_members_equal_torch_runs_after_20_steps(family, spec):
    population, models = run_both(
        spec, member_configs(family, epochs=7), dtype=torch.float32, steps=20
    )
    assert_members_match(population, models, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("family", ["sgd", "adam"])
def test_autograd_engine_and_example_weights_match_torch(family):
    population, models = run_both(
        MLP_BN,
        member_configs(family, epochs=20),
        dtype=torch.float64,
        steps=60,
        backward="autograd",
        weighted=True,
    )
    assert_members_match(population, models, rtol=1e-9, atol=1e-12)


def test_hand_written_backward_matches_with_example_weights():
    population, models = run_both(
        MLP, member_configs("adam", epochs=20), dtype=torch.float64, steps=60, weighted=True
    )
    assert_members_match(population, models, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("family", ["adam", "adamw"])
def test_wide_members_use_the_fused_adam_kernel_and_still_match(family):
    spec = ModelSpec(input_shape=(40,), num_classes=4, hidden=(48,))  # P ≥ 2048 → fused
    mixed = member_configs(family, epochs=10)[:3]  # different β1, β2: one call per member
    same = [c.model_copy(update={"beta1": 0.9, "beta2": 0.999}) for c in mixed]  # one call
    for configs in (mixed, same):
        population, models = run_both(spec, configs, dtype=torch.float64, steps=30)
        assert population.optimizer.fused
        assert_members_match(population, models, rtol=1e-9, atol=1e-12)

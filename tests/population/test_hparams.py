"""Per-member hyperparameter columns and their schedules."""

import math

import pytest
import torch

from orthotune.population._hparams import HyperParameters, perturbed_config
from orthotune.train import TrainConfig, lr_factor


def test_columns_hold_each_members_knobs_with_l2_divided_by_m():
    configs = [
        TrainConfig(optimizer="sgd", lr=0.1, l2=2.0),
        TrainConfig(optimizer="momentum", beta=0.8),
        TrainConfig(optimizer="nesterov", beta=0.95, grad_clip=1.5),
    ]
    hp = HyperParameters(configs, num_examples=200, device=torch.device("cpu"))
    assert hp.lr.shape == (3, 1)
    assert hp.weight_decay.flatten().tolist() == [0.01, 0.0, 0.0]
    assert hp.momentum.flatten().tolist() == [0.0, 0.8, 0.95]  # plain SGD: no momentum
    assert hp.nesterov.flatten().tolist() == [0.0, 0.0, 1.0]
    assert hp.max_norm.flatten().tolist() == [math.inf, math.inf, 1.5]


def test_learning_rate_follows_each_members_schedule_per_step():
    configs = [
        TrainConfig(lr=0.1, schedule="exponential", decay=0.5, epochs=4),
        TrainConfig(lr=0.2, schedule="one_cycle", epochs=4),
        TrainConfig(lr=0.3),
    ]
    hp = HyperParameters(configs, num_examples=10, device=torch.device("cpu"))
    for epoch in range(4):
        for step in range(5):
            got = hp.lr_at(epoch, step, 5).flatten().tolist()
            want = [c.lr * lr_factor(c, epoch, step=step, steps_per_epoch=5) for c in configs]
            assert got == pytest.approx(want, rel=1e-15)


def test_perturbation_clips_into_valid_ranges_and_keeps_dropout_off_where_it_was_off():
    config, rates = perturbed_config(
        TrainConfig(lr=0.01, beta2=0.999), (0.0, 0.5), {"lr": 3.0, "beta2": 2.0, "dropout": 4.0}
    )
    assert config.lr == pytest.approx(0.03)
    assert config.beta2 == 0.99999
    assert rates == (0.0, 0.95)
    unchanged, _ = perturbed_config(TrainConfig(), (), {"grad_clip": 2.0})
    assert unchanged.grad_clip is None

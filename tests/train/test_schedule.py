import math

import pytest
import torch

from orthotune.train import TrainConfig, lr_factor

EPOCHS = (0, 1, 2, 5, 9, 10, 25)


@pytest.mark.parametrize("t", EPOCHS)
def test_inverse_time_is_alpha0_over_one_plus_decay_epoch(t):
    cfg = TrainConfig(lr=0.2, schedule="inverse_time", decay=0.5)
    assert cfg.lr * lr_factor(cfg, t) == pytest.approx(0.2 / (1 + 0.5 * t))


@pytest.mark.parametrize("t", EPOCHS)
def test_exponential_is_alpha0_times_e_to_minus_decay_epoch(t):
    cfg = TrainConfig(lr=0.2, schedule="exponential", decay=0.3)
    assert cfg.lr * lr_factor(cfg, t) == pytest.approx(0.2 * math.exp(-0.3 * t))


@pytest.mark.parametrize("t", EPOCHS)
def test_inverse_sqrt_is_k_alpha0_over_sqrt_of_epoch_counted_from_one(t):
    cfg = TrainConfig(lr=0.2, schedule="inverse_sqrt", k=0.7)
    assert cfg.lr * lr_factor(cfg, t) == pytest.approx(0.7 * 0.2 / math.sqrt(t + 1))


@pytest.mark.parametrize(("t", "halvings"), [(0, 0), (9, 0), (10, 1), (19, 1), (20, 2), (25, 2)])
def test_staircase_halves_every_step_epochs(t, halvings):
    cfg = TrainConfig(lr=0.2, schedule="staircase", step_epochs=10, step_factor=0.5)
    assert cfg.lr * lr_factor(cfg, t) == pytest.approx(0.2 * 0.5**halvings)


@pytest.mark.parametrize("t", [0, 5, 10, 15, 20])
def test_cosine_anneals_to_zero_at_the_last_epoch(t):
    cfg = TrainConfig(schedule="cosine", epochs=20)
    assert lr_factor(cfg, t) == pytest.approx(0.5 * (1 + math.cos(math.pi * t / 20)))


def test_one_cycle_matches_torch_one_cycle_lr_at_every_step():
    epochs, steps = 4, 7
    cfg = TrainConfig(lr=0.1, schedule="one_cycle", epochs=epochs)
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    ref = torch.optim.lr_scheduler.OneCycleLR(
        opt,
        max_lr=0.1,
        epochs=epochs,
        steps_per_epoch=steps,
        anneal_strategy="cos",
        cycle_momentum=False,
    )
    for t in range(epochs):
        for s in range(steps):
            ours = cfg.lr * lr_factor(cfg, t, step=s, steps_per_epoch=steps)
            assert ours == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9, abs=1e-12)
            opt.step()
            ref.step()


def test_constant_is_one():
    assert lr_factor(TrainConfig(), 17) == 1.0

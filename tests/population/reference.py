"""The peer the population must equal: one model, torch.nn + the trainer's torch.optim optimizer.

A step-level loop on given batches (the trainer's own ``make_optimizer``: L2 as λ/m weight
decay on weights only, AdamW decoupled): the learning rate of each step is
α0 · lr_factor(config, epoch, step=…); gradient clipping by global norm; the batch loss is
Σ s·L / Σ s with example weights, else the mean. ``Trainer.fit`` itself is the peer of
``fit_population`` (tests/population/test_fit.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from orthotune.models import ModelSpec, build_model
from orthotune.train import TrainConfig, batch_norm_momentum, lr_factor, make_optimizer


def seeded_model(spec: ModelSpec, seed: int, dtype: torch.dtype) -> nn.Module:
    torch.manual_seed(seed)
    return build_model(spec).to(dtype)


def train_reference(
    model: nn.Module,
    config: TrainConfig,
    batches,
    *,
    num_examples: int,
    steps_per_epoch: int,
) -> list[float]:
    """Train ``model`` on ``batches`` [(x, y, w | None), …]; returns each step's loss."""
    opt = make_optimizer(model, config, num_train=num_examples)
    model.train()
    for module in model.modules():  # as the Trainer sets it: a memory of about one epoch
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.momentum = batch_norm_momentum(num_examples, config.batch_size)
    losses = []
    for k, (x, y, w) in enumerate(batches):
        epoch, step = divmod(k, steps_per_epoch)
        factor = lr_factor(config, epoch, step=step, steps_per_epoch=steps_per_epoch)
        for group in opt.param_groups:
            group["lr"] = config.lr * factor
        per_example = F.cross_entropy(model(x), y, reduction="none")
        loss = per_example.mean() if w is None else (per_example * w).sum() / w.sum()
        opt.zero_grad()
        loss.backward()
        if config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()
        losses.append(loss.item())
    return losses


def tiny_data(m: int, input_shape: tuple[int, ...], classes: int, *, dtype, seed: int = 0):
    """Random features x [m, *input_shape], labels y [m] and example weights s [m]."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(m, *input_shape, generator=g).to(dtype)
    y = torch.randint(0, classes, (m,), generator=g)
    s = (torch.rand(m, generator=g) + 0.5).to(dtype)
    return x, y, s


def shuffled_batches(m: int, batch: int, epochs: int, *, seed: int) -> list[torch.Tensor]:
    """Index batches of ``epochs`` shuffled passes over m examples (last batch smaller)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(epochs):
        perm = torch.randperm(m, generator=g)
        out.extend(perm[i : i + batch] for i in range(0, m, batch))
    return out


def assert_members_match(population, models, *, rtol: float, atol: float) -> None:
    """Every member's parameters and BN statistics equal its reference model's."""
    for member_id, model in models.items():
        state = population.state_dict(member_id)
        for name, ref in model.state_dict().items():
            if not ref.is_floating_point():
                continue
            torch.testing.assert_close(
                state[name],
                ref,
                rtol=rtol,
                atol=atol,
                msg=lambda s, n=name, i=member_id: f"member {i} {n}: {s}",
            )

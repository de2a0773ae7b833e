"""The peer the population must equal: one model trained with plain torch.nn + torch.optim.

Conventions (DESIGN.md): L2 λ/(2m)·Σ‖W‖² → weight_decay = λ/m on Linear/Conv weights only
(AdamW: decoupled, the same coefficient); the learning rate of each step is
α0 · lr_factor(config, epoch, step=…); gradient clipping by global norm; the batch loss is
Σ s·L / Σ s with example weights, else the mean.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from orthotune.models import ModelSpec, build_model
from orthotune.train import TrainConfig, lr_factor


def seeded_model(spec: ModelSpec, seed: int, dtype: torch.dtype) -> nn.Module:
    torch.manual_seed(seed)
    return build_model(spec).to(dtype)


def make_optimizer(model: nn.Module, config: TrainConfig, num_examples: int):
    decayed = [
        m.weight for m in model.modules() if isinstance(m, nn.Linear | nn.Conv1d | nn.Conv2d)
    ]
    ids = {id(p) for p in decayed}
    rest = [p for p in model.parameters() if id(p) not in ids]
    wd = config.l2 / num_examples
    groups = [{"params": decayed, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}]
    o = config.optimizer
    if o == "sgd":
        return torch.optim.SGD(groups, lr=config.lr)
    if o in ("momentum", "nesterov"):
        return torch.optim.SGD(
            groups, lr=config.lr, momentum=config.beta, nesterov=o == "nesterov"
        )
    if o == "rmsprop":
        return torch.optim.RMSprop(groups, lr=config.lr, alpha=config.beta, eps=config.eps)
    cls = torch.optim.AdamW if o == "adamw" else torch.optim.Adam
    return cls(groups, lr=config.lr, betas=(config.beta1, config.beta2), eps=config.eps)


def train_reference(
    model: nn.Module,
    config: TrainConfig,
    batches,
    *,
    num_examples: int,
    steps_per_epoch: int,
) -> list[float]:
    """Train ``model`` on ``batches`` [(x, y, w | None), …]; returns each step's loss."""
    opt = make_optimizer(model, config, num_examples)
    model.train()
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

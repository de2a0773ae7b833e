"""Optimizers from ``torch.optim`` with the lecture's conventions.

Which parameters are decayed (``decay_groups``): the weight matrices and kernels of every layer
(parameters with two or more dimensions); biases, batch-norm scales/shifts and any other 1-D
parameter are not. The population engine mirrors this rule by parameter name.

L2 regularization. The lecture minimizes J + λ/(2m)·Σ_l ‖W[l]‖²_F, m = number of training
examples, so the penalty adds (λ/m)·W to each weight gradient. What each optimizer does with it:

=============  ===============================================================================
optimizer      torch call and what it means for λ
=============  ===============================================================================
sgd            SGD(lr=α, weight_decay=λ/m): W ← W − α(dW + λ/m·W) — exactly the lecture's rule.
momentum       SGD(momentum=β, dampening=0, weight_decay=λ/m): v ← βv + (dW + λ/m·W); W ← W − αv.
               torch's form omits the lecture's (1−β) factor on the gradient ("the quotient 1−β
               is often omitted"): α here equals α_lecture/(1−β).
nesterov       as momentum with ``nesterov=True``.
rmsprop        RMSprop(alpha=β, eps=ε, weight_decay=λ/m): s ← βs + (1−β)g², W ← W − α·g/(√s+ε),
               g = dW + λ/m·W (the L2 gradient is adapted with the data gradient: coupled L2).
adam           Adam(betas=(β1, β2), eps=ε, weight_decay=λ/m): coupled L2 — Adam is run on the
               gradient of J + λ/(2m)‖W‖², bias corrections as in the lecture.
adamw          AdamW(betas=(β1, β2), eps=ε, weight_decay=λ/m): decoupled decay — Adam runs on dW
               alone and each step also shrinks W ← W − α·(λ/m)·W, the same shrink plain SGD's
               L2 applies, not rescaled by Adam's √s.
=============  ===============================================================================

In every case the penalty is added inside ``optimizer.step()``, so gradient-norm clipping acts
on the data gradient only. The learning rate of every group is set by the trainer at each step
(``config.lr`` times ``lr_factor``); the groups carry their own ``weight_decay``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from orthotune.train._config import TrainConfig

__all__ = ["decay_groups", "l2_weight_decay", "make_optimizer"]

_NORM_TYPES = (
    nn.modules.batchnorm._NormBase,
    nn.LayerNorm,
    nn.GroupNorm,
)


def decay_groups(model: nn.Module) -> list[dict[str, Any]]:
    """The model's trainable parameters as two torch param groups: decayed and not decayed.

    Each group is ``{"params": [...], "names": [...], "l2": bool}``: ``l2`` True for weight
    matrices and conv kernels (ndim ≥ 2, outside normalization layers); False for biases,
    batch-norm parameters and other 1-D parameters. Empty groups are kept (stable layout).
    """
    decay: list[tuple[str, nn.Parameter]] = []
    plain: list[tuple[str, nn.Parameter]] = []
    for module_name, module in model.named_modules():
        for name, p in module.named_parameters(recurse=False):
            if not p.requires_grad:
                continue
            full = f"{module_name}.{name}" if module_name else name
            is_weight = p.ndim >= 2 and not isinstance(module, _NORM_TYPES)
            (decay if is_weight else plain).append((full, p))
    return [
        {"params": [p for _, p in decay], "names": [n for n, _ in decay], "l2": True},
        {"params": [p for _, p in plain], "names": [n for n, _ in plain], "l2": False},
    ]


def l2_weight_decay(config: TrainConfig, *, num_train: int) -> float:
    """torch ``weight_decay`` of the decayed group: λ/m (see the module doc for each optimizer)."""
    if num_train <= 0:
        raise ValueError(f"num_train must be positive, got {num_train}")
    return config.l2 / num_train


def _as_groups(params_or_groups: nn.Module | Iterable[Any]) -> list[dict[str, Any]]:
    if isinstance(params_or_groups, nn.Module):
        return decay_groups(params_or_groups)
    items = list(params_or_groups)
    if items and isinstance(items[0], dict):
        return [dict(g) for g in items]
    # bare parameters: the same rule by dimensionality (matrices decayed, vectors not)
    params = [p for p in items if p.requires_grad]
    return [
        {"params": [p for p in params if p.ndim >= 2], "l2": True},
        {"params": [p for p in params if p.ndim < 2], "l2": False},
    ]


def make_optimizer(
    params_or_groups: nn.Module | Iterable[Any], config: TrainConfig, *, num_train: int
) -> torch.optim.Optimizer:
    """The torch optimizer of ``config.optimizer`` with the lecture's L2 (λ/m on weights only).

    ``params_or_groups``: a module (split by ``decay_groups``), groups with an ``l2`` key, or
    bare parameters (matrices decayed, vectors not). ``num_train`` is m.
    """
    wd = l2_weight_decay(config, num_train=num_train)
    groups = []
    for g in _as_groups(params_or_groups):
        if not g["params"]:
            continue
        g = {k: v for k, v in g.items() if k != "names"}
        g["weight_decay"] = wd if g.get("l2", True) else 0.0
        groups.append(g)
    if not groups:
        raise ValueError("the model has no trainable parameters")
    lr = config.lr
    name = config.optimizer
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(groups, lr=lr, momentum=config.beta, nesterov=name == "nesterov")
    if name == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, alpha=config.beta, eps=config.eps)
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr, betas=(config.beta1, config.beta2), eps=config.eps)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr, betas=(config.beta1, config.beta2), eps=config.eps)
    raise ValueError(f"unknown optimizer {name!r}")

"""Example weights (lecture: "Different Treatment of Training Examples").

The cost with a strengthening factor s(i) per example is
J = Σ s(i)·L(a(i), y(i)) / Σ s(i); with every s(i) = 1 it is the plain mean. The trainers apply it
per mini-batch. ``class_balance_weights`` gives each class the same total weight.
"""

from __future__ import annotations

import torch


def class_balance_weights(y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """s(i) = n / (K · n_class(i)) over the K classes present: every class weighs the same in
    total and the weights average 1. Returns float32 ``[n]``."""
    y = torch.as_tensor(y, dtype=torch.long)
    counts = torch.bincount(y, minlength=num_classes).to(torch.float64)
    present = int((counts > 0).sum())
    if present == 0:
        return torch.zeros(0, dtype=torch.float32)
    per_class = torch.where(counts > 0, len(y) / (present * counts.clamp(min=1)), 0.0)
    return per_class[y].to(torch.float32)


def weighted_mean_loss(
    per_example_loss: torch.Tensor, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """J = Σ s(i)·L(i) / Σ s(i) (the plain mean when ``weights`` is None).

    A batch whose weights are all zero contributes 0 (with a zero gradient), not 0/0.
    """
    if weights is None:
        return per_example_loss.mean()
    s = weights.to(per_example_loss.dtype)
    total = s.sum()
    weighted = (s * per_example_loss).sum()
    return torch.where(
        total > 0, weighted / total.clamp(min=torch.finfo(s.dtype).tiny), 0 * weighted
    )

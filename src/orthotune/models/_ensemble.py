"""``Ensemble``: K networks that answer as one model.

Its output is the log of the members' averaged softmax probabilities, so everything that
takes a model's logits works on it unchanged: ``argmax`` is the ensemble's prediction and
``softmax`` gives back the averaged probabilities exactly (softmax of log p is p when p sums to
one). Averaging probabilities, not logits, is the usual deep-ensemble rule: a member that is
sure does not outvote the others by the size of its logits.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["Ensemble"]


class Ensemble(nn.Module):
    """K members with the same input and classes; ``forward`` → log of the mean probabilities."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(members)

    def __len__(self) -> int:
        return len(self.members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logp = torch.stack([m(x).float().log_softmax(-1) for m in self.members])
        return torch.logsumexp(logp, dim=0) - math.log(len(self.members))

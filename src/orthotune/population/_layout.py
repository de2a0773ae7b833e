"""``ParamLayout``: where each member parameter lives in the population's flat buffers.

All trainable parameters of one member are laid out in one row of a matrix ``theta: [N, P]``
(member-major), so that every per-member hyperparameter is a column ``[N, 1]`` that broadcasts
over its row, and the optimizer updates the whole population with a handful of full-size ops.
Gradients and optimizer states use the same layout (``grad: [N, P]``, ``exp_avg: [N, P]`` …).

Rows are ordered *decayed first*: the weights of Linear and Conv layers (which L2 decays) occupy
``theta[:, :num_decayed]``; biases and batch-norm parameters (never decayed) follow. Each
parameter keeps torch's own layout inside the row (a Linear weight is ``[out, in]``), so a member
exports to ``build_model(spec)`` by copying slices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ParamSlot:
    """One parameter tensor of a member: its state-dict name, shape and place in the row."""

    name: str
    shape: tuple[int, ...]
    offset: int
    decayed: bool

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def view(self, flat: torch.Tensor) -> torch.Tensor:
        """The ``[N, *shape]`` view of this parameter inside ``flat: [N, P]`` (no copy)."""
        n = flat.shape[0]
        return flat[:, self.offset : self.offset + self.size].view(n, *self.shape)


@dataclass(frozen=True)
class ParamLayout:
    """The parameter slots of one architecture and the batch-norm buffers beside them."""

    slots: tuple[ParamSlot, ...]
    num_decayed: int
    buffers: tuple[tuple[str, tuple[int, ...]], ...]  # BN running_mean / running_var shapes

    @property
    def size(self) -> int:
        """P: parameters per member."""
        return sum(s.size for s in self.slots)

    @classmethod
    def of(cls, model: nn.Module) -> ParamLayout:
        """The layout of ``model``'s parameters (decayed weights first, then the rest)."""
        decayed_names = {
            f"{prefix}.weight" if prefix else "weight"
            for prefix, m in model.named_modules()
            if isinstance(m, nn.Linear | nn.Conv1d | nn.Conv2d)
        }
        named = [(k, p) for k, p in model.named_parameters() if p.requires_grad]
        ordered = [kp for kp in named if kp[0] in decayed_names] + [
            kp for kp in named if kp[0] not in decayed_names
        ]
        slots, offset = [], 0
        for name, p in ordered:
            slots.append(ParamSlot(name, tuple(p.shape), offset, name in decayed_names))
            offset += p.numel()
        num_decayed = sum(s.size for s in slots if s.decayed)
        buffers = tuple(
            (name, tuple(b.shape))
            for name, b in model.named_buffers()
            if name.endswith(("running_mean", "running_var"))
        )
        return cls(tuple(slots), num_decayed, buffers)

    def stack(self, models: list[nn.Module], *, dtype: torch.dtype, device: torch.device):
        """``theta: [N, P]`` and each BN buffer ``[N, C]`` from N built members."""
        rows = []
        for m in models:
            params = dict(m.named_parameters())
            rows.append(torch.cat([params[s.name].detach().reshape(-1) for s in self.slots]))
        theta = torch.stack(rows).to(device=device, dtype=dtype).contiguous()
        buffers = {}
        for name, _ in self.buffers:
            buffers[name] = torch.stack(
                [dict(m.named_buffers())[name].detach() for m in models]
            ).to(device=device, dtype=dtype)
        return theta, buffers

    def state_dict(
        self, theta_row: torch.Tensor, buffers: dict[str, torch.Tensor], batches_tracked: int
    ) -> dict[str, torch.Tensor]:
        """One member's ``state_dict`` (copies) from its row ``theta_row: [P]`` and its
        buffers (``[C]`` each)."""
        out = {
            s.name: theta_row[s.offset : s.offset + s.size].reshape(s.shape).clone()
            for s in self.slots
        }
        for name, _ in self.buffers:
            out[name] = buffers[name].clone()
            prefix = name.rsplit(".", 1)[0]
            out[f"{prefix}.num_batches_tracked"] = torch.tensor(batches_tracked)
        return out

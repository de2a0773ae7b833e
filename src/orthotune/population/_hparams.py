"""Per-member hyperparameters: each member's ``TrainConfig`` as columns ``[N, 1]``.

The members of one population share the optimizer family and the batch size (``group_key``);
everything else may differ per member and is held here as a float64 column that the vectorized
optimizer broadcasts over the member's row of the flat buffers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from orthotune._errors import InvalidInputError
from orthotune.train import TrainConfig, lr_factor

FAMILIES = ("sgd", "rmsprop", "adam", "adamw")

# Knobs that ``Population.perturb`` may multiply, with the range a result is clipped into.
PERTURBABLE: dict[str, tuple[float, float]] = {
    "lr": (1e-12, math.inf),
    "beta": (0.0, 0.9999),
    "beta1": (0.0, 0.9999),
    "beta2": (0.0, 0.99999),
    "eps": (1e-16, 1.0),
    "l2": (0.0, math.inf),
    "dropout": (0.0, 0.95),
    "grad_clip": (1e-12, math.inf),
}


def optimizer_family(config: TrainConfig) -> str:
    """sgd (plain, momentum and Nesterov share one family), rmsprop, adam or adamw."""
    return config.group_key()[0]


class HyperParameters:
    """Columns ``[N, 1]`` (float64) of the knobs the optimizer needs, one row per member.

    lr: base learning rate α0 · momentum: β of momentum/Nesterov (0 for plain SGD) ·
    nesterov: 1.0 where Nesterov · alpha: RMSprop's β · beta1, beta2, eps: Adam's ·
    weight_decay: λ/m (the lecture's L2 λ/(2m)·Σ‖W‖² as torch's weight_decay) ·
    max_norm: gradient clipping threshold (inf = none).
    """

    def __init__(
        self,
        configs: Sequence[TrainConfig],
        *,
        num_examples: int,
        device: torch.device,
    ):
        self.configs = list(configs)
        self.num_examples = num_examples
        self.device = device
        col = self._column
        cs = self.configs
        self.lr = col([c.lr for c in cs])
        sgd_like = [c.optimizer in ("momentum", "nesterov") for c in cs]
        self.momentum = col([c.beta if s else 0.0 for c, s in zip(cs, sgd_like, strict=True)])
        self.nesterov = col([1.0 if c.optimizer == "nesterov" else 0.0 for c in cs])
        self.alpha = col([c.beta for c in cs])
        self.beta1 = col([c.beta1 for c in cs])
        self.beta2 = col([c.beta2 for c in cs])
        self.eps = col([c.eps for c in cs])
        self.weight_decay = col([c.l2 / num_examples for c in cs])
        self.max_norm = col([c.grad_clip if c.grad_clip is not None else math.inf for c in cs])
        self.any_momentum = any(sgd_like)
        self.any_nesterov = any(c.optimizer == "nesterov" for c in cs)
        self.all_nesterov = all(c.optimizer == "nesterov" for c in cs)
        self.any_decay = any(c.l2 > 0 for c in cs)
        self.any_clip = any(c.grad_clip is not None for c in cs)
        self.adam_keys = [(c.beta1, c.beta2, c.eps) for c in cs]  # on the host: no read back
        # schedule multipliers: members whose schedule changes within an epoch (one_cycle) get
        # the whole epoch's steps at its first step, as one [S, N, 1] table on the device, so
        # that no step copies a host value to the device (on a GPU that copy waits for the
        # queue); the others once per epoch.
        self._per_step = [c.schedule == "one_cycle" for c in cs]
        self._constant = all(c.schedule == "constant" for c in cs)
        self._epoch: tuple[int, int] | None = None  # (epoch, steps per epoch) of the table
        self._table: torch.Tensor | None = None  # [S, N, 1] or [1, N, 1]

    def _column(self, values: list[float]) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.float64, device=self.device).view(-1, 1)

    def lr_at(self, epoch: int, step: int, steps_per_epoch: int) -> torch.Tensor:
        """α0 · schedule multiplier of every member at (epoch, step): ``[N, 1]`` float64."""
        if self._constant:
            return self.lr
        if self._epoch != (epoch, steps_per_epoch) or self._table is None:
            self._epoch = (epoch, steps_per_epoch)
            steps = range(steps_per_epoch) if any(self._per_step) else range(1)
            self._table = torch.tensor(
                [
                    [
                        c.lr
                        * lr_factor(
                            c, epoch, step=s if per_step else 0, steps_per_epoch=steps_per_epoch
                        )
                        for c, per_step in zip(self.configs, self._per_step, strict=True)
                    ]
                    for s in steps
                ],
                dtype=torch.float64,
                device=self.device,
            ).unsqueeze(-1)
        return self._table[min(step, self._table.shape[0] - 1)]


def perturbed_config(config: TrainConfig, dropout: tuple[float, ...], factors: dict[str, float]):
    """``config`` and per-layer ``dropout`` with each named knob multiplied by its factor and
    clipped into its valid range (``PERTURBABLE``)."""
    unknown = sorted(set(factors) - set(PERTURBABLE))
    if unknown:
        raise InvalidInputError(
            f"cannot perturb {', '.join(unknown)}: accepted knobs are "
            f"{', '.join(PERTURBABLE)}; fix the factor names"
        )
    update: dict[str, float] = {}
    for name, factor in factors.items():
        if not (isinstance(factor, int | float) and math.isfinite(factor) and factor > 0):
            raise InvalidInputError(
                f"perturbation factor {name}={factor!r} is not a positive finite number: "
                "give e.g. 0.8 or 1.2"
            )
        low, high = PERTURBABLE[name]
        if name == "dropout":
            dropout = tuple(min(max(r * factor, low), high) if r > 0 else 0.0 for r in dropout)
            continue
        if name == "grad_clip" and config.grad_clip is None:
            continue
        update[name] = min(max(getattr(config, name) * factor, low), high)
    return config.model_copy(update=update), dropout

"""``train_alone``: one candidate trained by the ``Trainer``, as every path that trains models one
after another does it (the sequential executor, k-fold's fold models, the learning curve's
fractions, the label-issue fold models when a population does not pay)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from orthotune.fit._trained import Candidate
from orthotune.models import build_model

__all__ = ["train_alone"]


def train_alone(
    cand: Candidate,
    train: Any,
    dev: Any = None,
    *,
    device: torch.device | str,
    time_budget_s: float | None = None,
    callbacks: Sequence = (),
) -> tuple[nn.Module, Any]:
    """Seed torch with ``cand.seed``, build ``cand.spec`` (warm-started from ``cand.init``) and
    fit it on ``train`` (watching ``dev``) with ``cand.config``: the model, left in eval mode,
    and its ``TrainResult`` — without the final errors on the whole of ``train`` and ``dev``
    (None): every caller scores the model per example itself, and on MNIST-1D's starting CNN
    those two more passes took 0.32 s of a 21-s model (cProfile). A Ctrl-C raises
    ``KeyboardInterrupt``: it stops the job, not one model. Any other failure propagates; the
    caller says what it means for its candidate."""
    from orthotune.train import StopReason, Trainer

    torch.manual_seed(cand.seed)
    model = build_model(cand.spec)
    if cand.init is not None:
        cand.init.initialize(model)
    trainer = Trainer(
        cand.config,
        device=device,
        seed=cand.seed,
        time_budget_s=time_budget_s,
        callbacks=list(callbacks),
        final_eval=False,
    )
    result = trainer.fit(model, train, dev)
    if result.stop_reason == StopReason.INTERRUPTED:
        raise KeyboardInterrupt
    return model, result

"""Executors: train a batch of candidates and score them on train / train-dev / dev.

``train_candidates(candidates, data, executor=…)`` is what both the search and the autopilot
call. ``population`` (the default, the lecture's Caviar) groups candidates by DESIGN.md's key —
(``ModelSpec.shape_key()``, ``TrainConfig.group_key()``) — and trains each group as one
``Population``; ``sequential`` (Panda) trains one model after another through the ``Trainer``
and is the fallback for anything a population cannot vectorize. Both return the same
``Trained`` records, so callers never care which ran.

The test part is never touched here: it is scored once, for the chosen model, by the caller.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from orthotune.data._prepare import Part, PreparedData
from orthotune.models import ModelSpec, build_model
from orthotune.train import TrainConfig

__all__ = ["EXECUTORS", "Candidate", "Trained", "score_parts", "train_candidates"]

logger = logging.getLogger(__name__)

EXECUTORS = ("population", "sequential")


@dataclass(frozen=True)
class Candidate:
    """A model to train: its architecture, its training and its seed."""

    name: str
    spec: ModelSpec
    config: TrainConfig
    seed: int = 0


@dataclass
class Trained:
    """A trained candidate: the model, its history and its per-example mistakes per part.

    ``wrong[part]`` is a bool vector over that part's examples (True = misclassified), so two
    candidates can be compared example by example (paired). ``failed`` holds the reason a
    candidate could not be trained (non-finite loss, an exception); a failed candidate has no
    errors and can never be chosen.
    """

    candidate: Candidate
    model: nn.Module | None
    history: list = field(default_factory=list)
    stop_reason: str = ""
    stop_message: str = ""
    wrong: dict[str, torch.Tensor] = field(default_factory=dict)
    seconds: float = 0.0
    failed: str | None = None
    complete: bool = True  # False when the time budget cut the training short

    def error(self, part: str) -> float | None:
        w = self.wrong.get(part)
        return None if w is None else float(w.float().mean())

    @property
    def errors(self) -> dict[str, float]:
        return {p: float(w.float().mean()) for p, w in self.wrong.items()}


@torch.no_grad()
def score_parts(
    model: nn.Module, parts: dict[str, Part], *, device: torch.device
) -> dict[str, torch.Tensor]:
    """Per-example mistakes of ``model`` (eval mode) on each part: {part: bool [n]}."""
    model.eval()
    out = {}
    for name, part in parts.items():
        preds = [
            model(part.x[a : a + 8192].to(device)).argmax(1).cpu()
            for a in range(0, len(part), 8192)
        ]
        out[name] = torch.cat(preds) != part.y
    return out


def _train_one(
    cand: Candidate, data: PreparedData, *, device: torch.device, deadline: float | None
) -> Trained:
    from orthotune.train import Trainer
    from orthotune.train._result import StopReason

    started = time.perf_counter()
    torch.manual_seed(cand.seed)
    model = build_model(cand.spec)
    left = None if deadline is None else max(deadline - time.monotonic(), 1e-3)
    trainer = Trainer(cand.config, device=device, seed=cand.seed, time_budget_s=left)
    tr, dv = data.train, data.dev
    try:
        result = trainer.fit(model, (tr.x, tr.y, tr.weights), (dv.x, dv.y, dv.weights))
    except Exception as err:  # one candidate's failure never stops the others
        logger.warning("candidate %s failed: %s", cand.name, err)
        return Trained(
            cand, None, failed=f"{type(err).__name__}: {err}", seconds=time.perf_counter() - started
        )
    if result.stop_reason == StopReason.NON_FINITE:
        return Trained(
            cand,
            None,
            history=result.history,
            stop_reason=result.stop_reason.value,
            stop_message=result.stop_message,
            failed=result.stop_message,
            seconds=time.perf_counter() - started,
        )
    return Trained(
        cand,
        model,
        history=result.history,
        stop_reason=result.stop_reason.value,
        stop_message=result.stop_message,
        wrong=score_parts(model, data.parts(), device=trainer.device),
        seconds=time.perf_counter() - started,
        complete=result.stop_reason != StopReason.TIME_BUDGET,
    )


def train_candidates(
    candidates: Sequence[Candidate],
    data: PreparedData,
    *,
    executor: str = "population",
    device: str = "auto",
    deadline: float | None = None,
    on_trained: Callable[[Trained], None] | None = None,
) -> list[Trained]:
    """Train every candidate (``deadline`` on ``time.monotonic()``); results in input order."""
    from orthotune.train._trainer import resolve_device

    dev = resolve_device(device)
    results: list[Trained] = []
    for i, cand in enumerate(candidates):
        # one after another: each candidate gets an equal share of the time that is left
        share = None
        if deadline is not None:
            share = time.monotonic() + (deadline - time.monotonic()) / (len(candidates) - i)
        trained = _train_one(cand, data, device=dev, deadline=share)
        if on_trained is not None:
            on_trained(trained)
        results.append(trained)
    return results

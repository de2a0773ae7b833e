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

__all__ = ["EXECUTORS", "Candidate", "EpochHook", "Trained", "score_parts", "train_candidates"]

logger = logging.getLogger(__name__)

EXECUTORS = ("population", "sequential")

# Called after every epoch of every candidate with (candidate, epoch, dev error); returning True
# prunes it (stops its training; the ``Trained`` record says ``pruned``).
EpochHook = Callable[["Candidate", int, float | None], bool]


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
    pruned: bool = False  # True when ``on_epoch`` asked to stop it early (Hyperband & co.)

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


PRUNED_MESSAGE = "pruned: its per-epoch value fell behind (the search's pruner)"


def _epoch_callback(cand: Candidate, on_epoch: EpochHook | None):
    """A Trainer callback: the ``during_trial`` fault point and the search's pruning hook."""
    from orthotune.search._faults import fault_point
    from orthotune.train import Callback
    from orthotune.train._result import StopReason

    class _Epochs(Callback):
        pruned = False

        def on_epoch_end(self, state, record) -> None:
            fault_point("during_trial")
            if on_epoch is not None and on_epoch(cand, record.epoch, record.dev_error):
                self.pruned = True
                state.request_stop(StopReason.CALLBACK, PRUNED_MESSAGE)

    return _Epochs()


def _train_one(
    cand: Candidate,
    data: PreparedData,
    *,
    device: torch.device,
    deadline: float | None,
    on_epoch: EpochHook | None = None,
) -> Trained:
    from orthotune.train import Trainer
    from orthotune.train._result import StopReason

    started = time.perf_counter()
    torch.manual_seed(cand.seed)
    model = build_model(cand.spec)
    left = None if deadline is None else max(deadline - time.monotonic(), 1e-3)
    hook = _epoch_callback(cand, on_epoch)
    trainer = Trainer(
        cand.config, device=device, seed=cand.seed, time_budget_s=left, callbacks=[hook]
    )
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
        pruned=hook.pruned,
    )


def train_candidates(
    candidates: Sequence[Candidate],
    data: PreparedData,
    *,
    executor: str = "population",
    device: str = "auto",
    deadline: float | None = None,
    on_trained: Callable[[Trained], None] | None = None,
    on_epoch: EpochHook | None = None,
) -> list[Trained]:
    """Train every candidate (``deadline`` on ``time.monotonic()``); results in input order.

    ``on_epoch(candidate, epoch, dev_error)`` runs after each epoch (report intermediate values
    there); returning True prunes that candidate. ``on_trained`` runs as each one finishes.
    """
    from orthotune.train._trainer import resolve_device

    dev = resolve_device(device)
    results: list[Trained] = []
    for i, cand in enumerate(candidates):
        # one after another: each candidate gets an equal share of the time that is left
        share = None
        if deadline is not None:
            share = time.monotonic() + (deadline - time.monotonic()) / (len(candidates) - i)
        trained = _train_one(cand, data, device=dev, deadline=share, on_epoch=on_epoch)
        if on_trained is not None:
            on_trained(trained)
        results.append(trained)
    return results

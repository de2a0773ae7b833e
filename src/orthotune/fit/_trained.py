"""What an executor hands back, and what both executors and cross-validation share.

``Candidate`` (a model to train), ``Trained`` (a trained one: model, history, per-example
mistakes per part), ``score_parts``, the grouping of candidates into populations
(``candidate_groups``), the deadline helpers and ``at_precision``. It sits below ``_executor``
and ``_folds`` so that neither imports the other back (``_executor`` calls ``_folds`` for
k-fold candidates).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from orthotune.data import Part
from orthotune.models import ModelSpec
from orthotune.train import TrainConfig, WarmStart

__all__ = [
    "NOT_STARTED",
    "Candidate",
    "Trained",
    "at_precision",
    "candidate_groups",
    "group_failed",
    "not_started",
    "out_of_time",
    "score_parts",
    "shared_seconds",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """A model to train: its architecture, its training and its seed; ``weights``: example
    weights of ``data.train`` to train with instead of the data's own (the reweighting knob);
    ``init``: the weights it starts from (transfer learning; ``spec`` is then ``init.spec``);
    ``label``: what a person calls it in live progress (an autopilot variant's label)."""

    name: str
    spec: ModelSpec
    config: TrainConfig
    seed: int = 0
    weights: torch.Tensor | None = field(default=None, compare=False, repr=False)
    init: WarmStart | None = None
    label: str = field(default="", compare=False)


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
    # PBT: each exploit this member underwent — {"epoch", "from" (the winner's name), "values"}
    lineage: list[dict] = field(default_factory=list)
    # k-fold only: out-of-fold logits [m, classes] of the pooled examples (row i from the fold
    # model that never saw example i) and their labels — what temperature scaling is fitted on
    dev_logits: torch.Tensor | None = field(default=None, repr=False)
    dev_y: torch.Tensor | None = field(default=None, repr=False)

    def error(self, part: str) -> float | None:
        w = self.wrong.get(part)
        return None if w is None else error_rate(w)

    @property
    def errors(self) -> dict[str, float]:
        return {p: error_rate(w) for p, w in self.wrong.items()}


def error_rate(wrong: torch.Tensor) -> float:
    """The share of True in a per-example mistakes vector, exactly (mistakes ÷ examples in
    double precision; NaN when empty). A float32 mean rounds: 17 mistakes in 1,000 gave
    0.017000000923871994, so an accuracy of exactly 0.983 read as 0.98299999… and missed a
    target of 0.978 + 0.005 that the same count reached when counted exactly
    (``bench/search_vs_optuna.py`` on MNIST-1D, seed 1)."""
    n = wrong.numel()
    return int(wrong.sum()) / n if n else float("nan")


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


def group_failed(cands: Sequence[Candidate], err: Exception, started: float) -> list[Trained]:
    """A failed ``Trained`` for every candidate of a population that could not be built or
    trained (``started``: its ``time.perf_counter()`` start)."""
    logger.warning("population of %d candidates failed: %s", len(cands), err)
    why = f"{type(err).__name__}: {err}"
    return [Trained(c, None, failed=why, seconds=time.perf_counter() - started) for c in cands]


NOT_STARTED = "not trained: the time budget ran out before its turn"


def shared_seconds(histories: Sequence[Sequence], total: float) -> list[float]:
    """Each population member's share of the population's ``total`` seconds: epoch by epoch,
    the epoch's wall time split among the members that trained in it, then scaled to the total
    (building and scoring included); equal shares where no epoch was recorded. An equal split
    charged a kept model of 270 epochs, trained beside one of 180 (20.2 s for the two, its last
    90 epochs alone), 10.1 s, and its refit, estimated from that, was cut at the deadline after
    17.7 s."""
    from collections import Counter

    members = Counter(r.epoch for h in histories for r in h)  # members that trained epoch t
    share = [sum(r.seconds / members[r.epoch] for r in h) for h in histories]
    whole = sum(share)
    if not histories or whole <= 0:
        return [total / max(len(histories), 1)] * len(histories)
    return [total * s / whole for s in share]


def out_of_time(deadline: float | None) -> bool:
    """Whether ``deadline`` (on ``time.monotonic()``) has passed."""
    return deadline is not None and time.monotonic() >= deadline


def not_started(cand: Candidate) -> Trained:
    """The result of a candidate whose turn came after the deadline: no model, not complete."""
    return Trained(cand, None, stop_reason="time_budget", stop_message=NOT_STARTED, complete=False)


def candidate_groups(candidates: Sequence[Candidate]) -> list:
    """DESIGN.md's groups (``group_trials``), split further by the example weights their
    candidates train with; a candidate that freezes layers of its initial weights gets a group
    of its own for the sequential ``Trainer`` (a population trains every layer)."""
    from orthotune.population import TrialGroup, group_trials

    groups = []
    for group in group_trials([(c.spec, c.config) for c in candidates]):
        by_weights: dict[int, list[int]] = {}
        for i in group.indices:
            init = candidates[i].init
            if group.vectorized and init is not None and init.freeze:
                why = f"it keeps its first {init.freeze} layers frozen"
                groups.append(TrialGroup([i], group.key, False, why))
                continue
            by_weights.setdefault(id(candidates[i].weights), []).append(i)
        groups += [dataclasses.replace(group, indices=ix) for ix in by_weights.values()]
    return groups


def at_precision(cand: Candidate, choice: str, device: torch.device) -> Candidate:
    """``cand`` set to train in the precision ``choice`` (``auto``, ``fp32``, ``bf16``) resolves
    to for its network on ``device``."""
    from orthotune.train import resolve_precision

    chosen = resolve_precision(choice, cand.spec, device)
    return dataclasses.replace(cand, config=cand.config.model_copy(update={"precision": chosen}))

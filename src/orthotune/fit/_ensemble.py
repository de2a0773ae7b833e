"""``train_ensemble``: K seeds of one configuration, trained at once, kept as one model.

``orthotune train DATA --ensemble K`` calls it. The K candidates differ only in their seed
(``seed``, ``seed + 1``, …: initial weights, shuffling, dropout and augmentation draws); they
share a shape, an optimizer family and a batch size, so the ``population`` executor trains them
as one ``Population`` (one batched step for all K), and anything a population cannot vectorize
(frozen layers of a warm start) trains through the sequential ``Trainer``. The members that
trained become one ``models.Ensemble`` (the log of their averaged probabilities), which is
scored once on every part as one model: the run's errors, diagnosis, calibration and
checkpoint are the ensemble's. A member that diverged, or whose turn came after the time
budget, is left out and named in the stop message; when none trained, one line says so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from orthotune._errors import InvalidInputError
from orthotune.fit._executor import train_candidates
from orthotune.fit._trained import Candidate, Trained
from orthotune.models import MAX_PARAMETERS, Ensemble, ModelSpec
from orthotune.train import (
    StopReason,
    TrainConfig,
    TrainedModel,
    TrainResult,
    WarmStart,
    batch_bounds,
    measure_trained,
    prepare_split,
    resolve_device,
)

__all__ = ["check_ensemble_size", "train_ensemble"]

logger = logging.getLogger(__name__)


def check_ensemble_size(size: Any, spec: ModelSpec | None = None) -> int:
    """``--ensemble K``: an integer ≥ 1 — and, with the members' ``spec``, K models of no more
    weights together than one model may have (``MAX_PARAMETERS``: ``--ensemble 100000`` was
    killed for memory after 20 GB, its run folder left behind) — else one line saying so."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidInputError(
            f"--ensemble {size!r} is not accepted: give the number of models to average, an "
            "integer >= 1 (1 = one model); e.g. --ensemble 5"
        )
    if spec is not None and size * spec.weight_count() > MAX_PARAMETERS:
        most = max(1, MAX_PARAMETERS // max(1, spec.weight_count()))
        raise InvalidInputError(
            f"--ensemble {size}: {size:,} models of {spec.weight_count():,} weights each are "
            f"more than the {MAX_PARAMETERS:,} weights accepted in all; give --ensemble {most} "
            "or fewer (5 to 10 members give most of an ensemble's gain)"
        )
    return size


def train_ensemble(
    dataset: Any,
    split: Any,
    spec: ModelSpec,
    config: TrainConfig,
    *,
    size: int,
    seed: int = 0,
    device: str = "auto",
    time_budget_s: float | None = None,
    init: WarmStart | None = None,
    executor: str = "population",
    on_member: Callable[[int, Trained], None] | None = None,
    bins: int = 0,
) -> TrainedModel:
    """Train ``size`` seeds of (``spec``, ``config``) on ``split``'s training part (dev watched)
    and return their ``Ensemble`` measured on every part, test included (module doc).

    ``on_member(k, trained)`` runs as member k (0-based) finishes; ``bins``: binned inputs
    (``train.prepare_split``)."""
    check_ensemble_size(size)
    prepared = prepare_split(dataset, split, spec, bins=bins)
    dev = resolve_device(device)
    started = time.perf_counter()
    deadline = None if time_budget_s is None else time.monotonic() + time_budget_s
    candidates = [
        Candidate(f"member-{k + 1}", spec, config, seed=seed + k, init=init) for k in range(size)
    ]
    order = {c.name: k for k, c in enumerate(candidates)}
    trained = train_candidates(
        candidates,
        prepared,
        executor=executor,
        device=str(dev),
        deadline=deadline,
        on_trained=None if on_member is None else lambda t: on_member(order[t.candidate.name], t),
    )
    kept = [t for t in trained if t.model is not None and not t.failed]
    left_out = [(k, t) for k, t in enumerate(trained, start=1) if t.model is None or t.failed]
    if not kept:
        k, first = left_out[0]
        why = first.failed or first.stop_message
        raise InvalidInputError(
            f"--ensemble {size}: none of the {size} members trained (member {k}: {why}); "
            "lower --lr, add --grad-clip, or give a larger --time-budget"
        )
    if left_out:
        logger.warning(
            "%d of %d ensemble members left out: %s",
            len(left_out),
            size,
            "; ".join(f"member {k}: {t.failed or t.stop_message}" for k, t in left_out),
        )
    result = _ensemble_result(
        trained,
        config,
        m=len(prepared.train),
        seconds=time.perf_counter() - started,
        device=str(dev),
        seed=seed,
    )
    return measure_trained(
        Ensemble([t.model for t in kept]),
        prepared,
        spec=spec,
        config=config,
        result=result,
        device=dev,
        init_from=None if init is None else init.record,
        member_histories=[t.history for t in kept],
    )


def _ensemble_result(
    trained: list[Trained], config: TrainConfig, *, m: int, seconds: float, device: str, seed: int
) -> TrainResult:
    """The ensemble's ``TrainResult``: no history of its own (each member has one), the stop
    reason its members share (else the first that is not ``completed``), every member's stop
    message, the most epochs any member ran."""
    reasons = [
        StopReason(t.stop_reason) if t.stop_reason else StopReason.NON_FINITE for t in trained
    ]
    reason = (
        reasons[0]
        if len(set(reasons)) == 1
        else next(r for r in reasons if r is not StopReason.COMPLETED)
    )
    kept = sum(t.model is not None and not t.failed for t in trained)
    messages = "; ".join(
        f"member {k}: {t.failed or t.stop_message}" for k, t in enumerate(trained, start=1)
    )
    return TrainResult(
        config=config,
        history=[],
        stop_reason=reason,
        stop_message=f"{kept} of {len(trained)} members kept ({messages})",
        best_epoch=None,
        epochs_run=max((len(t.history) for t in trained), default=0),
        num_train=m,
        batch_size=m if config.batch_size is None else min(config.batch_size, m),
        steps_per_epoch=len(batch_bounds(m, config.batch_size)),
        seconds=seconds,
        device=device,
        seed=seed,
    )

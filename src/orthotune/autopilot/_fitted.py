"""The default first model's epochs fitted to the time budget.

Under a time budget the autopilot's default baseline (``fit.baseline``: 30 epochs of a
one-cycle schedule) gets at most ``BASELINE_SHARE`` of the time left when its turn comes, at the
pace ``fit.epoch_seconds`` measures from a few of its optimizer steps: fewer epochs, as a whole
schedule, where its own would not fit; the hold-out split instead of k-fold cross-validation
where the folds' models would leave it fewer; one line (exit 2) where not one epoch fits. A
start the caller gives (``AutopilotSettings.start``) and a count budget are left as they are.
"""

from __future__ import annotations

import dataclasses
import logging
import math

from orthotune._errors import InvalidInputError
from orthotune.data import PreparedData
from orthotune.fit import Candidate, epoch_seconds

__all__ = ["BASELINE_SHARE", "fitted_baseline"]

logger = logging.getLogger(__name__)

# the default baseline gets at most this share of the time left when its turn comes: fewer
# epochs (a whole one-cycle schedule) where its own would not fit (``fitted_baseline``). A
# schedule cut at the deadline leaves a model mid-warm-up: 6 CNNs of 5-fold cross-validation on
# 1,000 RGB images of 64×64, cut by a 120-s budget after 3 of 30 epochs, left a model with 46 %
# training error (its folds' out-of-fold error 31 %). A third, so that one variant of the
# baseline's cost still fits after it: a step's variants are costed from the baseline's own
# seconds, and the estimate behind the share was up to 1.56 times short (a one-epoch baseline,
# its first steps' warm-up; 0.59-1.07 on the development sets below, 1.19 on the images above),
# so a share s leaves a second model room while 2 × 1.56 × s <= 1. With a half, the time left
# after the baseline was mostly less than one more model (the images: 52 s left, 62 s a
# model; ``bench/short_budget.py``'s signals: 74 s of 120 used). The development group's
# baselines fit under it at 300 s and are left whole: their estimates (split seed 0, float32,
# AVX-512 EPYC, 1 thread) are 0.1-7.4 s, digits' 52.5 s (its 6 cross-validated CNNs counted one
# after another; as a population they took 31.1 s), against about 92 s; at 60 s digits trains
# on the hold-out split instead, its 30 epochs whole, and 0.89 of the budget is used against
# 0.54 (``bench/suite.py --sets digits --budget-s 60``, seed 0)
BASELINE_SHARE = 1 / 3


def _read(budget_s: float, left: float) -> str:
    """What took the rest of the budget before the baseline: reading and preparing a large
    table (1,000,000 rows: 40 s of 60) was unsaid."""
    spent = budget_s - max(left, 0.0)
    words = f" (reading the data and what came before the baseline took {about(spent)} s of it)"
    return words if spent > 1 else ""


def about(seconds: float) -> str:
    """Seconds as the autopilot's reasons compare them: a tenth below 10 s, so that "needs
    about 0.4 s, and 0.2 s are left" shows the shortfall ("about 0 s, and 0 s are left" did
    not), two significant digits below 0.1 s ("takes about 0.0 s … more than the 0.0 s" was a
    new user's); a negative time left is 0."""
    seconds = max(seconds, 0.0)
    if seconds < 0.095:
        return f"{seconds:.2g}"
    return f"{seconds:.1f}" if seconds < 9.95 else f"{seconds:.0f}"


def apart(need: float, left: float) -> tuple[str, str]:
    """``about`` of a cost and of the time left, with as many more digits (up to three
    decimals) as it takes for a larger cost not to read like the time left: a new-user sweep's
    "its cheapest variant needs about 25 s, and 25 s are left" read as if it fitted."""
    a, b = about(need), about(left)
    for digits in (1, 2, 3):
        if a != b or need <= left:
            break
        a, b = f"{max(need, 0.0):.{digits}f}", f"{max(left, 0.0):.{digits}f}"
    return a, b


def fitted_baseline(
    start: Candidate,
    data: PreparedData,
    folds: int | None,
    held: PreparedData,
    left: float,
    *,
    budget_s: float,
    device: str,
    precision: str | None,
) -> tuple[Candidate, str | None]:
    """The default baseline ``start`` with as many of its epochs as fit in ``BASELINE_SHARE``
    of the ``left`` seconds, at the pace ``fit.epoch_seconds`` measures, and — when ``folds``
    would cut its epochs and one model on the hold-out split ``held`` keeps more — why the
    decisions should use that split instead (else None). Refused in one line when a single
    epoch needs more than all of the time (``budget_s``: the whole budget, for the one line's
    advice). ``device`` and ``precision`` as the executor trains it."""
    epochs = start.config.epochs

    def fitting(on: PreparedData, k: int | None) -> tuple[int, float]:
        x, y = on.train.x, on.train.y
        per = epoch_seconds(start, x, y, folds=k, device=device, precision=precision)
        if per * epochs <= BASELINE_SHARE * left:
            return epochs, per
        if per > left:  # not one epoch
            return 0, per
        return max(1, int(BASELINE_SHARE * left / per)), per

    fitted, per = fitting(data, folds)
    holding = None
    if folds is not None and fitted < epochs:
        alone, alone_per = fitting(held, None)
        if alone > fitted:
            holding = (
                f"{folds}-fold cross-validation would leave the baseline {fitted} of its "
                f"{epochs} epochs within the budget"
            )
            fitted, per = alone, alone_per
    models = "" if folds is None else f" (its {folds + 1} models of {folds}-fold cross-validation)"
    if fitted == 0:
        need = budget_s - left + per * epochs / BASELINE_SHARE
        raise InvalidInputError(
            f"one epoch of the baseline model{models} takes about {about(per)} s on this "
            f"machine, more than its third ({about(BASELINE_SHARE * left)} s) of the "
            f"{about(left)} s the budget leaves it{_read(budget_s, left)}: give --budget "
            f"{math.ceil(need / 60)}m for its {epochs} epochs, or --trials N (no time limit)"
        )
    if fitted == epochs:
        return start, holding
    logger.info(
        "baseline: %d of its %d epochs, %.1f s each, fit in %.0f%% of the %.0f s left",
        fitted, epochs, per, 100 * BASELINE_SHARE, left,
    )  # fmt: skip
    fit = dataclasses.replace(
        start,
        config=start.config.model_copy(update={"epochs": fitted}),
        label=f"{start.label}, {fitted} of its {epochs} epochs to fit the budget",
    )
    return fit, holding

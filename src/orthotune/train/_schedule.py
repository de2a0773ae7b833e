"""Learning-rate schedules as multipliers of the base rate α0 (DESIGN.md: "any schedule is a
per-step multiplier, so it is per member in a population").

Epochs are counted t = 0, 1, 2 … The lecture's four decays, then two modern ones:

    inverse_time   α0 / (1 + decay·t)
    exponential    α0 · e^(−decay·t)
    inverse_sqrt   k·α0 / √(t + 1)        (the lecture's k·α0/√epoch with epochs counted from 1)
    staircase      α0 · factor^⌊t / step⌋  (e.g. halve every 10 epochs)
    cosine         α0 · ½(1 + cos(π·t / epochs))
    one_cycle      per step, torch's OneCycleLR shape: cosine warm-up from α0/25 to α0 over the
                   first 30 % of steps, then cosine annealing to α0/(25·10⁴)
"""

from __future__ import annotations

import math

from orthotune.train._config import TrainConfig

_ONE_CYCLE_WARMUP = 0.3
_ONE_CYCLE_DIV = 25.0
_ONE_CYCLE_FINAL_DIV = 1e4


def _cos_between(start: float, end: float, fraction: float) -> float:
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * fraction))


def lr_factor(config: TrainConfig, epoch: int, *, step: int = 0, steps_per_epoch: int = 1) -> float:
    """The multiplier of ``config.lr`` at ``epoch`` (0-based) and ``step`` within that epoch."""
    t = epoch
    s = config.schedule
    if s == "constant":
        return 1.0
    if s == "inverse_time":
        return 1.0 / (1.0 + config.decay * t)
    if s == "exponential":
        return math.exp(-config.decay * t)
    if s == "inverse_sqrt":
        return config.k / math.sqrt(t + 1)
    if s == "staircase":
        return config.step_factor ** (t // config.step_epochs)
    if s == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(t, config.epochs) / config.epochs))
    if s == "one_cycle":
        total = max(config.epochs * steps_per_epoch - 1, 1)
        now = min(t * steps_per_epoch + step, total)
        warm = max(_ONE_CYCLE_WARMUP * (total + 1) - 1, 1.0)
        low = 1.0 / _ONE_CYCLE_DIV
        if now <= warm:
            return _cos_between(low, 1.0, now / warm)
        return _cos_between(1.0, low / _ONE_CYCLE_FINAL_DIV, (now - warm) / max(total - warm, 1.0))
    raise ValueError(f"unknown schedule {s!r}")

"""Budget and goal of a search: wall-clock time (``--budget 5m``), trial count (``--trials N``)
and a target score (``--goal``), and why the search stopped.

The executor asks ``Budget.expired()`` before every epoch of every group it trains, so a search
overruns its time budget by at most one epoch of one group.
"""

from __future__ import annotations

import enum
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from orthotune._errors import InvalidInputError

_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smh])", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[smh]\s*)+$", re.IGNORECASE)


def parse_duration(text: str | float, *, name: str = "--budget") -> float:
    """``"90s"``, ``"5m"``, ``"2h"``, ``"1h30m"``, ``"1.5h"`` → seconds (> 0); a number (the
    Python API's ``budget=90``) is seconds already."""
    raw = str(text).strip()
    if isinstance(text, int | float) and not isinstance(text, bool):  # seconds, as a number
        if not text > 0 or math.isinf(text):
            raise InvalidInputError(
                f"{name} {text!r} is not a positive number of seconds; accepted: a positive "
                "number of seconds or a duration such as 90s, 5m, 2h; fix: give e.g. 300"
            )
        return float(text)
    if _is_number(raw) and float(raw) <= 0:  # "0", "-5": a number, and no duration
        raise InvalidInputError(
            f"{name} {raw!r} is not positive: accepted is a positive duration such as 90s, 5m "
            "or 2h; fix: give e.g. 5m"
        )
    if not _DURATION.match(raw):
        positive = _is_number(raw) and math.isfinite(float(raw)) and float(raw) > 0
        plain = format(float(raw), "f").rstrip("0").rstrip(".") if positive else raw  # 1e3: 1000
        hint = f"write {plain}m or {plain}s" if positive else "write e.g. 90s, 5m, 2h or 1h30m"
        raise InvalidInputError(
            f"{name} {raw!r} does not parse: accepted are durations such as 90s, 5m, 2h or "
            f"1h30m; fix: {hint}"
        )
    seconds = sum(float(v) * _UNIT_SECONDS[u.lower()] for v, u in _PART.findall(raw))
    if seconds <= 0:
        raise InvalidInputError(
            f"{name} {raw!r} is zero: accepted is a positive duration; fix: give e.g. 5m"
        )
    return seconds


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


def format_duration(seconds: float) -> str:
    """Seconds → ``"1h05m"``, ``"4m30s"``, ``"12.3s"``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


class StopReason(enum.StrEnum):
    """Why a search stopped."""

    BUDGET = "budget"  # the wall-clock budget is spent
    TRIALS = "trials"  # --trials N finished trials
    GOAL = "goal"  # the metric reached --goal
    EXHAUSTED = "exhausted"  # the strategy has nothing left to ask (a finished grid)
    FAILURES = "failures"  # many identical failures in a row
    INTERRUPTED = "interrupted"  # the user pressed Ctrl-C


@dataclass(frozen=True)
class Stop:
    """A stop reason and a sentence with the numbers."""

    reason: StopReason
    message: str


@dataclass
class Budget:
    """What a search may spend and what it aims for.

    seconds:   wall-clock budget of this run (None = no limit)
    trials:    finished trials the study should hold (None = no limit); finished trials of an
               earlier, resumed run count, so re-running the same command completes the study
    goal:      stop once the best feasible value reaches it (None = no goal)
    maximize:  direction of the metric (False for *_error / *_loss metrics)
    """

    seconds: float | None = None
    trials: int | None = None
    goal: float | None = None
    maximize: bool = True
    clock: Callable[[], float] = time.monotonic
    _t0: float | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.seconds is not None and not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise InvalidInputError(
                f"--budget {self.seconds}: accepted is a positive duration; fix: give e.g. 5m"
            )
        if self.trials is not None and self.trials < 1:
            raise InvalidInputError(
                f"--trials {self.trials}: accepted is an integer ≥ 1; fix: give e.g. --trials 20"
            )
        if self.seconds is None and self.trials is None and self.goal is None:
            raise InvalidInputError(
                "the search has no limit: accepted are --budget, --trials or --goal; fix: give "
                "at least one, e.g. --budget 5m"
            )

    def start(self, at: float | None = None) -> Budget:
        """Start the clock (once; later calls keep the first start), ``at`` a time of the
        clock's when the job began (its reading of the data counts, as in the autopilot)."""
        if self._t0 is None:
            self._t0 = self.clock() if at is None else at
        return self

    def elapsed(self) -> float:
        return 0.0 if self._t0 is None else self.clock() - self._t0

    def remaining(self) -> float:
        """Seconds left (inf without a time budget)."""
        return math.inf if self.seconds is None else self.seconds - self.elapsed()

    def expired(self) -> bool:
        """True once the time budget is spent: start no further epoch."""
        return self.remaining() <= 0

    def trials_left(self, finished: int) -> int | None:
        """How many more trials may start (None = unlimited)."""
        return None if self.trials is None else max(0, self.trials - finished)

    def goal_reached(self, best: float | None) -> bool:
        if self.goal is None or best is None or not math.isfinite(best):
            return False
        return best >= self.goal if self.maximize else best <= self.goal

    def stop(self, *, finished: int, best: float | None) -> Stop | None:
        """The reason to stop now, or None to go on."""
        if self.goal_reached(best):
            return Stop(StopReason.GOAL, f"the best value {best:.4g} reached the goal {self.goal}")
        if self.trials is not None and finished >= self.trials:
            return Stop(StopReason.TRIALS, f"{finished} trials finished (--trials {self.trials})")
        if self.expired():
            return Stop(
                StopReason.BUDGET,
                f"the budget of {format_duration(self.seconds or 0)} is spent "
                f"({format_duration(self.elapsed())} elapsed)",
            )
        return None

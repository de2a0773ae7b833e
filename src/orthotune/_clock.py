"""When a job's wall-clock budget starts counting.

From the call, for the Python API (``orthotune.tune(budget="20s")`` inside a longer program);
from the command's start, for the CLI (``cli._main.main`` marks it first): a ``tune --budget
20s`` took 25–26 s of wall time on a 2-core box, 2–3 s of it importing torch, scikit-learn
and Optuna before the budget's clock started — the user's 20 s count from Enter.
"""

from __future__ import annotations

import time

_marked: float | None = None


def mark() -> None:
    """The budget of the job this process runs next counts from now (a command's start)."""
    global _marked
    _marked = time.monotonic()


def job_started() -> float:
    """The ``time.monotonic()`` a job's budget counts from: the mark, used once (a second job
    in the same process counts from its own call), else now."""
    global _marked
    started = time.monotonic() if _marked is None else _marked
    _marked = None
    return started

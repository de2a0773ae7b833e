"""Fault injection for the reliability tests: ``ORTHOTUNE_FAULT=POINT[:N]`` SIGKILLs this
process the N-th time (default 1st) execution passes ``fault_point(POINT)``.

Points: ``during_trial`` (between epochs of a training trial), ``storage_write`` (inside a study
database transaction, before its COMMIT), ``checkpoint_write`` (half-way through writing a
checkpoint). ``ORTHOTUNE_FAULT=random:SEED`` kills at a seeded random point instead: each pass of
any point dies with probability 1/20 drawn from ``random.Random(SEED)``; the seed is logged.
Unset (the normal case), every call is a dictionary lookup and nothing else.
"""

from __future__ import annotations

import logging
import os
import random
import signal
from typing import Any

logger = logging.getLogger(__name__)

FAULT_ENV = "ORTHOTUNE_FAULT"
FAULT_POINTS: tuple[str, ...] = ("during_trial", "storage_write", "checkpoint_write")
_passes: dict[str, int] = {}
_rng: random.Random | None = None


def _die(point: str) -> None:
    logger.warning("fault injection: killing pid %d at %s", os.getpid(), point)
    os.kill(os.getpid(), signal.SIGKILL)


def fault_point(point: str) -> None:
    """Die here when ``ORTHOTUNE_FAULT`` asks for this point (see the module docstring)."""
    global _rng
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    name, _, arg = spec.partition(":")
    if name == "random":
        if _rng is None:
            seed = int(arg or 0)
            logger.warning("fault injection: random kill points, seed %d", seed)
            _rng = random.Random(seed)
        if _rng.random() < 1 / 20:
            _die(point)
        return
    if name != point:
        return
    _passes[point] = _passes.get(point, 0) + 1
    if _passes[point] >= int(arg or 1):
        _die(point)


def install_storage_fault(storage: Any) -> None:
    """Route the ``storage_write`` point through every COMMIT of an RDB storage's engine."""
    if not os.environ.get(FAULT_ENV):
        return
    engine = getattr(storage, "engine", None)
    if engine is None:
        return
    from sqlalchemy import event

    @event.listens_for(engine, "commit")
    def _before_commit(_connection: Any) -> None:
        fault_point("storage_write")

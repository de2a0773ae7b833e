"""Fault injection for the reliability tests: a process that dies at a chosen point.

``ORTHOTUNE_FAULT=POINT[:N]``: the N-th time (default the 1st) execution passes
``fault_point(POINT)``, the process writes ``orthotune-fault: POINT`` on stderr and SIGKILLs
itself — exactly what a crash or ``kill -9`` at that line would leave behind.
``ORTHOTUNE_FAULT=random:SEED``: each pass of any point dies with probability 1/20, drawn from
``random.Random(SEED)`` (the seed is logged), for kills at seeded random moments.

Points: ``atomic_write`` (half of the bytes of an atomic write in its temporary file;
``orthotune._io``), ``checkpoint_write`` / ``checkpoint_commit`` / ``manifest_write`` (the
checkpoint's steps; ``orthotune.train._checkpoint``), ``during_trial`` (between two epochs of a
search trial) and ``storage_write`` (inside a study database transaction, before its COMMIT).
Unset (the normal case), a pass costs one environment lookup.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import sys

__all__ = ["FAULT_ENV", "fault_point"]

logger = logging.getLogger(__name__)

FAULT_ENV = "ORTHOTUNE_FAULT"
_passes: dict[str, int] = {}
_rng: random.Random | None = None


def _die(point: str) -> None:
    sys.stderr.write(f"orthotune-fault: {point}\n")
    sys.stderr.flush()
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

"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Each write goes to a temporary file in the destination's own folder (same file system), is
flushed and fsync'ed, then moved over the destination with ``os.replace`` (atomic on POSIX and
Windows); the folder is fsync'ed afterwards so that the rename itself survives a power cut.
A process killed at any moment leaves at most a stray ``.NAME.*.tmp`` file beside the old one.

Fault injection (for tests of the guarantee above): when the environment variable
``ORTHOTUNE_FAULT`` names a fault point that the code passes through (``fault_point(name)``),
the process writes ``orthotune-fault: NAME`` on stderr and sleeps for
``ORTHOTUNE_FAULT_SLEEP`` seconds (default 60) so that a test can SIGKILL it right there.
Points: ``atomic_write`` (half of the bytes are in the temporary file, before fsync/replace) and
the checkpoint's own points (see ``orthotune.train._checkpoint``). Unset, it costs one dict lookup.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_write_text", "fault_point"]

FAULT_ENV = "ORTHOTUNE_FAULT"


def fault_point(name: str) -> None:
    """Pause here (to be killed by a test) when ``ORTHOTUNE_FAULT`` names this point."""
    wanted = os.environ.get(FAULT_ENV)
    if not wanted or name not in wanted.split(","):
        return
    sys.stderr.write(f"orthotune-fault: {name}\n")
    sys.stderr.flush()
    time.sleep(float(os.environ.get("ORTHOTUNE_FAULT_SLEEP", "60")))


def _fsync_dir(folder: Path) -> None:
    # Directories cannot be opened for fsync on Windows; there the rename is durable enough.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(
    path: str | os.PathLike, data: bytes, *, fault: str = "atomic_write"
) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, os.replace).

    ``fault`` names the fault point passed half-way through the write (see the module doc).
    Creates the parent folder if needed. Returns the path written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            half = len(data) // 2
            handle.write(data[:half])
            handle.flush()
            fault_point(fault)
            handle.write(data[half:])
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide results from other users
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)
    return target


def atomic_write_text(path: str | os.PathLike, text: str, *, fault: str = "atomic_write") -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"), fault=fault)


def atomic_write_json(
    path: str | os.PathLike, obj: Any, *, indent: int = 2, fault: str = "atomic_write"
) -> Path:
    """Write ``obj`` as JSON atomically; a pydantic model is written with ``model_dump_json``."""
    if hasattr(obj, "model_dump_json"):
        text = obj.model_dump_json(indent=indent)
    else:
        text = json.dumps(obj, indent=indent, allow_nan=False)
    return atomic_write_text(path, text + "\n", fault=fault)

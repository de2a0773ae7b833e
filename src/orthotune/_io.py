"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Each write goes to a temporary file in the destination's own folder (same file system), is
flushed and fsync'ed, then moved over the destination with ``os.replace`` (atomic on POSIX and
Windows); the folder is fsync'ed afterwards so that the rename itself survives a power cut.
A process killed at any moment leaves at most a stray ``.NAME.*.tmp`` file beside the old one.

A test kills a writer half-way with ``ORTHOTUNE_FAULT=atomic_write`` (``orthotune._faults``).

``check_replaceable`` guards a file a user names (``predict --out``, ``report --out``): it is
written over only when it is one orthotune wrote, never a user's own file. ``check_writable``
refuses, before any work, an output that cannot be made (under a file, in a folder that takes no
new file): found at the end, it would cost the work and say less than one line.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orthotune._faults import fault_point

__all__ = ["atomic_write_bytes", "atomic_write_csv", "atomic_write_json", "atomic_write_text"]


def check_writable(path: str | os.PathLike, *, folder: bool, flag: str = "--out") -> None:
    """Refuse, in one line, an output ``path`` (a folder to make when ``folder``, else a file)
    that cannot be written: its nearest existing folder is a file, or takes no new file
    (permissions, a read-only file system). Tried with a nameless temporary file, which leaves
    nothing behind; a missing folder on the way is made later, as every writer does."""
    from orthotune._errors import InvalidInputError

    target = Path(path).expanduser()
    start = target if folder else target.parent
    near = next((p for p in (start, *start.parents) if p.exists()), None)
    if near is None:  # a relative path: its nearest existing folder is the working one
        near = Path.cwd()
    if not near.is_dir():
        raise InvalidInputError(
            f"{flag} {target}: {near} is a file, so nothing can be written under it; "
            "fix: give a path in a folder"
        )
    try:
        with tempfile.TemporaryFile(dir=near):
            pass
    except OSError as err:
        raise InvalidInputError(
            f"{flag} {target}: the folder {near} takes no new file ({err.strerror or err}); "
            "fix: give a path in a folder you may write in"
        ) from None


def _check_not_in_run(target: Path, real: Path, flag: str) -> None:
    """A run folder's own files (``analysis/``, ``models/``) are orthotune's records of that run:
    a predictions file written there replaced the analysis ``errors`` and the report read."""
    from orthotune._errors import InvalidInputError

    for run in real.parents:
        if (run / "run.json").is_file():
            inner = real.relative_to(run).parts
            if len(inner) > 1 and inner[0] in ("analysis", "models"):
                raise InvalidInputError(
                    f"{flag} {target} is inside {run / inner[0]}, where the run keeps its own "
                    "records (errors and the report read them): give a file name outside it"
                )
            return


def check_replaceable(
    path: str | os.PathLike, *, ours: Callable[[Path], bool], what: str, flag: str = "--out"
) -> None:
    """Refuse, in one line, to write ``path`` over a folder or over an existing file that
    ``ours`` does not recognize as ``what`` written by orthotune: the user's file would be lost
    (a file orthotune wrote before is replaced, as a rerun expects)."""
    from orthotune._errors import InvalidInputError

    target = Path(path)
    real = Path(os.path.abspath(target.expanduser()))  # "new/../data.csv" is data.csv, made or not
    if real.is_dir():
        raise InvalidInputError(f"{flag} {target} is a folder: give a file name in it")
    check_writable(target, folder=False, flag=flag)
    _check_not_in_run(target, real, flag)
    if not real.exists():
        return
    try:
        recognized = ours(real)
    except (OSError, ValueError):
        recognized = False
    if not recognized:
        raise InvalidInputError(
            f"{flag} {target} exists and is not {what} written by orthotune: it would be "
            "overwritten; give a new file name (or move that file away first)"
        )


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
    half = len(data) // 2
    return _atomic_write(
        path,
        (lambda out: out.write(data[:half]), lambda out: out.write(data[half:])),
        text=False,
        fault=fault,
    )


def atomic_write_csv(path: str | os.PathLike, frame: Any, *, fault: str = "atomic_write") -> Path:
    """Write a pandas DataFrame as CSV (no index) atomically, streamed: pandas formats it
    chunk by chunk into the temporary file, where ``frame.to_csv()`` built the whole text in
    memory first (a 100,000-row table of 1,000 probability columns: 2.2 GB of text, 8 GB of
    RAM)."""
    half = len(frame) // 2
    return _atomic_write(
        path,
        (
            lambda out: frame.iloc[:half].to_csv(out, index=False),
            lambda out: frame.iloc[half:].to_csv(out, index=False, header=False),
        ),
        text=True,
        fault=fault,
    )


def _atomic_write(
    path: str | os.PathLike,
    halves: tuple[Callable[[Any], object], Callable[[Any], object]],
    *,
    text: bool,
    fault: str,
) -> Path:
    """The one atomic writer: ``halves`` write into the temporary file (UTF-8 text or bytes),
    the fault point between them; then fsync, the usual permissions, os.replace."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        opened = os.fdopen(fd, "w", encoding="utf-8", newline="") if text else os.fdopen(fd, "wb")
        with opened as handle:
            halves[0](handle)
            handle.flush()
            fault_point(fault)
            halves[1](handle)
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

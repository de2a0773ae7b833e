"""Where analysis results land: ``RUN_DIR/analysis/NAME.json`` or ``--out``, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pydantic import BaseModel


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide results from other users
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def save_result(result: BaseModel, folder: str | os.PathLike, name: str) -> Path:
    """``folder/name.json`` holding ``result`` (a pydantic model with ``schema_version``)."""
    return atomic_write_text(Path(folder) / f"{name}.json", result.model_dump_json(indent=2))

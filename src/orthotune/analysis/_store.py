"""Where analysis results land: ``RUN_DIR/analysis/NAME.json`` or ``--out``, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel

from orthotune._io import atomic_write_json


def save_result(result: BaseModel, folder: str | os.PathLike, name: str) -> Path:
    """``folder/name.json`` holding ``result`` (a pydantic model with ``schema_version``)."""
    return atomic_write_json(Path(folder) / f"{name}.json", result)

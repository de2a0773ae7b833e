"""Typed records of the run folder that the report reads back as they were written.

``calibration.json`` (``orthotune.metrics.TemperatureScaling``, left by ``train`` and ``tune``)
and ``analysis/saliency.json`` (``orthotune.analysis.SaliencyReport``, left by ``errors
--saliency``) are validated by their own pydantic models: a missing file drops the section, a
damaged one becomes a note. ``_figures`` draws them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

__all__ = ["CALIBRATION_FILE", "SALIENCY_FILE", "read_record"]

CALIBRATION_FILE = "calibration.json"
SALIENCY_FILE = "analysis/saliency.json"

Record = TypeVar("Record", bound=BaseModel)


def read_record(root: Path, relative: str, model: type[Record], notes: list[str]) -> Record | None:
    """``root/relative`` as a ``model``, or None (a note when the file is unreadable)."""
    path = root / relative
    if not path.is_file():
        return None
    try:
        return model.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValidationError) as err:
        first = err.errors()[0]["msg"] if isinstance(err, ValidationError) else str(err)
        notes.append(f"{relative} could not be read ({type(err).__name__}: {first}).")
        return None

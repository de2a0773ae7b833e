"""The calibration section's data: ``RUN_DIR/calibration.json``.

``train`` and ``tune`` fit temperature scaling on dev for the chosen model
(``orthotune.metrics.calibrate_temperature``) and leave the typed record there; this module
reads it back (a missing file drops the section, a damaged one becomes a note).
``_figures.reliability_figure`` draws it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from orthotune.metrics import TemperatureScaling

__all__ = ["read_calibration"]

CALIBRATION_FILE = "calibration.json"


def read_calibration(root: Path, notes: list[str]) -> TemperatureScaling | None:
    """The run's temperature scaling record, or None (a note when the file is unreadable)."""
    path = root / CALIBRATION_FILE
    if not path.is_file():
        return None
    try:
        return TemperatureScaling.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValidationError) as err:
        first = err.errors()[0]["msg"] if isinstance(err, ValidationError) else str(err)
        notes.append(f"{CALIBRATION_FILE} could not be read ({type(err).__name__}: {first}).")
        return None

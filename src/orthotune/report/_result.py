"""``ReportResult``: what ``orthotune report`` did (printed by the CLI, or as JSON)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ReportResult"]


class ReportResult(BaseModel):
    """Where the report was written and which sections it holds (in page order)."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = 1
    path: str
    source: str
    sections: list[str]
    notes: list[str] = []

"""``Result``: the base of every typed result the public API returns and ``--json`` prints.

One serialization for both, so that ``orthotune.tune(...).to_json()`` and
``orthotune tune ... --json`` write the same text for the same call.
"""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["Result", "to_json"]


def to_json(result: BaseModel) -> str:
    """The JSON text of a result: what ``--json`` prints (without the final newline)."""
    return result.model_dump_json(indent=2)


class Result(BaseModel):
    """A pydantic result with ``to_json()``; subclasses add the fields (and a schema_version)."""

    def to_json(self) -> str:
        """The same text as the CLI's ``--json`` for the same call."""
        return to_json(self)

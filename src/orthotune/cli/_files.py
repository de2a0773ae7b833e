"""Read the tables the CLI takes (CSV or Parquet, chosen by extension), with one error shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orthotune._errors import InvalidInputError

_SUFFIXES = (".csv", ".parquet", ".pq")


def read_table(path: str | Path, *, what: str, as_text: bool = False) -> Any:
    """A pandas DataFrame from ``path``; ``as_text`` keeps CSV cells as strings (``"96%"``)."""
    import pandas as pd

    p = Path(path)
    if p.suffix.lower() not in _SUFFIXES:
        raise InvalidInputError(
            f"{what} {str(p)!r} has extension {p.suffix or '(none)'!r}: accepted are "
            ".csv and .parquet; convert the file or rename it"
        )
    if not p.is_file():
        raise InvalidInputError(
            f"{what} {str(p)!r} does not exist: give the path to a CSV or Parquet file"
        )
    try:
        if p.suffix.lower() == ".csv":
            if as_text:
                return pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
            return pd.read_csv(p, skipinitialspace=True)
        return pd.read_parquet(p)
    except (ValueError, OSError, pd.errors.ParserError) as err:
        message = " ".join(str(err).split())
        raise InvalidInputError(
            f"{what} {str(p)!r} cannot be read ({message}): give a valid CSV or Parquet file"
        ) from None

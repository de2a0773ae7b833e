"""Read the tables users give (CSV or Parquet, chosen by extension), with one error shape."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from orthotune._errors import InvalidInputError

_SUFFIXES = (".csv", ".parquet", ".pq")


def _check(p: Path, what: str) -> None:
    if p.suffix.lower() not in _SUFFIXES:
        raise InvalidInputError(
            f"{what} {str(p)!r} has extension {p.suffix or '(none)'!r}: accepted are "
            ".csv and .parquet; convert the file or rename it"
        )
    if not p.is_file():
        raise InvalidInputError(
            f"{what} {str(p)!r} does not exist: give the path to a CSV or Parquet file"
        )


def read_columns(path: str | Path, *, what: str) -> dict[str, list[Any]]:
    """A small table as ``{column: cells}``; CSV cells stay text (``"96%"``), read by the
    standard library (no pandas import for a table of a few rows)."""
    p = Path(path)
    _check(p, what)
    if p.suffix.lower() != ".csv":
        frame = read_table(p, what=what)
        return {str(c): frame[c].tolist() for c in frame.columns}
    with p.open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle, skipinitialspace=True) if row]
    if not rows:
        raise InvalidInputError(f"{what} {str(p)!r} is empty: give a header row and data rows")
    header, body = rows[0], rows[1:]
    ragged = next((i for i, row in enumerate(body, 2) if len(row) != len(header)), None)
    if ragged is not None:
        raise InvalidInputError(
            f"{what} {str(p)!r} line {ragged} has {len(body[ragged - 2])} cells but the header "
            f"has {len(header)}: give one cell per column"
        )
    return {name.strip(): [row[i].strip() for row in body] for i, name in enumerate(header)}


def read_table(path: str | Path, *, what: str) -> Any:
    """A pandas DataFrame from a CSV or Parquet file."""
    import pandas as pd

    p = Path(path)
    _check(p, what)
    try:
        if p.suffix.lower() == ".csv":
            return pd.read_csv(p, skipinitialspace=True)
        return pd.read_parquet(p)
    except (ValueError, OSError, pd.errors.ParserError) as err:
        message = " ".join(str(err).split())
        raise InvalidInputError(
            f"{what} {str(p)!r} cannot be read ({message}): give a valid CSV or Parquet file"
        ) from None

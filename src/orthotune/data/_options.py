"""``LoadOptions``: the data options every command that takes DATA shares (DESIGN.md).

``--target COL``, ``--weight COL``, ``--source COL``, ``--id COL``, ``--drop COL…``,
``--split-col COL``, ``--dev-source NAME``, ``--impute auto|none|mean|median``. Column options
apply to CSV and Parquet files; ``--dev-source`` and ``--impute`` apply to every kind of DATA.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from orthotune._errors import InvalidInputError

Impute = Literal["auto", "none", "mean", "median"]
IMPUTE_METHODS: tuple[str, ...] = ("auto", "none", "mean", "median")

# Column names tried, in order, when no --target is given.
DEFAULT_TARGETS: tuple[str, ...] = ("label", "target", "y", "class")


class LoadOptions(BaseModel):
    """How to read a data file: which columns play which role, what to drop, how to fill NaN."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str | None = Field(
        default=None, description="label column; default: the first of label, target, y, class"
    )
    weight: str | None = Field(default=None, description="per-example weight column s(i)")
    source: str | None = Field(default=None, description="which distribution a row came from")
    id: str | None = Field(default=None, description="example id column (default: row index)")
    drop: tuple[str, ...] = Field(default=(), description="columns excluded from the features")
    split_col: str | None = Field(
        default=None, description="the user's own split: train, train-dev, dev, test or empty"
    )
    dev_source: str | None = Field(default=None, description="build dev and test from this source")
    impute: Impute = Field(
        default="auto",
        description="auto: numeric NaN → filled from the row's other values "
        "(fitted on train) plus a 0/1 'was missing' column, "
        "categorical NaN → a 'missing' category; mean|median: fill with that statistic of the "
        "column; none: NaN is an error",
    )

    def role_columns(self) -> dict[str, str]:
        """The columns given a role, as ``{flag: column}`` (e.g. ``{"--weight": "w"}``)."""
        roles = {
            "--target": self.target,
            "--weight": self.weight,
            "--source": self.source,
            "--id": self.id,
            "--split-col": self.split_col,
        }
        return {flag: col for flag, col in roles.items() if col is not None}

    def column_flags_given(self) -> list[str]:
        """The column options that were set (they only make sense for CSV and Parquet)."""
        flags = list(self.role_columns())
        if self.drop:
            flags.append("--drop")
        return flags


def load_options(
    *,
    target: str | None = None,
    weight: str | None = None,
    source: str | None = None,
    id: str | None = None,
    drop: Sequence[str] | str | None = None,
    split_col: str | None = None,
    dev_source: str | None = None,
    impute: str = "auto",
) -> LoadOptions:
    """The ``LoadOptions`` of the flags; ``InvalidInputError`` (exit 2) for a bad ``--impute``
    or a column named by something other than its name. A whole number names a column too (a
    DataFrame's column 0 is read as ``"0"``); ``drop`` may be one name or several."""
    method = impute.strip().lower() if isinstance(impute, str) else None
    if method not in IMPUTE_METHODS:
        raise InvalidInputError(
            f"--impute {impute!r} is not accepted; accepted: {', '.join(IMPUTE_METHODS)}; fix: "
            "leave it out for auto"
        )
    named = {"target": target, "weight": weight, "source": source, "id": id}
    named |= {"split_col": split_col, "dev_source": dev_source}
    flags = {k: _column_name(v, k) for k, v in named.items()}
    dropped = [drop] if isinstance(drop, str | int) else list(drop or ())
    return LoadOptions(drop=tuple(_column_name(c, "drop") for c in dropped), impute=method, **flags)


def _column_name(value: object, option: str) -> str | None:
    """A column's name as given: text, or a whole number (pandas' default column names)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    flag = "--" + option.replace("_", "-")
    raise InvalidInputError(
        f"{flag} {value!r} is a {type(value).__name__}; accepted: a column name (text, or a "
        f"whole number for a DataFrame's numbered columns); e.g. {option}='label'"
    )

"""Turning raw columns into features, and doing it again the same way at prediction time.

A column whose non-missing values are all numbers is a numeric feature; a column whose values are
all ISO 8601 dates or times (``2024-03-01``, ``2024-03-01 14:30``, ``2024-03-01T14:30:00Z``) is
a date, one numeric feature (days since 1970-01-01, UTC; a time of day alone, ``14:30``, the
day's share, 0.604) treated as a number from then on (one
with a few other values among its dates, ``-``, is refused naming the first, as a numeric
column's stray text is). A column of dates written with day and month as numbers
(``9/30/1990``, ``30.09.1990 14:05``, ``9/30/1990 12:00:00 AM``) is a date too where its values
tell the order — some day beyond 12 in one place, none in the other (a sweep's openintro birds,
``9/30/1990 0:00:00``, was 3,104 categories pooled to 255, its date lost in 80 % of the rows);
where every day and month is 12 or less (``03/01/2024``: March or January?) it stays text; a
column whose values are all non-numeric text — or a pandas category, even of numbers (zip codes
declared categories) — is categorical and one-hot encoded (categories sorted); anything in
between is an error that names the first stray value. A column that identifies rows rather than
describes them — row numbers 0…n−1 or 1…n, or text with a distinct value in (almost) every row:
an identifier, a name, free text — and a column empty in every row (refused under ``--impute
none``) are left out with a warning and listed in ``TableEncoding.ignored``, which ``predict``
then reads silently.

``--impute auto`` (the default) gives each numeric column that had missing values a 0/1 "was
missing" feature beside it and leaves its NaN for the ``Normalizer``, which fills them from
statistics of the **train** part (learned, like μ and σ²): each gap becomes its conditional mean
given the row's other values, fitted on train (the train median for a table wider than the
normalizer's limit); a categorical column that had missing values gets a ``(missing)`` category. At
prediction time a NaN is handled the same way (the train median when training had no gap at all; no
category, i.e. all zeros, for a categorical column). ``--impute mean|median`` fills NaN in numeric
columns (with the column's mean or median) and in categorical ones (with the most frequent
category). The fitted ``TableEncoding`` is plain JSON (pydantic) and is saved with a model, so that
``encode_frame`` turns a prediction file into the same features, refusing missing columns by name
(columns and categories training never saw are read with a warning). NPZ arrays get an
``ArrayEncoding`` (input shape, fill values and layout). Images saved channels last, [n, height,
width, channels] as PIL, Keras and TensorFlow give them (a last axis of 1, 3 or 4 after a first
axis of another size), are turned to the [n, channels, height, width] the networks take, with a
warning; predictions take the same layout as training did. Any other shape is read as given:
[n, a, b] is [n, channels, length] (signals), and a square [n, a, a] — grayscale images, most
likely — gets a warning that says so and how to save them as images; so does [n, a, b] with more
channels than samples (a > b: series saved [n, length, channels], read as given).

Under mean|median the fill values come from all rows of the file, before the split; under auto
the fill is fitted on the training part, and normalization, which is learned, uses train statistics
only. NPZ arrays under auto keep their NaN to the Normalizer, which fills each position with its
training median (no indicators).
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from orthotune._errors import InvalidInputError
from orthotune._tables import written_alike
from orthotune.data._options import Impute
from orthotune.data._validate import (
    HEADER_REPEATED,
    Origin,
    arg,
    check_categories_known,
    check_duplicate_columns,
    check_finite,
    decimal_comma_column,
    mixed_column,
    no_features_left,
    too_many_categories,
)

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

# a text column keeps its MAX_CATEGORIES − 1 most frequent categories, one feature each; the rest
# share "(other)". 256: the information the peer gets (HistGradientBoostingClassifier takes 255
# categories natively), chosen on no figure — no development table has a column of more than 28
# categories, so none can choose it, and none of their figures moves. It was 100: a new user's
# table outside both groups (dslabs' gapminder, 185 countries of 57 rows each, every count tied)
# pooled the 86 countries last in name order, where HGB kept them all (reported there: 99.29
# against HGB's 100 % at 90 s; 100 % after, a check of the fix, not a choice).
MAX_CATEGORIES = 256
# more distinct values than this, and more than half the rows: an identifier or free text, left
# out (the rule of the 100-category cap before, kept as it was)
IDENTIFIER_VALUES = 100
MISSING_CATEGORY = "(missing)"  # the category --impute auto gives missing categorical values
SHOWN_WORDS = 3  # missing words a column's "filled" line names
OTHER_CATEGORY = "(other)"  # the categories beyond a column's MAX_CATEGORIES − 1 most frequent
# cells that mean "missing" (lower-cased, stripped): pandas' words, "?", the mark of many UCI
# tables (heart disease's ca and thal, breast-cancer-wisconsin's bare nuclei), and the words
# exports write ("unknown" among ages was refused as a value to fix; among categories it is
# the "(missing)" category, one feature as before)
_MISSING_WORDS = (
    *("", "nan", "na", "n/a", "#n/a", "null", "none", "<na>", "?"),
    *("unknown", "missing", "n.a."),
)
# a number with a percent sign ("12.5%", "-3 %") reads as the number written (12.5): rates and
# shares exported from spreadsheets; they would otherwise be text, one category per value
_PERCENT = r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*%$"


class ColumnEncoding(BaseModel):
    """How one raw column becomes features: as one number, or one-hot over ``categories``."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["numeric", "categorical", "date"]  # a date is a number: days since 1970
    categories: list[str] = Field(default_factory=list)
    fill: float | str | None = Field(default=None, description="what NaN becomes (--impute)")
    indicator: bool = Field(
        default=False, description="a 0/1 'was missing' feature follows (--impute auto)"
    )
    missing: int = Field(default=0, description="missing values in the data it was fitted on")
    written: list[str] = Field(
        default_factory=list,
        description="words among them that the file wrote (``_MISSING_WORDS``: 'none', '?' …)",
    )
    other: bool = Field(
        default=False,
        description=f"categories beyond the most frequent (and unseen ones) are {OTHER_CATEGORY!r}",
    )
    clock: bool = Field(
        default=False, description="a date column of times of day (the day's share), not dates"
    )
    day_first: bool | None = Field(
        default=None,
        description="a date column written D/M/Y (True) or M/D/Y (False); None: ISO 8601",
    )

    def feature_names(self) -> list[str]:
        if self.kind != "categorical":
            return [self.name] + ([f"{self.name} (missing)"] if self.indicator else [])
        return [f"{self.name}={c}" for c in self.categories]

    def filled(self) -> str | None:
        """What happened to this column's missing values, in words (None: it had none)."""
        if not self.missing or (self.fill is None and not self.indicator):
            return None
        if self.indicator:
            how = "filled from the row's other values, plus a 0/1 'was missing' column"
        elif self.fill == MISSING_CATEGORY:
            how = f"the category {MISSING_CATEGORY!r}"
        else:
            how = repr(self.fill)
        # 'none' is a missing word: among a new user's categories ('none', 'some', '1' …) it
        # was counted as 2,746 missing values of a file without an empty cell, unsaid
        words = ", ".join(repr(w) for w in self.written[:SHOWN_WORDS])
        more = f" +{len(self.written) - SHOWN_WORDS}" if len(self.written) > SHOWN_WORDS else ""
        said = f" (cells written {words}{more} among them)" if words else ""
        return f"{self.name}: {self.missing} missing{said} → {how}"


class TableEncoding(BaseModel):
    """The fitted encoding of a CSV/Parquet table (saved with a model)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    kind: Literal["table"] = "table"
    target: str
    class_names: list[str]
    columns: list[ColumnEncoding]
    ignored: list[str] = Field(
        default_factory=list,
        description="columns that are no features: target, id, weight, source, split, "
        "dropped, and those left out as identifying the rows (row numbers, names)",
    )
    impute: Impute = "none"
    # of ``ignored``, the feature columns the encoding itself left out (row numbers, names, one
    # value): said on stderr only before, now in run.json and the report too
    left_out: list[str] = Field(default_factory=list)

    @property
    def feature_names(self) -> list[str]:
        return [name for col in self.columns for name in col.feature_names()]

    def filled(self) -> list[str]:
        """One line per column whose missing values were filled, saying with what."""
        return [line for col in self.columns if (line := col.filled()) is not None]


class ArrayEncoding(BaseModel):
    """The fitted encoding of NPZ features: their shape and the NaN fill per feature."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    kind: Literal["array"] = "array"
    input_shape: list[int]
    impute: Impute = "none"
    fill: list[float] | None = None
    missing: int = 0  # missing values in the data it was fitted on
    # images given as [n, height, width, channels]: turned to [n, channels, height, width]
    channels_last: bool = False

    def filled(self) -> list[str]:
        """What happened to the missing values, in words ([] when there were none)."""
        if not self.missing or self.impute == "none":
            return []
        if self.fill is None:  # auto: the Normalizer fills, from the training examples
            return [
                f"x: {self.missing} missing → the median of their feature over the training "
                "examples"
            ]
        how = "the mean" if self.impute == "mean" else "the median"
        return [f"x: {self.missing} missing → {how} of their feature (over all examples)"]


@dataclass
class NonFinite:
    """NaN and ±inf counts per feature column (before any filling), with the first inf row."""

    nan: dict[str, int] = field(default_factory=dict)
    inf: dict[str, int] = field(default_factory=dict)
    first_inf: dict[str, int] = field(default_factory=dict)
    # categories training never saw (new rows only): column → (rows, the first such value)
    unseen: dict[str, tuple[int, str]] = field(default_factory=dict)


@dataclass
class _Scan:
    numbers: np.ndarray  # float64 [n], NaN where not a number
    texts: np.ndarray | None  # object [n] stripped strings (None for numeric dtypes)
    missing: np.ndarray  # bool [n]


def _scan(series: pd.Series) -> _Scan:
    import pandas as pd
    from pandas.api import types

    if types.is_bool_dtype(series.dtype):
        missing = series.isna().to_numpy()
        numbers = series.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
        return _Scan(numbers, None, missing)
    if types.is_timedelta64_dtype(series.dtype):  # a duration (Parquet): seconds
        numbers = series.dt.total_seconds().to_numpy(dtype="float64", na_value=np.nan)
        return _Scan(numbers, None, np.isnan(numbers))
    if types.is_numeric_dtype(series.dtype):
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
        return _Scan(numbers, None, np.isnan(numbers))
    # each distinct value is read once: a 327,346-row table's text columns (16 carriers, 4,037
    # tail numbers …) spent 7 s parsing every row as a number and stripping it (a new user's
    # flights: ``data inspect`` silent for 23 s)
    codes, distinct = pd.factorize(series.astype("string"), use_na_sentinel=True)
    text = pd.Series(distinct, dtype="string").str.strip()
    gap = text.isna() | text.str.lower().isin(_MISSING_WORDS)
    bare = text.str.replace(_PERCENT, r"\1", regex=True)  # "12.5%" is the number 12.5
    values = pd.to_numeric(bare, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    absent = codes < 0  # NA: factorized to −1
    at = np.where(absent, 0, codes)
    missing = absent | (gap.to_numpy(dtype=bool)[at] if len(text) else absent)
    numbers = np.where(missing, np.nan, values[at] if len(text) else np.nan)
    texts = np.full(len(codes), None, dtype=object)
    texts[~absent] = text.to_numpy(dtype=object, na_value=None)[codes[~absent]]
    return _Scan(numbers, texts, missing)


def _is_number(scan: _Scan) -> np.ndarray:
    """Rows that hold a number (NaN from a non-missing string is text, ±inf is a number)."""
    return ~scan.missing & ~np.isnan(scan.numbers)


# currency signs: a value holding one is, with it and thousands separators gone, an amount
CURRENCY = "$€£¥"
# a number with thousands separators and a decimal point ("-1,234,567.89")
_GROUPED = r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
# a negative number as accounts write it: "(1.23)", "(1,234.56)"
_PARENS = r"\((?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d*)?\)"
# a number as exports and locales decorate it: a Unicode minus ("−1.5"), digits grouped by
# spaces or apostrophes ("1 234,56", "1'234.56"), a trailing minus ("1.23-"), a unit ("12.5 kg")
_DECORATED = (
    r"[-+\u2212]?(?:\d{1,3}(?:[\s'\u2019.,]\d{3})+|\d+)(?:[.,]\d+)?-?\s?"
    r"(?P<unit>[\u00b0\u00b5]?[^\W\d_]{0,4})"
)
# kinds of text among a column's numbers that mark gaps ("-", "n.d.", "refused": the words of
# ``_MISSING_WORDS`` are gaps already), not identifiers
MARKERS = 3
# a column of numbers and text with at most this many distinct values, each in two rows or
# more, holds codes (school grades "K", "1" … "12"; a survey's "1" … "5" and "DK"; sizes "S",
# "M", "10", "12"): categories, where a value seen once among many numbers is a slip to fix
CODES = 20
# numbers among more kinds of text than this are names too (a pet named "2" among 13,926 pet
# names, openintro's seattlepets, was refused as a slip); among fewer they stay a slip to fix
# ("2.5" among plan names). No figure chose it: it is ``CODES``, the codes' bound, again
NAMES = CODES
SHOWN_REFUSED = 3  # columns a refusal names in its one line


def _codes(values: np.ndarray) -> bool:
    """Whether a column's present ``values``, some numbers and some text, are codes
    (``CODES``): a slip ("12.5o" among prices, a one-off "4o" among ratings or "2.5" among plan
    names) stays one."""
    kinds, counts = np.unique(values.astype(str), return_counts=True)
    return len(kinds) <= CODES and bool((counts >= 2).all())


def _amounts(values: np.ndarray) -> pd.Series:
    """``values`` as numbers once currency signs, thousands separators and spaces are gone
    (NaN where that is no number)."""
    import pandas as pd

    bare = pd.Series(values).astype(str).str.replace(rf"[{CURRENCY},\s]", "", regex=True)
    return pd.to_numeric(bare, errors="coerce")


def _fit_column(
    name: str, series: pd.Series, origin: Origin, *, impute: str, n_rows: int, first: bool
) -> ColumnEncoding | None:
    """The column's encoding (``_encode_column``) and the words it wrote for missing values."""
    scan = _scan(series)
    encoded = _encode_column(name, series, scan, origin, impute=impute, n_rows=n_rows, first=first)
    if encoded is None or not encoded.missing or scan.texts is None:
        return encoded
    texts = scan.texts[scan.missing]
    words = sorted({str(t) for t in texts if t is not None and str(t)})
    return encoded.model_copy(update={"written": words}) if words else encoded


def _encode_column(
    name: str,
    series: pd.Series,
    scan: _Scan,
    origin: Origin,
    *,
    impute: str,
    n_rows: int,
    first: bool,
) -> ColumnEncoding | None:
    """The column's encoding, or None for a column left out, with a warning: row numbers
    (``row_numbers``) or a saved index (``saved_index``; ``first``: the table's first column),
    or text with a distinct value in (almost) every row (an identifier, a
    name, free text)."""
    import pandas as pd

    present = ~scan.missing
    if not present.any():
        if impute == "none":
            raise InvalidInputError(
                f"{origin.file}: column {name!r} is empty in every row: --drop {arg(name)}, fill "
                "it, or leave --impute at auto (it is then left out)"
            )
        # left out: no value to learn from (spreadsheet exports often carry such a column);
        # HistGradientBoostingClassifier reads it and learns nothing from it either
        log.warning(
            "%s: column %r is empty in every row: left out, as it says nothing about a row; "
            "--drop %s to say so",
            origin.file,
            name,
            arg(name),
        )
        return None
    # a pandas category (a DataFrame's, a Parquet file's) of numbers — zip codes, codes — is
    # declared categorical: its values are names, one-hot encoded, not magnitudes
    declared = isinstance(series.dtype, pd.CategoricalDtype)
    is_number = _is_number(scan) & (not declared)
    is_text = present & ~is_number
    missing = int(scan.missing.sum())
    if not is_text.any():
        if row_numbers(scan.numbers, origin.rows) or (first and saved_index(name, scan.numbers)):
            # left out: a new file's row numbers say nothing about its rows, and in a file sorted
            # by its label they leak it — R's `rownames` in COUNT's sorted titanic table gave a
            # network 1 % dev error (a 30-s run); "distinct numbers in every row" is no signal
            log.warning(
                "%s: column %r holds %d…%d, one number per row (a row id, or the index the "
                "table was saved with): left out, as row numbers say nothing about a row; "
                "--drop %s to say so, or --id %s to name the rows by it",
                origin.file,
                name,
                int(np.nanmin(scan.numbers)),
                int(np.nanmax(scan.numbers)),
                arg(name),
                arg(name),
            )
            return None
        values = scan.numbers[present]
        distinct = len(np.unique(values))
        if (
            len(values) >= 20
            and not _named_as_id(name)  # (warned about below)
            and np.array_equal(np.sort(values), values.min() + np.arange(len(values)))
        ):  # 5000…5299, each once: numbered rows (an invoice number), kept but said
            log.warning(
                "%s: column %r holds %d…%d, each once, as numbered rows do: it is a feature; "
                "--drop %s if it only numbers the rows (in a file sorted by its label it leaks "
                "the label)",
                origin.file,
                name,
                int(values.min()),
                int(values.max()),
                arg(name),
            )
        many = distinct > len(values) // 2 or distinct >= max(ID_MANY, len(values) // 20)
        if _named_as_id(name) and many and np.array_equal(values, np.round(values)):
            # kept (a code can carry signal: a clinic's numbering, a sample's batch), but said:
            # MASS's biopsy sample codes and Stat2Data's ICU patient numbers were features. A
            # code shared by many rows (ISLR's OJ: StoreID, 5 values) is a category, not an id;
            # a user_id of 49,000 values in 200,000 rows (4 rows a user) went unsaid
            unique = distinct == len(values)
            log.warning(
                "%s: column %r is named like an identifier and holds %d distinct whole numbers "
                "in %d rows: it is a feature; --drop %s if it only names the rows%s",
                origin.file,
                name,
                distinct,
                len(values),
                arg(name),
                f" (or --id {arg(name)})" if unique else "",
            )
        _warn_float32_merges(name, values, origin)
        return _numeric(name, "numeric", scan.numbers, missing, impute)
    days = _days(scan)
    day_first = None if declared or not np.isnan(days[present]).all() else _day_first(scan)
    if day_first is not None:  # every value a date with day and month as numbers, in one order
        days = _days(scan, day_first)
    if not np.isnan(days[present]).any() and not declared:  # each a date or a time
        encoded = _numeric(name, "date", days, missing, impute)
        return encoded.model_copy(update={"clock": _is_clock(scan), "day_first": day_first})
    undated = present & np.isnan(days)
    if not declared and undated.sum() <= 0.1 * present.sum():  # dates, and a few slips ("-"):
        # as a numeric column's stray text, named — read as text, the dates became categories
        row = int(np.flatnonzero(undated)[0])
        form = True if day_first is None else DAY_FIRST_FORMS[day_first]  # as written
        raise mixed_column(name, row, scan.texts[row], origin, date=form)
    values = scan.texts[present]
    # the tests below read each distinct value once (``back`` maps the rows to them): per row,
    # a 327,346-row table's text columns took 4 s of a 24-s ``data inspect``
    categories, back, counts = np.unique(
        values.astype(str), return_inverse=True, return_counts=True
    )
    kinds = pd.Series(categories, dtype=object)
    if not declared:  # a declared category's names are no numbers written oddly
        commas = pd.Series(
            pd.to_numeric(kinds.str.replace(",", ".", regex=False), errors="coerce").to_numpy()[
                back
            ]
        )
        if commas.notna().all():  # text only because of its decimal commas
            row = int(np.flatnonzero(is_text)[0])
            raise decimal_comma_column(name, row, scan.texts[row], origin)
        # "1,234.56" beside "125.73": text only for its thousands separators. Left to the tests
        # below, a column of amounts distinct in every row read as an identifier and was left out
        grouped = kinds.str.fullmatch(_GROUPED).to_numpy(dtype=bool)[back]
        if grouped.any() and (grouped | is_number[present]).all():
            row = int(np.flatnonzero(present)[int(np.argmax(grouped))])
            raise decimal_comma_column(name, row, scan.texts[row], origin)
        # "(1.23)", an accountant's -1.23, beside numbers: left out as text the same way
        parens = kinds.str.fullmatch(_PARENS).to_numpy(dtype=bool)[back]
        if parens.any() and (parens | grouped | is_number[present]).all():
            row = int(np.flatnonzero(present)[int(np.argmax(parens))])
            raise InvalidInputError(
                f"{origin.file}: column {name!r} holds negative numbers written in parentheses, "
                f"{scan.texts[row]!r} at {origin.row(row)}: write them with a minus sign "
                f"(-{scan.texts[row][1:-1]}), or --drop {arg(name)}"
            )
        signs = pd.Series(kinds.str.contains(f"[{CURRENCY}]", regex=True).to_numpy()[back])
        if signs.any() and _amounts(categories).notna().all():  # "$1,200": only for its signs
            # signs counts the present cells, as grouped and parens do (is_text counts the text
            # ones: one "$1,200" among numbers was an IndexError)
            row = int(np.flatnonzero(present)[int(np.argmax(signs.to_numpy()))])
            raise InvalidInputError(
                f"{origin.file}: column {name!r} holds amounts written with a currency sign, "
                f"{scan.texts[row]!r} at {origin.row(row)}: write plain numbers (1200.5, no sign "
                f"or thousands separator), or --drop {arg(name)}"
            )
    other = len(categories) > MAX_CATEGORIES
    unique = len(categories) == n_rows and n_rows >= 20
    many = len(categories) > IDENTIFIER_VALUES
    identifier = unique or (many and len(categories) > n_rows // 2)  # or free text
    # numbers among text are a slip to fix, unless the column identifies rows and its text is
    # no rare slip (≥ 5 % of its values, of more than MARKERS kinds): Kaggle's Titanic tickets,
    # "113803" and "PC 17599"; a few kinds of text among numbers ("-", "n.d.") mark gaps
    varied = len(np.unique(scan.texts[is_text].astype(str))) > MARKERS
    tickets = identifier and varied and is_text.sum() >= 0.05 * present.sum()
    # decorated numbers, in one unit at most, where no slip among numbers is named below: a
    # column of them was read as an identifier (distinct in every row) and left out, its
    # numbers lost ("12.5o" among prices stays a slip to fix)
    slip = is_number.any() and not tickets and is_number.sum() >= is_text.sum()
    unit = (
        None
        if declared
        else pd.Series(kinds.str.extract(f"^{_DECORATED}$")["unit"].to_numpy(dtype=object)[back])
    )
    plain = is_number[present]
    if (
        unit is not None
        and not slip
        and (unit.notna().to_numpy() | plain).all()
        and unit[unit != ""].nunique() <= 1
    ):
        odd = ~plain & commas.isna().to_numpy()  # a decorated one, not a mere decimal comma
        row = int(np.flatnonzero(present)[int(np.argmax(odd if odd.any() else ~plain))])
        raise InvalidInputError(
            f"{origin.file}: column {name!r} holds numbers written with other characters, "
            f"{scan.texts[row]!r} at {origin.row(row)}: write plain numbers (digits, one "
            f"decimal mark, a leading '-'; no unit, no digit grouping), or --drop {arg(name)}"
        )
    if is_number.any() and not tickets and not _codes(values):
        if is_number.sum() >= is_text.sum():  # mixed: name the values of the minority kind
            row = int(np.flatnonzero(is_text)[0])
            raise mixed_column(name, row, scan.texts[row], origin, texts=scan.texts[is_text])
        kinds = len(np.unique(scan.texts[is_text].astype(str)))
        if kinds <= NAMES:
            row = int(np.flatnonzero(is_number)[0])
            raise InvalidInputError(
                f"{origin.file}: column {name!r} is text but {origin.row(row)} holds the number "
                f"{scan.texts[row]!r}: write it as a category name, or --drop {arg(name)}"
            )
        numbers = list(dict.fromkeys(scan.texts[is_number].astype(str).tolist()))
        log.warning(  # names, some of them numbers: categories like the rest
            "%s: column %r holds %d number(s) among %d kinds of text (%s%s): read as category "
            "names like the rest",
            origin.file,
            name,
            int(is_number.sum()),
            kinds,
            ", ".join(map(repr, numbers[:3])),
            ", …" if len(numbers) > 3 else "",
        )
    if identifier:
        # left out, not refused: a name or ticket column (Kaggle's Titanic, R's row names) is
        # what real tables bring, and one-hot codes of values seen once generalize to no row
        log.warning(
            "%s: %s: left out; --drop %s to say so, --id %s if it names the rows, or write "
            "dates as YYYY-MM-DD",
            origin.file,
            too_many_categories(name, len(categories), n_rows),
            arg(name),
            arg(name),
        )
        return None
    if other:  # the most frequent keep a feature each; the rest share "(other)"
        ranked = np.lexsort((categories, -counts))
        order = ranked[: MAX_CATEGORIES - 1]
        rest = int(counts.sum() - counts[order].sum())
        last, first_out = counts[ranked[MAX_CATEGORIES - 2]], counts[ranked[MAX_CATEGORIES - 1]]
        tie = (
            f"; {last} row{'' if last == 1 else 's'} each at the cut: those kept are the first in "
            "name order"
            if last == first_out
            else ""
        )
        log.warning(
            "%s: column %r has %d categories: the %d most frequent are kept, the other %d "
            "(%d rows) become %r%s",
            origin.file,
            name,
            len(categories),
            MAX_CATEGORIES - 1,
            len(categories) - len(order),
            rest,
            OTHER_CATEGORY,
            tie,
        )
        categories, counts = categories[np.sort(order)], counts[np.sort(order)]
    _warn_case_variants(name, categories, origin)
    names = [str(c) for c in categories] + [OTHER_CATEGORY] * other
    fill = None
    if impute == "auto":
        if missing:
            names.append(MISSING_CATEGORY)
            fill = MISSING_CATEGORY
    elif impute != "none":
        fill = str(categories[int(np.argmax(counts))])  # most frequent; ties: first in order
    return ColumnEncoding(
        name=name, kind="categorical", categories=names, fill=fill, missing=missing, other=other
    )


FLOAT32_MERGES = 0.01  # share of a column's distinct whole numbers (``_warn_float32_merges``)


def _warn_float32_merges(name: str, values: np.ndarray, origin: Origin) -> None:
    """Distinct whole numbers that become one in float32, the precision the networks read
    (exact to 2**24: dates written 20240101 and 20240102 are one value, and every pair of days
    looked like a duplicate input with a conflicting label) are named in a warning with the
    fix — when at least ``FLOAT32_MERGES`` of its distinct values merge: a count of a billion
    (a sweep's gapminder population, 23115919 beside 23115921, 1 of 10,352 values) loses a
    relative 1e-7, nothing a network reads, where consecutive dates merge by the half."""
    distinct = np.unique(values)
    if not np.array_equal(distinct, np.round(distinct)):  # whole numbers only: measurements
        return  # closer than 1e-7 relative are noise, and a million of them always have some
    with np.errstate(over="ignore"):  # beyond float32's range: refused by ``check_finite``
        merged = len(distinct) - len(np.unique(distinct.astype(np.float32)))
    if merged and merged >= FLOAT32_MERGES * len(distinct):
        log.warning(
            "%s: column %r holds numbers that float32, the precision the network reads, cannot "
            "tell apart (%d of its %d distinct values merge with another, e.g. %s): write dates "
            "as YYYY-MM-DD, or subtract a common offset so that fewer digits remain",
            origin.file,
            name,
            merged,
            len(distinct),
            " and ".join(f"{v:.15g}" for v in distinct[_first_merge(distinct) :][:2]),
        )


def _first_merge(distinct: np.ndarray) -> int:
    """The first of sorted distinct values that float32 reads as its successor."""
    with np.errstate(over="ignore"):
        as32 = distinct.astype(np.float32)
    return int(np.flatnonzero(as32[1:] == as32[:-1])[0])


def _warn_case_variants(name: str, categories: np.ndarray, origin: Origin) -> None:
    """Categories written alike but for case, a final '.' or spaces (``Male`` / ``male`` /
    ``MALE``; ``written_alike``) stay apart — a code may tell ``a`` from ``A`` — but are named
    in a warning: in a hand-typed column they are one category split in several, each learned
    from fewer rows."""
    alike = written_alike(categories)
    if alike:
        log.warning(
            "%s: column %r holds categories that differ only in case, a final '.' or spaces: "
            "%s; they are kept apart — if they are one category, write them alike",
            origin.file,
            name,
            "; ".join(alike[:3]) + (f"; … {len(alike) - 3} more" if len(alike) > 3 else ""),
        )


def _numeric(
    name: str, kind: str, numbers: np.ndarray, missing: int, impute: str
) -> ColumnEncoding:
    """A column read as numbers (``numbers``: NaN where missing) under ``impute``."""
    if impute == "auto":  # the Normalizer fills NaN (fitted on train)
        return ColumnEncoding(name=name, kind=kind, indicator=missing > 0, missing=missing)
    fill = None
    if impute != "none":
        finite = numbers[np.isfinite(numbers)]
        fill = float(np.mean(finite) if impute == "mean" else np.median(finite))
    return ColumnEncoding(name=name, kind=kind, fill=fill, missing=missing)


# an id-named column of at least this many values (and a twentieth of the rows) is said even
# when its values repeat
ID_MANY = 100


def _named_as_id(name: str) -> bool:
    """``id``, ``ID``, ``patient_id``, ``sample.id``, ``PassengerId``, ``customerID``: a name
    that says the column identifies rows."""
    bare = name.strip()
    lower = bare.lower()
    return (
        lower == "id"
        or lower.endswith(("_id", " id", ".id", "-id"))
        or (bare.endswith(("Id", "ID")) and len(bare) > 2 and not bare[-3].isupper())
    )


# what a table's first column is named when it holds the index the table was saved with:
# pandas' ``to_csv`` ("Unnamed: 0" read back) and ``to_parquet`` ("__index_level_0__", which
# the loader puts first), R's ``write.csv`` ("rownames" in Rdatasets' files; "X" from
# ``read.csv``, "...1" from readr), ``reset_index`` ("index")
_UNMISTAKABLE = ("unnamed: 0", "", "__index_level_0__", "rownames")  # no feature is named so
_INDEX_NAMES = (*_UNMISTAKABLE, "x", "...1", "index")


def saved_index(name: str, numbers: np.ndarray) -> bool:
    """Whether a table's first column, named as an index is (``_INDEX_NAMES``), holds one:
    distinct whole numbers — the index of a table saved after rows were left out (``dropna``,
    a filter: the numbers have gaps, which ``row_numbers`` does not take) or shuffled (a split
    saved with its index) — in increasing order, unless the name can only be an index's.
    carData's Chile vote table with its 168 unlabelled rows left out kept its ``rownames``
    1…2700 as a feature."""
    lower = name.strip().lower()
    if lower not in _INDEX_NAMES or len(numbers) < 20 or not np.isfinite(numbers).all():
        return False
    if not np.array_equal(numbers, np.round(numbers)) or len(np.unique(numbers)) < len(numbers):
        return False
    return lower in _UNMISTAKABLE or bool(np.all(np.diff(numbers) > 0))


def row_numbers(numbers: np.ndarray, rows: np.ndarray | None = None) -> bool:
    """0…n−1 or 1…n, each once (in any order): what a row number looks like — of the file's
    ``rows`` (0-based) where the table left some out (``Origin.rows``). Such a column carries no
    signal about the label, unless the rows were sorted by it (a leak)."""
    rows = np.arange(len(numbers)) if rows is None else np.asarray(rows)
    if len(numbers) < 20 or not np.isfinite(numbers).all():
        return False
    offset = numbers.min() - rows[0]
    return offset in (0, 1) and bool(np.array_equal(np.sort(numbers), rows + offset))


def _written(series: pd.Series, categories: Sequence[str]) -> np.ndarray:
    """A column read as numbers, as the text of the categories training read: ``3.0`` is
    ``"3"`` where that is a category and ``"3.0"`` is not — new rows whose codes are all
    numbers (floats where a cell is empty) name the categories of a column that training read
    as text ("K", "1" … "12")."""
    from pandas.api import types

    text = series.astype(str).to_numpy(dtype=object)
    if not types.is_float_dtype(series.dtype):
        return text
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    whole = np.isfinite(values) & (values == np.round(values))
    known = set(categories)
    for i in np.flatnonzero(whole):
        short = str(int(values[i]))
        if text[i] not in known and short in known:
            text[i] = short
    return text


# a time of day: 9:05, 14:30, 14:30:05, 14:30:05.250 (a CSV's text, a Parquet time's)
_CLOCK = r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}(?:\.\d+)?))?$"


def _is_clock(scan: _Scan) -> bool:
    """Whether a text column holds times of day (``14:30``): its first 100 values decide (not
    the first alone: a "-" there hid a column of dates)."""
    import pandas as pd

    if scan.texts is None or not (~scan.missing).any():
        return False
    head = pd.Series(scan.texts[~scan.missing][:100], dtype=object)
    return bool(head.str.fullmatch(_CLOCK).any())


# a date with day and month as numbers, in either order, and an optional time: 9/30/1990,
# 30.09.1990, 30-09-1990 14:05, 9/30/1990 0:00:00, 9/30/1990 12:00:00 AM
_NUMERIC_DATE = (
    r"^(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})"
    r"(?:[ T]+(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}(?:\.\d+)?))?\s*(?P<ampm>[AaPp][Mm])?)?$"
)


DAY_FIRST_FORMS = {True: "DD/MM/YYYY", False: "MM/DD/YYYY"}  # as a refusal names them


def _day_first(scan: _Scan) -> bool | None:
    """Whether a text column of dates with day and month as numbers (``_NUMERIC_DATE``, every
    present value) writes the day first (a first number beyond 12, no second one) or the month
    (the other way round); None where the values do not tell (all 12 or less: ``03/01/2024``)
    or are not such dates."""
    import pandas as pd

    present = ~scan.missing
    if scan.texts is None or not present.any():
        return None
    texts = pd.Series(scan.texts[present], dtype=object)
    if not texts.head(100).str.fullmatch(_NUMERIC_DATE).all():
        return None  # the first values decide for text that is not such dates, cheaply
    parts = texts.str.extract(_NUMERIC_DATE)
    if parts["a"].isna().any():
        return None
    a, b = parts["a"].astype(int), parts["b"].astype(int)
    if (a > 12).any() != (b > 12).any():
        return bool((a > 12).any())
    return None


def _numeric_dates(texts: pd.Series, day_first: bool) -> np.ndarray:
    """Days since 1970-01-01 of dates written as ``_NUMERIC_DATE`` in the order ``day_first``
    says (NaN where a text is not one, or no such day: 31/02/1990)."""
    import pandas as pd

    parts = texts.str.extract(_NUMERIC_DATE)
    day, month = (parts["a"], parts["b"]) if day_first else (parts["b"], parts["a"])
    when = pd.to_datetime(
        pd.DataFrame({"year": parts["y"], "month": month, "day": day}).astype(float),
        errors="coerce",
    )
    hour = parts["h"].astype(float).fillna(0.0)
    noon = parts["ampm"].str.lower()
    twelve = noon.notna()  # 12:00:00 AM is midnight, 12:30 PM half past noon
    bad = twelve & ((hour < 1) | (hour > 12))
    hour = hour.where(~twelve, hour % 12 + 12 * (noon == "pm"))
    m, sec = parts["m"].astype(float).fillna(0.0), parts["s"].astype(float).fillna(0.0)
    bad |= (hour >= 24) | (m >= 60) | (sec >= 60)
    days = (when - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    days = days + (hour * 3600 + m * 60 + sec) / 86400
    return days.where(~bad).to_numpy(dtype="float64", na_value=np.nan)


def _days(scan: _Scan, day_first: bool | None = None) -> np.ndarray:
    """Days since 1970-01-01 (UTC) of each ISO 8601 date or time — or, with ``day_first``, of
    each date with day and month as numbers in that order (``_NUMERIC_DATE``) —, or a time of
    day's share of a day (14:30 → 0.604, when the column's first values hold one); NaN where
    missing or not one (a numeric column: all NaN)."""
    import pandas as pd

    days = np.full(len(scan.missing), np.nan)
    present = ~scan.missing
    if scan.texts is None or not present.any():
        return days  # numbers
    texts = pd.Series(scan.texts[present], dtype=object)
    if day_first is not None:
        days[present] = _numeric_dates(texts, day_first)
        return days
    if _is_clock(scan):  # times of day, 14:30 or 14:30:05.5: the day's share
        clock = texts.str.extract(_CLOCK).astype(float)
        h, m, sec = clock["h"], clock["m"], clock["s"].fillna(0.0)
        share = (h * 3600 + m * 60 + sec) / 86400
        days[present] = share.where((h < 24) & (m < 60) & (sec < 60)).to_numpy(dtype="float64")
        return days
    if not texts.head(100).str[:4].str.isdigit().any():
        return days  # text that does not start as a date does (YYYY)
    with warnings.catch_warnings():  # a mix of zones is parsed to UTC
        warnings.simplefilter("ignore")
        stamps = pd.to_datetime(
            texts,
            format="ISO8601",
            errors="coerce",
            utc=True,
        )
    epoch = pd.Timestamp("1970-01-01", tz="UTC")
    days[present] = ((stamps - epoch) / pd.Timedelta(days=1)).to_numpy(
        dtype="float64", na_value=np.nan
    )
    return days


def fit_table_encoding(
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    target: str,
    class_names: Sequence[str],
    ignored: Sequence[str],
    impute: Impute,
    origin: Origin,
) -> TableEncoding:
    """Decide, per feature column, numeric or categorical (and fill values under --impute).
    Every column is looked at before a refusal: one line names each column refused (up to
    ``SHOWN_REFUSED``), as a table refused for one column at a time took a run per column
    to learn what to fix (seattlepets: its pet names, then its zip codes)."""
    fitted, refused = {}, []
    for name in features:
        try:
            fitted[name] = _fit_column(
                name,
                frame[name],
                origin,
                impute=impute,
                n_rows=len(frame),
                first=name == frame.columns[0],
            )
        except InvalidInputError as err:
            if HEADER_REPEATED in str(err):  # the line's fault: every column would say it
                raise
            refused.append(str(err).removeprefix(f"{origin.file}: "))
    if refused:
        more = len(refused) - SHOWN_REFUSED
        also = "".join(f"; and {line}" for line in refused[1:SHOWN_REFUSED])
        rest = f"; and {more} more column(s) like these" if more > 0 else ""
        raise InvalidInputError(f"{origin.file}: {refused[0]}{also}{rest}")
    columns = [col for col in fitted.values() if col is not None]
    left_out = [name for name, col in fitted.items() if col is None]
    if not columns:
        raise no_features_left(left_out, origin)
    return TableEncoding(
        target=target,
        class_names=list(class_names),
        columns=columns,
        ignored=[*ignored, *left_out],
        impute=impute,
        left_out=left_out,
    )


def _check_frame_columns(frame: pd.DataFrame, encoding: TableEncoding, origin: Origin) -> list[str]:
    """Every training feature column is there (else one line); returns the columns training
    never saw, which prediction ignores."""
    names = [str(c) for c in frame.columns]
    check_duplicate_columns(names, origin)
    expected = [c.name for c in encoding.columns]
    missing = [c for c in expected if c not in names]
    if missing:
        folded = {n.strip().casefold(): n for n in names}
        keys = [(c, c.strip().casefold()) for c in missing]
        near = [(c, folded[k]) for c, k in keys if k in folded]
        hint = ""
        if near:  # 'Age' for 'age': names are matched exactly
            shown = ", ".join(f"{b!r} for {a!r}" for a, b in near[:3])
            hint = f"; DATA has {shown}, which differ in case or spaces only: rename them"
        raise InvalidInputError(
            f"{origin.file}: feature column(s) {', '.join(map(repr, missing))} used in training "
            f"are missing: add them (the model needs every training feature){hint}"
        )
    known = set(expected) | set(encoding.ignored)
    return [c for c in names if c not in known]


def _beyond_float32(values: np.ndarray) -> np.ndarray:
    """±inf, and finite numbers beyond float32's range (±3.4e38), which training would read as
    inf: both are refused as infinite."""
    with np.errstate(invalid="ignore"):
        return np.abs(values) > np.finfo(np.float32).max


def encode_table(
    frame: pd.DataFrame,
    encoding: TableEncoding,
    origin: Origin,
    *,
    allow_nonfinite: bool = False,
) -> tuple[np.ndarray, NonFinite]:
    """Features ``float32 [n, d]`` of ``frame`` under ``encoding`` and the NaN/inf counts seen.

    Without ``allow_nonfinite`` (training, prediction) ±inf, and NaN that no fill covers, are
    errors; with it (``data inspect``) they stay in the features (a missing category: all zeros).
    """
    import pandas as pd

    n = len(frame)
    blocks: list[np.ndarray] = []
    report = NonFinite()
    unfilled: dict[str, int] = {}
    for col in encoding.columns:
        scan = _scan(frame[col.name])
        if col.kind != "categorical":
            numbers = scan.numbers if col.kind == "numeric" else _days(scan, col.day_first)
            is_text = ~scan.missing & np.isnan(numbers)
            if is_text.any():
                row = int(np.flatnonzero(is_text)[0])
                # a date column given numbers (day counts, 20240301 read as a number) has no texts
                value = scan.numbers[row] if scan.texts is None else scan.texts[row]
                date = col.kind == "date" and (
                    True if col.day_first is None else DAY_FIRST_FORMS[col.day_first]
                )
                raise mixed_column(col.name, row, value, origin, date=date)
            if col.kind == "date" and (~scan.missing).any() and _is_clock(scan) != col.clock:
                row = int(np.flatnonzero(~scan.missing)[0])
                trained, given = ("times of day", "a date") if col.clock else ("dates", "a time")
                raise InvalidInputError(  # 14:30 in a column of 2024 dates: 1970-01-01 14:30
                    f"{origin.file}: column {col.name!r} held {trained} in training but "
                    f"{origin.row(row)} holds {given}, {scan.texts[row]!r}: write the column as "
                    "in training"
                )
            values = numbers.copy()
            nan = np.isnan(values)
            inf = _beyond_float32(values)
            if inf.any():
                report.inf[col.name] = int(inf.sum())
                report.first_inf[col.name] = int(np.flatnonzero(inf)[0])
            if nan.any():
                report.nan[col.name] = int(nan.sum())
                if col.fill is not None:
                    values[nan] = float(col.fill)
                elif encoding.impute != "auto":  # auto: the Normalizer fills it
                    unfilled[col.name] = int(nan.sum())
            with np.errstate(over="ignore"):  # beyond float32 (data inspect only): inf, reported
                blocks.append(values[:, None].astype(np.float32))
            if col.indicator:
                blocks.append(nan[:, None].astype(np.float32))
        else:
            texts = (
                scan.texts if scan.texts is not None else _written(frame[col.name], col.categories)
            )
            texts = np.asarray(texts, dtype=object).copy()
            missing = scan.missing
            if missing.any():
                report.nan[col.name] = int(missing.sum())
            index = pd.Index(col.categories)
            unknown = (index.get_indexer(texts.astype(str)) < 0) & ~missing
            if col.other:  # a rare category, or one never seen: "(other)"
                if unknown.any() and origin.predicting:  # new rows: said, as unseen ones are
                    log.warning(
                        "%s: column %r: %d row(s) hold a category not among the %d that training "
                        "kept (%r …): read as %r, as training read its rare ones",
                        origin.file,
                        col.name,
                        int(unknown.sum()),
                        sum(c not in (OTHER_CATEGORY, MISSING_CATEGORY) for c in col.categories),
                        str(texts[int(np.flatnonzero(unknown)[0])]),
                        OTHER_CATEGORY,
                    )
                texts[unknown] = OTHER_CATEGORY
                unknown[:] = False
            if unknown.any():  # only new rows can hold one: read as missing, unless strict
                row = int(np.flatnonzero(unknown)[0])
                if encoding.impute == "none":
                    check_categories_known(col.name, {row: str(texts[row])}, col.categories, origin)
                report.unseen[col.name] = (int(unknown.sum()), str(texts[row]))
                missing = missing | unknown
            if missing.any():
                if col.fill is not None:
                    texts[missing] = col.fill
                    missing = np.zeros(n, dtype=bool)
                elif encoding.impute != "auto":  # auto: no category, all zeros
                    unfilled[col.name] = int(missing.sum())
            codes = index.get_indexer(texts.astype(str)).astype(np.int64)
            codes[missing] = -1
            onehot = np.zeros((n, len(col.categories)), dtype=np.float32)
            rows = np.flatnonzero(codes >= 0)
            onehot[rows, codes[rows]] = 1.0
            if missing.any() and allow_nonfinite:
                onehot[missing] = np.nan  # keep "missing" visible to the NaN report
            blocks.append(onehot)
    if not allow_nonfinite:
        check_finite(unfilled, report.inf, report.first_inf, origin, impute="none")
    # float32 blocks: float64 ones, joined and then cast, held 2.5 GB for the 508 MB of a
    # 327,346 × 388 table's features (a new user's flights: data inspect's 3 GB)
    x = np.concatenate(blocks, axis=1) if blocks else np.zeros((n, 0), dtype=np.float32)
    return x, report


def encode_frame(
    frame: pd.DataFrame,
    encoding: TableEncoding,
    *,
    file: str = "data",
    header_lines: int | None = None,
) -> np.ndarray:
    """Apply a saved encoding to new data (prediction time): ``float32 [n, d]`` features.

    Refuses, by name, training feature columns that are missing, numeric columns holding text
    and NaN that no ``--impute`` fill covers. What real files bring beside the features is read
    with a warning that names it: columns training never saw are ignored, and a category
    training never saw is a missing value (filled as ``--impute`` fills one: the ``(missing)``
    category, or none; refused under ``--impute none``), as scikit-learn's gradient boosting
    reads one. Columns that were not features in training (target, id, weight, source, split,
    dropped) may be present and are ignored silently. ``header_lines``: a CSV file's lines
    above its first row (a row is then also named by its line in the file).
    """
    origin = Origin(file, header_lines=header_lines, predicting=True)
    extra = _check_frame_columns(frame, encoding, origin)
    x, report = encode_table(frame, encoding, origin)
    if extra:
        log.warning("%s: column(s) %s were not in the training data: ignored", file, extra)
    for name, (rows, value) in report.unseen.items():
        log.warning(
            "%s: column %r: %d row(s) hold a category not seen in training (%r …): read as a "
            "missing value",
            file,
            name,
            rows,
            value,
        )
    # gaps where training had none are filled (refused under --impute none, above), but said:
    # a new user's blank annual_income went into a prediction unsaid
    new = [f"{c.name} ({report.nan[c.name]})" for c in encoding.columns
           if not c.missing and report.nan.get(c.name)]  # fmt: skip
    if new:
        log.warning(
            "%s: missing values in column(s) that had none in training: %s: filled as the model "
            "fills any (--impute %s)",
            file,
            ", ".join(new),
            encoding.impute,
        )
    return x


# channel counts of images (gray, RGB, RGBA): a last axis of one of these sizes after a first
# axis of another size is read as channels last (module docstring)
IMAGE_CHANNELS = (1, 3, 4)


def _channels_last(shape: Sequence[int]) -> bool:
    """Whether examples of ``shape`` are images saved [height, width, channels]."""
    return len(shape) == 3 and shape[-1] in IMAGE_CHANNELS and shape[0] not in IMAGE_CHANNELS


def _warn_layout(shape: Sequence[int], name: str) -> None:
    h = tuple(int(d) for d in shape)
    if _channels_last(h):
        log.warning(
            "%s: examples shaped %s are read as images saved channels last (height, width, "
            "channels): each becomes %s (channels, height, width)",
            name, h, (h[2], h[0], h[1]),
        )  # fmt: skip
    elif len(h) == 2 and h[0] > h[1]:  # more channels than samples: saved [n, length, channels]
        # as Keras and tslearn save series? BasicMotions [80, 100, 6] trained as 100 channels of
        # 6 samples, with no word
        log.warning(
            "%s: examples shaped %s are read as %d channels of %d samples each; if they are "
            "series of %d samples with %d channel(s) (saved [n, length, channels]), save "
            "x.transpose(0, 2, 1) instead",
            name, h, h[0], h[1], h[0], h[1],
        )  # fmt: skip
    elif len(h) == 2 and h[0] == h[1] >= 8:
        log.warning(
            "%s: examples shaped %s are read as %d channels of length %d (signals); if they are "
            "one-channel images, save x shaped [n, 1, %d, %d]",
            name, h, h[0], h[1], h[0], h[1],
        )  # fmt: skip


def fit_array_encoding(x: np.ndarray, *, impute: Impute, name: str = "x") -> ArrayEncoding:
    """Fill values per (flattened) feature from the finite values of ``x`` under --impute, and
    the layout of its examples (``_channels_last``; a warning for a layout read as a guess)."""
    _warn_layout(x.shape[1:], name)
    fill = None
    missing = int(np.isnan(x).sum()) if np.issubdtype(x.dtype, np.floating) else 0
    # auto: the Normalizer fills each position with its median over the **training** examples
    # (fitted after the split; a fill over every row took the test rows' values into training)
    if impute not in ("none", "auto"):
        flat = x.reshape(len(x), -1).astype(np.float64)
        flat = np.where(np.isfinite(flat), flat, np.nan)
        with warnings.catch_warnings():  # a feature with no value at all is filled with 0
            warnings.simplefilter("ignore", RuntimeWarning)
            stat = np.nanmean(flat, axis=0) if impute == "mean" else np.nanmedian(flat, axis=0)
        fill = np.nan_to_num(stat, nan=0.0).tolist()
    return ArrayEncoding(
        input_shape=list(x.shape[1:]),
        impute=impute,
        fill=fill,
        missing=missing,
        channels_last=_channels_last(x.shape[1:]),
    )


def array_feature_name(j: int, shape: Sequence[int]) -> str:
    """``x[0,5]`` for flattened feature ``j`` of examples shaped ``shape``."""
    return "x[" + ",".join(str(int(i)) for i in np.unravel_index(j, tuple(shape))) + "]"


def encode_array(
    x: np.ndarray,
    encoding: ArrayEncoding,
    origin: Origin | None = None,
    *,
    allow_nonfinite: bool = False,
    predicting: bool = False,
) -> tuple[np.ndarray, NonFinite]:
    """``x`` as float32 with NaN filled per feature, channels first; errors for ±inf and
    unfilled NaN (``predicting``: a trained model's rows, ``Origin.predicting``)."""
    origin = dataclasses.replace(origin or Origin("X", predicting=predicting), columns=False)
    shape = tuple(x.shape[1:])
    if list(shape) != list(encoding.input_shape):
        raise InvalidInputError(
            f"{origin.file}: examples have shape {shape} but {tuple(encoding.input_shape)} was "
            "expected: give data shaped like the training data"
        )
    flat = x.reshape(len(x), int(np.prod(shape))).astype(np.float64)  # 0 rows too
    report = NonFinite()
    nan = np.isnan(flat)
    inf = _beyond_float32(flat)
    for j in np.flatnonzero(nan.any(axis=0)):
        report.nan[array_feature_name(j, shape)] = int(nan[:, j].sum())
    for j in np.flatnonzero(inf.any(axis=0)):
        name = array_feature_name(j, shape)
        report.inf[name] = int(inf[:, j].sum())
        report.first_inf[name] = int(np.flatnonzero(inf[:, j])[0])
    if encoding.fill is not None and nan.any():
        flat = np.where(nan, np.asarray(encoding.fill)[None, :], flat)
    if not allow_nonfinite:  # auto leaves NaN to the Normalizer (its training medians)
        unfilled = report.nan if encoding.fill is None and encoding.impute != "auto" else {}
        check_finite(unfilled, report.inf, report.first_inf, origin, impute="none")
    with np.errstate(over="ignore"):
        out = flat.reshape(x.shape).astype(np.float32)
    if encoding.channels_last:
        out = np.ascontiguousarray(np.moveaxis(out, -1, 1))
    return out, report


def describe_left_out(dataset) -> list[str]:
    """The columns of ``dataset``'s table that were no features though no option named them
    (identifying the rows, one value …: each said in a warning as it was read); [] else."""
    encoding = getattr(dataset, "encoding", None)
    return list(getattr(encoding, "left_out", []))


def describe_filled(dataset) -> list[str]:
    """One line per column whose missing values ``dataset``'s encoding filled, saying with what
    (what the terminal, ``data inspect`` and ``run.json`` show); [] for built-ins."""
    encoding = getattr(dataset, "encoding", None)
    return [] if encoding is None else encoding.filled()

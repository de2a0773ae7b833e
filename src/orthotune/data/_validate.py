"""Validation before any training: each problem is one ``InvalidInputError`` line that names the
file, the column, the row and the fix.

The loaders compute (counts, first offending rows); the functions here decide and word the error,
so every message has the same shape: ``FILE: what is wrong (where): fix``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from orthotune._errors import InvalidInputError
from orthotune._splits import ALIASES
from orthotune._tables import table_suffix

log = logging.getLogger(__name__)

SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",  # read as any CSV file: its delimiter is found (``orthotune._tables``)
    ".parquet": "parquet",
    ".pq": "parquet",
    ".npz": "npz",
}
SPREADSHEETS = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")
TEXT_TABLES = (".txt", ".dat", ".data", ".tab")  # text tables a .csv name makes readable
ACCEPTED_DATA = (
    "a .csv (or .tsv; either may be .gz, .bz2, .xz or .zip), .parquet or .npz file, a folder of "
    "images (FOLDER/CLASS/IMAGE.png), or builtin:NAME (mnist1d, digits, breast-cancer, synthetic)"
)


@dataclass(frozen=True)
class Origin:
    """Where values came from, to word messages: the file and how rows map to its lines."""

    file: str
    header_lines: int | None = None  # CSV: lines before the first data row (1 = a header line)
    # the file's rows that the table holds, in order, when some were left out (rows without a
    # label); None: every row
    rows: np.ndarray | None = field(default=None, compare=False)
    # the rows meet a trained model's saved encoding (predict): it reads every column it was
    # trained on, so --drop and --impute, training's options, are no way out
    predicting: bool = False
    # a table's columns, which --drop leaves out; an array's positions (x[1,9]) it cannot
    columns: bool = True

    def drop(self, column: str) -> str:
        """``, or --drop COLUMN`` while training a table; nothing when predicting or for an
        array (its fix named an option that an NPZ file, and ``predict``, refuse)."""
        return "" if self.predicting or not self.columns else f", or --drop {arg(column)}"

    def row(self, i: int) -> str:
        """``row 5 (file line 7)`` for CSV (0-based data rows = default ids), ``row 5`` else;
        ``i`` is a row of the table, named by its row in the file."""
        if self.rows is not None:
            i = int(self.rows[i])
        if self.header_lines is None:
            return f"row {i}"
        return f"row {i} (file line {i + self.header_lines + 1})"


def arg(name: str) -> str:
    """A column name as a shell takes it after a flag: quoted when it holds spaces or shell
    characters (``--drop 'Unnamed: 0'``: unquoted, the shell split it in two)."""
    import shlex

    return shlex.quote(name)


def _names(values: Iterable[str], limit: int = 12) -> str:
    values = [str(v) for v in values]
    shown = ", ".join(values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


def _preview(value: object, limit: int = 40) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


# --- the file itself ---------------------------------------------------------------------------


def check_file(path: Path) -> str:
    """The file exists, is a non-empty regular file with a supported extension; returns its
    format (``csv``, ``parquet`` or ``npz``)."""
    name = str(path)
    suffix = table_suffix(path)
    if path.is_dir():
        raise InvalidInputError(
            f"{name}: is a folder, not a data file: give the path of a file in it (accepted: "
            f"{ACCEPTED_DATA})"
        )
    if suffix not in SUFFIXES:
        fix = "convert the file or rename it with the right extension"
        if suffix in SPREADSHEETS:
            fix = "save it as CSV from the spreadsheet (Save as → CSV), then give that file"
        if suffix == ".zip":
            fix = "unzip it and give the data file inside (a NAME.csv.zip holding one CSV is read)"
        if suffix in TEXT_TABLES:
            fix = (
                "if it is a table of text lines, rename it .csv (its delimiter — comma, "
                "semicolon, tab, pipe or spaces — is found)"
            )
        raise InvalidInputError(
            f"{name}: unsupported data file extension {suffix or '(none)'!r}; accepted: "
            f"{ACCEPTED_DATA}: {fix}"
        )
    if not path.exists():
        raise InvalidInputError(
            f"{name}: file does not exist: check the path (accepted: {ACCEPTED_DATA})"
        )
    if not path.is_file():
        raise InvalidInputError(f"{name}: is not a regular file: give the path of a data file")
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as err:
        raise InvalidInputError(
            f"{name}: file is unreadable ({err.strerror or err}): check its permissions"
        ) from None
    if size == 0:
        raise InvalidInputError(f"{name}: file is empty (0 bytes): give a file with data rows")
    if head.startswith(b"version https://git-lfs.github.com/spec/"):
        raise InvalidInputError(
            f"{name}: is a Git LFS pointer ({size} bytes), not the data it points to: fetch "
            "the file itself (git lfs pull), then give it"
        )
    if path.suffix.lower() in (".csv", ".tsv"):  # named as plain text: is it?
        _check_plain_text(head, name)
    return SUFFIXES[suffix]


# the first bytes of compressed files and ZIP archives, which a file named .csv may be
_PACKED = {b"\x1f\x8b": ".gz", b"BZh": ".bz2", b"\xfd7zXZ": ".xz"}


def _check_plain_text(head: bytes, name: str) -> None:
    """A file named ``.csv`` that is compressed, a ZIP archive or a web page gets one line
    saying so."""
    for magic, ext in _PACKED.items():
        if head.startswith(magic):
            raise InvalidInputError(
                f"{name}: is compressed ({ext[1:]}) but named as plain text: rename it "
                f"{name}{ext}, which is read as it is"
            )
    if head.startswith(b"PK\x03\x04"):
        raise InvalidInputError(
            f"{name}: is a ZIP archive (a zipped file, or a spreadsheet), not CSV text: unzip "
            f"it (or rename it {name}.zip: a zip of one CSV file is read as it is), or save the "
            "spreadsheet as CSV"
        )
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head")):
        raise InvalidInputError(
            f"{name}: is a web page (HTML or XML), not CSV text, as when a download saves the "
            "page that links to a file instead of the file: download the file itself"
        )


def unreadable(origin: Origin, kind: str, err: BaseException, fix: str) -> InvalidInputError:
    """The error for a file its reader could not parse."""
    reason = " ".join(str(err).split()) or type(err).__name__
    if len(reason) > 200:
        reason = reason[:200] + "…"
    return InvalidInputError(f"{origin.file}: cannot be read as {kind} ({reason}): {fix}")


def check_has_rows(n: int, origin: Origin) -> None:
    if n == 0:
        raise InvalidInputError(f"{origin.file}: has no data rows: give a file with examples")


# --- columns -----------------------------------------------------------------------------------


def check_duplicate_columns(names: Sequence[str], origin: Origin) -> None:
    """Two columns with one name would make every column option ambiguous."""
    dups = sorted(name for name, count in Counter(names).items() if count > 1)
    if dups:
        raise InvalidInputError(
            f"{origin.file}: duplicate column names {_names(dups)}: "
            "rename the columns so that each name is unique"
        )


def check_columns_exist(
    roles: Mapping[str, str], drop: Sequence[str], columns: Sequence[str], origin: Origin
) -> None:
    """Every column named by --target/--weight/--source/--id/--split-col/--drop exists, and no
    column plays two roles."""
    present = set(columns)
    named = [(flag, col) for flag, col in roles.items()] + [("--drop", col) for col in drop]
    for flag, col in named:
        if col not in present:
            close = [c for c in columns if c.strip().lower() == col.strip().lower()]
            fix = f"give {flag} {close[0]!r} (as the header writes it)" if close else ""
            raise InvalidInputError(
                f"{origin.file}: {flag} {col!r} names a column that does not exist; "
                f"columns: {_names(columns)}: {fix or 'give one of these'}{_no_header(columns)}"
            )
    used: dict[str, str] = {}
    for flag, col in named:
        if col in used and used[col] != flag:
            raise InvalidInputError(
                f"{origin.file}: column {col!r} is given to both {used[col]} and {flag}: "
                "give each column one role"
            )
        used[col] = flag


def missing_target(columns: Sequence[str], candidates: Sequence[str], origin: Origin) -> None:
    raise InvalidInputError(
        f"{origin.file}: no --target given and no column named {'/'.join(candidates)}; "
        f"columns: {_names(columns)}: give --target COL{_no_header(columns)}"
    )


def _no_header(columns: Sequence[str]) -> str:
    """A hint when the first line holds numbers rather than names (a file without a header,
    as many UCI ``.data`` files are), or one cell only (a title or comment line above the
    header): "" otherwise."""
    if len(columns) == 1:
        return (
            " (its first line holds one cell: if a title or comment lines come before the "
            "header line, remove them)"
        )
    numbers, values = [], []
    for c in columns:
        try:
            values.append(float(c))
        except ValueError:
            continue
        numbers.append(c)
    # 0, 1, 2 … (or 1, 2, 3 … after a label): a DataFrame's numbered columns, saved as names
    counted = all(b - a == 1 for a, b in pairwise(values)) and all(v.is_integer() for v in values)
    # more than half, or two (UCI's adult.data: '39', '77516' … among 15 cells, 6 numbers)
    if counted or (len(numbers) < 2 and len(numbers) * 2 <= len(columns)):
        return ""
    shown = ", ".join(numbers[:3]) + (" …" if len(numbers) > 3 else "")
    return (
        f" (its first line holds numbers, {shown}, where column names belong: if the file has "
        "no header line — many UCI .data files have none — add one)"
    )


def check_some_features(features: Sequence[str], origin: Origin) -> None:
    if not features:
        raise InvalidInputError(
            f"{origin.file}: no feature columns are left after the target, id, weight, source, "
            "split and dropped columns: keep at least one feature column"
        )


# a refusal about a line, not a column: every column of it would say the same
HEADER_REPEATED = "repeats the header line"


def mixed_column(
    column: str,
    row: int,
    value: object,
    origin: Origin,
    *,
    date: bool | str = False,
    texts: Sequence[object] = (),
) -> InvalidInputError:
    """A numeric (or date) column with a stray text value is an error, not a category; a value
    that is the column's own name is a header line repeated (files concatenated). ``texts``:
    every present value of the column that is text, when there may be more than ``value`` —
    the line counts them and shows a few, so that one run names them all (a zip-code column
    with 75 ZIP+4 codes among 52,122 was refused once per value a user fixed). ``date``: a
    date column's form, as written (True: ISO 8601, YYYY-MM-DD; or e.g. "MM/DD/YYYY")."""
    trained = ", as in training" if origin.predicting else ""
    form = "YYYY-MM-DD" if date is True else str(date)
    kind = f"a date column ({'ISO 8601' if date is True else form}{trained})" if date else "numeric"
    if str(value).strip() == column.strip():
        return InvalidInputError(
            f"{origin.file}: {origin.row(row)} {HEADER_REPEATED} (column {column!r} holds "
            f"its own name there), as when CSV files are concatenated: remove that line"
        )
    empty = (
        "leave it empty: a missing value, filled as in training"
        if origin.predicting
        else "leave it empty for missing and use --impute"
    )
    if isinstance(value, int | float | np.number):  # a date column given a number
        return InvalidInputError(
            f"{origin.file}: column {column!r} is {kind} but {origin.row(row)} holds the number "
            f"{float(value):g}: write it as a date, {form} ({empty}){origin.drop(column)}"
        )
    if len(texts) > 1:
        kinds = list(dict.fromkeys(str(t) for t in texts))
        shown = ", ".join(_preview(t) for t in kinds[:3]) + (", …" if len(kinds) > 3 else "")
        return InvalidInputError(
            f"{origin.file}: column {column!r} is {kind} but {len(texts)} of its values are "
            f"text ({shown}; the first at {origin.row(row)}): fix those values ({empty})"
            f"{origin.drop(column)}"
        )
    return InvalidInputError(
        f"{origin.file}: column {column!r} is {kind} but {origin.row(row)} holds the text "
        f"{_preview(value)}: fix that value ({empty}){origin.drop(column)}"
    )


def decimal_comma_column(column: str, row: int, value: object, origin: Origin) -> InvalidInputError:
    """Numbers with a comma (decimal, or thousands) where the file's decimal mark is a point."""
    return InvalidInputError(
        f"{origin.file}: column {column!r} holds numbers written with a decimal comma (or a "
        f"thousands separator), {_preview(value)} at {origin.row(row)}, where the file's "
        "decimal mark is a point: write every number of the file with one decimal mark and no "
        "thousands separator (a decimal comma only in a file separated by ';', tabs or '|')"
        f"{origin.drop(column)}"
    )


def too_many_categories(column: str, count: int, n: int) -> str:
    """Why a text column is left out (``data._encoding``), in words."""
    return (
        f"text column {column!r} has {count} distinct values in {n} rows, too many to learn "
        "from (an identifier, free text, or dates not in ISO 8601?)"
    )


def no_features_left(left_out: Sequence[str], origin: Origin) -> InvalidInputError:
    """Every feature column was left out: identifying the rows, or empty (``data._encoding``)."""
    return InvalidInputError(
        f"{origin.file}: no feature column is left: {', '.join(map(repr, left_out))} "
        "identif(ies) the rows (row numbers, or a distinct text in almost every row) or "
        "hold(s) no value, which no model learns from: add columns to learn from, write dates "
        "as YYYY-MM-DD, or encode the text as numbers yourself"
    )


def check_categories_known(
    column: str, unknown: Mapping[int, str], known: Sequence[str], origin: Origin
) -> None:
    """At prediction time every category must have been seen in training."""
    if unknown:
        row, value = next(iter(unknown.items()))
        raise InvalidInputError(
            f"{origin.file}: column {column!r} {origin.row(row)} holds {_preview(value)}, a "
            f"category not seen in training (known: {_names(known)}): map it to a known "
            f"category or drop those rows"
        )


# --- values ------------------------------------------------------------------------------------


def check_finite(
    nan: Mapping[str, int],
    inf: Mapping[str, int],
    first_inf: Mapping[str, int],
    origin: Origin,
    *,
    impute: str,
) -> None:
    """No infinite values anywhere; no NaN unless --impute fills them."""
    inf = {k: v for k, v in inf.items() if v}
    nan = {k: v for k, v in nan.items() if v}
    if inf:
        col = next(iter(inf))
        per = _names(f"{c} ({k})" for c, k in inf.items())
        raise InvalidInputError(
            f"{origin.file}: infinite values (or beyond ±3.4e38, float32's range) in {len(inf)} "
            f"column(s): {per}; first in {col!r} at {origin.row(first_inf[col])}: replace them "
            f"with finite numbers{origin.drop(col)}"
        )
    if nan and impute == "none":
        col = next(iter(nan))
        per = _names(f"{c} ({k})" for c, k in nan.items())
        fix = (
            # predict's own --impute none also lands here, on a model trained to fill them: the
            # line blamed training for a flag the user gave predict (a new user's loans table)
            "fill them in the file (under --impute none they are refused: a model trained with "
            "--impute none has no fill for them, and one trained to fill them does so when "
            "predict is given no --impute)"
            if origin.predicting
            else "use --impute auto (the default), mean or median, fill them in the file"
            f"{origin.drop(col)}"
        )
        raise InvalidInputError(
            f"{origin.file}: missing (NaN) values in {len(nan)} column(s): {per}: {fix}"
        )


def check_column_complete(column: str, flag: str, missing_rows: np.ndarray, origin: Origin) -> None:
    """Labels, ids, weights, sources and split values may not be missing."""
    if missing_rows.size:
        raise InvalidInputError(
            f"{origin.file}: {flag} column {column!r} is empty in {missing_rows.size} row(s), "
            f"first at {origin.row(int(missing_rows[0]))}: fill those values or remove the rows"
        )


def check_unique_ids(ids: np.ndarray, column: str, origin: Origin) -> None:
    _, first, counts = np.unique(ids, return_index=True, return_counts=True)
    if (counts > 1).any():
        dup = int(np.flatnonzero(counts > 1)[0])
        raise InvalidInputError(
            f"{origin.file}: --id column {column!r} repeats the id {ids[first[dup]]!r} "
            f"({int(counts[dup])} times, first at {origin.row(int(first[dup]))}): ids must be "
            "unique; fix them or leave out --id to use row numbers"
        )


def check_weights(weights: np.ndarray, column: str, origin: Origin) -> None:
    """Weights s(i) must be finite, non-negative and not all zero (J = Σ s·L / Σ s)."""
    bad = np.flatnonzero(~np.isfinite(weights))
    if bad.size:
        raise InvalidInputError(
            f"{origin.file}: weight column {column!r} has {bad.size} non-finite value(s), first "
            f"at {origin.row(int(bad[0]))}: give finite weights ≥ 0"
        )
    neg = np.flatnonzero(weights < 0)
    if neg.size:
        raise InvalidInputError(
            f"{origin.file}: weight column {column!r} has {neg.size} negative value(s), first "
            f"{weights[neg[0]]:g} at {origin.row(int(neg[0]))}: weights must be ≥ 0"
        )
    if weights.size and not (weights > 0).any():
        raise InvalidInputError(
            f"{origin.file}: weight column {column!r} is zero for every row: "
            "give some positive weights or leave out --weight"
        )


def check_split_values(values: np.ndarray, column: str, parts: Sequence[str], origin: Origin):
    """--split-col holds train, train-dev, dev, test or nothing (let the policy decide)."""
    bad = np.flatnonzero(~np.isin(values, [*parts, ""]))
    if bad.size:
        also = ", ".join(sorted(a for a, p in ALIASES.items() if p in parts))
        raise InvalidInputError(
            f"{origin.file}: --split-col {column!r} holds {values[bad[0]]!r} at "
            f"{origin.row(int(bad[0]))}; accepted: {', '.join(parts)} (or {also}, in any case) "
            "or empty: fix those values"
        )


# at least this many distinct labels, all numbers and some with a fraction: a measurement (and,
# all whole numbers other than class codes 0…K−1 or 1…K, a quantity: a warning)
CONTINUOUS_LABELS = 20


def check_classes(
    class_names: Sequence[str], origin: Origin, labels: str = "the --target column"
) -> None:
    """At least 2 classes, and labels that are classes: many distinct numbers with fractions
    (a price, a temperature) are a regression target, refused in one line rather than as
    hundreds of one-example classes. ``labels`` names where the labels came from (a table's
    target column, an NPZ file's array 'y')."""
    if len(class_names) < 2:
        found = _names(class_names) if class_names else "none"
        raise InvalidInputError(
            f"{origin.file}: needs at least 2 classes to classify, found {len(class_names)} "
            f"({found}): check {labels}"
        )
    if len(class_names) >= CONTINUOUS_LABELS:
        try:
            numbers = [float(c) for c in class_names]
        except ValueError:
            return
        fractions = [c for c, v in zip(class_names, numbers, strict=True) if v != round(v)]
        if fractions:
            raise InvalidInputError(
                f"{origin.file}: {labels} holds {len(class_names)} distinct numbers, "
                f"some with fractions ({_preview(fractions[0])}): a continuous target, which "
                "orthotune does not regress: bin it into classes (e.g. by quantile), or give "
                "a column of class labels"
            )


def warn_quantity_target(
    class_names: Sequence[str], origin: Origin, labels: str = "the --target column"
) -> None:
    """A warning for labels that are many whole numbers other than class codes 0…K−1 or 1…K (a
    count, a year, a price): each is read as a class, which may not be what was meant."""
    if len(class_names) < CONTINUOUS_LABELS:
        return
    try:
        ordered = sorted(float(c) for c in class_names)
    except ValueError:
        return
    codes = [float(i) for i in range(len(ordered))]
    if ordered in (codes, [c + 1 for c in codes]):
        return
    log.warning(
        "%s: %s holds %d distinct whole numbers (%g … %g), each read as a class: if it is a "
        "quantity (a count, a year, a price), bin it into classes first",
        origin.file,
        labels,
        len(ordered),
        ordered[0],
        ordered[-1],
    )


def check_dev_source(dev_source: str | None, sources: np.ndarray | None, origin: Origin) -> None:
    if dev_source is None:
        return
    if sources is None:
        raise InvalidInputError(
            f"{origin.file}: --dev-source {dev_source!r} needs a source per example: "
            "give --source COL (or data that has sources)"
        )
    names = sorted(set(sources.tolist()))
    if dev_source not in names:
        raise InvalidInputError(
            f"{origin.file}: --dev-source {dev_source!r} is not a source of this data; "
            f"sources: {_names(names)}: give one of these"
        )


def check_class_sizes(counts: Mapping[str, int], parts: Sequence[str], data: str = "data") -> None:
    """A stratified split puts every class in every part: each needs ≥ one example per part."""
    small = {name: k for name, k in counts.items() if 0 < k < len(parts)}
    if small:
        name, k = min(small.items(), key=lambda kv: kv[1])
        more = f" (and {len(small) - 1} more small classes)" if len(small) > 1 else ""
        raise InvalidInputError(
            f"{data}: class {name!r} has {k} example(s), too few for a stratified split into "
            f"{len(parts)} parts ({', '.join(parts)}){more}: collect more examples of it, merge "
            "it into another class, or remove it"
        )

"""Read the tables users give (CSV or Parquet, chosen by extension), with one error shape.

A ``.csv`` file need not be comma-separated: spreadsheets in many locales save ``;``-separated files
with a decimal comma (``1,5``), and tab- or ``|``-separated exports are common. ``csv_dialect``
reads the first lines (through the compression of a ``.csv.gz``, ``.bz2`` or ``.xz`` file, or
of a ``.csv.zip`` that holds that one file, as Kaggle's downloads do) and takes
the delimiter among ``,``, ``;``, tab and ``|`` that splits every one of them into the same number
of cells, the most cells (a tie keeps the earlier: ``,`` first); in a ragged file, the one that
splits the header into the most cells, so that the reader's error names the ragged line. Where none
of them splits every line into the same two or more cells but runs of spaces do (R's
``write.table``, many ``.txt`` and ``.data`` files renamed, columns aligned with spaces), the file
is space-separated (``sep`` ``" "``: any run of spaces or tabs between cells, and before the first).
With another delimiter than ``,``, numbers written only with a decimal comma in those lines make
``,`` the decimal mark. A file that is not UTF-8 but reads as Windows-1252 (what spreadsheets on
Windows save as "CSV": ``café`` with ``é`` as one byte) is read as such, and one that starts with a
UTF-16 byte-order mark (Excel's "Unicode text") as UTF-16; a file with NUL bytes otherwise stays
UTF-8, for the reader to refuse. A first line ``sep=;`` (Excel writes it to name the delimiter)
names the delimiter and is skipped. Every CSV reader of the package (data, new rows to predict, the
cleaned copy ``clean`` writes back in the same dialect, predictions, tables of scores) goes through
it.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import itertools
import lzma
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orthotune._errors import InvalidInputError

__all__ = [
    "CSV_SUFFIXES",
    "DAMAGED",
    "PARQUET_SUFFIXES",
    "CsvDialect",
    "alike_key",
    "csv_dialect",
    "read_columns",
    "read_table",
    "short_row",
    "table_suffix",
    "written_alike",
]

CSV_SUFFIXES = (".csv", ".tsv")  # a .tsv is a CSV file whose dialect is read like any other
PARQUET_SUFFIXES = (".parquet", ".pq")


def _zip_open(path: str | Path, mode: str = "rb", **text: Any) -> Any:
    """The one file a ``.csv.zip`` holds, opened as ``gzip.open`` opens a ``.csv.gz`` (pandas
    reads such an archive as it is, and refuses one of several files: so is it here)."""
    archive = zipfile.ZipFile(path)
    names = archive.namelist()
    if len(names) != 1:
        archive.close()
        shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
        raise InvalidInputError(
            f"{Path(path).name}: is a ZIP archive of {len(names)} files ({shown}), not one "
            "CSV file: unzip it and give the file to read"
        )
    member = archive.open(names[0])
    return io.TextIOWrapper(member, **text) if "t" in mode else member


# a CSV file may come compressed (data.csv.gz): pandas reads it as it is, the sniffer through these
_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".zip": _zip_open}
# what a damaged compressed file raises beside OSError (cut short; corrupt data): readers catch
DAMAGED = (EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)
_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES
_DELIMITERS = (",", ";", "\t", "|")
_SPACES = " "  # CsvDialect.sep of a space-separated file: cells split by any run of whitespace
_SAMPLE_BYTES = 1 << 16  # the first 64 KiB: a header and enough rows to judge
_SAMPLE_ROWS = 2000  # as many rows of the sample as it holds, up to this
# a number with a decimal comma or point, a percent too ("86,4%": a spreadsheet's percentages)
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?%?")
_DECIMAL_POINT = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?%?")
_SEP_LINE = re.compile(r'"?sep=(.)"?[,;\t|]*')  # Excel's first line naming the delimiter


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written: its cell delimiter and decimal mark (pandas' names)."""

    sep: str = ","
    decimal: str = "."
    encoding: str = "utf-8"
    skip: int = 0  # lines before the header: 1 for Excel's "sep=;" line
    # every data line ends with a delimiter the header lacks ("1,2,p," under "a,b,label"): one
    # more, empty field, which pandas would take as a shift (the first column its index, each
    # column its right neighbour's cells, the label the empty field)
    trailing: bool = False
    newline: str = "\n"  # "\r\n" where the file's first line ends so (a Windows file)
    preamble: str = ""  # the lines before the header as written (the "sep=;" line), ends kept

    def pandas(self) -> dict[str, object]:
        """``pandas.read_csv``'s options for this file, the same for every reader of user
        tables: a space after a delimiter (``a, b, label``) is no part of a name or a value, so
        that training, ``predict`` and ``clean`` see the same column names (the loader read
        ``' b'`` where ``predict`` read ``'b'``, and ``tune`` refused its own file)."""
        return {
            "sep": r"\s+" if self.sep == _SPACES else self.sep,
            "decimal": self.decimal,
            "encoding": self.encoding,
            "skipinitialspace": True,
            "skiprows": self.skip,
            **({"index_col": False} if self.trailing else {}),
        }

    def describe(self) -> str:
        """Words for how the file was read ("" for plain comma-separated UTF-8)."""
        words = []
        if self.sep != ",":
            names = {";": "semicolon", "\t": "tab", "|": "pipe", _SPACES: "space"}
            words.append(names[self.sep] + "-separated")
        if self.decimal == ",":
            words.append("decimal comma")
        if self.encoding != "utf-8":
            words.append({"utf-16": "UTF-16 text"}.get(self.encoding, "Windows-1252 text"))
        if self.skip:
            words.append("its 'sep=' line skipped")
        return ", ".join(words)


def table_suffix(path: str | Path) -> str:
    """The suffix that names a file's format, lower-cased: ``.csv`` for ``data.csv`` and for a
    compressed ``data.csv.gz`` (``.bz2``, ``.xz``, ``.zip``), else the last suffix."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if len(suffixes) >= 2 and suffixes[-1] in _COMPRESSED and suffixes[-2] in CSV_SUFFIXES:
        return suffixes[-2]
    return suffixes[-1] if suffixes else ""


def csv_dialect(path: str | Path) -> CsvDialect:
    """The dialect of the CSV file at ``path`` (module docstring); unreadable bytes are left
    for the reader to report (a damaged compressed file raises ``OSError``)."""
    opener = _COMPRESSED.get(Path(path).suffix.lower(), open)
    with opener(path, "rb") as handle:
        raw = handle.read(_SAMPLE_BYTES + 1)
    encoding = _encoding(raw[:_SAMPLE_BYTES])
    text = raw[:_SAMPLE_BYTES].decode(
        "utf-8-sig" if encoding == "utf-8" else encoding, errors="replace"
    )
    if len(raw) > _SAMPLE_BYTES:
        text = text[: text.rfind("\n") + 1]  # the last line of a cut sample may be cut too
    first, _, rest = text.partition("\n")
    named = _SEP_LINE.fullmatch(first.strip())
    skip, delimiters = (1, (named.group(1),)) if named else (0, _DELIMITERS)
    layout = {"newline": "\r\n" if first.endswith("\r") else "\n"}
    if named:
        text, layout["preamble"] = rest, first + "\n"
    consistent, header, trailing = {}, {}, set()
    for sep in delimiters:
        lines = csv.reader(io.StringIO(text), delimiter=sep)
        try:
            sample = [r for r in itertools.islice(lines, _SAMPLE_ROWS) if r]
        except csv.Error:  # NUL bytes and the like: the reader will say so
            continue
        widths = {len(r) for r in sample}
        header[sep] = len(sample[0]) if sample else 0
        if widths == {header[sep]} and header[sep] >= 2:
            consistent[sep] = sample
        elif header[sep] >= 2 and _ends_empty(sample):
            consistent[sep] = [sample[0], *(r[:-1] for r in sample[1:])]
            trailing.add(sep)
    if not consistent and not named:
        spaced = _spaced(text)
        if spaced:
            consistent[_SPACES], header[_SPACES] = spaced, len(spaced[0])
    if not consistent:  # ragged: the header's delimiter, so that the reader names the bad line
        best = max(header, key=header.get, default=",")  # equals: the first ("," first)
        sep = best if named or header.get(best, 0) >= 2 else ","
        return CsvDialect(sep, encoding=encoding, skip=skip, **layout)
    best = max(consistent, key=lambda sep: header[sep])
    rows = consistent[best]
    if best == ",":
        return CsvDialect(encoding=encoding, skip=skip, trailing=best in trailing, **layout)
    cells = [c.strip() for r in rows[1:] for c in r]
    comma = any(_DECIMAL_COMMA.fullmatch(c) for c in cells)
    point = any(_DECIMAL_POINT.fullmatch(c) for c in cells)
    decimal = "," if comma and not point else "."
    return CsvDialect(best, decimal, encoding, skip, best in trailing, **layout)


def _ends_empty(sample: list[list[str]]) -> bool:
    """Whether every line after the header holds one field more than it, and that one empty: a
    delimiter ending each data line (not R's row names, which come first and are not empty)."""
    width = len(sample[0])
    rows = sample[1:]
    return bool(rows) and all(len(r) == width + 1 and not r[-1].strip() for r in rows)


def _spaced(text: str) -> list[list[str]]:
    """The sample's lines split at runs of whitespace (quotes kept together), when every one
    splits into the same two or more cells, or every line after the header into one more (R's
    ``write.table`` writes row names without naming them: the reader takes them as its index),
    and no column name holds another delimiter (a ragged comma file whose cells hold one space
    each is no space-separated file); [] otherwise."""
    lines = (" ".join(line.split()) for line in io.StringIO(text))
    reader = csv.reader(itertools.islice(lines, _SAMPLE_ROWS), delimiter=_SPACES)
    try:
        rows = [r for r in reader if r]
    except csv.Error:
        return []
    if not rows or any(d in name for name in rows[0] for d in _DELIMITERS):
        return []
    named, widths = len(rows[0]), {len(r) for r in rows[1:]}
    return rows if named >= 2 and len(widths) == 1 and widths <= {named, named + 1} else []


def _encoding(sample: bytes) -> str:
    """``utf-8``, ``utf-16`` after its byte-order mark, or ``cp1252`` for a sample that is not
    UTF-8 but is Windows-1252 text."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        return "utf-8"
    try:  # incremental: a character cut by the sample's end is no error
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:  # bytes that are no text in either
        return "utf-8"
    return "cp1252"


def _check(p: Path, what: str) -> None:
    if table_suffix(p) not in _SUFFIXES:
        raise InvalidInputError(
            f"{what} {str(p)!r} has extension {p.suffix or '(none)'!r}: accepted are "
            ".csv, .tsv and .parquet; convert the file or rename it"
        )
    if not p.is_file():
        raise InvalidInputError(
            f"{what} {str(p)!r} does not exist: give the path to a CSV or Parquet file"
        )


_COMMA_NUMBER = re.compile(r"^([-+]?\d*),(\d+(?:[eE][-+]?\d+)?\s*%?)$")  # 0,95 12,5%


def _csv_rows(path: Path, d: CsvDialect) -> Iterator[list[str]]:
    """The CSV file's rows as lists of cells (the standard library's reader; blank lines
    skipped, as pandas skips them)."""
    encoding = "utf-8-sig" if d.encoding == "utf-8" else d.encoding
    opener = _COMPRESSED.get(path.suffix.lower(), open)
    with opener(path, "rt", newline="", encoding=encoding) as handle:
        lines = (" ".join(x.split()) for x in handle) if d.sep == _SPACES else handle
        yield from (row for row in csv.reader(lines, delimiter=d.sep, skipinitialspace=True) if row)


def short_row(path: str | Path, rows: Sequence[int], width: int) -> tuple[int, int] | None:
    """The first of the data ``rows`` (0-based, below the header) of the CSV file at ``path``
    that holds fewer than ``width`` cells, and its cells: pandas reads such a line as if its
    last cells were empty (``0.5,yes`` under ``f1,f2,label``: the label missing, ``yes`` in
    f2). None when none of them is short; the file is read up to the last of them."""
    wanted = set(rows)
    if not wanted:
        return None
    p = Path(path).expanduser()
    d = csv_dialect(p)
    numbered = itertools.islice(_csv_rows(p, d), d.skip + 1, None)  # below the header
    for i, cells in enumerate(itertools.islice(numbered, max(wanted) + 1)):
        if i in wanted and len(cells) < width:
            return i, len(cells)
    return None


def read_columns(path: str | Path, *, what: str) -> dict[str, list[Any]]:
    """A small table as ``{column: cells}``; CSV cells stay text (``"96%"``), read by the
    standard library (no pandas import for a table of a few rows)."""
    p = Path(path).expanduser()
    _check(p, what)
    if table_suffix(p) not in CSV_SUFFIXES:
        frame = read_table(p, what=what)
        return {str(c): frame[c].tolist() for c in frame.columns}
    try:
        d = csv_dialect(p)
        rows = list(_csv_rows(p, d))
    except (OSError, UnicodeDecodeError, csv.Error, *DAMAGED) as err:
        message = " ".join(str(err).split())
        raise InvalidInputError(
            f"{what} {str(p)!r} cannot be read ({message}): give a valid CSV or Parquet file"
        ) from None
    if not rows:
        raise InvalidInputError(f"{what} {str(p)!r} is empty: give a header row and data rows")
    header, body = rows[0], rows[1:]
    if d.sep == _SPACES and body and all(len(r) == len(header) + 1 for r in body):
        body = [r[1:] for r in body]  # R's unnamed row names (``_spaced``)
    ragged = next((i for i, row in enumerate(body, 2) if len(row) != len(header)), None)
    if ragged is not None:
        raise InvalidInputError(
            f"{what} {str(p)!r} line {ragged} has {len(body[ragged - 2])} cells but the header "
            f"has {len(header)}: give one cell per column"
        )
    cells = {name.strip(): [row[i].strip() for row in body] for i, name in enumerate(header)}
    if d.decimal == ",":  # "0,95" and "12,5%" as the other readers take them
        cells = {k: [_COMMA_NUMBER.sub(r"\1.\2", c) for c in v] for k, v in cells.items()}
    return cells


def read_table(path: str | Path, *, what: str) -> Any:
    """A pandas DataFrame from a CSV or Parquet file."""
    import pandas as pd

    p = Path(path).expanduser()
    _check(p, what)
    try:
        if table_suffix(p) in CSV_SUFFIXES:
            return pd.read_csv(p, **csv_dialect(p).pandas())
        return pd.read_parquet(p)
    except (ValueError, OSError, pd.errors.ParserError, *DAMAGED) as err:
        message = " ".join(str(err).split())
        raise InvalidInputError(
            f"{what} {str(p)!r} cannot be read ({message}): give a valid CSV or Parquet file"
        ) from None


def alike_key(name: object) -> str:
    """A name as ``written_alike`` compares it: case, a trailing full stop and the spaces
    between words ignored."""
    return " ".join(str(name).casefold().rstrip(".").split())


def written_alike(names: Iterable[object]) -> list[str]:
    """Groups of names that differ only in case, a trailing full stop or the spaces between
    words (``yes`` / ``YES``, ``<=50K`` / ``<=50K.``, ``Male`` / ``male``), each as
    ``'a' / 'b'``: likely one value written two ways, which the callers' warnings name."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(alike_key(name), []).append(str(name))
    return [" / ".join(map(repr, g)) for g in groups.values() if len(g) > 1]

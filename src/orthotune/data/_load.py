"""``load_dataset``: DATA (a ``.csv``, ``.parquet`` or ``.npz`` path, ``builtin:NAME``, or a
pandas DataFrame, read as the Parquet file ``frame_file`` writes of it) → a validated
``Dataset``.

Tables (CSV via pandas, Parquet via pyarrow): the ``--target`` column holds the labels (strings
or integers; ``class_names`` are sorted — numerically when every label is a number — and kept as
strings); ``--id``, ``--weight``, ``--source`` and ``--split-col`` columns play their roles,
``--drop`` columns are left out, and every other column is a feature (numeric, or one-hot when
all its values are text; see ``_encoding``). Example ids default to the 0-based row index.
NPZ: arrays ``x`` (``[n, …]``, shape kept), ``y``, and optionally ``weights``, ``source``,
``ids`` and ``split``. Every problem is one ``InvalidInputError`` line (see ``_validate``).
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from orthotune._errors import InvalidInputError
from orthotune._splits import split_names
from orthotune._tables import DAMAGED, csv_dialect, short_row, written_alike
from orthotune.data._builtin import load_builtin
from orthotune.data._dataset import SPLIT_PARTS, Dataset
from orthotune.data._encoding import (
    ArrayEncoding,
    NonFinite,
    encode_array,
    encode_table,
    fit_array_encoding,
    fit_table_encoding,
)
from orthotune.data._images import LAYOUT, has_class_folders, image_folder_arrays
from orthotune.data._options import DEFAULT_TARGETS, LoadOptions, load_options
from orthotune.data._validate import (
    Origin,
    arg,
    check_classes,
    check_column_complete,
    check_columns_exist,
    check_dev_source,
    check_duplicate_columns,
    check_file,
    check_has_rows,
    check_some_features,
    check_split_values,
    check_unique_ids,
    check_weights,
    missing_target,
    unreadable,
    warn_quantity_target,
)

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

NPZ_KEYS: tuple[str, ...] = ("x", "y", "weights", "source", "ids", "split")
FRAME_NAME = "DataFrame"  # a DataFrame given as DATA, in messages and ``Dataset.name``
SHORT_SCAN = 200_000  # rows of a CSV file read again to find a line with too few cells


@dataclass
class Loaded:
    """A data set and the NaN/inf counts seen while loading it (for ``data inspect``)."""

    dataset: Dataset
    nonfinite: NonFinite


def load_dataset(
    spec: str | pd.DataFrame,
    options: LoadOptions | None = None,
    *,
    array_encoding: ArrayEncoding | None = None,
) -> Dataset:
    """Load and validate DATA: ``path.csv``, ``path.parquet``, ``path.npz`` or ``builtin:NAME``
    — or a pandas DataFrame in memory, read as a table file with its columns is read.

    ``array_encoding``: a trained model's; an NPZ file's examples are then encoded as its
    training examples were (their fill values and layout), not fitted anew (``predict``).

    Raises ``InvalidInputError`` (one line naming file, column, row and fix) for anything that
    would make training wrong or fail: see ``orthotune.data._validate``.
    """
    return load_with_report(spec, options, array_encoding=array_encoding).dataset


def load_with_report(
    spec: str | pd.DataFrame,
    options: LoadOptions | None = None,
    *,
    allow_nonfinite: bool = False,
    array_encoding: ArrayEncoding | None = None,
) -> Loaded:
    """``load_dataset`` that also returns NaN/inf counts; with ``allow_nonfinite`` NaN and inf
    stay in the features instead of being errors (``data inspect`` reports them)."""
    options = options or LoadOptions()
    labels = "the --target column"  # where the labels came from, for the messages below
    if not isinstance(spec, str | Path):  # pandas is imported only for data in memory
        import pandas as pd

        if isinstance(spec, Dataset):  # tune and train take one; the other calls read DATA
            raise InvalidInputError(
                "DATA is a Dataset (dataset_from_arrays); this call reads a file path, "
                "builtin:NAME or a pandas DataFrame: save the arrays (numpy.savez('data.npz', "
                "x=x, y=y)) and give that file"
            )
        if not isinstance(spec, pd.DataFrame):
            raise InvalidInputError(
                f"DATA is a {type(spec).__name__}; accepted: a file path, builtin:NAME or a "
                "pandas DataFrame: for arrays use orthotune.data.dataset_from_arrays(x, y)"
            )
        loaded = _load_frame(spec, options, allow_nonfinite=allow_nonfinite)
        origin = Origin(loaded.dataset.name)
    elif str(spec).strip().startswith("builtin:"):
        spec = str(spec).strip()
        origin = Origin(spec)
        given = options.column_flags_given()
        if given:
            raise InvalidInputError(
                f"{spec}: {_apply(given)} only to CSV and Parquet files: "
                "leave them out for a built-in data set"
            )
        loaded = Loaded(load_builtin(spec.removeprefix("builtin:")), NonFinite())
    else:
        spec = str(spec).strip()
        path = Path(spec).expanduser()
        kind = "images" if path.is_dir() else check_file(path)
        if kind == "images":
            labels = "its class folders"
            loaded = _load_images(path, options, allow_nonfinite, array_encoding)
        elif kind == "npz":
            labels = "its array 'y'"
            loaded = _load_npz(path, options, allow_nonfinite, array_encoding)
        else:
            loaded = _load_table(path, kind, options, allow_nonfinite=allow_nonfinite)
        origin = Origin(spec)
    if array_encoding is None:  # else a model's examples to predict: its classes are its own
        check_classes(loaded.dataset.class_names, origin, labels)
        warn_quantity_target(loaded.dataset.class_names, origin, labels)
    check_dev_source(options.dev_source, loaded.dataset.source, origin)
    return loaded


# --- labels ------------------------------------------------------------------------------------


_WHOLE = re.compile(r"[+-]?\d+")  # a whole number as written: read exactly, as Python's int


def label_names(values: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class indices and sorted class names from raw labels (strings or numbers).

    Numbers are read by value and sort numerically; integral ones are written without a
    decimal point (``2``, not ``2.0``), others as Python writes the float (``2.50`` → ``2.5``),
    so ``"2"`` < ``"10"``; whole numbers as written are read exactly (Python's int, beyond
    float64's 2**53); text sorts as text.
    """
    import pandas as pd

    text = np.array([str(v).strip() for v in np.asarray(values, dtype=object)], dtype=str)
    uniques, inverse = np.unique(text, return_inverse=True)
    if len(uniques) and all(_WHOLE.fullmatch(u) for u in uniques):  # exact beyond 2**53
        number_of = {}
        for u in uniques:
            number_of.setdefault(str(int(u)), int(u))
        names = np.array([str(int(u)) for u in uniques], dtype=object)
        class_names = tuple(sorted(number_of, key=number_of.__getitem__))
        index = {name: i for i, name in enumerate(class_names)}
        y = np.array([index[name] for name in names], dtype=np.int64)[inverse.ravel()]
        return y, class_names
    numbers = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    names = uniques.astype(object)
    if len(uniques) and np.isfinite(numbers).all():
        # each number by its value, whatever the others are: ``1`` and ``1.0`` were one class
        # beside ``2``, and two beside ``2.5``
        names = np.array(
            [str(int(v)) if v == round(v) else repr(float(v)) for v in numbers], dtype=object
        )
        number_of = dict(zip(names.tolist(), numbers.tolist(), strict=True))
        class_names = tuple(sorted(number_of, key=lambda k: (number_of[k], k)))
    else:
        class_names = tuple(str(u) for u in uniques)  # np.unique sorted them
    index = {name: i for i, name in enumerate(class_names)}
    y = np.array([index[name] for name in names], dtype=np.int64)[inverse.ravel()]
    return y, class_names


# --- tables ------------------------------------------------------------------------------------


@contextmanager
def _reading(origin: Origin, kind: str) -> Iterator[None]:
    """Turn a reader's exception into one InvalidInputError line."""
    import pandas as pd

    try:
        yield
    except InvalidInputError:
        raise
    except pd.errors.EmptyDataError:
        raise InvalidInputError(
            f"{origin.file}: holds no columns: give a CSV with a header line and data rows"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError, *DAMAGED) as err:
        fix = "save it as UTF-8 CSV with one header line"
        if "fields in line" in str(err):  # a row longer than the header
            fix = "quote the values that hold the delimiter, or fix that line's fields"
        if kind != "CSV":
            fix = "check that it is a valid Parquet file"
        raise unreadable(origin, kind, err, fix) from None
    except Exception as err:  # pyarrow raises many types for a damaged file
        if kind == "CSV":
            raise
        raise unreadable(origin, kind, err, "check that it is a valid Parquet file") from None


def _read_header(path: Path, kind: str, origin: Origin) -> list[str]:
    """The column names exactly as written (pandas would rename duplicates ``a.1``)."""
    import pandas as pd

    if kind == "csv":
        with _reading(origin, "CSV"):
            first = pd.read_csv(
                path,
                **csv_dialect(path).pandas(),
                header=None,
                nrows=1,
                dtype=str,
                keep_default_na=False,
            )
        # an empty name gets pandas' "Unnamed: i" (0-based), the name the reader gives it
        return [str(v) or f"Unnamed: {i}" for i, v in enumerate(first.iloc[0].tolist())]
    with _reading(origin, "Parquet"):
        import pyarrow.parquet as pq

        return [str(n) for n in pq.read_schema(path).names]


def read_table_file(path: Path, *, text: Sequence[str] = ()) -> pd.DataFrame:
    """A CSV or Parquet file read as training reads one (its dialect; ``text`` columns as
    strings), refused in one line when it is no such file or two columns share a name: the
    reader of ``predict``'s files, which are encoded by a model's saved encoding."""
    origin = Origin(str(path))
    path = Path(path).expanduser()  # "~/rows.csv" as the API or a quoted argument gives it
    kind = check_file(path)
    if kind == "npz":
        raise InvalidInputError(f"{path}: is an NPZ file; give a CSV or Parquet file")
    check_duplicate_columns(_read_header(path, kind, origin), origin)
    return _read_table(path, kind, origin, text=list(text))


def _read_table(path: Path, kind: str, origin: Origin, *, text: list[str]) -> pd.DataFrame:
    """Read the table; CSV ``text`` columns (labels, ids, sources, split) stay strings (``007``
    keeps its zeros); the parser's numbers are numbers; everything else is ours to judge."""
    import pandas as pd

    if kind == "csv":
        found = csv_dialect(path)  # read once: the checks below use it too
        dialect = found.pandas()  # a delimiter ending every data line: ``CsvDialect.trailing``
        with _reading(origin, "CSV"):
            frame = pd.read_csv(path, **dialect, dtype=dict.fromkeys(text, str))
            roles = [c for c in dict.fromkeys(text) if c in frame.columns]
            if roles:  # as written: "NA" (North America), "None", "null" are labels or ids,
                # which pandas reads as missing; only an empty cell is (and "?", ``unlabelled``);
                # a leading space kept, so that ' yes' beside 'yes' is named as a merge (the
                # role columns are stripped where they are read); by position: a header
                # written 'a, label' names ' label' without skipinitialspace
                at = [list(frame.columns).index(c) for c in roles]
                # a line's fields before the header's first (R's write.table row names, which
                # pandas makes the index) count in positions: 'label' read its left
                # neighbour's cells. Such a file is read by position below its header line
                skip = int(dialect.get("skiprows") or 0) + 1
                try:
                    first = pd.read_csv(
                        path, **{**dialect, "skiprows": skip}, header=None, nrows=1, dtype=str
                    )
                    names = 0 if found.trailing else max(first.shape[1] - len(frame.columns), 0)
                except pd.errors.EmptyDataError:  # a header and no row
                    names = 0
                at = [k + names for k in at]
                below = {"skiprows": skip, "header": None} if names else {}
                written = pd.read_csv(
                    path, **{**dialect, "skipinitialspace": False, **below}, usecols=at,
                    dtype=str, keep_default_na=False, na_values=[""],
                )  # fmt: skip
                for name, k in zip(roles, at, strict=True):  # read in the file's order
                    frame[name] = written.iloc[:, sorted(at).index(k)].to_numpy(dtype=object)
        if dialect["decimal"] == ",":  # "86,4%": pandas reads the comma of numbers, not of these
            _percent_commas(frame, exclude=text)
    else:
        with _reading(origin, "Parquet"):
            import pyarrow.parquet as pq

            frame = pd.read_parquet(path)
            # a saved index (named "rowname", or pandas' "__index_level_0__") is a column of
            # the file, as ``_read_header`` lists it, not the frame's index
            meta = pq.read_schema(path).pandas_metadata or {}
            saved = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
            if saved:
                frame = frame.reset_index()
                frame.columns = [*saved, *frame.columns[len(saved) :]]
            # a categorical of numbers that pandas 3 wrote as plain integers (the file's own
            # pandas metadata still says categorical): read back, it was a number column
            for column in meta.get("columns", []):
                name = column.get("name")
                if (
                    column.get("pandas_type") == "categorical"
                    and name in frame.columns
                    and not isinstance(frame[name].dtype, pd.CategoricalDtype)
                ):
                    frame[name] = frame[name].astype("category")
    frame.columns = [str(c) for c in frame.columns]
    if kind != "csv":  # a CSV cell is text; a Parquet one may hold a list (it was left out)
        import pyarrow as pa
        import pyarrow.parquet as pq

        nested = [  # only those columns' cells are looked at: text columns are long
            f.name
            for f in pq.read_schema(path)
            if pa.types.is_nested(f.type) and str(f.name) in frame.columns
        ]
        _check_cells(frame[[str(n) for n in nested]], origin.file)
    else:
        if frame.shape[1] > 1:
            _warn_short_row(path, frame, origin)
        _check_thousands_dots(path, frame, origin, roles=text, dialect=dialect)
    return frame


# "6.411" beside "763": a dot between thousands, never a leading 0, digits in threes
_DOTTED = r"[-+]?[1-9]\d{0,2}(?:\.\d{3})+"
_BELOW_1000 = r"[-+]?\d{1,3}"


def _check_thousands_dots(
    path: Path, frame: pd.DataFrame, origin: Origin, *, roles, dialect: dict
) -> None:
    """A ``;``-, tab- or ``|``-separated export (a spreadsheet's, where a decimal comma makes
    the dot group thousands) whose number column holds whole numbers below 1000 beside ones
    written ``6.411`` gets a warning: pandas read 6411 as 6.411, below 763, and nothing said
    so. A warning, not a refusal: a dot may be a decimal point there too (lab values written
    to three decimals). Only such a mix is judged (``1.250`` beside ``2.500`` alone may be
    litres); the column is read again as text, the cells as written."""
    import pandas as pd
    from pandas.api import types

    if dialect["sep"] == ",":  # no decimal comma there: a dot is a decimal point
        return
    floats = [c for c in frame.columns if c not in roles and types.is_float_dtype(frame[c].dtype)]
    if not floats:
        return
    with _reading(origin, "CSV"):
        written = pd.read_csv(path, **dialect, usecols=floats, dtype=str)
    for column in floats:
        cells = written[column].dropna().str.strip()
        dotted = cells.str.fullmatch(_DOTTED).to_numpy(dtype=bool)
        plain = cells.str.fullmatch(_BELOW_1000).to_numpy(dtype=bool)
        if dotted.any() and plain.any() and (dotted | plain).all():
            first, beside = cells.iloc[int(dotted.argmax())], cells.iloc[int(plain.argmax())]
            log.warning(
                "%s: column %r holds %r at %s beside %r: read as %g; if the dot separates "
                "thousands there, write plain numbers (%s)%s",
                origin.file,
                column,
                first,
                origin.row(int(cells.index[int(dotted.argmax())])),
                beside,
                float(first),
                first.replace(".", ""),
                origin.drop(column),
            )


_COMMA_PERCENT = r"[-+]?\d*(?:,\d+)?\s?%"


def _percent_commas(frame: pd.DataFrame, *, exclude: Sequence[str]) -> None:
    """In a file whose decimal mark is a comma, a column of percentages written so (``86,4%``,
    as a French or German spreadsheet saves them) gets decimal points, so that it is read as
    ``86.4%`` is in any other file: it was text, distinct in almost every row, and left out as
    an identifier. Only columns whose every cell is such a percentage are touched."""
    from pandas.api import types

    for column in frame.columns:
        if column in exclude or not types.is_string_dtype(frame[column].dtype):
            continue
        cells = frame[column].dropna().astype(str).str.strip()
        if len(cells) and cells.str.fullmatch(_COMMA_PERCENT).all():
            frame[column] = frame[column].str.replace(",", ".", regex=False)


def _warn_short_row(path: Path, frame: pd.DataFrame, origin: Origin) -> None:
    """A line with fewer cells than the header (a value, or its delimiter, left out) is read
    by pandas as if its last cells were empty: the warning names the first one, before what
    it causes is refused or warned about (``0.5,yes`` under ``f1,f2,label``: "row 9 has no
    label", "f2 holds the text 'yes'"). Lines whose last cell is empty are the candidates;
    the first few within the first ``SHORT_SCAN`` rows are looked at."""
    empty = np.flatnonzero(frame.iloc[:, -1].isna().to_numpy())
    rows = empty[empty < SHORT_SCAN][:5].tolist()
    with _reading(origin, "CSV"):
        found = short_row(path, rows, frame.shape[1])
    if found is not None:
        log.warning(
            "%s: %s holds %d cell(s) where the header names %d: its last cells were read as "
            "empty; if a value or a delimiter was left out there, fix that line",
            origin.file,
            origin.row(found[0]),
            found[1],
            frame.shape[1],
        )


def _text_column(frame: pd.DataFrame, column: str, flag: str, origin: Origin) -> np.ndarray:
    """A role column as stripped strings (integral numbers without ``.0``); no missing values."""
    from pandas.api import types

    series = frame[column]
    missing = series.isna().to_numpy()
    if types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        if np.all(values[~missing] == np.round(values[~missing])):
            series = series.astype("Int64")
    text = series.astype("string").str.strip()
    out = text.to_numpy(dtype=object, na_value="")
    if flag != "--split-col":
        check_column_complete(column, flag, np.flatnonzero(missing | (out == "")), origin)
    return out


def _warn_similar_classes(class_names: tuple[str, ...], origin: Origin) -> None:
    """Classes whose names differ only in case, in a trailing full stop or in the spaces
    between words (``yes`` and ``YES``; UCI adult's ``<=50K`` and, in its test file,
    ``<=50K.``) are likely one class written two ways: a warning names them (they stay apart:
    the file decides)."""
    alike = written_alike(class_names)
    if alike:
        log.warning(
            "%s: classes that differ only in case, a final '.' or spaces: %s; if each is one "
            "class, write its name one way in the --target column",
            origin.file,
            ", ".join(alike),
        )


def _warn_label_copies(
    frame: pd.DataFrame, features: Sequence[str], y: np.ndarray, origin: Origin
) -> None:
    """A feature of a few values each of which goes with one class in every row — the label
    written again (``outcome`` beside ``label``), or something known only with it — is named
    in a warning: it would be learned from (0 % error) and be missing where the label is."""
    import pandas as pd

    if len(y) < 20:
        return
    classes = len(np.unique(y))
    copies = []
    for name in features:
        values = frame[name]
        if values.isna().any() or not 2 <= values.nunique() <= 2 * classes:
            continue  # (a category per class or two, not an id or a measurement)
        codes = pd.factorize(values)[0]
        pairs = np.unique(np.stack([codes, y]), axis=1)
        if pairs.shape[1] == codes.max() + 1:  # each value with one class only
            copies.append(name)
    if copies:
        log.warning(
            "%s: column(s) %s give the label in every row (each value goes with one class): a "
            "copy of the label, or known only with it? They are features, learned from; --drop "
            "them if new rows will not have them",
            origin.file,
            ", ".join(map(repr, copies[:5])),
        )


def _warn_split_features(frame: pd.DataFrame, features: Sequence[str], origin: Origin) -> None:
    """A feature whose every cell names a part (``train``/``dev``/``test``, ``validation`` …),
    with ``train`` and another among them, is a split written in the file: read as a feature
    it told the model each row's part, and a split of orthotune's own was drawn. Said, with
    the flag that keeps it (``id`` columns are said likewise)."""
    import pandas as pd

    for name in features:
        values = frame[name].dropna()
        if values.empty or pd.api.types.is_numeric_dtype(values.dtype):
            continue
        written = pd.unique(values.to_numpy(dtype=object))  # a few values: looked at once each
        if len(written) > 4 * len(SPLIT_PARTS):
            continue
        parts = set(split_names(written).tolist())
        if parts <= set(SPLIT_PARTS) and "train" in parts and len(parts) > 1:
            log.warning(
                "%s: column %r holds the parts %s: it is read as a feature, and a split of "
                "orthotune's own is drawn; give --split-col %s to keep the file's split (or "
                "--drop %s)",
                origin.file,
                name,
                "/".join(p for p in SPLIT_PARTS if p in parts),
                arg(name),
                arg(name),
            )


def _numeric_labels(labels: pd.Series) -> bool:
    """Whether a table's label column holds numbers or booleans (a file's 0/1), not text."""
    from pandas.api import types

    return bool(types.is_numeric_dtype(labels.dtype) or types.is_bool_dtype(labels.dtype))


def _warn_merged_labels(
    values: np.ndarray | pd.Series, y: np.ndarray, class_names: tuple[str, ...], origin: Origin
) -> None:
    """Labels written apart that became one class (``"cat"`` and ``"cat "``: spaces around a
    label are dropped; ``"007"`` and ``"7"``, ``"1e1"`` and ``"10"``: numbers are read by
    value) are named in a warning, so that a merge is never silent."""
    raw = np.array([str(v) for v in np.asarray(values, dtype=object)], dtype=str)
    pairs = np.unique(np.stack([y.astype(str), raw]), axis=1)  # (class, written) once each
    written: dict[int, list[str]] = {}
    for k, text in zip(pairs[0].astype(int), pairs[1], strict=True):
        written.setdefault(int(k), []).append(str(text))
    merged = [
        f"{' / '.join(map(repr, w))} → {class_names[k]!r}" for k, w in written.items() if len(w) > 1
    ]
    if merged:
        log.warning(
            "%s: labels written apart are read as one class (spaces around a label are "
            "dropped, numbers read by value): %s; if they are different classes, give them "
            "names that differ otherwise",
            origin.file,
            "; ".join(merged[:5]),
        )


def unlabelled(labels: pd.Series) -> np.ndarray:
    """Rows whose label cell is empty or ``?`` (bool [n]): the rows a table's ``load_dataset``
    leaves out, and that ``clean`` skips when it maps suspects back onto the file. ``?`` is
    how UCI tables mark an unknown value; as a label it made a class of its own (one row in
    train, "too few to be measured"). Words such as ``unknown`` may name a real class and
    stay one."""
    text = labels.astype("string").str.strip()
    return (text.isna() | text.isin(("", "?"))).to_numpy(dtype=bool)


def _labelled(frame: pd.DataFrame, target: str, origin: Origin) -> tuple[pd.DataFrame, Origin]:
    """The rows that have a label. Rows whose ``--target`` cell is empty are left out, with a
    warning: a table often holds the rows to predict beside the labelled ones (a competition's
    train and test rows in one file, a survey's unanswered rows). A table with no label at all
    is refused. The returned ``Origin`` still names each row by its line in the file."""
    empty = unlabelled(frame[target])
    if not empty.any() or empty.all():  # all empty: refused by the label check, in one line
        return frame, origin
    first = origin.row(int(np.flatnonzero(empty)[0]))
    log.warning(
        "%s: %d of %d rows have no --target value (the first: %s): left out; "
        "`orthotune predict` labels such rows",
        origin.file,
        int(empty.sum()),
        len(frame),
        first,
    )
    kept = np.flatnonzero(~empty)
    return frame.iloc[kept].reset_index(drop=True), replace(origin, rows=kept)


def _artifacts(frame: pd.DataFrame, columns: list[str], *, ignored: set[str]) -> list[str]:
    """Nameless columns empty in every row (a delimiter at the end of each line): left out. A
    nameless column of row numbers (the index pandas' ``to_csv`` writes, read back as
    ``Unnamed: 0``) is left out with the named ones (``data._encoding.row_numbers``)."""
    return [
        name
        for i, name in enumerate(columns)
        if name == f"Unnamed: {i}" and name not in ignored and frame[name].isna().all()
    ]


def _load_table(path: Path, kind: str, options: LoadOptions, *, allow_nonfinite: bool) -> Loaded:
    origin = Origin(str(path), header_lines=1 if kind == "csv" else None)
    if kind == "csv":  # lines before the header: Excel's "sep=;" line
        with _reading(origin, "CSV"):
            origin = replace(origin, header_lines=1 + csv_dialect(path).skip)
    columns = _read_header(path, kind, origin)
    roles = _roles(columns, options, origin)
    text = [col for flag, col in roles.items() if flag != "--weight"]
    frame = _read_table(path, kind, origin, text=text)
    return _from_frame(frame, columns, roles, options, origin, allow_nonfinite=allow_nonfinite)


def _load_frame(frame: pd.DataFrame, options: LoadOptions, *, allow_nonfinite: bool) -> Loaded:
    """A pandas DataFrame in memory, read as the Parquet file ``frame_file`` writes of it is
    read (its rows named by position, like a file's; ``id=`` names them by a column)."""
    origin = Origin(FRAME_NAME)
    frame = as_table(frame)
    columns = list(frame.columns)
    roles = _roles(columns, options, origin)
    return _from_frame(frame, columns, roles, options, origin, allow_nonfinite=allow_nonfinite)


# what a cell of a file cannot hold: a DataFrame's cells of these kinds are refused
_NESTED = (list, tuple, dict, set, np.ndarray)


def _check_cells(frame: pd.DataFrame, name: str) -> None:
    """Complex numbers and cells holding lists, dicts or arrays (a Parquet file's list or
    struct column, an embedding per row) are refused in one line: a feature is one number, or
    one category, per cell."""
    from pandas.api import types

    for column, dtype in frame.dtypes.items():
        if types.is_complex_dtype(dtype):
            raise InvalidInputError(
                f"{name}: column {column!r} holds complex numbers: give real numbers (its .real "
                "and .imag as two columns, say)"
            )
        if types.is_object_dtype(dtype):
            nested = frame[column].map(lambda v: isinstance(v, _NESTED))
            if nested.any():
                row = int(np.flatnonzero(nested.to_numpy())[0])
                raise InvalidInputError(
                    f"{name}: column {column!r} holds a {type(frame[column].iloc[row]).__name__} "
                    f"at row {row}: give one value per cell (one column per element, or text)"
                )


def _column_name(column: object) -> str:
    """A column's name as text; a MultiIndex column's levels joined by ``_`` (``("g", "a")``
    → ``g_a``, an empty level left out), as a file's one header line would name it."""
    if isinstance(column, tuple):
        return "_".join(str(level) for level in column if str(level) != "")
    return str(column)


def as_table(frame: pd.DataFrame, name: str = "DataFrame") -> pd.DataFrame:
    """``frame`` as a table file holds it: column names as strings (``_column_name``), rows by
    position, a
    sparse column dense (Parquet stores none), a duration as seconds, and every column that is
    not numbers, booleans or times as text (``pandas.StringDtype``: how the encoding reads
    such a column anyway), so that a Parquet file can store it. Complex numbers and cells
    holding lists, dicts or arrays are refused in one line: no column of a file holds them."""
    import pandas as pd
    from pandas.api import types

    frame = frame.set_axis([_column_name(c) for c in frame.columns], axis=1)
    frame = frame.reset_index(drop=True)
    _check_cells(frame, name)
    sparse = [c for c, t in frame.dtypes.items() if isinstance(t, pd.SparseDtype)]
    frame = frame.assign(**{c: frame[c].sparse.to_dense() for c in sparse})
    durations = [c for c, t in frame.dtypes.items() if types.is_timedelta64_dtype(t)]
    frame = frame.assign(**{c: frame[c].dt.total_seconds() for c in durations})
    kept = (types.is_bool_dtype, types.is_numeric_dtype, types.is_datetime64_any_dtype)
    declared = [
        c
        for c, t in frame.dtypes.items()
        if isinstance(t, pd.CategoricalDtype)
        and len(set(map(str, t.categories))) == len(t.categories)
    ]
    # a pandas category stays one, its names as text: zip codes declared categories are
    # one-hot encoded, not read as magnitudes (the encoding reads the declaration)
    frame = frame.assign(**{c: frame[c].cat.rename_categories(str) for c in declared})
    text = [c for c, t in frame.dtypes.items() if c not in declared and not any(k(t) for k in kept)]
    return frame.astype(dict.fromkeys(text, "string")) if text else frame


def frame_file(frame: pd.DataFrame, path: Path) -> Path:
    """Write a DataFrame given as DATA to ``path`` (Parquet), so that the run folder keeps the
    data its run learned from: ``predict``, ``errors`` and the report read it again by that
    path, and ``load_dataset(path)`` gives what ``load_dataset(frame)`` gave."""
    as_table(frame).to_parquet(path, index=False)
    return path


def _roles(columns: list[str], options: LoadOptions, origin: Origin) -> dict[str, str]:
    """The role columns (``--target`` found by its default names when not given), checked
    against the table's columns."""
    check_duplicate_columns(columns, origin)
    target = options.target
    if target is None:
        # every column of each name, in the file's order: 'label' beside 'Label' took the
        # last of the two, unsaid (a dict of lower-cased names kept one)
        found = [c for t in DEFAULT_TARGETS for c in columns if c.strip().lower() == t]
        if not found:
            missing_target(columns, DEFAULT_TARGETS, origin)
        target = found[0]
        if len(found) > 1:  # the others stay features: say which was taken
            log.warning(
                "%s: no --target given and several columns have a target's name (%s): took %r, "
                "the others are features; give --target to choose",
                origin.file, ", ".join(map(repr, found)), target,
            )  # fmt: skip
    roles = {**options.role_columns(), "--target": target}
    check_columns_exist(roles, options.drop, columns, origin)
    return roles


def _from_frame(
    frame: pd.DataFrame,
    columns: list[str],
    roles: dict[str, str],
    options: LoadOptions,
    origin: Origin,
    *,
    allow_nonfinite: bool,
) -> Loaded:
    """The table's frame → a checked ``Dataset`` (labels, roles, feature encoding)."""
    import pandas as pd

    target = roles["--target"]
    check_has_rows(len(frame), origin)
    whole, whole_origin = frame, origin
    frame, origin = _labelled(frame, target, origin)

    labels = _text_column(frame, target, "--target", origin)
    y, class_names = label_names(labels)
    _warn_merged_labels(frame[target].to_numpy(dtype=object), y, class_names, origin)  # as written
    check_classes(class_names, origin)  # the target's problem before its features'
    _warn_similar_classes(class_names, origin)
    rows = range(len(frame)) if origin.rows is None else origin.rows
    ids = np.array([str(i) for i in rows], dtype=object)  # the file's rows
    if options.id is not None:
        ids = _text_column(frame, options.id, "--id", origin)
        check_unique_ids(ids, options.id, origin)
    weights = None
    if options.weight is not None:
        raw = frame[options.weight]
        numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        text = np.flatnonzero(np.isnan(numbers) & raw.notna().to_numpy())
        if text.size:  # a text column given as weights: say so, not "non-finite"
            raise InvalidInputError(
                f"{origin.file}: --weight column {options.weight!r} holds text "
                f"({str(raw.iloc[int(text[0])])!r} at {origin.row(int(text[0]))}): give a column "
                "of numbers ≥ 0"
            )
        check_weights(numbers, options.weight, origin)
        weights = torch.from_numpy(numbers.astype(np.float32))
    source = None
    if options.source is not None:
        source = _text_column(frame, options.source, "--source", origin)
    preset = None
    if options.split_col is not None:
        preset = _text_column(frame, options.split_col, "--split-col", origin)
        preset = split_names(preset)
        check_split_values(preset, options.split_col, SPLIT_PARTS, origin)

    ignored = [
        *roles.values(),
        *options.drop,
        *_artifacts(frame, columns, ignored={*roles.values(), *options.drop}),
    ]
    features = [c for c in columns if c not in set(ignored)]
    check_some_features(features, origin)
    _warn_label_copies(frame, features, y, origin)
    _warn_split_features(frame, features, origin)
    encoding = fit_table_encoding(
        frame,
        features,
        target=target,
        class_names=class_names,
        ignored=ignored,
        impute=options.impute,
        origin=origin,
    )
    x, nonfinite = encode_table(frame, encoding, origin, allow_nonfinite=allow_nonfinite)
    if len(whole) > len(frame):
        # the rows left out for want of a label are predicted at the run's end (its
        # predictions file): what would refuse them there ("Total" under a numeric column, a
        # spreadsheet's sum row) is refused now, before the budget is spent, not after it
        rest = np.flatnonzero(unlabelled(whole[target]))
        encode_table(
            whole.iloc[rest].reset_index(drop=True),
            encoding,
            replace(whole_origin, rows=rest),
            allow_nonfinite=allow_nonfinite,
        )
    dataset = Dataset(
        x=torch.from_numpy(x),
        y=torch.from_numpy(y),
        class_names=class_names,
        ids=ids,
        feature_names=tuple(encoding.feature_names),
        weights=weights,
        source=source,
        preset_split=preset,
        name=origin.file,
        encoding=encoding,
        # a CSV's cells are all text (its labels "0"/"1" are numbers, as pandas would read
        # them); a DataFrame's or a Parquet file's column says which it holds
        text_labels=origin.header_lines is None and not _numeric_labels(frame[target]),
    )
    return Loaded(dataset, nonfinite)


# --- npz ---------------------------------------------------------------------------------------


def _apply(flags: list[str]) -> str:
    """``--target applies`` / ``--target, --drop apply``: the column flags given, with the verb."""
    return f"{', '.join(flags)} {'applies' if len(flags) == 1 else 'apply'}"


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """An NPZ file's arrays by name (``NPZ_KEYS``; ``X`` is ``x``), or one line why not."""
    origin = Origin(str(path))
    with path.open("rb") as handle:  # readable: ``check_file`` opened it
        head = handle.read(6)
    if not head.startswith((b"PK", b"\x93NUMPY")):  # numpy then blames pickled objects
        raise InvalidInputError(
            f"{path}: is not an NPZ archive (a zip of .npy arrays; its first bytes are "
            f"{head!r}): save the features and labels with numpy.savez(path, x=x, y=y)"
        )
    try:
        loaded = np.load(path, allow_pickle=False)
        arrays = None
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded as npz:
                arrays = {key: npz[key] for key in npz.files}
    except ValueError as err:
        raise unreadable(  # an object array is most often a list of series of unequal length
            origin,
            "NPZ",
            err,
            "save plain numeric/string arrays (no Python objects); series of unequal length: "
            "pad the shorter ones with NaN to one length (--impute auto fills the gaps)",
        ) from None
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise unreadable(origin, "NPZ", err, "save it with numpy.savez") from None
    if arrays is None:  # a lone .npy array, renamed
        raise InvalidInputError(
            f"{path}: holds one array (.npy), not an NPZ archive of named arrays: save the "
            "features and labels with numpy.savez(path, x=x, y=y)"
        )
    for key in list(arrays):  # numpy.savez(path, X=X, y=y), as scikit-learn names them
        if key not in NPZ_KEYS and key.lower() in NPZ_KEYS and key.lower() not in arrays:
            arrays[key.lower()] = arrays.pop(key)
    unknown = [k for k in arrays if k not in NPZ_KEYS]
    if unknown:
        raise InvalidInputError(
            f"{path}: unknown array(s) {', '.join(map(repr, unknown))}; accepted: "
            f"{', '.join(NPZ_KEYS)}: rename or remove them"
        )
    return arrays


def _no_column_flags(path: Path, options: LoadOptions, how: str) -> None:
    """One line when a column flag (``--target`` …) is given for DATA that has no columns."""
    given = options.column_flags_given()
    if given:
        raise InvalidInputError(
            f"{path}: {_apply(given)} only to CSV and Parquet files; {how}: leave them out"
        )


def _load_images(
    path: Path, options: LoadOptions, allow_nonfinite: bool, fitted: ArrayEncoding | None
) -> Loaded:
    """A folder of images (``data._images``), checked and encoded as an NPZ file's arrays."""
    _no_column_flags(path, options, "a folder of images names its classes by its folders")
    arrays = _image_arrays(path, fitted)
    if "y" not in arrays:
        raise InvalidInputError(
            f"{path}: holds images but no class folders: {LAYOUT}; such a folder is read as "
            "examples to predict (orthotune predict RUN FOLDER)"
        )
    return _from_arrays(
        arrays, str(path), impute=options.impute, allow_nonfinite=allow_nonfinite, fitted=fitted
    )


def _image_arrays(path: Path, fitted: ArrayEncoding | None) -> dict[str, np.ndarray]:
    """The folder's arrays, read at the shape of the model's inputs when ``fitted`` is one's."""
    if fitted is None:
        return image_folder_arrays(path)
    shape = tuple(fitted.input_shape)
    if len(shape) != 3:
        raise InvalidInputError(
            f"{path}: a folder of images, but the model was trained on examples of shape "
            f"{shape}: give data shaped like its training data"
        )
    return image_folder_arrays(path, shape=shape, channels_last=fitted.channels_last)


def _load_npz(
    path: Path, options: LoadOptions, allow_nonfinite: bool, fitted: ArrayEncoding | None
) -> Loaded:
    _no_column_flags(path, options, f"an NPZ file names its parts by array ({', '.join(NPZ_KEYS)})")
    arrays = _read_npz(path)
    for key in ("x", "y"):
        if key not in arrays:
            raise InvalidInputError(
                f"{path}: has no array {key!r} (found: {', '.join(arrays) or 'none'}): save the "
                f"{'features' if key == 'x' else 'labels'} as {key!r}"
            )
    return _from_arrays(
        arrays, str(path), impute=options.impute, allow_nonfinite=allow_nonfinite, fitted=fitted
    )


def unlabelled_examples(
    spec: str, options: LoadOptions, array_encoding: ArrayEncoding | None
) -> tuple[torch.Tensor, np.ndarray] | None:
    """An NPZ file of examples to predict that holds no labels ('y'), or a folder of images
    with no class folders: its examples, encoded as a trained model's were (``array_encoding``;
    fitted on them when None), and their ids (the NPZ file's array 'ids', else row numbers; the
    images' file names). None for any other DATA: ``load_dataset`` reads it."""
    path = Path(str(spec).strip()).expanduser()
    if str(spec).strip().startswith("builtin:"):
        return None
    if path.is_dir():
        if has_class_folders(path):
            return None
        _no_column_flags(path, options, "a folder of images to predict names them by file")
        arrays = _image_arrays(path, array_encoding)
    elif check_file(path) == "npz":
        arrays = _read_npz(path)
    else:
        return None
    if "y" in arrays or "x" not in arrays:
        return None
    x, n = arrays["x"], len(arrays["x"])
    ids = np.array([str(i) for i in range(n)], dtype=object)
    if "ids" in arrays:
        ids = np.array([str(v) for v in arrays["ids"].reshape(-1)], dtype=object)
        if len(ids) != n:
            raise InvalidInputError(
                f"{path}: array 'ids' has {len(ids)} values but 'x' has {n} examples: give "
                "one id per example"
            )
        check_unique_ids(ids, "ids", Origin(str(path)))
    if x.dtype.kind not in "biuf" or x.ndim < 2:  # named here: load_dataset asked for a 'y'
        raise InvalidInputError(
            f"{path}: array 'x' has shape {x.shape} and dtype {x.dtype}; accepted: numbers shaped "
            "[n, features], [n, channels, length] or [n, channels, height, width]: save the "
            "examples as numbers, one row per example"
        )
    encoding = array_encoding or fit_array_encoding(x, impute=options.impute, name=str(path))
    features, _ = encode_array(
        x, encoding, Origin(str(path), predicting=array_encoding is not None)
    )
    return torch.from_numpy(features), ids


def dataset_from_arrays(
    x: np.ndarray,
    y: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    ids: np.ndarray | None = None,
    source: np.ndarray | None = None,
    split: np.ndarray | None = None,
    name: str = "arrays",
    impute: str = "auto",
) -> Dataset:
    """A ``Dataset`` from in-memory arrays, checked like an NPZ file with the same arrays
    (``x`` [n, …] numeric, ``y`` [n] labels; the optional ones per example); ``name`` stands
    for the file in error messages and becomes ``Dataset.name``. Missing values are filled as
    an NPZ file's are, by default (``impute="auto"``; ``"none"`` refuses them)."""
    impute = load_options(impute=impute).impute  # one line for an unknown method
    given = {"weights": weights, "ids": ids, "source": source, "split": split}
    arrays = {"x": np.asarray(x), "y": np.asarray(y)}
    arrays.update({k: np.asarray(v) for k, v in given.items() if v is not None})
    dataset = _from_arrays(arrays, name, impute=impute, allow_nonfinite=False).dataset
    check_classes(dataset.class_names, Origin(name), "the labels (y)")
    warn_quantity_target(dataset.class_names, Origin(name), "the labels (y)")
    return dataset


def _object_labels(values: np.ndarray) -> np.ndarray:
    """Labels held as Python objects (``df["label"].to_numpy()``, a pandas string column) as
    text, integers staying integers; a missing one (None, NaN) as empty text, which the label
    check then names. Anything else stays as it is, for that check to refuse."""
    gaps = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in values])
    given = values[~gaps]
    if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in given):
        if not gaps.any():
            return given.astype(np.int64)
    elif not all(isinstance(v, str | int | np.integer) for v in given):
        return values
    return np.where(gaps, "", values.astype(str))


def _one_hot(value: np.ndarray, n: int) -> bool:
    """Whether ``value`` is ``n`` one-hot rows (Keras' ``to_categorical``): 0s and 1s, one 1
    per row, at least 2 columns."""
    if (
        value.ndim != 2
        or value.shape[0] != n
        or value.shape[1] < 2
        or value.dtype.kind not in "biuf"
    ):
        return False
    return bool(np.isin(value, (0, 1)).all() and (value.sum(axis=1) == 1).all())


def numeric_objects(x: np.ndarray) -> np.ndarray:
    """An object array whose cells are all numbers (a mixed DataFrame's ``.to_numpy()`` sliced
    to its numeric columns) as float64, a None as NaN — as scikit-learn reads it; any other
    array as given (a cell that is no number keeps it object, which the caller refuses)."""
    if x.dtype != object:
        return x
    try:
        return np.where(np.equal(x, None), np.nan, x).astype(np.float64)
    except (TypeError, ValueError):
        return x


def _from_arrays(
    arrays: dict[str, np.ndarray],
    name: str,
    *,
    impute: str,
    allow_nonfinite: bool,
    fitted: ArrayEncoding | None = None,
) -> Loaded:
    """NPZ-style arrays (``NPZ_KEYS``, ``x`` and ``y`` present) → a checked ``Dataset``, its
    examples encoded by ``fitted`` when given (else by an encoding fitted on them)."""
    origin = Origin(name)
    x = numeric_objects(arrays["x"])
    if x.dtype.kind not in "biuf":
        raise InvalidInputError(
            f"{name}: array 'x' has dtype {x.dtype}, not numeric: encode the features as numbers"
        )
    if not 2 <= x.ndim <= 4:  # the networks take vectors, signals and images
        raise InvalidInputError(
            f"{name}: array 'x' has shape {x.shape}; accepted: [n, features], [n, channels, "
            "length] or [n, channels, height, width]: reshape it (one row per example)"
        )
    n = len(x)
    check_has_rows(n, origin)
    per_example: dict[str, np.ndarray] = {}
    for key in ("y", "weights", "source", "ids", "split"):
        if key in arrays:
            value = arrays[key]
            if value.shape == (n, 1):  # a column: y[:, None], a one-column frame's values
                value = value[:, 0]
            elif key == "y" and _one_hot(value, n):
                log.warning(
                    "%s: array 'y' shaped %s holds one 1 per row (one-hot): each row is read "
                    "as the class of its column, 0 … %d",
                    name, value.shape, value.shape[1] - 1,
                )  # fmt: skip
                value = value.argmax(axis=1)
            if value.shape != (n,):
                held = (  # (60, 2) for 60 examples: one row each, but more than one value
                    f"{int(np.prod(value.shape[1:]))} values per example"
                    if value.ndim > 1 and len(value) == n
                    else f"{len(value) if value.ndim else 0} values for the {n} examples of 'x'"
                )
                raise InvalidInputError(
                    f"{name}: array {key!r} has shape {value.shape}, {held}: give one value "
                    f"per example, {key!r} of shape ({n},)"
                )
            per_example[key] = value
    raw_y = per_example["y"]
    if raw_y.dtype.kind == "O":  # a pandas column's labels: Python strings or integers
        raw_y = _object_labels(raw_y)
    if raw_y.dtype.kind not in "biufUS":
        raise InvalidInputError(
            f"{name}: array 'y' has dtype {raw_y.dtype}: give integer or string labels"
        )
    text_y = raw_y.astype(str)
    empty = (np.char.strip(text_y) == "") | (np.char.lower(text_y) == "nan")
    check_column_complete("y", "label", np.flatnonzero(empty), origin)
    y, class_names = label_names(raw_y.astype(object))
    _warn_merged_labels(raw_y, y, class_names, origin)
    weights = None
    if "weights" in per_example:
        w = per_example["weights"]
        if w.dtype.kind not in "biuf":
            raise InvalidInputError(f"{name}: array 'weights' is not numeric: give numbers ≥ 0")
        check_weights(w.astype(np.float64), "weights", origin)
        weights = torch.from_numpy(w.astype(np.float32))
    ids = np.array([str(i) for i in range(n)], dtype=object)
    if "ids" in per_example:
        ids = np.array([str(v) for v in per_example["ids"]], dtype=object)
        check_unique_ids(ids, "ids", origin)
    source = None
    if "source" in per_example:
        source = np.array([str(v) for v in per_example["source"]], dtype=object)
    preset = None
    if "split" in per_example:
        preset = split_names(per_example["split"])
        check_split_values(preset, "split", SPLIT_PARTS, origin)
    encoding = fitted or fit_array_encoding(x, impute=impute, name=name)
    features, nonfinite = encode_array(x, encoding, origin, allow_nonfinite=allow_nonfinite)
    names = tuple(f"x{j}" for j in range(x.shape[1])) if x.ndim == 2 else ()
    dataset = Dataset(
        x=torch.from_numpy(features),
        y=torch.from_numpy(y),
        class_names=class_names,
        ids=ids,
        feature_names=names,
        weights=weights,
        source=source,
        preset_split=preset,
        name=name,
        encoding=encoding,
        text_labels=raw_y.dtype.kind in "US",
    )
    return Loaded(dataset, nonfinite)

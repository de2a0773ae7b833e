"""Apply label issues: a cleaned copy of the data set plus an audit log, never the input itself.

``apply="remove"`` drops every suspect, ``"relabel"`` gives it the suggested label, ``"none"``
writes only the findings. Into ``out`` go ``label_issues.json`` (the ``LabelIssues``),
``audit.csv`` (id, old_label, new_label, action, method, score — one row per suspect) and, when
something was applied, ``cleaned.<ext>``: for a CSV or Parquet input the same table with the
suspects' rows dropped or their label cells rewritten (spelled as the file spells the class),
every other cell as the file holds it; for an NPZ input its own arrays, likewise (with ``ids``
added when it had none); for a built-in data set or a folder of images an NPZ (``x``, ``y``,
``ids`` and the optional per-example arrays) that ``orthotune`` loads back as is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from orthotune._errors import InvalidInputError
from orthotune._io import atomic_write_text, check_writable
from orthotune._result import Result
from orthotune._tables import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    CsvDialect,
    csv_dialect,
    table_suffix,
)
from orthotune.analysis._label_issues import LabelIssues
from orthotune.data import Dataset, unlabelled

Apply = Literal["none", "remove", "relabel"]
APPLY_MODES: tuple[str, ...] = ("none", "remove", "relabel")
SCHEMA_VERSION = 1


class CleaningOutcome(Result):
    """What ``clean`` did: where the files are and how many examples changed."""

    schema_version: int = SCHEMA_VERSION
    apply: Apply
    issues: LabelIssues
    removed: int = 0
    relabeled: int = 0
    out: str | None = None
    cleaned_path: str | None = None
    audit_path: str | None = None


def check_out_dir(data: str | None, out: str | Path | None, *, apply: str) -> Path | None:
    """Refuse an output that would touch the input: ``--out`` equal to the input file or to the
    directory holding it (``data`` None: a DataFrame in memory, no file); ``--apply
    remove|relabel`` needs ``--out``."""
    if apply not in APPLY_MODES:
        raise InvalidInputError(
            f"--apply {apply!r} is not accepted; accepted: {', '.join(APPLY_MODES)}"
        )
    if data is None and apply != "none":
        raise InvalidInputError(
            f"--apply {apply} writes a cleaned copy of DATA's file, and a DataFrame has none: "
            "use apply='none' and drop or relabel the rows of result.issues.suspects (their "
            "ids are the DataFrame's row positions)"
        )
    if out is None:
        if apply != "none":
            raise InvalidInputError(
                f"--apply {apply} writes a cleaned copy and needs --out DIR: add --out "
                "a new directory (the input file is never modified)"
            )
        return None
    out_path = Path(out).expanduser().resolve()
    if data is not None and not data.startswith("builtin:"):
        source = Path(data).expanduser().resolve()
        if out_path == source:
            raise InvalidInputError(
                f"--out {out} is the input file itself; accepted: a directory other than the "
                "input's; fix: give a new directory such as --out cleaned/"
            )
        if out_path == source.parent:
            raise InvalidInputError(
                f"--out {out} is the directory of the input {data}; accepted: a directory other "
                "than the input's, so the input is never overwritten; fix: --out cleaned/"
            )
    if out_path.exists() and not out_path.is_dir():
        raise InvalidInputError(
            f"--out {out} is an existing file; accepted: a directory; fix: give a new directory"
        )
    check_writable(out_path, folder=True)
    held = sorted(p.name for p in out_path.iterdir()) if out_path.is_dir() else []
    if held:  # an earlier clean's results, or the user's own files: neither is mixed into
        shown = ", ".join(held[:4]) + (" …" if len(held) > 4 else "")
        raise InvalidInputError(
            f"--out {out} already holds {shown}; accepted: a new or empty directory (nothing "
            "there is overwritten, or mixed with this clean's files); fix: give a new directory"
        )
    return out_path


def _audit_rows(issues: LabelIssues, apply: str) -> list[str]:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "old_label", "new_label", "action", "method", "score"])
    action = {"none": "flagged", "remove": "removed", "relabel": "relabeled"}[apply]
    for s in issues.suspects:
        new = "" if apply == "remove" else s.suggested_label
        if apply == "none":
            new = s.suggested_label
        writer.writerow([s.id, s.given_label, new, action, issues.method, f"{s.score:.6f}"])
    return [buf.getvalue()]


def _spellings(dataset: Dataset, written: np.ndarray) -> dict[str, object]:
    """Each class as the file writes it: the commonest cell of its rows (``written``: the label
    cells of the data set's rows, in order). The loader reads ``red `` as ``red`` and ``1.0``
    as ``1``; a relabelled row written ``red`` made a class of its own in the copy."""
    from collections import Counter

    names = np.asarray(dataset.class_names, dtype=object)[dataset.y.numpy()]
    counts: dict[str, Counter] = {}
    for name, cell in zip(names, written.tolist(), strict=True):
        counts.setdefault(str(name), Counter())[cell] += 1
    return {name: count.most_common(1)[0][0] for name, count in counts.items()}


def _changed(
    dataset: Dataset, issues: LabelIssues, apply: str, written: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[object]]:
    """The data set's rows to drop, those to relabel and their new label cells, as the file
    writes them (``written``: the label cells of the data set's rows, in order)."""
    suspects = np.array([s.index for s in issues.suspects], dtype=np.int64)
    none = np.array([], dtype=np.int64)
    if apply == "remove":
        return suspects, none, []
    spelled = _spellings(dataset, written)
    return none, suspects, [spelled[s.suggested_label] for s in issues.suspects]


def _write_table(
    data: str, dataset: Dataset, issues: LabelIssues, apply: str, target: str, out: Path
) -> tuple[Path, int, int]:
    """The file's table with the suspects' rows dropped or their label cells rewritten, every
    other cell as the file holds it: a CSV is read as text (``00037`` keeps its zeros, ``NA``
    stays ``NA``, ``1`` does not become ``1.0``, a leading space stays) and written with its
    header cells, line ends and ``sep=`` line as the file has them, a Parquet file with its
    types and its saved index."""
    import pandas as pd

    source = Path(data).expanduser()
    kind = table_suffix(source)  # a compressed CSV file's copy is written uncompressed
    parquet = kind in PARQUET_SUFFIXES
    dialect = CsvDialect() if parquet else csv_dialect(source)
    header: list[str] | bool = True
    if parquet:
        frame = pd.read_parquet(source)
        at = list(frame.columns).index(target)
    else:
        options = {**dialect.pandas(), "skipinitialspace": False}
        names = pd.read_csv(source, **dialect.pandas(), nrows=0).columns  # as the loader names
        at = [str(c) for c in names].index(target)
        frame = pd.read_csv(source, **options, dtype=str, keep_default_na=False)
        # the header as written: pandas names an empty cell "Unnamed: 4" and a repeated "a.1"
        written_header = pd.read_csv(
            source, **options, header=None, nrows=1, dtype=str, keep_default_na=False
        ).iloc[0]
        if len(written_header) == frame.shape[1]:
            header = [str(c) for c in written_header]
    # the data set's rows are the file's labelled rows (rows without a label were left out)
    labelled = np.flatnonzero(~unlabelled(frame.iloc[:, at]))
    written = frame.iloc[labelled, at].to_numpy(dtype=object)
    drop, relabel, cells = _changed(dataset, issues, apply, written)
    if len(relabel):
        column = frame.iloc[:, at].copy()
        column.iloc[labelled[relabel]] = pd.Series(cells, dtype=object).astype(column.dtype)
        frame.isetitem(at, column)
    keep = np.ones(len(frame), dtype=bool)
    keep[labelled[drop]] = False
    frame = frame.iloc[keep]
    if isinstance(frame.index, pd.RangeIndex) or (
        frame.index.name is None and pd.api.types.is_integer_dtype(frame.index)
    ):
        frame = frame.reset_index(drop=True)  # the default index: stored as a range, no column
    path = out / f"cleaned{kind}"
    tmp = out / f".cleaned{kind}.tmp"
    try:  # a failed write (a full disk) leaves no stray file that refuses the same --out
        if parquet:
            frame.to_parquet(tmp, index=None)  # a saved index (sample ids) stays one
        else:
            encoding = dialect.encoding
            if encoding == "utf-8" and Path(source).suffix.lower() in (".csv", ".tsv"):
                with open(source, "rb") as handle:  # Excel's "CSV UTF-8" starts with a BOM
                    if handle.read(3) == b"\xef\xbb\xbf":
                        encoding = "utf-8-sig"
            with open(tmp, "w", encoding=encoding, newline="") as handle:
                handle.write(dialect.preamble)  # Excel's "sep=;" line, kept
                frame.to_csv(
                    handle,
                    index=False,
                    header=header,
                    sep=dialect.sep,
                    lineterminator=dialect.newline,
                )
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path, len(drop), len(relabel)


def _write_npz(
    data: str | None, dataset: Dataset, issues: LabelIssues, apply: str, out: Path
) -> tuple[Path, int, int]:
    """An NPZ file's own arrays (its names, dtypes and missing values) with the suspects' rows
    dropped or their labels rewritten, and ``ids`` (each row's number in the input) when it
    had none, so the audit's ids still name the rows; for a built-in data set or a folder of
    images, the data set's arrays (``x``, ``y``, ``ids`` and the optional per-example ones)."""
    own = data is not None and not data.startswith("builtin:") and table_suffix(data) == ".npz"
    if own:
        with np.load(Path(data).expanduser(), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        label = next(k for k in arrays if k.lower() == "y")
        if "ids" not in arrays:  # the audit names rows by their number in the input
            arrays["ids"] = np.arange(len(arrays[label])).astype(str)
    else:
        arrays = {
            "x": dataset.x.numpy(),
            "y": np.asarray(dataset.class_names, dtype=object)[dataset.y.numpy()].astype(str),
            "ids": dataset.ids.astype(str),
        }
        if dataset.weights is not None:
            arrays["weights"] = dataset.weights.numpy()
        if dataset.source is not None:
            arrays["source"] = dataset.source.astype(str)
        if dataset.preset_split is not None:
            arrays["split"] = dataset.preset_split.astype(str)
        label = "y"
    n = len(arrays[label])
    drop, relabel, cells = _changed(dataset, issues, apply, arrays[label].astype(object))
    if len(relabel):
        y = arrays[label].copy()
        y[relabel] = np.asarray(cells).astype(y.dtype)
        arrays[label] = y
    keep = np.ones(n, dtype=bool)
    keep[drop] = False
    arrays = {k: a[keep] if a.ndim and len(a) == n else a for k, a in arrays.items()}
    path = out / "cleaned.npz"
    tmp = out / ".cleaned.tmp.npz"
    try:
        np.savez(tmp, **arrays)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path, len(drop), len(relabel)


def apply_cleaning(
    dataset: Dataset,
    issues: LabelIssues,
    *,
    data: str | None,
    apply: str,
    out: str | Path | None,
    target: str | None = None,
) -> CleaningOutcome:
    """Write the findings (and, unless ``apply="none"``, a cleaned copy) into ``out``.

    ``data`` is the DATA the set came from (its file is read again, never written; None: a
    DataFrame in memory, which only ``apply="none"`` takes); ``target`` the label column of a
    table (found by the loader's defaults when None).
    """
    out_path = check_out_dir(data, out, apply=apply)
    outcome = CleaningOutcome(apply=apply, issues=issues)
    if out_path is None:
        return outcome
    out_path.mkdir(parents=True, exist_ok=True)
    if apply != "none":  # first: the audit never says "relabeled" of a copy not written
        suffix = table_suffix(data)
        if not data.startswith("builtin:") and suffix in CSV_SUFFIXES + PARQUET_SUFFIXES:
            column = target or dataset.encoding.target  # the column the loader took
            path, removed, relabeled = _write_table(data, dataset, issues, apply, column, out_path)
        else:
            path, removed, relabeled = _write_npz(data, dataset, issues, apply, out_path)
        outcome.cleaned_path = str(path)
        outcome.removed = removed
        outcome.relabeled = relabeled
    atomic_write_text(out_path / "label_issues.json", issues.model_dump_json(indent=2))
    audit = out_path / "audit.csv"
    atomic_write_text(audit, "".join(_audit_rows(issues, apply)))
    outcome.out = str(out_path)
    outcome.audit_path = str(audit)
    return outcome

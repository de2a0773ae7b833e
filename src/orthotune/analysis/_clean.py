"""Apply label issues: a cleaned copy of the data set plus an audit log, never the input itself.

``apply="remove"`` drops every suspect, ``"relabel"`` gives it the suggested label, ``"none"``
writes only the findings. Into ``out`` go ``label_issues.json`` (the ``LabelIssues``),
``audit.csv`` (id, old_label, new_label, action, method, score — one row per suspect) and, when
something was applied, ``cleaned.<ext>``: for a CSV or Parquet input the same table with the
suspects' rows dropped or their label column rewritten; for an NPZ or built-in data set an NPZ
(``x``, ``y``, ``ids`` and the optional per-example arrays) that ``orthotune`` loads back as is.
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


def _write_table(
    data: str, issues: LabelIssues, apply: str, target: str, out: Path
) -> tuple[Path, int, int]:
    import pandas as pd

    source = Path(data).expanduser()
    kind = table_suffix(source)  # a compressed CSV file's copy is written uncompressed
    parquet = kind in PARQUET_SUFFIXES
    dialect = CsvDialect() if parquet else csv_dialect(source)
    frame = pd.read_parquet(source) if parquet else pd.read_csv(source, **dialect.pandas())
    # the data set's rows are the file's labelled rows (rows without a label were left out)
    labelled = np.flatnonzero(~unlabelled(frame[target]))
    rows = labelled[[s.index for s in issues.suspects]]
    removed = relabeled = 0
    if apply == "remove":
        frame = frame.drop(index=frame.index[rows]).reset_index(drop=True)
        removed = len(rows)
    else:
        column = frame[target]
        new = pd.Series([s.suggested_label for s in issues.suspects], dtype=object)
        if pd.api.types.is_numeric_dtype(column.dtype):
            new = pd.to_numeric(new).astype(column.dtype)
        frame[target] = (
            column.astype(object) if not pd.api.types.is_numeric_dtype(column) else column
        )
        frame.loc[frame.index[rows], target] = new.to_numpy()
        relabeled = len(rows)
    path = out / f"cleaned{kind}"
    tmp = out / f".cleaned{kind}.tmp"
    if parquet:
        frame.to_parquet(tmp, index=False)
    else:
        encoding = dialect.encoding
        if encoding == "utf-8" and Path(source).suffix.lower() in (".csv", ".tsv"):
            with open(source, "rb") as handle:  # Excel's "CSV UTF-8" starts with a BOM: kept
                if handle.read(3) == b"\xef\xbb\xbf":
                    encoding = "utf-8-sig"
        frame.to_csv(tmp, index=False, sep=dialect.sep, decimal=dialect.decimal, encoding=encoding)
    tmp.replace(path)
    return path, removed, relabeled


def _write_npz(
    dataset: Dataset, issues: LabelIssues, apply: str, out: Path
) -> tuple[Path, int, int]:
    names = np.array(dataset.class_names, dtype=object)
    y = dataset.y.numpy().copy()
    keep = np.ones(len(dataset), dtype=bool)
    index = {name: i for i, name in enumerate(dataset.class_names)}
    rows = np.array([s.index for s in issues.suspects], dtype=np.int64)
    removed = relabeled = 0
    if apply == "remove":
        keep[rows] = False
        removed = len(rows)
    else:
        y[rows] = [index[s.suggested_label] for s in issues.suspects]
        relabeled = len(rows)
    arrays: dict[str, np.ndarray] = {
        "x": dataset.x.numpy()[keep],
        "y": names[y][keep].astype(str),
        "ids": dataset.ids[keep].astype(str),
    }
    if dataset.weights is not None:
        arrays["weights"] = dataset.weights.numpy()[keep]
    if dataset.source is not None:
        arrays["source"] = dataset.source[keep].astype(str)
    if dataset.preset_split is not None:
        arrays["split"] = dataset.preset_split[keep].astype(str)
    path = out / "cleaned.npz"
    tmp = out / ".cleaned.tmp.npz"
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return path, removed, relabeled


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
    atomic_write_text(out_path / "label_issues.json", issues.model_dump_json(indent=2))
    audit = out_path / "audit.csv"
    atomic_write_text(audit, "".join(_audit_rows(issues, apply)))
    outcome.out = str(out_path)
    outcome.audit_path = str(audit)
    if apply == "none":
        return outcome
    suffix = table_suffix(data)
    if not data.startswith("builtin:") and suffix in CSV_SUFFIXES + PARQUET_SUFFIXES:
        column = target or dataset.encoding.target  # the column the loader took
        path, removed, relabeled = _write_table(data, issues, apply, column, out_path)
    else:
        path, removed, relabeled = _write_npz(dataset, issues, apply, out_path)
    outcome.cleaned_path = str(path)
    outcome.removed = removed
    outcome.relabeled = relabeled
    return outcome

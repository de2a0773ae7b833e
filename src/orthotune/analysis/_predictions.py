"""Predictions as the analysis tools read them (DESIGN.md's predictions file).

Columns: ``id``, ``y_pred``, one ``p_<class>`` per class, and when known ``y_true``, ``split`` and
``source``. A run folder is read through its ``predictions.parquet`` or ``predictions.csv``
(written by ``orthotune predict RUN_DIR DATA --out RUN_DIR/predictions.csv``); a run folder
without one gets ``analysis/predictions.csv``: its chosen model's predictions on the data it was
trained on (run.json's ``data``), with the split column from its split.json. When that model
learned from the dev examples (the autopilot's refit on train + dev, or k-fold), ``tune`` writes
the file itself, the dev rows predicted by models that had not seen them
(``write_held_out_predictions``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orthotune._errors import InvalidInputError
from orthotune._rundir import RunDir, shared_study_hint
from orthotune._splits import split_names
from orthotune._tables import csv_dialect
from orthotune.metrics import probability_columns

logger = logging.getLogger(__name__)
HELD_OUT_COLUMN = "held_out"  # True on the rows ``write_held_out_predictions`` replaced
RUN_PREDICTIONS: tuple[str, ...] = (
    "predictions.parquet",
    "predictions.csv",
    "analysis/predictions.csv",
)


@dataclass(frozen=True)
class Predictions:
    """Aligned per-example arrays of a predictions file (labels as codes into ``class_names``).

    proba: float64 [n, classes] or None (no ``p_`` columns) · split/source: str [n] or None
    """

    ids: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    class_names: tuple[str, ...]
    proba: np.ndarray | None = None
    split: np.ndarray | None = None
    source: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y_true)

    def select(self, mask: np.ndarray) -> Predictions:
        """The rows where ``mask`` is True."""

        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[mask]

        return Predictions(
            ids=self.ids[mask],
            y_true=self.y_true[mask],
            y_pred=self.y_pred[mask],
            class_names=self.class_names,
            proba=pick(self.proba),
            split=pick(self.split),
            source=pick(self.source),
        )


def predictions_path(target: str | Path) -> Path:
    """The predictions file of ``target``: the file itself, or a run folder's predictions."""
    path = Path(target).expanduser()
    if path.is_dir():
        for name in RUN_PREDICTIONS:
            if (path / name).is_file():
                return path / name
        if (path / "run.json").is_file() and (path / "models").is_dir():
            return run_predictions(path)
        hint = shared_study_hint(path)
        if hint:
            raise InvalidInputError(f"{target} holds no predictions of its own{hint}")
        if (path / "run.json").is_file():  # a run whose job stopped before it kept a model:
            RunDir(path).best_model_dir()  # refused there, as predict refuses it
        raise InvalidInputError(
            f"{target} is a folder without predictions.parquet or predictions.csv; accepted: a "
            "predictions file or a run folder holding one; fix: orthotune predict "
            f"{target} DATA --out {path / 'predictions.csv'}"
        )
    if not path.is_file():
        raise InvalidInputError(
            f"{target} does not exist; accepted: a predictions .csv/.parquet file or a run "
            "folder; fix: check the path"
        )
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise InvalidInputError(
            f"{target} is not a .csv or .parquet file; accepted: predictions as CSV or Parquet"
        )
    return path


def _text(values: np.ndarray) -> np.ndarray:
    import pandas as pd

    out = []
    for v in values:
        if isinstance(v, float) and float(v).is_integer():
            out.append(str(int(v)))
        elif pd.isna(v):
            out.append("")
        else:
            out.append(str(v).strip())
    return np.array(out, dtype=object)


def read_predictions(target: str | Path) -> Predictions:
    """Read a predictions file or a run folder's predictions; one-line errors for bad files."""
    import pandas as pd

    path = predictions_path(target)
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        else:
            # names, as written: ids "00163" read as numbers were "163", and a --tags file
            # naming "00163" was refused (a new user's). Labels stay as read: another
            # framework's 1.0 is the class 1 of its p_1 column (``_text``)
            names = dict.fromkeys(("id", "split", "source"), str)
            frame = pd.read_csv(path, **csv_dialect(path).pandas(), dtype=names)
    except Exception as err:  # a reader's error becomes one line naming the file
        raise InvalidInputError(
            f"{path} could not be read ({type(err).__name__}: {err}); fix: give a valid file"
        ) from None
    columns = [str(c) for c in frame.columns]
    if "y_true" not in columns:
        raise InvalidInputError(
            f"{path} has no y_true column (columns: {', '.join(columns[:8])}); error analysis "
            "needs the true labels: add a y_true column"
        )
    p_cols = [c for c in columns if c.startswith("p_")]
    if "y_pred" not in columns and not p_cols:
        raise InvalidInputError(
            f"{path} has neither y_pred nor p_<class> columns; add the predicted labels"
        )
    rows = np.arange(len(frame))
    y_true_text = _text(frame["y_true"].to_numpy())
    unlabelled = y_true_text == ""  # rows ``predict`` had no label for: not analyzed
    if unlabelled.any() and not unlabelled.all():
        logger.warning("%s: %d row(s) without y_true are left out", path, int(unlabelled.sum()))
        rows = np.flatnonzero(~unlabelled)
        frame, y_true_text = frame.iloc[rows].reset_index(drop=True), y_true_text[rows]
    proba = None
    if p_cols:
        class_names = tuple(c[2:] for c in p_cols)
        proba = probability_columns({c: frame[c].to_numpy() for c in p_cols})
        if not np.all(np.isfinite(proba)) or np.any(proba < 0):
            raise InvalidInputError(
                f"{path}: p_ columns hold negative or non-finite values; accepted: "
                "probabilities in [0, 1] summing to 1 per row"
            )
    else:
        seen = set(y_true_text.tolist()) | set(_text(frame["y_pred"].to_numpy()).tolist())
        numeric = all(s.lstrip("-").isdigit() for s in seen)
        class_names = tuple(sorted(seen, key=(lambda s: (int(s), s)) if numeric else None))
    strange = ~np.isin(y_true_text, np.asarray(class_names, dtype=object))
    if p_cols and strange.any() and not strange.all():  # as predict: not counted, said
        logger.warning(
            "%s: %d row(s) hold a label the model never learned (%r …): left out, as predict "
            "leaves them out of its error",
            path,
            int(strange.sum()),
            str(y_true_text[strange][0]),
        )
        keep = np.flatnonzero(~strange)
        rows, y_true_text = rows[keep], y_true_text[keep]
        frame, proba = frame.iloc[keep].reset_index(drop=True), proba[keep]
    index = {name: i for i, name in enumerate(class_names)}
    y_pred_text = (
        _text(frame["y_pred"].to_numpy())
        if "y_pred" in columns
        else np.array(class_names, dtype=object)[proba.argmax(axis=1)]
    )
    for label_col, values in (("y_true", y_true_text), ("y_pred", y_pred_text)):
        unknown = sorted(set(values.tolist()) - set(class_names))
        if unknown:
            raise InvalidInputError(
                f"{path}: {label_col} holds {unknown[:5]} which are not among the classes "
                f"{list(class_names)[:10]} (from the p_ columns); fix: name every class with a "
                "p_<class> column"
            )
    ids = (
        _text(frame["id"].to_numpy()).astype(str)
        if "id" in columns
        else np.array([str(i) for i in rows])  # the file's rows
    )
    return Predictions(
        ids=ids,
        y_true=np.array([index[v] for v in y_true_text], dtype=np.int64),
        y_pred=np.array([index[v] for v in y_pred_text], dtype=np.int64),
        class_names=class_names,
        proba=proba,
        split=split_names(_text(frame["split"].to_numpy())).astype(str)
        if "split" in columns
        else None,
        source=_text(frame["source"].to_numpy()).astype(str) if "source" in columns else None,
    )


def run_predictions(run_dir: Path) -> Path:
    """Predict the run's own data with its chosen model into ``analysis/predictions.csv``."""
    return _write_run_predictions(run_dir)


def write_held_out_predictions(run_dir: Path, ids: np.ndarray, logits: np.ndarray) -> Path:
    """``analysis/predictions.csv`` of a run whose chosen model learned from its dev examples (a
    refit on train + dev, or k-fold): the chosen model's predictions on the run's data, as
    ``run_predictions`` makes them, except the rows ``ids`` — the dev examples — whose
    probabilities are those of ``logits`` ``[len(ids), classes]`` from models that had not
    learned from them (the configuration's before its refit, or the fold models' out of fold),
    scaled by the chosen model's temperature like the rest, and marked in a ``held_out`` column.
    Error analysis then reads the dev mistakes of a model that had not seen those examples, not
    the chosen model's training mistakes (``errors --saliency`` attributes, with the chosen
    model, the examples those held-out predictions got wrong)."""
    return _write_run_predictions(run_dir, (np.asarray(ids).astype(str), np.asarray(logits)))


def run_data(run_dir: Path, record: dict) -> str:
    """The file the run trained on: DATA as given (relative to the folder the run was started
    in), its recorded absolute path, or the run's own copy of a DataFrame — the first that
    holds the recorded bytes. The run's analysis is never made from another file (one with
    the same name in the working folder was analysed and kept as the run's own)."""
    from orthotune._records import data_sha256

    data, digest = str(record["data"]), record.get("data_sha256") or ""
    if not digest:  # a built-in, a folder of images, or a run recorded before the digest
        return data
    candidates = [data, record.get("data_file") or "", str(run_dir / Path(data).name)]
    for candidate in filter(None, candidates):
        if data_sha256(candidate) == digest:
            return candidate
    raise InvalidInputError(
        f"{run_dir}: the file it trained on, {data}, is not found with the content it had "
        "(its sha256 is run.json's data_sha256): the run's error analysis is made on the rows "
        f"it learned from; fix: restore that file, or run from the folder the run started in"
    )


def _write_run_predictions(
    run_dir: Path, held_out: tuple[np.ndarray, np.ndarray] | None = None
) -> Path:
    from orthotune.train import load_predictor, predict, write_predictions_csv

    run = RunDir(run_dir)
    record = run.read_run().model_dump()  # a damaged run.json: one line naming it
    if not run.split_json.is_file():  # the rows were read as one part ("all"), unsaid
        raise InvalidInputError(
            f"{run.split_json} is missing: the run's error analysis is made on the rows of "
            "each part, which it names; fix: restore it from a copy, or run the job again"
        )
    data = record.get("data")
    if not data:
        raise InvalidInputError(
            f"{run_dir}/run.json names no data set, so its predictions cannot be made; fix: "
            f"orthotune predict {run_dir} DATA --out {run_dir / 'predictions.csv'}"
        )
    data = run_data(run_dir, record)
    predictor = load_predictor(run_dir)
    # the run's own data: what loading it warns about (a resized image, a file left out) was
    # said when the run read it
    quiet = logging.getLogger("orthotune.data")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        frame = predict(predictor, str(data))
    finally:
        quiet.setLevel(level)
    if held_out is not None:
        ids, logits = held_out
        at = {i: k for k, i in enumerate(ids)}
        rows = np.array([at.get(str(i), -1) for i in frame["id"]], dtype=np.int64)
        mine = rows >= 0
        z = logits[rows[mine]] / predictor.manifest.temperature
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        classes = np.asarray(predictor.manifest.class_names, dtype=object)
        frame.loc[mine, "y_pred"] = classes[p.argmax(1)]
        frame.loc[mine, "confidence"] = p.max(axis=1)
        for k, name in enumerate(classes):
            frame.loc[mine, f"p_{name}"] = p[:, k]
        if "split" in frame.columns:  # held out again: dev rows (predict names them train)
            frame.loc[mine, "split"] = "dev"
        frame[HELD_OUT_COLUMN] = mine
    return write_predictions_csv(frame, run_dir / "analysis" / "predictions.csv")

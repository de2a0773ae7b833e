"""Predictions of a saved model on new data (``orthotune predict``).

The data is turned into the model's features exactly as in training: a CSV/Parquet file through
the saved column encoding (missing or unknown columns and unseen categories are refused by
name), an NPZ file or a built-in by its array shape and feature names; then the saved
normalization (train μ, σ²) and the network's input shape. The table has DESIGN.md's columns:
``id``, ``y_pred``, ``confidence`` (the probability of ``y_pred``), one ``p_<class>`` per class
(summing to 1), and ``y_true``, ``split``, ``source`` when known — ``split`` comes from the run
folder's split.json when DATA is the data the run was trained on, except that rows of a part the
model learned from besides train (``Manifest.learned_from``: the dev rows after the autopilot's
refit on train + dev, or under k-fold) are ``train`` rows.

The probabilities are calibrated: ``softmax(logits / T)`` with the checkpoint's temperature T
(temperature scaling fitted on dev when the model was trained; T = 1 for checkpoints written
before, or when scaling did not lower the dev ECE). ``PredictSummary.temperature`` says which.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel

from orthotune._errors import InvalidInputError
from orthotune._io import atomic_write_bytes, check_replaceable
from orthotune._records import data_sha256
from orthotune._rundir import RunDir, resolve_model_dir
from orthotune._tables import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    csv_dialect,
    table_suffix,
)
from orthotune.train._checkpoint import Manifest, load_checkpoint

__all__ = [
    "ModelInputs",
    "PredictSummary",
    "Predictor",
    "check_predictions_out",
    "encode_inputs",
    "load_predictor",
    "predict",
    "predict_logits",
    "prepare_inputs",
    "probabilities",
    "write_predictions",
]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_TABLES = CSV_SUFFIXES + PARQUET_SUFFIXES


class PredictSummary(BaseModel):
    """What ``orthotune predict`` wrote."""

    schema_version: int = SCHEMA_VERSION
    model_dir: str
    data: str
    out: str
    rows: int
    columns: list[str]
    labelled: int  # rows whose y_true is a class of the model
    error: float | None  # error rate on those rows
    # rows whose y_true is no class of the model (left out of the error), and the first such
    unknown_labels: int = 0
    unknown_label: str | None = None
    split_from: str | None  # the split.json used for the split column
    # with a split column: (rows, error rate) of each part's labelled rows — the labelled
    # rows' error alone mixed the rows the model learned from with the others (a new user's
    # 327,346 rows: 22.16 %, its test rows 23.67 %)
    split_errors: dict[str, tuple[int, float]] = {}
    temperature: float = 1.0  # the p_ columns are softmax(logits / temperature)
    calibrated: bool = False  # True when temperature ≠ 1 (temperature scaling fitted on dev)
    # why a run's chosen model kept T = 1, as its calibration.json says (None: not known here)
    uncalibrated_why: str | None = None


@dataclass
class Predictor:
    """A loaded checkpoint and what turns data into its inputs."""

    model: torch.nn.Module
    manifest: Manifest
    model_dir: Path

    @property
    def run_dir(self) -> Path | None:
        """The run folder holding this model, if it is models/<name> of one."""
        candidate = self.model_dir.parent.parent
        return candidate if (candidate / "run.json").is_file() else None


def load_predictor(path: str | Path) -> Predictor:
    """``RUN_DIR`` (its chosen model) or ``MODEL_DIR`` → a ``Predictor``."""
    model_dir = resolve_model_dir(path)
    model, manifest = load_checkpoint(model_dir)
    return Predictor(model=model, manifest=manifest, model_dir=Path(model_dir))


@dataclass
class _Rows:
    x: torch.Tensor
    ids: np.ndarray
    y_true: np.ndarray | None  # class names (strings)
    source: np.ndarray | None


def _table_rows(
    path: Path,
    manifest: Manifest,
    options: dict[str, Any],
    *,
    target: str | None,
    id_given: bool = True,
) -> _Rows:
    """A table's rows encoded as training's were; labels from ``target`` (given, and not
    training's own: it must be a column of DATA), else from training's target column when DATA
    has it (rows to predict have none)."""
    from orthotune.data import TableEncoding, encode_frame, read_table_file, unlabelled

    encoding = TableEncoding.model_validate(manifest.encoding)
    roles = [target or encoding.target, options.get("id"), options.get("source")]
    frame = read_table_file(path, text=[c for c in roles if c])
    if not id_given and options.get("id") and options["id"] not in frame.columns:
        # training's --id, which new rows to score often lack (no id yet): not a feature
        logger.warning(
            "%s has no column %r (the run's --id): its rows are named by their row numbers",
            path,
            options["id"],
        )
        options = {**options, "id": None}
    named = (
        ("--target", target if target != encoding.target else None),
        ("--id", options.get("id")),
    )
    for flag, col in named:
        if col and col not in frame.columns:
            raise InvalidInputError(
                f"{flag} {col!r}: {path} has no such column (columns: "
                f"{', '.join(map(str, frame.columns[:8]))}…): name one of them, or leave "
                f"{flag} out"
            )
    lines = 1 + csv_dialect(path).skip if table_suffix(path) in CSV_SUFFIXES else None
    x = encode_frame(frame, encoding, file=str(path), header_lines=lines)
    n = len(frame)
    id_col = options.get("id")
    ids = (
        frame[id_col].astype(str).to_numpy(dtype=object)
        if id_col and id_col in frame.columns
        else np.array([str(i) for i in range(n)], dtype=object)
    )
    target = target or encoding.target
    y_true = None
    if target in frame.columns:  # a row without a label (empty, "?", as training read it): ""
        y_true = frame[target].astype(str).str.strip().to_numpy(dtype=object)
        y_true[unlabelled(frame[target])] = ""
    src_col = options.get("source")
    source = (
        frame[src_col].astype(str).to_numpy(dtype=object)
        if src_col and src_col in frame.columns
        else None
    )
    return _Rows(torch.from_numpy(x), ids, y_true, source)


def _array_rows(data: str, manifest: Manifest, options: dict[str, Any]) -> _Rows:
    """An NPZ file's, an image folder's (or a built-in's) examples, encoded as the training
    examples were; without labels (an NPZ file without 'y', images without class folders) they
    are examples to predict (no error to report)."""
    from orthotune.data import ArrayEncoding, LoadOptions, load_dataset, unlabelled_examples

    encoding = manifest.encoding or {}
    fitted = ArrayEncoding.model_validate(encoding) if encoding.get("kind") == "array" else None
    load = LoadOptions.model_validate(options)
    want = tuple(manifest.data_shape or ())
    bare = unlabelled_examples(data, load, fitted)
    if bare is not None:
        x, ids = bare
        if want and tuple(x.shape[1:]) != want:
            raise InvalidInputError(
                f"DATA {data} has examples of shape {tuple(x.shape[1:])} but the model was "
                f"trained on shape {want}: give data with the training features"
            )
        return _Rows(x, ids, None, None)
    dataset = load_dataset(data, load, array_encoding=fitted)
    have = tuple(dataset.input_shape)
    if want and have != want:
        raise InvalidInputError(
            f"DATA {data} has examples of shape {have} but the model was trained on shape "
            f"{want} ({manifest.data or 'its training data'}): give data with the training "
            "features"
        )
    if manifest.feature_names and dataset.feature_names:
        wrong = [
            (a, b)
            for a, b in zip(manifest.feature_names, dataset.feature_names, strict=False)
            if a != b
        ]
        if wrong:
            shown = ", ".join(f"{b!r} where training had {a!r}" for a, b in wrong[:3])
            raise InvalidInputError(
                f"DATA {data} has different features than the model's training data: {shown}; "
                "give data with the training features in the training order"
            )
    names = np.asarray(dataset.class_names, dtype=object)
    return _Rows(dataset.x, dataset.ids, names[dataset.y.numpy()], dataset.source)


def _same_data(a: str | None, b: str) -> bool:
    """The same DATA: equal built-in specs, or paths to the same file."""
    if not a:
        return False
    if a.startswith("builtin:") or b.startswith("builtin:"):
        return a == b
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def _split_of(
    predictor: Predictor, data: str, ids: np.ndarray
) -> tuple[np.ndarray | None, str | None]:
    run = predictor.run_dir
    if run is None or not (run / "split.json").is_file():
        return None, None
    try:
        record = RunDir(run).read_run()
        split = RunDir(run).read_split()
    except InvalidInputError:  # a damaged run.json or split.json: no split column
        return None, None
    if record.data_sha256:  # the bytes decide: the same file from another folder is the same
        if data_sha256(data) != record.data_sha256:
            if _same_data(record.data, data):
                logger.warning(
                    "%s has changed since the run was trained (its sha256 is not run.json's): "
                    "its rows are not matched to the run's train, dev and test parts by "
                    "number, and the split column is left out",
                    data,
                )
            return None, None
    elif not (_same_data(record.data, data) and _same_data(predictor.manifest.data, data)):
        return None, None
    ids_of = {} if split is None else split.ids
    part_of = {str(i): part for part, members in ids_of.items() for i in members}
    parts = np.array([part_of.get(str(i), "") for i in ids], dtype=object)
    if len(parts) and not parts.any():  # other ids (--id another column): none is the run's
        return None, None
    return parts, str(run / "split.json")


@torch.no_grad()
def predict_logits(
    model: torch.nn.Module, x: torch.Tensor, *, batch_size: int = 8192
) -> torch.Tensor:
    """``model``'s logits [n, classes] on ``x`` [n, …] in eval mode, in batches, on CPU."""
    model.eval()
    device = next(model.parameters()).device
    out = [
        model(x[a : a + batch_size].to(device)).float().cpu()
        for a in range(0, x.shape[0], batch_size)
    ]
    return torch.cat(out) if out else torch.zeros(0, 0)


@dataclass
class ModelInputs:
    """DATA as the model sees it, row by row, with what is known about each row."""

    x: torch.Tensor  # [n, *spec.input_shape]: encoded, normalized with the training μ, σ²
    raw: torch.Tensor  # [n, …] the examples as loaded (before normalization)
    ids: np.ndarray
    y_true: np.ndarray | None  # class names (strings)
    split: np.ndarray | None  # train / train-dev / dev / test, when DATA is the run's data
    source: np.ndarray | None


def prepare_inputs(
    predictor: Predictor, data: str, *, options: dict[str, Any] | None = None
) -> ModelInputs:
    """DATA turned into ``predictor``'s inputs exactly as in training (see the module doc).

    ``options``: the column flags of DATA (``target``, ``id``, ``source``), and ``impute``:
    left out, gaps and unseen categories are read as training read them; ``"none"`` refuses
    any (``_strict``)."""
    manifest = predictor.manifest
    given = dict(options or {})
    manifest = _strict(manifest, given.pop("impute", None))
    opts = {**(manifest.data_options or {}), **given}
    path = Path(str(data).strip()).expanduser()  # "~/rows.csv" as the API gives it
    is_table = not str(data).startswith("builtin:") and table_suffix(path) in _TABLES
    table_model = (manifest.encoding or {}).get("kind") == "table"
    if table_model and not is_table:
        raise InvalidInputError(
            f"DATA {data} is not a CSV/Parquet file but the model was trained on table columns "
            f"({', '.join(manifest.feature_names[:5])}…): give a CSV or Parquet file with them"
        )
    if table_model:
        rows = _table_rows(path, manifest, opts, target=given.get("target"), id_given="id" in given)
    else:
        rows = _array_rows(data, manifest, opts)
    split, _ = _split_of(predictor, data, rows.ids)
    return ModelInputs(
        x=_as_model_inputs(manifest, rows.x),
        raw=rows.x,
        ids=rows.ids,
        y_true=rows.y_true,
        split=split,
        source=rows.source,
    )


def _strict(manifest: Manifest, impute: str | None) -> Manifest:
    """The manifest whose encoding reads DATA under ``--impute``: None or the training's own
    method, as trained; ``none``, strictly — a missing value or a category training never saw
    is refused in one line (no fill); another method is refused (the model's inputs were made
    by its own)."""
    from orthotune.data import IMPUTE_METHODS

    if impute is None:
        return manifest
    method = impute.strip().lower()
    encoding = dict(manifest.encoding or {})
    trained = encoding.get("impute") or (manifest.data_options or {}).get("impute") or "none"
    if method not in IMPUTE_METHODS:
        raise InvalidInputError(
            f"--impute {impute!r} is not accepted; accepted: none (refuse missing values and "
            "unseen categories), or leave it out: gaps are filled as in training"
        )
    if method == trained or not encoding:
        return manifest
    if method != "none":
        raise InvalidInputError(
            f"--impute {method}: this model was trained with --impute {trained}, and DATA is "
            "filled the same way; accepted: none (refuse missing values), or leave it out"
        )
    encoding["impute"] = "none"
    if encoding.get("kind") == "table":
        encoding["columns"] = [{**c, "fill": None} for c in encoding["columns"]]
    else:
        encoding["fill"] = None
    return manifest.model_copy(update={"encoding": encoding})


def _as_model_inputs(manifest: Manifest, x: torch.Tensor) -> torch.Tensor:
    """Encoded examples [n, …] → the network's inputs: the training μ, σ², then its shape."""
    from orthotune.data import Normalizer

    if manifest.normalization is not None:
        x = Normalizer.from_state_dict(manifest.normalization).apply(x)
    return x.reshape(x.shape[0], *manifest.spec.input_shape)


def encode_inputs(manifest: Manifest, x: Any) -> torch.Tensor:
    """Examples in memory → the network's inputs, as ``prepare_inputs`` turns DATA: a pandas
    DataFrame with the training columns (a model trained on a table), or an array [n, …]
    shaped like the training examples (missing values filled as in training)."""
    from orthotune.data import (
        ArrayEncoding,
        TableEncoding,
        as_table,
        encode_array,
        encode_frame,
        numeric_objects,
    )

    encoding = manifest.encoding or {}
    if encoding.get("kind") == "table":
        if not hasattr(x, "columns"):
            raise InvalidInputError(
                f"X is a {type(x).__name__}, but the model was trained on table columns "
                f"({', '.join(manifest.feature_names[:5])}…): give a pandas DataFrame with them"
            )
        table = as_table(x, "X")  # as tune read the training frame: durations, names …
        raw = encode_frame(table, TableEncoding.model_validate(encoding), file="X")
        return _as_model_inputs(manifest, torch.from_numpy(raw))
    names = [str(c) for c in getattr(x, "columns", ())]
    if names and names != [str(k) for k in range(len(names))]:
        logger.warning(  # as scikit-learn says: a frame's names are no check for an array model
            "X has column names (%s), but the model was trained on an array without them: its "
            "columns are read by position",
            ", ".join(names[:5]) + ("…" if len(names) > 5 else ""),
        )
    array = numeric_objects(np.asarray(x.to_numpy() if hasattr(x, "to_numpy") else x))
    want = tuple(  # an array encoding's shape is the examples' own (channels last, say)
        encoding.get("input_shape") or manifest.data_shape or manifest.spec.input_shape
    )
    if array.dtype.kind not in "biuf" or tuple(array.shape[1:]) != want or array.ndim < 2:
        raise InvalidInputError(
            f"X has shape {array.shape} and dtype {array.dtype}, but the model takes numbers "
            f"shaped (n, {', '.join(map(str, want))}): give examples shaped like the training data"
        )
    if encoding.get("kind") == "array":
        raw, _ = encode_array(array, ArrayEncoding.model_validate(encoding), predicting=True)
    else:
        raw = array.astype(np.float32)
    return _as_model_inputs(manifest, torch.from_numpy(raw))


def probabilities(predictor: Predictor, x: torch.Tensor) -> np.ndarray:
    """Calibrated class probabilities [n, classes] of the network's inputs ``x``:
    ``softmax(logits / T)`` with the checkpoint's temperature."""
    manifest = predictor.manifest
    logits = predict_logits(predictor.model, x).double()
    if not len(logits):
        return np.zeros((0, manifest.spec.num_classes))
    return torch.softmax(logits / manifest.temperature, dim=1).numpy()


def predict(predictor: Predictor, data: str, *, options: dict[str, Any] | None = None) -> Any:
    """The predictions table (pandas DataFrame) of ``predictor`` on DATA."""
    import pandas as pd

    manifest = predictor.manifest
    inputs = prepare_inputs(predictor, data, options=options)
    p = probabilities(predictor, inputs.x)
    classes = np.asarray(manifest.class_names, dtype=object)
    pred = p.argmax(1) if len(p) else np.zeros(0, dtype=np.int64)
    columns: dict[str, Any] = {"id": inputs.ids, "y_pred": classes[pred]}
    columns["confidence"] = p[np.arange(len(p)), pred] if len(p) else np.zeros(0)
    for k, name in enumerate(classes):
        columns[f"p_{name}"] = p[:, k]
    if inputs.y_true is not None:  # a label as its class is named (1.0 → 1, as y_pred)
        columns["y_true"] = _as_classes(inputs.y_true, manifest.class_names)
    if inputs.split is not None:
        columns["split"] = _as_learned(inputs.split, manifest.learned_from)
    if inputs.source is not None:
        columns["source"] = inputs.source
    return pd.DataFrame(columns)


def _as_classes(labels: np.ndarray, class_names: Sequence[str]) -> np.ndarray:
    """Each label written as the class it is (``metrics.label_keys``: ``1.0`` and ``1`` alike,
    as the error counts them), so that ``y_true`` and ``y_pred`` compare as text; a label of
    no class stays as written. A file of ``0.0``/``1.0`` got ``y_true`` 0.0 beside ``y_pred``
    0: every row differed as text."""
    from orthotune.metrics import label_keys

    named = dict(zip(label_keys(class_names), class_names, strict=True))
    keys = label_keys(labels)
    return np.array(
        [named.get(k, v) if v != "" else v for k, v in zip(keys, labels, strict=True)],
        dtype=object,
    )


def _as_learned(split: np.ndarray, learned_from: tuple[str, ...]) -> np.ndarray:
    """The split column as the model saw it: rows of a part it learned from besides train (the
    dev rows of a refit on train + dev, or of k-fold) are ``train`` rows. Named ``dev``, they
    gave ``evaluate`` a dev error of a model's own training examples (0.00 % on a k-fold run)."""
    out = split.copy()
    out[np.isin(out, [p for p in learned_from if p != "train"])] = "train"
    return out


# the first columns of every predictions file: how a rerun knows its own file
PREDICTION_COLUMNS = ("id", "y_pred", "confidence")


# what else ``predict`` writes: a file with any other column was edited by its user
_WRITTEN = ("y_true", "split", "source")


def _is_predictions(path: Path) -> bool:
    """Whether ``path`` is a predictions file as ``predict`` wrote it: its columns, in order,
    and no other (a column a user added — notes on the rows — makes it the user's)."""
    if path.suffix.lower() == ".csv":
        import csv

        with path.open("rb") as handle:
            line = handle.readline().decode("utf-8", "replace")
        names = next(csv.reader([line]), [])
    else:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
    rest = names[len(PREDICTION_COLUMNS) :]
    return tuple(names[: len(PREDICTION_COLUMNS)]) == PREDICTION_COLUMNS and all(
        n.startswith("p_") or n in _WRITTEN for n in rest
    )


def check_predictions_out(out: str | Path, data: str | None = None) -> None:
    """``--out`` may be written: a .csv or .parquet name that is not DATA itself, and no file of
    the user's (an earlier predictions file is replaced)."""
    target = Path(out).expanduser()
    if target.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise InvalidInputError(
            f"--out {target} has extension {target.suffix or '(none)'!r}; accepted: .csv, "
            ".parquet; e.g. --out predictions.csv"
        )
    data_file = (
        None if data is None or str(data).startswith("builtin:") else Path(str(data)).expanduser()
    )
    real = Path(os.path.abspath(target))  # "new/../data.csv" is DATA, though new/ is not made
    if data_file and real.exists() and data_file.resolve() == real.resolve():
        raise InvalidInputError(
            f"--out {target} is DATA itself: the data would be overwritten; give another "
            "file name, e.g. --out predictions.csv"
        )
    check_replaceable(target, ours=_is_predictions, what="a predictions file")


def write_predictions(frame: Any, out: str | Path) -> Path:
    """Write the table atomically as CSV or Parquet, chosen by the extension of ``out``
    (checked by ``check_predictions_out``)."""
    check_predictions_out(out)
    target = Path(out).expanduser()
    if target.suffix.lower() == ".csv":
        return write_predictions_csv(frame, target)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return atomic_write_bytes(target, buffer.getvalue())


def write_predictions_csv(frame: Any, target: Path) -> Path:
    """The predictions table as CSV, atomically and streamed, its probabilities (``confidence``,
    ``p_<class>``) written as float32 — the precision the network computes them in — where
    float64's repr took 22 characters a cell: a 1,000-class run's predictions of 100,000 rows
    were 2.2 GB of text."""
    from orthotune._io import atomic_write_csv

    probabilities = [c for c in frame.columns if c == "confidence" or str(c).startswith("p_")]
    return atomic_write_csv(target, frame.astype(dict.fromkeys(probabilities, np.float32)))


def summarize(predictor: Predictor, data: str, frame: Any, out: Path) -> PredictSummary:
    """Counts and the error rate on rows whose y_true is a known class."""
    import pandas as pd

    from orthotune.metrics import label_keys

    labelled, unknown, first = 0, 0, None
    error, split_errors = None, {}
    if "y_true" in frame.columns:
        # a label matches its class as text or number ("1.0", as pandas writes an integer
        # column with a gap, is the class 1: it was "a label the model never learned")
        names = predictor.manifest.class_names
        keys = dict(zip(label_keys(names), names, strict=True))
        truth = pd.Series(label_keys(frame["y_true"].to_numpy()), index=frame.index).map(keys)
        known = truth.notna()
        labelled = int(known.sum())
        if labelled:
            wrong = truth[known] != frame.loc[known, "y_pred"].astype(str)
            error = float(wrong.mean())
            if "split" in frame.columns:
                parts = wrong.groupby(frame.loc[known, "split"].astype(str), sort=False)
                split_errors = {str(k): (len(v), float(v.mean())) for k, v in parts}
        text = frame["y_true"].astype(str).str.strip().str.lower()
        strange = frame["y_true"].notna() & ~text.isin(["", "nan", "none"]) & ~known
        unknown = int(strange.sum())
        first = str(frame.loc[strange, "y_true"].iloc[0]) if unknown else None
    split_from = None
    if "split" in frame.columns:
        split_from = str(predictor.run_dir / "split.json") if predictor.run_dir else None
    return PredictSummary(
        model_dir=str(predictor.model_dir),
        data=data,
        out=str(out),
        rows=len(frame),
        columns=[str(c) for c in frame.columns],
        labelled=labelled,
        error=error,
        unknown_labels=unknown,
        unknown_label=first,
        split_from=split_from,
        split_errors=split_errors,
        temperature=predictor.manifest.temperature,
        calibrated=predictor.manifest.temperature != 1.0,
        uncalibrated_why=None if predictor.manifest.temperature != 1.0 else _why_t1(predictor),
    )


def _why_t1(predictor: Predictor) -> str | None:
    """The run's calibration message when this model is its chosen one (calibration.json is
    the chosen model's); None for another model or a folder outside a run."""
    import json

    if predictor.run_dir is None:
        return None
    try:
        run = RunDir.open(predictor.run_dir)
        if run.best_name() != predictor.model_dir.name:
            return None
        message = json.loads(run.calibration_json.read_text(encoding="utf-8")).get("message")
    except (InvalidInputError, OSError, ValueError, AttributeError):
        return None
    return str(message) if message else None

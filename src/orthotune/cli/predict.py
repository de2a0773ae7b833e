"""``orthotune predict RUN_DIR|MODEL_DIR DATA --out FILE``: a saved model's predictions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from orthotune.cli._common import DebugFlag, JsonFlag, QuietFlag, SeedOpt
from orthotune.cli._data_options import (
    DataArg,
    IdOpt,
    SourceOpt,
    TargetOpt,
)


def predict(
    model: Annotated[
        Path,
        typer.Argument(
            metavar="RUN_DIR|MODEL_DIR",
            help="A run folder (its chosen model, models/best) or a model folder.",
        ),
    ],
    data: DataArg,
    out: Annotated[
        Path, typer.Option("--out", help="Predictions file to write: .csv or .parquet.")
    ],
    target: TargetOpt = None,
    source: SourceOpt = None,
    id: IdOpt = None,
    impute: Annotated[
        str | None,
        typer.Option(
            "--impute",
            metavar="none",
            help="Left out: missing values and unseen categories are read as in training. "
            "none: refuse any, in one line.",
        ),
    ] = None,
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    quiet: QuietFlag = False,
    debug: DebugFlag = False,
) -> None:
    """Write id, y_pred, confidence, p_<class>… (and y_true, split, source when known).

    The probabilities are calibrated by the checkpoint's temperature (softmax(logits / T),
    fitted when the model was trained, on examples it did not learn from; stderr and --json say
    which T).

    DATA must have the model's training features, in any order: a file that lacks one, or
    another shape, is refused, naming what differs. Columns training never used are ignored and
    categories it never saw read as missing, each with a warning (refused under --impute none,
    as are missing values) — in a column whose rare categories training pooled as '(other)',
    as '(other)', with a warning.
    """
    from orthotune.cli._common import emit, reading_note
    from orthotune.cli._live import Working
    from orthotune.train import (
        check_predictions_out,
        load_predictor,
        predict,
        summarize,
        write_predictions,
    )

    check_predictions_out(out, data)
    predictor = load_predictor(model)
    reading_note(data, quiet=quiet)
    given = {"target": target, "source": source, "id": id}
    options: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if impute is not None:
        options["impute"] = impute
    with Working(f"predict: scoring {Path(data).name} and writing {out.name}", quiet=quiet):
        frame = predict(predictor, data, options=options)
        written = write_predictions(frame, out)
        summary = summarize(predictor, data, frame, written)
    print(_calibration_line(summary), file=sys.stderr)
    emit(summary, as_json=as_json, render=render)


def _calibration_line(summary: Any) -> str:
    """What the p_ columns are: calibrated by the checkpoint's temperature, or raw softmax."""
    if summary.calibrated:
        return (
            f"orthotune: probabilities calibrated by temperature scaling: softmax(logits / T), "
            f"T = {summary.temperature:.4g} (fitted when the model was trained, on examples it "
            "did not learn from)"
        )
    if summary.uncalibrated_why:  # the run's own reason (too few dev examples, say)
        return f"orthotune: probabilities are the plain softmax ({summary.uncalibrated_why})"
    return (
        "orthotune: probabilities are the plain softmax (T = 1: temperature scaling was not "
        "applied when the model was trained, or the checkpoint predates it)"
    )


def render(summary: Any) -> None:
    from orthotune.cli._render import console, pct

    out = console()
    out.print(
        f"wrote {summary.rows:,} predictions to {summary.out} ({', '.join(summary.columns[:4])}…)"
    )
    if not summary.rows:
        out.print(f"warning: {summary.data} holds no data rows: {summary.out} holds a header only")
    if summary.error is not None:
        line = f"error on the {summary.labelled:,} labelled rows: {pct(summary.error)}"
        if summary.split_errors:  # the rows the model learned from are its split's train
            order = {name: k for k, name in enumerate(("train", "train-dev", "dev", "test"))}
            parts = sorted(summary.split_errors.items(), key=lambda kv: order.get(kv[0], 9))
            said = [
                f"{name} {pct(err)} on the {rows:,} rows it learned from"
                if name == "train"
                else f"{name} {pct(err)} on {rows:,}"
                for name, (rows, err) in parts
            ]
            line += f" ({'; '.join(said)})"
        out.print(line)
    if summary.unknown_labels:
        out.print(
            f"{summary.unknown_labels:,} row(s) hold a label the model never learned "
            f"({summary.unknown_label!r} …): not counted in the error"
        )
    if summary.split_from:
        out.print(f"split column from {summary.split_from}")

"""``orthotune evaluate``: metrics per split of any framework's predictions, and a diagnosis."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orthotune.cli._common import DebugFlag, JsonFlag, SeedOpt


def evaluate(
    predictions: Annotated[
        Path,
        typer.Argument(
            help="CSV/Parquet with y_true and y_pred or p_<class> columns; optional split "
            "(train, train-dev, dev, test), source and id."
        ),
    ],
    human_error: Annotated[
        str | None, typer.Option("--human-error", help="Human-level error: 3.5% or 0.035.")
    ] = None,
    bayes_error: Annotated[
        str | None, typer.Option("--bayes-error", help="Bayes error: 3.5% or 0.035.")
    ] = None,
    beta: Annotated[float, typer.Option("--beta", help="F-beta: recall counts beta times.")] = 1.0,
    positive_class: Annotated[
        str | None, typer.Option("--positive-class", help="Also report this class as binary.")
    ] = None,
    tolerance: Annotated[
        str, typer.Option("--tolerance", help="A gap is high above this (and the noise).")
    ] = "1%",
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    debug: DebugFlag = False,
) -> None:
    """Score a predictions file per split, then diagnose it.

    Precision, recall, F-beta, support, accuracy and their averages (macro, micro, weighted,
    harmonic) per split; confidence, top-2 margin and calibration from p_ columns; the bias /
    variance diagnosis when the file has train and dev rows.
    """
    from orthotune._api import evaluate as run_evaluate
    from orthotune.cli._common import emit
    from orthotune.cli._render import render_evaluation

    result = run_evaluate(
        predictions,
        human_error=human_error,
        bayes_error=bayes_error,
        beta=beta,
        positive_class=positive_class,
        tolerance=tolerance,
    )
    emit(result, as_json=as_json, render=render_evaluation)

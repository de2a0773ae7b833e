"""``orthotune diagnose``: the bias / variance / mismatch diagnosis from error levels."""

from __future__ import annotations

from typing import Annotated

import typer

from orthotune.cli._common import DebugFlag, JsonFlag, SeedOpt

_RATE = "a rate: 3.5% or 0.035"


def diagnose(
    human_error: Annotated[
        str, typer.Option("--human-error", help=f"Human-level error ({_RATE}).")
    ],
    train_error: Annotated[str, typer.Option("--train-error", help=f"Training error ({_RATE}).")],
    dev_error: Annotated[str, typer.Option("--dev-error", help=f"Dev error ({_RATE}).")],
    train_dev_error: Annotated[
        str | None,
        typer.Option("--train-dev-error", help="Error on held-out training-distribution data."),
    ] = None,
    test_error: Annotated[str | None, typer.Option("--test-error", help="Test error.")] = None,
    bayes_error: Annotated[
        str | None, typer.Option("--bayes-error", help="Bayes (lowest possible) error.")
    ] = None,
    train_size: Annotated[
        int | None, typer.Option("--train-size", help="Training examples (for the intervals).")
    ] = None,
    train_dev_size: Annotated[
        int | None, typer.Option("--train-dev-size", help="Train-dev examples.")
    ] = None,
    dev_size: Annotated[int | None, typer.Option("--dev-size", help="Dev examples.")] = None,
    test_size: Annotated[int | None, typer.Option("--test-size", help="Test examples.")] = None,
    tolerance: Annotated[
        str,
        typer.Option("--tolerance", help="A gap is high above this (and outside the noise)."),
    ] = "1%",
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    debug: DebugFlag = False,
) -> None:
    """Diagnose bias, variance and data mismatch from error levels.

    Decomposes the error into avoidable bias, variance, data mismatch and dev overfitting (each
    with a 95% interval when set sizes are given) and names the knobs to turn. The lecture's
    Model A: orthotune diagnose --human-error 0.7% --train-error 3.5% --dev-error 7.8%
    """
    from orthotune._api import diagnose as run_diagnose
    from orthotune.cli._common import emit
    from orthotune.cli._render import render_diagnosis

    result = run_diagnose(
        human_error=human_error,
        bayes_error=bayes_error,
        train_error=train_error,
        train_dev_error=train_dev_error,
        dev_error=dev_error,
        test_error=test_error,
        train_size=train_size,
        train_dev_size=train_dev_size,
        dev_size=dev_size,
        test_size=test_size,
        tolerance=tolerance,
    )
    emit(result, as_json=as_json, render=render_diagnosis)

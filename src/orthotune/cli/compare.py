"""``orthotune compare``: choose among classifiers from a table of their scores."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orthotune.cli._common import DebugFlag, JsonFlag, SeedOpt


def compare(
    table: Annotated[
        Path,
        typer.Argument(
            help="CSV/Parquet: one row per classifier (a name column), columns per-class "
            "scores (Class A …) or metrics (accuracy, precision, recall, latency_ms, params)."
        ),
    ],
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            help="The optimizing metric (default: F-score, accuracy, harmonic_mean, else "
            "another score or error rate; never a cost such as latency_ms).",
        ),
    ] = None,
    constraint: Annotated[
        list[str] | None,
        typer.Option(
            "--constraint", help='Satisficing constraint, e.g. "latency_ms<100"; repeatable.'
        ),
    ] = None,
    beta: Annotated[float, typer.Option("--beta", help="F-beta from precision and recall.")] = 1.0,
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    debug: DebugFlag = False,
) -> None:
    """Choose among classifiers from a table of their scores.

    Average and harmonic mean across per-class scores, F-beta from precision and recall, the
    best on --metric among rows meeting every --constraint, and the Pareto front.
    """
    from orthotune._api import compare as run_compare
    from orthotune.cli._common import emit
    from orthotune.cli._render import render_comparison

    result = run_compare(table, metric=metric, constraints=constraint or (), beta=beta)
    emit(result, as_json=as_json, render=render_comparison)

"""``orthotune learning-curve DATA [--from RUN_DIR|MODEL_DIR] [--fractions …] --out RUN_DIR``:
would more data help?

The configuration (the data shape's starting model — the one ``tune`` begins with — or the
chosen model of a run with ``--from``) is trained at once, as one population, on nested
fractions of the training set; the dev error of each, a power law fitted through them, and the
sentence "doubling the training data would lower the dev error from X % to about Y % [a, b]"
(or "it is flat") come back. With ``--out`` a run folder holds run.json, split.json and
analysis/learning_curve.json, which ``orthotune report`` draws.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from orthotune.cli._common import DebugFlag, JsonFlag, QuietFlag, SeedOpt, emit
from orthotune.cli._data_options import (
    DataArg,
    DevSourceOpt,
    DropOpt,
    IdOpt,
    ImputeOpt,
    SourceOpt,
    SplitColOpt,
    SplitRatiosOpt,
    TargetOpt,
    WeightOpt,
)

FromOpt = Annotated[
    Path | None,
    typer.Option(
        "--from",
        metavar="RUN_DIR|MODEL_DIR",
        help="Use this run's chosen model (or this checkpoint's) configuration instead of the "
        "data shape's starting model.",
    ),
]
FractionsOpt = Annotated[
    str,
    typer.Option(
        "--fractions",
        metavar="F,F,…",
        help="Nested fractions of the training set, the largest 1 (e.g. 1/8,1/4,1/2,3/4,1).",
    ),
]
EpochsOpt = Annotated[
    int | None,
    typer.Option("--epochs", help="Override the configuration's epochs (fewer: faster)."),
]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="RUN_DIR",
        help="New run folder for the result (orthotune report RUN_DIR draws it).",
    ),
]


def learning_curve(
    data: DataArg,
    target: TargetOpt = None,
    weight: WeightOpt = None,
    source: SourceOpt = None,
    id: IdOpt = None,
    drop: DropOpt = None,
    split_col: SplitColOpt = None,
    dev_source: DevSourceOpt = None,
    impute: ImputeOpt = "auto",
    split_ratios: SplitRatiosOpt = None,
    from_run: FromOpt = None,
    fractions: FractionsOpt = "1/8,1/4,1/2,3/4,1",
    epochs: EpochsOpt = None,
    device: DeviceOpt = "auto",
    out: OutOpt = None,
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    quiet: QuietFlag = False,
    debug: DebugFlag = False,
) -> None:
    """Would more data help? Dev error on nested fractions of the training set, a power law
    through them, and what doubling the data would give."""
    from orthotune._api import learning_curve as measure
    from orthotune.cli._common import reading_note
    from orthotune.cli._live import Working

    reading_note(data, quiet=quiet)
    what = f"learning-curve: models on nested fractions of {Path(data).name}'s training set"
    with Working(what, quiet=quiet):
        curve = measure(
            data,
            from_run=from_run,
            fractions=fractions,
            epochs=epochs,
            device=device,
            out=out,
            seed=seed,
            target=target,
            weight=weight,
            source=source,
            id=id,
            drop=drop or (),
            split_col=split_col,
            dev_source=dev_source,
            impute=impute,
            split_ratios=split_ratios,
        )
    emit(curve, as_json=as_json, render=render)


def render(curve: Any) -> None:
    """The points, the fit and the sentence."""
    from rich.table import Table

    from orthotune.cli._render import console as _console

    console = _console(markup=True, highlight=True)
    table = Table(title=f"learning curve ({curve.configuration})")
    for col in ("fraction", "train examples", "train error", "dev error", "95 %"):
        table.add_column(col, justify="right")
    for p in curve.points:
        table.add_row(
            f"{p.fraction:g}",
            str(p.train_examples),
            f"{p.train_error:.1%}",
            f"{p.dev_error:.1%}",
            f"{p.dev_low:.1%} … {p.dev_high:.1%}",
        )
    console.print(table)
    if curve.fit is not None:
        # the sentence adds the fit's change to the measured error: a new user read "≈ 885·n^(−2)
        # + 0.306" beside "about 28.7 %" as a contradiction (a noisy curve's fit passes above
        # its last point)
        m = curve.points[-1].train_examples
        at, twice = float(curve.fit.predict(m)), float(curve.fit.predict(2 * m))
        console.print(
            f"fit: dev error ≈ {curve.fit.a:.3g}·n^(−{curve.fit.b:.3g}) + {curve.fit.c:.3g} "
            f"on {curve.dev_examples} dev examples ({at:.1%} at {m}, {twice:.1%} at {2 * m}: "
            f"its change, {twice - at:+.1%}, is added to the measured {curve.error_now:.1%}); "
            f"interval: {curve.interval}"
        )
    console.print(f"[bold]{curve.sentence}[/bold]")

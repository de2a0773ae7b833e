"""The data options every command that takes DATA shares (DESIGN.md), as typer aliases.

Use them as parameter types and pass the values to ``load_options`` / ``split_policy``::

    def train(data: DataArg, target: TargetOpt = None, ..., impute: ImputeOpt = "auto"):
        options = load_options(target=target, ..., impute=impute)

This module imports only typer (the option objects are built at ``--help`` time); pydantic and
the data layer are imported inside the helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from orthotune.data import LoadOptions, SplitPolicy

DATA_HELP = (
    "A .csv, .parquet or .npz file, a folder of images (one folder per class), or builtin:NAME "
    "(mnist1d, digits, breast-cancer, "
    "synthetic; e.g. builtin:synthetic?n=2000&classes=3&noise=0.1&shift=0.5)."
)

DataArg = Annotated[str, typer.Argument(metavar="DATA", help=DATA_HELP, show_default=False)]
TargetOpt = Annotated[
    str | None,
    typer.Option(
        "--target", metavar="COL", help="Label column (default: label, target, y or class)."
    ),
]
WeightOpt = Annotated[
    str | None,
    typer.Option("--weight", metavar="COL", help="Per-example weight column s(i) ≥ 0."),
]
SourceOpt = Annotated[
    str | None,
    typer.Option("--source", metavar="COL", help="Column naming the distribution of each row."),
]
IdOpt = Annotated[
    str | None,
    typer.Option("--id", metavar="COL", help="Example id column (default: the 0-based row)."),
]
DropOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--drop",
        metavar="COL",
        help="Leave this column out of the features (repeatable), e.g. a sensitive attribute.",
    ),
]
SplitColOpt = Annotated[
    str | None,
    typer.Option(
        "--split-col",
        metavar="COL",
        help=(
            "Your own split: train, train-dev, dev, test (any case; validation, val, training, "
            "testing too), or empty to let the policy decide."
        ),
    ),
]
DevSourceOpt = Annotated[
    str | None,
    typer.Option("--dev-source", metavar="NAME", help="Build dev and test from this source only."),
]
ImputeOpt = Annotated[
    str,
    typer.Option(
        "--impute",
        metavar="auto|none|mean|median",
        help="auto (default): numeric NaN → filled from the row's other values "
        "(fitted on train) plus a 0/1 'was missing' column, "
        "categorical NaN → a 'missing' category; mean|median: fill with that statistic; "
        "none: NaN is an error.",
    ),
]
SplitRatiosOpt = Annotated[
    str | None,
    typer.Option(
        "--split-ratios",
        metavar="TRAIN/DEV/TEST",
        help="Override the size policy, e.g. 70/15/15 or 80/10/10.",
    ),
]
TrainDevOpt = Annotated[
    bool | None,
    typer.Option(
        "--train-dev/--no-train-dev",
        help="Carve a train-dev set out of train (default: when there are several sources "
        "or a --dev-source).",
        show_default=False,
    ),
]


def load_options(**given: Any) -> LoadOptions:
    """``orthotune.data.load_options``: the flags' ``LoadOptions`` (bad ``--impute``: exit 2)."""
    from orthotune.data import load_options as build

    return build(**given)


def split_policy(**given: Any) -> SplitPolicy:
    """``orthotune.data.split_policy`` (``--split-ratios``, ``--train-dev``, ``--dev-source``)."""
    from orthotune.data import split_policy as build

    return build(**given)

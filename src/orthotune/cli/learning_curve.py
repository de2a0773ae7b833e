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

from orthotune.cli._common import DebugFlag, JsonFlag, SeedOpt, emit
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
    load_options,
    split_policy,
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
    typer.Option("--out", metavar="RUN_DIR", help="New run folder for the result and report."),
]


def parse_fractions(text: str) -> tuple[float, ...]:
    """``1/8,1/4,0.5,1`` → (0.125, 0.25, 0.5, 1.0); one clear line for anything else."""
    from fractions import Fraction

    from orthotune._errors import InvalidInputError

    try:
        values = tuple(float(Fraction(p.strip())) for p in text.split(",") if p.strip())
    except (ValueError, ZeroDivisionError):
        raise InvalidInputError(
            f"--fractions {text!r} is not a list of fractions; accepted: numbers or a/b in "
            "(0, 1], e.g. --fractions 1/8,1/4,1/2,1"
        ) from None
    return values


def _configuration(source: Path | None, ds: Any, epochs: int | None) -> tuple[Any, Any, str]:
    """(spec, config, where it came from)."""
    from orthotune._errors import InvalidInputError
    from orthotune._rundir import resolve_model_dir
    from orthotune.fit import baseline
    from orthotune.train import read_manifest

    if source is None:
        spec, config = baseline(ds.input_shape, ds.num_classes)
        where = "the data shape's starting model"
    else:
        manifest = read_manifest(resolve_model_dir(source))
        if manifest.train_config is None:
            raise InvalidInputError(
                f"--from {source}: the checkpoint records no training configuration; give a "
                "run folder or model folder written by orthotune train or tune"
            )
        spec, config = manifest.spec, manifest.train_config
        if tuple(spec.input_shape) != tuple(ds.input_shape):
            raise InvalidInputError(
                f"--from {source}: its model takes inputs of shape {tuple(spec.input_shape)}, "
                f"the data's examples are {tuple(ds.input_shape)}: give a model of this data"
            )
        if spec.num_classes != ds.num_classes:
            raise InvalidInputError(
                f"--from {source}: its model has {spec.num_classes} classes, the data "
                f"{ds.num_classes}: give a model of this data"
            )
        where = f"the configuration of {source}"
    if epochs is not None:
        if epochs < 1:
            raise InvalidInputError(f"--epochs {epochs} is not accepted: give an integer ≥ 1")
        config = config.model_copy(update={"epochs": epochs})
    return spec, config, where


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
    debug: DebugFlag = False,
) -> None:
    """Would more data help? Dev error on nested fractions of the training set, a power law
    through them, and what doubling the data would give."""
    from orthotune._records import JobSummary, RunRecord
    from orthotune._rundir import RunDir
    from orthotune.analysis import learning_curve as measure
    from orthotune.analysis import save_result
    from orthotune.data import load_dataset, make_split, prepare

    wanted = parse_fractions(fractions)
    if out is not None:
        RunDir.refuse_existing(out)  # before any training
    options = load_options(
        target=target,
        weight=weight,
        source=source,
        id=id,
        drop=drop,
        split_col=split_col,
        dev_source=dev_source,
        impute=impute,
    )
    ds = load_dataset(data, options)
    spec, config, where = _configuration(from_run, ds, epochs)
    policy = split_policy(ratios=split_ratios, dev_source=dev_source)
    split = make_split(ds, seed=seed, policy=policy)
    prepared = prepare(ds, split)
    curve = measure(
        prepared.train, prepared.dev, spec, config, fractions=wanted, seed=seed, device=device
    )
    curve = curve.model_copy(update={"configuration": f"{where}: {curve.configuration}"})
    if out is not None:
        run = RunDir.create(out)
        run.write_run(
            RunRecord(
                command="learning-curve",
                data=data,
                seed=seed,
                config={
                    "fractions": list(wanted),
                    "from": None if from_run is None else str(from_run),
                },
                summary=JobSummary(sentence=curve.sentence),
            )
        )
        run.write_split(split.to_json(ds))
        save_result(curve, run.analysis_dir, "learning_curve")
    emit(curve, as_json=as_json, render=render)


def render(curve: Any) -> None:
    """The points, the fit and the sentence."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
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
        console.print(
            f"fit: dev error ≈ {curve.fit.a:.3g}·n^(−{curve.fit.b:.3g}) + {curve.fit.c:.3g} "
            f"on {curve.dev_examples} dev examples; interval: {curve.interval}"
        )
    console.print(f"[bold]{curve.sentence}[/bold]")

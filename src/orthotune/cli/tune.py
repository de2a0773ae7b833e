"""``orthotune tune [DATA]``: the main job.

``--strategy autopilot`` (the default) diagnoses, turns one orthogonal knob at a time and
verifies; the other strategies search a space on Optuna. With no arguments: the autopilot on
``builtin:mnist1d`` (human-level error 4.2 %) with a 5-minute budget.
"""

from __future__ import annotations

from typing import Annotated

import typer

from orthotune._api import STRATEGIES
from orthotune.cli._common import DebugFlag, JsonFlag, SeedOpt, emit, show_progress
from orthotune.cli._data_options import (
    DevSourceOpt,
    DropOpt,
    IdOpt,
    ImputeOpt,
    SourceOpt,
    SplitColOpt,
    SplitRatiosOpt,
    TargetOpt,
    TrainDevOpt,
    WeightOpt,
)


def tune(
    data: Annotated[
        str,
        typer.Argument(metavar="[DATA]", help="A .csv/.parquet/.npz file or builtin:NAME."),
    ] = "builtin:mnist1d",
    strategy: Annotated[str, typer.Option(help=f"One of: {', '.join(STRATEGIES)}.")] = "autopilot",
    executor: Annotated[
        str, typer.Option(help="population (many models at once) or sequential (one by one).")
    ] = "population",
    budget: Annotated[
        str | None,
        typer.Option(
            help="Wall-clock budget, e.g. 90s, 5m, 2h (default 5m; none when only --trials "
            "is given)."
        ),
    ] = None,
    trials: Annotated[
        int | None,
        typer.Option(
            help="A count budget: models the autopilot trains, trials a search runs; alone it "
            "sets no time limit, so a seeded run is reproducible."
        ),
    ] = None,
    metric: Annotated[str, typer.Option(help="The optimizing metric.")] = "dev_accuracy",
    constraint: Annotated[
        list[str] | None, typer.Option(help="Satisficing constraint, e.g. 'latency_ms<100'.")
    ] = None,
    goal: Annotated[
        str | None, typer.Option(help="Stop when --metric reaches it (99% or 0.99).")
    ] = None,
    human_error: Annotated[
        str | None, typer.Option(help="Human-level error (4.2% or 0.042); built-ins carry theirs.")
    ] = None,
    bayes_error: Annotated[str | None, typer.Option(help="Bayes error, when known.")] = None,
    tolerance: Annotated[
        str, typer.Option(help="A gap above this (and the noise) is high.")
    ] = "1%",
    study: Annotated[str | None, typer.Option(help="Study name (re-run to resume).")] = None,
    storage: Annotated[
        str | None, typer.Option(help="Optuna storage URL (default: RUN_DIR/study.db).")
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(help="Run folder (default: runs/tune-<time>); re-run with --study to resume."),
    ] = None,
    space: Annotated[
        str | None, typer.Option(help="Search space YAML (default: one fitted to the data).")
    ] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    precision: Annotated[
        str | None,
        typer.Option(
            help="auto (bfloat16 for CNNs where the hardware has it, else float32), fp32 or "
            "bf16; default: auto for the search strategies, fp32 for the autopilot."
        ),
    ] = None,
    init_from: Annotated[
        str | None,
        typer.Option(
            "--init-from",
            help="Transfer learning (autopilot): a run folder (its chosen model) or model folder "
            "whose weights the transfer_learning knob starts from.",
            metavar="RUN_DIR|MODEL_DIR",
        ),
    ] = None,
    freeze: Annotated[
        str | None,
        typer.Option(
            help="With --init-from: keep 'features' (every layer but the output layer) or the "
            "first N layers frozen (default: try all trained, then features frozen).",
            metavar="features|N",
        ),
    ] = None,
    target: TargetOpt = None,
    weight: WeightOpt = None,
    source: SourceOpt = None,
    id: IdOpt = None,
    drop: DropOpt = None,
    split_col: SplitColOpt = None,
    dev_source: DevSourceOpt = None,
    impute: ImputeOpt = "auto",
    split_ratios: SplitRatiosOpt = None,
    train_dev: TrainDevOpt = None,
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    debug: DebugFlag = False,
) -> None:
    """Tune a classifier within a budget (default: the orthogonal autopilot)."""
    from orthotune._api import tune as run_tune
    from orthotune.cli._render_tune import (
        render_autopilot,
        render_search,
        render_step,
        render_trial,
    )

    live = show_progress(as_json)
    summary = run_tune(
        data,
        strategy=strategy,
        budget=budget,
        trials=trials,
        out=out,
        seed=seed,
        executor=executor,
        metric=metric,
        constraints=list(constraint or ()),
        goal=goal,
        human_error=human_error,
        bayes_error=bayes_error,
        tolerance=tolerance,
        study=study,
        storage=storage,
        space=space,
        device=device,
        precision=precision,
        init_from=init_from,
        freeze=freeze,
        target=target,
        weight=weight,
        source=source,
        id=id,
        drop=list(drop or ()),
        split_col=split_col,
        dev_source=dev_source,
        impute=impute,
        split_ratios=split_ratios,
        train_dev=train_dev,
        on_step=render_step if live else None,
        on_trial=render_trial if live else None,
    )
    emit(
        summary,
        as_json=as_json,
        render=render_autopilot if strategy == "autopilot" else render_search,
    )

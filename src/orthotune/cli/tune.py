"""``orthotune tune [DATA]``: the main job.

``--strategy autopilot`` (the default) diagnoses, turns one orthogonal knob at a time and
verifies; the other strategies search a space on Optuna. With no arguments: the autopilot on
``builtin:mnist1d`` (human-level error 4.2 %) with a 5-minute budget.
"""

from __future__ import annotations

from typing import Annotated

import typer

from orthotune._api import STRATEGIES
from orthotune.cli._common import (
    DebugFlag,
    JsonFlag,
    KeepOpt,
    QuietFlag,
    SeedOpt,
    emit,
    exit_interrupted,
    reading_note,
)
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
        typer.Argument(
            metavar="[DATA]",
            help="A .csv/.parquet/.npz file, a folder of images (one folder per class) or "
            "builtin:NAME.",
        ),
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
        str | None,
        typer.Option(help="Autopilot: a gap above this (and the noise) is high (default 1%)."),
    ] = None,
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
    refit: Annotated[
        bool | None,
        typer.Option(
            "--refit/--no-refit",
            help="Autopilot: train the chosen configuration again on train + dev at the end, "
            "the test set then judging that model (default: on; nothing to refit under k-fold).",
            show_default=False,
        ),
    ] = None,
    keep: KeepOpt = None,
    quiet: QuietFlag = False,
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    debug: DebugFlag = False,
) -> None:
    """Tune a classifier within a budget (default: the orthogonal autopilot).

    Progress goes to stderr (a live display on a terminal, else one line per finished step or
    trial; --quiet: none). Ctrl-C saves the best model so far and exits with 130."""
    from orthotune._api import tune as run_tune
    from orthotune.cli._live import Live
    from orthotune.cli._render_tune import render_autopilot, render_search
    from orthotune.search import parse_duration

    seconds = None if budget is None else parse_duration(budget)
    if seconds is None and trials is None:
        seconds = 300.0
    autopilot = strategy == "autopilot"
    unit = "step" if autopilot else "trial"
    reading_note(data, quiet=quiet)
    with Live(strategy, unit=unit, budget_s=seconds, quiet=quiet) as live:
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
            refit=refit,
            keep=keep,
            on_step=live.step,
            on_trial=None if live.mode == "off" else live.trial,
            on_epoch=live.epoch,
        )
    emit(summary, as_json=as_json, render=render_autopilot if autopilot else render_search)
    if autopilot and summary.decisions.stop_reason == "interrupted":
        exit_interrupted(
            f"the model kept so far is saved in {summary.chosen_model_dir}; the autopilot does "
            f"not resume a run: run it again with a new --out ({summary.run_dir} is kept)"
        )
    if not autopilot and summary.stop_reason == "interrupted":
        saved = (
            f"the best model so far is saved in {summary.chosen_model_dir}"
            if summary.chosen_model_dir
            else "no trial had finished"
        )
        exit_interrupted(
            f"{saved}; resume with the same command and --study {summary.study_name} "
            f"--out {_given_out(summary.run_dir)}"
        )
    if not autopilot and summary.no_model:  # a script's next step (predict RUN) finds none
        from orthotune._errors import InvalidInputError

        raise InvalidInputError(summary.no_model)


def _given_out(run_dir: str) -> str:
    """The ``--out`` a worker of a shared study was given (its run lies in
    ``OUT/workers/<host>-<pid>``: resuming there nested a new worker inside it)."""
    from pathlib import Path

    from orthotune._rundir import WORKERS_DIR

    path = Path(run_dir)
    return str(path.parent.parent) if path.parent.name == WORKERS_DIR else run_dir

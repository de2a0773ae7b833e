"""``orthotune tune [DATA]``: the main job.

``--strategy autopilot`` (the default) diagnoses, turns one orthogonal knob at a time and
verifies; the other strategies search a space on Optuna. With no arguments: the autopilot on
``builtin:mnist1d`` (human-level error 4.2 %) with a 5-minute budget.
"""

from __future__ import annotations

from typing import Annotated

import typer

from orthotune.cli._common import (
    DebugFlag,
    JsonFlag,
    KeepOpt,
    QuietFlag,
    SeedOpt,
    emit,
    exit_interrupted,
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
    load_options,
    split_policy,
)

STRATEGIES = ("autopilot", "grid", "random", "tpe", "evolution", "hyperband", "pbt")


def tune(
    data: Annotated[
        str,
        typer.Argument(metavar="[DATA]", help="A .csv/.parquet/.npz file or builtin:NAME."),
    ] = "builtin:mnist1d",
    strategy: Annotated[str, typer.Option(help=f"One of: {', '.join(STRATEGIES)}.")] = "autopilot",
    executor: Annotated[
        str, typer.Option(help="population (many models at once) or sequential (one by one).")
    ] = "population",
    budget: Annotated[str, typer.Option(help="Wall-clock budget, e.g. 90s, 5m, 2h.")] = "5m",
    trials: Annotated[int | None, typer.Option(help="Stop after this many trials.")] = None,
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
    refit: Annotated[
        bool,
        typer.Option(
            "--refit/--no-refit",
            help="Autopilot: train the chosen configuration again on train + dev at the end "
            "(the test set then judges that model).",
        ),
    ] = False,
    keep: KeepOpt = None,
    quiet: QuietFlag = False,
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    debug: DebugFlag = False,
) -> None:
    """Tune a classifier within a budget (default: the orthogonal autopilot).

    Progress goes to stderr (a live display on a terminal, else one line per finished step or
    trial; --quiet: none). Ctrl-C saves the best model so far and exits with 130."""
    from orthotune._errors import InvalidInputError
    from orthotune._rates import parse_rate
    from orthotune.cli._live import Live
    from orthotune.search._budget import parse_duration
    from orthotune.train._precision import check_precision

    if strategy not in STRATEGIES:
        raise InvalidInputError(
            f"--strategy {strategy!r} is unknown; accepted: {', '.join(STRATEGIES)}"
        )
    if executor not in ("population", "sequential"):
        raise InvalidInputError(
            f"--executor {executor!r} is unknown; accepted: population, sequential"
        )
    if precision is not None:
        check_precision(precision)
    asked = {} if precision is None else {"precision": precision}  # else the mode's default
    seconds = parse_duration(budget)
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
    policy = split_policy(ratios=split_ratios, train_dev=train_dev, dev_source=dev_source)
    if out is None:
        import time

        out = f"runs/tune-{time.strftime('%Y%m%d-%H%M%S')}"
    human = None if human_error is None else parse_rate(human_error, name="--human-error")
    bayes = None if bayes_error is None else parse_rate(bayes_error, name="--bayes-error")
    goal_value = None if goal is None else parse_rate(goal, name="--goal")
    if strategy != "autopilot" and (init_from is not None or freeze is not None):
        raise InvalidInputError(
            f"--init-from and --freeze turn the autopilot's transfer-learning knob, but "
            f"--strategy is {strategy}: use --strategy autopilot (the default), or train one "
            "model with orthotune train --init-from"
        )
    if strategy != "autopilot" and refit:
        raise InvalidInputError(
            f"--refit retrains the autopilot's chosen configuration, but --strategy is "
            f"{strategy}: use --strategy autopilot (the default), or drop --refit"
        )
    if strategy != "autopilot":
        from orthotune.cli._render_tune import render_search
        from orthotune.search._job import tune_search

        with Live(strategy, unit="trial", budget_s=seconds, quiet=quiet) as live:
            summary = tune_search(
                data,
                load_options=options,
                split_policy=policy,
                out=out,
                strategy=strategy,
                executor=executor,
                budget_s=seconds,
                trials=trials,
                metric=metric,
                constraints=list(constraint or ()),
                goal=goal_value,
                human_error=human,
                bayes_error=bayes,
                study_name=study,
                storage=storage,
                seed=seed,
                device=device,
                progress=None if live.mode == "off" else live.trial,
                on_epoch=live.epoch,
                keep=keep,
                space=space,
                **asked,
            )
        emit(summary, as_json=as_json, render=render_search)
        if summary.stop_reason == "interrupted":
            saved = (
                f"the best model so far is saved in {summary.chosen_model_dir}"
                if summary.chosen_model_dir
                else "no trial had finished"
            )
            exit_interrupted(
                f"{saved}; resume with the same command and --study {summary.study_name} "
                f"--out {summary.run_dir}"
            )
        return
    if constraint or metric != "dev_accuracy" or trials is not None or space is not None:
        raise InvalidInputError(
            "--metric, --constraint, --trials and --space belong to the search strategies; the "
            "autopilot lowers the dev error: drop them or pick e.g. --strategy tpe"
        )
    from orthotune.autopilot import AutopilotSettings, tune_autopilot
    from orthotune.cli._render_tune import render_autopilot

    settings = AutopilotSettings(
        budget_s=seconds,
        human_error=human,
        bayes_error=bayes,
        tolerance=parse_rate(tolerance, name="--tolerance"),
        goal=goal_value,
        executor=executor,
        device=device,
        seed=seed,
        refit=refit,
        **asked,
    )
    with Live("autopilot", unit="step", budget_s=seconds, quiet=quiet) as live:
        summary = tune_autopilot(
            data,
            load_options=options,
            split_policy=policy,
            out=out,
            settings=settings,
            study_name=study,
            storage=storage,
            on_step=live.step,
            on_epoch=live.epoch,
            keep=keep,
            init_from=init_from,
            freeze=freeze,
        )
    emit(summary, as_json=as_json, render=render_autopilot)
    if summary.decisions.stop_reason == "interrupted":
        exit_interrupted(
            f"the model kept so far is saved in {summary.chosen_model_dir}; the autopilot does "
            f"not resume a run: run it again with a new --out ({summary.run_dir} is kept)"
        )

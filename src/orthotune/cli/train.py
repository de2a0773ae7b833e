"""``orthotune train DATA --out RUN_DIR``: train one model with the lecture's knobs.

Settings come from ``--config FILE`` (YAML or JSON with ``model:`` and ``train:`` sections) and
flags, flags winning. The run folder gets run.json, split.json, models/<name>/ (checkpoint),
models/best and history/<name>.json; the test error is measured once, at the end.

``--ensemble K`` trains K seeds of the configuration at once (one population) and keeps them as
one model: one checkpoint folder with K hashed members, probabilities averaged; the errors,
diagnosis and calibration are the ensemble's, and history/<name>.member-<k>.json the members'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from orthotune.cli._common import DebugFlag, JsonFlag, QuietFlag, SeedOpt
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
    TrainDevOpt,
    WeightOpt,
)

_M = "Model"
_O = "Optimization"
_T = "Transfer learning"


def _opt(*names: str, help: str, metavar: str | None = None, panel: str = _O) -> Any:
    return typer.Option(*names, help=help, metavar=metavar, rich_help_panel=panel)


def _csv_ints(text: str, flag: str) -> tuple[int, ...]:
    from orthotune._errors import InvalidInputError

    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise InvalidInputError(
            f"{flag} {text!r} is not a list of integers; e.g. {flag} 100,100 "
            f"(or {flag} '' for none)"
        ) from None


def _conv_blocks(text: str) -> list[dict[str, Any]]:
    """``32:5,64:5:max`` → conv blocks (channels[:kernel[:pool]])."""
    from orthotune._errors import InvalidInputError

    blocks = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        fields = item.split(":")
        try:
            block: dict[str, Any] = {"channels": int(fields[0])}
            if len(fields) > 1:
                block["kernel"] = int(fields[1])
            if len(fields) > 2:
                block["pool"] = fields[2]
            if len(fields) > 3:
                raise ValueError
        except ValueError:
            raise InvalidInputError(
                f"--conv {text!r}: {item!r} is not CHANNELS[:KERNEL[:POOL]]; e.g. "
                "--conv 32:5,64:5:max,64:3:max"
            ) from None
        blocks.append(block)
    return blocks


def train(
    data: DataArg,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Run folder to create (must not hold a run).", metavar="RUN_DIR"
        ),
    ],
    config: Annotated[
        Path | None,
        typer.Option("--config", help="YAML/JSON file with model: and train: sections."),
    ] = None,
    arch: Annotated[str | None, _opt("--arch", help="mlp, cnn1d or cnn2d.", panel=_M)] = None,
    hidden: Annotated[
        str | None, _opt("--hidden", help="Dense widths, e.g. 100,100.", panel=_M)
    ] = None,
    conv: Annotated[
        str | None,
        _opt(
            "--conv",
            help=(
                "Conv blocks CH[:K[:POOL]], e.g. 32:5,64:5:max; a CNN without it gets the "
                "autopilot's first CNN (32,32,64,64 channels, kernel 5 or 3×3, average pooling)."
            ),
            panel=_M,
        ),
    ] = None,
    activation: Annotated[
        str | None,
        _opt("--activation", help="relu, leaky_relu, tanh, sigmoid, gelu, silu.", panel=_M),
    ] = None,
    batch_norm: Annotated[
        bool | None,
        _opt("--batch-norm/--no-batch-norm", help="Batch normalization.", panel=_M),
    ] = None,
    dropout: Annotated[
        float | None, _opt("--dropout", help="Dropout rate in [0, 1).", panel=_M)
    ] = None,
    init: Annotated[
        str | None,
        _opt(
            "--init",
            help="xavier_uniform, xavier_normal, he_uniform, he_normal, lecun_normal, default.",
            panel=_M,
        ),
    ] = None,
    optimizer: Annotated[
        str | None,
        _opt("--optimizer", help="sgd, momentum, nesterov, rmsprop, adam, adamw."),
    ] = None,
    lr: Annotated[float | None, _opt("--lr", help="Learning rate α0 > 0.")] = None,
    beta: Annotated[float | None, _opt("--beta", help="Momentum / RMSprop β in [0, 1).")] = None,
    beta1: Annotated[float | None, _opt("--beta1", help="Adam β1 in [0, 1).")] = None,
    beta2: Annotated[float | None, _opt("--beta2", help="Adam β2 in [0, 1).")] = None,
    l2: Annotated[float | None, _opt("--l2", help="L2 λ of λ/(2m)·Σ‖W‖² (≥ 0).")] = None,
    schedule: Annotated[
        str | None,
        _opt(
            "--schedule",
            help="constant, inverse_time, exponential, inverse_sqrt, staircase, cosine, one_cycle.",
        ),
    ] = None,
    decay: Annotated[float | None, _opt("--decay", help="Decay rate of the schedule.")] = None,
    batch_size: Annotated[
        str | None,
        _opt("--batch-size", help="Mini-batch size; 1 = stochastic, m = batch GD.", metavar="N|m"),
    ] = None,
    epochs: Annotated[int | None, _opt("--epochs", help="Epochs to train.")] = None,
    patience: Annotated[
        int | None, _opt("--patience", help="Early stopping: epochs without dev gain.")
    ] = None,
    grad_clip: Annotated[
        float | None, _opt("--grad-clip", help="Clip the global gradient norm.")
    ] = None,
    augment: Annotated[
        str | None,
        _opt("--augment", help="Augmentation: light, standard, strong, or noise=0.05,shift=0.1."),
    ] = None,
    class_balance: Annotated[
        bool | None,
        _opt("--class-balance/--no-class-balance", help="Weight classes equally."),
    ] = None,
    focal_gamma: Annotated[
        float | None,
        _opt(
            "--focal-gamma",
            help="Focal loss γ ≥ 0: (1 − p_t)^γ·cross-entropy weighs hard examples higher "
            "(0 = plain cross-entropy).",
        ),
    ] = None,
    input_bins: Annotated[
        int,
        _opt(
            "--input-bins",
            help="Feature vectors: T quantile-bin components beside each numeric feature (a "
            "piecewise-linear encoding, saved with the model; tune's step 0 may choose 32); "
            "0 = none.",
            metavar="T",
            panel=_M,
        ),
    ] = 0,
    init_from: Annotated[
        Path | None,
        _opt(
            "--init-from",
            help="Transfer learning: start from this run's chosen model (or a model folder); "
            "its architecture, a new output layer when the classes differ.",
            metavar="RUN_DIR|MODEL_DIR",
            panel=_T,
        ),
    ] = None,
    freeze: Annotated[
        str | None,
        _opt(
            "--freeze",
            help="With --init-from: keep 'features' (every layer but the output layer) or the "
            "first N layers as they are.",
            metavar="features|N",
            panel=_T,
        ),
    ] = None,
    device: Annotated[str, _opt("--device", help="auto, cpu or cuda.")] = "auto",
    precision: Annotated[
        str | None,
        _opt(
            "--precision",
            help="auto (bfloat16 for CNNs where the hardware has it, else float32), fp32 or "
            "bf16; default: the config file's, else auto.",
        ),
    ] = None,
    time_budget: Annotated[
        str | None, _opt("--time-budget", help="Stop training after this long, e.g. 5m.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Model name in the run folder (default: arch).")
    ] = None,
    ensemble: Annotated[
        int,
        _opt(
            "--ensemble",
            help="Train K seeds at once and keep them as one model (probabilities averaged).",
            metavar="K",
            panel=_M,
        ),
    ] = 1,
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
    quiet: QuietFlag = False,
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    debug: DebugFlag = False,
) -> None:
    """Train one model on DATA and keep it in a run folder.

    The split is train / (train-dev) / dev / test; normalization uses train statistics only;
    dev is watched each epoch (early stopping with --patience); the test error is measured
    once, at the end.
    """
    from orthotune._api import train as run_train
    from orthotune.cli._common import emit, exit_interrupted, reading_note
    from orthotune.cli._live import Live, TrainProgress
    from orthotune.train import StopReason

    flags_model = {
        "kind": arch,
        "hidden": None if hidden is None else _csv_ints(hidden, "--hidden"),
        "conv": None if conv is None else _conv_blocks(conv),
        "activation": activation,
        "batch_norm": batch_norm,
        "dropout": dropout,
        "init": init,
    }
    flags_train = {
        "optimizer": optimizer,
        "lr": lr,
        "beta": beta,
        "beta1": beta1,
        "beta2": beta2,
        "l2": l2,
        "schedule": schedule,
        "decay": decay,
        "batch_size": batch_size,
        "epochs": epochs,
        "patience": patience,
        "grad_clip": grad_clip,
        "augment": augment,
        "class_balance": class_balance,
        "focal_gamma": focal_gamma,
    }
    from orthotune.search import parse_duration

    budget = None if time_budget is None else parse_duration(time_budget, name="--time-budget")
    reading_note(data, quiet=quiet)
    with Live(name or arch or "model", unit="epoch", budget_s=budget, quiet=quiet) as live:
        summary = run_train(
            data,
            out=out,
            config=config,
            model=flags_model,
            training=flags_train,
            init_from=init_from,
            freeze=freeze,
            device=device,
            precision=precision,
            time_budget=time_budget,
            name=name,
            seed=seed,
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
            callbacks=[TrainProgress(live)],
            ensemble=ensemble,
            on_member=_member_line(live, ensemble),
            input_bins=input_bins,
        )
    emit(summary, as_json=as_json, render=render)
    if summary.stop_reason == StopReason.INTERRUPTED:
        exit_interrupted(
            f"the model trained so far ({summary.epochs_run} epochs) is saved in "
            f"{summary.model_dir}; train does not resume: run it again with a new --out, or "
            f"continue from it with --init-from {summary.run_dir}"
        )


def _member_line(live: Any, size: int) -> Any:
    """One progress line per ensemble member as it finishes."""

    def line(k: int, trained: Any) -> None:
        from orthotune.cli._render import pct

        dev = trained.error("dev")
        what = trained.failed or f"dev error {pct(dev)}; {trained.stop_message}"
        live.line(f"member {k + 1} of {size}: {what}")

    return line


def render(summary: Any) -> None:
    """The final table: examples and error per part, then how training ended."""
    from rich.table import Table

    from orthotune.cli._render import console, pct

    out = console()
    table = Table(title=f"{summary.model} on {summary.data}", title_justify="left")
    loss = "weighted loss" if summary.loss_weighted else "loss"
    for col in ("part", "examples", "error", "accuracy", loss):
        table.add_column(col, justify="left" if col == "part" else "right")
    if summary.bayes_error is not None:
        table.add_row("Bayes error", "", pct(summary.bayes_error), "", "")
    if summary.human_error is not None:
        table.add_row("human level", "", pct(summary.human_error), "", "")
    for part, n in summary.sizes.items():
        if n == 0:
            continue
        err = summary.errors.get(part)
        loss = summary.losses.get(part)
        table.add_row(
            part,
            f"{n:,}",
            pct(err),
            "" if err is None else pct(1 - err),
            "" if loss is None else f"{loss:.4f}",
        )
    out.print(table)
    if summary.loss_weighted:
        out.print("the loss weighs each example by --weight; error and accuracy count each once")
    # best_epoch indexes the history (0-based); epochs are counted from 1 everywhere shown
    best = "" if summary.best_epoch is None else f"; best dev epoch {summary.best_epoch + 1}"
    out.print(
        f"stopped: {summary.stop_reason.value} — {summary.stop_message} "
        f"({summary.epochs_run} epochs, {summary.seconds:.1f} s on {summary.device}{best})"
    )
    kind = summary.spec.kind
    if summary.ensemble > 1:
        kind = f"ensemble of {summary.ensemble} {kind}s (probabilities averaged)"
    latency = "" if summary.latency_ms is None else f", {summary.latency_ms:.3g} ms per example"
    out.print(
        f"model: {kind}, {summary.parameters:,} parameters, "
        f"{summary.flops_per_example:,} FLOPs per example{latency}"
    )
    for line in summary.filled:
        out.print(f"filled: {line}")
    if summary.calibration:
        out.print(f"calibration: {summary.calibration}")
    out.print(f"run folder: {summary.run_dir} (model in {summary.model_dir})")
    if summary.report:
        out.print(f"report: {summary.report}")

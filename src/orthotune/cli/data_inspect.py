"""``orthotune data inspect DATA``: size, shape, classes, NaN, sources, the split the policy
would make, duplicates (leakage) and conflicting labels — before any training."""

from __future__ import annotations

from typing import Any

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
    TrainDevOpt,
    WeightOpt,
    load_options,
    split_policy,
)


def inspect(
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
    train_dev: TrainDevOpt = None,
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    quiet: QuietFlag = False,
    debug: DebugFlag = False,
) -> None:
    """Describe DATA and the train/train-dev/dev/test split the policy would make."""
    from pathlib import Path

    from orthotune.cli._common import reading_note
    from orthotune.cli._live import Working
    from orthotune.data import inspect_data

    reading_note(data, quiet=quiet)
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
    with Working(f"data inspect: reading and comparing the rows of {Path(data).name}", quiet=quiet):
        report = inspect_data(data, options, seed=seed, policy=policy)
    emit(report, as_json=as_json, render=render)


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def render(report: Any) -> None:
    """Rich tables of an ``InspectReport``."""
    from rich.markup import escape
    from rich.table import Table

    from orthotune.cli._render import CLASS_ROWS, more_rows
    from orthotune.cli._render import console as _console

    console = _console(markup=True, highlight=True)
    overview = Table(title=f"data: {report.data}", show_header=False, title_justify="left")
    overview.add_column(style="bold")
    overview.add_column()
    overview.add_row("examples", f"{report.n:,}")
    overview.add_row("input shape", f"{tuple(report.input_shape)} ({report.num_features} values)")
    overview.add_row(
        # over every row; errors counts the training rows (a new user read 253.08 here and
        # 260.3:1 there as a contradiction)
        "classes",
        f"{len(report.classes)}, imbalance ratio {report.imbalance_ratio:.2f} (all rows)",
    )
    if report.weights:
        w = report.weights
        overview.add_row("weights", f"min {w['min']:g}, mean {w['mean']:g}, max {w['max']:g}")
    if report.sources:
        overview.add_row(
            "sources",
            ", ".join(f"{s.name} {s.count:,} ({_pct(s.fraction)})" for s in report.sources),
        )
    if report.human_error is not None:
        overview.add_row("human-level error", _pct(report.human_error))
    if report.bayes_error is not None:
        overview.add_row("Bayes error", _pct(report.bayes_error))
    if report.reference_note:
        overview.add_row("reference", report.reference_note)
    nan = sum(c.nan for c in report.nonfinite)
    inf = sum(c.inf for c in report.nonfinite)
    overview.add_row(
        "NaN / inf",
        f"{nan:,} / {inf:,}" + (f" (--impute {report.impute})" if report.impute != "none" else ""),
    )
    for line in report.filled:
        overview.add_row("filled", line)
    if report.read_as:
        overview.add_row("read as", report.read_as)
    if report.dates:
        overview.add_row("dates", ", ".join(report.dates) + " (days since 1970, UTC)")
    d, c = report.duplicates, report.conflicts
    overview.add_row(
        "duplicates",
        f"{d.groups:,} groups ({d.redundant_examples:,} extra copies): {d.within_one_part:,} "
        f"within one part, {d.across_parts:,} across parts",
    )
    overview.add_row("distinct inputs", f"{d.distinct_inputs:,} among {d.rows:,} examples")
    least = f"; each input's most frequent label errs on {c.least_error:.2%}" if c.groups else ""
    overview.add_row("conflicting labels", f"{c.groups:,} inputs ({c.examples:,} examples){least}")
    console.print(overview)

    parts = [p for p in report.split.parts if p.size] if report.split is not None else []
    classes = Table(title="classes" + (" per part" if parts else ""), title_justify="left")
    classes.add_column("class")
    for col in ("count", "share", *(p.name for p in parts)):
        classes.add_column(col, justify="right")
    for k in report.classes[:CLASS_ROWS]:
        row = [k.name, f"{k.count:,}", _pct(k.fraction)]
        classes.add_row(*row, *(f"{p.classes.get(k.name, 0):,}" for p in parts))
    more_rows(classes, CLASS_ROWS, len(report.classes), "--json lists every class")
    console.print(classes)

    if report.nonfinite:
        table = Table(title="non-finite values per column", title_justify="left")
        for col in ("column", "NaN", "inf"):
            table.add_column(col, justify="left" if col == "column" else "right")
        for col in report.nonfinite[:20]:
            table.add_row(col.column, f"{col.nan:,}", f"{col.inf:,}")
        console.print(table)

    if report.split is not None:
        s = report.split
        table = Table(title=f"split (seed {s.seed})", title_justify="left")
        table.add_column("part")
        table.add_column("size", justify="right")
        table.add_column("share", justify="right")
        sources = [x.name for x in report.sources] if report.sources else []
        for name in sources:
            table.add_column(f"source {name}", justify="right")
        for part in parts:
            row = [part.name, f"{part.size:,}", _pct(part.fraction)]
            table.add_row(*row, *(f"{part.sources.get(k, 0):,}" for k in sources))
        console.print(table)
        console.print(f"  rule: {s.rule}")
        if s.dev_source:
            console.print(f"  dev and test come from source {s.dev_source!r} only")
        for note in s.notes:
            console.print(f"  note: {escape(note)}")

    # two tables: one row id in a duplicate group (its input and label) and in a conflict
    # group (its input, every label) read as one row listed twice in one table
    for title, groups in (
        ("duplicates: same input and label (largest groups)", report.duplicates.examples),
        ("conflicting labels: same input (largest groups)", report.conflicts.shown),
    ):
        if not groups:
            continue
        table = Table(title=title, title_justify="left")
        for col in ("ids", "size", "labels", "parts"):
            table.add_column(col)
        for g in groups:
            table.add_row(", ".join(g.ids), str(g.size), ", ".join(g.labels), ", ".join(g.parts))
        console.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")

"""``orthotune errors RUN_DIR|PREDICTIONS [--tags FILE]``: error analysis of predictions.

Per-class error rates and share of all errors with the ceiling of fixing each class, the top
confusion pairs, the misclassified examples (most confident first), the lecture's tag table with
"% of total" when a tags file is given, error levels by split and source, and class balance.
For a run folder the parts are also saved as ``RUN_DIR/analysis/errors.json``,
``imbalance.json`` and ``mismatch.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from orthotune.cli._common import DebugFlag, JsonFlag, SeedOpt, emit

TargetArg = Annotated[
    str,
    typer.Argument(
        metavar="RUN_DIR|PREDICTIONS",
        help="A run folder (its predictions.csv/.parquet) or a predictions file.",
        show_default=False,
    ),
]
TagsOpt = Annotated[
    str | None,
    typer.Option(
        "--tags",
        metavar="FILE",
        help="CSV of id and tags (e.g. blurry;mislabeled), or id plus one 0/1 column per tag.",
    ),
]
SplitOpt = Annotated[
    str | None,
    typer.Option("--split", metavar="NAME", help="Rows to analyse (default: dev if present)."),
]


def errors(
    target: TargetArg,
    tags: TagsOpt = None,
    split: SplitOpt = None,
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    debug: DebugFlag = False,
) -> None:
    """Error analysis: which classes are wrong, what fixing each would gain, tags, mismatch."""
    from orthotune.analysis import error_report, read_predictions, read_tags, save_result

    preds = read_predictions(target)
    tag_map = None if tags is None else read_tags(tags, known_ids=preds.ids)
    report = error_report(preds, source=str(target), tags=tag_map, split=split)
    if Path(target).is_dir():  # one file per part: the report renders each as its own table
        folder = Path(target) / "analysis"
        save_result(report.errors, folder, "errors")
        save_result(report.imbalance, folder, "imbalance")
        if report.mismatch is not None:
            save_result(report.mismatch, folder, "mismatch")
    emit(report, as_json=as_json, render=render)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def render(report: Any) -> None:
    """Rich tables of an ``ErrorReport``."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    ea = report.errors
    console.print(
        f"[bold]{escape(report.source)}[/bold] — {ea.split}: {ea.errors} errors in {ea.n} examples "
        f"({_pct(ea.error_rate)})"
    )
    classes = Table(title="errors by true class (ceiling: error if this class's errors are fixed)")
    for col in ("class", "examples", "errors", "error rate", "% of errors", "ceiling"):
        classes.add_column(col, justify="left" if col == "class" else "right")
    for c in ea.classes:
        classes.add_row(
            c.label,
            str(c.n),
            str(c.errors),
            _pct(c.error_rate),
            _pct(c.share_of_errors),
            f"{_pct(ea.error_rate)} → {_pct(c.ceiling_error)}",
        )
    console.print(classes)
    if ea.confusions:
        pairs = Table(title="top confusions")
        for col in ("true", "predicted", "count", "% of errors"):
            pairs.add_column(col)
        for p in ea.confusions:
            pairs.add_row(p.true_label, p.predicted_label, str(p.count), _pct(p.share_of_errors))
        console.print(pairs)
    if ea.tags:
        table = Table(title="error categories (tags)")
        for col in ("tag", "errors", "% of total", "ceiling"):
            table.add_column(col)
        for t in ea.tags:
            table.add_row(
                t.tag,
                str(t.count),
                _pct(t.share_of_errors),
                f"{_pct(ea.error_rate)} → {_pct(t.ceiling_error)}",
            )
        console.print(table)
        if ea.untagged_errors:
            console.print(f"{ea.untagged_errors} error(s) carry no tag")
    if ea.misclassified:
        wrong = Table(
            title=f"misclassified (first {min(len(ea.misclassified), 10)} of {ea.errors})"
        )
        for col in ("id", "true", "predicted", "confidence", "margin"):
            wrong.add_column(col)
        for m in ea.misclassified[:10]:
            wrong.add_row(
                m.id,
                m.true_label,
                m.predicted_label,
                "—" if m.confidence is None else f"{m.confidence:.3f}",
                "—" if m.margin is None else f"{m.margin:.3f}",
            )
        console.print(wrong)
    mm = report.mismatch
    if mm is not None:
        console.print(
            f"train {_pct(mm.train_error)} · train-dev {_pct(mm.train_dev_error)} · dev "
            f"{_pct(mm.dev_error)} · data mismatch {_pct(mm.data_mismatch)}"
        )
        for s in mm.dev_sources:
            console.print(f"  dev source {s.source}: {_pct(s.error_rate)} of {s.n}")
    imb = report.imbalance
    if imb.imbalanced:
        console.print(
            f"class imbalance {imb.imbalance_ratio:.1f}:1, minorities "
            f"{', '.join(imb.minority_classes)}; remedies: "
            + ", ".join(r.kind for r in imb.remedies)
        )

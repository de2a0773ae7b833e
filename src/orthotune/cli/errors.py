"""``orthotune errors RUN_DIR|PREDICTIONS [--tags FILE]``: error analysis of predictions.

Per-class error rates and share of all errors with the ceiling of fixing each class, the top
confusion pairs, the misclassified examples (most confident first), the lecture's tag table with
"% of total" when a tags file is given, error levels by split and source, and class balance.
For a run folder the parts are also saved as ``RUN_DIR/analysis/errors.json``,
``imbalance.json`` and ``mismatch.json``.

``--saliency`` (a run folder only) attributes the misclassified examples of the split to their
inputs — where the model looks — with integrated gradients (the deletion test's winner; see
``orthotune.analysis``), saves ``analysis/saliency.json`` and ``analysis/saliency.svg`` (a 1-D
signal drawn with its attribution, an image beside its heat map) and re-renders the report.
``--mask FILE`` adds the share of the attribution outside the object.
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
SaliencyFlag = Annotated[
    bool,
    typer.Option(
        "--saliency",
        help="Where the model looks: attributions of the misclassified examples (a run folder).",
    ),
]
MaskOpt = Annotated[
    Path | None,
    typer.Option(
        "--mask",
        metavar="FILE",
        help=".npz with an array 'mask' of one example's shape, 1 on the object: the share of "
        "attribution outside it (implies --saliency).",
    ),
]
SplitOpt = Annotated[
    str | None,
    typer.Option("--split", metavar="NAME", help="Rows to analyse (default: dev if present)."),
]


# what a user types for each imbalance remedy (the kinds alone, "class_weights, oversample,
# augment_minority", named no flag: a new user's sweep)
REMEDY_WORDS = {
    "class_weights": "weigh the classes equally (orthotune train --class-balance)",
    "oversample": "repeat the minorities' examples (Python: orthotune.analysis.oversample_index)",
    "augment_minority": "augmented copies of the minorities (orthotune train --augment standard)",
}


def errors(
    target: TargetArg,
    tags: TagsOpt = None,
    split: SplitOpt = None,
    saliency: SaliencyFlag = False,
    mask: MaskOpt = None,
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    debug: DebugFlag = False,
) -> None:
    """Error analysis: which classes are wrong, what fixing each would gain, tags, mismatch;
    with --saliency, where the model looks on its mistakes."""
    from orthotune._api import errors as analyse

    report = analyse(target, tags=tags, split=split, saliency=saliency, mask=mask)
    emit(report, as_json=as_json, render=render)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def render(report: Any) -> None:
    """Rich tables of an ``ErrorReport``."""
    from rich.markup import escape
    from rich.table import Table

    from orthotune.cli._render import CLASS_ROWS, more_rows
    from orthotune.cli._render import console as _console

    console = _console(markup=True, highlight=True)
    ea = report.errors
    console.print(
        f"[bold]{escape(report.source)}[/bold] — {ea.split}: {ea.errors} errors in {ea.n} examples "
        f"({_pct(ea.error_rate)})"
    )
    classes = Table(title="errors by true class (ceiling: error if this class's errors are fixed)")
    for col in ("class", "examples", "errors", "error rate", "% of errors", "ceiling"):
        classes.add_column(col, justify="left" if col == "class" else "right")
    for c in ea.classes[:CLASS_ROWS]:  # most errors first
        classes.add_row(
            c.label,
            str(c.n),
            str(c.errors),
            _pct(c.error_rate),
            _pct(c.share_of_errors),
            f"{_pct(ea.error_rate)} → {_pct(c.ceiling_error)}",
        )
    more_rows(classes, CLASS_ROWS, len(ea.classes), "classes with fewer errors: errors.json")
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
    elif ea.untagged_errors:  # tags were read, but none is on a mistake: no table to show
        console.print(
            f"the --tags file tags none of the {ea.errors} misclassified {ea.split} example(s): "
            "tag those (their ids are listed below; --json lists them all)"
        )
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
    for note in report.notes:
        console.print(f"[dim]note: {escape(note)}[/]")
    sal = report.saliency
    if sal is not None:
        console.print(
            f"[bold]where the model looks[/bold] ({escape(sal.method)}): {escape(sal.message)}"
        )
        if sal.examples:
            table = Table(title=f"most confident mistakes ({sal.split})")
            columns = ["id", "true", "predicted", "confidence", "top inputs (index)"]
            if sal.mask is not None:
                columns.append("outside object")
            for col in columns:
                table.add_column(col)
            for e in sal.examples:
                top = sorted(range(len(e.attribution)), key=lambda i: -e.attribution[i])[:3]
                row = [e.id, e.true_label, e.predicted_label, f"{e.confidence:.3f}"]
                row.append(", ".join(str(i) for i in top))
                if sal.mask is not None:
                    row.append(_pct(e.outside_share))
                table.add_row(*map(escape, row))
            console.print(table)
            folder = Path(sal.source) / "analysis"
            console.print(f"drawn in {folder / 'saliency.svg'} and the report")
    imb = report.imbalance
    if imb.imbalanced:
        console.print(
            f"class imbalance {imb.imbalance_ratio:.1f}:1 among "
            f"{'the training rows' if imb.counted == 'train' else 'all rows'}, minorities "
            f"{', '.join(imb.minority_classes)}; remedies: "
            + "; ".join(REMEDY_WORDS.get(r.kind, r.kind) for r in imb.remedies)
        )

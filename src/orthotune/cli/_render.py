"""Rich renderings of the typed results (diagnosis, evaluation, comparison).

Rendering only: every number shown is a field of the result object. Rates print as percents.
"""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

# off a terminal (a file, a pipe) rich lays out for 80 columns: a new user's `tune … > out.txt`
# had 35-66 cells of its decision table cut mid-number ("(-2.94…-0.7…")
FILE_WIDTH = 140


def console(*, markup: bool = False, highlight: bool = False) -> Console:
    """The stdout console of every renderer: the terminal's width, ``FILE_WIDTH`` off one.
    No markup by default (labels may hold brackets): a renderer that writes its own styles
    asks for it and escapes what it prints."""
    width = None if sys.stdout.isatty() else FILE_WIDTH
    return Console(width=width, highlight=highlight, markup=markup)


# a table of one row per class shows this many (a 1,000-class table printed 1,000 rows); the
# rest are in the command's file and its --json
CLASS_ROWS = 30


def more_rows(table: Any, shown: int, total: int, where: str) -> None:
    """The last row of a table cut at ``shown`` of ``total`` rows: how many more, and where."""
    if total > shown:
        table.add_row(f"… {total - shown:,} more ({where})")


def pct(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x * 100:.{digits}f}%"


def interval(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"{pct(low)} … {pct(high)}"


def render_diagnosis(diagnosis: Any, out: Console | None = None) -> None:
    out = out or console()
    levels = diagnosis.levels
    dec = diagnosis.decomposition
    table = Table(title="Error levels", title_justify="left")
    for col in ("level", "error", "95% interval", "n"):
        table.add_column(col, justify="left" if col == "level" else "right")
    if levels.bayes_error is not None:
        table.add_row("Bayes error", pct(levels.bayes_error), "", "")
    if levels.human_error is not None:
        table.add_row("human-level error", pct(levels.human_error), "", "")
    for lv in [*dec.levels, *dec.sources]:
        table.add_row(
            f"{lv.name} error",
            pct(lv.error),
            interval(lv.low, lv.high),
            "" if lv.n is None else f"{lv.n:,}",
        )
    out.print(table)

    gaps = Table(
        title=f"Gaps (high = above {pct(diagnosis.tolerance)} and outside the noise)",
        title_justify="left",
    )
    for col in ("gap", "formula", "value", "95% interval", "high"):
        gaps.add_column(col, justify="left" if col in ("gap", "formula") else "right")
    judged = {j.gap: j for j in diagnosis.verdict.judgements}
    for gap in dec.gaps():
        j = judged[gap.name]
        flag = "unresolved" if j.resolved is False else "HIGH" if j.is_high else "low"
        gaps.add_row(
            gap.name.value.replace("_", " "),
            f"{gap.upper} − {gap.lower}",
            pct(gap.value),
            interval(gap.low, gap.high),
            flag,
        )
    out.print(gaps)
    out.print(f"Verdict: {diagnosis.verdict.headline}")
    out.print(f"Problem to work on: {diagnosis.problem.value}")
    if diagnosis.knobs:
        out.print("Knobs, in order (Guidelines for Minimizing Errors):")
        for i, knob in enumerate(diagnosis.knobs, 1):
            out.print(f"  {i}. {knob.id}: {knob.words}")
    for note in diagnosis.verdict.notes:
        out.print(f"Note: {escape(note)}")


def render_report(title: str, report: Any, conf: Any, out: Console) -> None:
    table = Table(title=title, title_justify="left")
    f = "F1" if report.beta == 1 else f"F{report.beta:g}"
    for col in ("class", "precision", "recall", f, "support"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for c in report.per_class:
        support = f"{c.support:,.0f}" if not report.sample_weighted else f"{c.support:,.2f}"
        table.add_row(c.label, pct(c.precision), pct(c.recall), pct(c.fbeta), support)
    table.add_section()
    for name in ("macro", "micro", "weighted", "harmonic"):
        a = getattr(report, name)
        table.add_row(f"{name} avg", pct(a.precision), pct(a.recall), pct(a.fbeta), "")
    out.print(table)
    line = f"accuracy {pct(report.accuracy)}  error {pct(report.error)}  n {report.n:,.0f}"
    if report.binary is not None:
        b = report.binary
        line += (
            f"  positive class {report.positive_class}: precision {pct(b.precision)} "
            f"recall {pct(b.recall)} {f} {pct(b.fbeta)}"
        )
    out.print(line)
    if conf is not None:
        out.print(
            f"confidence {pct(conf.mean_confidence)}  top-2 margin {pct(conf.mean_margin)}  "
            f"hesitant (margin < {pct(conf.hesitation_threshold, 0)}) "
            f"{pct(conf.hesitant_fraction)}  ECE {pct(conf.ece)}"
        )
    if report.undefined:
        out.print(f"zero division → {report.zero_division:g}: " + "; ".join(report.undefined))


def render_evaluation(evaluation: Any, out: Console | None = None) -> None:
    out = out or console()
    for s in evaluation.splits:
        render_report(f"{s.split} ({s.n:,} examples)", s.report, s.confidence, out)
        if s.sources:
            out.print(
                "error per source: "
                + ", ".join(
                    f"{name} {pct(lv.error)} (n {lv.n:,})" for name, lv in s.sources.items()
                )
            )
        out.print()
    if evaluation.diagnosis is not None:
        render_diagnosis(evaluation.diagnosis, out)
    for note in evaluation.notes:
        out.print(f"Note: {escape(note)}")


def render_comparison(comparison: Any, out: Console | None = None) -> None:
    from orthotune.select import format_value

    out = out or console()
    ranking = comparison.ranking
    shown = [*comparison.class_columns, *comparison.derived, *comparison.metric_columns]
    table = Table(
        title=f"Classifiers ranked by {ranking.metric} ({ranking.direction.value})",
        title_justify="left",
    )
    table.add_column("rank", justify="right")
    table.add_column("classifier")
    for col in shown:
        table.add_column(col, justify="right")
    table.add_column("Pareto", justify="center")
    if ranking.constraints:
        table.add_column("satisfies", no_wrap=True)
    for row in ranking.rows:
        cells = [
            "" if row.rank is None else str(row.rank),
            row.name,
            *(format_value(c, row.values.get(c)) for c in shown),
            "*" if row.on_pareto_front else "",
        ]
        if ranking.constraints:
            cells.append("yes" if row.satisfies else "no: " + ", ".join(row.violated))
        table.add_row(*cells)
    out.print(table)
    if ranking.constraints:
        out.print(
            "Optimizing "
            + ranking.metric
            + ", satisficing "
            + " and ".join(c.text for c in ranking.constraints)
        )
    out.print(f"Choice: {ranking.message}")
    out.print(
        f"Pareto front over {', '.join(ranking.pareto_metrics)}: {', '.join(ranking.pareto_front)}"
    )
    for note in comparison.notes:
        out.print(f"Note: {escape(note)}")

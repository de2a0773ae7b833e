"""Rendering of ``orthotune tune`` results with rich (computes nothing)."""

from __future__ import annotations

from typing import Any


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f} %"


SHOWN = 3  # a polish step's variants shown besides the kept one (a local search has dozens)


def shown_variants(step: Any) -> tuple[list, int]:
    """The variants of ``step`` to show and how many are left out: every one of a loop step;
    of a polish step the kept one and the ``SHOWN`` best on dev."""
    ok = [v for v in step.variants if not v.failed]
    if step.problem != "polish" or len(ok) <= SHOWN + 1:
        return list(step.variants), 0
    best = sorted(ok, key=lambda v: v.errors.get("dev", 1.0))[:SHOWN]
    shown = [v for v in step.variants if v.accepted or v in best]
    return shown, len(step.variants) - len(shown)


def render_diagnosis_table(diagnosis: Any, console: Any, *, refitted: bool = False) -> None:
    from rich.markup import escape
    from rich.table import Table

    # a refitted model learned from dev: its ladder is its configuration's before the refit
    whose = "the chosen configuration, before its refit" if refitted else "the chosen model"
    table = Table(title=f"Diagnosis of {whose}")
    table.add_column("level / gap")
    table.add_column("error", justify="right")
    table.add_column("95 % interval", justify="right")
    table.add_column("")
    d = diagnosis.decomposition
    for name in ("train", "train-dev", "dev", "test"):
        lvl = d.level(name)
        if lvl is not None:
            table.add_row(name, _pct(lvl.error), f"{_pct(lvl.low)} – {_pct(lvl.high)}", "")
        for src in d.sources if name == "dev" else ():  # the lecture's dev1 / dev2 (--source)
            interval = f"{_pct(src.low)} – {_pct(src.high)}"
            table.add_row(f"  {escape(src.name)}", _pct(src.error), interval, "")
    if diagnosis.levels.human_error is not None:
        table.add_row("human-level", _pct(diagnosis.levels.human_error), "", "")
    open_gaps = {j.gap.value for j in diagnosis.verdict.judgements if j.resolved is False}
    for gap in d.gaps():
        high = diagnosis.is_high.get(gap.name.value)
        flag = "unresolved" if gap.name.value in open_gaps else "not high"
        flag = "[red]high[/]" if high else flag
        interval = "" if gap.low is None else f"{_pct(gap.low)} – {_pct(gap.high)}"
        table.add_row(gap.name.value.replace("_", " "), _pct(gap.value), interval, flag)
    console.print(table)
    console.print(f"[bold]{diagnosis.verdict.headline}[/]")
    for note in diagnosis.verdict.notes:  # "(see the notes)" named them, and none was printed
        console.print(f"[dim]Note: {escape(note)}[/]")


def render_autopilot(summary: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    from orthotune.cli._render import console as _console

    console = _console(markup=True, highlight=True)
    for line in summary.filled:
        console.print(f"[dim]filled: {line}[/]")
    log = summary.decisions
    table = Table(title="Decision log: one knob at a time", title_justify="left")
    for col, just in (
        ("step", "right"),
        ("problem → knob", "left"),
        ("variant", "left"),
        ("train", "right"),
        ("dev", "right"),
        ("target Δ (95 %)", "right"),
        ("", "left"),
    ):
        table.add_column(col, justify=just)
    for step in log.steps:
        knob = (
            "baseline"
            if step.problem == "baseline"
            else (f"{step.problem.replace('_', ' ')} → {step.knob.replace('_', ' ')}")
        )
        shown, more = shown_variants(step)
        if not shown:  # a step not tried: its number, knob and why on one row
            table.add_row(str(step.index), knob, f"[dim]{step.why}[/]", *[""] * 4, end_section=True)
            continue
        for i, v in enumerate(shown):
            change = (
                ""
                if v.target_change is None or v.cut_short  # not comparable (the report's words)
                else (
                    f"{v.target_change * 100:+.2f} "
                    f"({v.target_low * 100:+.2f}…{v.target_high * 100:+.2f})"
                )
            )
            mark = "[green]kept[/]" if v.accepted else ("[red]failed[/]" if v.failed else "")
            mark = "[yellow]cut short[/]" if v.cut_short and not v.failed else mark
            table.add_row(
                str(step.index) if i == 0 else "",
                knob if i == 0 else "",
                v.described,
                _pct(v.errors.get("train")),
                _pct(v.errors.get("dev")),
                change,
                mark,
            )
        if more:
            table.add_row("", "", f"[dim]… {more} more (decisions.json)[/]", "", "", "", "")
        table.add_row("", "", f"[dim]{step.why}[/]", "", "", "", "", end_section=True)
    console.print(table)
    if log.validation:
        console.print(f"[dim]errors estimated by {log.validation}[/]")
    console.print(
        f"stopped: {log.stop_message} ({summary.models_trained} models, {summary.seconds:.0f} s)"
    )
    if log.polish:
        console.print(f"polish: {log.polish}")
    if log.refit:
        console.print(f"refit: {log.refit}")
    if log.yardstick and log.yardstick.get("dev_error") is None:
        console.print(f"yardstick: none — {log.yardstick.get('skipped')}")
    elif log.yardstick:
        y = log.yardstick
        console.print(
            f"yardstick: a gradient-boosting model ({y['model']}, {y['how']}, "
            f"{y['seconds']:.1f} s) reaches {_pct(y['dev_error'])} dev error; the chosen "
            f"model {_pct(summary.errors.get('dev'))}"
        )
    if log.floor:
        f, dev = log.floor, summary.errors.get("dev")
        console.print(
            f"floor: always predicting {f['label']!r} (the most frequent class) gives "
            f"{_pct(f['dev_error'])} dev error"
        )
        if dev is not None and dev >= f["dev_error"]:  # the job's warning says why, on stderr
            console.print(  # "no better than the floor 17.42 %" read as the floor's figure
                f"[bold red]the chosen model's dev error, {_pct(dev)}, is no lower than the "
                f"floor's {_pct(f['dev_error'])}[/]"
            )
    render_diagnosis_table(summary.diagnosis, console, refitted=log.refitted)
    if summary.test_metrics:
        tm = summary.test_metrics
        # its folder's name ("v9") and, when they differ, the label the step lines used
        label = log.label(summary.chosen)
        named = f" ({escape(label)})" if label else ""
        console.print(
            f"[bold]chosen model {summary.chosen}[/]{named}: test accuracy {_pct(tm['accuracy'])}, "
            f"test error {_pct(tm['error'])}, macro F1 {_pct(tm['macro_f1'])} "
            "(test set scored once)"
        )
    what = f"an ensemble of {summary.members} networks" if summary.members > 1 else "one network"
    latency = "" if summary.latency_ms is None else f", {summary.latency_ms:.3g} ms per example"
    console.print(f"chosen model: {what}, {summary.parameters:,} parameters{latency}")
    if log.remaining_problem:
        console.print(f"remaining problem: {log.remaining_problem.replace('_', ' ')}")
    if log.beyond_tuning:
        console.print("what tuning cannot do: " + "; ".join(log.beyond_tuning))
    console.print(f"checkpoint: {summary.chosen_model_dir}")
    if summary.calibration:
        console.print(f"calibration: {summary.calibration}")
    if summary.report:
        console.print(f"report:     {summary.report}")


def _fmt_value(x: float | None, metric: str) -> str:
    if x is None:
        return "—"
    return _pct(x) if metric.endswith(("_accuracy", "_error")) else f"{x:.4g}"


def render_search(summary: Any) -> None:
    """The leaderboard (feasible first, best marked), why the search stopped, the chosen model."""
    from rich.markup import escape
    from rich.table import Table

    from orthotune.cli._render import console as _console

    console = _console(markup=True, highlight=True)
    board = summary.leaderboard
    rule = f" subject to {', '.join(summary.constraints)}" if summary.constraints else ""
    table = Table(
        title=f"Study {summary.study_name}: {summary.strategy} search, {summary.metric}{rule}",
        title_justify="left",
    )
    for col, just in (
        ("trial", "right"),
        ("state", "left"),
        (summary.metric, "right"),
        ("train err", "right"),
        ("dev err", "right"),
        ("params", "right"),
        ("latency", "right"),
        ("hyperparameters / reason", "left"),
    ):
        wide = col == "hyperparameters / reason"
        table.add_column(
            col,
            justify=just,
            no_wrap=not wide,
            min_width=24 if wide else None,
            ratio=1 if wide else None,
        )
    shown = 15
    for row in board.rows[:shown]:
        m = row.metrics
        best = row.number == board.best
        state = "[green]best[/]" if best else row.state
        if row.state == "complete" and not row.feasible:
            state = "[yellow]infeasible[/]"
        what = (
            f"[red]{row.fail_reason}[/]"
            if row.fail_reason
            else " ".join(f"{k}={_short(row.params[k])}" for k in _KEY_PARAMS if k in row.params)
        )
        table.add_row(
            str(row.number),
            state,
            _fmt_value(row.value, summary.metric),
            _pct(m.get("train_error")),
            _pct(m.get("dev_error")),
            "—" if "params" not in m else f"{m['params']:,.0f}",
            "—" if "latency_ms" not in m else f"{m['latency_ms']:.3f} ms",
            what,
        )
    console.print(table)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(board.counts.items()))
    more = len(board.rows) - shown
    console.print(
        f"trials: {counts}" + (f" ({more} more not shown; --json lists all)" if more > 0 else "")
    )
    if summary.resumed:
        stale = (
            f", {len(summary.stale_failed)} stale trial(s) failed" if summary.stale_failed else ""
        )
        console.print(f"resumed study {summary.study_name}{stale}")
    console.print(
        f"stopped: {summary.stop_message} ({summary.trials_this_run} trials this run, "
        f"{summary.seconds:.0f} s)"
    )
    for note in summary.notes:
        console.print(f"[dim]note: {escape(note)}[/]")
    for line in summary.filled:
        console.print(f"[dim]filled: {line}[/]")
    if summary.chosen is None:  # the CLI's error line says why, and the fix
        return
    if summary.diagnosis is not None:
        render_diagnosis_table(summary.diagnosis, console)
    tm = summary.test_metrics
    if tm:
        console.print(
            f"[bold]chosen model {summary.chosen}[/] (trial {summary.best_trial}): test accuracy "
            f"{_pct(tm['accuracy'])}, test error {_pct(tm['error'])}, macro F1 "
            f"{_pct(tm['macro_f1'])} (test set scored once)"
        )
    console.print(f"checkpoint: {summary.chosen_model_dir}")
    if summary.calibration:
        console.print(f"calibration: {summary.calibration}")
    if summary.report:
        console.print(f"report:     {summary.report}")
    console.print(f"dashboard:  optuna-dashboard {summary.storage}")


_KEY_PARAMS = ("architecture", "width", "depth", "optimizer", "lr", "batch_size", "epochs")


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)

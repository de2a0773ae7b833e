"""Render a ``ReportInfo`` to one self-contained HTML file (jinja2, autoescape on).

Figures are embedded as data URIs and the page holds no script and no external reference, so it
opens anywhere, offline, and prints. Every string that came from the user (class names, column
and file names, tags, model names) reaches the page through jinja2's autoescaping only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from orthotune._io import atomic_write_text, check_replaceable
from orthotune.report import _figures as figures
from orthotune.report._sections import (
    ReportInfo,
    format_value,
    read_run_folder,
    study_report_info,
)

logger = logging.getLogger(__name__)

__all__ = ["render_html", "render_report", "render_study_report", "write_report"]

SECTION_TITLES = {
    "summary": "Summary",
    "diagnosis": "Error ladder and diagnosis",
    "learning-curves": "Learning curves",
    "lr-schedule": "Learning-rate schedule",
    "confusion": "Confusion matrix and per-class scores",
    "calibration": "Calibration (temperature scaling)",
    "decisions": "Autopilot decisions",
    "more-data": "Would more data help? (learning curve)",
    "search-progress": "Search progress",
    "importance": "Hyperparameter importance",
    "pareto": "Pareto front",
    "error-analysis": "Error analysis",
    "saliency": "Where the model looks",
    "label-issues": "Label issues",
    "notes": "Notes",
}


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("orthotune.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: format_value(v, rate=True)
    env.filters["num"] = format_value
    return env


def _figures_for(info: ReportInfo) -> dict[str, Any]:
    """Every figure the report's sections call for, as data URIs (keys: section parts)."""
    out: dict[str, Any] = {}
    sections = set(info.section_ids())
    if info.ladder is not None:
        out["ladder"] = figures.ladder_figure(info.ladder)
    if info.curves is not None:
        if info.curves.chosen is not None:
            out["chosen_curve"] = figures.curve_figure(info.curves.chosen)
        if info.curves.others or info.curves.trials:
            out["trials_curve"] = figures.trials_figure(info.curves)
    if info.schedule is not None:
        out["schedule"] = figures.schedule_figure(info.schedule)
    if info.confusion is not None:
        out["confusion"] = figures.confusion_figure(info.confusion)
    if info.calibration is not None:
        out["reliability"] = figures.reliability_figure(info.calibration)
    if info.saliency is not None and info.saliency.examples:
        out["saliency"] = figures.saliency_figure(info.saliency)
    if info.saliency is not None and info.saliency.deletion is not None:
        out["deletion"] = figures.deletion_figure(info.saliency.deletion)
    if info.more_data is not None:
        out["more_data"] = figures.more_data_figure(info.more_data)
    if info.study is not None:
        if "search-progress" in sections:
            out["progress"] = figures.progress_figure(info.study)
        if "importance" in sections:
            out["importance"] = figures.importance_figure(info.study)
        if "pareto" in sections:
            out["pareto"] = figures.pareto_figure(info.study)
    return out


def render_html(info: ReportInfo) -> str:
    """The report page as a string."""
    template = _environment().get_template("report.html")
    sections = info.section_ids()
    return template.render(
        info=info,
        sections=sections,
        titles=SECTION_TITLES,
        fig=_figures_for(info),
        ewa_beta=figures.ewa_beta,
    )


# the tag every report's <head> carries (templates/report.html): how a rerun knows its own file
GENERATOR_TAG = '<meta name="generator" content="orthotune">'


def _is_report(path: Path) -> bool:
    with path.open("rb") as handle:
        return GENERATOR_TAG.encode() in handle.read(2048)


def write_report(info: ReportInfo, out: str | Path) -> Path:
    """Render and write atomically (``_io.atomic_write_text``: the umask's mode, like every
    other file of a run). An existing file is replaced only when it is a report (its generator
    tag), never a user's own file (``_io.check_replaceable``)."""
    check_replaceable(out, ours=_is_report, what="an HTML report")
    path = atomic_write_text(out, render_html(info))
    logger.info("report written to %s", path)
    return path


def render_report(run_dir: str | Path, *, out: str | Path | None = None) -> Path:
    """Read ``run_dir`` and write its report (default ``RUN_DIR/report.html``); returns the path."""
    info = read_run_folder(run_dir)
    return write_report(info, out if out is not None else Path(run_dir) / "report.html")


def render_study_report(study_name: str, *, storage: str, out: str | Path) -> Path:
    """The report of one Optuna study alone (search progress, importance, Pareto, trials)."""
    return write_report(study_report_info(storage, study_name), out)

"""The HTML report: what a person would rather look at than read.

``render_report(run_dir)`` reads a run folder (DESIGN.md "The run folder") into section objects
(``read_run_folder`` → ``ReportInfo``), draws their figures with matplotlib and writes one
self-contained ``RUN_DIR/report.html`` (jinja2, autoescape on, images as data URIs, no script,
no network request).
"""

from orthotune.report._figures import deletion_figure, reliability_figure, saliency_figure
from orthotune.report._render import (
    render_html,
    render_report,
    render_study_report,
    write_report,
)
from orthotune.report._result import ReportResult
from orthotune.report._sections import (
    ReportInfo,
    read_run_folder,
    read_study,
    study_report_info,
)

__all__ = [
    "ReportInfo",
    "ReportResult",
    "deletion_figure",
    "read_run_folder",
    "read_study",
    "reliability_figure",
    "render_html",
    "render_report",
    "render_study_report",
    "saliency_figure",
    "study_report_info",
    "write_report",
]

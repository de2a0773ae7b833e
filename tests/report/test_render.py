"""The HTML page: every section rendered, self-contained, user strings escaped, atomic write."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

from orthotune.report import render_html, render_report, render_study_report
from orthotune.report._render import SECTION_TITLES
from tests.report.conftest import write_run_folder

EVIL_CLASS = "<script>alert(1)</script>"
EVIL_COLUMN = '<img src=x onerror="alert(2)">'
EVIL_FILE = "<b>tags</b>.json"


class _Page(HTMLParser):
    """The page as a browser parses it: its tags and the URLs its attributes would load."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.urls: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "action")]
        if any(k.startswith("on") for k, _ in attrs):
            self.tags.add("event-handler")


def _external_references(html: str) -> list[str]:
    """URLs the page would fetch (anything but data: URIs and #anchors)."""
    return [u for u in _Page(html).urls if not u.startswith(("data:", "#"))]


def test_report_renders_every_section(run_info) -> None:
    html = render_html(run_info)
    for section in run_info.section_ids():
        assert f'<section class="card" id="{section}">' in html
        assert f'<a href="#{section}">{SECTION_TITLES[section]}</a>' in html
    assert html.count('<img src="data:image/svg+xml;base64,') == 11
    assert "Data mismatch: dev error exceeds train-dev error by 2.6 points." in html
    harmonic_f1 = f"{100 * run_info.confusion.scores.harmonic[2]:.2f} %"
    assert "harmonic mean" in html and harmonic_f1 in html  # the stored harmonic F1
    assert "patience_exhausted" in html  # the chosen model's stop reason
    assert "Step 2 · data mismatch → augmentation toward dev" in html  # as the terminal says
    # Self-contained: no script at all, nothing fetched from anywhere.
    assert "script" not in _Page(html).tags
    assert _external_references(html) == []
    assert "@media print" in html


def test_render_report_writes_run_dir_report_atomically(tmp_path: Path) -> None:
    run = write_run_folder(tmp_path / "run", n_trials=4)
    path = render_report(run)
    assert path == run / "report.html"
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == []  # no temp left
    # the umask's mode, like every other file of the run (mkstemp alone would leave 0600)
    assert path.stat().st_mode & 0o777 == (run / "run.json").stat().st_mode & 0o777
    old = os.umask(0o022)
    try:
        assert render_report(run).stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)


def test_user_strings_are_escaped(tmp_path: Path) -> None:
    run = write_run_folder(
        tmp_path / "run",
        class_names=("cat", EVIL_CLASS, "dog"),
        data_name=f"data/{EVIL_COLUMN}.csv",
        column_name=EVIL_COLUMN,
        analysis_file=EVIL_FILE,
        n_trials=4,
    )
    html = render_report(run).read_text(encoding="utf-8")
    for raw in (EVIL_CLASS, EVIL_COLUMN, EVIL_FILE, "<b>tags</b>"):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the class, shown as text
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html  # the tag column
    assert "analysis/&lt;b&gt;tags&lt;/b&gt;.json" in html  # the file name
    page = _Page(html)
    assert not {"script", "b", "event-handler"} & page.tags  # no user string became markup
    assert _external_references(html) == []


def test_study_only_report(run_folder: Path, tmp_path: Path) -> None:
    out = render_study_report(
        "run", storage=f"sqlite:///{run_folder / 'study.db'}", out=tmp_path / "s.html"
    )
    html = out.read_text(encoding="utf-8")
    for section in ("summary", "learning-curves", "search-progress", "importance", "pareto"):
        assert f'id="{section}"' in html
    assert 'id="diagnosis"' not in html


def test_empty_run_folder_says_so(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    html = render_report(tmp_path).read_text(encoding="utf-8")
    assert "Nothing to show yet" in html


def test_learning_curve_under_k_fold_says_its_error_now_is_not_the_ladders(
    tmp_path: Path,
) -> None:
    # under k-fold the ladder's dev error is out of fold, while the curve scores a hold-out
    # of its own: "now 3.5 %" beside a ladder's 2.85 % read as a contradiction (sweep 16)
    from orthotune._rundir import RunDir
    from orthotune.analysis import CurvePoint, LearningCurve

    run = write_run_folder(tmp_path / "run", n_trials=4)
    rundir = RunDir(run)
    points = [
        CurvePoint(
            fraction=f, train_examples=int(400 * f), train_error=0.0, dev_error=e,
            dev_low=e - 0.02, dev_high=e + 0.02,
        )
        for f, e in ((0.25, 0.08), (0.5, 0.05), (1.0, 0.035))
    ]  # fmt: skip
    curve = LearningCurve(points=points, dev_examples=113, error_now=0.035, sentence="flat")
    (rundir.analysis_dir / "learning_curve.json").write_text(curve.model_dump_json())
    said = "its error now is not the ladder's, which is out of fold"
    assert said not in render_report(run).read_text(encoding="utf-8")  # hold-out: one dev set
    log = rundir.read_decisions()
    words = "5-fold cross-validation over the 456 train + dev examples"
    rundir.write_decisions(log.model_copy(update={"validation": words}))
    html = render_report(run).read_text(encoding="utf-8")
    assert 'id="more-data"' in html and said in html

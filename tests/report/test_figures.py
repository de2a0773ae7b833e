"""Figures: the display-only EWA, and each figure is a self-contained SVG data URI."""

from __future__ import annotations

import base64

import pytest

from orthotune.report import ReportInfo
from orthotune.report._figures import (
    confusion_figure,
    curve_figure,
    ewa,
    ewa_beta,
    importance_figure,
    ladder_figure,
    pareto_figure,
    progress_figure,
    schedule_figure,
    trials_figure,
)
from orthotune.report._sections import ConfusionInfo


def _svg(uri: str) -> str:
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    svg = base64.b64decode(uri[len(prefix) :]).decode("utf-8")
    assert "<svg" in svg and "</svg>" in svg
    return svg


def test_ewa_is_bias_corrected() -> None:
    # v1 = (1-β)θ1 / (1-β) = θ1 exactly; a constant stays constant (no start-up dip toward 0).
    assert ewa([5.0, 5.0, 5.0], beta=0.9) == pytest.approx([5.0, 5.0, 5.0])
    # The lecture's recursion, divided by 1 - β^t: θ = 1, 3 with β = 0.5 → v2 = (0.25 + 1.5)/0.75.
    assert ewa([1.0, 3.0], beta=0.5) == pytest.approx([1.0, (0.5 * 0.5 + 0.5 * 3.0) / 0.75])


def test_ewa_skips_missing_points() -> None:
    smoothed = ewa([None, 2.0, None, 2.0], beta=0.8)
    assert smoothed[0] is None and smoothed[2] is None
    assert smoothed[1::2] == pytest.approx([2.0, 2.0])


def test_ewa_beta_follows_the_curve_length() -> None:
    assert ewa_beta(3) == 0.5
    assert ewa_beta(30) == pytest.approx(0.8)
    assert ewa_beta(1000) == 0.9  # the lecture's β for long curves


def test_every_figure_is_an_svg_data_uri(run_info: ReportInfo) -> None:
    study = run_info.study
    uris = [
        ladder_figure(run_info.ladder),
        curve_figure(run_info.curves.chosen),
        trials_figure(run_info.curves),
        schedule_figure(run_info.schedule),
        confusion_figure(run_info.confusion),
        progress_figure(study),
        importance_figure(study),
        pareto_figure(study),
    ]
    for uri in uris:
        svg = _svg(uri)
        assert "<script" not in svg


def test_ladder_labels_the_gaps(run_info: ReportInfo) -> None:
    svg = _svg(ladder_figure(run_info.ladder))
    # matplotlib writes each text as a comment before its glyph paths.
    for label in ("avoidable bias", "variance", "data mismatch", "dev overfitting", "train-dev"):
        assert label in svg


def test_confusion_figure_takes_any_class_name() -> None:
    names = ["$x", "<script>alert(1)</script>", "a_b^c", "long " * 10]
    matrix = [[5.0 if i == j else 1.0 for j in range(4)] for i in range(4)]
    svg = _svg(confusion_figure(ConfusionInfo("dev", names, matrix, None)))
    assert "<script>" not in svg  # text becomes glyph paths; comments are XML-escaped


def test_a_confusion_figure_of_many_classes_names_none_on_its_axes() -> None:
    from orthotune.report._figures import TICKED_CLASSES

    k = TICKED_CLASSES + 1  # 1,000 names on a 9-inch axis were one black smear
    names = [f"class number {i}" for i in range(k)]
    matrix = [[float(i == j) for j in range(k)] for i in range(k)]
    svg = _svg(confusion_figure(ConfusionInfo("test", names, matrix, None)))
    assert "class number 7" not in svg and f"predicted class ({k} classes" in svg
    few = _svg(confusion_figure(ConfusionInfo("test", names[:3], [[1.0] * 3] * 3, None)))
    assert "class number 2" in few

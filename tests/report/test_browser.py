"""The report in real headless Debian chromium: it loads with no console error, fetches nothing
but itself and its data: images, and its screenshot is a real page (not blank)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from orthotune.report import ReportInfo, write_report
from tests.report._browser import visit

pytestmark = pytest.mark.slow


def _distinct_colours(png: bytes) -> tuple[int, float]:
    import matplotlib.image as mpimg

    pixels = mpimg.imread(io.BytesIO(png), format="png")  # float RGB(A) in [0, 1]
    rgb = (pixels[..., :3] * 255).round().astype(np.uint8).reshape(-1, 3)
    distinct = len(np.unique(rgb, axis=0))
    not_background = float(np.mean(np.any(np.abs(rgb.astype(int) - rgb[0]) > 8, axis=1)))
    return distinct, not_background


def test_detector_catches_errors(tmp_path: Path) -> None:
    """The check below could fail: a broken page shows up as errors and a request."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="missing.png">'
        "<script>console.error('boom'); notDefined();</script></body></html>",
        encoding="utf-8",
    )
    seen = visit(page.as_uri(), height=600)
    assert any("boom" in e for e in seen.console)
    assert any("notDefined" in e for e in seen.exceptions)
    assert any("missing.png" in e for e in seen.log_errors)
    assert any(u.endswith("missing.png") for u in seen.requests)


def test_report_loads_cleanly_and_is_not_blank(run_info: ReportInfo, tmp_path: Path) -> None:
    path = write_report(run_info, tmp_path / "report.html")
    seen = visit(path.as_uri(), width=1280, height=2000)
    assert seen.loaded
    assert seen.errors == []
    assert [u for u in seen.requests if not u.startswith("data:")] == [path.as_uri()]
    distinct, covered = _distinct_colours(seen.screenshot_png)
    assert distinct > 500, distinct  # charts, text and colour, not a blank page
    assert covered > 0.2, covered
    (tmp_path / "screenshot.png").write_bytes(seen.screenshot_png)

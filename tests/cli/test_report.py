"""``orthotune report`` through the real CLI: success, --json, and one-line errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.report.conftest import write_run_folder


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run_folder(tmp_path_factory.mktemp("cli") / "run", n_trials=4)


def _one_line_error(result, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("orthotune: error:"), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.slow
def test_report_run_dir_json(run_cli, small_run: Path) -> None:
    result = run_cli("report", small_run, "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["schema_version"] == 1
    assert Path(payload["path"]) == small_run / "report.html"
    assert {"summary", "diagnosis", "confusion", "decisions"} <= set(payload["sections"])
    assert (small_run / "report.html").stat().st_size > 10_000


@pytest.mark.slow
def test_report_study_with_storage(run_cli, small_run: Path, tmp_path: Path) -> None:
    result = run_cli(
        "report",
        "--study",
        "run",
        "--storage",
        f"sqlite:///{small_run / 'study.db'}",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Report written to" in result.stdout
    assert (tmp_path / "report-run.html").is_file()


def test_missing_run_dir(run_cli, tmp_path: Path) -> None:
    _one_line_error(run_cli("report", tmp_path / "absent"), "absent", "does not exist")


def test_not_a_run_dir(run_cli, tmp_path: Path) -> None:
    _one_line_error(run_cli("report", tmp_path), "is not a run folder")


def test_neither_or_both(run_cli, small_run: Path) -> None:
    _one_line_error(run_cli("report"), "no RUN_DIR and no --study")
    _one_line_error(run_cli("report", small_run, "--study", "run"), "give one of them")


def test_unknown_study(run_cli, small_run: Path) -> None:
    storage = f"sqlite:///{small_run / 'study.db'}"
    _one_line_error(run_cli("report", "--study", "nope", "--storage", storage), "'nope'", "run")


def test_storage_file_missing(run_cli, tmp_path: Path) -> None:
    _one_line_error(
        run_cli("report", "--study", "x", "--storage", f"sqlite:///{tmp_path / 'no.db'}"),
        "names no existing SQLite file",
    )

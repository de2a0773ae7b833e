"""A job's budget counts from the command's start under the CLI, from the call in Python."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from orthotune import _clock


def test_the_mark_is_used_once_then_each_job_counts_from_its_own_call() -> None:
    _clock.mark()
    marked = time.monotonic()
    time.sleep(0.05)
    assert _clock.job_started() <= marked  # the command's start, not the job's
    fresh = time.monotonic()
    assert _clock.job_started() >= fresh  # a second job in the process: its own call


def test_a_command_budget_counts_the_seconds_before_its_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI marks its start before the imports (2–3 s of a 20-s budget went uncounted, so
    `--budget 20s` took 25–26 s): a mark 100 s back is counted in the job's seconds."""
    from orthotune.cli._main import main

    def long_ago() -> None:
        _clock._marked = time.monotonic() - 100.0

    monkeypatch.setattr(_clock, "mark", long_ago)
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as done:
        main(["tune", "builtin:synthetic?n=200&features=4", "--strategy", "random",
              "--trials", "1", "--out", str(out), "--json"])  # fmt: skip
    assert done.value.code == 0
    assert json.loads(capsys.readouterr().out)["seconds"] >= 100.0
    from datetime import datetime

    run = json.loads((out / "run.json").read_text())
    span = datetime.fromisoformat(run["finished"]) - datetime.fromisoformat(run["started"])
    assert span.total_seconds() >= 99.0  # Started → Finished spans the same time
    assert _clock._marked is None  # nothing left for the next call in this process
    monkeypatch.undo()
    main_free = time.monotonic()
    assert _clock.job_started() >= main_free

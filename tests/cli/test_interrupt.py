"""Ctrl-C: a real ``orthotune tune`` process gets SIGINT while the autopilot trains; it saves
the model kept so far, leaves a valid run folder and exits 130 with one line (a search
interrupted and resumed: ``test_tune_search.py``)."""

import json
import re

import pytest

CLOCK = r"^\[\d+:\d\d / \d+:\d\d\] "


@pytest.mark.slow
def test_ctrl_c_during_the_autopilot_saves_the_kept_model(interrupt_cli, tmp_path):
    out = tmp_path / "run"
    cmd = ["tune", "builtin:synthetic?n=600&classes=3&features=6&noise=0.05&seed=7",
           "--budget", "10m", "--out", str(out), "--json"]  # fmt: skip
    code, stdout, err = interrupt_cli(
        *cmd, pattern=CLOCK + r"step 0 baseline", env={"OMP_NUM_THREADS": "1"}
    )
    assert code == 130, err[-5:]
    summary = json.loads(stdout)  # stdout: the result alone
    # step 0's model: the baseline on standardized inputs or beside quantile bins, whichever
    # had the lower dev error
    kept = summary["chosen"]
    assert kept in ("baseline", "baseline-bins"), kept
    said = (
        rf"orthotune: interrupted \(Ctrl-C\): the model kept so far is saved in {out}/models/"
        rf"{kept}; the autopilot does not resume a run: run it again with a new --out"
    )
    # one line says so; a progress line flushed around the signal may come after it
    assert sum(bool(re.match(said, line)) for line in err) == 1, err[-5:]
    log = summary["decisions"]
    assert log["stop_reason"] == "interrupted" and "Ctrl-C" in log["stop_message"]
    assert [s["index"] for s in log["steps"]] == [0]
    assert (out / "models" / "best").read_text().strip() == kept
    assert json.loads((out / "run.json").read_text())["finished"]
    assert json.loads((out / "decisions.json").read_text())["stop_reason"] == "interrupted"
    assert (out / "report.html").is_file() and summary["test_metrics"]["accuracy"] > 0.5
    # (test_tune.py: the same --out is then refused in one line, nothing overwritten)

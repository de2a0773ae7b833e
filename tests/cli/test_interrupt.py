"""Ctrl-C: a real ``orthotune tune`` process gets SIGINT while it trains; it saves the best
model so far, leaves a valid run folder, exits 130 with one line, and the same command
resumes (a search) or is refused without overwriting (the autopilot). Progress goes to stderr
one plain line per finished step or trial (no terminal here), none with --quiet."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
CLOCK = r"^\[\d+:\d\d / \d+:\d\d\] "


def _env():
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    env.pop("ORTHOTUNE_FAULT", None)
    return env


def _interrupt_after(cmd: list[str], pattern: str, timeout: float = 240):
    """Start ``orthotune CMD``, send SIGINT once a stderr line matches ``pattern``; returns
    (exit code, stdout, the stderr lines)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "orthotune", *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        # Python turns SIGINT into KeyboardInterrupt only where SIGINT is not ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines, deadline = [], time.monotonic() + timeout
    try:
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            if re.search(pattern, line):
                proc.send_signal(signal.SIGINT)
                break
            assert time.monotonic() < deadline, lines
        out, err = proc.communicate(timeout=timeout)
    finally:
        proc.kill()
    return proc.returncode, out, lines + err.splitlines()


@pytest.mark.slow
def test_ctrl_c_during_the_autopilot_saves_the_kept_model_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "run"
    cmd = ["tune", "builtin:synthetic?n=600&classes=3&features=6&noise=0.05&seed=7",
           "--budget", "10m", "--out", str(out), "--json"]  # fmt: skip
    code, stdout, err = _interrupt_after(cmd, CLOCK + r"step 0 baseline")
    assert code == 130, err[-5:]
    assert re.match(
        rf"orthotune: interrupted \(Ctrl-C\): the model kept so far is saved in {out}/models/"
        r"baseline; the autopilot does not resume a run: run it again with a new --out",
        err[-1],
    )
    summary = json.loads(stdout)  # stdout: the result alone
    log = summary["decisions"]
    assert log["stop_reason"] == "interrupted" and "Ctrl-C" in log["stop_message"]
    assert summary["chosen"] == "baseline" and [s["index"] for s in log["steps"]] == [0]
    assert (out / "models" / "best").read_text().strip() == "baseline"
    assert json.loads((out / "run.json").read_text())["finished"]
    assert json.loads((out / "decisions.json").read_text())["stop_reason"] == "interrupted"
    assert (out / "report.html").is_file() and summary["test_metrics"]["accuracy"] > 0.5
    again = subprocess.run(
        [sys.executable, "-m", "orthotune", *cmd], capture_output=True, text=True, env=_env()
    )
    assert again.returncode == 2 and "already holds a run" in again.stderr
    assert (out / "models" / "best").read_text().strip() == "baseline"  # nothing overwritten


@pytest.mark.slow
def test_ctrl_c_during_a_search_keeps_its_best_and_the_same_command_resumes(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text(
        "width: {type: categorical, choices: [8, 16]}\nepochs: {type: int, low: 15, high: 20}\n"
    )
    out = tmp_path / "run"
    cmd = ["tune", "builtin:synthetic?n=300&features=5", "--strategy", "random", "--executor",
           "sequential", "--trials", "3", "--budget", "10m", "--space", str(space), "--out",
           str(out), "--study", "s", "--device", "cpu", "--json"]  # fmt: skip
    code, stdout, err = _interrupt_after(cmd, CLOCK + r"trial 0 ")
    assert code == 130, err[-5:]
    trials = [line for line in err if re.match(CLOCK + r"trial \d+ ", line)]
    assert trials and trials[0].split()[4] == "0"
    summary = json.loads(stdout)
    assert summary["stop_reason"] == "interrupted" and summary["best_trial"] is not None
    assert err[-1] == (
        "orthotune: interrupted (Ctrl-C): the best model so far is saved in "
        f"{summary['chosen_model_dir']}; resume with the same command and --study s --out {out}"
    )
    assert (out / "models" / "best").read_text().strip() == summary["chosen"]
    assert json.loads((out / "run.json").read_text())["summary"]["stop_reason"] == "interrupted"
    # the same command resumes; --quiet silences the progress, not the result
    again = subprocess.run(
        [sys.executable, "-m", "orthotune", *cmd, "--quiet"],
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stderr == ""
    resumed = json.loads(again.stdout)
    assert resumed["resumed"] and resumed["stop_reason"] == "trials"
    failed = [r for r in resumed["leaderboard"]["rows"] if r["state"] == "fail"]
    assert all(r["fail_reason"] == "interrupted by the user" for r in failed)

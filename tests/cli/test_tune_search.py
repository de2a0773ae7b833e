"""``orthotune tune --strategy …``: SIGKILLed at fixed and random points, re-run with the same
command, it resumes — every finished trial kept, no duplicate trial numbers, a valid best."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
DATA = "builtin:synthetic?n=300&features=5"
SPACE = """
width: {type: categorical, choices: [8, 16]}
depth: {type: int, low: 1, high: 2}
lr: {type: float, low: 0.003, high: 0.1, scale: log}
epochs: {type: int, low: 1, high: 3}
"""
TRIALS = 8


def _env(**extra):
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1", **extra}
    env.pop("ORTHOTUNE_FAULT", None)
    env.update(extra)
    return env


def _command(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    return [
        sys.executable, "-m", "orthotune", "tune", DATA, "--strategy", "random",
        "--executor", "sequential", "--trials", str(TRIALS), "--budget", "5m",
        "--space", str(space), "--out", str(tmp_path / "run"), "--study", "crash",
        "--device", "cpu", "--json", "--keep", "1",
    ]  # fmt: skip


def _finished(tmp_path):
    """{number: value} of the COMPLETE trials, and every trial's number."""
    study = optuna.load_study(
        study_name="crash", storage=f"sqlite:///{tmp_path / 'run' / 'study.db'}"
    )
    trials = study.get_trials(deepcopy=False)
    done = {t.number: t.value for t in trials if t.state == optuna.trial.TrialState.COMPLETE}
    return done, [t.number for t in trials], trials


@pytest.mark.slow
def test_killed_at_every_fault_point_then_resumed_keeps_every_finished_trial(
    tmp_path, interrupt_cli, run_cli
):
    cmd = _command(tmp_path)
    seen: dict[int, float] = {}

    def check_kept():
        done, numbers, _ = _finished(tmp_path)
        assert len(numbers) == len(set(numbers)) == max(numbers) + 1  # no duplicates, no gaps
        for number, value in seen.items():
            assert done.get(number) == value, f"finished trial {number} lost or changed"
        seen.update(done)

    # 1. between two epochs of a trial, 2. inside a study-database transaction, 3. half-way
    # through writing a checkpoint
    for fault in ("during_trial:4", "storage_write:30", "checkpoint_write"):
        res = run_cli(*cmd[3:], env=_env(ORTHOTUNE_FAULT=fault))
        assert res.returncode == -signal.SIGKILL, (fault, res.stderr[-2000:])
        assert f"orthotune-fault: {fault.partition(':')[0]}" in res.stderr
        check_kept()
    # Ctrl-C once a trial finished (stderr is no terminal: one plain line per trial): the best
    # so far is saved, exit 130, one line saying how to resume
    before = len(_finished(tmp_path)[2])
    code, out, err = interrupt_cli(*cmd[3:], pattern=r"^\[\d+:\d\d / 5:00\] trial \d+ ", env=_env())
    assert code == 130, err[-5:]
    interrupted = json.loads(out)
    assert interrupted["stop_reason"] == "interrupted" and interrupted["resumed"]
    # the trials it added to the study: a batch's trials told before the Ctrl-C were counted
    # again when it failed the rest (24 said, 17 in the study)
    assert interrupted["trials_this_run"] == len(_finished(tmp_path)[2]) - before
    assert err[-1] == (
        "orthotune: interrupted (Ctrl-C): the best model so far is saved in "
        f"{interrupted['chosen_model_dir']}; resume with the same command and --study crash "
        f"--out {tmp_path / 'run'}"
    )
    assert (tmp_path / "run" / "models" / "best").read_text().strip() == interrupted["chosen"]
    check_kept()
    # 4. a seeded random moment (any fault point may fire; the process may also finish)
    res = run_cli(*cmd[3:], env=_env(ORTHOTUNE_FAULT="random:3"))
    assert res.returncode in (0, -signal.SIGKILL), res.stderr[-2000:]
    assert "random kill points, seed 3" in res.stderr or res.returncode == 0
    check_kept()
    # 5. the same command once more, undisturbed, finishes the study (--quiet: no progress)
    res = run_cli(*cmd[3:], "--quiet", env=_env())
    assert res.returncode == 0 and res.stderr == "", res.stderr[-3000:]
    summary = json.loads(res.stdout)
    check_kept()
    done, _, trials = _finished(tmp_path)
    states = [t.state for t in trials]
    assert optuna.trial.TrialState.RUNNING not in states
    stale = [t for t in trials if t.user_attrs.get("stale")]
    assert stale and all(t.user_attrs["fail_reason"].startswith("stale:") for t in stale)
    interrupted = [
        t for t in trials if t.user_attrs.get("fail_reason") == "interrupted by the user"
    ]
    counted = [t for t in trials if not t.user_attrs.get("stale") and t not in interrupted]
    # --trials counts finished trials across the runs: neither a dead worker's trials nor a
    # Ctrl-C's (they were counted, so the resumed run trained fewer than asked)
    assert len(counted) == TRIALS
    assert summary["resumed"] and summary["stop_reason"] == "trials"
    # a valid best: the top finished trial, its checkpoint loads
    best = max(done, key=lambda n: (done[n], -n))
    assert summary["best_trial"] == best
    run = tmp_path / "run"
    assert (run / "models" / "best").read_text().strip() == f"trial-{best}"
    from orthotune.train._checkpoint import load_checkpoint

    _, manifest = load_checkpoint(run / "models" / f"trial-{best}")
    assert manifest.metrics["test_accuracy"] == pytest.approx(summary["test_metrics"]["accuracy"])
    assert sorted(p.name for p in (run / "models").iterdir()) == ["best", f"trial-{best}"]


@pytest.mark.slow
def test_the_leaderboard_renders_best_first_with_the_chosen_model(tmp_path, capsys, monkeypatch):
    from orthotune.cli._render_tune import render_search
    from orthotune.search import SearchSpace
    from orthotune.search._job import tune_search

    monkeypatch.setenv("COLUMNS", "160")
    summary = tune_search(
        DATA, out=tmp_path / "run", strategy="random", executor="sequential", budget_s=60,
        trials=2, space=SearchSpace.from_yaml(SPACE), device="cpu",
    )  # fmt: skip
    render_search(summary)
    out = capsys.readouterr().out
    assert "Study random: random search, dev_accuracy" in out
    first = next(line for line in out.splitlines() if "best" in line)
    assert f" {summary.best_trial} " in first
    assert "test set scored once" in out and "optuna-dashboard sqlite:///" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "random", "--metric", "test_accuracy"], "--metric 'test_accuracy'"),
        (["--strategy", "grid", "--space", "nowhere.yaml"], "does not exist"),
    ],
)
def test_tune_search_bad_input_is_one_line_exit_2(run_cli, tmp_path, args, message):
    res = run_cli("tune", DATA, "--out", tmp_path / "r", *args)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr and res.stderr.strip().count("\n") == 0
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_two_workers_on_one_sqlite_study_share_it_without_duplicates_or_losses(tmp_path):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    procs = []
    for name in ("a", "b"):
        cmd = _command(tmp_path)
        cmd[cmd.index("--out") + 1] = str(tmp_path / name)
        cmd[cmd.index("--trials") + 1] = "12"
        # trials of 300–400 epochs (~0.5 s each): both workers overlap however a loaded box
        # schedules their start (of 1–3 epochs, one worker ran all 12 before the other joined)
        space = tmp_path / "slower.yaml"
        space.write_text(SPACE.replace("low: 1, high: 3", "low: 300, high: 400"))
        cmd[cmd.index("--space") + 1] = str(space)
        procs.append(
            subprocess.Popen(
                [*cmd, "--storage", storage],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=_env(),
            )
        )
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
    study = optuna.load_study(study_name="crash", storage=storage)
    trials = study.get_trials(deepcopy=False)
    numbers = [t.number for t in trials]
    assert sorted(numbers) == list(range(len(numbers)))
    # neither worker failed the other's live trials as stale; each told only its own
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert 12 <= len(trials) <= 13  # each stops once the study holds 12 (one may be in flight)
    told = [json.loads(out)["trials_this_run"] for out, _ in outs]
    assert sum(told) == len(trials) and min(told) >= 1
    owners = {t.user_attrs["owner_pid"] for t in trials}
    assert owners == {p.pid for p in procs}
    # both run folders end with the study's best model (re-trained where the other worker won)
    bests = [json.loads(out)["best_trial"] for out, _ in outs]
    for name, best in zip(("a", "b"), bests, strict=True):
        assert (tmp_path / name / "models" / "best").read_text().strip() == f"trial-{best}"
    top = max(trials, key=lambda t: (t.value, -t.number)).number
    assert top in bests  # the worker that finished last saw every trial

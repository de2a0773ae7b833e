"""``run_cli``'s processes, forked from a warm interpreter (``tests/_zygote.py``), behave as
``python -m orthotune`` started afresh: the same exit code and streams, the test's environment
and folder, and a timeout that kills the process."""

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import SRC


def _fresh(*args: str, cwd=None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orthotune", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(SRC), **(env or {})},
    )


@pytest.mark.parametrize(
    "args",
    [
        ("version",),
        ("train", "builtin:mnist1d", "--out", "{tmp}/r", "--dropout", "2"),
        ("data", "inspect", "rows.csv", "--target", "nope"),
        ("tune", "builtin:mnist1d", "--budget", "soon"),
    ],
)
def test_a_forked_process_answers_as_a_fresh_one(run_cli, tmp_path, args):
    (tmp_path / "rows.csv").write_text("a,label\n1,x\n2,y\n3,x\n4,y\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    forked, fresh = run_cli(*args, cwd=tmp_path), _fresh(*args, cwd=tmp_path)
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        fresh.returncode,
        fresh.stdout,
        fresh.stderr,
    )
    assert forked.returncode == (0 if args == ["version"] else 2)


def test_the_environment_and_folder_are_the_tests(run_cli, tmp_path):
    (tmp_path / "rows.csv").write_text("a,label\n1,x\n2,y\n3,x\n4,y\n5,x\n6,y\n")
    cache = tmp_path / "cache"
    done = run_cli(
        "data", "inspect", "builtin:mnist1d", "--json", env={"ORTHOTUNE_CACHE_DIR": str(cache)}
    )
    assert done.returncode == 0, done.stderr
    assert any(cache.iterdir())  # the built-in set was cached where the variable said
    assert run_cli("data", "inspect", "rows.csv", cwd=tmp_path).returncode == 0


def test_a_timeout_kills_the_process(run_cli, tmp_path):
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        run_cli("tune", "builtin:mnist1d", "--budget", "10m", "--out", tmp_path / "r", timeout=3)
    # killed, not waited for: a process left running would have returned after its 10 minutes
    assert time.monotonic() - started < 120
    # the next command gets a process of its own at once
    assert run_cli("version").returncode == 0


def test_a_variable_read_as_a_process_starts_gets_a_fresh_process():
    from tests.conftest import _Zygote

    zygote = _Zygote()  # not started: serves() only compares environments
    same = dict(zygote.env)
    assert zygote.serves({**same, "ORTHOTUNE_FAULT": "checkpoint_write", "COLUMNS": "160"})
    for changed in ({"OMP_NUM_THREADS": "7"}, {"LC_ALL": "C"}, {"HOME": "/elsewhere"}):
        assert not zygote.serves({**same, **changed}), changed
    assert not zygote.serves({k: v for k, v in same.items() if k != "PYTHONPATH"})

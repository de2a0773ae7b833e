"""Run a bench script, small (--quick, or small arguments), as a user would: a new process,
this checkout's sources."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_quick(script: str, *args: str) -> str:
    """The last line of ``bench/SCRIPT --quick [ARGS]``; fails the test on a non-zero exit."""
    return run_bench(script, "--quick", *args)


def run_bench(script: str, *args: str) -> str:
    """The last line of ``bench/SCRIPT [ARGS]``; fails the test on a non-zero exit."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]

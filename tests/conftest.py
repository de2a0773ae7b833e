"""Shared fixtures: run the real CLI in a subprocess, against this checkout's sources."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def run_cli():
    """Run ``orthotune ARGS…`` as a user would (a new process); returns CompletedProcess."""

    def run(*args: str, cwd: Path | None = None, timeout: float = 600, env: dict | None = None):
        full_env = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "orthotune", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=timeout,
            env=full_env,
        )

    return run


@pytest.fixture
def sigint_handler():
    """The CLI's Ctrl-C handler (``orthotune._interrupt.install``), for one test only."""
    import signal

    from orthotune import _interrupt

    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _interrupt.install()
    yield
    signal.signal(signal.SIGINT, before)
    _interrupt.clear()


@pytest.fixture
def interrupt_cli():
    """Start ``orthotune ARGS…``, send it SIGINT (Ctrl-C) once a stderr line matches
    ``pattern``; returns (exit code, stdout, the stderr lines).

    One Ctrl-C, once: a KeyboardInterrupt that Python drops (raised inside a garbage-collection
    callback, seen once in five CI runs on 2026-12-02) must still stop the job
    (``orthotune._interrupt``)."""
    import re
    import signal
    import time

    def run(*args: str, pattern: str, timeout: float = 300, env: dict | None = None):
        proc = subprocess.Popen(
            [sys.executable, "-m", "orthotune", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(SRC), **(env or {})},
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

    return run


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session (``tests/pg_server.py``): a throw-away cluster
    on 127.0.0.1 and a free port, stopped and removed at the end."""
    from tests.pg_server import PostgresServer

    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.close()

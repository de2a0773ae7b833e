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

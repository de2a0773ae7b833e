"""Shared fixtures: run the real CLI in a new process, against this checkout's sources."""

from __future__ import annotations

import contextlib
import json
import locale
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


# the variables read once as a process starts or a library loads (thread pools, the locale,
# the time zone, matplotlib's folders under HOME): a process whose environment changes one of
# them is started afresh, not forked from the warm one (tests/_zygote.py)
_LOAD_TIME = (
    "OMP_", "MKL_", "KMP_", "OPENBLAS_", "PYTHON", "TORCH", "CUDA", "LD_", "LANG", "LC_", "TZ",
    "HOME", "XDG_", "MPL",
)  # fmt: skip


class _Zygote:
    """The client of ``tests/_zygote.py`` for one pytest process: started on first use."""

    def __init__(self) -> None:
        self.env = {**os.environ, "PYTHONPATH": str(SRC)}
        self.proc: subprocess.Popen | None = None

    def serves(self, env: dict) -> bool:
        def loading(e: dict) -> dict:
            return {k: v for k, v in e.items() if k.startswith(_LOAD_TIME)}

        return loading(env) == loading(self.env)

    def _start(self) -> subprocess.Popen:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [sys.executable, "-P", str(Path(__file__).with_name("_zygote.py"))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=self.env,
            )
            hello = json.loads(self.proc.stdout.readline())
            assert hello["ready"] and not hello["said"], f"loading orthotune said: {hello['said']}"
        return self.proc

    def run(self, args: list[str], *, cwd, timeout: float, env: dict, tmp: Path):
        proc = self._start()
        out, err = tmp / "stdout", tmp / "stderr"
        request = {"args": args, "env": env, "cwd": str(cwd or os.getcwd())}
        proc.stdin.write(json.dumps({**request, "stdout": str(out), "stderr": str(err)}) + "\n")
        proc.stdin.flush()
        pid = json.loads(proc.stdout.readline())["pid"]
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            code = json.loads(proc.stdout.readline())["code"]
        finally:
            timer.cancel()
        # text mode as subprocess.run's: the locale's encoding, universal newlines
        encoding = locale.getpreferredencoding(False)
        stdout, stderr = (p.read_text(encoding=encoding) for p in (out, err))
        cmd = [sys.executable, "-m", "orthotune", *args]
        if killed.is_set():
            raise subprocess.TimeoutExpired(cmd, timeout, output=stdout, stderr=stderr)
        return subprocess.CompletedProcess(cmd, code, stdout, stderr)

    def close(self) -> None:
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


@pytest.fixture(scope="session")
def _zygote():
    zygote = _Zygote()
    yield zygote
    zygote.close()


@pytest.fixture(scope="session")
def cli(_zygote, tmp_path_factory):
    """``run_cli`` for fixtures wider than one test."""

    def run(*args: str, cwd: Path | None = None, timeout: float = 600, env: dict | None = None):
        full_env = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
        if _zygote.serves(full_env):
            streams = tmp_path_factory.mktemp("cli")
            return _zygote.run(
                list(map(str, args)), cwd=cwd, timeout=timeout, env=full_env, tmp=streams
            )
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
def run_cli(cli):
    """Run ``orthotune ARGS…`` as a user would (a new process); returns CompletedProcess.

    The process is forked from a warm interpreter that has imported orthotune and torch
    (``tests/_zygote.py`` says why and what that leaves out); where ``env`` changes a variable
    that a native library reads as it loads, it is started afresh."""
    return cli


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

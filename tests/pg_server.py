"""A throw-away PostgreSQL cluster for the tests and ``bench/workers.py``: Debian's server
binaries (``scripts/ensure-postgres.sh`` installs them), a data folder in a temporary
directory, listening on 127.0.0.1 only, on a free port. PostgreSQL refuses to run as root, so
under root the cluster belongs to the unprivileged ``postgres`` user (Debian's package creates
it). The superuser ``orthotune`` logs in with a password over TCP (scram-sha-256), so a wrong
password is refused as it would be on a real server.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "orthotune"
PASSWORD = "orthotune-test-pw"


def _bindir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError(
            "PostgreSQL's initdb is missing: run scripts/ensure-postgres.sh (as root it installs "
            "Debian's 'postgresql' package)"
        )
    return Path(initdb).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """``start()`` creates and starts the cluster; ``stop()`` / ``start()`` again keep its data
    and port (an outage); ``close()`` stops it and removes everything."""

    def __init__(self) -> None:
        self.bin = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="orthotune-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as: dict = {}
        if os.geteuid() == 0:  # PostgreSQL never runs as root: hand the folder to 'postgres'
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self._as = {"user": pw.pw_uid, "group": pw.pw_gid}
        self._initdb()

    def _run(self, *args: str) -> None:
        env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "HOME": str(self.root)}
        subprocess.run(
            [str(a) for a in args], check=True, capture_output=True, env=env, cwd=self.root,
            timeout=120, **self._as,
        )  # fmt: skip

    def _initdb(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as:
            os.chown(pwfile, self._as["user"], self._as["group"])
        self._run(
            self.bin / "initdb", "-D", self.data, "-U", USER, f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip

    def start(self) -> PostgresServer:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c max_connections=200"
        self._run(
            self.bin / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, *, password: str = PASSWORD, port: int | None = None) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{port or self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

"""A warm interpreter that forks one new process per ``orthotune ARGS`` a test runs.

Why: a CLI test runs ``python -m orthotune …`` as a user would, and each such process spent
2.7 s importing torch, Optuna and scikit-learn before it read its first flag (3–4 s with the
suite's two workers on 2 cores; the suite runs a few hundred of them). This process imports
every module of the package once, then, for each request, forks a child that sets the
request's environment, working directory and standard streams and runs the CLI's ``main`` —
the same entry point ``python -m orthotune`` runs — and exits as that process would (its exit
code, its ``atexit`` handlers, a signal's negative code).

What a fork cannot give, and so where ``tests/conftest.py`` starts a real process instead:
an environment whose variables the native libraries read when they load (``OMP_*``, ``MKL_*``,
``PYTHON*`` … differing from this process's), and a test that signals its process (Ctrl-C tests
start their own). What it would hide, and so checks itself: a warning or any output while the
modules load (a user would see it on every command) is sent back with the handshake and fails
the first test that asks for a process.

Protocol (one JSON object a line): the handshake ``{"ready": true, "said": "…"}``; then, per
request ``{"args", "env", "cwd", "stdout", "stderr"}`` (two file paths for the streams),
``{"pid": N}`` once forked and ``{"code": C}`` once it ended. End of input ends this process.
"""

from __future__ import annotations

import atexit
import gc
import io
import json
import os
import pkgutil
import sys
import traceback
import warnings
from contextlib import redirect_stderr, redirect_stdout

# what the commands import when they first need it, beyond orthotune's modules (``python -X
# importtime`` of train, tune, errors, report and predict): the first optimizer imports torch's
# compiler (2.1 s), the report matplotlib, a study SQLAlchemy and Alembic
LAZY = (
    "torch._dynamo",
    "torch.distributed",
    "torch.onnx",
    "sympy",
    "sklearn.ensemble",
    "sklearn.model_selection",
    "sqlalchemy",
    "alembic",
    "optuna.storages",
    "matplotlib.pyplot",
    "PIL.Image",
    "jinja2",
    "pygments",
    "captum.attr",
)


def preload() -> str:
    """Import every ``orthotune`` module and ``LAZY``; what they printed or warned (empty when
    nothing)."""
    import orthotune

    said = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, redirect_stdout(said):
        warnings.simplefilter("default")
        with redirect_stderr(said):
            for module in pkgutil.walk_packages(orthotune.__path__, "orthotune."):
                if module.name != "orthotune.__main__":
                    __import__(module.name)
            for name in LAZY:
                __import__(name)
    lines = [said.getvalue().strip()] + [str(w.message) for w in caught]
    return "\n".join(line for line in lines if line)


def child(request: dict) -> None:
    """The forked process: the request's streams, environment and folder, then the CLI."""
    streams = [
        os.open(os.devnull, os.O_RDONLY),
        os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    ]
    for fd, stream in enumerate(streams):
        os.dup2(stream, fd)
        os.close(stream)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    from orthotune.cli import main

    sys.argv = [sys.modules["orthotune"].__path__[0] + "/__main__.py", *request["args"]]
    code: object = 0
    try:
        main(request["args"])  # ends in SystemExit, as ``python -m orthotune`` does
    except SystemExit as stop:
        code = stop.code
    except BaseException:  # as the interpreter does: the traceback, exit code 1
        traceback.print_exc()
        code = 1
    if not isinstance(code, int | None):  # sys.exit("message"): the message, code 1
        print(code, file=sys.stderr)
        code = 1
    # the interpreter's exit but for tearing its modules down (1.3 s with torch loaded, nothing
    # a user sees): the atexit handlers, unreachable objects finalized, the streams flushed
    atexit._run_exitfuncs()
    gc.collect()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def serve() -> None:
    """Answer requests until the tests close this process's input."""

    def reply(**message) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    reply(ready=True, said=preload())
    while line := sys.stdin.readline():
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request)  # never returns: the child ends in os._exit
        reply(pid=pid)
        _, status = os.waitpid(pid, 0)
        reply(code=os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    serve()

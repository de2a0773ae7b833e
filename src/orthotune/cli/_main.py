"""Entry point: run the typer app and map outcomes to exit codes.

0 done · 2 bad input or usage (one line on stderr: value, what is accepted, the fix; also a
search that kept no model, its line saying how to go on) ·
1 internal error (one line; the traceback only with ``--debug``) · 130 Ctrl-C (one line: what
was saved, where a job saved anything) · 75 the study database
stayed unreachable longer than the retry limit (``ORTHOTUNE_DB_RETRY_S``; one line, finished
work kept: run the same command again once the database is back) · 74 the machine refused a
write or a read: a full disk, a read-only file system, a permission (one line with the fix;
every file is written whole or not at all, ``orthotune._io``).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from orthotune import _clock

    _clock.mark()  # a --budget counts from here: the imports below take seconds (2–3 s)
    try:
        _run(argv)
    finally:  # a command that ran no job leaves no mark for the next call in this process
        _clock.job_started()


def _run(argv: list[str] | None) -> None:
    import typer

    from orthotune._errors import InvalidInputError, StorageUnavailableError
    from orthotune._interrupt import install
    from orthotune.cli._app import build_app
    from orthotune.cli._common import Interrupted

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    app = build_app()
    install()  # a Ctrl-C that Python drops still stops the training (orthotune._interrupt)
    try:  # without standalone mode, click hands back typer.Exit's code (e.g. 130) instead
        code = app(args=args, prog_name="orthotune", standalone_mode=False)
    except typer.Exit as stop:
        sys.exit(stop.exit_code)
    except typer.Abort:
        print("orthotune: aborted", file=sys.stderr)
        sys.exit(130)
    except typer.TyperException as err:  # usage errors of the (vendored) click layer
        ctx = getattr(err, "ctx", None)
        if type(err).__name__ == "NoArgsIsHelpError":  # a group called bare: show its help
            print(err.format_message())
            sys.exit(0)
        where = ctx.command_path if ctx is not None else "orthotune"
        message = " ".join(err.format_message().split())
        print(f"orthotune: error: {message} (see '{where} --help')", file=sys.stderr)
        sys.exit(err.exit_code if err.exit_code else 2)
    except InvalidInputError as err:
        print(f"orthotune: error: {err}", file=sys.stderr)
        sys.exit(2)
    except StorageUnavailableError as err:
        print(f"orthotune: error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    except Interrupted as err:
        print(f"orthotune: interrupted (Ctrl-C): {err}", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("orthotune: interrupted (Ctrl-C)", file=sys.stderr)
        sys.exit(130)
    except Exception as err:  # the last line of defence: never a bare traceback
        if debug:
            raise
        command = next((a for a in args if not a.startswith("-")), None)
        machine = _machine_trouble(err, command=command)
        if machine is not None:
            print(f"orthotune: error: {machine}", file=sys.stderr)
            sys.exit(74)
        print(
            f"orthotune: internal error: {type(err).__name__}: {err} "
            "(rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        sys.exit(1)
    if code == 130:  # typer turns a Ctrl-C that no job caught into a silent exit code 130
        print("orthotune: interrupted (Ctrl-C)", file=sys.stderr)
    sys.exit(code if isinstance(code, int) else 0)


#: commands that write into the folder they are given and take no ``--out``
_WRITE_IN_PLACE = {"errors"}


def _machine_trouble(err: BaseException | None, *, command: str | None = None) -> str | None:
    """One line for an ``OSError`` that is the machine's, not orthotune's (a full disk was an
    "internal error"), itself or under another library's error; or None. The fix names
    ``--out`` only for a ``command`` that has one (``errors`` writes into RUN_DIR/analysis)."""
    import errno

    seen = 0
    while err is not None and not isinstance(err, OSError) and seen < 8:
        if "disk is full" in str(err):  # SQLite's, through SQLAlchemy and Optuna
            return "the disk is full (the study database could not be written): free some space"
        err = err.__cause__ or err.__context__  # an OSError under a library's own error
        seen += 1
    if not isinstance(err, OSError):
        return None
    fixes = {
        errno.ENOSPC: "free some space, or give --out on another disk",
        errno.EDQUOT: "free some space under your quota, or give --out on another disk",
        errno.EROFS: "give --out on a writable file system",
        errno.EACCES: "check the permissions of the path, or give another --out",
        errno.EPERM: "check the permissions of the path, or give another --out",
    }
    if command in _WRITE_IN_PLACE:
        fixes[errno.ENOSPC] = fixes[errno.EDQUOT] = "free some space"
        for code in (errno.EROFS, errno.EACCES, errno.EPERM):
            fixes[code] = (
                f"{command} writes into the run folder: copy it where you may write "
                f"(cp -r RUN_DIR COPY) and run orthotune {command} COPY"
            )
    fix = fixes.get(err.errno or -1)
    if fix is None:
        return None
    where = f" ({err.filename})" if err.filename else ""
    return f"{(err.strerror or str(err)).lower()}{where}: {fix}"

"""Options every command shares, and the one way results reach stdout.

Every command takes ``--json`` (the typed result as JSON on stdout, nothing else there),
``--seed`` and ``--debug``; long ones ``--quiet`` (no live progress, ``_live``). Results are
pydantic models; rendering them is the CLI's job.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print the result as JSON on stdout and nothing else.")
]
# numpy's generators take seeds 0 … 2³² − 1 (a larger or negative one is an internal error)
SeedOpt = Annotated[
    int,
    typer.Option(
        "--seed", min=0, max=2**32 - 1, help="Random seed: splits, initialization, batches."
    ),
]
DebugFlag = Annotated[
    bool, typer.Option("--debug", help="Show the traceback when an internal error occurs.")
]
QuietFlag = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress on stderr (errors and the result still show)."),
]
KeepOpt = Annotated[
    int | None,
    typer.Option(
        "--keep",
        help="Keep at most N model checkpoints: the chosen one and the newest incumbents "
        "(default: every incumbent).",
        metavar="N",
    ),
]


# a file this large takes seconds to read and encode before a command says anything (a new
# user's 57.7 MB table: 55 s of silence in data inspect, 79 s before tune's first line)
LARGE_FILE_BYTES = 10 * 2**20


def reading_note(data: Any, *, quiet: bool = False) -> None:
    """One line on stderr before a command reads a large file (``LARGE_FILE_BYTES``): its
    name and size. Nothing for a smaller file, a folder, a built-in or under --quiet."""
    from pathlib import Path

    if quiet or not isinstance(data, str | Path):
        return
    try:
        size = Path(data).stat().st_size if Path(data).is_file() else 0
    except OSError:  # a name the loader will refuse in its own words
        return
    if size >= LARGE_FILE_BYTES:
        name = Path(data).name
        print(f"orthotune: reading {name} ({size / 2**20:.1f} MB) …", file=sys.stderr, flush=True)


def emit(result: Any, *, as_json: bool, render: Callable[[Any], None]) -> None:
    """Write a result: its JSON (``orthotune._result.to_json``, what the Python API's
    ``to_json()`` returns) or its rich rendering."""
    if as_json:
        from orthotune._result import to_json

        sys.stdout.write(to_json(result) + "\n")
    else:
        render(result)


class Interrupted(Exception):
    """Ctrl-C stopped a job that saved what it had; its text says what (``_main`` prints it)."""


def exit_interrupted(outcome: str) -> NoReturn:
    """After Ctrl-C stopped a job that saved what it had: one line, exit code 130."""
    raise Interrupted(outcome)

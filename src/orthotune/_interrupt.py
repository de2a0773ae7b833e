"""Ctrl-C is never lost: the CLI's SIGINT handler also leaves a flag the training loops check.

Python runs a signal handler between two bytecodes of the main thread — sometimes inside a
garbage-collection callback (SQLAlchemy's ``_collection_gced``, a ``__del__``). A
``KeyboardInterrupt`` raised there is printed ("Exception ignored in: …") and dropped: the
user's Ctrl-C did nothing, and a 5-minute job ran to its end (seen once in five CI runs on
2026-12-02). ``install`` (the CLI only; a library does not take over its host's signals) makes
Ctrl-C raise ``KeyboardInterrupt`` as before *and* set a flag; ``check``, called by the
``Trainer`` and ``fit_population`` before every optimizer step, raises it again while the flag
is set, so a dropped interrupt stops the training one step later. The ``Trainer`` clears the
flag when it turns the interrupt into its ``INTERRUPTED`` stop; a check clears it as it raises.

A Ctrl-C that arrives inside a study-database call (SQLAlchemy, Optuna's storages, the
database drivers) is not raised there: it only leaves the flag, and the next check raises it
(``DEFERRED_IN``). A ``KeyboardInterrupt`` raised as SQLAlchemy is about to commit (its
``commit`` event) leaves the connection inside its SQLite transaction: the next write fails with
"cannot start a transaction within a transaction", and the job died with "internal error:
StorageInternalError" (exit 1) instead of saving its best model and exiting 130 (once in nine
CI runs of ``tests/cli/test_tune_search.py`` on 2026-12-04; reproduced by
``tests/search/test_interrupt_in_database.py``). A database call is short, or retried with its
sleeps outside these modules (``RetryingStorage``), so the deferral never holds a Ctrl-C for
long; the search loop checks before each batch, the training loops before each step.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["check", "clear", "install"]

_pending = False

#: modules inside which a Ctrl-C only leaves the flag (module doc): a database call is never
#: cut half-way
DEFERRED_IN: tuple[str, ...] = ("sqlalchemy", "optuna.storages", "sqlite3", "psycopg")


def _in_database_call(frame: FrameType | None) -> bool:
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith(DEFERRED_IN):
            return True
        frame = frame.f_back
    return False


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _pending
    _pending = True
    if not _in_database_call(frame):
        raise KeyboardInterrupt


def install() -> None:
    """Handle SIGINT as above, where Python's own handler is in place (an ignored SIGINT, or a
    host's handler, stays as it is) and this is the main thread (the only one that may)."""
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ):
        signal.signal(signal.SIGINT, _on_sigint)


def check() -> None:
    """Raise ``KeyboardInterrupt`` when a Ctrl-C came and was not acted on (module doc)."""
    global _pending
    if _pending:
        _pending = False
        raise KeyboardInterrupt


def clear() -> None:
    """The interrupt was acted on: later checks pass."""
    global _pending
    _pending = False

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
"""

from __future__ import annotations

import signal
import threading

__all__ = ["check", "clear", "install"]

_pending = False


def _on_sigint(signum: int, frame: object) -> None:
    global _pending
    _pending = True
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

"""Live progress of a long command on stderr (computes nothing: the jobs call its hooks).

On a terminal (stderr): a rich display below the lines of finished work — the budget clock as
a bar, the step or trials in flight and their epoch, the best dev error so far. Anywhere else
(a pipe, a file, CI): one plain line per finished step, trial or epoch, each starting with the
clock, and a line of what is in flight when models have trained ``HEARTBEAT_S`` without one.
``--quiet``: nothing (errors still reach stderr). stdout stays the result's.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from rich.console import Console
from rich.progress import (
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from orthotune.train import Callback

__all__ = ["HEARTBEAT_S", "Live", "TrainProgress", "Working", "progress_mode"]

# plain output: seconds of training without a line before one says what is in flight (a new
# user's 327,346-row table: its baseline trained 118 s and its refit 128 s, each unsaid)
HEARTBEAT_S = 30.0


def progress_mode(quiet: bool) -> str:
    """``off`` with --quiet, ``rich`` when stderr is a terminal, else ``plain``."""
    if quiet:
        return "off"
    return "rich" if sys.stderr.isatty() else "plain"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f} %"


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Live:
    """One command's live progress, as a context manager; ``unit`` is what finishes (``step``,
    ``trial`` or ``epoch``). The jobs call ``epoch`` (an ``EpochHook`` that never prunes),
    ``step`` (an autopilot step), ``trial`` (a search trial's row) or ``train_epoch``."""

    def __init__(
        self, title: str, *, unit: str, budget_s: float | None = None, quiet: bool = False
    ) -> None:
        self.title = title
        self.unit = unit
        self.budget_s = budget_s
        self.mode = progress_mode(quiet)
        self.finished = 0  # steps, trials or epochs finished
        self.best: tuple[float, str] | None = None  # (dev error, whose)
        self._t0 = time.monotonic()
        self._flight: dict[str, str] = {}  # models in flight: name → label
        self._epoch: tuple[int, int] | None = None  # (epochs done, epochs) of the latest
        self._status = ""  # train on a terminal: the last epoch's figures
        self._display: Any = None
        self._task: Any = None
        self._said = time.monotonic()  # when the last line was printed

    # ------------------------------------------------------------ lifetime
    def __enter__(self) -> Live:
        self._t0 = self._said = time.monotonic()
        if self.mode == "rich":
            self._display = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                _ClockColumn(self),
                TextColumn("{task.fields[info]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._display.start()
            self._task = self._display.add_task(self.title, total=None, info="starting")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._display is not None:
            self._display.stop()
            self._display = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    # ------------------------------------------------------------ hooks
    def epoch(self, candidate: Any, epoch: int, dev_error: float | None) -> None:
        """A model in flight finished ``epoch`` (0-based); prunes nothing (returns None)."""
        self._flight[candidate.name] = candidate.label or candidate.name
        self._epoch = (epoch + 1, candidate.config.epochs)
        self._refresh()
        if self.mode == "plain" and time.monotonic() - self._said >= HEARTBEAT_S:
            self._print(f"still training: {self._info()}")

    def step(self, step: Any) -> None:
        """An autopilot step finished: one line, and the kept model's dev error."""
        kept = next((v for v in step.variants if v.name == step.kept), None)
        if kept is not None and kept.errors.get("dev") is not None:
            self.best = (kept.errors["dev"], kept.described)
        from orthotune.cli._render_tune import shown_variants

        shown, more = shown_variants(step)
        tried = ", ".join(
            f"{v.described}: dev {_pct(v.errors.get('dev'))}" for v in shown if not v.failed
        )
        if more:
            tried += f" (+{more} more)"
        what = (
            "baseline"
            if step.problem == "baseline"
            else f"{step.problem.replace('_', ' ')} → {step.knob.replace('_', ' ')}"
        )
        if not step.variants:  # not tried (it would not have finished): the line says why
            self._finish(f"step {step.index} {what}: {step.why}")
            return
        outcome = f"kept {kept.label}" if kept is not None else "nothing kept"
        self._finish(f"step {step.index} {what} ({step.seconds:.0f} s): {tried} — {outcome}")

    def trial(self, row: Any) -> None:
        """A search trial finished (its leaderboard row): one line, and the best dev error."""
        dev = row.metrics.get("dev_error")
        if row.earlier:  # a resumed study's best so far, trained by an earlier run
            if dev is not None:
                self.best = (dev, f"trial {row.number}")
            self._finish(f"resumed: the study's best so far is trial {row.number}, dev error "
                         f"{_pct(dev)} (an earlier run)")  # fmt: skip
            return
        if row.state == "complete":
            if row.feasible and dev is not None and (self.best is None or dev < self.best[0]):
                self.best = (dev, f"trial {row.number}")
            mark = "" if row.feasible else " (violates a constraint)"
            text = f"dev error {_pct(dev)}, train error {_pct(row.metrics.get('train_error'))}"
            text += mark
        elif row.state == "fail":
            text = f"failed: {row.fail_reason}"
        else:
            text = row.state + ("" if dev is None else f" at dev error {_pct(dev)}")
        self._flight.pop(f"trial-{row.number}", None)
        if not self._flight:
            self._epoch = None
        self._finish(f"trial {row.number} {text}")

    def train_epoch(self, record: Any, epochs: int) -> None:
        """``orthotune train`` finished an epoch (its ``EpochRecord``)."""
        self._epoch = (record.epoch + 1, epochs)
        if record.dev_error is not None and (self.best is None or record.dev_error < self.best[0]):
            self.best = (record.dev_error, f"epoch {record.epoch + 1}")
        dev = "" if record.dev_error is None else f", dev error {_pct(record.dev_error)}"
        self._status = f"train error {_pct(record.train_error)}{dev}"
        if self._display is not None:  # a terminal: the display alone, no line per epoch
            self.finished += 1
            self._refresh()
            return
        self._finish(f"epoch {record.epoch + 1}/{epochs}: {self._status}, lr {record.lr:.3g}")

    # ------------------------------------------------------------ output
    def _best_text(self) -> str:
        if self.best is None:
            return ""
        whose = "kept model's" if self.unit == "step" else "best"
        return f"{whose} dev error {_pct(self.best[0])} ({self.best[1]})"

    def _info(self) -> str:
        parts = []
        if self._flight:
            labels = list(self._flight.values())
            shown = ", ".join(labels[:3]) + (f" +{len(labels) - 3}" if len(labels) > 3 else "")
            # a step's models; the refit after the last step is none (its label says so)
            step = self.unit == "step" and not all(x.startswith("refit") for x in labels)
            parts.append(f"step {self.finished}: {shown}" if step else shown)
        if self._epoch is not None:
            parts.append(f"epoch {self._epoch[0]}/{self._epoch[1]}")
        if self._status and self._display is not None:
            parts.append(self._status)
        if self.best is not None:
            parts.append(self._best_text())
        return " · ".join(parts) or "starting"

    def _refresh(self) -> None:
        if self._display is not None:
            self._display.update(self._task, info=self._info())

    def line(self, text: str) -> None:
        """A piece of work finished that is neither a step, a trial nor an epoch (an ensemble
        member): one line, as those get."""
        self._finish(text)

    def _finish(self, line: str) -> None:
        self.finished += 1
        if self.unit == "step":  # the next step trains other models
            self._flight.clear()
            self._epoch = None
        if self.mode == "off":
            return
        best = self._best_text()
        self._print(line + (f" · {best}" if best else ""))

    def _print(self, line: str) -> None:
        """``line`` after the clock, above the display on a terminal."""
        self._said = time.monotonic()
        budget = "" if self.budget_s is None else f" / {_clock(self.budget_s)}"
        text = f"[{_clock(self.elapsed)}{budget}] {line}"
        if self._display is not None:
            self._display.console.print(text, markup=False, highlight=False)
            self._refresh()
        else:
            print(text, file=sys.stderr, flush=True)


class Working:
    """A command that computes for minutes without hooks to call (predict, clean,
    learning-curve, data inspect on a large table), as a context manager: on a terminal a
    spinner with ``what`` and the clock; anywhere else a line every ``HEARTBEAT_S`` seconds,
    ``[1:30] still working: what``, from a thread beside the work (nothing if the work ends
    sooner); with --quiet nothing. A new user's 1,414,593-row table: clean said nothing for
    214 s, learning-curve for 138 s, predict for 43 s."""

    def __init__(self, what: str, *, quiet: bool = False) -> None:
        self.what = what
        self.mode = progress_mode(quiet)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._display: Any = None
        self._t0 = time.monotonic()

    def __enter__(self) -> Working:
        self._t0 = time.monotonic()
        if self.mode == "rich":
            self._display = Progress(
                SpinnerColumn(),
                TextColumn(self.what),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._display.start()
            self._display.add_task(self.what, total=None)
        elif self.mode == "plain":
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._display is not None:
            self._display.stop()

    def _beat(self) -> None:
        # the module's HEARTBEAT_S read at each wait: a test shortens it
        while not self._stop.wait(HEARTBEAT_S):
            clock = _clock(time.monotonic() - self._t0)
            print(f"[{clock}] still working: {self.what}", file=sys.stderr, flush=True)


class _ClockColumn(ProgressColumn):
    """The budget clock: a bar of the time spent and "elapsed / budget" (elapsed alone
    without a budget), redrawn with the display."""

    def __init__(self, live: Live) -> None:
        super().__init__()
        self.live = live

    def render(self, task: Any) -> Any:
        spent, budget = self.live.elapsed, self.live.budget_s
        if budget is None:
            return Text(_clock(spent))
        grid = Table.grid(padding=(0, 1))
        clock = f"{_clock(spent)} / {_clock(budget)}"
        if spent > budget:  # the test score, calibration and report come after the budget
            clock = f"{_clock(spent)}: budget of {_clock(budget)} spent, finishing"
        grid.add_row(ProgressBar(total=budget, completed=min(spent, budget), width=20), clock)
        return grid


class TrainProgress(Callback):
    """``orthotune train``'s progress: a ``Trainer`` callback feeding a ``Live``."""

    def __init__(self, live: Live) -> None:
        self.live = live

    def on_epoch_end(self, state: Any, record: Any) -> None:
        """One line (or a display update) per epoch."""
        self.live.train_epoch(record, state.max_epochs)

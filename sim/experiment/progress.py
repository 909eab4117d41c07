"""Progress of a run: a rich bar on a terminal, plain log lines otherwise, nothing when quiet.

Progress goes to standard error so that standard output holds only the summary table.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, TextIO


class Progress:
    """Quiet progress (the base class): every method is a no-op."""

    def start(self, total: int) -> None:
        """Begin with ``total`` replications planned."""

    def update(self, done: int, total: int, status: str = "") -> None:
        """``done`` of ``total`` replications finished; ``status`` e.g. the largest half-width."""

    def log(self, message: str) -> None:
        """A one-line message (round started, precision met...)."""

    def stop(self) -> None:
        """Finish (idempotent)."""


class PlainProgress(Progress):
    """Log lines, at most one per ``every`` seconds or 10% of the work, for logs and CI."""

    def __init__(self, stream: TextIO | None = None, every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self._t0 = time.monotonic()
        self._last_t = 0.0
        self._last_frac = -1.0

    def start(self, total: int) -> None:
        self._t0 = time.monotonic()
        self.log(f"running {total} replications")

    def update(self, done: int, total: int, status: str = "") -> None:
        now = time.monotonic()
        frac = done / total if total else 1.0
        if done < total and now - self._last_t < self.every and frac - self._last_frac < 0.1:
            return
        self._last_t, self._last_frac = now, frac
        elapsed = now - self._t0
        eta = f", ETA {elapsed / done * (total - done):.0f}s" if done else ""
        extra = f", {status}" if status else ""
        self.log(f"{done}/{total} replications, {elapsed:.0f}s elapsed{eta}{extra}")

    def log(self, message: str) -> None:
        print(f"incentsim: {message}", file=self.stream, flush=True)


class RichProgress(Progress):
    """A rich progress bar: replications done, ETA and the current largest half-width."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as _Bar

        self._bar: Any = _Bar(
            TextColumn("[bold]replications"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
            console=Console(stderr=True),
            transient=False,
        )
        self._task: Any = None

    def start(self, total: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task("run", total=total, status="")

    def update(self, done: int, total: int, status: str = "") -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=done, total=total, status=status)

    def log(self, message: str) -> None:
        self._bar.console.print(message, markup=False, highlight=False)

    def stop(self) -> None:
        if self._task is not None:
            self._bar.stop()
            self._task = None


class NotebookProgress(Progress):
    """An HTML progress bar in a Jupyter notebook, updated in place (IPython's display with a
    display id; no widget library needed). Updates are sent at most every ``every`` seconds."""

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self._handle: Any = None
        self._t0 = time.monotonic()
        self._last = -math.inf
        self._log: list[str] = []

    def _html(self, done: int, total: int, status: str) -> Any:
        from html import escape

        from IPython.display import HTML

        elapsed = time.monotonic() - self._t0
        eta = f", ETA {elapsed / done * (total - done):.0f} s" if done and done < total else ""
        extra = f" · {escape(status)}" if status else ""
        log = "".join(f"<div>{escape(m)}</div>" for m in self._log[-3:])
        return HTML(
            f'<div style="font:12px monospace"><progress value="{done}" max="{max(total, 1)}" '
            f'style="width:24em"></progress> {done}/{total} replications, {elapsed:.0f} s{eta}{extra}'
            f"{log}</div>"
        )

    def start(self, total: int) -> None:
        from IPython.display import display

        self._t0 = time.monotonic()
        self._handle = display(self._html(0, total, ""), display_id=True)

    def update(self, done: int, total: int, status: str = "") -> None:
        now = time.monotonic()
        if self._handle is None or (done < total and now - self._last < self.every):
            return
        self._last = now
        self._handle.update(self._html(done, total, status))

    def log(self, message: str) -> None:
        self._log.append(message)


def in_notebook() -> bool:
    """Whether the code runs in a Jupyter kernel (IPython's ZMQ shell)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def make_progress(quiet: bool, stream: TextIO | None = None) -> Progress:
    """Quiet, a notebook bar (in Jupyter), rich (terminal) or plain (not a terminal) progress."""
    if quiet:
        return Progress()
    if stream is None and in_notebook():
        return NotebookProgress()
    out = stream or sys.stderr
    if out.isatty():
        return RichProgress()
    return PlainProgress(out)

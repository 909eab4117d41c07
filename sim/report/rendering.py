"""The report's figures rendered ahead, in worker processes, while the page is assembled.

Drawing and rasterising the figures is most of a report's time (about 4 s of the flagship's 5 s)
and each figure is independent of the others. :class:`Renderer` starts them all at once in forked
worker processes (which inherit the loaded results: nothing is copied or pickled but the finished
bytes) and :class:`~sim.report.page.Page` takes each one when its section asks for it. The bytes are
those the page would draw itself: the same data, code and style in a copy of the same process.

Forking is used only where it is safe and pays: on Linux, with two or more cores, and when this
process runs a single Python thread (a notebook kernel has several; forking a threaded process can
deadlock). Anywhere else, and for a figure not started ahead, the page draws the figure itself.
The process does hold native threads then, started by libraries at import: the idle worker threads
of the OpenBLAS copies that numpy and SciPy load (one each on two cores; none with
``OPENBLAS_NUM_THREADS=1``) and the background thread of jemalloc, pyarrow's allocator, which
pandas loads. Both are fork-aware: OpenBLAS stops its threads before a fork (its ``pthread_atfork``
handler, OpenBLAS pull request 343; the parent has them again at its next BLAS call), and jemalloc
takes its locks around a fork and marks its background thread stopped in the child (its own fork
handlers). A test holds the process to these (``tests/report/test_rendering.py``). Python 3.12
and later still warn (``DeprecationWarning``: "This process ... is multi-threaded, use of fork()
may lead to deadlocks in the child"), since they count a process's threads, not whose they are.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult, Pool
from types import TracebackType

from sim.report.data import MissingData, ReportData
from sim.report.plots import INLINE_FIGURES, draw
from sim.report.style import png_bytes, style, svg_text


@dataclass(frozen=True)
class Rendered:
    """One figure as the page embeds it, or why it could not be drawn."""

    png: bytes
    svg: str
    """Inline SVG (only for :data:`~sim.report.plots.INLINE_FIGURES`; else empty)."""
    missing: str | None = None
    """The :class:`~sim.report.data.MissingData` message when the figure was not drawn."""


def render_figure(data: ReportData, name: str) -> Rendered:
    """Draw figure ``name`` in the report style: its PNG (and SVG when inline), or why not."""
    try:
        with style():
            fig = draw(data, name)
            png = png_bytes(fig)
            svg = svg_text(fig) if name in INLINE_FIGURES else ""
    except MissingData as exc:
        return Rendered(b"", "", str(exc))
    return Rendered(png, svg)


_DATA: ReportData | None = None
"""The data the forked workers render from (set in the parent just before they fork)."""


def _worker_start() -> None:
    """A worker's signals: the parent's handlers (the command raises on SIGTERM to unwind) are not
    the worker's; it dies when the pool terminates it, and leaves Ctrl-C to the parent."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _render_inherited(name: str) -> Rendered:
    if _DATA is None:
        raise RuntimeError("a report worker started without the report's data")
    return render_figure(_DATA, name)


def ahead_workers(requested: int | None = None) -> int:
    """Worker processes to render figures ahead with: ``requested`` (None: one per core, at most
    four), or 0 where forking is unsafe or cannot pay (not Linux, one core, more than one Python
    thread; the libraries' native threads are fork-aware, see the module docstring)."""
    n = min(os.cpu_count() or 1, 4) if requested is None else requested
    if n < 2 or sys.platform != "linux" or threading.active_count() != 1:
        return 0
    return n


class Renderer:
    """The report's figures: rendered ahead by forked workers (see the module docstring), or on
    demand. Use as a context manager; :meth:`get` returns a figure as :func:`render_figure` does."""

    def __init__(self, data: ReportData, ahead: Iterable[str] = (), workers: int | None = None) -> None:
        self.data = data
        self._pool: Pool | None = None
        self._pending: dict[str, AsyncResult[Rendered]] = {}
        names = list(dict.fromkeys(ahead))
        n = ahead_workers(workers) if len(names) > 1 else 0
        if n:
            global _DATA
            _DATA = data
            try:
                self._pool = multiprocessing.get_context("fork").Pool(min(n, len(names)), _worker_start)
            finally:
                _DATA = None  # the workers have their copy; the parent keeps no reference
            self._pending = {name: self._pool.apply_async(_render_inherited, (name,)) for name in names}

    @property
    def parallel(self) -> bool:
        """Whether figures are being rendered ahead in worker processes."""
        return self._pool is not None

    def get(self, name: str) -> Rendered:
        """Figure ``name``: the worker's rendering when it was started ahead, else drawn here
        (a worker's exception is raised here, as if the page had drawn the figure itself)."""
        pending = self._pending.pop(name, None)
        if pending is None:
            return render_figure(self.data, name)
        return pending.get()

    def close(self) -> None:
        """Stop the workers (figures started ahead and never asked for are dropped)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        self._pending = {}

    def __enter__(self) -> Renderer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

"""Figures rendered ahead in forked workers are the figures the page would draw itself.

The renderer forks only from a process with one thread, and a test session may have others (the
notebook tests leave Jupyter's), so the checks of the forked path run in a fresh child process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sim.report.data import load
from sim.report.plots import FIGURES, decision_figures
from sim.report.rendering import Renderer, ahead_workers, render_figure

NAMES = (*decision_figures(), *FIGURES)

_PRELUDE = """
import re, signal, sys
from pathlib import Path
from sim.report import html, rendering
from sim.report.data import load
from sim.report.plots import FIGURES, decision_figures
from sim.report.rendering import Renderer, render_figure

NAMES = (*decision_figures(), *FIGURES)
BUILT = re.compile(r"<th>Report built</th><td>[^<]*</td>")  # the footer says when


def undated(text):
    return BUILT.sub("", text)


data = load(Path(sys.argv[1]))
"""

_SAME_REPORT = """
assert rendering.ahead_workers(2) == 2, "not rendered ahead"
ahead, _ = html.build(data, None, workers=2)
in_turn, _ = html.build(load(Path(sys.argv[1])), None, workers=0)
# every figure's PNG is embedded byte for byte (and the waterfall's SVG), every missing one's note
assert undated(ahead) == undated(in_turn)
print("same")
"""

_WORKER_FAILS = """
def broken(data, name):
    raise ValueError(f"cannot draw {name}")

rendering.draw = broken  # before the fork: the workers inherit it
with Renderer(data, ["forest", "waterfall"], workers=2) as ahead:
    assert ahead.parallel, "not rendered ahead"
    try:
        ahead.get("waterfall")
    except ValueError as exc:
        print(exc)
"""

_CLOSE_UNDER_SIGTERM_HANDLER = """
class Unwind(Exception):
    pass

def unwind(*_):
    raise Unwind

signal.signal(signal.SIGTERM, unwind)  # as the command does, to unwind a run
with Renderer(data, NAMES, workers=2) as ahead:
    assert ahead.parallel, "not rendered ahead"
    ahead.get("frontier")  # the other figures are left running: closing must stop them
print("closed")
"""


def _fresh(code: str, folder: Path) -> str:
    """Run ``code`` after :data:`_PRELUDE` in a new process (one thread) on the results ``folder``;
    its output. A hang fails the test after a minute instead of stopping the session."""
    with subprocess.Popen(
        [sys.executable, "-c", _PRELUDE + code, str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    ) as child:  # fmt: skip
        try:
            out, err = child.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)  # the child and the workers it forked
            child.communicate()
            pytest.fail("the child hung (a worker outlived the pool?)")
    assert child.returncode == 0, err
    return out.strip()


linux = pytest.mark.skipif(sys.platform != "linux", reason="figures are rendered ahead on Linux only")


@linux
def test_the_report_is_the_same_rendered_ahead_or_in_turn(seed_folder: Path) -> None:
    assert _fresh(_SAME_REPORT, seed_folder) == "same"


@linux
def test_a_workers_failure_reaches_the_page(seed_folder: Path) -> None:
    assert _fresh(_WORKER_FAILS, seed_folder) == "cannot draw waterfall"


@linux
def test_workers_stop_when_the_parent_handles_sigterm_itself(seed_folder: Path) -> None:
    """A forked worker that kept the command's SIGTERM handler would not die when the pool
    terminates it, and closing the renderer would wait for it for ever."""
    assert _fresh(_CLOSE_UNDER_SIGTERM_HANDLER, seed_folder) == "closed"


def test_a_missing_figure_says_why_wherever_it_is_drawn(single_plan_folder: Path) -> None:
    data = load(single_plan_folder)
    here = render_figure(data, "forest")  # one plan: no differences to draw
    assert here.missing and not here.png
    with Renderer(data, ["forest", "arr-over-time"], workers=2) as ahead:
        assert ahead.get("forest") == here


def test_nothing_is_forked_from_a_threaded_process(seed_folder: Path) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert ahead_workers(2) == 0
        data = load(seed_folder)
        with Renderer(data, NAMES, workers=2) as ahead:
            assert not ahead.parallel
            assert ahead.get("arr-over-time").png == render_figure(data, "arr-over-time").png
    finally:
        stop.set()
        other.join()


def test_one_worker_or_one_figure_renders_in_turn(seed_folder: Path) -> None:
    data = load(seed_folder)
    assert ahead_workers(1) == 0
    with Renderer(data, NAMES, workers=1) as one_worker, Renderer(data, ["forest"], workers=2) as one_figure:
        assert not one_worker.parallel and not one_figure.parallel


_THREADS_LEFT_AT_FORK = """
import os, warnings
import numpy, scipy.linalg, pandas, matplotlib  # what a report's process has loaded when it forks
from sim.report import rendering
def others():  # native threads but the main one: their names (/proc/self/task/<tid>/comm)
    return sorted(open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")
                  if int(t) != os.getpid())
before = others()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: "... is multi-threaded"
    pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print(",".join(before) + ";" + ",".join(others()))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the report forks only on Linux")
def test_the_native_threads_a_report_forks_with_are_fork_aware() -> None:
    # ahead_workers counts Python threads only. The native threads beside them must be ones that
    # stop for a fork (OpenBLAS's) or hold their locks across it (jemalloc's background thread);
    # any other still running after a fork is a new case to examine before forking with it
    out = subprocess.run(
        [sys.executable, "-c", _THREADS_LEFT_AT_FORK], capture_output=True, text=True, check=True
    ).stdout.strip()
    before, after = (part.split(",") if part else [] for part in out.split(";"))
    assert [t for t in after if t != "jemalloc_bg_thd"] == [], f"before the fork {before}, after {after}"

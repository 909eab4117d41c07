"""Where replications run: serial, a local process pool, or a Dask cluster, behind one interface.

A backend is a context manager with three operations: ``submit(task) -> handle``,
``wait(handles) -> (done, pending)`` (returns as soon as at least one is done) and
``result(handle) -> list[Outcome]``. The runner decides what goes into each task and keeps a
few tasks in flight per worker; the backend only moves plain data (:class:`~.tasks.Task`) to a
worker that calls :func:`~.tasks.run_task`. Results never depend on the backend: a
replication is a pure function of (scenario, plan, replication index).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from sim.experiment.tasks import DEFAULT_REPLICATE, Outcome, Task, resolve_replicate, run_task
from sim.import_path import this_import_path

BACKENDS: tuple[str, ...] = ("process", "serial", "dask")


def default_workers() -> int:
    """One worker per core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Backend:
    """Base class: a context manager that runs tasks (serially, in-process)."""

    name = "serial"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))

    def __enter__(self) -> Backend:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release workers (idempotent)."""

    def submit(self, task: Task) -> Any:
        """Start ``task``; returns a handle for :meth:`wait` and :meth:`result`."""
        future: cf.Future[list[Outcome]] = cf.Future()
        future.set_result(run_task(task))
        return future

    def wait(self, handles: Iterable[Any]) -> tuple[list[Any], set[Any]]:
        """Block until at least one handle is done; returns (done, still pending)."""
        done, pending = cf.wait(set(handles), return_when=cf.FIRST_COMPLETED)
        return list(done), set(pending)

    def result(self, handle: Any) -> list[Outcome]:
        """The outcomes of a finished task (re-raises a worker crash)."""
        out: list[Outcome] = handle.result()
        return out

    def describe(self) -> str:
        """A short label for logs and metadata."""
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"


class SerialBackend(Backend):
    """Runs each task in this process when submitted (one worker). Before the first replication of
    :func:`sim.replication.simulate`, the kernels are compiled as the process backend's fork server
    compiles them (:func:`sim.warm.compile_kernels`: over two cores when numba's cache is cold)."""

    name = "serial"

    def __init__(self, workers: int = 1) -> None:
        super().__init__(1)

    def submit(self, task: Task) -> Any:
        if _simulates(task):
            from sim.warm import compile_kernels

            compile_kernels()  # once per process; nothing to compile on a filled cache
        return super().submit(task)


def _simulates(task: Task) -> bool:
    """Whether ``task`` runs the simulation (:data:`~.tasks.DEFAULT_REPLICATE`), whose kernels a
    backend compiles before its first task; a test's fake replication needs none."""
    return resolve_replicate(task.replicate) is resolve_replicate(DEFAULT_REPLICATE)


class WorkerLost(RuntimeError):
    """A worker process stopped before finishing its task (killed, out of memory, or a script
    without a main guard that each worker imports again)."""


WORKER_LOST = (
    "a worker process stopped before finishing its replications: it was killed or ran out of "
    "memory, or a script that starts a run imported itself again in the worker (guard its call "
    'with if __name__ == "__main__":). Replications finished before are kept in the results '
    "folder's checkpoints when the run has one: --resume (resume=True) continues from there"
)

IN_A_WORKER = (
    "a process backend was started inside a worker process of another run: each worker imports "
    "the script that started the run, so a script calling sim.run (or sensitivity, optimise, "
    'calibrate) must guard the call with if __name__ == "__main__": (or pass backend="serial")'
)


def check_workers_can_start() -> None:
    """Raise, with what to do, where worker processes cannot start: in a worker that is running
    the parent's script again (``__mp_main__``), which would start a run in every worker; or when
    this process's main script is not a file the workers can import (``python -`` reads it from
    standard input)."""
    # multiprocessing runs the parent's script again in a worker as a module named __mp_main__ and
    # keeps it; elsewhere sys.modules["__mp_main__"] is only another name for __main__
    if getattr(sys.modules.get("__mp_main__"), "__name__", "") == "__mp_main__":
        raise RuntimeError(IN_A_WORKER)
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if getattr(main, "__spec__", None) is None and isinstance(path, str) and not os.path.isfile(path):
        raise RuntimeError(
            f"the process backend's workers import this process's main script, {path!r}, which is "
            'not a file (a script read from standard input?): run it from a file, or pass backend="serial"'
        )


def _start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def process_context() -> multiprocessing.context.BaseContext:
    """The process backend's start context; with forkserver, its server set to import the replication
    machinery and compile its kernels once, so that workers fork from it warm (:func:`warm_pool`)."""
    method = _start_method()
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["sim.experiment.tasks", "sim.world", "sim.experiment.preload"])
    return ctx


def start_fork_server() -> None:
    """Start the process backend's fork server now, without waiting for it: it imports and warms up
    (about a second) while this process goes on reading the scenario, instead of after. It imports
    ``sim`` from where this process did. Nothing to do with the spawn start method; the server is
    shared by every process backend of this process."""
    if _start_method() == "forkserver":
        from multiprocessing import forkserver

        process_context()
        with this_import_path():  # python -c would put the working directory first
            forkserver.ensure_running()


def warm_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` processes forked from the fork server (started now when it is not,
    from this process's import path), which has imported the replication machinery and loaded
    the kernels; what the process backend and ``incentsim validate-model`` run on."""
    start_fork_server()
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=process_context())


class ProcessBackend(Backend):
    """A ``ProcessPoolExecutor`` with the forkserver (or spawn) start method: no fork of a
    threaded parent, workers import only what a replication needs."""

    name = "process"

    def __init__(self, workers: int = 1) -> None:
        check_workers_can_start()
        super().__init__(workers)
        self._pool: cf.ProcessPoolExecutor | None = None
        self._unfinished: set[cf.Future[list[Outcome]]] = set()

    def __enter__(self) -> ProcessBackend:
        self._pool = warm_pool(self.workers)
        return self

    def close(self) -> None:
        """Release the workers. Tasks still queued are cancelled and tasks still running are
        stopped, not waited for: nothing reads a closed backend's results (the runner's look-ahead
        beyond its last round, a run interrupted)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            if self._unfinished:
                _terminate_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)
            self._unfinished.clear()

    def submit(self, task: Task) -> Any:
        if self._pool is None:
            raise RuntimeError("ProcessBackend used outside its 'with' block")
        future = self._pool.submit(run_task, task)
        self._unfinished.add(future)
        future.add_done_callback(self._unfinished.discard)
        return future

    def result(self, handle: Any) -> list[Outcome]:
        try:
            return super().result(handle)
        except cf.process.BrokenProcessPool as exc:
            raise WorkerLost(WORKER_LOST) from exc


def _terminate_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Stop ``pool``'s worker processes now; the pool then fails what they were running (its
    broken-pool path) and shuts down without waiting for it. ``terminate_workers`` from Python 3.14;
    before it, the same through the executor's table of processes."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    processes: dict[int, Any] = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.terminate()


class DaskBackend(Backend):
    """Dask distributed: a ``LocalCluster`` of single-threaded worker processes by default, or
    an existing cluster when ``scheduler`` is given (its workers need incentsim installed). Before
    a local cluster's first task of :func:`sim.replication.simulate`, numba's cache is filled
    (:func:`sim.warm.fill_kernel_cache`: compiled over two cores when cold), so that its workers
    load the kernels instead of each compiling all of them."""

    name = "dask"

    def __init__(self, workers: int = 1, scheduler: str | None = None) -> None:
        if scheduler is None:  # a local cluster's workers import the script too
            check_workers_can_start()
        super().__init__(workers)
        self.scheduler = scheduler
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskBackend:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise RuntimeError(
                "the dask backend needs the 'dask' extra: pip install 'incentsim[dask]'"
            ) from exc
        if self.scheduler:
            self._client = Client(self.scheduler)
            info = self._client.scheduler_info()
            self.workers = max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))
        else:
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            )
            self._client = Client(self._cluster)
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def submit(self, task: Task) -> Any:
        if self._client is None:
            raise RuntimeError("DaskBackend used outside its 'with' block")
        if self._cluster is not None and _simulates(task):
            from sim.warm import fill_kernel_cache

            fill_kernel_cache()  # the local workers load the kernels from numba's cache on disk
        return self._client.submit(run_task, task, pure=False)

    def wait(self, handles: Iterable[Any]) -> tuple[list[Any], set[Any]]:
        from distributed import wait

        result = wait(list(handles), return_when="FIRST_COMPLETED")
        return list(result.done), set(result.not_done)

    def describe(self) -> str:
        where = self.scheduler or "local cluster"
        return f"dask ({self.workers} worker{'s' if self.workers != 1 else ''}, {where})"


def make_backend(name: str, workers: int | None = None, scheduler: str | None = None) -> Backend:
    """The backend called ``name`` (``process``, ``serial`` or ``dask``)."""
    n = default_workers() if workers is None else workers
    if n < 1:
        raise ValueError(f"expected at least one worker, found {n}")
    if name == "serial":
        return SerialBackend()
    if name == "process":
        return ProcessBackend(n)
    if name == "dask":
        return DaskBackend(n, scheduler)
    raise ValueError(f"unknown backend {name!r}; valid: {', '.join(BACKENDS)}")

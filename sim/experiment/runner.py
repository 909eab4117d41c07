"""Run an experiment: every plan x replication, the precision loop, checkpoints and resume.

Replication ``k`` of every plan is the call ``replicate(scenario, plan, k)``; the world derives
all its randomness from ``(experiment.seed, k)``, so results never depend on worker, batch,
backend or completion order (common random numbers across plans). The runner:

1. runs ``experiment.replications`` per plan;
2. while any paired half-width of a metric named in ``experiment.precision`` exceeds its target
   and fewer than ``max_replications`` have run, adds ``batch_size`` replications per plan;
3. checkpoints each finished task to ``checkpoints/`` so that ``resume`` recomputes nothing done;
4. builds the result tables from the replications ``0..n-1`` of every plan, sorted by plan
   order then replication.

Decisions of the precision loop use only replications ``< n`` of the current round, so a
resumed run takes exactly the decisions (and gives exactly the tables) of an uninterrupted one.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim._version import __version__
from sim.experiment import stats
from sim.experiment.backends import Backend, make_backend
from sim.experiment.checkpoints import CheckpointStore
from sim.experiment.folder import open_results_folder
from sim.experiment.progress import Progress
from sim.experiment.provenance import git_commit, package_versions, utc_now
from sim.experiment.results import CONFIG_FILE, METADATA_FILE, RunResults, config_text
from sim.experiment.tables import replications_table
from sim.experiment.tasks import (
    DEFAULT_REPLICATE,
    REPLICATION_FN_ENV,
    Outcome,
    ReplicationFn,
    Task,
    scenario_json,
    spec_of,
)
from sim.files import FolderLock, atomic_write_text
from sim.formats import to_strict_json
from sim.problems import Problem, ScenarioError
from sim.result import ReplicationResult
from sim.safetext import path_component
from sim.scenario.schema import Scenario

TARGET_TASK_SECONDS = 0.1
"""Each task should carry at least this much work so that scheduling overhead stays small."""

PRECISION_MET, PRECISION_MAX, PRECISION_NONE = "met", "stopped_at_max", "no_target"
WAITING = "waiting for the first results (a first run after an install also compiles the kernels: about 20 s)"
"""The progress status until a replication has finished: a cold start is otherwise silent."""


class RunFailed(RuntimeError):
    """Some replications raised; the results (``.results``) are complete apart from them."""

    def __init__(self, message: str, results: RunResults) -> None:
        super().__init__(message)
        self.results = results


@dataclass
class PrecisionState:
    """Where the precision loop stands."""

    status: str = PRECISION_NONE
    targets: dict[str, float] = field(default_factory=dict)
    half_widths: dict[str, float] = field(default_factory=dict)
    rounds: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for metadata."""
        return {
            "status": self.status,
            "targets": self.targets,
            "half_widths": self.half_widths,
            "rounds": self.rounds,
        }

    def describe(self) -> str:
        """One line for the terminal."""
        if self.status == PRECISION_NONE:
            return "no precision target"
        parts = [
            f"{m} ±{self.half_widths.get(m, math.nan):.4g} (target {t:g})" for m, t in self.targets.items()
        ]
        verdict = (
            "precision target met"
            if self.status == PRECISION_MET
            else ("stopped at max_replications before the precision target was met")
        )
        return f"{verdict}: " + ", ".join(parts)


def resolve_replicate(replicate: str | ReplicationFn | None) -> str | ReplicationFn:
    """The replication function: explicit, else ``$INCENTSIM_REPLICATION_FN`` (test-only), else
    ``sim.replication:simulate``."""
    if replicate is not None:
        return spec_of(replicate)
    return os.environ.get(REPLICATION_FN_ENV) or DEFAULT_REPLICATE


def default_out_dir(scenario: Scenario, root: str | Path = "runs") -> Path:
    """``runs/<scenario>-<UTC timestamp>``, the name made a safe path component (a name such as
    ``../x`` or ``/srv/x`` never leaves ``root``)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(root) / f"{path_component(scenario.name)}-{stamp}"


RESULT_FILES: tuple[str, ...] = (
    CONFIG_FILE,
    METADATA_FILE,
    "replications.parquet",
    "summary.csv",
    "comparison.csv",
    "timeseries.parquet",
    "details.parquet",
    "failures.json",
    "report.html",
)
"""Files a run writes at the top of its folder (``--force`` removes them before starting over)."""


class Runner:
    """One experiment over a scenario. Use :meth:`run`; see the module docstring."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        replicate: str | ReplicationFn | None = None,
        backend: str | Backend = "process",
        workers: int | None = None,
        scheduler: str | None = None,
        out: str | Path | None = None,
        resume: bool = False,
        force: bool = False,
        progress: Progress | None = None,
        command: Sequence[str] | None = None,
        target_task_seconds: float = TARGET_TASK_SECONDS,
    ) -> None:
        self.scenario = scenario
        self.replicate = resolve_replicate(replicate)
        self.backend = backend if isinstance(backend, Backend) else make_backend(backend, workers, scheduler)
        self.out = Path(out) if out is not None else None
        self.resume = resume
        self.force = force
        self._lock: FolderLock | None = None
        self.progress = progress or Progress()
        self.command = list(command) if command is not None else list(sys.argv)
        self.target_task_seconds = target_task_seconds
        self.plans = [p.name for p in scenario.plans]
        self.scenario_json = scenario_json(scenario)
        self.done: dict[tuple[str, int], ReplicationResult] = {}
        self.failures: dict[tuple[str, int], dict[str, Any]] = {}
        self.precision = PrecisionState(targets=dict(scenario.experiment.precision))
        self.loaded = 0
        self.computed = 0
        self._seconds: list[float] = []
        self._cpu_seconds: list[float] = []
        self._pending: dict[Any, list[tuple[str, int]]] = {}
        self._inflight: set[tuple[str, int]] = set()
        self._store: CheckpointStore | None = None
        self._meta: dict[str, Any] = {}

    # --- folder -------------------------------------------------------------------------------

    def _prepare_folder(self) -> None:
        """Check and lock the results folder (the lock is held until :meth:`run` returns)."""
        if self.out is None:
            if self.resume:
                raise ScenarioError(
                    [Problem("--resume", "(arguments)", "needs --out DIR (the folder to resume)")]
                )
            return
        self._lock, self._store = open_results_folder(
            self.out,
            configs={CONFIG_FILE: config_text(self.scenario)},
            resume=self.resume,
            force=self.force,
            result_files=RESULT_FILES,
        )
        if self.resume:
            plan_set = set(self.plans)
            self.done = {k: v for k, v in self._store.load().items() if k[0] in plan_set}
            self.loaded = len(self.done)

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _metadata(self, status: str) -> dict[str, Any]:
        exp = self.scenario.experiment
        reps = {p: sum(1 for (q, _k) in self.done if q == p) for p in self.plans}
        meta = dict(self._meta)
        meta.update(
            {
                "status": status,
                "finished_utc": utc_now() if status != "running" else None,
                "replications_per_plan": reps,
                "precision": self.precision.as_dict(),
                "failures": len(self.failures),
                "loaded_from_checkpoints": self.loaded,
                "computed": self.computed,
                "seconds_per_replication": (sum(self._seconds) / len(self._seconds))
                if self._seconds
                else None,
                "cpu_seconds_per_replication": (sum(self._cpu_seconds) / len(self._cpu_seconds))
                if self._cpu_seconds
                else None,
                "seed": exp.seed,
                "confidence": exp.confidence,
                "common_random_numbers": exp.common_random_numbers,
                "baseline": self.scenario.baseline,
            }
        )
        return meta

    def _write_metadata(self, status: str) -> None:
        if self.out is not None:
            atomic_write_text(self.out / METADATA_FILE, to_strict_json(self._metadata(status), indent=2))

    # --- execution ------------------------------------------------------------------------------

    def _chunk_size(self, remaining: int) -> int:
        if not self._seconds:
            return 1
        per = max(sum(self._seconds[-200:]) / len(self._seconds[-200:]), 1e-6)
        want = math.ceil(self.target_task_seconds / per - 1e-9)
        fair = math.ceil(remaining / (2 * self.backend.workers))
        return max(1, min(want, fair))

    def _open_units(self, lo: int, hi: int) -> list[tuple[str, int]]:
        """Units of replications ``lo..hi-1`` not done, failed or in flight (replication-major)."""
        return [
            (p, k)
            for k in range(lo, hi)
            for p in self.plans
            if (p, k) not in self.done and (p, k) not in self.failures and (p, k) not in self._inflight
        ]

    def _fill(self, queue: list[tuple[str, int]], remaining: int) -> None:
        """Submit tasks from the front of ``queue`` until the in-flight limit is reached."""
        limit = 2 * self.backend.workers
        while queue and len(self._pending) < limit:
            size = min(self._chunk_size(remaining), len(queue))
            batch = queue[:size]
            del queue[:size]
            remaining -= size
            handle = self.backend.submit(Task(self.scenario_json, batch, self.replicate))
            self._pending[handle] = batch
            self._inflight.update(batch)

    def _round(self, n: int, next_n: int, on_progress: Callable[[], None]) -> None:
        """Complete replications ``0..n-1`` of every plan.

        With several workers, idle slots at the tail of the round are given to the next round's
        replications (``n..next_n-1``) so that workers do not wait at the round barrier, unless the
        pairs complete so far already meet every precision target (:meth:`_likely_to_go_on`). The
        decisions of the precision loop still use replications ``< n`` only, so this changes
        timing, never results.
        """
        needed = self._open_units(0, n)
        ahead = self._open_units(n, next_n) if self.backend.workers > 1 else []

        def complete() -> bool:
            return all((p, k) in self.done or (p, k) in self.failures for k in range(n) for p in self.plans)

        while not complete():
            self._fill(needed, len(needed) + len(ahead))
            if not needed and ahead and self._likely_to_go_on(n):
                self._fill(ahead, len(ahead))
            if not self._pending:
                raise RuntimeError("internal error: round incomplete with nothing in flight")
            finished, _ = self.backend.wait(set(self._pending))
            for handle in finished:
                batch = self._pending.pop(handle)
                self._inflight.difference_update(batch)
                self._absorb(self.backend.result(handle))
            on_progress()

    def _absorb(self, outcomes: list[Outcome]) -> None:
        ok: list[ReplicationResult] = []
        secs: list[float] = []
        for o in outcomes:
            self._seconds.append(o.seconds)
            self._cpu_seconds.append(o.cpu_seconds)
            if o.result is None:
                self.failures[(o.plan, o.replication)] = {
                    "plan": o.plan,
                    "replication": o.replication,
                    "error": o.error,
                    "traceback": o.traceback,
                    "worker": o.worker,
                }
                continue
            self.done[(o.plan, o.replication)] = o.result
            ok.append(o.result)
            secs.append(o.seconds)
        self.computed += len(ok)
        if self._store is not None:
            self._store.write(ok, secs)

    def _half_widths(self, n: int) -> dict[str, float]:
        targets = self.precision.targets
        if not targets or len(self.plans) < 2:
            return {}
        rows = [r for (_p, k), r in self.done.items() if k < n]
        table = replications_table(rows, self.plans)
        exp = self.scenario.experiment
        return stats.precision_half_widths(
            table, self.plans, self.scenario.baseline, list(targets), exp.confidence
        )

    def _likely_to_go_on(self, n: int) -> bool:
        """Whether the precision loop looks set to go past ``n``: the half-widths of the pairs
        complete so far (the replications still running left out) miss a target. Work run ahead of
        the last round is discarded."""
        half_widths = self._half_widths(n)
        return any(math.isfinite(hw) and hw > self.precision.targets[m] for m, hw in half_widths.items())

    def _status_text(self) -> str:
        hw = self.precision.half_widths
        if not self.done and not self.failures:
            return WAITING
        if not hw:
            return ""
        targets = self.precision.targets
        metric = max(hw, key=lambda m: (hw[m] / targets[m]) if math.isfinite(hw[m]) else math.inf)
        return f"{metric} ±{hw[metric]:.4g} (target {self.precision.targets[metric]:g})"

    def _finish(self, n: int, t0: float) -> tuple[RunResults, list[dict[str, Any]]]:
        """Keep replications ``< n`` (look-ahead beyond is discarded), build and write the results."""
        self._meta["replications_target"] = n
        self._meta["wall_seconds"] = round(time.perf_counter() - t0, 3)
        self.done = {k: v for k, v in self.done.items() if k[1] < n}
        self.failures = {k: v for k, v in self.failures.items() if k[1] < n}
        order = sorted(self.failures, key=lambda k: (self.plans.index(k[0]), k[1]))
        failures = [self.failures[k] for k in order]
        status = "failed" if failures else "complete"
        results = RunResults.from_results(self.scenario, self.done.values(), failures, self._metadata(status))
        if self.out is not None:
            results.write(self.out)
            self._write_metadata(status)
            results.folder = self.out
        return results, failures

    def run(self) -> RunResults:
        """Run to completion; returns the RunResults (and writes the folder when ``out`` is set).

        Raises :class:`RunFailed` after writing everything when some replications raised.
        """
        self._prepare_folder()
        try:
            return self._run()
        finally:
            self._release()

    def _run(self) -> RunResults:
        exp = self.scenario.experiment
        started = utc_now()
        t0 = time.perf_counter()
        self._meta = {
            "incentsim_version": __version__,
            "git_commit": git_commit(),
            "scenario": self.scenario.name,
            "command": self.command,
            "started_utc": started,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "packages": package_versions(),
            "backend": self.backend.name,
            "workers": self.backend.workers,
            "replication_function": (
                self.replicate if isinstance(self.replicate, str) else repr(self.replicate)
            ),
            "resumed": self.resume,
        }
        self._write_metadata("running")
        try:
            n = exp.replications
            with self.backend:
                self._meta["backend_detail"] = self.backend.describe()
                self._meta["workers"] = self.backend.workers
                total = len(self.plans) * n
                self.progress.start(total)
                while True:
                    self.precision.rounds += 1
                    speculate = bool(self.precision.targets) and len(self.plans) > 1
                    next_n = min(n + exp.batch_size, exp.max_replications) if speculate else n
                    if self.precision.rounds > 1:
                        self.progress.log(f"adding replications: now {n} per plan ({self._status_text()})")

                    def tick(n: int = n) -> None:
                        finished = sum(1 for (_p, k) in self.done if k < n) + sum(
                            1 for (_p, k) in self.failures if k < n
                        )
                        self.progress.update(finished, len(self.plans) * n, self._status_text())

                    tick()
                    self._round(n, next_n, tick)
                    self.precision.half_widths = self._half_widths(n)
                    tick()
                    if not self.precision.half_widths:
                        self.precision.status = PRECISION_NONE
                        break
                    # a NaN half-width cannot be improved by more replications (no valid pairs)
                    unmet = [
                        m
                        for m, hw in self.precision.half_widths.items()
                        if math.isfinite(hw) and hw > self.precision.targets[m]
                    ]
                    if not unmet:
                        self.precision.status = PRECISION_MET
                        break
                    if n >= exp.max_replications:
                        self.precision.status = PRECISION_MAX
                        break
                    n = min(n + exp.batch_size, exp.max_replications)
                self.progress.stop()
            # the backend closed first: it stops the look-ahead replications still running, so the
            # results are built and written on free cores
            results, failures = self._finish(n, t0)
        except BaseException:
            # a crash or an interrupt: the checkpoints stay valid; say so where the user will look
            self._write_metadata("interrupted")
            raise
        if failures:
            names = ", ".join(f"{f['plan']}#{f['replication']}" for f in failures[:10])
            more = f" and {len(failures) - 10} more" if len(failures) > 10 else ""
            where = f" (see {self.out / 'failures.json'})" if self.out else ""
            raise RunFailed(f"{len(failures)} replication(s) failed: {names}{more}{where}", results)
        return results


def run_experiment(scenario: Scenario, **kwargs: Any) -> RunResults:
    """``Runner(scenario, **kwargs).run()``."""
    return Runner(scenario, **kwargs).run()

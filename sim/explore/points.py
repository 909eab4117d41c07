"""The point runner: scenario variants x plans x replications on the experiment's backends.

A *point* is a validated scenario (a base scenario with some fields changed: a sample of the
uncertainties, a candidate plan) with an id unique within its results folder. The runner sends
each point's units ``(plan, replication)`` to the backend as ordinary experiment tasks
(:class:`~sim.experiment.tasks.Task`), so a replication is the same pure function
``replicate(scenario, plan, k)`` as in ``incentsim run``: replication ``k`` uses the seeds of
``(experiment.seed, k)`` at every point and for every plan (common random numbers), and results do
not depend on backend, workers or completion order.

Of each replication the runner keeps one row of numbers (:func:`~sim.explore.outcomes.outcome_row`).
Rows are checkpointed in batches (at most every ``checkpoint_seconds``, and whenever a run stops)
to the folder's ``checkpoints/``; a runner opened on the same store later loads them and computes
only what is missing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.backends import Backend
from sim.experiment.checkpoints import CheckpointStore
from sim.experiment.progress import Progress
from sim.experiment.tasks import Outcome, ReplicationFn, Task, scenario_json
from sim.explore.outcomes import outcome_row
from sim.scenario.schema import Scenario

KEY_COLUMNS: tuple[str, ...] = ("point", "plan", "replication")
Key = tuple[str, str, int]


@dataclass(frozen=True)
class PointRequest:
    """Evaluate ``plans`` x ``replications`` of one point."""

    point: str
    scenario: Scenario
    plans: Sequence[str]
    replications: Sequence[int]

    def keys(self) -> list[Key]:
        """The units, replication-major (replication 0 of every plan first)."""
        return [(self.point, p, int(k)) for k in self.replications for p in self.plans]


class PointsFailed(RuntimeError):
    """Some replications raised; ``failures`` says which (the other rows are kept)."""

    def __init__(self, failures: list[dict[str, Any]]) -> None:
        names = ", ".join(f"{f['point']}/{f['plan']}#{f['replication']}" for f in failures[:5])
        more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
        first = failures[0]["error"] if failures else ""
        super().__init__(f"{len(failures)} replication(s) failed: {names}{more} (first: {first})")
        self.failures = failures


class PointRunner:
    """Runs point requests on an entered backend; use as a context manager around :meth:`run`."""

    def __init__(
        self,
        backend: Backend,
        replicate: str | ReplicationFn,
        *,
        store: CheckpointStore | None = None,
        progress: Progress | None = None,
        checkpoint_seconds: float = 15.0,
        target_task_seconds: float = 0.1,
    ) -> None:
        self.backend = backend
        self.replicate = replicate
        self.store = store
        self.progress = progress or Progress()
        self.checkpoint_seconds = checkpoint_seconds
        self.target_task_seconds = target_task_seconds
        self.rows: dict[Key, dict[str, Any]] = {}
        self.failures: dict[Key, dict[str, Any]] = {}
        self.loaded = 0
        self.computed = 0
        self.seconds: list[float] = []
        self.cpu_seconds: list[float] = []
        self._buffer: list[dict[str, Any]] = []
        self._last_flush = time.monotonic()
        if store is not None:
            for frame in store.frames():
                for rec in frame.to_dict("records"):
                    key = (str(rec.pop("point")), str(rec.pop("plan")), int(rec.pop("replication")))
                    rec.pop("seconds", None)
                    self.rows[key] = {k: float(v) for k, v in rec.items()}
            self.loaded = len(self.rows)

    def __enter__(self) -> PointRunner:
        self.backend.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.flush()
        finally:
            self.backend.__exit__(exc_type, exc, tb)

    # --- checkpoints ------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the buffered rows as one checkpoint chunk (nothing when empty or without a store)."""
        if self.store is not None and self._buffer:
            self.store.write_frame(pd.DataFrame(self._buffer))
        self._buffer = []
        self._last_flush = time.monotonic()

    def _absorb(self, point: str, outcomes: list[Outcome]) -> None:
        for o in outcomes:
            key = (point, o.plan, o.replication)
            self.seconds.append(o.seconds)
            self.cpu_seconds.append(o.cpu_seconds)
            if o.result is None:
                self.failures[key] = {
                    "point": point,
                    "plan": o.plan,
                    "replication": o.replication,
                    "error": o.error,
                    "traceback": o.traceback,
                    "worker": o.worker,
                }
                continue
            row = outcome_row(o.result)
            self.rows[key] = row
            self._buffer.append(
                {"point": point, "plan": o.plan, "replication": o.replication, "seconds": o.seconds, **row}
            )
            self.computed += 1
        if time.monotonic() - self._last_flush >= self.checkpoint_seconds:
            self.flush()

    # --- execution --------------------------------------------------------------------------

    def _chunk_size(self, remaining: int) -> int:
        if not self.seconds:
            return 1
        recent = self.seconds[-200:]
        per = max(sum(recent) / len(recent), 1e-6)
        want = math.ceil(self.target_task_seconds / per - 1e-9)
        fair = math.ceil(remaining / (2 * self.backend.workers))
        return max(1, min(want, fair))

    def run(self, requests: Sequence[PointRequest], status: str = "") -> pd.DataFrame:
        """Every unit of ``requests`` (computing only those not done yet); one row per unit, in
        request order, then replication, then plan order. Raises :class:`PointsFailed` when some
        replications raised (after checkpointing the others)."""
        ids = [r.point for r in requests]
        if len(set(ids)) != len(ids):
            raise ValueError("point ids must be unique within one run")
        queue: list[tuple[PointRequest, str, list[Key]]] = []
        wanted: list[Key] = []
        for req in requests:
            keys = req.keys()
            wanted.extend(keys)
            todo = [k for k in keys if k not in self.rows]
            if todo:
                queue.append((req, scenario_json(req.scenario), todo))
        remaining = sum(len(t) for _r, _j, t in queue)
        total = len(wanted)
        self.progress.start(total)
        pending: dict[Any, str] = {}
        finished = total - remaining
        self.progress.update(finished, total, status)
        try:
            while queue or pending:
                while queue and len(pending) < 2 * self.backend.workers:
                    req, text, todo = queue[0]
                    size = min(self._chunk_size(remaining), len(todo))
                    batch, rest = todo[:size], todo[size:]
                    if rest:
                        queue[0] = (req, text, rest)
                    else:
                        queue.pop(0)
                    remaining -= len(batch)
                    units = [(plan, rep) for _p, plan, rep in batch]
                    pending[self.backend.submit(Task(text, units, self.replicate))] = req.point
                done, _ = self.backend.wait(set(pending))
                for handle in done:
                    point = pending.pop(handle)
                    outcomes = self.backend.result(handle)
                    self._absorb(point, outcomes)
                    finished += len(outcomes)
                self.progress.update(finished, total, status)
        finally:
            self.flush()
            self.progress.stop()
        failed = [self.failures[k] for k in wanted if k in self.failures and k not in self.rows]
        if failed:
            raise PointsFailed(failed)
        return self.table(wanted)

    def table(self, keys: Sequence[Key]) -> pd.DataFrame:
        """Rows of ``keys`` (those computed) as a table: point, plan, replication, outcomes."""
        records = [
            {"point": k[0], "plan": k[1], "replication": k[2], **self.rows[k]} for k in keys if k in self.rows
        ]
        df = pd.DataFrame.from_records(records)
        if df.empty:
            return pd.DataFrame(
                {c: pd.Series(dtype=object if c != "replication" else np.int64) for c in KEY_COLUMNS}
            )
        df["replication"] = df["replication"].astype(np.int64)
        return df

"""Simulated moments at parameter points, through the experiment layer's backends.

A point is a set of scenario values (dotted paths, as ``--set`` takes them). Replication ``k``
of every point uses the scenario seed's streams ``k`` (common random numbers), so the moments
change with the parameters, not with the luck, and the objective is as smooth as the world's
discrete choices allow. Each replication is one task unit (:class:`~sim.experiment.tasks.Task`)
whose replication function is :class:`SimulatedMoments`; finished units are checkpointed
(:class:`~sim.experiment.checkpoints.CheckpointStore`, keyed by a hash of the point's resolved
scenario), so a resumed calibration recomputes nothing it has.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sim.calibrate.moments import MomentSpec, moments
from sim.experiment.backends import Backend
from sim.experiment.checkpoints import CheckpointStore
from sim.experiment.progress import Progress
from sim.experiment.tasks import Task, scenario_json
from sim.result import ReplicationResult
from sim.rng import stream
from sim.scenario.schema import Scenario

UNITS_PER_TASK = 2
"""Replications per task (a point's replications spread over the workers)."""


@dataclass(frozen=True)
class SimulatedMoments:
    """The replication function of a calibration: a replication's history as its CRM would show
    it (:func:`sim.calibrate.simulated.crm_of`), as many optional cells missing as the company's
    exports have, and its moments as the result's metrics."""

    spec: MomentSpec

    def __call__(self, scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
        from sim.calibrate.simulated import OpportunityLog, crm_of
        from sim.policy import make_policy
        from sim.replication import history

        log = OpportunityLog(make_policy(scenario, plan), scenario.behaviour.ae.pull_in_discount)
        result = history(scenario, plan, replication, policy=log)
        crm = crm_of(scenario, plan, replication, result.rows, log)
        hide_cells(
            crm.opportunities,
            self.spec.missing,
            stream(scenario.experiment.seed, replication, "calibrate.missing"),
        )
        return ReplicationResult(plan, replication, moments(crm, self.spec), wall_seconds=result.wall_seconds)


def hide_cells(opps: Any, missing: Mapping[str, float], rng: np.random.Generator) -> None:
    """Blank each optional column's cells at random in the share ``missing`` gives (in place)."""
    u = rng.random((len(opps), 4))
    for j, col in enumerate(("discount", "fit", "created", "source")):
        share = missing.get(col, 0.0)
        if share > 0:
            gone = u[:, j] < share
            opps.loc[gone, col] = (
                "" if col == "source" else (np.datetime64("NaT", "s") if col == "created" else np.nan)
            )


def point_key(scenario: Scenario) -> str:
    """A point's identity: the hash of its resolved scenario."""
    return "p" + hashlib.sha256(scenario_json(scenario).encode("utf-8")).hexdigest()[:24]


class Evaluator:
    """Moments of points of one calibration, replications ``0..reps-1`` each."""

    def __init__(
        self,
        base: Scenario,
        plan: str,
        spec: MomentSpec,
        names: Sequence[str],
        backend: Backend,
        *,
        store: CheckpointStore | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.base = base
        self.plan = plan
        self.names = list(names)
        self.replicate = SimulatedMoments(spec)
        self.backend = backend
        self.store = store
        self.progress = progress or Progress()
        self.done: dict[tuple[str, int], ReplicationResult] = store.load() if store is not None else {}
        self.loaded = len(self.done)
        self.computed = 0
        self._planned = 0
        self._finished = 0

    def scenario(self, values: Mapping[str, float]) -> Scenario:
        """The base scenario with ``values`` set."""
        from sim.api import resolve_scenario

        return resolve_scenario(self.base, dict(values)) if values else self.base

    def evaluate(
        self, points: Sequence[Mapping[str, float]], reps: int, status: str = ""
    ) -> list[np.ndarray]:
        """Each point's moments, one row per replication (columns: :attr:`names`)."""
        scenarios = [self.scenario(p) for p in points]
        keys = [point_key(s) for s in scenarios]
        todo: list[tuple[str, Task]] = []
        for key, sc in zip(keys, scenarios, strict=True):
            missing = [k for k in range(reps) if (key, k) not in self.done]
            text = scenario_json(sc)
            for lo in range(0, len(missing), UNITS_PER_TASK):
                units = [(self.plan, k) for k in missing[lo : lo + UNITS_PER_TASK]]
                todo.append((key, Task(text, units, self.replicate)))
        self._planned += sum(len(t.units) for _, t in todo)
        self.progress.update(self._finished, max(self._planned, 1), status)
        pending: dict[Any, str] = {}
        queue = list(todo)
        while queue or pending:
            while queue and len(pending) < 2 * self.backend.workers:
                key, task = queue.pop(0)
                pending[self.backend.submit(task)] = key
            finished, _ = self.backend.wait(set(pending))
            for handle in finished:
                key = pending.pop(handle)
                outcomes = self.backend.result(handle)
                ok: list[ReplicationResult] = []
                for o in outcomes:
                    if o.result is None:
                        raise RuntimeError(f"a calibration replication failed: {o.error}\n{o.traceback}")
                    res = replace(o.result, plan=key)
                    self.done[(key, o.replication)] = res
                    ok.append(res)
                self.computed += len(ok)
                self._finished += len(ok)
                if self.store is not None:
                    self.store.write(ok, [o.seconds for o in outcomes])
            self.progress.update(self._finished, max(self._planned, 1), status)
        return [
            np.array([[self.done[(key, k)].metrics.get(n, np.nan) for n in self.names] for k in range(reps)])
            for key in keys
        ]

"""Fake replication functions for the experiment tests (module-level, so they pickle by reference).

They follow the world's contract: every draw comes from ``sim.rng.Streams(seed, replication)``,
common random numbers unless ``experiment.common_random_numbers`` is False (then streams are salted
by the plan's position), and a plan's effect comes from its content, never its name.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import math
import os
import random
import time
from typing import Any

import numpy as np

from sim.experiment.backends import Backend
from sim.experiment.tasks import Outcome, Task, run_task
from sim.result import ReplicationResult
from sim.rng import Streams
from sim.scenario.experiment import METRICS
from sim.scenario.schema import Scenario

BASE = {m: 1.0 + i for i, m in enumerate(METRICS)}
SCALE = {m: 0.05 * (1.0 + i) for i, m in enumerate(METRICS)}

PRECISION_SIGMA = 0.02
"""Amplitude of the alternating paired difference of ``precision_replicate`` per plan position."""


def _streams(scenario: Scenario, plan: str, replication: int) -> Streams:
    exp = scenario.experiment
    names = [p.name for p in scenario.plans]
    salt = None if exp.common_random_numbers else names.index(plan) + 1
    return Streams(exp.seed, replication, salt)


def plan_effect(scenario: Scenario, plan: str) -> float:
    """A number in [-1, 1] from the plan's rules (name and description excluded)."""
    data = scenario.plan(plan).model_dump(mode="json", exclude={"name", "description"})
    digest = hashlib.blake2b(json.dumps(data, sort_keys=True).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64 * 2.0 - 1.0


def replicate(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """Every metric: base + scale * common shock + plan effect * (1 + 0.5 * own shock); 10% NaN
    for time_to_value_days."""
    streams = _streams(scenario, plan, replication)
    common = streams("fake.common").normal(size=len(METRICS))
    own = streams("fake.own").normal(size=len(METRICS))
    effect = plan_effect(scenario, plan)
    metrics = {
        m: BASE[m] + SCALE[m] * common[i] + 0.01 * effect * (1.0 + 0.5 * own[i])
        for i, m in enumerate(METRICS)
    }
    if streams("fake.undefined").random() < 0.1:
        metrics["time_to_value_days"] = math.nan
    metrics["grr_smb"] = metrics["grr"] - 0.01
    months = 12
    growth = 1.0 + 0.01 * effect + 0.005 * streams("fake.arr").normal(size=months)
    arr = 1e7 * np.cumprod(growth)
    return ReplicationResult(
        plan=plan,
        replication=replication,
        metrics=metrics,
        timeseries={"arr": [float(x) for x in arr], "customers": [float(1000 + i) for i in range(months)]},
        distributions={"discount": [float(x) for x in streams("fake.discount").uniform(0, 0.3, size=5)]},
        payouts={"ae.commission": float(1e5 * (1 + effect)), "csm.bonus": 2e4},
        people_pay={"ae:1": float(5e4 + 1e3 * common[0]), "csm:2": 1e4},
        events_scheduled=100 + replication,
    )


def slow_replicate(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """:func:`replicate` after a pause (``FAKE_SLEEP`` seconds, default 0.05)."""
    time.sleep(float(os.environ.get("FAKE_SLEEP", "0.05")))
    return replicate(scenario, plan, replication)


def endless_replicate(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """:func:`replicate` after ten minutes (work a closing backend must stop, not wait for)."""
    time.sleep(600.0)
    return replicate(scenario, plan, replication)


def dying_replicate(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """A worker process that stops abruptly (as when killed or out of memory)."""
    os._exit(3)


def failing_replicate(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """:func:`replicate`, but the second plan's replication 2 raises."""
    if [p.name for p in scenario.plans].index(plan) == 1 and replication == 2:
        raise RuntimeError("boom in the fake world")
    return replicate(scenario, plan, replication)


def precision_replicate(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """nrr of plan at position j: common shock + j * PRECISION_SIGMA * (-1)^k, so the paired
    difference against the first plan alternates exactly +-j*sigma (known sample variance)."""
    result = replicate(scenario, plan, replication)
    j = [p.name for p in scenario.plans].index(plan)
    common = _streams(scenario, plan, replication)("fake.common").normal()
    result.metrics["nrr"] = 1.05 + 0.1 * common + j * PRECISION_SIGMA * (-1.0) ** replication
    return result


def jittery_replicate(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """:func:`replicate` after a short pause that varies by unit (scrambles completion order)."""
    time.sleep(0.002 * ((replication * 7 + len(plan)) % 5))
    return replicate(scenario, plan, replication)


class ShuffledBackend(Backend):
    """Completes submitted tasks one at a time in a random order (a worst-case scheduler)."""

    name = "shuffled"

    def __init__(self, workers: int, seed: int) -> None:
        super().__init__(workers)
        self._rng = random.Random(seed)  # test scheduler order only, not a model draw
        self._tasks: dict[cf.Future[list[Outcome]], Task] = {}
        self._rank: dict[cf.Future[list[Outcome]], int] = {}
        self.submitted: list[tuple[str, int]] = []

    def submit(self, task: Task) -> cf.Future[list[Outcome]]:
        fut: cf.Future[list[Outcome]] = cf.Future()
        self._tasks[fut] = task
        self._rank[fut] = len(self._rank)
        self.submitted.extend(task.units)
        return fut

    def wait(self, handles: Any) -> tuple[list[Any], set[Any]]:
        pending = sorted(handles, key=self._rank.__getitem__)  # submission order: the same in every run
        pick = pending[self._rng.randrange(len(pending))]
        pick.set_result(run_task(self._tasks.pop(pick)))
        return [pick], set(pending) - {pick}


def plan1_fails_replicate(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """:func:`precision_replicate`, but the plan at position 1 always raises."""
    if [p.name for p in scenario.plans].index(plan) == 1:
        raise ValueError("this plan cannot be simulated")
    return precision_replicate(scenario, plan, replication)


def interrupting_replicate(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """:func:`replicate`, but replication 7 is interrupted (as by Ctrl-C)."""
    if replication == 7:
        raise KeyboardInterrupt
    return replicate(scenario, plan, replication)

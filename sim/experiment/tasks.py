"""What a worker runs: a batch of (plan, replication) units of one scenario.

A task is plain data: the resolved scenario as JSON text, the units, and which replication
function to call (``"module:function"``, default ``sim.replication:simulate``). The worker builds
the scenario itself, runs each unit and returns small :class:`Outcome` records. A unit that
raises is recorded with its traceback; the other units of the batch still run.

This module is imported in worker processes, so it stays light (no pandas, no pyarrow).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from sim.result import ReplicationResult
from sim.scenario.schema import Scenario

ReplicationFn = Callable[[Scenario, str, int], ReplicationResult]
"""``(scenario, plan name, replication index) -> ReplicationResult``."""

DEFAULT_REPLICATE = "sim.replication:simulate"

REPLICATION_FN_ENV = "INCENTSIM_REPLICATION_FN"
"""Test-only: ``module:function`` replacing ``sim.replication.simulate`` for a CLI run (fakes in tests)."""


@dataclass
class Task:
    """One unit of work sent to a worker."""

    scenario_json: str
    """The resolved scenario, ``Scenario.model_dump_json()``."""
    units: list[tuple[str, int]]
    replicate: str | ReplicationFn = DEFAULT_REPLICATE


@dataclass
class Outcome:
    """What one (plan, replication) unit produced: a result or an error."""

    plan: str
    replication: int
    result: ReplicationResult | None = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0
    """Wall-clock seconds of the replication in the worker."""
    worker: str = field(default="")
    cpu_seconds: float = 0.0
    """CPU seconds of the worker process during the replication (wall > CPU: the core was shared)."""


def resolve_replicate(spec: str | ReplicationFn) -> ReplicationFn:
    """The replication function named by ``"module:function"`` (or the callable itself)."""
    if not isinstance(spec, str):
        return spec
    module, sep, name = spec.partition(":")
    if not sep or not module or not name:
        raise ValueError(f"expected a replication function as module:function, found {spec!r}")
    obj: object = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{spec} is not callable")
    fn: ReplicationFn = obj
    return fn


def spec_of(fn: str | ReplicationFn) -> str | ReplicationFn:
    """``"module:qualname"`` for an importable module-level function, else the callable itself."""
    if isinstance(fn, str):
        return fn
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not module or not qualname or "<" in qualname or module == "__main__":
        return fn
    spec = f"{module}:{qualname}"
    try:
        same = resolve_replicate(spec) is fn
    except (ImportError, AttributeError, TypeError, ValueError):
        same = False
    return spec if same else fn


_SCENARIOS: dict[str, Scenario] = {}


def scenario_json(scenario: Scenario) -> str:
    """What a task carries: the resolved scenario as JSON text."""
    return scenario.model_dump_json()


def scenario_from_json(text: str) -> Scenario:
    """Validate resolved scenario JSON (cached per worker by content hash)."""
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    scenario = _SCENARIOS.get(key)
    if scenario is None:
        scenario = Scenario.model_validate_json(text)
        if len(_SCENARIOS) > 8:
            _SCENARIOS.clear()
        _SCENARIOS[key] = scenario
    return scenario


def run_task(task: Task) -> list[Outcome]:
    """Run every unit of ``task`` in order; errors are recorded per unit, never raised."""
    scenario = scenario_from_json(task.scenario_json)
    fn = resolve_replicate(task.replicate)
    worker = f"{os.uname().nodename}:{os.getpid()}"
    out: list[Outcome] = []
    for plan, rep in task.units:
        start = time.perf_counter()
        cpu = time.process_time()
        try:
            result = fn(scenario, plan, rep)
            if not isinstance(result, ReplicationResult):
                raise TypeError(
                    f"replication function returned {type(result).__name__}, expected ReplicationResult"
                )
            if (result.plan, result.replication) != (plan, rep):
                raise ValueError(
                    f"replication function returned plan {result.plan!r} replication "
                    f"{result.replication} for plan {plan!r} replication {rep}"
                )
        except Exception as exc:  # noqa: BLE001 - recorded per replication; the batch goes on
            out.append(
                Outcome(
                    plan,
                    rep,
                    None,
                    f"{type(exc).__name__}: {exc}",
                    traceback.format_exc(),
                    time.perf_counter() - start,
                    worker,
                    time.process_time() - cpu,
                )
            )
            continue
        out.append(
            Outcome(
                plan, rep, result, None, None, time.perf_counter() - start, worker, time.process_time() - cpu
            )
        )
    return out

"""A worker process stays light: what the process backend's fork server preloads, and a
replication run through a task, import neither pandas, pyarrow nor scipy.stats (each costs every
worker's start a share of a second; only the parent writes tables and computes intervals)."""

from __future__ import annotations

from experiment_helpers import BASE_COMPANY, run_probe

HEAVY = ("pandas", "pyarrow", "scipy.stats", "matplotlib")

_PROBE = """
import json, sys
import sim.experiment.tasks, sim.world, sim.experiment.preload
from sim.experiment.tasks import Task, run_task, scenario_json
from sim.scenario import load_scenario
sc = load_scenario(%r, {"company.horizon_years": 0.25, "company.warmup_years": 0})
out = run_task(Task(scenario_json(sc), [(sc.plans[0].name, 0)]))
print(json.dumps({"error": out[0].error, "loaded": [m for m in %r if m in sys.modules]}))
"""


def test_a_worker_imports_no_heavy_module() -> None:
    got = run_probe(_PROBE % (str(BASE_COMPANY), HEAVY))
    assert got["error"] is None
    assert got["loaded"] == [], f"a worker imported {got['loaded']}"

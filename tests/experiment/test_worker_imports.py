"""A worker process stays light: what the process backend's fork server preloads, and a
replication run through a task, import neither pandas, pyarrow nor scipy.stats (each costs every
worker's start a share of a second; only the parent writes tables and computes intervals)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("pandas", "pyarrow", "scipy.stats", "matplotlib")
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "base-company.yaml"

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
    done = subprocess.run(
        [sys.executable, "-c", _PROBE % (str(SCENARIO), HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["error"] is None
    assert got["loaded"] == [], f"a worker imported {got['loaded']}"

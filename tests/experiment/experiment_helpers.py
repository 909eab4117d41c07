"""What the experiment tests share: paths and small scenarios.

Imported by name (``from experiment_helpers import ...``), never as ``conftest``: several test
folders have a conftest and only one module can be called that."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.scenario import Scenario, load_scenario_text

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
HERE = Path(__file__).resolve().parent


def make_scenario(plans: str, experiment: str = "", extra: str = "") -> Scenario:
    """A scenario extending base-company.yaml with the given plans and experiment YAML blocks."""
    text = f"extends: base-company.yaml\nname: test-exp\nplans:\n{plans}\n"
    if experiment:
        text += f"experiment:\n{experiment}\n"
    text += extra
    return load_scenario_text(text, "test.yaml", base_dir=SCENARIOS)


THREE_PLANS = """\
  - name: conventional
    based_on: conventional
  - name: richer
    based_on: conventional
    ae: {base_salary_annual_usd: 110000}
  - name: leaner
    based_on: conventional
    ae: {base_salary_annual_usd: 90000}
"""


BASE_COMPANY = Path(__file__).resolve().parents[2] / "scenarios" / "base-company.yaml"


def run_probe(code: str) -> dict[str, Any]:
    """Run ``code`` in a fresh Python process (nothing imported, no fork server yet) and return the
    JSON object its last printed line holds."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out

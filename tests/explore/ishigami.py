"""What the exploration tests share: the Ishigami scenario and a tiny flagship company.

Imported by name (``from ishigami import ...``), never as ``conftest``: every test folder has a
conftest and only one module can be called that."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from sim.scenario import Scenario, load_scenario_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCENARIOS = ROOT / "scenarios"
if str(HERE) not in sys.path:  # the fakes are imported by name in worker processes too
    sys.path.insert(0, str(HERE))

TWO_PI = 2 * math.pi
ISHIGAMI = f"""\
extends: {ROOT / "tests" / "corpus" / "bases" / "minimal.yaml"}
name: ishigami
plans:
  - name: a
    based_on: flat
  - name: b
    based_on: flat
    ae: {{base_salary_annual_usd: 500000}}
experiment: {{baseline_plan: a}}
uncertainties:
  behaviour.rationality_per_kusd: {{low: 0, high: {TWO_PI!r}, source: Ishigami x1}}
  behaviour.risk_aversion_per_kusd: {{low: 0, high: {TWO_PI!r}, source: Ishigami x2}}
  behaviour.annual_time_preference: {{low: 0, high: {TWO_PI!r}, source: Ishigami x3}}
  behaviour.ae.win_odds_per_discount: {{low: 1, high: 5, source: read by nothing}}
"""

TINY = {"company.horizon_years": 1, "company.warmup_years": 0}
for _seg, (_customers, _leads) in {"smb": (120, 15), "mid_market": (60, 6), "enterprise": (20, 2)}.items():
    TINY[f"company.segments.{_seg}.starting_customers"] = _customers
    TINY[f"company.segments.{_seg}.leads_per_month"] = _leads
TINY_SETS = [f"--set={k}={v}" for k, v in TINY.items()]


def ishigami_scenario(extra: str = "") -> Scenario:
    """The Ishigami toy scenario (two plans; see explore_fakes)."""
    return load_scenario_text(ISHIGAMI + extra, "ishigami.yaml", base_dir=HERE)

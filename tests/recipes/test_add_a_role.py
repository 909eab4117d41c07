"""The "add a role" recipe of docs/architecture.md, carried out on a copy of the source tree.

A partner manager (on a monthly guarantee, with no measure of its own yet) is added by exactly
the edits the recipe lists; the test counts the files they touch, then runs a replication and the report
in the patched copy and checks that the new role is paid, priced by the one engine, reported in
its own payout column, labelled in the report and valid in the scenario schema — without any
other file knowing its name.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_FILES = 6
"""The recipe's promise: a role in at most this many files."""

EDITS: tuple[tuple[str, str, str], ...] = (
    # (file, an anchor line that must occur exactly once, the lines inserted after it)
    (
        "sim/vocabulary/names.py",
        '    ("customer_marketing", "Customer marketing", ""),\n',
        '    ("partner_manager", "Partner manager", ""),\n',
    ),
    (
        "sim/scenario/plans.py",
        '    """Sales/business development reps: they qualify leads and hand meetings to AEs."""\n',
        "    partner_manager: RolePlan = Field(default_factory=RolePlan)\n"
        '    """How partner managers are paid (team measures only)."""\n',
    ),
    (
        "sim/scenario/company.py",
        '    """People on the product team (their focus, quality work versus features, follows their'
        ' plan)."""\n',
        "    partner_manager_headcount: NonNegativeInt = 0\n"
        '    """Partner managers (paid on team measures)."""\n',
    ),
    (
        "sim/scenario/costs.py",
        '    """The product team (a cost of service)."""\n',
        "    partner_manager: RoleCost = Field(\n"
        "        default_factory=lambda: _people_costs(8_000.0, 6.0, 250_000.0)\n"
        "    )\n"
        '    """Partner managers: tooling, a manager per six."""\n',
    ),
    (
        "sim/world/model.py",
        '        """The product team\'s focus (quality work versus features; ``sim/world/teams.py``)."""\n',
        '        self.partner_managers = staff.team("partner_manager", c.support.partner_manager_headcount)'
        "\n",
    ),
)

SCENARIO = """\
extends: {base}
name: add-a-role
company:
  support: {{partner_manager_headcount: 2}}
plans:
  - name: flat
    partner_manager:
      base_salary_annual_usd: 120000
      target_variable_annual_usd: 20000
      draw: {{amount_usd: 2000, period: month}}
experiment: {{replications: 2, max_replications: 2, precision: {{}}}}
"""

RUN = """\
import json, sys
import sim
from sim.report import write_report
from sim.vocabulary import ROLES, ROLE_LABELS
from sim.vocabulary.metrics import is_money, label
res = sim.run(sys.argv[1], backend="serial", quiet=True, out=sys.argv[2])
write_report(sys.argv[2])
row = res.replications.iloc[0]
print(json.dumps({
    "roles": list(ROLES),
    "label": ROLE_LABELS["partner_manager"],
    "cost": float(row["payout_cost_partner_manager"]),
    "total": float(row["payout_cost"]),
    "metric_label": label("payout_cost_partner_manager"),
    "money": is_money("payout_cost_partner_manager"),
}))
"""


def patched_tree(tmp: Path) -> tuple[Path, set[str]]:
    """A copy of ``sim/`` with the recipe's edits; the files they touched."""
    shutil.copytree(ROOT / "sim", tmp / "sim", ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    touched: set[str] = set()
    for rel, anchor, insert in EDITS:
        path = tmp / rel
        text = path.read_text("utf-8")
        assert text.count(anchor) == 1, f"{rel}: the recipe's anchor is gone; update docs/architecture.md"
        path.write_text(text.replace(anchor, anchor + insert), "utf-8")
        touched.add(rel)
    return tmp, touched


@pytest.mark.slow
def test_a_role_is_added_in_at_most_six_files_and_is_paid_and_reported(tmp_path: Path) -> None:
    tree, touched = patched_tree(tmp_path)
    assert len(touched) <= MAX_FILES, sorted(touched)
    scenario = tmp_path / "add-a-role.yaml"
    scenario.write_text(SCENARIO.format(base=ROOT / "tests" / "corpus" / "bases" / "minimal.yaml"))
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "MPLBACKEND": "Agg",
        "NUMBA_CACHE_DIR": str(tmp_path / "nb"),
    }
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(scenario), str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["roles"][-1] == "partner_manager"
    assert got["label"] == "Partner manager"
    assert got["money"] and "Partner manager" in got["metric_label"]
    # two partner managers with a monthly guarantee and no other variable pay: the engine pays the
    # guarantee, and it is part of the total
    # exactly the guarantee: 2 people x $2,000 x 12 months of the measured year, no other pay
    assert got["cost"] == pytest.approx(2 * 2_000.0 * 12)
    assert got["total"] >= got["cost"]
    assert "Partner manager" in (out / "report.html").read_text("utf-8")


def test_the_recipe_edits_still_apply_to_the_code(tmp_path: Path) -> None:
    """Fast check that every anchor of the recipe is still in the code (the slow test runs it)."""
    _, touched = patched_tree(tmp_path)
    assert len(touched) <= MAX_FILES

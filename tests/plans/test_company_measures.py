"""Company-wide measures (issue 19, item 6): a team bonus on company NRR/GRR is computed from the
whole book (every CSM's book summed) and pays any role, at the period's close."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest

from sim.policy import NeutralPolicy
from sim.replication import simulate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "world"))
from world_fixtures import TINY, tiny


def _bonus(measure: str) -> dict[str, Any]:
    """A $10k bonus paid in full at any value of ``measure`` (the curve is flat from 0)."""
    return {
        "base_salary_annual_usd": 60000,
        "target_variable_annual_usd": 10000,
        "components": [
            {
                "name": "company", "kind": "bonus", "measure": measure, "scope": "team", "period": "year",
                "pays": "at_renewal", "target_usd": 10000, "target_value": 1.0,
                "curve": [{"attainment": 0.0, "payout": 1.0}, {"attainment": 2.0, "payout": 1.0}],
            }
        ],
    }  # fmt: skip


@pytest.mark.parametrize("measure", ["company_nrr", "company_grr"])
@pytest.mark.parametrize("role", ["csm", "support"])
def test_a_company_ratio_bonus_pays_every_member(role: str, measure: str) -> None:
    plan = {**TINY["plans"][0], "name": "company", role: _bonus(measure)}
    sc = tiny(company__support={"headcount": 2}, company__horizon_years=2, plans=[plan])
    m = simulate(sc, "company", 0, NeutralPolicy()).metrics
    # each of the role's two people is paid $10k for every measured year closed
    assert m[f"payout_cost_{role}"] > 0 and not math.isnan(m[f"payout_cost_{role}"])


def test_company_measures_need_team_scope() -> None:
    plan = {**TINY["plans"][0], "name": "x", "csm": _bonus("company_nrr")}
    plan["csm"]["components"][0]["scope"] = "individual"
    with pytest.raises(ValueError, match="measures the whole company"):
        tiny(plans=[plan])

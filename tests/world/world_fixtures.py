"""Tiny scenarios for world tests (fast: a handful of people and a few dozen customers)."""

from __future__ import annotations

import copy
import math
from typing import Any

from sim.scenario import Scenario

TINY: dict[str, Any] = {
    "name": "tiny",
    "company": {
        "horizon_years": 1,
        "warmup_years": 0.25,
        "fiscal_year_start_month": 2,
        "segments": {
            "smb": {
                "starting_customers": 40,
                "leads_per_month": 12,
                "list_acv_mean_usd": 9000,
                "sales_cycle_days": 30,
                "implementation_days": 10,
                "annual_churn": 0.16,
            },
            "mid_market": {
                "starting_customers": 15,
                "leads_per_month": 4,
                "list_acv_mean_usd": 35000,
                "sales_cycle_days": 60,
                "implementation_days": 30,
                "annual_churn": 0.09,
            },
            "enterprise": {
                "starting_customers": 5,
                "leads_per_month": 1,
                "list_acv_mean_usd": 140000,
                "sales_cycle_days": 120,
                "implementation_days": 60,
                "annual_churn": 0.05,
            },
        },
        "reps": {"headcount": 4, "max_open_opportunities": 10},
        "consultants": {"headcount": 2, "concurrent_projects": 3},
        "csms": {"headcount": 2, "max_accounts": 100},
        "marketing": {"headcount": 1},
    },
    "plans": [
        {
            "name": "base",
            "ae": {
                "base_salary_annual_usd": 100000,
                "target_variable_annual_usd": 100000,
                "quota": {"measure": "bookings_acv", "annual_amount": 400000, "period": "quarter"},
                "components": [
                    {
                        "name": "commission",
                        "measure": "bookings_acv",
                        "rates": [{"from_attainment": 0, "rate": 0.10}, {"from_attainment": 1, "rate": 0.15}],
                    }
                ],
            },
            "csm": {"base_salary_annual_usd": 88000},
        },
    ],
    "experiment": {"seed": 7},
}


def tiny(**overrides: Any) -> Scenario:
    """The tiny scenario with dotted-path overrides (``company.reps.headcount=2`` as a kwarg
    ``company__reps__headcount=2``)."""
    data = copy.deepcopy(TINY)
    for key, value in overrides.items():
        parts = key.split("__")
        node = data
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return Scenario.model_validate(data)


def same(a: float, b: float) -> bool:
    """Equal, with NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or a == b

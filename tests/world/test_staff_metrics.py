"""Per-person outcomes of a plan (``sim.staff_metrics``) against counts and formulas by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.scenario.plans import PlanDesign
from sim.staff_metrics import roster_table, staff_metrics
from sim.time.calendar import DAYS_PER_YEAR

PLAN = PlanDesign.model_validate(
    {
        "name": "p",
        "ae": {"base_salary_annual_usd": 100_000, "target_variable_annual_usd": 100_000},
        "csm": {"base_salary_annual_usd": 80_000},
    }
)
START, END = 100.0, 100.0 + 2 * DAYS_PER_YEAR  # two measured years


def test_attrition_ote_attainment_and_pay_spread() -> None:
    people = {
        0: ("ae", 0.0, math.inf),
        1: ("ae", 0.0, 400.0),  # leaves inside the window
        2: ("ae", 0.0, math.inf),
        3: ("ae", 410.0, math.inf),  # a backfill: not employed the whole window
        4: ("ae", 0.0, 50.0),  # left before the window: not a leaver of the window
        5: ("csm", 0.0, math.inf),
    }
    pay = {"ae:0": 240_000.0, "ae:1": 10_000.0, "ae:2": 80_000.0, "ae:3": 5_000.0}  # over 2 years
    m = staff_metrics(people, pay, PLAN, START, END)
    assert m["attrition_ae"] == pytest.approx(1 / 2)  # one leaver in two years
    assert m["attrition_csm"] == 0.0
    whole = np.array([120_000.0, 40_000.0])  # ae:0 and ae:2 per year
    assert m["ote_attainment_ae"] == pytest.approx(float(np.mean((100_000 + whole) / 200_000)))
    assert m["pay_spread_ae"] == pytest.approx(float(np.percentile(whole, 90) - np.percentile(whole, 10)))
    assert m["ote_attainment_csm"] == pytest.approx(1.0)  # salary only: exactly on target
    assert math.isnan(m["pay_spread_csm"])  # one CSM: no spread


def test_roster_table_keys_match_people_pay() -> None:
    assert roster_table({7: ("ae", 0.0, math.inf)}) == {"ae:7": [0.0, math.inf]}

"""Outcomes for the people a plan pays: attrition, on-target-earnings attainment and pay spread.

Pure functions of the pay state's roster (``person -> (role, hired, left)``, from the ``hire``
and ``leave`` events of the ledger), the variable pay by person over the measured window and
the plan. Definitions in ``docs/metrics.md`` ("People under a plan"):

* ``attrition_<role>``: people of the role who left during the measured window, per year;
* ``ote_attainment_<role>``: mean over the people employed for the whole window of (base
  salary + variable pay per year) / on-target earnings (base + target variable);
* ``pay_spread_<role>``: P90 − P10 of variable pay per year over the same people (NaN with
  fewer than two of them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from sim.scenario.plans import PlanDesign
from sim.time.calendar import DAYS_PER_YEAR

Roster = Mapping[int, tuple[str, float, float]]


def roster_table(people: Roster) -> dict[str, list[float]]:
    """``role:id -> [hired day, left day]`` (the key of ``ReplicationResult.people_pay``)."""
    return {f"{role}:{p}": [float(hired), float(left)] for p, (role, hired, left) in people.items()}


def staff_metrics(
    people: Roster, variable_by_person: Mapping[str, float], plan: PlanDesign, start: float, end: float
) -> dict[str, float]:
    """The metrics of the module docstring for every role with people (see there)."""
    years = max((end - start) / DAYS_PER_YEAR, 1e-9)
    out: dict[str, float] = {}
    roles = sorted({role for role, _, _ in people.values()})
    for role in roles:
        mine = [(p, h, left) for p, (r, h, left) in people.items() if r == role]
        out[f"attrition_{role}"] = sum(1 for _, _, left in mine if start <= left < end) / years
        whole = [p for p, h, left in mine if h <= start and left >= end]
        pay = np.array([variable_by_person.get(f"{role}:{p}", 0.0) / years for p in whole], dtype=float)
        rp = plan.role(role)
        ote = rp.on_target_earnings_usd
        out[f"ote_attainment_{role}"] = (
            float(np.mean((rp.base_salary_annual_usd + pay) / ote)) if len(pay) and ote > 0 else math.nan
        )
        out[f"pay_spread_{role}"] = (
            float(np.percentile(pay, 90) - np.percentile(pay, 10)) if len(pay) >= 2 else math.nan
        )
    return out

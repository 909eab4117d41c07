"""Outcomes for the people a plan pays: attrition, on-target-earnings attainment and pay spread.

Pure functions of the pay state's roster (``person -> (role, hired, left)``, from the ``hire``
and ``leave`` events of the ledger), the variable pay by person over the measured window and
the plan. Definitions in ``docs/metrics.md`` ("People under a plan"):

* ``attrition_<role>``: people of the role who left during the measured window, per year;
* ``ote_attainment_<role>``: mean over the people employed for the whole window of (base
  salary + variable pay per year) / on-target earnings (base + target variable);
* ``pay_spread_<role>``: P90 − P10 of variable pay per year over the same people (NaN with
  fewer than two of them);
* ``vacancy_<role>``: share of the role's seat-days in the window with nobody in the seat: 1 −
  (days employed in the window, summed over the role's people) / (seats x days in the window),
  the seats being the people on staff on day 0 (each departure leaves a seat empty until its
  backfill).
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
        seats = sum(1 for _, h, _ in mine if h <= 0.0)
        days = end - start
        worked = sum(max(0.0, min(left, end) - max(h, start)) for _, h, left in mine)
        out[f"vacancy_{role}"] = 1.0 - worked / (seats * days) if seats and days > 0 else math.nan
    return out

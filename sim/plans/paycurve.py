"""Pay curves: what a role earns a year at a given quota attainment, priced by the one kernel.

For each component a curve is only defined when pay is a function of attainment: a bonus
(attainment of its ``target_value``), or a commission of a role with a quota that pays on the
quota's measure, or whose rate depends on attainment (tiers, an attainment cap); its credits are
then assumed to track the quota measure (e.g. revenue realised equal to bookings). A flat rate
per go-live or per renewal is not a function of attainment and has no curve. Attainment is
assumed the same in every period of the year. The pay of one period is built the way the
payout engine builds it, credit by credit through :func:`sim.plans.pricing.commission` and
:func:`~sim.plans.pricing.threshold_gate` (tiers, decelerators, accelerators, caps, attainment
caps, thresholds), or :func:`~sim.plans.pricing.bonus` at the close; no pay rule is restated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.plans.pricing import bonus, commission, threshold_gate
from sim.plans.rule import Rule
from sim.scenario.plans import RolePlan
from sim.vocabulary import MONTHS_PER, RATIO_MEASURES

STEPS_PER_QUOTA = 200
"""Credits per period at 100% attainment when a period's pay is built credit by credit."""
OTE_POINTS: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)
"""Attainments of the OTE table."""


def on_attainment(role_plan: RolePlan, index: int) -> bool:
    """Whether component ``index`` pays as a function of quota attainment (see the module text)."""
    comp = role_plan.components[index]
    if comp.kind == "bonus":
        return True
    q = role_plan.quota
    if q is None or comp.measure in RATIO_MEASURES:
        return False
    return comp.measure == q.measure or len(comp.rates) > 1 or comp.cap_attainment is not None


def period_pay(rule: Rule, attainment: float) -> float:
    """One person's pay for one period of ``rule`` ended at ``attainment`` (per person, no team)."""
    if rule.bonus:
        return float(bonus(rule.params, attainment * rule.target_value))
    p = rule.params
    steps = max(1, int(np.ceil(attainment * STEPS_PER_QUOTA)))
    amount = attainment * rule.quota / steps
    room = rule.cap if rule.cap is not None else np.inf
    total = held = 0.0
    for i in range(steps):
        before = i * amount / rule.quota
        pay = commission(p, amount, before, 1.0, room - total - held, 0.0)
        gated = threshold_gate(p, pay, amount, before, held)
        if gated == 0.0 and pay > 0.0:
            held += pay  # held under the threshold until attainment reaches it
        else:
            total += gated
            if gated >= pay + held:
                held = 0.0
    return total


def role_curve(role_plan: RolePlan, attainments: Sequence[float] | np.ndarray) -> dict[str, np.ndarray]:
    """``component name -> variable pay per year`` at each attainment (components whose pay is
    not a function of attainment are left out)."""
    out: dict[str, np.ndarray] = {}
    for i, comp in enumerate(role_plan.components):
        if not on_attainment(role_plan, i):
            continue
        rule = Rule.compile(role_plan, i)
        per_year = 12 / MONTHS_PER[comp.period]
        out[comp.name] = np.array([period_pay(rule, float(a)) * per_year for a in attainments])
    return out


def ote_table(role_plan: RolePlan, points: Sequence[float] = OTE_POINTS) -> dict[float, float]:
    """Total earnings per year (base + variable on attainment) at each attainment in ``points``."""
    curves = role_curve(role_plan, points)
    variable = np.sum(list(curves.values()), axis=0) if curves else np.zeros(len(points))
    return {
        float(a): float(role_plan.base_salary_annual_usd + v) for a, v in zip(points, variable, strict=True)
    }

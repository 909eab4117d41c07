"""Stage 1 as a whole: every direct estimate, which of them the data identify, and the scenario
stage 2 starts from (the current-plan scenario with the direct estimates set, the window's length
as its horizon, the discount options a CRM shows, and segments without deals switched off)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate import direct, direct_accounts
from sim.calibrate.crm import SEGMENTS, Crm
from sim.calibrate.estimates import BRIDGED, COUNT, DIRECT, Estimate
from sim.calibrate.params import BRIDGES, rounded
from sim.problems import ScenarioError
from sim.scenario.schema import Scenario

DISCOUNT_GRID = 0.01
"""Observed discounts are rounded to whole percents to find the options a company offers."""
MIN_OPTION_SHARE = 0.02
"""A discount level offered on at least this share of opportunities is one of the options."""


@dataclass
class StageOne:
    """Stage 1's estimates and the scenario stage 2 starts from."""

    estimates: list[Estimate]
    base: Scenario
    start: dict[str, float]
    """Starting values of the bridged fields (dotted paths)."""
    survival: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Kaplan-Meier account survival per segment (for the fit report)."""


def discount_options(crm: Crm) -> tuple[list[float], float] | None:
    """The discount levels offered (rounded to whole percents, each on at least 2% of
    opportunities) and the most common one; None without discounts."""
    d = crm.new_business()["discount"].dropna().to_numpy()
    if len(d) < direct.MIN_ROWS:
        return None
    levels, counts = np.unique(np.round(d / DISCOUNT_GRID) * DISCOUNT_GRID, return_counts=True)
    keep = counts / counts.sum() >= MIN_OPTION_SHARE
    options = [rounded(float(x)) for x in levels[keep]]
    return options, rounded(float(levels[np.argmax(counts)]))


def _judge(e: Estimate) -> Estimate:
    """A direct estimate is identified when its interval is finite and narrower than the estimate
    itself (log-odds: narrower than one unit)."""
    if e.stage != DIRECT or not e.identified:
        return e
    floor = 1.0 if e.path.endswith("_odds") or e.path.endswith("odds_per_fit") else 1e-9
    if not e.has_interval:
        e.identified, e.note = False, (e.note + "; " if e.note else "") + "no interval"
    elif e.high - e.low > max(abs(e.value), floor):
        e.identified = False
        e.note = (e.note + "; " if e.note else "") + "its 95% interval is wider than the estimate"
    return e


def stage_one(crm: Crm, scenario: Scenario) -> StageOne:
    """Every stage-1 estimate, and the scenario stage 2 starts from."""
    from sim.api import resolve_scenario

    segs = crm.segments()
    values: dict[str, object] = {}
    got = discount_options(crm)
    if got is not None:
        values["behaviour.ae.discount_options"], values["behaviour.ae.neutral_discount"] = got
    fits = direct.fit_distribution(crm, segs, scenario.behaviour.ae.neutral_pursue_min_fit)
    means = {s: getattr(scenario.company.segments, s).mean_fit for s in segs}
    means.update({e.path.split(".")[2]: e.value for e in fits if e.path.endswith(".mean_fit")})
    ests = [
        *fits,
        *direct.win_regression(crm, scenario, segs, means),
        *direct.cycles(crm, segs),
        *direct.list_acv(crm, segs),
        *direct.volumes(crm, segs),
        *direct.source_mix(crm),
        *direct.terms(crm, segs),
        *direct_accounts.expansion_sizes(crm, segs),
        direct_accounts.expansion_win_rate(crm, scenario),
        *direct_accounts.starting_book(crm, segs),
        direct_accounts.headcount(crm),
        direct_accounts.attrition(crm, scenario),
        direct_accounts.ramp(crm, scenario),
    ]
    ests = [_judge(e) for e in ests]
    start: dict[str, float] = {}
    for e in ests:
        if e.stage == BRIDGED:
            start[e.path] = e.value
        elif e.stage == COUNT:
            values[e.path] = round(e.value)
        elif e.stage == DIRECT and e.identified:
            values[e.path] = rounded(e.value)
    for s in SEGMENTS:  # a segment without deals is switched off
        if s not in segs:
            values[f"company.segments.{s}.leads_per_month"] = 0.0
            values[f"company.segments.{s}.starting_customers"] = 0
    c = scenario.company
    values["company.horizon_years"] = rounded(crm.months / 12.0)
    values["company.warmup_years"] = rounded(max(round(c.warmup_years * 4), 1) / 4.0)
    base = resolve_scenario(scenario, values)
    for path, v in start.items():  # bridged fields start from stage 1, within the field's limits
        try:
            base = resolve_scenario(base, {path: rounded(v)})
        except ScenarioError:
            continue
    paths = [*start, *(b.path(s) for b in BRIDGES for s in (segs if b.per_segment else [""]))]
    start = {p: float(_field(base, p)) for p in dict.fromkeys(paths)}
    survival = direct_accounts.survival_curves(crm, segs)
    return StageOne(ests, base, start, survival)


def _field(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for part in path.split("."):
        node = getattr(node, part)
    return node

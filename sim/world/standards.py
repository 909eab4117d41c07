"""Consultants' working standards: how carefully (or fast) a consultant works the projects of a
period, chosen once for all of them.

A consultant whose plan pays on what projects earn (go-lives, 90-day success, first-year
renewals) chooses, at the start of every ``behaviour.consultant.standard_months`` months, the
speed of every project they will start in the period (Decision ``implementation_standard``, the
options of ``implementation_speed``). The options are valued over the projects the period is
expected to bring the consultant: the projects started in the last period per seated consultant,
each described as the team's last projects are (:meth:`ImplementationTeam._table`, averaged), so
a working standard's stake is the period's pay rather than one project's. A consultant whose plan
pays on nothing a project earns decides project by project, at the neutral pace
(``sim/world/implementation.py``).
"""

from __future__ import annotations

import numpy as np

from sim.policy.decisions import Decision, Option, OptionTable, OutcomeColumn
from sim.policy.lazy import table_options
from sim.world.implementation import ImplementationTeam
from sim.world.services import Choices, Clock

SAMPLE = 64
"""Recent projects a standard's options are described from."""
_WEIGHTED = (
    "delay_days", "go_live_delay_days", "success_probability", "renewal_delay_days", "churn_probability",
    "failure_probability",
)  # fmt: skip


class WorkingStandards:
    """The consultants' standards (on when their plan pays on what projects earn)."""

    def __init__(self, team: ImplementationTeam, clock: Clock, choices: Choices, months: int) -> None:
        self.team = team
        self.clock = clock
        self.choices = choices
        self.months = months
        self.on = bool(team.measures) and len(team.people) > 0
        self._seen = 0
        """Projects started up to the last standard's decision."""
        if self.on:
            team.standard = np.full(len(team.people), team.neutral, dtype=np.int64)

    def decide(self, month: int, us: np.ndarray) -> None:
        """At a period start, each seated consultant's standard for the period (``us``: a uniform
        per seat)."""
        team = self.team
        if not self.on or month % self.months or team.standard is None:
            return
        started = len(team.started)
        new, self._seen = started - self._seen, started
        seated = max(1, int((~team.bench.vacant).sum()))
        sample = team.started[-SAMPLE:]
        if not sample or new == 0:
            return
        table = self._table(sample, new / seated)
        labels = tuple(
            Option(f"speed {s:g}", (), e, s)
            for s, e in zip(team.speeds, table.effort_kusd.tolist(), strict=True)
        )
        now = float(self.clock.env.now)
        for k, person in enumerate(team.people):
            if team.bench.vacant[k]:
                continue
            d = Decision(
                "implementation_standard", now, "consultant", person,
                table_options(lambda: table, labels), team.neutral,
                {"month": float(month), "projects": new / seated}, table,
            )  # fmt: skip
            team.standard[k] = self.choices.one(d, float(us[k]))

    def _table(self, sample: list[int], per: float) -> OptionTable:
        """The options over ``per`` projects like the ``sample``'s: per measure, the expected credit of
        a period's projects at each speed (fields weighted by each project's credit) and their effort."""
        team = self.team
        tables = [team._table(c, 0.0) for c in sample]
        n = len(team.speeds)
        effort = per * np.mean([t.effort_kusd for t in tables], axis=0)
        cols = []
        for j, first in enumerate(tables[0].columns):
            credit = np.array([t.columns[j].amount * t.columns[j].probability for t in tables])
            weight = np.array([t.columns[j].probability for t in tables])
            w = np.maximum(weight.sum(axis=0), 1e-12)
            fields = {
                f: (np.array([getattr(t.columns[j], f) for t in tables]) * weight).sum(axis=0) / w
                for f in _WEIGHTED
            }
            p = weight.mean(axis=0)
            amount = per * credit.mean(axis=0) / np.maximum(p, 1e-12)
            cols.append(OutcomeColumn.build(first.measure, n, amount=amount, probability=p, **fields))
        return OptionTable(tuple(cols), effort)

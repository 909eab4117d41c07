"""Headcount and coverage as plan levers: what a plan variant changes about who is employed.

A plan may carry company-level overrides of its organisation (``plans[].staffing``): a change of
headcount per role relative to the company (``add: {csm: 2}``) and a CSM coverage per segment
(``csm_max_accounts: {enterprise: 40}``: the accounts one CSM of that segment carries at most,
which also sets how the CSMs are split across segments). Plans are compared paired as for pay
rules: the people every plan has keep their person ids and their draws (see ``docs/model.md``,
"Headcount and coverage as levers"), and cost includes the added salaries.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from sim.scenario.base import PositiveInt, StrictModel
from sim.vocabulary import Role, Segment


class Staffing(StrictModel):
    """The plan's changes to the company's organisation (none by default)."""

    add: dict[Role, int] = Field(default_factory=dict)
    """People added to (positive) or removed from (negative) each role's company headcount, e.g.
    ``{csm: 2}`` or ``{ae: -1}``; the result is at least 0. Added people are hired on day 0 and paid
    the role's base salary, so the plan's cost includes them."""
    csm_max_accounts: dict[Segment, PositiveInt] = Field(default_factory=dict)
    """CSM coverage per segment: accounts one CSM of the segment carries at most (instead of
    ``company.csms.max_accounts``); CSMs are split across segments in proportion to the segment's
    expected accounts over its coverage. Accounts beyond every CSM's room stay unassigned."""

    @field_validator("add")
    @classmethod
    def _bounded(cls, v: dict[str, int]) -> dict[str, int]:
        for role, k in v.items():
            if abs(k) > 10_000:
                raise ValueError(f"{role}: expected a change of at most 10000 people, found {k}")
        return v

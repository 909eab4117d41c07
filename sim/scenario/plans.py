"""Compensation plans as data: the levers a comp designer pulls.

A plan design gives every role a :class:`RolePlan`: base pay, a target variable amount,
an optional quota, and pay components. Components say *what* is measured, *how* it is
turned into pay (a tiered commission or a bonus curve), *when* it pays, and what is
clawed back. Nothing here names a plan type: behaviour follows from these rules.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.base import Fraction, NonNegative, NonNegativeInt, Positive, PositiveInt, StrictModel
from sim.scenario.staffing import Staffing
from sim.vocabulary import COMPANY_MEASURES, MEASURES, ROLES, CreditRole, Measure, Period, Role, SpiffEvent

__all__ = ["MEASURES", "ROLES", "CreditRole", "Measure", "Period", "PlanDesign", "Role", "SpiffEvent"]

BOOKING_MEASURES: tuple[str, ...] = ("bookings_acv", "new_logo_acv", "upsell_acv", "cross_sell_acv")
"""Measures credited by a signed deal (a booking), which knows its contract term."""
SHARE_SCALE = 1_000_000
"""Split-credit shares are kept to a millionth (the payout engine's tables hold them as integers)."""

PayTiming = Literal["on_booking", "at_go_live", "on_revenue", "on_cash", "at_renewal", "after_success"]
ClawbackTrigger = Literal["churn", "non_payment", "failed_implementation"]


def _churn_only() -> list[ClawbackTrigger]:
    return ["churn"]


def _csm_only() -> list[CreditRole]:
    return ["csm"]


def _ae_only() -> list[CreditRole]:
    return ["ae"]


class Tier(StrictModel):
    """A marginal rate that applies from an attainment level upward (like tax brackets)."""

    from_attainment: NonNegative
    """Attainment (measure to date / quota for the period) at which this rate starts."""
    rate: NonNegative
    """Pay per unit of the measure: per dollar for money measures, per event for counts. A
    higher rate than the tier below is an accelerator, a lower one a decelerator."""


class CurvePoint(StrictModel):
    """A point of a bonus payout curve (linear between points, flat beyond the ends)."""

    attainment: NonNegative
    """Attainment of the bonus's ``target_value`` (measure / target value) at this point."""
    payout: NonNegative
    """Share of the target bonus paid at this attainment."""


class DiscountBand(StrictModel):
    """Discount-linked rate: deals discounted up to ``max_discount`` earn ``multiplier`` x rate."""

    max_discount: Fraction
    """Deals discounted up to this fraction (and above the previous band's) fall in this band."""
    multiplier: NonNegative
    """Factor on the commission rate for deals in this band (beyond every band: 0)."""


class MultiYear(StrictModel):
    """Multi-year / total-contract-value rule of a commission on bookings: contract years beyond
    the first also pay, at a share of the first year's pay (quota attainment still counts the
    first-year ACV)."""

    later_year_share: Fraction = 1.0
    """Pay earned per contract year beyond the first, as a share of the first year's (1 = paid on
    total contract value)."""
    max_years: Positive = 3.0
    """Contract years counted at most (the TCV cap)."""


class Clawback(StrictModel):
    """Pay returned when a credited customer churns, fails to pay or fails to go live."""

    window_days: Positive = 365.0
    """Days after the credit during which a trigger event claws the pay back."""
    share: Fraction = 1.0
    """Share of the pay returned (and of the pay still pending that is cancelled)."""
    triggers: list[ClawbackTrigger] = Field(default_factory=_churn_only)
    """Events that claw back: the customer churns, fails to pay, or fails to go live."""

    @field_validator("triggers")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("at least one trigger is needed")
        return v


class Component(StrictModel):
    """One pay component of a role plan."""

    name: str = Field(min_length=1)
    """Name of the component, unique within the role plan (payout tables are keyed by it)."""
    measure: Measure
    """What the component pays on (``docs/metrics.md``, "Measures")."""
    kind: Literal["commission", "bonus"] = "commission"
    """``commission``: a rate per unit of the measure (``rates``); ``bonus``: ``target_usd`` x
    ``curve`` at the period's close."""
    scope: Literal["individual", "team"] = "individual"
    """Individual measures count the person's own credits; team measures the whole role's."""
    period: Period = "quarter"
    """Period over which the measure accumulates and attainment resets."""
    pays: PayTiming = "on_booking"
    """When the pay of a credit is released: at once, at go-live, after implementation success,
    at renewal, pro rata with the deal's revenue or its cash."""
    success_days: PositiveInt = 90
    """For ``pays: after_success``: days a customer must stay live and healthy."""
    rates: list[Tier] = Field(default_factory=list)
    """Commission: marginal rate tiers by quota attainment (first tier from 0)."""
    target_usd: NonNegative = 0.0
    """Bonus: amount paid per period at 100% of ``target_value``."""
    target_value: Positive = 1.0
    """Bonus: measure value that counts as 100% (e.g. 0.92 for GRR, or a dollar amount)."""
    curve: list[CurvePoint] = Field(default_factory=list)
    """Bonus: payout curve by attainment of ``target_value``."""
    threshold_attainment: NonNegative = 0.0
    """Nothing is paid for a period whose attainment ends below this."""
    cap_per_period_usd: Positive | None = None
    """Most the component pays one person in one period, in dollars (none when absent)."""
    cap_share_of_ote: Positive | None = None
    """Cap as a share of the role's on-target earnings per year (1.5 = 150% of OTE), applied per
    period pro rata; with ``cap_per_period_usd`` too, the smaller cap holds."""
    cap_attainment: Positive | None = None
    """Commission: attainment (of the role's quota) beyond which credits earn nothing, e.g. 2.0
    stops pay at 200% of quota. Needs a quota; a bonus is capped by its curve's last point."""
    discount_bands: list[DiscountBand] = Field(default_factory=list)
    """Discount-linked rates: the rate is multiplied by the first band covering a deal's discount."""
    multi_year: MultiYear | None = None
    """Commission on bookings: pay on contract years beyond the first (TCV rules)."""
    clawback: Clawback | None = None
    """Pay returned when a credited customer churns, fails to pay or fails to go live."""

    @model_validator(mode="after")
    def _shape(self) -> Component:
        if self.kind == "commission":
            if not self.rates:
                raise ValueError("@rates: a commission needs at least one rate tier")
            if self.rates[0].from_attainment != 0:
                raise ValueError("@rates.0.from_attainment: the first tier must start at 0")
            starts = [t.from_attainment for t in self.rates]
            if any(b <= a for a, b in pairwise(starts)):
                raise ValueError("@rates: tiers must have strictly increasing from_attainment")
        else:
            if not self.curve:
                raise ValueError("@curve: a bonus needs a payout curve")
            xs = [p.attainment for p in self.curve]
            if any(b <= a for a, b in pairwise(xs)):
                raise ValueError("@curve: points must have strictly increasing attainment")
        if self.measure in COMPANY_MEASURES and self.scope != "team":
            raise ValueError(
                f"@scope: {self.measure} measures the whole company; expected scope: team, found {self.scope}"
            )
        if self.cap_attainment is not None and self.kind == "bonus":
            raise ValueError("@cap_attainment: a bonus is capped by its curve's last point; use the curve")
        if self.multi_year is not None and (self.kind == "bonus" or self.measure not in BOOKING_MEASURES):
            raise ValueError(
                "@multi_year: only a commission on bookings can pay on contract years "
                f"({', '.join(BOOKING_MEASURES)})"
            )
        if self.discount_bands:
            ms = [b.max_discount for b in self.discount_bands]
            if any(b <= a for a, b in pairwise(ms)):
                raise ValueError("@discount_bands: bands must have strictly increasing max_discount")
        return self


class Quota(StrictModel):
    """A quota: the measure against which commission tiers are read."""

    measure: Measure = "bookings_acv"
    """The measure attainment is read on (credits of it count toward the quota)."""
    annual_amount: Positive
    """Quota per person per year (split evenly over periods)."""
    period: Period = "quarter"
    """The quota period (the components' tiers read attainment per their own period)."""
    ramp_months: NonNegativeInt = 0
    """New-hire ramp: a person's quota in a period is the full quota x min(1, m / ramp_months),
    ``m`` their completed calendar months of tenure at the period's start; with ``m`` 0 (a period
    starting before the hire or within its first month) there is no quota: commissions pay their
    first rate, thresholds are waived. 0: no ramp. People present when the record starts (hired
    on its first day) are fully ramped."""
    ratchet: Fraction = 0.0
    """Quota ratchet (Misra & Nair 2011): a person's quota in a period = the period's quota x
    max(1, 1 + ratchet x (their attainment in the previous period - 1)), so overperforming
    raises the next quota and a shortfall never lowers it below the plan's. 0: no ratchet."""


class Spiff(StrictModel):
    """A fixed payment per qualifying event within a window."""

    event: SpiffEvent
    """The qualifying event (a new logo, a multi-year deal, an upsell, a reference...)."""
    amount_usd: Positive
    """Paid per qualifying event."""
    start_month: NonNegative = 0.0
    """Months after measurement starts when the spiff opens."""
    months: Positive | None = None
    """How long it stays open; forever when absent."""


class Draw(StrictModel):
    """A draw against variable pay: each period the person is paid at least ``amount_usd`` of
    variable pay. Non-recoverable (a guarantee), the top-up is kept; recoverable, it is an
    advance carried as a balance and recovered from later variable pay above the draw."""

    amount_usd: Positive
    """Variable pay per period the person is paid at least (pro rata for the days of a period
    the draw covers)."""
    period: Period = "month"
    """The period whose variable pay is compared with the draw; settled at its close."""
    recoverable: bool = False
    """True: each top-up is an advance recovered from the variable pay above the draw in later
    periods (a carried balance); false: a guarantee, the top-up is kept."""
    months: PositiveInt | None = None
    """Months from the person's hire that the draw covers (e.g. 3 for a new hire's first
    quarter); none: all of their employment. People present when the record starts are past
    any such window."""
    forgive_after_periods: PositiveInt | None = None
    """Recoverable: a balance still outstanding at this many consecutive period closes is
    written off (none: carried until recovered)."""
    forgive_at_leaving: bool = False
    """Recoverable: the balance left when the person leaves is written off (false: it is
    recovered by a negative line at the close of their last period)."""

    @model_validator(mode="after")
    def _forgiving_needs_a_balance(self) -> Draw:
        if not self.recoverable:
            for name in ("forgive_after_periods", "forgive_at_leaving"):
                if getattr(self, name):
                    raise ValueError(f"@{name}: only a recoverable draw has a balance to forgive")
        return self


class RolePlan(StrictModel):
    """How one role is paid."""

    base_salary_annual_usd: NonNegative = 0.0
    """Base salary per person per year (accrues day by day while employed)."""
    target_variable_annual_usd: NonNegative = 0.0
    """Variable pay at 100% of target; on-target earnings = base + this."""
    quota: Quota | None = None
    """The role's quota (none: commissions pay their first rate, tiers are not allowed)."""
    components: list[Component] = Field(default_factory=list)
    """The pay components (commissions and bonuses)."""
    spiffs: list[Spiff] = Field(default_factory=list)
    """Fixed payments per qualifying event."""
    budget_annual_usd: NonNegative = 0.0
    """Non-compensation spend the role controls, per person (e.g. an advocacy budget)."""
    draw: Draw | None = None
    """A draw or guarantee: a floor on each person's variable pay per period (none when absent)."""

    @property
    def on_target_earnings_usd(self) -> float:
        """Base plus target variable pay per year."""
        return self.base_salary_annual_usd + self.target_variable_annual_usd

    @property
    def variable_split(self) -> float:
        """Share of on-target earnings that is variable."""
        ote = self.on_target_earnings_usd
        return self.target_variable_annual_usd / ote if ote > 0 else 0.0

    @model_validator(mode="after")
    def _consistent(self) -> RolePlan:
        names = [c.name for c in self.components]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            i = names.index(dupes[0], names.index(dupes[0]) + 1)
            raise ValueError(f"@components.{i}.name: component name {dupes[0]!r} is used twice")
        if self.draw is not None and "draw" in names:
            i = names.index("draw")
            raise ValueError(
                f"@components.{i}.name: 'draw' names the draw's payout lines; rename the component"
            )
        for i, c in enumerate(self.components):
            if c.kind == "commission" and len(c.rates) > 1 and self.quota is None:
                raise ValueError(
                    f"@components.{i}.rates: attainment tiers need a quota, and the role has none"
                )
            if c.cap_attainment is not None and self.quota is None:
                raise ValueError(
                    f"@components.{i}.cap_attainment: an attainment cap needs a quota, and the role has none"
                )
        return self


class Handoff(StrictModel):
    """What the SDR who set a meeting earns when an AE takes it on (see ``docs/model.md``, SDRs)."""

    fee_usd: NonNegative = 0.0
    """Paid to the originating SDR per accepted hand-off (an AE opens an opportunity from the
    meeting); the same as a ``handoff`` spiff of this amount in the ``sdr`` plan."""
    credit_bookings: bool = False
    """Also credit the originating SDR with the new-logo deal's ``bookings_acv`` and
    ``new_logo_acv`` (so an SDR plan may pay on bookings, quota included), besides
    ``sdr_closed_acv`` which is always theirs."""


class Crediting(StrictModel):
    """Who is credited (and so paid) for expansion deals; both = paying twice."""

    upsell: list[CreditRole] = Field(default_factory=_csm_only)
    """Roles credited (and paid) for upsell deals; both roles = paying twice."""
    cross_sell: list[CreditRole] = Field(default_factory=_ae_only)
    """Roles credited (and paid) for cross-sell deals; both roles = paying twice."""
    upsell_shares: dict[CreditRole, Fraction] = Field(default_factory=dict)
    """Split credit: the share of an upsell deal's amount credited to each role listed in
    ``upsell`` (e.g. ``{ae: 0.5, csm: 0.5}``; to a millionth); a role not named is credited in
    full. Shares need not sum to 1 (an overlay credits both in full)."""
    cross_sell_shares: dict[CreditRole, Fraction] = Field(default_factory=dict)
    """Split credit of cross-sell deals, as ``upsell_shares``."""
    handoff: Handoff = Field(default_factory=lambda: Handoff())
    """SDR hand-offs: a fee per accepted meeting and/or bookings credit to the originating SDR."""

    @field_validator("upsell", "cross_sell")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("each role may be listed once")
        if not v:
            raise ValueError("someone must work these deals: list ae, csm or both")
        return v

    @model_validator(mode="after")
    def _shares_of_credited_roles(self) -> Crediting:
        for kind in ("upsell", "cross_sell"):
            credited = getattr(self, kind)
            for role in getattr(self, f"{kind}_shares"):
                if role not in credited:
                    raise ValueError(
                        f"@{kind}_shares.{role}: {role} is not credited for {kind.replace('_', '-')} deals "
                        f"(crediting.{kind}: {', '.join(credited)})"
                    )
        return self

    def share(self, kind: str, role: str) -> float:
        """The share of a ``kind`` deal (upsell, cross_sell) credited to ``role``: 0 when the role
        is not credited, its split share (to a millionth) or 1. The payout engine and the world's
        valuation of expansion work both read it here."""
        if role not in getattr(self, kind):
            return 0.0
        share = getattr(self, f"{kind}_shares").get(role, 1.0)
        return round(share * SHARE_SCALE) / SHARE_SCALE


class PlanDesign(StrictModel):
    """A named plan design: one role plan per role and crediting rules."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    """The plan's name (letters, digits, ``_.-``): how tables, errors and ``--set`` refer to it."""
    description: str = ""
    """What the plan is and why, in words (shown in the report)."""
    ae: RolePlan = Field(default_factory=RolePlan)
    """How account executives are paid."""
    csm: RolePlan = Field(default_factory=RolePlan)
    """How customer success managers are paid."""
    consultant: RolePlan = Field(default_factory=RolePlan)
    """How implementation consultants are paid."""
    marketing: RolePlan = Field(default_factory=RolePlan)
    """How marketers are paid."""
    product: RolePlan = Field(default_factory=RolePlan)
    """How the product team is paid (team measures only, e.g. tickets)."""
    sdr: RolePlan = Field(default_factory=RolePlan)
    """Sales/business development reps: they qualify leads and hand meetings to AEs."""
    support: RolePlan = Field(default_factory=RolePlan)
    """Support agents: they resolve customers' tickets (``company.support.headcount``)."""
    education: RolePlan = Field(default_factory=RolePlan)
    """Customer education: training that raises new customers' adoption (team measures only)."""
    customer_marketing: RolePlan = Field(default_factory=RolePlan)
    """Customer marketing: reference, case-study and event programmes (team measures only)."""
    crediting: Crediting = Field(default_factory=Crediting)
    """Who is credited for expansion deals and SDR hand-offs."""
    staffing: Staffing = Field(default_factory=Staffing)
    """The plan's changes to headcount per role and to CSM coverage per segment (none by default)."""

    def role(self, role: str) -> RolePlan:
        """The plan of one role by name."""
        if role not in ROLES:
            raise KeyError(role)
        plan: RolePlan = getattr(self, role)
        return plan

"""Behaviour parameters: how people respond to pay, and how their choices move outcomes.

These are uncertainties (EMA Workbench's sense): a designer cannot set them, only
explore them. Utilities are measured in thousands of US dollars of expected pay.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.problems import PATH_MARK
from sim.scenario.base import Fraction, NonNegative, Positive, StrictModel
from sim.scenario.team_behaviour import ProductBehaviour, SupportBehaviour, TeamEffortBehaviour


class AeBehaviour(StrictModel):
    """Account executives: effects of deal-table choices and their neutral defaults."""

    discount_options: list[Fraction] = Field(default_factory=lambda: [0.0, 0.1, 0.2, 0.3])
    """Discounts an AE may offer (share of list price)."""
    win_odds_per_discount: NonNegative = 4.0
    """Log-odds of winning gained per unit of discount (0.1 discount -> +0.4 log-odds)."""
    promise_options: list[Fraction] = Field(default_factory=lambda: [0.0, 0.5, 1.0])
    """Levels of over-promising (0 = honest, 1 = promises the product cannot keep)."""
    win_odds_per_promise: NonNegative = 0.6
    """Log-odds of winning gained per unit of over-promising (1 = fully over-promised)."""
    promise_health_gap: Fraction = 0.25
    """Starting-health penalty of a fully over-promised deal (the promise/delivery gap)."""
    overcommit_options: list[NonNegative] = Field(default_factory=lambda: [0.0, 0.25])
    """Commitment above expected usage (0.25 = sells 25% more seats than will be used)."""
    expansion_overcommit_options: list[NonNegative] = Field(default_factory=list)
    """Over-commitment options on upsell and cross-sell deals ("licence stuffing"), chosen by
    whoever the crediting rules name (the AE, else the CSM) with ``neutral_overcommit`` and
    ``win_odds_per_overcommit`` as for new deals; empty (the default) or one option: expansion
    deals book what the customer needs."""
    expansion_timing: bool = False
    """Whoever is credited with an upsell or cross-sell may move its close across a quarter end as
    AEs move new deals: pull one closing in the first two weeks of a quarter to the previous
    quarter's last day (at ``pull_in_discount`` off its ACV), or push one closing in the last two
    weeks past the quarter end (``sim/world/stuffing.py``)."""
    win_odds_per_overcommit: float = -0.4
    """Log-odds of winning per unit of over-commitment (negative: a bigger commitment is harder to sell)."""
    forecast_commit_options: list[Positive] = Field(default_factory=list)
    """Forecast commits an AE may give at each quarter start, as multiples of their honest
    expectation (last quarter's bookings); empty (the default): no forecast is committed."""
    neutral_forecast_commit: Positive = 1.0
    """The commit (multiple of the expectation) of an AE whose plan does not pay on forecast
    accuracy (nearest option chosen): above 1 is the optimism of sales forecasts."""
    timing_window_cycle_share: NonNegative = 0.25
    """How far a rep can move a close, as a share of the deal's mean sales cycle: the close-timing
    window around a quarter end is the larger of two weeks (10 working days with
    ``company.working_days``) and this share of the cycle (a longer cycle gives more control over
    timing, as Larkin 2014 observes; 0.25 is an assumption: a 150-day enterprise deal can move by
    about five weeks). 0 = always two weeks."""
    pull_in_discount: Fraction = 0.05
    """Extra discount needed to pull a deal into the current period."""
    neutral_discount: Fraction = 0.1
    """Mean discount under the neutral policy (nearest option chosen)."""
    neutral_promise: Fraction = 0.0
    """Over-promising under the neutral policy (nearest option chosen)."""
    neutral_overcommit: NonNegative = 0.0
    """Over-commitment under the neutral policy (nearest option chosen)."""
    neutral_pursue_min_fit: Fraction = 0.3
    """Under the neutral policy, leads with fit below this are not pursued."""
    effort_cost_kusd_per_opportunity: NonNegative = 0.5
    """Effort cost of working one opportunity, in $k of pay-equivalent."""
    prospecting_effort_options: list[Positive] = Field(default_factory=lambda: [0.5, 1.0, 1.5])
    """Prospecting efforts an AE chooses from each month (multipliers of the leads they source
    themselves; ``sim/world/effort.py``). Asked only when segments have self-sourced leads."""
    neutral_prospecting_effort: Positive = 1.0
    """Prospecting effort of an AE who ignores incentives."""
    prospecting_effort_cost_kusd_per_month: NonNegative = 7.0
    """Effort cost of prospecting, $k a month: ``cost x (e² − n²) / 2`` for effort ``e`` (``n`` the
    neutral effort; less effort saves cost)."""
    pay_attrition_sensitivity: NonNegative = 1.0
    """Multiplier on attrition hazard per unit shortfall of realised pay versus on-target pay."""


class ConsultantBehaviour(StrictModel):
    """Implementation consultants: speed versus quality."""

    speed_options: list[Positive] = Field(default_factory=lambda: [0.7, 1.0, 1.3])
    """Duration multipliers on offer: below 1 is faster (and lower quality)."""
    quality_per_speed: NonNegative = 0.6
    """Quality lost per unit of duration cut (quality = 1 - q * (1 - multiplier), clipped)."""
    neutral_speed: Positive = 1.0
    """Duration multiplier under the neutral policy (nearest option chosen)."""
    effort_cost_kusd_per_day: NonNegative = 0.05
    """Effort cost, in $k of pay-equivalent per consultant-day and unit of pace, of working away
    from normal speed (faster than it; slower too unless ``care_effort_cost_kusd_per_day`` is
    given); a project day costs it divided by ``company.consultants.concurrent_projects``."""
    care_effort_cost_kusd_per_day: NonNegative | None = None
    """Effort cost, in $k per consultant-day and unit of pace, of working slower (more carefully)
    than the neutral pace; absent: ``effort_cost_kusd_per_day`` (deviating costs the same either
    way)."""
    standard_months: int = Field(default=3, ge=1, le=12)
    """Months a consultant's working standard (the pace of every project started in them) holds
    when the consultant's plan pays on what projects earn; such a consultant chooses it at the start
    of each period, valuing the period's expected projects together."""
    pay_attrition_sensitivity: NonNegative = 1.0
    """Multiplier on attrition hazard per unit shortfall of realised versus on-target pay
    (``company.consultants.annual_attrition`` is the baseline)."""


class CsmBehaviour(StrictModel):
    """CSMs: how time is split and what each use of time does."""

    neutral_split: dict[str, Fraction] = Field(
        default_factory=lambda: {
            "saves": 0.35,
            "value_reviews": 0.35,
            "expansion": 0.2,
            "advocacy": 0.1,
        }
    )
    """Share of time on saves, value reviews, expansion pushes and advocacy (neutral policy)."""
    save_health_per_month: NonNegative = 0.04
    """Health added per month to an at-risk account by full-time saves attention."""
    value_review_health_per_month: NonNegative = 0.02
    """Health added per month to every account of the book by full-time value reviews."""
    expansion_multiplier: NonNegative = 1.0
    """Upsell/cross-sell opportunity rate multiplier at full-time expansion effort."""
    advocacy_multiplier: NonNegative = 2.0
    """Reference and referral rate multiplier at full-time advocacy effort."""
    pay_attrition_sensitivity: NonNegative = 1.0
    """Multiplier on attrition hazard per unit shortfall of realised versus on-target pay
    (``company.csms.annual_attrition`` is the baseline)."""

    @model_validator(mode="after")
    def _split_is_a_split(self) -> CsmBehaviour:
        valid = {"saves", "value_reviews", "expansion", "advocacy"}
        unknown = set(self.neutral_split) - valid
        if unknown:
            raise ValueError(
                f"{PATH_MARK}neutral_split.{sorted(unknown)[0]}: unknown activity; "
                f"valid: {', '.join(sorted(valid))}"
            )
        total = sum(self.neutral_split.values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"{PATH_MARK}neutral_split: shares must sum to 1, found {total:g}")
        return self


class MarketingBehaviour(StrictModel):
    """Marketing: lead volume versus fit."""

    volume_options: list[Positive] = Field(default_factory=lambda: [0.8, 1.0, 1.3])
    """Lead-volume multipliers; more volume lowers fit."""
    fit_per_volume: NonNegative = 0.3
    """Fit lost by marketing leads per unit of volume above 1 (more leads, worse fit)."""
    neutral_volume: Positive = 1.0
    """Lead-volume multiplier under the neutral policy (nearest option chosen)."""


class SdrBehaviour(StrictModel):
    """SDRs: how strictly they qualify (meeting volume versus fit), decided lead by lead."""

    neutral_min_fit: Fraction = 0.3
    """Under the neutral policy, a worked lead with fit at or above this gets a meeting; below,
    it is qualified out (the neutral qualification threshold)."""
    effort_cost_kusd_per_meeting: NonNegative = 0.1
    """Effort of setting a meeting (outreach, scheduling, the hand-off call), $k of pay-equivalent;
    with the pay a meeting is expected to bring, it sets how strict an incentive-driven SDR is."""
    pay_attrition_sensitivity: NonNegative = 1.0
    """Multiplier on attrition hazard per unit shortfall of realised versus on-target pay."""
    acceptance_prior_weight: Positive = 5.0
    """Weight, in pseudo-meetings, of the prior that an AE accepts a meeting exactly when the
    lead's fit is at least ``ae.neutral_pursue_min_fit``; SDRs update it with the acceptances they
    see, per segment and fit band."""


class Behaviour(StrictModel):
    """How people respond to pay (rationality, risk, time) and role-specific effects."""

    rationality_per_kusd: NonNegative = 1.0
    """Logit rationality lambda per $1000 of expected pay; 0 means incentives are ignored."""
    stake_reference_variable_usd: Positive | None = None
    """When given, ``rationality_per_kusd`` holds for a person whose annual variable pay at target is
    this amount, and a person of a role whose plan targets variable pay ``V`` judges stakes with
    ``rationality_per_kusd x this / V`` (a stake is weighed against what the pay plan puts at
    stake); absent, or for a role without variable pay at target, every role uses
    ``rationality_per_kusd`` as is."""
    risk_aversion_per_kusd: NonNegative = 0.0
    """Mean-variance risk aversion per $1000 (utility = E[pay] - r/2 * Var[pay])."""
    annual_time_preference: NonNegative = 0.15
    """Annual discount rate applied to pay that arrives later."""
    ae: AeBehaviour = Field(default_factory=AeBehaviour)
    """Account executives' deal-table choices."""
    consultant: ConsultantBehaviour = Field(default_factory=ConsultantBehaviour)
    """Implementation consultants' speed versus quality."""
    csm: CsmBehaviour = Field(default_factory=CsmBehaviour)
    """CSMs' split of time."""
    marketing: MarketingBehaviour = Field(default_factory=MarketingBehaviour)
    """Marketing's lead volume versus fit."""
    sdr: SdrBehaviour = Field(default_factory=SdrBehaviour)
    """SDRs' qualification strictness."""
    product: ProductBehaviour = Field(default_factory=ProductBehaviour)
    """The product team's quality-versus-features focus."""
    support: SupportBehaviour = Field(default_factory=SupportBehaviour)
    """Support agents' resolution pace."""
    education: TeamEffortBehaviour = Field(default_factory=TeamEffortBehaviour)
    """Customer educators' effort."""
    customer_marketing: TeamEffortBehaviour = Field(default_factory=TeamEffortBehaviour)
    """Customer marketers' effort."""

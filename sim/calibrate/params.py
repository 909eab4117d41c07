"""What stage 2 estimates: world fields matched to their own statistic (bridges) and behaviour
fields chosen by simulated method of moments, each on the scale it is searched on."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special


@dataclass(frozen=True)
class Scale:
    """A scale a field or a moment is moved on: ``log``, ``logit`` or ``linear``."""

    name: str

    def to(self, x: float) -> float:
        """The value on this scale (NaN when it has none: log of 0...)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.name == "log":
                return math.log(x) if x > 0 else math.nan
            if self.name == "logit":
                return float(special.logit(x)) if 0 < x < 1 else math.nan
        return float(x)

    def back(self, y: float) -> float:
        """The value of a point of this scale."""
        if self.name == "log":
            return math.exp(y)
        if self.name == "logit":
            return float(special.expit(y))
        return float(y)

    def slope(self, x: float) -> float:
        """d(scale)/dx at ``x`` (for the delta method)."""
        if self.name == "log":
            return 1.0 / x
        if self.name == "logit":
            return 1.0 / (x * (1.0 - x))
        return 1.0


LOG, LOGIT, LINEAR = Scale("log"), Scale("logit"), Scale("linear")


@dataclass(frozen=True)
class Bridge:
    """A world field matched to its observed statistic by simulation: the field moves on ``scale``,
    the moment on ``moment_scale``, and ``slope`` is the first guess of d(moment)/d(field) on those
    scales (replaced by the simulated one). ``{segment}`` in ``field`` and ``moment`` makes one
    bridge per segment."""

    field: str
    moment: str
    scale: Scale
    moment_scale: Scale
    slope: float
    low: float
    high: float
    integer: bool = False
    step: float = 0.25
    """Jacobian step on the field's scale."""
    max_width: float = 0.0
    """Widest 95% interval of an identified field (0: the estimate's own size)."""
    events: str = ""
    """The moment counting the observed events behind the statistic (``""``: a statistic of many
    observations; for a ratio of flows, GRR and NRR, the effective number of accounts whose ARR
    moved, weighted by how much: :func:`~sim.calibrate.moments.effective_events`); with fewer than
    :data:`MIN_EVENTS` of them the field is not identified."""

    def path(self, segment: str) -> str:
        """The field's dotted path (for one segment)."""
        return self.field.format(segment=segment)

    def moment_name(self, segment: str) -> str:
        """The moment's name (for one segment)."""
        return self.moment.format(segment=segment)

    def events_name(self, segment: str) -> str:
        """The name of the moment counting its statistic's events (for one segment; "" for none)."""
        return self.events.format(segment=segment)

    @property
    def per_segment(self) -> bool:
        """Whether there is one bridge per segment."""
        return "{segment}" in self.field

    def value(self, x: float) -> float:
        """``x`` within the field's limits (a whole number for an integer field)."""
        x = min(max(x, self.low), self.high)
        return float(round(x)) if self.integer else rounded(x)


MIN_EVENTS = 16
"""Observed events a rate or share of events needs for its field to be identified: with fewer, the
statistic's relative error is over a quarter (1/sqrt(16)) and its spread across histories is too
skewed, and too poorly estimated from a few replications, for a linearised interval."""
_SEG = "company.segments.{segment}."
BRIDGES: tuple[Bridge, ...] = (
    Bridge(_SEG + "leads_per_month", "opportunities_per_month.{segment}", LOG, LOG, 1.0, 0.01, 1e5),
    Bridge(_SEG + "base_win_rate", "win_rate.{segment}", LOGIT, LOGIT, 1.0, 0.002, 0.998),
    Bridge(_SEG + "list_acv_mean_usd", "log_list_acv.{segment}", LOG, LINEAR, 1.0, 100.0, 1e8),
    Bridge(_SEG + "list_acv_cv", "log_list_acv_sd.{segment}", LOG, LOG, 0.9, 0.01, 5.0),
    Bridge(_SEG + "mean_fit", "fit_mean.{segment}", LOGIT, LOGIT, 0.8, 0.02, 0.98),
    Bridge(_SEG + "fit_concentration", "fit_sd.{segment}", LOG, LOG, -0.5, 0.5, 200.0),
    Bridge(_SEG + "sales_cycle_days", "cycle_days.{segment}", LOG, LOG, 1.0, 1.0, 2000.0),
    Bridge(
        _SEG + "annual_churn",
        "logo_churn.{segment}",
        LOGIT,
        LOGIT,
        1.0,
        0.002,
        0.95,
        step=0.4,
        events="churned_accounts.{segment}",
    ),
    Bridge(
        _SEG + "annual_contraction",
        "grr.{segment}",
        LINEAR,
        LINEAR,
        -0.8,
        0.0,
        0.9,
        step=0.05,
        events="lost_arr_events.{segment}",
    ),
    Bridge(
        _SEG + "annual_expansion",
        "nrr.{segment}",
        LINEAR,
        LINEAR,
        1.0,
        0.0,
        2.0,
        step=0.05,
        events="gained_arr_events.{segment}",
    ),
    Bridge(
        _SEG + "upsell_opportunities_per_year",
        "upsells_per_account_year.{segment}",
        LOG,
        LOG,
        1.0,
        1e-4,
        20.0,
        events="won_upsells.{segment}",
    ),
    Bridge(
        _SEG + "cross_sell_opportunities_per_year",
        "cross_sells_per_account_year.{segment}",
        LOG,
        LOG,
        1.0,
        1e-4,
        20.0,
        events="won_cross_sells.{segment}",
    ),
    Bridge(_SEG + "starting_customers", "accounts_at_start.{segment}", LOG, LOG, 1.0, 1.0, 1e6, integer=True),
    Bridge("company.reps.headcount", "aes_employed", LOG, LOG, 1.0, 1.0, 1e4, integer=True),
    Bridge(
        "company.reps.annual_attrition",
        "ae_departures_per_year",
        LOG,
        LOG,
        1.0,
        0.005,
        0.95,
        events="ae_departures",
    ),
    Bridge(
        "company.deals.win_odds_per_fit",
        "win_logit.fit",
        LINEAR,
        LINEAR,
        1.0,
        0.0,
        40.0,
        step=0.5,
        max_width=1.0,  # a log-odds slope: identified, as in stage 1, when known to within one unit
    ),
)
"""The bridged world fields. Promises, pursuit, health, capacity and the warm-up come between these
fields and what a CRM shows, so each is set by simulating until its statistic matches."""


@dataclass(frozen=True)
class BehaviourParam:
    """A behaviour field searched by simulated method of moments within ``[low, high]``."""

    path: str
    low: float
    high: float
    scale: Scale

    def unit(self, x: float) -> float:
        """``x`` as a share of the search range on its scale (0 = low, 1 = high)."""
        lo, hi = self.scale.to(self.low), self.scale.to(self.high)
        return (self.scale.to(x) - lo) / (hi - lo)

    def from_unit(self, u: float) -> float:
        """The value at share ``u`` of the search range."""
        lo, hi = self.scale.to(self.low), self.scale.to(self.high)
        return self.scale.back(lo + min(max(u, 0.0), 1.0) * (hi - lo))


BEHAVIOUR: tuple[BehaviourParam, ...] = (
    BehaviourParam("behaviour.rationality_per_kusd", 0.02, 8.0, LOG),
    BehaviourParam("behaviour.risk_aversion_per_kusd", 0.0, 3.0, LINEAR),
    BehaviourParam("behaviour.ae.pull_in_discount", 0.0, 0.2, LINEAR),
    BehaviourParam("behaviour.ae.effort_cost_kusd_per_opportunity", 0.0, 3.0, LINEAR),
)
"""Behaviour fields stage 2 can search, and their ranges (the ranges an unidentified one is
reported with)."""
DEFAULT_BEHAVIOUR: tuple[str, ...] = tuple(p.path for p in BEHAVIOUR[:3])
"""What stage 2 searches unless told otherwise. The effort of working an opportunity is left out:
a CRM shows the leads that were pursued, never those that were not, so effort and the lead
volume and fit distribution it filters are not told apart (it is reported as not identified)."""
BEHAVIOUR_MOMENTS: tuple[str, ...] = (
    "discount_share.",
    "late_close_share",
    "early_close_share",
    "quarter_end_discount_gap",
    "attainment_below_quota",
    "attainment_above_quota",
    "low_fit_share",
    "log_acv_won_mean",
    "log_acv_won_sd",
)
"""Moments (names or prefixes) the behaviour fields are chosen to match."""


def is_bridge_moment(name: str) -> bool:
    """Whether ``name`` is the moment of one of :data:`BRIDGES`."""
    return any(
        name == b.moment or (b.per_segment and name.startswith(b.moment.split("{")[0])) for b in BRIDGES
    )


def is_behaviour_moment(name: str) -> bool:
    """Whether ``name`` is one of :data:`BEHAVIOUR_MOMENTS`."""
    return any(name == m or (m.endswith(".") and name.startswith(m)) for m in BEHAVIOUR_MOMENTS)


def behaviour_param(path: str) -> BehaviourParam:
    """The behaviour parameter of ``path`` (KeyError for a field stage 2 does not search)."""
    for p in BEHAVIOUR:
        if p.path == path:
            return p
    raise KeyError(path)


def rounded(x: float) -> float:
    """A value as written to the calibrated scenario (6 significant digits)."""
    return float(f"{x:.6g}")

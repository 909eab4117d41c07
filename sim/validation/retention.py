"""Exact special cases of the customer base: retention, lifetime value and Little's law.

Each case builds its own small scenario (plain data validated by
:func:`sim.scenario.load.validate_data`, so the command runs anywhere), simulates a few
replications under the neutral policy and compares the result with a closed form derived from
the world's mechanics (:mod:`sim.world.accounts`, :mod:`sim.world.renewals`,
:meth:`sim.world.model.World._month`):

* **Churn** happens only at a renewal, with probability
  :func:`~sim.world.rules.renewal_churn_probability`. With
  ``renewal_health_sensitivity = 0``, no price increase (no discount at or above
  ``deep_discount``) and ``referred_churn_odds = 0`` it is the constant
  ``1 - (1 - annual_churn) ** (term / 12)``: ``annual_churn`` for annual terms.
* **Contraction and expansion** come from usage, which drifts at each month start by
  ``exp(g · dt / 365.25)`` with ``g = annual_expansion · 2h − annual_contraction · 2(1 − h)``
  (``dt`` = the days of the month just ended) and is trued up at renewal (ARR × usage; usage
  back to 1). Health ``h`` is pinned at its target (``starting_health_mean``) by switching off
  noise, champion shocks, ticket and CSM effects and fit/quality/promise effects, with full
  reversion (``health_reversion_per_month = 1``); ``usage_sd = 0`` removes the usage noise.
* **Order at a month start** (``World._month``): snapshot of every customer's ARR, then the
  month-just-ended update (health, usage drift), cash, then renewals. A renewal at month ``r``
  therefore trues up the drift of months ``r−11 … r`` — exactly the days
  ``month_starts[r] − month_starts[r−12]`` (365, or 366 across a 29 February) — and the
  snapshot at month ``r`` still shows the ARR before that renewal. The yearly cohort metrics
  (:func:`sim.metrics.retention_metrics`) compare snapshots ``a`` and ``a + 12``, so every
  customer of the cohort meets exactly one annual renewal, at one of the months
  ``a … a + 11``.

The cases use a starting book only (no new logos) for retention, so no first-term customer
(whose first true-up covers only the months since go-live) enters a cohort; a warm-up of
twelve months puts every starting customer's first renewal (months 1–12) before or at the
first measured month, so each renewal in the window trues up a full twelve months.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sim.result import ReplicationResult
from sim.scenario.schema import Scenario
from sim.time.calendar import DAYS_PER_YEAR, Calendar
from sim.validation.core import PLAIN_DEALS, Check, case, covers, equals, metric_samples

SEED = 20261123


@dataclass(frozen=True)
class Seg:
    """One segment of a validation company (everything not named here is switched off)."""

    starting_customers: int = 0
    annual_churn: float = 0.10
    annual_contraction: float = 0.0
    annual_expansion: float = 0.0
    contract_term_months: int = 12
    leads_per_month: float = 0.0
    base_win_rate: float = 0.5
    list_acv_mean_usd: float = 20_000.0
    list_acv_cv: float = 0.5

    def data(self) -> dict[str, Any]:
        """The segment as scenario data."""
        return {
            "starting_customers": self.starting_customers,
            "leads_per_month": self.leads_per_month,
            "list_acv_mean_usd": self.list_acv_mean_usd,
            "list_acv_cv": self.list_acv_cv,
            "base_win_rate": self.base_win_rate,
            # a close right after the lead: wins are the thinned lead stream, with no transient
            "sales_cycle_days": 0.001,
            "contract_term_months": self.contract_term_months,
            "annual_churn": self.annual_churn,
            "annual_contraction": self.annual_contraction,
            "annual_expansion": self.annual_expansion,
            "upsell_opportunities_per_year": 0.0,
            "cross_sell_opportunities_per_year": 0.0,
            "tickets_per_month": 0.0,
        }


OFF = Seg(annual_churn=0.0)
"""A segment with no customers and no leads."""


@dataclass(frozen=True)
class Setup:
    """A company with the features that would bend the formulas switched off."""

    name: str
    smb: Seg = OFF
    mid_market: Seg = OFF
    enterprise: Seg = OFF
    warmup_years: float = 1.0
    horizon_years: float = 2.0
    health: float = 0.5
    """The health every live customer is pinned at (``starting_health_mean``)."""
    reps: int = 0
    replications: int = 8
    seed: int = SEED
    costs: tuple[tuple[str, float], ...] = ()
    """``company.costs`` settings (unit economics only; e.g. a gross margin of 1 for the LTV case)."""

    def segs(self) -> dict[str, Seg]:
        """The three segments by name."""
        return {"smb": self.smb, "mid_market": self.mid_market, "enterprise": self.enterprise}

    def scenario_data(self) -> dict[str, Any]:
        """The scenario as plain data (see the module docstring for why each switch is set)."""
        return {
            "name": f"validation-{self.name.replace('.', '-')}",
            "description": f"{self.name} (sim.validation.retention)",
            "company": {
                "warmup_years": self.warmup_years,
                "horizon_years": self.horizon_years,
                "fiscal_year_start_month": 1,
                "segments": {k: s.data() for k, s in self.segs().items()},
                "lead_sources": {"outbound": 1.0, "marketing": 0.0},
                # reps never run out of slots and never leave: every lead is pursued
                "reps": {"headcount": self.reps, "max_open_opportunities": 500, "annual_attrition": 0.0},
                # no CSMs (no saves, value reviews or expansion pushes), no marketers, no queue:
                # with no consultants a won deal goes live at once, at quality 1 (no failure)
                "csms": {"headcount": 0},
                "marketing": {"headcount": 0},
                "consultants": {"headcount": 0, "quality_noise_sd": 0.0, "failure_quality": 0.0},
                "customers": {
                    "health_reversion_per_month": 1.0,
                    "health_noise_per_month": 0.0,
                    "renewal_health_sensitivity": 0.0,
                    "renewal_price_sensitivity": 0.0,
                    "referred_churn_odds": 0.0,
                    "referrals_per_promoter_per_year": 0.0,
                    "references_per_promoter_per_year": 0.0,
                    "usage_sd": 0.0,
                    "starting_health_mean": self.health,
                    "health_per_fit": 0.0,
                    "health_per_quality": 0.0,
                    "health_per_wait_month": 0.0,
                    "non_payment_probability": 0.0,
                    "non_payment_per_overcommit": 0.0,
                },
                "champions": {"mean_tenure_years": 1.0e6, "health_shock": 0.0, "warm_lead_probability": 0.0},
                "support": {"health_per_ticket": 0.0, "product_headcount": 0},
                "deals": {"win_odds_per_fit": 0.0, "referral_win_odds": 0.0, "champion_win_odds": 0.0},
                "costs": dict(self.costs),
            },
            "behaviour": {
                "ae": {**PLAIN_DEALS, "promise_health_gap": 0.0},
                "csm": {"save_health_per_month": 0.0, "value_review_health_per_month": 0.0},
            },
            "plans": [{"name": "no_variable_pay"}],
            "experiment": {"seed": self.seed, "replications": max(self.replications, 2)},
        }

    def scenario(self) -> Scenario:
        """The validated scenario."""
        from sim.scenario.load import validate_data

        return validate_data(self.scenario_data(), f"validation:{self.name}")

    def calendar(self) -> tuple[Calendar, int, int]:
        """(calendar, warm-up months, total months) as the world lays them out."""
        warm = round(self.warmup_years * 12)
        total = warm + max(1, round(self.horizon_years * 12))
        return Calendar(1, total), warm, total

    def run(self, keep_ledger: bool = False) -> list[ReplicationResult]:
        """Simulate the replications under the neutral policy."""
        from sim.policy.neutral import NeutralPolicy
        from sim.replication import simulate

        sc = self.scenario()
        return [
            simulate(sc, sc.plans[0].name, r, NeutralPolicy(), keep_ledger=keep_ledger)
            for r in range(self.replications)
        ]


def term_churn(annual_churn: float, term_months: int) -> float:
    """Churn probability at one renewal of a ``term_months`` contract (compounding)."""
    return 1.0 - (1.0 - annual_churn) ** (term_months / 12.0)


def naive_term_churn(annual_churn: float, term_months: int) -> float:
    """The wrong conversion: ``annual_churn / 12`` a month (simple division)."""
    return min(annual_churn * term_months / 12.0, 1.0)


def drift_rate(seg: Seg, health: float) -> float:
    """Usage growth per year at a given health: ``E·2h − C·2(1 − h)`` (``monthly_update``)."""
    return seg.annual_expansion * 2 * health - seg.annual_contraction * 2 * (1 - health)


@dataclass(frozen=True)
class RetentionTheory:
    """Expected yearly cohort metrics of a starting book with annual terms and no new logos."""

    logo_churn: float
    grr: float
    nrr: float
    factors: tuple[float, ...]
    """True-up factor of each renewal month in the measured window."""
    days: tuple[float, ...]
    """Days of drift behind each of those renewals."""


def retention_theory(setup: Setup, seg: Seg) -> RetentionTheory:
    """Expected ``logo_churn``, ``grr`` and ``nrr`` (means of the yearly cohorts).

    A customer of the cohort at snapshot ``a`` renews once, at a month ``r`` in ``a … a+11``
    (its phase is uniform: ``contract_end_month = 1 + ⌊12u⌋`` for the starting book); it
    churns with probability ``p``, else its ARR is multiplied by
    ``f_r = exp(g · (month_starts[r] − month_starts[r−12]) / 365.25)``. Churn and phase are
    independent of ARR, so the expected NRR of the cohort is ``(1 − p) · mean_r f_r``, GRR is
    ``(1 − p) · mean_r min(f_r, 1)`` and logo churn ``p``. (When the ``f_r`` of a window differ
    — a 29 February in some drift windows but not others — the ARR weights of later cohorts
    tilt by less than 1e-7; the cases use 2025–2027, where every window has 365 days.)
    """
    if seg.contract_term_months != 12 or seg.leads_per_month > 0:
        raise ValueError("retention_theory covers a starting book with annual terms and no new logos")
    cal, warm, total = setup.calendar()
    if warm < 12:
        raise ValueError("the warm-up must hold every starting customer's first renewal (12 months)")
    p = term_churn(seg.annual_churn, 12)
    g = drift_rate(seg, setup.health)
    ms = cal.month_starts
    nrr, grr, factors, days = [], [], [], []
    for a in range(warm, total - 11, 12):
        d = [float(ms[r] - ms[r - 12]) for r in range(a, a + 12)]
        f = [math.exp(g * x / DAYS_PER_YEAR) for x in d]
        nrr.append((1 - p) * float(np.mean(f)))
        grr.append((1 - p) * float(np.mean(np.minimum(f, 1.0))))
        factors.extend(f)
        days.extend(d)
    return RetentionTheory(p, float(np.mean(grr)), float(np.mean(nrr)), tuple(factors), tuple(days))


def excludes(
    name: str, wrong: float, samples: Sequence[float] | np.ndarray, *, digits: int = 4, detail: str = ""
) -> Check:
    """Pass when a *wrong* value lies outside the 95% t-interval (the case can tell it apart)."""
    c = covers(name, wrong, samples, digits=digits, detail=detail)
    ok = c.n >= 2 and math.isfinite(c.low) and not (c.low <= wrong <= c.high)
    return replace(c, expected=f"not {c.expected}", passed=bool(ok))


def _retention_checks(
    setup: Setup, suffixes: dict[str, Seg] | None = None, wrong_months: Sequence[int] = ()
) -> list[Check]:
    """Logo churn, GRR and NRR against :func:`retention_theory`, per segment when ``suffixes``
    maps metric suffixes (``_smb``...) to segments. ``wrong_months``: drift windows of the wrong
    length (e.g. 11 or 13 months between true-ups) whose NRR the interval must exclude."""
    results = setup.run()
    segs = suffixes or {"": next(s for s in setup.segs().values() if s.starting_customers)}
    out: list[Check] = []
    for suffix, seg in segs.items():
        th = retention_theory(setup, seg)
        g = drift_rate(seg, setup.health)
        about = (
            f"p={seg.annual_churn:g}, E={seg.annual_expansion:g}, C={seg.annual_contraction:g}, "
            f"h={setup.health:g}: g={g:+.4f}/yr over {min(th.days):g}-{max(th.days):g} days"
        )
        tag = f" ({suffix.lstrip('_')})" if suffix else ""
        nrr = metric_samples(results, f"nrr{suffix}")
        out += [
            covers(
                f"logo churn = p{tag}",
                th.logo_churn,
                metric_samples(results, f"logo_churn{suffix}"),
                detail=about,
            ),
            covers(
                f"GRR = (1−p)·min(f,1){tag}", th.grr, metric_samples(results, f"grr{suffix}"), detail=about
            ),
            covers(f"NRR = (1−p)·f{tag}", th.nrr, nrr, detail=about),
        ]
        for months in wrong_months:
            wrong = (1 - th.logo_churn) * math.exp(g * months / 12)
            out.append(
                excludes(
                    f"NRR with {months} months of drift per renewal{tag}",
                    wrong,
                    nrr,
                    detail="the case tells the drift window apart from a month more or less",
                )
            )
    return out


CHURN = Setup("exact.retention.churn", smb=Seg(starting_customers=4000, annual_churn=0.15), seed=SEED + 1)

CONTRACTION = Setup(
    "exact.retention.contraction",
    smb=Seg(starting_customers=4000, annual_churn=0.15, annual_contraction=0.2),
    seed=SEED + 2,
)

EXPANSION = Setup(
    "exact.retention.expansion",
    smb=Seg(starting_customers=4000, annual_churn=0.15, annual_expansion=0.2),
    seed=SEED + 3,
)

SEGMENTS = Setup(
    "exact.retention.segments",
    smb=Seg(
        starting_customers=2000,
        annual_churn=0.25,
        annual_contraction=0.15,
        annual_expansion=0.05,
        list_acv_mean_usd=8_000.0,
    ),
    mid_market=Seg(
        starting_customers=1500,
        annual_churn=0.12,
        annual_contraction=0.05,
        annual_expansion=0.10,
        list_acv_mean_usd=40_000.0,
    ),
    enterprise=Seg(
        starting_customers=1000,
        annual_churn=0.05,
        annual_contraction=0.02,
        annual_expansion=0.15,
        list_acv_mean_usd=150_000.0,
    ),
    health=0.7,
    seed=SEED,
)
"""Three segments at once, with health pinned at 0.7 (not 0.5): the drift is E·1.4 − C·0.6."""


@case(
    "exact.retention.churn",
    "Logo retention, GRR and NRR: constant churn only",
    "churn only at renewal, p constant: logo churn = p, GRR = NRR = 1 − p",
)
def _churn() -> Sequence[Check]:
    return _retention_checks(CHURN)


@case(
    "exact.retention.contraction",
    "GRR and NRR with churn and contraction (health 0.5)",
    "GRR = NRR = (1 − p)·exp(−C·D/365.25), D = days of drift between renewals (365)",
)
def _contraction() -> Sequence[Check]:
    return _retention_checks(CONTRACTION, wrong_months=(11, 13))


@case(
    "exact.retention.expansion",
    "GRR and NRR with churn and expansion (health 0.5)",
    "GRR = 1 − p, NRR = (1 − p)·exp(E·D/365.25), D = days of drift between renewals (365)",
)
def _expansion() -> Sequence[Check]:
    return _retention_checks(EXPANSION, wrong_months=(11, 13))


@case(
    "exact.retention.segments",
    "Per-segment logo churn, GRR and NRR (health pinned at 0.7)",
    "per segment: logo churn = p, NRR = (1 − p)·exp((E·2h − C·2(1 − h))·D/365.25), GRR caps f at 1",
)
def _segments() -> Sequence[Check]:
    return _retention_checks(SEGMENTS, {f"_{k}": s for k, s in SEGMENTS.segs().items()})


def monthly_term_setup(annual_churn: float, customers: int, replications: int, years: float) -> Setup:
    """A book of one-month contracts; a one-month warm-up puts twelve renewals in each window
    (the starting book's first renewal is at month 1, the first snapshot at month 1)."""
    return Setup(
        f"exact.rates.monthly_term_{annual_churn:g}",
        smb=Seg(
            starting_customers=customers, annual_churn=annual_churn, contract_term_months=1, list_acv_cv=0.0
        ),
        warmup_years=1 / 12,
        horizon_years=years,
        replications=replications,
    )


def monthly_term_checks(setup: Setup) -> list[Check]:
    """12-month logo churn of one-month contracts: the annual rate, not the naive one."""
    seg = setup.smb
    a = seg.annual_churn
    pm = term_churn(a, 1)
    naive = 1 - (1 - naive_term_churn(a, 1)) ** 12
    results = setup.run()
    churn = metric_samples(results, "logo_churn")
    about = f"12 renewals a year at p_month = 1 − (1 − {a:g})^(1/12) = {pm:.6f}"
    return [
        equals(
            "p_month (world) = 1 − (1 − a)^(1/12)", pm, float(_world_term_churn(a, 1)), tol=1e-12, digits=6
        ),
        covers("12-month logo churn = a", a, churn, detail=about),
        covers(
            "GRR = NRR = 1 − a",
            1 - a,
            metric_samples(results, "nrr"),
            detail="no drift: ARR only lost to churn",
        ),
        excludes(
            f"naive 1 − (1 − a/12)^12 = {naive:.4f} is outside the CI",
            naive,
            churn,
            detail="the case tells the right conversion from the naive one",
        ),
    ]


def _world_term_churn(annual: float, term: int) -> float:
    from sim.world import renewals  # the name the world's renewals call (a broken-world test patches it)

    return float(renewals.renewal_churn_probability(annual, term, 0.5, 0.0, 0.0, 0.0))


__all__ = [
    "RetentionTheory",
    "Seg",
    "Setup",
    "drift_rate",
    "excludes",
    "monthly_term_checks",
    "monthly_term_setup",
    "naive_term_churn",
    "retention_theory",
    "term_churn",
]

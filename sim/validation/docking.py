"""Docking: the canonical case of a published pipeline simulator, with closed-form expectations.

RevSim (github.com/00shoham/RevSim, a revenue simulator for B2B companies selling monthly recurring
revenue through a sales team) models: reps who make a fixed number of self-sourced calls on each of
their working days; a call that becomes a customer after a fixed delay, the next stage falling on
the rep's next working day; flat monthly revenue billed on the monthly anniversary of the close,
with an attrition check before every bill including the first; commission on the first N billed
months. ``validation:docking`` expresses that case with the knobs of issue 18
(``self_sourced_leads_per_ae_day``, ``deals.cycle_distribution: fixed`` with ``cycle_days:
calendar``, ``billing.anchor: anniversary``, ``billing.churn_before_each_bill``, and a commission on
``cash_collected`` with an N-month first term: renewal terms' cash is not credited) and compares the
simulation with expectations computed from an independent calendar (Python ``datetime``: weekends and
two yearly holidays), not from the world's code:

* leads ``= c · R · W`` (W working days in the run): exact;
* wins closing in the run ``= p · c · R · Σ_t 1[close(t) < end]``, ``close(t)`` the first working day
  on or after ``t + d``;
* bills ``= p · c · R · Σ_t Σ_j (1 − q)^{j+1} 1[anniv_j(close(t)) < end]`` and commission
  ``= k · M · p · c · R · Σ_t Σ_{j<N} (1 − q)^{j+1} 1[anniv_j(close(t)) < end]``, with ``q = 1 − (1 −
  a)^{1/12}`` the churn checked before each monthly bill;
* the share of wins lost before their first bill ``= q``; the commission per win whose N first
  bills fall in the run ``= k · M · (1 − q)(1 − (1 − q)^N) / q``.

Derivations and numbers: ``docs/validation.md``, "Docking".
"""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.validation.core import PLAIN_DEALS, Check, case, covers, equals

SOURCE = (
    "RevSim (github.com/00shoham/RevSim): calls per rep per working day, stage delays rolled to the "
    "rep's next working day, MRR billed on monthly anniversaries after an attrition check, commission "
    "on the first N months; closed forms in docs/validation.md"
)
START = dt.date(2025, 1, 1)
"""Day 0 of the case (fiscal year starting in January 2025)."""
HOLIDAYS = ("01-01", "12-25")


@dataclass(frozen=True)
class Docking:
    """The canonical case's parameters."""

    reps: int = 4
    calls_per_day: int = 3
    win_rate: float = 0.2
    delay_days: float = 10.0
    mrr: float = 1_000.0
    annual_churn: float = 0.3
    commission_months: int = 6
    commission_rate: float = 0.10
    years: int = 2
    replications: int = 8
    seed: int = 1998

    @property
    def q(self) -> float:
        """Churn checked before each monthly bill."""
        return 1.0 - (1.0 - self.annual_churn) ** (1.0 / 12.0)

    def scenario_data(self) -> dict[str, Any]:
        """The case as scenario data (every feature not in the case switched off)."""
        off = {"starting_customers": 0, "leads_per_month": 0.0}
        smb = {
            "starting_customers": 0,
            "leads_per_month": 0.0,
            "self_sourced_leads_per_ae_day": float(self.calls_per_day),
            "list_acv_mean_usd": 12 * self.mrr,
            "list_acv_cv": 0.0,
            "base_win_rate": self.win_rate,
            "sales_cycle_days": self.delay_days,
            "contract_term_months": self.commission_months,
            "annual_churn": self.annual_churn,
            "annual_contraction": 0.0,
            "annual_expansion": 0.0,
            "upsell_opportunities_per_year": 0.0,
            "cross_sell_opportunities_per_year": 0.0,
            "tickets_per_month": 0.0,
        }
        return {
            "name": "validation-docking",
            "company": {
                "warmup_years": 0.0,
                "horizon_years": float(self.years),
                "fiscal_year_start_month": 1,
                "segments": {"smb": smb, "mid_market": off, "enterprise": off},
                "lead_sources": {"outbound": 1.0, "marketing": 0.0},
                "reps": {"headcount": self.reps, "ramp_months": 0, "max_open_opportunities": 10_000,
                         "annual_attrition": 0.0},
                "csms": {"headcount": 0},
                "marketing": {"headcount": 0},
                "consultants": {"headcount": 0, "quality_noise_sd": 0.0, "failure_quality": 0.0},
                "customers": {
                    "renewal_health_sensitivity": 0.0, "renewal_price_sensitivity": 0.0,
                    "referred_churn_odds": 0.0, "referrals_per_promoter_per_year": 0.0,
                    "references_per_promoter_per_year": 0.0, "usage_sd": 0.0,
                    "non_payment_probability": 0.0, "non_payment_per_overcommit": 0.0,
                },
                "champions": {"warm_lead_probability": 0.0, "mean_tenure_years": 1000.0},
                "deals": {"win_odds_per_fit": 0.0, "cycle_distribution": "fixed", "cycle_days": "calendar"},
                "support": {"product_headcount": 0},
                "billing": {
                    "enabled": True, "frequency": "monthly", "anchor": "anniversary",
                    "churn_before_each_bill": True, "payment_terms_days": 0.0,
                    "collection_delay_distribution": "fixed", "collection_delay_mean_days": 0.0,
                },
                "working_days": {"weekend": ["sat", "sun"], "holidays": {"yearly": list(HOLIDAYS)},
                                 "roles": ["ae"]},
            },
            "behaviour": {"ae": {**PLAIN_DEALS, "prospecting_effort_options": [1.0]}},
            "plans": [{
                "name": "commission-on-first-months",
                "ae": {"components": [{
                    "name": "commission", "measure": "cash_collected",
                    "rates": [{"from_attainment": 0.0, "rate": self.commission_rate}],
                }]},
            }],
            "experiment": {"seed": self.seed},
        }  # fmt: skip


# ------------------------------------------------------------------------------ the closed forms
def _date(day: float) -> dt.date:
    return START + dt.timedelta(days=math.floor(day))


def working(day: int) -> bool:
    """Day ``day`` of the case is a working day (Monday to Friday, not a yearly holiday)."""
    d = _date(day)
    return d.weekday() < 5 and d.strftime("%m-%d") not in HOLIDAYS


def rolled(day: float) -> float:
    """``day`` if it falls in a working day, else the start of the next working day."""
    k = math.floor(day)
    if working(k):
        return day
    while not working(k):
        k += 1
    return float(k)


def anniversary(close: float, j: int) -> float:
    """The ``j``-th monthly anniversary of a close at ``close`` (j = 0: the close itself): the same
    day of the month, the month's last day when the month is shorter."""
    d = _date(close)
    frac = close - math.floor(close)
    month0 = dt.date(d.year, d.month, 1)
    offset = (d - month0).days + frac
    y, m = divmod(d.month - 1 + j, 12)
    first = dt.date(d.year + y, m + 1, 1)
    length = pycal.monthrange(first.year, first.month)[1]
    return float((first - START).days) + min(offset, length - 1.0 + frac)


@dataclass(frozen=True)
class Expected:
    """Expectations of one replication of the case."""

    end: float
    working_days: int
    leads: float
    wins: float
    bills: float
    commission: float
    per_win_commission: float


def expected(case: Docking) -> Expected:
    """The closed forms of the module docstring, from the independent calendar."""
    end = float((dt.date(START.year + case.years, 1, 1) - START).days)
    q, n = case.q, case.commission_months
    days = [t for t in range(int(end)) if working(t)]
    per_day = case.win_rate * case.calls_per_day * case.reps
    wins = bills = paid = 0.0
    for t in days:
        s = rolled(t + case.delay_days)
        if s >= end:
            continue
        wins += per_day
        j = 0
        while anniversary(s, j) < end:
            bills += per_day * (1 - q) ** (j + 1)
            if j < n:
                paid += per_day * (1 - q) ** (j + 1)
            j += 1
    k, m = case.commission_rate, case.mrr
    return Expected(
        end, len(days), float(case.calls_per_day * case.reps * len(days)), wins, bills,
        k * m * paid, k * m * (1 - q) * (1 - (1 - q) ** n) / q,
    )  # fmt: skip


# ------------------------------------------------------------------------------ the simulation
@dataclass(frozen=True)
class Run:
    """What one replication did."""

    leads: float
    wins: int
    lapsed_before_first_bill: int
    bills: int
    commission: float
    per_win_commission: float
    """Mean commission of the wins whose N first anniversaries fall in the run."""


def simulate_case(case: Docking) -> list[Run]:
    """The replications, under the neutral policy, read from their ledgers and payouts."""
    from sim.policy.neutral import NeutralPolicy
    from sim.replication import simulate
    from sim.scenario.load import validate_data

    sc = validate_data(case.scenario_data(), "validation:docking")
    end = expected(case).end
    out = []
    for r in range(case.replications):
        res = simulate(sc, sc.plans[0].name, r, NeutralPolicy(), keep_ledger=True)
        events = res.ledger or []
        closes = {e.customer: e.day for e in events if e.kind == "booking" and e.deal_kind == "new"}
        invoiced: dict[int, int] = {}
        for e in events:
            if e.kind == "invoice" and e.amount > 0:
                invoiced[e.customer] = invoiced.get(e.customer, 0) + 1
        pay: dict[int, float] = {}
        for e in events:
            if e.kind == "cash" and e.deal_kind == "new":
                pay[e.customer] = pay.get(e.customer, 0.0) + case.commission_rate * e.amount
        full = [c for c, s in closes.items() if anniversary(s, case.commission_months - 1) < end]
        out.append(
            Run(
                leads=res.metrics["self_sourced_leads"] * case.years,
                wins=len(closes),
                lapsed_before_first_bill=sum(1 for c in closes if c not in invoiced),
                bills=sum(invoiced.values()),
                commission=sum(v for k, v in res.payouts.items() if k.startswith("ae.")),
                per_win_commission=float(np.mean([pay.get(c, 0.0) for c in full])) if full else math.nan,
            )
        )
    return out


CASE = Docking()


@case("exact.docking.revsim", "Docking with a published pipeline simulator's canonical case", SOURCE)
def _docking() -> Sequence[Check]:
    c = CASE
    ex = expected(c)
    runs = simulate_case(c)
    col = {f: np.array([getattr(r, f) for r in runs], dtype=float) for f in Run.__dataclass_fields__}
    about = (
        f"R={c.reps} reps x {c.calls_per_day} calls per working day, p={c.win_rate:g}, d={c.delay_days:g} "
        f"calendar days, M=${c.mrr:,.0f}, q={c.q:.5f}, N={c.commission_months}, k={c.commission_rate:g}"
    )
    return [
        equals("calls = c·R·W (max |difference| over replications)", 0.0,
               float(np.max(np.abs(col["leads"] - ex.leads))), tol=1e-9, digits=0,
               detail=f"{about}; W={ex.working_days} working days, c·R·W={ex.leads:,.0f}"),
        covers("wins = p·c·R·#{t: close(t) < end}", ex.wins, col["wins"], digits=1, detail=about),
        covers("share of wins lost before the first bill = q", c.q,
               col["lapsed_before_first_bill"] / col["wins"], digits=5,
               detail="the churn check precedes the first bill too"),
        covers("bills = p·c·R·Σ_t Σ_j (1−q)^(j+1)", ex.bills, col["bills"], digits=1, detail=about),
        covers("commission = k·M·p·c·R·Σ_t Σ_(j<N) (1−q)^(j+1)", ex.commission, col["commission"], digits=1,
               detail=f"{about}; paid on cash_collected of the first {c.commission_months}-month term"),
        covers("commission per win with N bills in the run = k·M·(1−q)(1−(1−q)^N)/q", ex.per_win_commission,
               col["per_win_commission"], digits=2, detail=about),
    ]  # fmt: skip

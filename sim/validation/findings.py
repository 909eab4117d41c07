"""Published findings on sales compensation: does the simulator reproduce their direction and rough size?

Each case compares plans that differ only in the rule a study is about, over paired
replications under common random numbers (the same leads, wins and draws in both plans),
with the world's default incentive policy (``sim.replication.simulate`` without a policy: every
decision valued by the decider's own plan, ``sim.policy.make_policy``). A check passes when
the paired difference has the published sign and a one-sided paired t-test rejects "no effect"
at 5% (:func:`~sim.validation.core.direction`), and its mean lies in a two-sided band: around the
published size where there is one, else a stated sanity band that excludes zero.

The company is self-contained (a Python mapping, no ``extends``), so ``incentsim validate-model``
works outside the repository: the base company's values (``scenarios/base-company.yaml``) with a
sixth of its customers and a quarter of its reps, over two and a half simulated years (half a
year of warm-up). Behaviour parameters are the schema defaults, which are the base company's;
none is changed to make a finding appear. A finding the model does not reproduce fails (its test
is a strict xfail with the diagnosis). Citations, measured numbers and diagnoses:
``docs/validation.md`` (section "Published findings").
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sim.ledger import Event
from sim.replication import simulate
from sim.result import ReplicationResult
from sim.scenario import Scenario
from sim.time.calendar import Calendar
from sim.validation.core import Check, case, direction

# ----------------------------------------------------------------------------------- the company


_SEGMENT_KEYS = (
    "starting_customers",
    "leads_per_month",
    "list_acv_mean_usd",
    "list_acv_cv",
    "mean_fit",
    "base_win_rate",
    "sales_cycle_days",
    "contract_term_months",
    "annual_churn",
    "annual_contraction",
    "annual_expansion",
    "upsell_opportunities_per_year",
    "cross_sell_opportunities_per_year",
    "implementation_days",
    "tickets_per_month",
)


def _segment(*values: float) -> dict[str, float]:
    return dict(zip(_SEGMENT_KEYS, values, strict=True))


COMPANY: dict[str, Any] = {
    "name": "finding company",
    "horizon_years": 2,
    "warmup_years": 0.5,
    "fiscal_year_start_month": 2,
    "segments": {
        # the base company's segments (scenarios/base-company.yaml) at a sixth of the customers,
        # a third of the leads and a quarter of the reps
        "smb": _segment(300, 40, 9000, 0.5, 0.55, 0.28, 30, 12, 0.16, 0.04, 0.06, 0.15, 0.08, 7, 1.0),
        "mid_market": _segment(150, 20, 35000, 0.5, 0.6, 0.25, 75, 12, 0.09, 0.05, 0.06, 0.25, 0.12, 25, 2.0),
        "enterprise": _segment(40, 4, 140000, 0.6, 0.65, 0.2, 150, 12, 0.05, 0.05, 0.12, 0.35, 0.2, 60, 4.0),
    },
    "lead_sources": {"outbound": 0.5, "marketing": 0.5},
    "reps": {
        "headcount": 10,
        "ramp_months": 4,
        "max_open_opportunities": 15,
        "annual_attrition": 0.2,
        "backfill_days": 60,
    },
    "consultants": {"headcount": 4, "concurrent_projects": 10},
    "csms": {"headcount": 5, "max_accounts": 350},
}
"""The validation company (the base company's values, smaller)."""

BEHAVIOUR: dict[str, Any] = {
    "rationality_per_kusd": 1.0,
    "risk_aversion_per_kusd": 0.0,
    "annual_time_preference": 0.15,
}
"""The base company's behaviour block (every other behaviour parameter at its schema default)."""

QUOTA_ANNUAL = 1_100_000.0
"""The base company's AE quota (bookings ACV per year)."""

CSM_PLAN: dict[str, Any] = {
    "base_salary_annual_usd": 88000,
    "target_variable_annual_usd": 12000,
    "components": [
        {
            "name": "retention bonus",
            "kind": "bonus",
            "measure": "book_grr",
            "period": "year",
            "pays": "at_renewal",
            "target_usd": 12000,
            "target_value": 0.90,
            "curve": [
                {"attainment": 0.9, "payout": 0.0},
                {"attainment": 1.0, "payout": 1.0},
                {"attainment": 1.1, "payout": 1.5},
            ],
        }
    ],
}
"""The base company's CSM plan, the same in every plan here (only AE rules differ)."""


def _commission(rates: Sequence[tuple[float, float]], **extra: Any) -> dict[str, Any]:
    """An AE commission on bookings ACV, paid on booking, with marginal tiers ``(from, rate)``."""
    return {
        "name": "commission",
        "measure": "bookings_acv",
        "period": "quarter",
        "pays": "on_booking",
        "rates": [{"from_attainment": a, "rate": r} for a, r in rates],
        **extra,
    }


def _plan(name: str, components: list[dict[str, Any]], *, quota_period: str = "quarter") -> dict[str, Any]:
    """A plan: the base company's pay for every role but the AE components given."""
    return {
        "name": name,
        "ae": {
            "base_salary_annual_usd": 100000,
            "target_variable_annual_usd": 100000,
            "quota": {"measure": "bookings_acv", "annual_amount": QUOTA_ANNUAL, "period": quota_period},
            "components": components,
        },
        "csm": copy.deepcopy(CSM_PLAN),
        "consultant": {"base_salary_annual_usd": 110000},
        "marketing": {"base_salary_annual_usd": 120000},
        "product": {"base_salary_annual_usd": 150000},
        "crediting": {"upsell": ["csm"], "cross_sell": ["ae"]},
    }


def scenario(
    plans: list[dict[str, Any]],
    *,
    seed: int,
    company: dict[str, Any] | None = None,
    cycle_scale: float = 1.0,
) -> Scenario:
    """A validated scenario of the validation company with ``plans``.

    ``company`` is deep-merged over :data:`COMPANY`; ``cycle_scale`` multiplies every segment's
    sales cycle (reps' control over timing, see :func:`_larkin`).
    """
    from sim.scenario.load import deep_merge, validate_data

    comp = deep_merge(copy.deepcopy(COMPANY), copy.deepcopy(company or {}))
    for seg in comp["segments"].values():
        seg["sales_cycle_days"] = seg["sales_cycle_days"] * cycle_scale
    data = {
        "name": "finding",
        "company": comp,
        "behaviour": copy.deepcopy(BEHAVIOUR),
        "plans": plans,
        "experiment": {"seed": seed, "baseline_plan": plans[0]["name"]},
    }
    return validate_data(data, "<finding>")


def paired(
    scn: Scenario,
    a: str,
    b: str,
    reps: int,
    stats: dict[str, Callable[[ReplicationResult], float]],
    *,
    keep_ledger: bool = False,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each statistic of plans ``a`` and ``b`` per replication 0..reps-1 (common random numbers).

    One simulation per plan and replication serves every statistic; the ledger is dropped as
    soon as the statistics are read.
    """
    xa: dict[str, list[float]] = {k: [] for k in stats}
    xb: dict[str, list[float]] = {k: [] for k in stats}
    for k in range(reps):
        for plan, out in ((a, xa), (b, xb)):
            r = simulate(scn, plan, k, keep_ledger=keep_ledger)
            for name, fn in stats.items():
                out[name].append(fn(r))
    return {n: (np.asarray(xa[n], dtype=float), np.asarray(xb[n], dtype=float)) for n in stats}


def metric(name: str) -> Callable[[ReplicationResult], float]:
    """A statistic reading one metric of a replication."""
    return lambda r: float(r.metrics[name])


def _calendar(scn: Scenario) -> tuple[Calendar, float, float]:
    """The replication's calendar and its measured window ``[start, end)`` in days."""
    c = scn.company
    warm = round(c.warmup_years * 12)
    total = warm + max(1, round(c.horizon_years * 12))
    cal = Calendar(c.fiscal_year_start_month, total)
    return cal, float(cal.month_starts[warm]), cal.end_day


def _ae_credit(e: Event) -> bool:
    """A booking credited to an AE's bookings_acv (new deals, and expansion deals crediting the AE)."""
    return e.kind == "booking" and e.ae >= 0 and (e.deal_kind == "new" or "ae" in e.credited)


def period_end_discount_premium(scn: Scenario) -> Callable[[ReplicationResult], float]:
    """Mean discount of new deals closed in the last 14 days of a quarter minus that of the others."""
    cal, start, end = _calendar(scn)

    def stat(r: ReplicationResult) -> float:
        pe: list[float] = []
        other: list[float] = []
        for e in r.ledger or ():
            if e.kind != "booking" or e.deal_kind != "new" or not start <= e.day < end:
                continue
            q_end = cal.period_end(e.day, "quarter")
            (pe if e.day >= q_end - 14.0 else other).append(e.discount)
        return float(np.mean(pe) - np.mean(other)) if pe and other else math.nan

    return stat


def output_after_quota(scn: Scenario, plan: str) -> Callable[[ReplicationResult], float]:
    """Bookings ACV per year credited to AEs in a quarter after they passed that quarter's quota.

    Every AE-credited booking adds to the rep's running total for its fiscal quarter (as the
    payout engine counts attainment); the part of the running total above the quarterly quota
    (``quota.annual_amount / 4`` of ``plan``) is output after quota. Measured quarters only.
    """
    cal, start, end = _calendar(scn)
    design = next(p for p in scn.plans if p.name == plan)
    if design.ae.quota is None:
        raise ValueError(f"plan {plan!r} has no AE quota")
    quota = design.ae.quota.annual_amount / 4.0
    years = (end - start) / 365.25

    def stat(r: ReplicationResult) -> float:
        running: dict[tuple[int, int], float] = defaultdict(float)
        after = 0.0
        for e in r.ledger or ():
            if not _ae_credit(e):
                continue
            key = (e.ae, cal.period_of(e.day, "quarter"))
            before = running[key]
            running[key] = before + e.amount
            if start <= e.day < end:
                after += max(running[key] - max(before, quota), 0.0)
        return after / years

    return stat


def low_performer_output(scn: Scenario, share: float = 0.5) -> Callable[[ReplicationResult], float]:
    """Mean new-logo bookings ACV per employed year of the lowest ``share`` of AEs.

    AEs employed at least half a year of the measured window are ranked by new bookings ACV per
    employed year in the window (``hire``/``leave`` events give employment); the statistic is
    the mean of the bottom ``share``.
    """
    _, start, end = _calendar(scn)

    def stat(r: ReplicationResult) -> float:
        hired: dict[int, float] = {}
        left: dict[int, float] = {}
        acv: dict[int, float] = defaultdict(float)
        for e in r.ledger or ():
            if e.kind == "hire" and e.role == "ae":
                hired[e.person] = e.day
            elif e.kind == "leave" and e.role == "ae":
                left[e.person] = e.day
            elif e.kind == "booking" and e.deal_kind == "new" and start <= e.day < end:
                acv[e.ae] += e.amount
        rates = []
        for p, h in hired.items():
            days = min(left.get(p, end), end) - max(h, start)
            if days >= 365.25 / 2:
                rates.append(acv[p] / (days / 365.25))
        if len(rates) < 2:
            return math.nan
        rates.sort()
        k = max(1, int(len(rates) * share))
        return float(np.mean(rates[:k]))

    return stat


def relative_change(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-replication relative change ``b / a - 1`` (NaN where ``a`` is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a != 0, b / a - 1.0, np.nan)


def _pct(x: float) -> str:
    return f"{100 * x:+.1f}%"


CONVENTIONAL = ((0.0, 0.10), (1.0, 0.15))
"""The base company's AE commission: 10% of bookings ACV to the quarterly quota, 15% above."""

CHUNG_REPS = 16

CHUNG_SOURCE = (
    "Chung, Steenburgh & Sudhir (2014), Do bonuses enhance sales productivity? A dynamic structural analysis "
    "of bonus-based compensation plans, Marketing Science 33(2)"
)

OVER_QUOTA_SIZE = (-0.50, -0.02)
"""Band on output after quota, stops-at-quota / over-quota - 1 (a sanity band: a real cut, but not the
end of all selling after quota; no size is quoted from the paper)."""


@case(
    "finding.chung.over_quota",
    "Chung et al.: dropping over-quota commission cuts output after quota",
    CHUNG_SOURCE,
    slow=True,
)
def _chung_over_quota() -> Sequence[Check]:
    plans = [
        _plan("over-quota", [_commission([(0.0, 0.10)])]),
        _plan("stops-at-quota", [_commission([(0.0, 0.10), (1.0, 0.0)])]),
    ]
    scn = scenario(plans, seed=2016)
    got = paired(
        scn,
        "over-quota",
        "stops-at-quota",
        CHUNG_REPS,
        {"after": output_after_quota(scn, "over-quota"), "new_arr": metric("new_arr")},
        keep_ledger=True,
    )
    a, b = got["after"]
    rel = relative_change(a, b)
    arr = relative_change(*got["new_arr"])
    return [
        direction(
            "bookings ACV credited after passing the quarterly quota, stops-at-quota / over-quota - 1",
            rel,
            -1,
            size=OVER_QUOTA_SIZE,
            detail=(
                f"over-quota ${a.mean():,.0f}/yr vs ${b.mean():,.0f}/yr; new ARR {_pct(float(np.mean(arr)))}"
            ),
        )
    ]

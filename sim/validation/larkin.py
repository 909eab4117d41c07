"""Larkin 2014 and Oyer 1998 on the validation company: convex plans pull deals to period ends,
buy them with discounts and cost revenue; the timing window is the mechanism (a control case)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.replication import simulate
from sim.result import ReplicationResult
from sim.validation.core import Check, case, covers, direction, within

# ----------------------------------------------------------------------------------- the company
from sim.validation.findings import (
    _commission,
    _pct,
    _plan,
    metric,
    paired,
    period_end_discount_premium,
    relative_change,
    scenario,
)

LARKIN_REPS = 16

LINEAR_RATE = 0.080
"""The linear plan's rate: the convex plan's expected AE pay per booked dollar under the neutral
policy (the ledger is then the same under both plans) at the base company's sales cycles
(0.0803 over 16 replications, ratio of means; 0.0798 mean of ratios); ``finding.larkin.parity``
checks it."""

PARITY_REPS = 16

CONVEX = ((0.0, 0.05), (1.0, 0.30))
"""The convex schedule: 5% of bookings ACV up to the quarterly quota, 30% above it."""

BUNCHING_SIZE = (0.01, 0.20)
"""Band on the rise of the quarter-end share of new ACV (about 15% of a quarter's days): a visible
but not total pile-up (a sanity band; we quote no size from Larkin)."""

PREMIUM_SIZE = (0.001, 0.05)
"""Band on the rise of the quarter-end discount premium (list-price fractions; a sanity band)."""

REVENUE_SIZE = (-0.15, -0.02)
"""Band on new ARR convex / linear - 1 around Larkin's 6-8% of revenue."""

SHORT_CYCLE = 0.25
"""Sales cycles at a quarter of the base company's (7.5 / 19 / 37.5 days): little room to time closes."""


def _larkin_plans() -> list[dict[str, Any]]:
    return [
        _plan("linear", [_commission([(0.0, LINEAR_RATE)])]),
        _plan("convex", [_commission(CONVEX)]),
    ]


_LARKIN: dict[tuple[str, int], dict[str, tuple[np.ndarray, np.ndarray]]] = {}

_CYCLES = {"base": 1.0, "short": SHORT_CYCLE}


def larkin_runs(cycle: str, reps: int | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Paired (linear, convex) statistics at the ``"base"`` or the ``"short"`` sales cycle.

    Cached per process, so the Larkin cases share their simulations (:func:`clear_cache`
    forgets them). ``reps`` defaults to :data:`LARKIN_REPS`.
    """
    reps = LARKIN_REPS if reps is None else reps
    key = (cycle, reps)
    if key not in _LARKIN:
        scn = scenario(_larkin_plans(), seed=2014, cycle_scale=_CYCLES[cycle])
        _LARKIN[key] = paired(
            scn,
            "linear",
            "convex",
            reps,
            {
                "period_end_share": metric("period_end_share"),
                "period_end_discount": metric("period_end_discount"),
                "mean_discount": metric("mean_discount"),
                "premium": period_end_discount_premium(scn),
                "new_arr": metric("new_arr"),
                "payout_cost": metric("payout_cost"),
            },
            keep_ledger=True,
        )
    return _LARKIN[key]


def clear_cache() -> None:
    """Forget cached simulations (a test that breaks the world must not reuse them)."""
    _LARKIN.clear()


LARKIN_SOURCE = (
    "Larkin (2014), The cost of high-powered incentives: employee gaming in enterprise software sales, "
    "J. Labor Economics 32(2); Oyer (1998), Fiscal year ends and nonlinear incentive contracts, QJE 113(1)"
)


@case(
    "finding.larkin.parity",
    "Larkin: the two plans pay the same under the neutral policy",
    LARKIN_SOURCE,
    slow=True,
)
def _larkin_parity() -> Sequence[Check]:
    from sim.policy import NeutralPolicy

    scn = scenario(_larkin_plans(), seed=2014)
    ratios = []
    for k in range(PARITY_REPS):
        lin = _ae_pay(simulate(scn, "linear", k, NeutralPolicy()))
        con = _ae_pay(simulate(scn, "convex", k, NeutralPolicy()))
        ratios.append(con / lin)
    what = f"linear {LINEAR_RATE:g} vs convex {CONVEX}: 'the same expected pay'"
    return [
        within(
            "convex / linear AE variable pay, same deals (neutral policy)", ratios, 0.95, 1.05, detail=what
        ),
        covers("convex / linear AE variable pay = 1 inside the 95% interval", 1.0, ratios, detail=what),
    ]


def _ae_pay(r: ReplicationResult) -> float:
    """AE variable pay over the measured horizon (every AE component, net of clawbacks)."""
    return sum(v for k, v in r.payouts.items() if k.startswith("ae."))


@case(
    "finding.larkin.bunching",
    "Larkin/Oyer: a convex quarterly schedule bunches closes at quarter end",
    LARKIN_SOURCE,
    slow=True,
)
def _larkin_bunching() -> Sequence[Check]:
    a, b = larkin_runs("base")["period_end_share"]
    return [
        direction(
            "share of new ACV closed in the last 14 days of a quarter, convex - linear",
            b - a,
            +1,
            size=BUNCHING_SIZE,
            detail=f"linear {a.mean():.3f}, convex {b.mean():.3f}",
        )
    ]


@case(
    "finding.larkin.discount",
    "Larkin: deals closed at quarter end get deeper discounts under a convex schedule",
    LARKIN_SOURCE,
    slow=True,
)
def _larkin_discount() -> Sequence[Check]:
    a, b = larkin_runs("base")["premium"]
    pa, pb = larkin_runs("base")["period_end_discount"]
    ma, mb = larkin_runs("base")["mean_discount"]
    return [
        direction(
            "quarter-end discount premium (last 14 days minus the rest), convex - linear",
            b - a,
            +1,
            size=PREMIUM_SIZE,
            detail=(
                f"premium linear {a.mean():+.4f}, convex {b.mean():+.4f}; levels: period-end discount "
                f"{pa.mean():.4f} -> {pb.mean():.4f}, mean discount {ma.mean():.4f} -> {mb.mean():.4f}"
            ),
        )
    ]


@case(
    "finding.larkin.revenue",
    "Larkin: the convex schedule costs revenue (new ARR net of discount)",
    LARKIN_SOURCE,
    slow=True,
)
def _larkin_revenue() -> Sequence[Check]:
    a, b = larkin_runs("base")["new_arr"]
    ca, cb = larkin_runs("base")["payout_cost"]
    rel = relative_change(a, b)
    return [
        direction(
            "new ARR, convex / linear - 1",
            rel,
            -1,
            size=REVENUE_SIZE,
            expected="< 0 (Larkin: 6-8% of revenue)",
            detail=(
                f"simulated {_pct(float(np.mean(rel)))}; variable pay "
                f"{_pct(float(np.mean(relative_change(ca, cb))))} under behaviour"
            ),
        )
    ]


@case(
    "finding.larkin.timing_control",
    "Larkin: the bunching grows with reps' control over timing (longer cycles)",
    LARKIN_SOURCE,
    slow=True,
)
def _larkin_timing_control() -> Sequence[Check]:
    la, lb = larkin_runs("base")["period_end_share"]
    sa, sb = larkin_runs("short")["period_end_share"]
    did = (lb - la) - (sb - sa)
    return [
        direction(
            "bunching effect at the base cycle minus at a quarter of it (difference in differences)",
            did,
            +1,
            detail=f"effect base cycle {np.mean(lb - la):+.4f}, short cycle {np.mean(sb - sa):+.4f}",
        )
    ]

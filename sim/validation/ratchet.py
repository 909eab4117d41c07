"""Earnings cap and quota ratchet — Misra & Nair (2011).

At the firm Misra & Nair studied, agents had quarterly quotas that were ratcheted (a good quarter
raised the next quota) and a cap on commission; a new plan without the cap and without the ratchet,
implemented in the field, raised revenue by about 9%. Their mechanism is effort: an agent near the
cap, or wary of raising next quarter's quota, works less.

The world has both halves since issue 18: the quota ratchet of the plans (``quota.ratchet``,
:mod:`sim.plans.quotas`, priced by the one valuation kernel) and an effort margin (AEs source leads
every working day and choose each month how hard to prospect, valued forward over this quota period
and the next: :mod:`sim.world.effort`). The company is the prospecting sales force of the Chung et
al. cases (:data:`sim.validation.pacing.COMPANY`). Plans: the base company's AE commission (10% of
bookings ACV to the quarterly quota, 15% above):

* ``capped-ratcheted``: with a cap of $37,500 a quarter (150% of the quarterly target variable)
  and a quota ratchet of :data:`RATCHET`;
* ``uncapped``: the same without the cap and the ratchet.

``finding.misra_nair.cap``: the cap binds (variable pay up without it), new ARR and AE-credited
bookings rise without them, by an amount in a two-sided band around the paper's 9%, and the
mechanism is there: the AEs' mean prospecting effort is higher without them (:data:`EFFORT_CHECK`;
a world whose effort never responds has the same effort in both plans, so this check fails whatever
sales show). Numbers: ``docs/validation.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sim.result import ReplicationResult
from sim.scenario import Scenario
from sim.validation.core import Check, case, direction
from sim.validation.findings import (
    CONVENTIONAL,
    _ae_credit,
    _calendar,
    _commission,
    _plan,
    metric,
    paired,
    relative_change,
    scenario,
)
from sim.validation.pacing import COMPANY

EFFORT_CHECK = "mean prospecting effort of AEs per AE-month, uncapped - capped-ratcheted"
"""Label of the mechanism check of ``finding.misra_nair.cap`` (the broken-world test looks it up)."""

REPS = 16
SEED = 2011
CAP_PER_QUARTER = 37_500.0
"""The cap: 150% of the quarterly target variable pay ($25,000), a common cap design."""
RATCHET = 0.5
"""Half of a quarter's attainment above quota carries into the next quarter's quota."""
SIZE = (0.03, 0.20)
"""Two-sided band on the relative change of sales: Misra & Nair's +9% with room for the model's
different sales force; zero (no effect) and a doubling of their effect both fail."""
SOURCE = (
    "Misra & Nair (2011), A structural model of sales-force compensation dynamics: estimation and field "
    "implementation, Quantitative Marketing and Economics 9(3)"
)


def _plans() -> list[dict[str, Any]]:
    capped = _plan("capped-ratcheted", [_commission(CONVENTIONAL, cap_per_period_usd=CAP_PER_QUARTER)])
    capped["ae"]["quota"]["ratchet"] = RATCHET
    return [capped, _plan("uncapped", [_commission(CONVENTIONAL)])]


def bookings_per_year(scn: Scenario) -> Callable[[ReplicationResult], float]:
    """Bookings ACV per year credited to AEs (new and AE-credited expansion) in the measured window."""
    _, start, end = _calendar(scn)
    years = (end - start) / 365.25

    def stat(r: ReplicationResult) -> float:
        return sum(e.amount for e in r.ledger or () if _ae_credit(e) and start <= e.day < end) / years

    return stat


def _pct(x: np.ndarray) -> str:
    return f"{100 * float(np.mean(x)):+.1f}%"


@case(
    "finding.misra_nair.cap",
    "Misra & Nair: removing an earnings cap and a quota ratchet raises sales (about +9%)",
    SOURCE,
    slow=True,
)
def _misra_nair() -> Sequence[Check]:
    scn = scenario(_plans(), seed=SEED, company=COMPANY)
    got = paired(
        scn,
        "capped-ratcheted",
        "uncapped",
        REPS,
        {
            "new_arr": metric("new_arr"),
            "payout_cost": metric("payout_cost"),
            "bookings": bookings_per_year(scn),
            "effort": metric("prospecting_effort_mean"),
            "sourced": metric("self_sourced_leads"),
        },
        keep_ledger=True,
    )
    arr = relative_change(*got["new_arr"])
    bookings = relative_change(*got["bookings"])
    pay = relative_change(*got["payout_cost"])
    sourced = relative_change(*got["sourced"])
    ea, eb = got["effort"]
    return [
        direction(
            "the cap binds: variable pay, uncapped / capped - 1",
            pay,
            +1,
            detail=f"cap ${CAP_PER_QUARTER:,.0f} per quarter; ratchet {RATCHET:g}",
        ),
        direction(
            "new ARR, uncapped / capped-ratcheted - 1",
            arr,
            +1,
            size=SIZE,
            expected="> 0 (Misra & Nair: about +9% revenue)",
        ),
        direction(
            "AE-credited bookings ACV, uncapped / capped-ratcheted - 1",
            bookings,
            +1,
            size=SIZE,
            expected="> 0",
        ),
        direction(
            EFFORT_CHECK,
            eb - ea,
            +1,
            detail=f"mean effort {ea.mean():.4f} -> {eb.mean():.4f}; self-sourced leads {_pct(sourced)}",
        ),
    ]

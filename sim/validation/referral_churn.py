"""Van den Bulte, Bayer, Skiera & Schmitt 2018: referred customers churn less, and less still while
their referrer stays; measured on renewals in the simulated book."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.replication import build_world, collector_off
from sim.scenario import Scenario
from sim.validation.core import Check, case, direction

# ----------------------------------------------------------------------------------- the company
from sim.validation.findings import CONVENTIONAL, _calendar, _commission, _plan, scenario

VDB_REPS = 10

VDB_SMOKE_REPS = 6

VDB_COMPANY: dict[str, Any] = {
    # an SMB book (12-month contracts: many renewals) of 1,500 customers; mid-market and
    # enterprise switched off (no customers, no leads)
    "segments": {
        "smb": {"starting_customers": 1500, "leads_per_month": 40},
        "mid_market": {"starting_customers": 0, "leads_per_month": 0},
        "enterprise": {"starting_customers": 0, "leads_per_month": 0},
    },
    "csms": {"headcount": 5},
}

# bands of the churn differences (sanity bands in churn points: the loyalty input, -0.5 log-odds,
# gives a few points; zero and a halving of churn both fail)
VDB_SOURCE = (
    "Van den Bulte, Bayer, Skiera & Schmitt (2018), How customer referral programs turn social capital "
    "into economic capital, J. Marketing Research 55(1); Schmitt, Skiera & Van den Bulte (2011), Referral "
    "programs and customer value, J. Marketing 75(1)"
)

NON_REFERRED, REFERRER_STAYS, REFERRER_GONE = 0, 1, 2


@collector_off()  # the world is built, read and dropped in here, as simulate does
def renewal_churn_by_referral(scn: Scenario, replication: int) -> np.ndarray:
    """Renewal decisions of customers won in the simulation, by referral status: rows non-referred,
    referred while the referrer is a customer, referred after the referrer left; columns
    (renewal decisions, churns) in the measured window.

    The ledger has every renewal (``renewal``) and churn at renewal (``arr_churn`` with
    deal_kind ``renewal``); who referred whom is the world's customer book (``book.referrer``),
    which the ledger does not carry, so the world is run here as :func:`sim.replication.simulate` runs
    it, with the same default incentive policy.
    """
    world = build_world(scn, scn.plans[0], replication)
    world.run()
    book = world.book
    _, start, end = _calendar(scn)
    left: dict[int, float] = {}
    for e in world.ledger.events:
        if e.kind == "arr_churn":
            left.setdefault(e.customer, e.day)
    out = np.zeros((3, 2))
    for e in world.ledger.events:
        if not start <= e.day < end or e.customer < 0 or book.cohort_day[e.customer] < 0:
            continue  # outside the window, or the starting book (won before the simulation)
        if e.kind == "renewal":
            churned = 0
        elif e.kind == "arr_churn" and e.deal_kind == "renewal":
            churned = 1
        else:
            continue
        ref = int(book.referrer[e.customer])
        if ref < 0:
            group = NON_REFERRED
        else:  # the world asks "is the referrer a customer" before this month's churns
            group = REFERRER_STAYS if left.get(ref, math.inf) >= e.day else REFERRER_GONE
        out[group] += (1, churned)
    return out


def _van_den_bulte_checks(reps: int, horizon_years: float, *, referrer_gone: bool) -> list[Check]:
    company = {**VDB_COMPANY, "horizon_years": horizon_years}
    scn = scenario([_plan("conventional", [_commission(CONVENTIONAL)])], seed=2018, company=company)
    tables = [renewal_churn_by_referral(scn, k) for k in range(reps)]
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.array([t[:, 1] / t[:, 0] for t in tables])  # replications x groups
    pooled = np.sum(tables, axis=0)
    n = " / ".join(f"{int(x)}" for x in pooled[:, 0])
    pooled_rates = " / ".join(f"{x:.3f}" for x in pooled[:, 1] / pooled[:, 0])
    info = f"pooled churn at renewal non-referred / referrer stays / referrer gone {pooled_rates} (n {n})"
    out = [
        direction(
            "churn at renewal, referred (referrer still a customer) - non-referred",
            rates[:, REFERRER_STAYS] - rates[:, NON_REFERRED],
            -1,
            size=(-0.10, -0.01),
            detail=info,
        )
    ]
    if referrer_gone:
        out.append(
            direction(
                "churn at renewal, referred after the referrer left - referred while it stays",
                rates[:, REFERRER_GONE] - rates[:, REFERRER_STAYS],
                +1,
                size=(0.005, 0.10),
            )
        )
    return out


@case(
    "finding.van_den_bulte.referrer",
    "Van den Bulte et al.: referred customers churn less while their referrer stays",
    VDB_SOURCE,
    slow=True,
)
def _van_den_bulte() -> Sequence[Check]:
    return _van_den_bulte_checks(VDB_REPS, 3.0, referrer_gone=True)


@case(
    "finding.van_den_bulte.smoke", "Van den Bulte et al. (smoke): referred customers churn less", VDB_SOURCE
)
def _van_den_bulte_smoke() -> Sequence[Check]:
    return _van_den_bulte_checks(VDB_SMOKE_REPS, 2.0, referrer_gone=False)

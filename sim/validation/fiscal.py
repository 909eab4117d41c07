"""Fiscal-year ends under an annual quota — Oyer (1998).

Oyer finds that sales of manufacturing firms are higher at the end of the fiscal year and lower at
its start than in its middle (Q4 > mean(Q2, Q3) > Q1), and attributes the pattern to nonlinear
annual incentive contracts: salespeople near an annual quota pull sales into the year's last
quarter, which leaves the next year's first quarter short.

``finding.oyer.fiscal_year``: the validation company (:mod:`sim.validation.findings`) with an annual
plan, a commission of 5% of bookings ACV up to the annual quota and 30% above it (Larkin's convex
schedule on a yearly period), and as a control the linear plan of the same expected pay per booked
dollar (no fiscal-year kink). New-logo bookings ACV by fiscal quarter of the measured window (two
years from the middle of a fiscal year, every fiscal quarter seen twice) give, per replication, the
gaps Q4 − mean(Q2, Q3) and mean(Q2, Q3) − Q1 over the mean quarter. As Oyer separates fiscal-year
effects from business seasonality by comparing firms whose fiscal years end in different months,
the case takes the gaps of the annual plan minus those of the linear plan on the same deals
(common random numbers): both must be > 0, in two-sided bands. Numbers: ``docs/validation.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sim.result import ReplicationResult
from sim.scenario import Scenario
from sim.validation.core import Check, case, direction
from sim.validation.findings import _calendar, _commission, _plan, paired, scenario
from sim.validation.larkin import CONVEX, LINEAR_RATE

REPS = 16
SEED = 1998
SIZE = (0.01, 0.50)
"""Two-sided band on each relative gap: a real but not absurd pile-up (the paper reports the pattern;
we quote no size from it)."""
SOURCE = (
    "Oyer (1998), Fiscal year ends and nonlinear incentive contracts: the effect on business seasonality, "
    "QJE 113(1)"
)


def _plans() -> list[dict[str, Any]]:
    return [
        _plan("linear", [_commission([(0.0, LINEAR_RATE)], period="year")], quota_period="year"),
        _plan("annual", [_commission(CONVEX, period="year")], quota_period="year"),
    ]


def by_fiscal_quarter(scn: Scenario) -> Callable[[ReplicationResult], np.ndarray]:
    """New-logo bookings ACV of the measured window by fiscal quarter (Q1..Q4), mean per occurrence."""
    cal, start, end = _calendar(scn)

    first, stop = cal.period_of(start, "quarter"), cal.period_of(end - 1.0, "quarter") + 1
    seen = np.bincount(np.arange(first, stop) % 4, minlength=4).astype(float)

    def stat(r: ReplicationResult) -> np.ndarray:
        out = np.zeros(4)
        for e in r.ledger or ():
            if e.kind == "booking" and e.deal_kind == "new" and start <= e.day < end:
                out[cal.period_of(e.day, "quarter") % 4] += e.amount
        return out / seen

    return stat


def _q(x: np.ndarray, i: int) -> np.ndarray:
    return x[:, i - 1]


@case(
    "finding.oyer.fiscal_year",
    "Oyer: an annual quota makes Q4 > mean(Q2, Q3) > Q1 (against a linear plan)",
    SOURCE,
    slow=True,
)
def _oyer() -> Sequence[Check]:
    scn = scenario(_plans(), seed=SEED)
    quarters = by_fiscal_quarter(scn)

    def quarter(i: int) -> Callable[[ReplicationResult], float]:
        return lambda r: float(quarters(r)[i])

    got = paired(scn, "linear", "annual", REPS, {f"q{i}": quarter(i) for i in range(4)}, keep_ledger=True)
    lin = np.column_stack([got[f"q{i}"][0] for i in range(4)])
    ann = np.column_stack([got[f"q{i}"][1] for i in range(4)])

    def gaps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Q4 - mean(Q2, Q3), mean(Q2, Q3) - Q1) over the mean quarter."""
        mid, mean = (_q(x, 2) + _q(x, 3)) / 2, x.mean(axis=1)
        return (_q(x, 4) - mid) / mean, (mid - _q(x, 1)) / mean

    (late_a, early_a), (late_l, early_l) = gaps(ann), gaps(lin)
    shares = " / ".join(f"{s:.3f}" for s in ann.sum(axis=0) / ann.sum())
    return [
        direction(
            "(Q4 - mean(Q2, Q3)) / mean quarter of new bookings ACV, annual minus linear plan",
            late_a - late_l,
            +1,
            size=SIZE,
            detail=(
                f"annual plan {np.mean(late_a):+.3f}, linear {np.mean(late_l):+.3f}; annual shares "
                f"Q1..Q4 {shares}"
            ),
        ),
        direction(
            "(mean(Q2, Q3) - Q1) / mean quarter, annual minus linear plan",
            early_a - early_l,
            +1,
            size=SIZE,
            detail=f"annual plan {np.mean(early_a):+.3f}, linear {np.mean(early_l):+.3f}",
        ),
    ]

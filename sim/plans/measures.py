"""Measure crediting: which ledger event credits which person with how much of which measure.

The rule itself is :func:`sim.plans.credits.event_credits` (compiled, so the payout engine
applies it to whole ledgers); the functions here ask it about one event, for the back-test's
pruning, the valuation's vocabulary and tests.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.ledger import Event, EventKind, rows_of
from sim.scenario.plans import SHARE_SCALE, Crediting
from sim.vocabulary import (
    ARR_KINDS,
    CREDITED,
    DEAL_KINDS,
    EVENT_KINDS,
    MEASURES,
    RATIO_MEASURES,
    ROLES,
    SALES_KINDS,
    SOURCES,
    SPIFF_EVENTS,
)

__all__ = [
    "ARR_KINDS", "RATIO_MEASURES", "SALES_KINDS", "TEAM", "Credit", "credit_kinds", "credited_roles",
    "credits_of", "measures_credited_by", "sample_event", "spiff_matches", "spiff_person",
]  # fmt: skip

TEAM = -1
"""Person id under which role-wide (team) totals are kept."""


@dataclass(slots=True, frozen=True)
class Credit:
    """``amount`` of ``measure`` credited to ``person`` (``TEAM`` for role-only credits) of ``role``."""

    role: str
    person: int
    measure: str
    amount: float


def _cfg(crediting: Crediting) -> np.ndarray:
    from sim.plans.rulebook import crediting_cfg

    return crediting_cfg(crediting)


def credited_roles(event: Event, crediting: Crediting) -> Sequence[str]:
    """Roles credited for a sales booking: the event's own ``credited`` list when the world
    filled it, else the plan's crediting rules (the back-test leaves it empty)."""
    from sim.plans.credits import booking_roles

    row = rows_of([event])[0]
    return CREDITED[int(booking_roles(row["deal_kind"], row["credited"], _cfg(crediting)))]


def credits_of(event: Event, crediting: Crediting) -> list[Credit]:
    """Every additive measure credit an event generates (book ratios are handled apart)."""
    from sim.plans.credits import event_credits, new_credits

    rows = rows_of([event])
    out = new_credits()
    n = int(event_credits(rows[0], _cfg(crediting), out))
    return [
        Credit(ROLES[int(c["role"])], int(c["person"]), MEASURES[int(c["measure"])], float(c["amount"]))
        for c in out[:n]
    ]


@functools.cache
def credit_kinds(
    upsell: tuple[str, ...], cross_sell: tuple[str, ...], handoff_bookings: bool
) -> dict[tuple[str, str], frozenset[str]]:
    """``(role, measure) -> the event kinds that can credit it`` under these crediting rules: every
    kind, deal kind, first-year flag, source and credited list put to the credit rule at once."""
    from sim.ledger import blank_rows
    from sim.plans.credits import every_credit
    from sim.plans.rulebook import CFG_CROSS_SELL, CFG_HANDOFF_BOOKINGS, CFG_SHARE, CFG_UPSELL, N_CFG

    grid = np.array(
        np.meshgrid(
            np.arange(len(EVENT_KINDS)), np.arange(len(DEAL_KINDS)), [0, 1], np.arange(1 + len(SOURCES)),
            np.arange(len(CREDITED)), indexing="ij",
        )
    ).reshape(5, -1)  # fmt: skip
    rows = blank_rows(0, 0.0, grid.shape[1])
    rows["kind"], rows["deal_kind"], rows["first_year"], rows["source"], rows["credited"] = grid
    rows["amount"] = 1.0
    for name in ("customer", "deal", "ae", "csm", "consultant", "marketer", "person", "sdr"):
        rows[name] = 1
    cfg = np.zeros(N_CFG, dtype=np.int64)
    cfg[CFG_UPSELL], cfg[CFG_CROSS_SELL] = CREDITED.index(upsell), CREDITED.index(cross_sell)
    cfg[CFG_HANDOFF_BOOKINGS] = int(handoff_bookings)
    cfg[CFG_SHARE : CFG_SHARE + 4] = SHARE_SCALE  # which kinds credit what does not depend on shares
    out: dict[tuple[str, str], set[str]] = {}
    for kind, role, measure in every_credit(rows, cfg).tolist():
        out.setdefault((ROLES[role], MEASURES[measure]), set()).add(EVENT_KINDS[kind])
    return {k: frozenset(v) for k, v in out.items()}


def sample_event(kind: EventKind) -> Event:
    """An event of ``kind`` with every person field filled, first-year, of a new deal: what a
    plan could be credited for or paid on by that kind at most."""
    return Event(
        0.0,
        kind,
        amount=1.0,
        first_year=True,
        deal=1,
        customer=1,
        ae=1,
        csm=1,
        consultant=1,
        sdr=1,
        deal_kind="new",
    )


def measures_credited_by(kind: EventKind, crediting: Crediting) -> frozenset[str]:
    """Every measure an event of ``kind`` can credit (:func:`credits_of` on its
    :func:`sample_event`)."""
    return frozenset(c.measure for c in credits_of(sample_event(kind), crediting))


def spiff_matches(spiff_event: str, event: Event) -> bool:
    """Whether a ledger event is a qualifying event for a spiff."""
    from sim.plans.credits import spiff_matches as matches

    return bool(matches(SPIFF_EVENTS.index(spiff_event), rows_of([event])[0]))


def spiff_person(role: str, event: Event, crediting: Crediting) -> int:
    """Who of ``role`` earns a spiff for this event (-1: nobody)."""
    from sim.plans.credits import spiff_person as person

    return int(person(ROLES.index(role), rows_of([event])[0], _cfg(crediting)))

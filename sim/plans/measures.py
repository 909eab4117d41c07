"""Measure crediting: which ledger event credits which person with how much of which measure.

This is the shared measure semantics of ``notes/COMMON.md`` written as code: the world emits
ledger events, and this module alone decides what they are worth in each plan measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sim.ledger import Event, EventKind
from sim.scenario.plans import Crediting

TEAM = -1
"""Person id under which role-wide (team) totals are kept."""

RATIO_MEASURES = frozenset({"book_grr", "book_nrr"})
"""Measures that are ratios over a period, computed at the period's close."""

ROLE_FIELD: dict[str, str] = {
    "ae": "ae",
    "csm": "csm",
    "consultant": "consultant",
    "marketing": "marketer",
    "sdr": "sdr",
}
"""Event field holding the person of each role (``product`` has none: team measures only)."""

ARR_KINDS = frozenset(
    {
        "arr_new",
        "arr_expansion",
        "arr_upsell",
        "arr_cross_sell",
        "arr_contraction",
        "arr_price_erosion",
        "arr_churn",
    }
)
SALES_KINDS = ("new", "upsell", "cross_sell")


@dataclass(slots=True, frozen=True)
class Credit:
    """``amount`` of ``measure`` credited to ``person`` (``TEAM`` for role-only credits) of ``role``."""

    role: str
    person: int
    measure: str
    amount: float


def credited_roles(event: Event, crediting: Crediting) -> Sequence[str]:
    """Roles credited for a sales booking: the event's own ``credited`` list when the world
    filled it, else the plan's crediting rules (the back-test leaves it empty)."""
    if event.deal_kind == "new":
        return ("ae",)
    if event.credited:
        return event.credited
    if event.deal_kind == "upsell":
        return tuple(crediting.upsell)
    if event.deal_kind == "cross_sell":
        return tuple(crediting.cross_sell)
    return ()


def credits_of(event: Event, crediting: Crediting) -> list[Credit]:
    """Every additive measure credit an event generates (book ratios are handled apart)."""
    k = event.kind
    out: list[Credit] = []
    if k == "booking":
        if event.deal_kind not in SALES_KINDS:
            return out
        kind_measure = {"new": "new_logo_acv", "upsell": "upsell_acv", "cross_sell": "cross_sell_acv"}[
            event.deal_kind
        ]
        for role in credited_roles(event, crediting):
            person = event.ae if role == "ae" else event.csm
            if person < 0:
                continue
            out.append(Credit(role, person, "bookings_acv", event.amount))
            out.append(Credit(role, person, kind_measure, event.amount))
        if event.deal_kind == "new" and event.source == "marketing":
            who = event.marketer if event.marketer >= 0 else TEAM
            out.append(Credit("marketing", who, "marketing_sourced_acv", event.amount))
        if event.deal_kind == "new" and event.sdr >= 0:
            out.append(Credit("sdr", event.sdr, "sdr_closed_acv", event.amount))
            if crediting.handoff.credit_bookings:
                out.append(Credit("sdr", event.sdr, "bookings_acv", event.amount))
                out.append(Credit("sdr", event.sdr, "new_logo_acv", event.amount))
    elif k == "revenue":
        if event.first_year and event.ae >= 0:
            out.append(Credit("ae", event.ae, "first_year_revenue", event.amount))
        if event.first_year and event.sdr >= 0:
            out.append(Credit("sdr", event.sdr, "sdr_first_year_revenue", event.amount))
    elif k == "cash":
        if event.ae >= 0 and event.deal_kind != "renewal":  # billing on: renewal terms' cash is not a sale
            out.append(Credit("ae", event.ae, "cash_collected", event.amount))
    elif k in ARR_KINDS:
        if event.ae >= 0 and event.deal_kind in SALES_KINDS:
            out.append(Credit("ae", event.ae, "net_new_arr", event.amount))
        if event.csm >= 0:
            out.append(Credit("csm", event.csm, "net_new_arr", event.amount))
    elif k == "go_live":
        if event.consultant >= 0:
            out.append(Credit("consultant", event.consultant, "go_lives", 1.0))
    elif k == "implementation_success":
        if event.consultant >= 0:
            out.append(Credit("consultant", event.consultant, "implementation_success_90d", 1.0))
        if event.ae >= 0:
            out.append(Credit("ae", event.ae, "implementation_success_90d", 1.0))
    elif k == "renewal":
        if event.first_year:
            if event.consultant >= 0:
                out.append(Credit("consultant", event.consultant, "first_year_renewals", event.amount))
            if event.ae >= 0:
                out.append(Credit("ae", event.ae, "first_year_renewals", event.amount))
        if event.csm >= 0:
            out.append(Credit("csm", event.csm, "renewals_arr", event.amount))
    elif k == "reference":
        if event.csm >= 0:
            out.append(Credit("csm", event.csm, "references", 1.0))
    elif k == "referral":
        if event.csm >= 0:
            out.append(Credit("csm", event.csm, "referrals", 1.0))
    elif k == "tickets":
        out.append(Credit("product", TEAM, "tickets", event.amount))
    elif k == "meeting":
        if event.sdr >= 0:
            out.append(Credit("sdr", event.sdr, "meetings_set", 1.0))
    elif k == "opportunity":
        if event.sdr >= 0:
            out.append(Credit("sdr", event.sdr, "qualified_opportunities", 1.0))
    elif k == "lead":
        who = event.marketer if event.marketer >= 0 else event.person
        out.append(Credit("marketing", who if who >= 0 else TEAM, "leads", 1.0))
    return out


def sample_event(kind: EventKind) -> Event:
    """An event of ``kind`` with every person field filled, first-year, of a new deal: what a
    plan could be credited for or paid on by that kind at most."""
    return Event(
        0.0, kind, amount=1.0, first_year=True, deal=1, customer=1, ae=1, csm=1, consultant=1, sdr=1,
        deal_kind="new",
    )


def measures_credited_by(kind: EventKind, crediting: Crediting) -> frozenset[str]:
    """Every measure an event of ``kind`` can credit (:func:`credits_of` on its
    :func:`sample_event`)."""
    return frozenset(c.measure for c in credits_of(sample_event(kind), crediting))


def spiff_matches(spiff_event: str, event: Event) -> bool:
    """Whether a ledger event is a qualifying event for a spiff."""
    k = event.kind
    if spiff_event == "new_logo":
        return k == "booking" and event.deal_kind == "new"
    if spiff_event == "multi_year":
        return k == "booking" and event.deal_kind in SALES_KINDS and event.term_months > 12
    if spiff_event in ("upsell", "cross_sell"):
        return k == "booking" and event.deal_kind == spiff_event
    if spiff_event in ("reference", "referral", "go_live", "renewal"):
        return k == spiff_event
    if spiff_event == "handoff":
        return k == "opportunity" and event.sdr >= 0
    return False


def spiff_person(role: str, event: Event, crediting: Crediting) -> int:
    """Who of ``role`` earns a spiff for this event (-1: nobody)."""
    if role == "product":
        return -1
    if event.kind == "booking" and role in ("ae", "csm") and role not in credited_roles(event, crediting):
        return -1
    return int(getattr(event, ROLE_FIELD[role]))

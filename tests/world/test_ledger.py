"""The ledger the world writes: the fields the payout engine and metrics rely on."""

from __future__ import annotations

from collections import Counter

import pytest
from world_fixtures import tiny

from sim.policy import NeutralPolicy
from sim.replication import simulate


@pytest.fixture(scope="module")
def run():  # type: ignore[no-untyped-def]
    sc = tiny(
        company__segments__smb__upsell_opportunities_per_year=3.0,
        company__segments__smb__cross_sell_opportunities_per_year=3.0,
        company__reps__annual_attrition=0.6,
    )
    sc.plans[0].crediting.upsell = ["ae", "csm"]
    sc.plans[0].crediting.cross_sell = ["csm"]
    return sc, simulate(sc, "base", 11, NeutralPolicy(), keep_ledger=True)


def test_events_are_in_time_order(run) -> None:  # type: ignore[no-untyped-def]
    _, r = run
    days = [e.day for e in r.ledger]
    assert days == sorted(days)


def test_people_are_hired_with_unique_ids(run) -> None:  # type: ignore[no-untyped-def]
    sc, r = run
    hires = [e for e in r.ledger if e.kind == "hire"]
    assert len({e.person for e in hires}) == len(hires)
    at_start = Counter(e.role for e in hires if e.day == 0)
    c = sc.company
    assert at_start == {
        "ae": c.reps.headcount,
        "csm": c.csms.headcount,
        "consultant": c.consultants.headcount,
        "marketing": c.marketing.headcount,
        "product": c.support.product_headcount,
    }
    leaves = [e for e in r.ledger if e.kind == "leave"]
    assert leaves, "attrition 0.6/yr over 15 months should lose someone"
    assert {e.person for e in leaves} <= {e.person for e in hires if e.role == "ae"}


def test_deal_consequences_credit_the_closing_rep(run) -> None:  # type: ignore[no-untyped-def]
    _, r = run
    closer = {e.deal: e.ae for e in r.ledger if e.kind == "booking" and e.deal_kind == "new"}
    booked = {e.deal: e.day for e in r.ledger if e.kind == "booking" and e.deal_kind == "new"}
    revenue = [e for e in r.ledger if e.kind == "revenue" and e.deal in closer]
    assert revenue and all(e.ae == closer[e.deal] and e.first_year for e in revenue)
    lives = [e for e in r.ledger if e.kind == "go_live"]
    assert lives and all(e.consultant >= 0 and e.forecast_day == booked[e.deal] for e in lives)
    assert all(e.ae == closer[e.deal] for e in lives)


def test_expansion_deals_follow_the_crediting_rules(run) -> None:  # type: ignore[no-untyped-def]
    _, r = run
    ups = [e for e in r.ledger if e.kind == "booking" and e.deal_kind == "upsell"]
    crs = [e for e in r.ledger if e.kind == "booking" and e.deal_kind == "cross_sell"]
    assert ups and crs
    assert all(e.credited == ("ae", "csm") for e in ups)
    assert all(e.credited == ("csm",) for e in crs)
    moves = {e.deal: e.amount for e in r.ledger if e.kind in ("arr_upsell", "arr_cross_sell")}
    assert all(moves[e.deal] == e.amount for e in ups + crs)


def test_book_snapshots_every_month_for_every_csm(run) -> None:  # type: ignore[no-untyped-def]
    sc, r = run
    snaps = [e for e in r.ledger if e.kind == "book_snapshot"]
    months = round(sc.company.warmup_years * 12) + round(sc.company.horizon_years * 12)
    assert len(snaps) == months * sc.company.csms.headcount
    assert all(e.role == "csm" and e.person == e.csm and e.amount >= 0 for e in snaps)


def test_bookings_carry_terms_and_forecast(run) -> None:  # type: ignore[no-untyped-def]
    _, r = run
    new = [e for e in r.ledger if e.kind == "booking" and e.deal_kind == "new"]
    assert new
    for e in new:
        assert e.credited == ("ae",) and e.ae >= 0
        assert e.list_price > 0 and 0 <= e.discount < 1 and e.term_months == 12
        assert e.forecast_day >= 0 and e.source in ("outbound", "marketing", "referral", "champion")
        assert e.amount == pytest.approx(e.list_price * (1 - e.discount), abs=0.02)

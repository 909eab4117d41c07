"""The ARR identity: start + new + expansion - contraction - churn = end, to the cent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from world_fixtures import tiny

from sim.policy import NeutralPolicy
from sim.replication import simulate

MOVES = (
    "arr_new",
    "arr_expansion",
    "arr_upsell",
    "arr_cross_sell",
    "arr_contraction",
    "arr_price_erosion",
    "arr_churn",
)


def cents(x: float) -> int:
    return round(x * 100)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    replication=st.integers(0, 50),
    smb_leads=st.floats(0, 30),
    churn=st.floats(0, 0.6),
    neutral_discount=st.sampled_from([0.0, 0.1, 0.3]),
    overcommit=st.sampled_from([0.0, 0.25]),
    upsell=st.floats(0, 2),
)
def test_arr_identity_to_the_cent(
    seed: int,
    replication: int,
    smb_leads: float,
    churn: float,
    neutral_discount: float,
    overcommit: float,
    upsell: float,
) -> None:
    sc = tiny(
        experiment__seed=seed,
        company__segments__smb__leads_per_month=smb_leads,
        company__segments__smb__annual_churn=churn,
        company__segments__smb__upsell_opportunities_per_year=upsell,
        behaviour__ae__neutral_discount=neutral_discount,
        behaviour__ae__neutral_overcommit=overcommit,
    )
    r = simulate(sc, "base", replication, NeutralPolicy(), keep_ledger=True)
    assert r.ledger is not None
    moves = [e for e in r.ledger if e.kind in MOVES]
    assert all(
        cents(e.amount) == e.amount * 100 or abs(cents(e.amount) - e.amount * 100) < 1e-6 for e in moves
    )
    total = sum(cents(e.amount) for e in moves)
    assert cents(r.metrics["starting_arr"]) + total == cents(r.metrics["ending_arr"])
    # and over the measured window alone
    start_day = min((e.day for e in r.ledger if e.kind == "book_snapshot"), default=0.0)
    del start_day
    in_window = sum(cents(e.amount) for e in moves if e.day >= _measure_start(sc))
    assert cents(r.metrics["measure_start_arr"]) + in_window == cents(r.metrics["ending_arr"])
    # signs: additions positive, losses negative
    for e in moves:
        if e.kind in ("arr_new", "arr_expansion", "arr_upsell", "arr_cross_sell"):
            assert e.amount > 0
        else:
            assert e.amount < 0


def _measure_start(sc) -> float:  # type: ignore[no-untyped-def]
    from sim.time.calendar import Calendar

    w = round(sc.company.warmup_years * 12)
    cal = Calendar(sc.company.fiscal_year_start_month, w + round(sc.company.horizon_years * 12))
    return float(cal.month_starts[w])


def test_identity_holds_with_deep_discounts_and_price_erosion() -> None:
    sc = tiny(
        behaviour__ae__neutral_discount=0.3,
        company__horizon_years=1.5,
        company__customers__price_erosion_share=0.9,
    )
    r = simulate(sc, "base", 3, NeutralPolicy(), keep_ledger=True)
    assert r.ledger is not None
    kinds = {e.kind for e in r.ledger}
    assert "arr_price_erosion" in kinds and "arr_churn" in kinds and "arr_new" in kinds
    total = sum(cents(e.amount) for e in r.ledger if e.kind in MOVES)
    assert cents(r.metrics["starting_arr"]) + total == cents(r.metrics["ending_arr"])

"""The month start's renewals, the CSMs' split tables and the CSM row of an account, against
their definitions written out by hand (one account, one CSM, one split at a time)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import load_scenario
from sim.ledger import DEAL_KIND_CODE, K
from sim.policy.decisions import ROW
from sim.replication import build_world
from sim.world.model import World
from sim.world.rules import renewal_churn_probability

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def world() -> World:
    """Replication 1 of the seed plans' first plan (CSMs paid on book GRR), run to its end."""
    sc = load_scenario(SCENARIOS / "seed-plans.yaml")
    w = build_world(sc, sc.plans[0].name, 1)
    w.run()
    return w


def test_renewal_blocks_follow_each_customer_in_turn(world: World) -> None:
    """A month's renewal rows come customer by customer (in the book's order); each customer's
    block is a churn, or true-up, repricing, the renewal and a churn if its ARR fell to zero; only
    the renewal row carries the term, and only a customer's first renewal can say it is the first."""
    rows = world.ledger.rows
    rows = rows[rows["deal_kind"] == DEAL_KIND_CODE["renewal"]]
    letter = {K.arr_churn: "C", K.arr_expansion: "E", K.arr_contraction: "X", K.arr_price_erosion: "P"}
    letter[K.renewal] = "R"
    block = re.compile(r"C|[EX]?[EP]?RC?")
    seen: dict[str, int] = {}
    renewed: set[int] = set()
    for day in np.unique(rows["day"]):
        today = rows[rows["day"] == day]
        cust = today["customer"]
        starts = np.flatnonzero(np.r_[True, cust[1:] != cust[:-1]])
        assert np.all(np.diff(cust[starts]) > 0), f"day {day}: customers out of order or split"
        for a, b in zip(starts, np.r_[starts[1:], len(today)], strict=True):
            part = today[a:b]
            word = "".join(letter[int(k)] for k in part["kind"])
            assert block.fullmatch(word), f"day {day}, customer {cust[a]}: {word}"
            for ch in word:
                seen[ch] = seen.get(ch, 0) + 1
            renewal = part["kind"] == K.renewal
            assert np.all(part["term_months"][renewal] > 0) and np.all(part["term_months"][~renewal] == 0)
            at = a + int(np.flatnonzero(renewal)[0]) if renewal.any() else -1
            if at >= 0:  # a customer's later renewals are not its first
                assert not (today["first_year"][at] and int(cust[a]) in renewed)
                renewed.add(int(cust[a]))
            if word.endswith("RC"):
                assert part["amount"][-1] == -part["amount"][-2]
    assert all(seen.get(ch, 0) > 0 for ch in "CEXPR"), seen  # every kind of row was checked


def test_csm_split_tables_by_hand(world: World) -> None:
    """Each CSM's ARR a split saves by the renewal (book GRR's amount times the book): the sum,
    over the CSM's accounts renewing within a year, of ARR x (churn without the split - churn with it)."""
    team, book = world.cs, world.book
    assert team.measures == ("book_grr",)
    tables = team._tables()
    cc, cb = world.company.customers, team.behaviour.csm
    n_csm, splits = len(team.people), team._splits
    month = world.clock.month_of(world.env.now)
    churn = world.segments.array("annual_churn")
    saved = np.zeros((n_csm, len(splits)))
    total = np.zeros(n_csm)
    checked = 0
    for i in book.live().tolist():
        csm = int(book.csm[i])
        if csm not in team.people:
            continue
        row = team.people.index(csm)
        arr = book.arr_cents[i] / 100.0
        total[row] += arr
        months_to = int(book.contract_end_month[i]) - month
        if months_to > 12:
            continue
        checked += 1
        h = float(book.health[i])
        d = float(book.discount[i])
        inc = d / max(1 - d, 1e-9) if d >= cc.deep_discount else 0.0
        decay = (1.0 - cc.health_reversion_per_month) ** max(months_to, 0)

        def p(extra: float, i: int = i, h: float = h, inc: float = inc) -> float:
            health = min(max(h + extra, 0.0), 1.0)
            return float(
                renewal_churn_probability(
                    churn[book.segment[i]],
                    book.term_months[i],
                    health,
                    inc,
                    cc.renewal_health_sensitivity,
                    cc.renewal_price_sensitivity,
                )
            )

        for j, s in enumerate(splits):
            dh = (
                cb.save_health_per_month * s[0] * (h < cc.detractor_health)
                + cb.value_review_health_per_month * s[1]
            ) * team.attention[row]
            saved[row, j] += arr * (p(0.0) - p(dh * decay))
    assert checked > 100 and np.abs(saved).max() > 0
    grr = tables.data[:, 0, ROW["amount"], :]
    np.testing.assert_allclose(grr * total[:, None], saved, rtol=1e-9, atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    people=st.lists(st.integers(0, 40), unique=True, max_size=8),
    ids=st.lists(st.integers(-1, 60), min_size=1, max_size=30),
)
def test_csm_rows_by_definition(world: World, people: list[int], ids: list[int]) -> None:
    """An account's CSM row: its CSM's position among the team's people; no CSM (-1), or a person
    not on the team: the zero row after them."""
    team = world.cs
    kept = team.people
    try:
        team.people = people
        team._index()
        want = [people.index(x) if x in people else len(people) for x in ids]
        assert team.csm_rows(np.array(ids, dtype=np.int64)).tolist() == want
    finally:
        team.people = kept
        team._index()

"""A finite market (sim/world/addressable.py): cool-offs, saturation, the unlimited default, validation."""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from dataclasses import astuple
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from world_fixtures import TINY, tiny

from sim.policy import NeutralPolicy
from sim.replication import build_world, run_world, simulate
from sim.result import ReplicationResult
from sim.scenario import Scenario, ScenarioError
from sim.scenario.load import validate_data
from sim.time.calendar import DAYS_PER_MONTH
from sim.world.addressable import AVAILABLE, COOLING, CUSTOMER, NEVER, PIPELINE, SegmentMarket
from sim.world.book import IMPLEMENTING, LIVE
from sim.world.model import World

SMB = "company__segments__smb__"


def _world(scenario: Scenario, replication: int = 0) -> World:
    return _run(scenario, replication)[0]


def _run(scenario: Scenario, replication: int = 0) -> tuple[World, ReplicationResult]:
    w = build_world(scenario, scenario.plans[0], replication, NeutralPolicy())
    return w, run_world(w, scenario.plans[0])


def _new_logos_by_year(world: World, segment: int) -> list[int]:
    """New-logo bookings of a segment in each whole year of the run (from the ledger; a last
    partial year is left out)."""
    years = int(world.clock.end_day // 365.25)
    out = [0] * years
    for e in world.ledger.events:
        if e.kind == "booking" and e.deal_kind == "new" and e.segment == segment and e.day < years * 365.25:
            out[int(e.day // 365.25)] += 1
    return out


# ---------------------------------------------------------------------- the unlimited default
def test_unlimited_market_gives_todays_ledger() -> None:
    """Without the fields, and with 0 organisations (cool-offs set but unused), the ledger is identical
    and no organisation stream is ever drawn."""
    plain = simulate(tiny(), "base", 1, NeutralPolicy(), keep_ledger=True)
    zero = simulate(
        tiny(
            company__segments__smb__addressable_organisations=0,
            company__segments__smb__cooloff_days=3.0,
            company__segments__smb__churned_cooloff_days=None,
        ),
        "base",
        1,
        NeutralPolicy(),
        keep_ledger=True,
    )
    assert plain.ledger is not None and zero.ledger is not None
    assert [astuple(e) for e in plain.ledger] == [astuple(e) for e in zero.ledger]
    assert plain.metrics.keys() == zero.metrics.keys()
    assert not any(k.startswith("market_penetration") for k in plain.metrics)
    w = _world(tiny(), 1)
    assert not [n for n in w.streams.names if n.endswith(".organisations")]
    assert w.orgs.log is None and not w.orgs.any
    # and a finite market does change the ledger (the comparison above can fail)
    finite = simulate(
        tiny(**{SMB + "addressable_organisations": 60}), "base", 1, NeutralPolicy(), keep_ledger=True
    )
    assert finite.ledger is not None
    assert [astuple(e) for e in finite.ledger] != [astuple(e) for e in plain.ledger]


# ---------------------------------------------------------------------- cool-offs
def _check_log(world: World, segment: int, cooloff: float, churned: float | None) -> dict[str, int]:
    """Walk the organisation log: no organisation is approached while in the pipeline, a customer, or
    before its cool-off ends; returns counts of what was seen."""
    assert world.orgs.log is not None
    ready: dict[int, float] = defaultdict(lambda: -math.inf)
    busy: dict[int, str] = {}
    seen: dict[str, int] = defaultdict(int)
    last = -math.inf
    for day, seg, org, what, _source, until in world.orgs.log:
        assert day >= last  # the log is in time order
        last = day
        if seg != segment:
            continue
        seen[what] += 1
        if what == "seed":
            busy[org] = "customer"
        elif what == "approach":
            assert org not in busy, f"organisation {org} approached on day {day:.1f} while {busy.get(org)}"
            assert day >= ready[org], (
                f"organisation {org} approached on day {day:.1f}, cool-off to {ready[org]:.1f}"
            )
            if ready[org] > -math.inf:
                seen["reapproach"] += 1
            busy[org] = "pipeline"
        elif what == "won":
            assert busy.get(org) == "pipeline"
            busy[org] = "customer"
        elif what == "reject":
            assert busy.pop(org) == "pipeline"
            assert until == pytest.approx(day + cooloff)
            ready[org] = until
        elif what == "churn":
            assert busy.pop(org) == "customer"
            assert until == (math.inf if churned is None else pytest.approx(day + churned))
            ready[org] = until
    return seen


def test_cooloff_respected_after_rejection_and_churn() -> None:
    sc = tiny(
        company__horizon_years=3,
        **{
            SMB + "addressable_organisations": 160,
            SMB + "cooloff_days": 120.0,
            SMB + "churned_cooloff_days": 400.0,
        },
    )
    w = _world(sc, 0)
    seen = _check_log(w, 0, 120.0, 400.0)
    assert seen["reject"] > 20 and seen["churn"] > 3 and seen["won"] > 10
    assert seen["reapproach"] > 0  # organisations do come back after their cool-off
    # every churn of an smb customer in the ledger is a churn in the organisation log
    churns = sum(1 for e in w.ledger.events if e.kind == "arr_churn" and e.segment == 0)
    assert churns == seen["churn"]
    # the markets agree with the log at the end
    m = w.orgs.markets[0]
    assert m is not None
    counts = m.counts(w.clock.end_day)
    assert sum(counts.values()) == 160
    book = w.book
    paying = np.isin(book.status[: book.n], (IMPLEMENTING, LIVE)) & (book.segment[: book.n] == 0)
    assert counts["customer"] == int(paying.sum())


def test_churned_organisations_never_return() -> None:
    sc = tiny(
        company__horizon_years=3,
        **{
            SMB + "addressable_organisations": 120,
            SMB + "cooloff_days": 30.0,
            SMB + "churned_cooloff_days": None,
        },
    )
    w = _world(sc, 2)
    seen = _check_log(w, 0, 30.0, None)
    assert seen["churn"] > 3
    m = w.orgs.markets[0]
    assert m is not None
    assert m.counts(w.clock.end_day)["never"] == seen["churn"]


# ---------------------------------------------------------------------- saturation
def test_saturation_reduces_new_logos_over_time() -> None:
    """A small market: new logos per year fall as it is used up, and fall further behind the unlimited
    market's (same seeds, common random numbers)."""
    small = tiny(company__horizon_years=5, **{SMB + "addressable_organisations": 160})
    unlimited = tiny(company__horizon_years=5)
    small_years = np.zeros(5)
    unlimited_years = np.zeros(5)
    for rep in range(3):
        ws, wu = _world(small, rep), _world(unlimited, rep)
        small_years += _new_logos_by_year(ws, 0)
        unlimited_years += _new_logos_by_year(wu, 0)
        pen = ws.orgs.penetration[0]
        assert pen[-1] > pen[0]  # penetration rises
    early, late = small_years[:2].sum(), small_years[-2:].sum()
    assert late < 0.8 * early, small_years
    share_early = early / unlimited_years[:2].sum()
    share_late = late / unlimited_years[-2:].sum()
    assert share_late < 0.75 * share_early, (small_years, unlimited_years)
    assert small_years.sum() < 0.7 * unlimited_years.sum()


def _expected_arrivals(world: World, segment: int, rate_per_day: float) -> tuple[float, int]:
    """(integral of rate x A(t)/N over the run, outbound leads that arrived), A(t) rebuilt from the log."""
    m = world.orgs.markets[segment]
    assert m is not None and world.orgs.log is not None
    steps: list[tuple[float, int]] = []
    arrived = 0
    for day, seg, _org, what, source, until in world.orgs.log:
        if seg != segment:
            continue
        if what in ("seed", "approach"):
            steps.append((day, -1))
            arrived += what == "approach" and source == 0
        elif what in ("reject", "churn") and until < world.clock.end_day:
            steps.append((until, +1))
    steps.sort()
    a, t, area = m.size, 0.0, 0.0
    for day, delta in steps:
        area += a * (day - t)
        a, t = a + delta, day
        assert 0 <= a <= m.size
    area += a * (world.clock.end_day - t)
    return rate_per_day * area / m.size, arrived


def test_arrival_rate_is_rate_times_available_share() -> None:
    """Outbound arrivals ~ Poisson(integral of leads_per_month/30.44 x A(t)/N dt): the count over a few
    replications lies within 3.5 standard deviations of the compensator, and far below the unlimited rate."""
    leads = 30.0
    sc = tiny(
        company__horizon_years=3,
        company__lead_sources={"outbound": 1.0, "marketing": 0.0},
        **{
            SMB + "addressable_organisations": 250,
            SMB + "leads_per_month": leads,
            SMB + "cooloff_days": 60.0,
        },
    )
    rate = leads / DAYS_PER_MONTH
    expected = observed = 0.0
    for rep in range(4):
        w = _world(sc, rep)
        lam, n = _expected_arrivals(w, 0, rate)
        expected += lam
        observed += n
        unlimited = rate * w.clock.end_day
    z = (observed - expected) / math.sqrt(expected)
    assert abs(z) < 3.5, (observed, expected, z)
    assert observed < 0.8 * 4 * unlimited  # saturation is at work


# ---------------------------------------------------------------------- metrics
def test_penetration_metrics_match_the_book() -> None:
    sc = tiny(company__horizon_years=2, **{SMB + "addressable_organisations": 200})
    w, r = _run(sc, 3)
    book = w.book
    paying = np.isin(book.status[: book.n], (IMPLEMENTING, LIVE)) & (book.segment[: book.n] == 0)
    assert r.metrics["market_penetration_smb"] == pytest.approx(paying.sum() / 200)
    assert math.isnan(r.metrics["market_penetration_mid_market"])
    assert r.metrics["market_penetration"] == pytest.approx(paying.sum() / 200)
    m = w.orgs.markets[0]
    assert m is not None
    assert r.metrics["available_share_smb"] == pytest.approx(m.counts(w.clock.end_day)["available"] / 200)
    months = w.clock.total_months - w.clock.warmup_months
    assert len(r.timeseries["market_penetration_smb"]) == months
    assert r.timeseries["market_penetration_smb"][-1] == r.metrics["market_penetration_smb"]
    assert r.metrics["leads_no_organisation"] >= 0


def test_referral_leads_without_organisations_are_lost() -> None:
    """A market fully taken by customers: referral and champion leads find no organisation."""
    sc = tiny(
        company__horizon_years=1,
        company__customers__referrals_per_promoter_per_year=3.0,
        **{
            SMB + "addressable_organisations": 40,
            SMB + "starting_customers": 40,
            SMB + "churned_cooloff_days": None,
        },
    )
    w, r = _run(sc, 0)
    assert w.orgs.no_organisation_total > 0
    assert r.metrics["leads_no_organisation_smb"] > 0
    assert _new_logos_by_year(w, 0) == [0] * len(_new_logos_by_year(w, 0))


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("smb", "path"),
    [
        (
            {"starting_customers": 40, "addressable_organisations": 39},
            "company.segments.smb.addressable_organisations",
        ),
        ({"addressable_organisations": -5}, "company.segments.smb.addressable_organisations"),
        ({"cooloff_days": 200, "churned_cooloff_days": 100}, "company.segments.smb.churned_cooloff_days"),
        ({"cooloff_days": -1}, "company.segments.smb.cooloff_days"),
        ({"churned_cooloff_days": -3}, "company.segments.smb.churned_cooloff_days"),
        ({"addressable_organisations": 2.5}, "company.segments.smb.addressable_organisations"),
    ],
)
def test_market_validation_names_the_field(smb: dict[str, object], path: str) -> None:
    data = copy.deepcopy(TINY)
    data["company"]["segments"]["smb"].update(smb)
    with pytest.raises(ScenarioError) as err:
        validate_data(data, "s.yaml")
    assert err.value.paths == [path]


def test_market_fields_accept_never_and_unlimited() -> None:
    data = copy.deepcopy(TINY)
    data["company"]["segments"]["smb"].update(
        {"addressable_organisations": 40, "churned_cooloff_days": None, "cooloff_days": 0}
    )
    seg = validate_data(data, "s.yaml").company.segments.smb
    assert seg.addressable_organisations == 40 and seg.churned_cooloff_days is None
    assert validate_data(copy.deepcopy(TINY), "s.yaml").company.segments.smb.addressable_organisations == 0


# ---------------------------------------------------------------------- the organisation store
OPS = st.lists(
    st.tuples(
        st.sampled_from(["take", "reject", "win", "churn"]),
        st.floats(0, 1, exclude_max=True),
        st.floats(0, 40),
    ),
    max_size=120,
)


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 30),
    seeded=st.integers(0, 30),
    cooloff=st.floats(0, 50),
    churned=st.one_of(st.none(), st.floats(50, 100)),
    ops=OPS,
)
def test_segment_market_matches_a_brute_force_model(
    size: int, seeded: int, cooloff: float, churned: float | None, ops: list[tuple[str, float, float]]
) -> None:
    """Lazy cool-offs and the Fenwick draw agree with recomputing availability from scratch."""
    seeded = min(seeded, size)
    m = SegmentMarket(size, cooloff, churned)
    m.occupy(seeded)
    state = [CUSTOMER] * seeded + [AVAILABLE] * (size - seeded)
    until = [-math.inf] * size
    now = 0.0
    for op, u, dt in ops:
        now += dt
        avail = [i for i in range(size) if state[i] == AVAILABLE or (state[i] == COOLING and until[i] <= now)]
        assert m.available(now) == len(avail)
        if op == "take":
            org = m.take(u, now)
            if not avail:
                assert org == -1
                continue
            assert org == avail[min(int(u * len(avail)), len(avail) - 1)]
            state[org] = PIPELINE
            continue
        want = PIPELINE if op in ("reject", "win") else CUSTOMER
        pool = [i for i in range(size) if state[i] == want]
        if not pool:
            continue
        org = pool[int(u * len(pool))]
        if op == "win":
            m.win(org)
            state[org] = CUSTOMER
        else:
            days = cooloff if op == "reject" else churned
            end = m.cool(org, now, days)
            if days is None:
                state[org], until[org] = NEVER, math.inf
                assert end == math.inf
            else:
                state[org], until[org] = COOLING, now + days
        assert m.n_customers == state.count(CUSTOMER)


# ---------------------------------------------------------------------- report
def test_report_draws_the_penetration_section(tmp_path: Path) -> None:
    import sim
    from sim.report import write_report

    data = copy.deepcopy(TINY)
    data["company"]["segments"]["smb"]["addressable_organisations"] = 150
    data["experiment"].update({"replications": 2, "max_replications": 2, "precision": {}})
    res = sim.run(Scenario.model_validate(data), reps=2, backend="serial", out=tmp_path / "finite")
    text = write_report(tmp_path / "finite", res).read_text("utf-8")
    section = text[text.index('<section id="market">') :]
    section = section[: section.index("</section>")]
    assert "<img" in section and "Figure not drawn" not in section
    assert "SMB penetration" in section
    assert (tmp_path / "finite" / "plots" / "market-penetration.png").is_file()
    assert res.replications["market_penetration_smb"].between(0, 1).all()

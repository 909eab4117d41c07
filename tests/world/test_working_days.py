"""Working days (company.working_days, sim/time/workdays.py): weekends, holidays and vacations.

The calendar against numpy's business-day functions, the capacity it removes, closes and
go-lives on working days, the period-end window in working days, the off switch, and the
scenario errors.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from world_fixtures import TINY, tiny

from sim.ledger import Event
from sim.policy import NeutralPolicy
from sim.replication import build_world, run_world, simulate
from sim.result import ReplicationResult
from sim.rng import Streams
from sim.scenario import ScenarioError
from sim.scenario.load import validate_data
from sim.scenario.working_days import WorkingDays
from sim.time.calendar import Calendar
from sim.time.workdays import WorkCalendar
from sim.world.model import World

HOLIDAYS = {"yearly": ["01-01", "05-01", "12-25", "12-26"], "dated": ["2025-04-18", "2025-04-21"]}


def work_calendar(
    vacation: int = 0, block: int = 5, roles: tuple[str, ...] = ("ae", "consultant", "csm"), **extra: Any
) -> tuple[WorkCalendar, dict[int, str]]:
    """A calendar over 2 fiscal years starting 2025-02-01, people 0-2 (ae, consultant, csm)."""
    cfg = WorkingDays.model_validate(
        {
            "holidays": HOLIDAYS,
            "vacation_days_per_year": vacation,
            "vacation_block_days": block,
            "roles": list(roles),
            **extra,
        }
    )
    roster = {0: "ae", 1: "consultant", 2: "csm", 3: "marketing"}
    return WorkCalendar(Calendar(2, 24), cfg, Streams(11, 0), roster), roster


def holiday_list(wc: WorkCalendar) -> list[np.datetime64]:
    return list(wc.holidays)


def date_of(wc: WorkCalendar, day: float) -> np.datetime64:
    return np.datetime64(wc.calendar.start, "D") + math.floor(day)


# ---------------------------------------------------------------- the calendar itself
def test_company_days_match_numpy_busdays() -> None:
    wc, _ = work_calendar()
    start = np.datetime64(wc.calendar.start, "D")
    dates = start + np.arange(wc.n_days)
    assert (wc.open == np.is_busday(dates, holidays=wc.holidays)).all()
    # the yearly holidays repeat, the dated ones do not; a holiday on a weekend is not moved
    assert not wc.open[(np.datetime64("2025-12-25") - start).astype(int)]
    assert not wc.open[(np.datetime64("2026-12-25") - start).astype(int)]
    assert not wc.open[(np.datetime64("2025-04-18") - start).astype(int)]
    assert wc.open[(np.datetime64("2026-04-17") - start).astype(int)]  # a Friday, not a holiday in 2026
    assert (wc.cum[1:] - wc.cum[:-1] == wc.open).all()
    # a Sunday-Thursday week from the weekmask
    wc2, _ = work_calendar(weekend=["fri", "sat"])
    assert wc2.weekmask == "1111001"
    assert (wc2.open == np.is_busday(dates, weekmask="1111001", holidays=wc2.holidays)).all()


@settings(max_examples=60, deadline=None)
@given(start=st.integers(0, 600), work=st.integers(1, 80), frac=st.floats(0.0, 0.99))
def test_d_working_days_span_the_business_days_numpy_counts(start: int, work: int, frac: float) -> None:
    """Work of D whole working days started at the beginning of a working day ends inside the
    (D-1)-th next business day (np.busday_offset), and exactly D working days elapse."""
    wc, _ = work_calendar()
    s = wc.next_open(float(start))
    end = wc.advance(1, s, float(work))
    expected = np.busday_offset(date_of(wc, s), work - 1, roll="forward", holidays=wc.holidays)
    assert date_of(wc, end) == expected
    assert wc.open[math.floor(end)]
    assert wc.worked(1, s, end) == pytest.approx(work, abs=1e-5)
    # from inside a day: the fractional part carries over
    t = float(start) + frac
    end2 = wc.advance(1, t, work + 0.25)
    assert wc.worked(1, t, end2) == pytest.approx(work + 0.25, abs=1e-5)
    assert wc.open[math.floor(end2)]


def test_implementation_across_a_weekend_and_a_holiday() -> None:
    """3 working days from Thursday 2025-12-18: Thu, Fri, Mon -> done Monday; from Tuesday
    2025-12-23: Tue, Wed, (Thu 25 and Fri 26 are holidays, weekend) Mon 29."""
    wc, _ = work_calendar()
    d0 = wc.calendar.day_of(dt.date(2025, 12, 18))
    end = wc.advance(1, d0, 3.0)
    assert wc.calendar.date_of(end) == dt.date(2025, 12, 22)
    assert end - d0 == pytest.approx(5.0, abs=1e-5)  # Thursday 00:00 to the end of Monday
    d1 = wc.calendar.day_of(dt.date(2025, 12, 23))
    end1 = wc.advance(1, d1, 3.0)
    assert wc.calendar.date_of(end1) == dt.date(2025, 12, 29)
    assert end1 - d1 == pytest.approx(7.0, abs=1e-5)
    # a role the calendar does not apply to works every day
    assert wc.advance(3, d1, 3.0) == pytest.approx(d1 + 3.0, abs=1e-5)


@pytest.mark.parametrize(("vacation", "block"), [(20, 5), (23, 5), (7, 10), (1, 1)])
def test_vacations_exact_days_per_year_in_blocks(vacation: int, block: int) -> None:
    wc, _ = work_calendar(vacation=vacation, block=block)
    vac = wc.vacation(0)
    assert not (vac & ~wc.open).any(), "vacation only on company working days"
    starts = wc.calendar.month_starts.astype(int)
    for y in range(2):
        a, b = starts[12 * y], starts[12 * (y + 1)]
        assert int(vac[a:b].sum()) == vacation
        # blocks: runs of consecutive company working days
        on = np.concatenate([[0], vac[a:b][wc.open[a:b]], [0]]).astype(int)
        runs = np.diff(np.flatnonzero(np.diff(on)))
        lengths = sorted(runs[::2].tolist())
        assert sum(lengths) == vacation
        assert max(lengths) <= block or len(lengths) < math.ceil(vacation / block)
    # per person: another person's vacation differs; the same person's is reproducible
    assert (wc.vacation(0) == vac).all()
    assert not (wc.vacation(1) == vac).all()
    works, _ = wc.person_days(0)
    assert (works == (wc.open & ~vac)).all()
    works_m, _ = wc.person_days(3)
    assert works_m.all()


def test_period_end_window_is_ten_working_days() -> None:
    wc, _ = work_calendar()
    cal = wc.calendar
    cal.workdays = wc
    origin = np.datetime64(cal.start, "D")
    for q in range(1, 8):
        q_end = float(cal.month_starts[3 * q])
        w0 = cal.period_end_window_start(q_end)
        assert np.busday_count(origin + int(w0), origin + int(q_end), holidays=wc.holidays) == 10
        assert wc.open[int(w0)]
        q_start = float(cal.month_starts[3 * (q - 1)])
        w1 = wc.window_end(q_start)
        assert np.busday_count(origin + int(q_start), origin + int(w1), holidays=wc.holidays) == 10
        assert wc.open[int(w1) - 1]
        assert wc.window_start(q_end, 1) == wc.last_working_before(3, q_end) or not wc.applies(3)
    cal.workdays = None
    assert cal.period_end_window_start(100.0) == 86.0  # today's definition when off


def test_month_factor_counts_holidays_and_vacation() -> None:
    wc, _ = work_calendar(vacation=10, block=10)
    cal = wc.calendar
    origin = np.datetime64(cal.start, "D")
    for m in range(24):
        a, b = int(cal.month_starts[m]), int(cal.month_starts[m + 1])
        nominal = np.busday_count(origin + a, origin + b)
        worked = int((wc.open[a:b] & ~wc.vacation(2)[a:b]).sum())
        assert wc.month_factor(2, m) == pytest.approx(worked / nominal)
    factors = np.array([wc.month_factor(2, m) for m in range(12)])
    assert factors.min() < 0.6  # the month of the 10-day block
    assert wc.month_factor(3, 0) == 1.0  # marketing: not in the roles


# ---------------------------------------------------------------- scenario errors
def _data(working_days: Any) -> dict[str, Any]:
    data = copy.deepcopy(TINY)
    data["company"]["working_days"] = working_days
    return data


@pytest.mark.parametrize(
    ("section", "path", "words"),
    [
        ({"holidays": {"yearly": ["12-25", "13-01"]}}, "company.working_days.holidays.yearly.1", "MM-DD"),
        ({"holidays": {"yearly": ["2-30"]}}, "company.working_days.holidays.yearly.0", "MM-DD"),
        ({"holidays": {"yearly": ["02-30"]}}, "company.working_days.holidays.yearly.0", "real month-day"),
        ({"holidays": {"dated": ["2025-12-24", "2025-02-30"]}}, "company.working_days.holidays.dated.1", ""),
        ({"weekend": ["sat", "sunday"]}, "company.working_days.weekend.1", "sun"),
        (
            {"weekend": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
            "company.working_days.weekend",
            "at least one working weekday",
        ),
        ({"weekend": ["sat", "sat"]}, "company.working_days.weekend", "once"),
        ({"roles": ["ae", "marketing"]}, "company.working_days.roles.1", ""),
        ({"vacation_days_per_year": -1}, "company.working_days.vacation_days_per_year", ""),
        ({"vacation_block_days": 0}, "company.working_days.vacation_block_days", ""),
        ({"holidays": {"weekly": ["mon"]}}, "company.working_days.holidays.weekly", "yearly"),
    ],
)
def test_scenario_errors_name_the_field(section: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        validate_data(_data(section), "s.yaml")
    assert path in err.value.paths, err.value.paths
    problem = next(p for p in err.value.problems if p.path == path)
    assert words in problem.message


def test_scenario_section_parses() -> None:
    s = validate_data(_data({"holidays": {"yearly": ["02-29"], "dated": [dt.date(2026, 1, 2)]}}), "s.yaml")
    wd = s.company.working_days
    assert wd is not None and wd.weekmask == "1111100" and wd.holidays.dated == [dt.date(2026, 1, 2)]
    assert validate_data(_data(None), "s.yaml").company.working_days is None
    # 02-29 counts only in leap years
    wc, _ = work_calendar(holidays={"yearly": ["02-29"]})
    assert [str(h) for h in wc.holidays] == ["2028-02-29"]  # the calendar (with margin) ends in 2028


# ---------------------------------------------------------------- in the world
WD_ON = {"holidays": HOLIDAYS, "vacation_days_per_year": 20}


def ran(scenario: Any, replication: int = 0) -> World:
    return ran_with_result(scenario, replication)[0]


def ran_with_result(scenario: Any, replication: int = 0) -> tuple[World, ReplicationResult]:
    world = build_world(scenario, scenario.plans[0], replication, NeutralPolicy())
    return world, run_world(world, scenario.plans[0])


def test_off_is_todays_model() -> None:
    """Absent and ``null`` give the same ledger, and the off path never builds or asks a working-day
    calendar (so it runs exactly the code without the section)."""
    a = simulate(tiny(), "base", 3, NeutralPolicy(), keep_ledger=True)
    b = simulate(tiny(company__working_days=None), "base", 3, NeutralPolicy(), keep_ledger=True)
    assert a.ledger == b.ledger and a.metrics == b.metrics

    def forbidden(*_a: Any, **_k: Any) -> None:
        raise AssertionError("working-day code reached with the section off")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sim.world.model.WorkCalendar", forbidden)
        c = simulate(tiny(), "base", 3, NeutralPolicy(), keep_ledger=True)
    assert c.ledger == a.ledger
    on = simulate(tiny(company__working_days=WD_ON), "base", 3, NeutralPolicy(), keep_ledger=True)
    assert on.ledger != a.ledger  # the switch does something


def test_closes_and_go_lives_fall_on_working_days() -> None:
    world = ran(tiny(company__working_days=WD_ON))
    wd = world.clock.workdays
    assert wd is not None
    events: list[Event] = world.ledger.events
    new = [e for e in events if e.kind == "booking" and e.deal_kind == "new"]
    expansion = [e for e in events if e.kind == "booking" and e.deal_kind in ("upsell", "cross_sell")]
    lives = [e for e in events if e.kind == "go_live"]
    assert len(new) > 50 and len(lives) > 40 and expansion
    for e in new:  # the closing AE works that day: a company working day, not their vacation
        assert wd.open[math.floor(e.day)], world.calendar.date_of(e.day)
        assert wd.works(e.ae, e.day)
    for e in expansion:
        assert wd.open[math.floor(e.day)]
    for e in lives:
        assert wd.works(e.consultant, e.day)
    # vacations happened and some would-be closes were delayed past them
    vac = wd.vacation(new[0].ae)
    assert vac.sum() > 0


def test_implementation_spans_the_consultants_working_days() -> None:
    """With near-deterministic durations (gamma shape 1e6, speed 1), every project holds exactly
    implementation_days of its consultant's working time between start and go-live."""
    s = tiny(
        company__working_days=WD_ON,
        company__consultants__duration_shape=1e6,
        company__consultants__quality_noise_sd=0.0,
        behaviour__consultant__speed_options=[1.0],
    )
    world = ran(s)
    wd = world.clock.workdays
    assert wd is not None
    days = {0: 10.0, 1: 30.0, 2: 60.0}
    lives = [e for e in world.ledger.events if e.kind == "go_live"]
    assert lives
    stretched = 0
    for e in lives:
        start = e.forecast_day + e.wait_days
        worked = wd.worked(e.consultant, start, e.day)
        assert worked == pytest.approx(days[e.segment], rel=0.01), (e, worked)
        stretched += (e.day - start) > days[e.segment] * 1.2
    assert stretched / len(lives) > 0.8  # weekends alone make 10 working days at least 12 days


def saturated(working_days: dict[str, Any]) -> Any:
    return tiny(
        company__working_days=working_days,
        company__horizon_years=1,
        company__warmup_years=0.25,
        company__segments__smb__leads_per_month=40,
        company__segments__smb__base_win_rate=0.9,
        company__segments__smb__implementation_days=8,
        company__segments__mid_market__leads_per_month=0,
        company__segments__enterprise__leads_per_month=0,
        company__reps__headcount=6,
        company__consultants__headcount=2,
        company__consultants__concurrent_projects=2,
        company__consultants__duration_shape=400.0,
        company__consultants__quality_noise_sd=0.0,
        behaviour__consultant__speed_options=[1.0],
    )


def test_holidays_and_vacations_cut_consultant_throughput_by_the_lost_fraction() -> None:
    """In a saturated queue, go-lives in the measured year are proportional to consultant working
    days: with holidays and 20 vacation days, the paired ratio of go-lives to a weekends-only
    calendar covers (working days left) / (working days) within its 95% t-interval."""
    plain = {"weekend": ["sat", "sun"]}
    full = {"weekend": ["sat", "sun"], "holidays": HOLIDAYS, "vacation_days_per_year": 20}
    ratios, expected = [], []
    for rep in range(4):
        w0 = ran(saturated(plain), rep)
        w1 = ran(saturated(full), rep)
        counts = []
        for w in (w0, w1):
            lives = [e for e in w.ledger.events if e.kind == "go_live" and e.day >= w.clock.measure_start]
            waits = [e.wait_days for e in lives]
            assert np.median(waits) > 20, "the queue must stay saturated"
            counts.append(len(lives))
        ratios.append(counts[1] / counts[0])
        wd0, wd1 = w0.clock.workdays, w1.clock.workdays
        assert wd0 is not None and wd1 is not None
        people = w1.implementation.people
        a, b = w1.clock.measure_start, w1.clock.end_day
        expected.append(sum(wd1.worked(p, a, b) for p in people) / sum(wd0.worked(p, a, b) for p in people))
    r = np.array(ratios)
    target = float(np.mean(expected))
    assert 0.85 < target < 0.92  # 4-6 holidays + 20 vacation days of ~250 working days
    half = stats.t.ppf(0.975, len(r) - 1) * r.std(ddof=1) / math.sqrt(len(r))
    print(f"go-live ratio {r.mean():.4f} +- {half:.4f} ({np.round(r, 4)}), working-day ratio {target:.4f}")
    assert abs(r.mean() - target) <= max(half, 0.01), (r, target)
    assert r.mean() < 0.95  # capacity fell


def test_period_end_share_uses_the_last_ten_working_days() -> None:
    # a Monday-Thursday week: 10 working days are two and a half weeks, not the last 14 days
    four_days = {**WD_ON, "weekend": ["fri", "sat", "sun"]}
    world, result = ran_with_result(tiny(company__working_days=four_days, company__horizon_years=2))
    wd = world.clock.workdays
    assert wd is not None
    cal = world.calendar
    new = [
        e
        for e in world.ledger.events
        if e.kind == "booking"
        and e.deal_kind == "new"
        and world.clock.measure_start <= e.day < world.clock.end_day
    ]
    late_acv, late_14 = 0.0, 0.0
    origin = np.datetime64(cal.start, "D")
    for e in new:
        q = cal.period_of(e.day, "quarter")
        q_end = cal.period_bounds(q, "quarter")[1]
        left = np.busday_count(
            origin + math.floor(e.day), origin + int(q_end), weekmask="1111000", holidays=wd.holidays
        )
        late_acv += e.amount * (left <= 10)
        late_14 += e.amount * (e.day >= q_end - 14.0)
    total = sum(e.amount for e in new)
    got = result.metrics["period_end_share"]
    assert got == pytest.approx(late_acv / total)
    assert late_acv > late_14  # the working-day window is longer here


def test_csm_time_scales_with_working_days() -> None:
    world = ran(tiny(company__working_days={"holidays": HOLIDAYS, "vacation_days_per_year": 15}))
    wd = world.clock.workdays
    assert wd is not None
    last = world.clock.total_months - 1
    for i, p in enumerate(world.cs.people):
        total = float(world.cs.shares[i].sum())
        assert total == pytest.approx(float(world.cs.neutral.sum()) * wd.month_factor(p, last))


@settings(max_examples=5, deadline=None)
@given(
    weekend=st.lists(
        st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), max_size=3, unique=True
    ),
    vacation=st.integers(0, 40),
    block=st.integers(1, 15),
    replication=st.integers(0, 20),
)
def test_closes_on_working_days_for_any_calendar(
    weekend: list[str], vacation: int, block: int, replication: int
) -> None:
    cfg = {
        "weekend": weekend,
        "holidays": HOLIDAYS,
        "vacation_days_per_year": vacation,
        "vacation_block_days": block,
    }
    world = ran(tiny(company__working_days=cfg, company__horizon_years=0.5), replication)
    wd = world.clock.workdays
    assert wd is not None
    for e in world.ledger.events:
        if e.kind == "booking" and e.deal_kind == "new":
            assert wd.works(e.ae, e.day)
        elif e.kind == "booking" and e.deal_kind in ("upsell", "cross_sell"):
            assert wd.open[math.floor(e.day)]
        elif e.kind == "go_live" and e.consultant >= 0:
            assert wd.works(e.consultant, e.day)

"""Docking with RevSim's canonical case: the case passes, its closed forms are right by hand, and it
fails on a world that pays the first bill whatever (no churn check before it) or that sources calls on
every calendar day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

import sim.world.billing as billing
import sim.world.prospecting as prospecting
from sim.validation import run_case
from sim.validation.docking import CASE, START, anniversary, expected, rolled, working


def _show(r: Any) -> str:
    return "\n".join(
        f"{c.name}: {c.expected} vs {c.simulated:.6g} [{c.low:.6g}, {c.high:.6g}]" for c in r.checks
    )


def test_case_passes() -> None:
    r = run_case("exact.docking.revsim")
    assert r.passed, _show(r)


def test_calendar_by_hand() -> None:
    # 2025-01-01 (day 0) is a holiday and a Wednesday; 2025-01-04/05 a weekend
    assert not working(0) and working(1) and not working(3) and not working(4)
    assert rolled(3.0) == 5.0 and rolled(1.5) == 1.5
    # a close on 31 January bills on 28 February, 31 March, 30 April
    jan31 = 30.25
    assert anniversary(jan31, 0) == jan31
    assert anniversary(jan31, 1) == (dt.date(2025, 2, 28) - START).days + 0.25
    assert anniversary(jan31, 2) == (dt.date(2025, 3, 31) - START).days + 0.25
    assert anniversary(jan31, 3) == (dt.date(2025, 4, 30) - START).days + 0.25
    ex = expected(CASE)
    assert (
        ex.working_days == 522 - 4
    )  # 2025-26: 261 + 261 weekdays; 01-01 and 12-25 fall on weekdays both years
    q = CASE.q
    assert ex.per_win_commission == pytest.approx(100 * sum((1 - q) ** (j + 1) for j in range(6)))


def test_case_fails_without_the_check_before_the_first_bill(monkeypatch: pytest.MonkeyPatch) -> None:
    real = billing.lapses

    def first_bill_always_paid(u, rates, months, health, checked, customers):  # type: ignore[no-untyped-def]
        gone = real(u, rates, months, health, checked, customers)
        return gone & (np.asarray(u) < 0)  # never before any bill: only the renewal-free world remains

    monkeypatch.setattr(billing, "lapses", first_bill_always_paid)
    r = run_case("exact.docking.revsim")
    failed = {c.name for c in r.checks if not c.passed}
    assert "share of wins lost before the first bill = q" in failed, _show(r)


def test_case_fails_when_calls_ignore_working_days(monkeypatch: pytest.MonkeyPatch) -> None:
    real = prospecting.Prospecting.day

    def every_day(self, day, people, active, ramp):  # type: ignore[no-untyped-def]
        wd, self.clock.workdays = self.clock.workdays, None
        try:
            real(self, day, people, active, ramp)
        finally:
            self.clock.workdays = wd

    monkeypatch.setattr(prospecting.Prospecting, "day", every_day)
    r = run_case("exact.docking.revsim")
    assert not r.checks[0].passed, _show(r)

"""The metrics' tally is the same number however the ledger's rows reach it.

The world's tally reads its ledger in batches (``Ledger.sync_readers``), and a tally of a finished
list of events (``Tally.of``) reads them at once: every sum is accumulated in row order, so how the
rows are cut into batches cannot change a bit of any metric.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from world_fixtures import tiny

from sim.ledger import DEAL_KIND_CODE, KIND_CODE, rows_of
from sim.policy import NeutralPolicy
from sim.replication import simulate
from sim.tally import Tally
from sim.time.calendar import Calendar


@dataclass(frozen=True, repr=False)
class Kept:
    """A replication's ledger rows and its scenario (a short repr for hypothesis' reports)."""

    rows: np.ndarray
    scenario: Any

    def __repr__(self) -> str:
        return f"Kept({len(self.rows)} rows)"


@pytest.fixture(scope="module")
def ledger() -> Kept:
    sc = tiny(company__horizon_years=3, company__warmup_years=1)
    kept = simulate(sc, "base", 3, NeutralPolicy(), keep_ledger=True)
    assert kept.ledger is not None
    return Kept(rows_of(kept.ledger), sc)


def _tally(sc: Any) -> Tally:
    w = round(sc.company.warmup_years * 12)
    t = w + round(sc.company.horizon_years * 12)
    return Tally(Calendar(sc.company.fiscal_year_start_month, t), sc.plans[0], w, t)


def _state(x: Any) -> Any:
    """Everything a tally holds, as plain values (floats by their bits)."""
    if isinstance(x, float):
        return float.hex(x) if not math.isnan(x) else "nan"
    if isinstance(x, np.ndarray):
        return (str(x.dtype), x.shape, x.tobytes())
    if isinstance(x, dict):
        return {k: _state(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_state(v) for v in x]
    if hasattr(x, "__dict__"):
        return {k: _state(v) for k, v in vars(x).items() if k not in ("calendar", "quota", "_ledger")}
    return x


def test_the_ledger_has_what_the_batches_could_split(ledger: Kept) -> None:
    rows = ledger.rows
    kinds = set(rows["kind"].tolist())
    for kind in ("booking", "arr_new", "arr_expansion", "renewal", "cash", "revenue"):
        assert KIND_CODE[kind] in kinds, kind
    sold = np.isin(rows["deal_kind"], [DEAL_KIND_CODE["upsell"], DEAL_KIND_CODE["cross_sell"]])
    expansion = (rows["kind"] == KIND_CODE["booking"]) & sold
    assert int(expansion.sum()) >= 5  # expansion bookings, whose sums once depended on the batches


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.floats(0.0, 1.0), max_size=40))
def test_a_tally_is_the_same_whatever_the_batches(ledger: Kept, cuts: list[float]) -> None:
    rows, sc = ledger.rows, ledger.scenario
    whole = _tally(sc)
    whole.observe_rows(rows)
    at = sorted({round(c * len(rows)) for c in cuts} | {0, len(rows)})
    batched = _tally(sc)
    for lo, hi in itertools.pairwise(at):
        batched.observe_rows(rows[lo:hi])
    got, want = _state(batched), _state(whole)
    moved = sorted(k for k in want if got[k] != want[k])
    assert not moved, f"batches {at} changed {moved}"

"""A simulated company's history as its CRM would show it (the same :class:`Crm` as the exports).

A replication is run through the public ``sim.replication.simulate`` with its ledger kept and with
:class:`OpportunityLog` as the policy: it answers every decision exactly as the incentive policy
does and notes each opportunity an AE opens (the ledger records only won deals). Then:

* won new business: the ledger's new-logo bookings, created on the day the opportunity was
  opened; lost new business: the opportunities opened that never booked, closed a cycle after
  they were opened (a gamma draw with the scenario's segment mean and shape, stream
  ``calibrate.lost_close``; still open at the end of the horizon: left out, as an export of
  closed opportunities would);
* upsells and cross-sells: their bookings (won only: the world does not record lost ones);
* monthly ARR per account: the ARR movements and renewal levels of the ledger, as month-end values;
* people: the AEs' hire and leave events, with the plan's quota.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.calibrate.crm import (
    AE,
    ARR_COLUMNS,
    CSM,
    OPPORTUNITY_COLUMNS,
    PEOPLE_COLUMNS,
    Crm,
    add_months,
    empty_frame,
    fiscal_quarter_start,
    typed_frame,
)
from sim.ledger import KIND_CODE, events_of_kinds, rows_of
from sim.rng import stream
from sim.scenario.schema import Scenario
from sim.time.calendar import Calendar
from sim.vocabulary import ARR_KINDS, EVENT_KINDS, SEGMENTS, SOURCES

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from sim.ledger import Event, Ledger
    from sim.policy import Decision, DecisionBatch, Policy

_MOVES = tuple(k for k in EVENT_KINDS if k in ARR_KINDS)
"""The ARR movements, in the vocabulary's order."""
_READ = ("booking", "hire", "leave")
"""The ledger kinds :func:`crm_of` reads as events (the ARR panel reads its kinds as rows)."""


class OpportunityLog:
    """A policy that answers as ``inner`` does and notes every opportunity opened (a
    ``deal_terms`` decision) and every close pulled into an earlier quarter."""

    def __init__(self, inner: Policy, pull_in_discount: float) -> None:
        self.inner = inner
        self.pull_in_discount = pull_in_discount
        self.opened: list[tuple[float, int, int, int, float, float, float]] = []
        """(day, AE, segment, source, fit, list ACV, discount) of each opportunity opened."""
        self.pulled: set[tuple[int, float]] = set()
        """(AE, fit) of the opportunities pulled in (their discount rose by the pull-in discount)."""

    @property
    def state(self) -> Any:
        """The inner policy's live pay state (the world shares it when it can)."""
        return getattr(self.inner, "state", None)

    def bind(self, ledger: Ledger, calendar: Calendar, roster: dict[int, str]) -> None:
        """Bind the inner policy."""
        self.inner.bind(ledger, calendar, roster)

    def choose(self, decision: Decision, u: float) -> int:
        """The inner policy's choice, noted when it opens or pulls in an opportunity."""
        k = self.inner.choose(decision, u)
        if decision.kind in ("deal_terms", "close_timing"):
            opts = decision.options
            chosen = opts.head(k) if hasattr(opts, "head") else opts[k]  # lazy options: no outcomes built
            self._note(
                decision.kind, decision.day, decision.person, decision.attrs, chosen.label, chosen.value
            )
        return k

    def choose_many(self, batch: DecisionBatch, u: NDArray[np.float64]) -> NDArray[np.int64]:
        """The inner policy's choices of a batch, each noted as :meth:`choose` notes it."""
        ks = self.inner.choose_many(batch, u)
        if batch.kind in ("deal_terms", "close_timing"):
            tabs = batch.tables
            for j, k in enumerate(ks.tolist()):
                i = int(batch.which[j])
                value = batch.labels[k].value if batch.values is None else float(batch.values[j, k])
                attrs = {name: float(v[i]) for name, v in batch.attrs.items()}
                self._note(
                    batch.kind, float(tabs.days[i]), int(tabs.persons[i]), attrs, batch.labels[k].label, value
                )
        return ks

    def _note(self, kind: str, day: float, person: int, attrs: Any, label: str, value: float) -> None:
        if kind == "deal_terms":
            self.opened.append(
                (
                    day,
                    person,
                    int(attrs["segment"]),
                    int(attrs["source"]),
                    float(attrs["fit"]),
                    float(attrs["list_acv"]),
                    float(value),
                )
            )
        elif label == "pull_in":
            self.pulled.add((person, float(attrs["fit"])))

    def measures(self, role: str) -> tuple[str, ...]:
        """The inner policy's measures."""
        return self.inner.measures(role)

    def attrition_multipliers(self, role: str, persons: NDArray[np.int64], day: float) -> NDArray[np.float64]:
        """The inner policy's attrition multipliers."""
        return self.inner.attrition_multipliers(role, persons, day)


def world_calendar(scenario: Scenario) -> Calendar:
    """The calendar a replication of ``scenario`` runs on (warm-up plus horizon)."""
    c = scenario.company
    months = round(c.warmup_years * 12) + max(1, round(c.horizon_years * 12))
    return Calendar(c.fiscal_year_start_month, months)


def _dates(cal: Calendar, day: np.ndarray) -> np.ndarray:
    return np.datetime64(cal.start, "D") + np.floor(day).astype("int64").astype("timedelta64[D]")


def _column(events: list[Event], name: str) -> np.ndarray:
    return np.array([getattr(e, name) for e in events])


def crm_of(
    scenario: Scenario, plan: str, replication: int, ledger: np.ndarray | Sequence[Event], log: OpportunityLog
) -> Crm:
    """The history a replication leaves, as its CRM exports would show it (see the module doc).

    ``ledger``: the run's events in order, as ledger rows (:data:`sim.ledger.EVENT_DTYPE`, what
    :func:`sim.replication.history` keeps) or as :class:`~sim.ledger.Event` objects."""
    cal = world_calendar(scenario)
    c = scenario.company
    warm = round(c.warmup_years * 12)
    rows = ledger if isinstance(ledger, np.ndarray) else rows_of(ledger)
    by_kind: dict[str, list[Event]] = {}
    for e in events_of_kinds(rows, *_READ):  # only the kinds an export shows become objects
        by_kind.setdefault(e.kind, []).append(e)
    bookings = by_kind.get("booking", [])
    booked = {(e.ae, e.fit) for e in bookings if e.deal_kind == "new"}
    parts = [_won(bookings, log, scenario, cal, replication), _lost(log, booked, scenario, cal, replication)]
    parts = [p for p in parts if p]
    opps = (
        typed_frame(
            {
                name: np.concatenate([np.asarray(p[name], dtype=t) for p in parts])
                for name, t in OPPORTUNITY_COLUMNS.items()
            },
            OPPORTUNITY_COLUMNS,
        )
        if parts
        else empty_frame(OPPORTUNITY_COLUMNS)
    )
    arr = _arr_panel(rows, cal)
    quota = scenario.plan(plan).ae.quota
    people = _people(by_kind, cal, float(quota.annual_amount) if quota is not None else np.nan)
    measured = np.datetime64(cal.start, "D") + np.timedelta64(int(cal.month_starts[warm]), "D")
    start = fiscal_quarter_start(np.array([measured]), c.fiscal_year_start_month)[0]
    if start < measured:  # the window is whole fiscal quarters
        start = add_months(start, 3)
    end = np.datetime64(cal.start, "D") + np.timedelta64(int(cal.end_day), "D")
    return Crm(opps, arr, people, c.fiscal_year_start_month, start, end)


def _won(
    bookings: list[Event], log: OpportunityLog, scenario: Scenario, cal: Calendar, rep: int
) -> dict[str, Any]:
    """The won deals' columns of the opportunities table (none: empty)."""
    deals = [e for e in bookings if e.deal_kind in ("new", "upsell", "cross_sell")]
    if not deals:
        return {}
    opened = {(ae, fit): day for day, ae, _s, _src, fit, _l, _d in log.opened}
    day = _column(deals, "day")
    kind = _column(deals, "deal_kind")
    new = kind == "new"
    created = day.copy()
    for i in np.flatnonzero(new).tolist():
        e = deals[i]
        created[i] = opened.get((e.ae, e.fit), e.forecast_day - _cycle_mean(scenario, e.segment, e.source))
    expansion = np.flatnonzero(~new)
    u = stream(scenario.experiment.seed, rep, "calibrate.expansion_created").random(len(expansion))
    created[expansion] = day[expansion] - u * 2 * scenario.company.deals.expansion_cycle_days
    owner = [
        f"{AE}:{e.ae}" if (AE in e.credited or e.deal_kind == "new") else f"{CSM}:{e.csm}" for e in deals
    ]
    return {
        "id": [f"W{e.deal}" for e in deals],
        "owner": owner,
        "account": [f"C{e.customer}" for e in deals],
        "segment": [SEGMENTS[e.segment] for e in deals],
        "type": kind,
        "won": np.ones(len(deals), dtype=bool),
        "amount": _column(deals, "amount"),
        "discount": _column(deals, "discount"),
        "created": _dates(cal, created),
        "closed": _dates(cal, day),
        "source": [e.source for e in deals],
        "fit": np.where(new, _column(deals, "fit"), np.nan),
        "term_months": _column(deals, "term_months").astype(float),
    }


def _cycle_mean(scenario: Scenario, segment: int, source: str) -> float:
    d = scenario.company.deals
    mult = {"referral": d.referral_cycle_multiplier, "champion": d.champion_cycle_multiplier}.get(source, 1.0)
    return float(getattr(scenario.company.segments, SEGMENTS[segment]).sales_cycle_days) * mult


def _lost(
    log: OpportunityLog, booked: set[tuple[int, float]], scenario: Scenario, cal: Calendar, rep: int
) -> dict[str, Any]:
    """The lost opportunities' columns of the opportunities table (none: empty)."""
    rows = [r for r in log.opened if (r[1], r[4]) not in booked]
    if not rows:
        return {}
    a = np.array(rows, dtype=float)
    day, ae, seg, src, fit, list_acv, disc = a.T
    shape = scenario.company.deals.cycle_shape
    means = np.array([_cycle_mean(scenario, int(s), SOURCES[int(x)]) for s, x in zip(seg, src, strict=True)])
    cycle = stream(scenario.experiment.seed, rep, "calibrate.lost_close").gamma(shape, 1.0, len(rows))
    close = day + cycle * means / shape
    pulled = np.array([(int(r[1]), r[4]) in log.pulled for r in rows])
    disc = np.where(pulled, np.minimum(disc + log.pull_in_discount, 0.95), disc)
    keep = close < cal.end_day
    n = int(keep.sum())
    return {
        "id": [f"L{i}" for i in np.flatnonzero(keep).tolist()],
        "owner": [f"ae:{int(x)}" for x in ae[keep]],
        "account": [f"P{i}" for i in np.flatnonzero(keep).tolist()],
        "segment": [SEGMENTS[int(s)] for s in seg[keep]],
        "type": ["new"] * n,
        "won": np.zeros(n, dtype=bool),
        "amount": (list_acv * (1.0 - disc))[keep],
        "discount": disc[keep],
        "created": _dates(cal, day[keep]),
        "closed": _dates(cal, close[keep]),
        "source": [SOURCES[int(x)] for x in src[keep]],
        "fit": fit[keep],
        "term_months": np.array(
            [
                float(getattr(scenario.company.segments, SEGMENTS[int(s)]).contract_term_months)
                for s in seg[keep]
            ]
        ),
    }


def _arr_panel(rows: np.ndarray, cal: Calendar) -> pd.DataFrame:
    """Month-end ARR per account (only months with ARR; an absent month is 0), from ledger rows.

    Each account's events are read in order (day, then its movements in the vocabulary's order of
    kinds and the ledger's order, then its renewal levels: the world records a renewal's movements
    before its level, sim/world/customers.py), its ARR the running sum of its movements
    (:func:`running_sums`). Its level before its first event comes from an anchor: a new deal
    starts from 0, a renewal records the level after it, a churn leaves 0 (starting customers have
    no new deal); an account without one is left out."""
    code = rows["kind"]
    moves = np.concatenate([np.flatnonzero(code == KIND_CODE[k]) for k in _MOVES])
    levels = np.flatnonzero(code == KIND_CODE["renewal"])
    at = np.r_[moves, levels]
    if not len(at):
        return empty_frame(ARR_COLUMNS)
    amount = rows["amount"]
    cust, day = rows["customer"][at].astype(np.int64), rows["day"][at]
    delta = np.r_[amount[moves], np.zeros(len(levels))]
    level = np.r_[np.full(len(moves), np.nan), amount[levels]]
    order = np.lexsort((np.arange(len(at)), day, cust))
    cust, day, delta, level, kind = cust[order], day[order], delta[order], level[order], code[at][order]
    first = np.r_[True, cust[1:] != cust[:-1]]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)  # each account's first event
    cum = running_sums(starts, delta)
    before = np.where(kind == KIND_CODE["arr_new"], -(cum - delta), np.nan)
    before = np.where(kind == KIND_CODE["arr_churn"], -cum, before)
    before = np.where(~np.isnan(level), level - cum, before)
    anchored = np.flatnonzero(~np.isnan(before))
    groups, pos = np.unique(group[anchored], return_index=True)  # each account's first anchor
    start = before[anchored[pos]]
    start = np.where(start < 0, 0.0, start)
    slot = np.full(len(first), -1, dtype=np.int64)
    slot[groups] = np.arange(len(groups))
    row = slot[group]
    keep = row >= 0
    arr = start[row[keep]] + cum[keep]
    month = cal.months_of(day[keep])
    r = row[keep]
    last = np.r_[(r[1:] != r[:-1]) | (month[1:] != month[:-1]), True]  # an account's last event of a month
    last &= (month >= 0) & (month < cal.total_months)
    values = np.full((len(groups), cal.total_months), np.nan)
    values[r[last], month[last]] = arr[last]
    filled = np.maximum.accumulate(np.where(np.isnan(values), 0, np.arange(cal.total_months)), axis=1)
    values = np.take_along_axis(values, filled, axis=1)  # carried forward; before the first: the anchor
    values = np.where(np.isnan(values), start[:, None], values)
    who, month = np.nonzero(values > 0.005)
    firsts = starts[groups]
    names = np.array([f"C{c}" for c in cust[firsts].tolist()], dtype=object)
    segments = np.array([SEGMENTS[s] for s in rows["segment"][at][order][firsts].tolist()], dtype=object)
    return typed_frame(
        {
            "account": names[who],
            "segment": segments[who],
            "month": _dates(cal, cal.month_starts[month]).astype("datetime64[M]"),
            "arr": values[who, month],
        },
        ARR_COLUMNS,
    )


def running_sums(starts: NDArray[np.int64], values: NDArray[np.float64]) -> NDArray[np.float64]:
    """The running sum of ``values`` within each group of consecutive entries (groups begin at
    ``starts``, ascending, the first at 0), each a compensated (Kahan) sum: for every entry in
    turn ``y = x - c; t = s + y; c = (t - s) - y; s = t``. Groups advance together, one entry
    of each at a time."""
    out = np.empty(len(values))
    if not len(values):
        return out
    length = np.diff(np.r_[starts, len(values)])
    by_length = np.argsort(-length, kind="stable")  # the groups still going at step k: a prefix
    begin, length = starts[by_length], length[by_length]
    s = np.zeros(len(begin))
    c = np.zeros(len(begin))
    for k in range(int(length[0])):
        n = int(np.searchsorted(-length, -k, side="left"))  # groups longer than k
        i = begin[:n] + k
        y = values[i] - c[:n]
        t = s[:n] + y
        c[:n] = (t - s[:n]) - y
        s[:n] = t
        out[i] = t
    return out


def _people(by_kind: dict[str, list[Event]], cal: Calendar, quota: float) -> pd.DataFrame:
    hires = {e.person: e.day for e in by_kind.get("hire", []) if e.role == AE}
    leaves = {e.person: e.day for e in by_kind.get("leave", []) if e.role == AE}
    ids = sorted(hires)
    leave = np.array([leaves.get(p, np.nan) for p in ids], dtype=float)
    leave_dates = _dates(cal, np.nan_to_num(leave)).astype("datetime64[s]")
    leave_dates[np.isnan(leave)] = np.datetime64("NaT", "s")
    return typed_frame(
        {
            "name": [f"{AE}:{p}" for p in ids],
            "role": [AE] * len(ids),
            "hire": _dates(cal, np.array([hires[p] for p in ids], dtype=float)),
            "leave": leave_dates,
            "quota": np.full(len(ids), quota),
        },
        PEOPLE_COLUMNS,
    )

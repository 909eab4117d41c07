"""Back-test: replay closed deals from a CRM export through every plan, with no behaviour change.

This is what compensation software does today; incentsim has it too, and it shares the
payout engine with the simulation. The CSV is turned into ledger events and every plan of a
scenario prices the same events.

Accepted columns (header case, spaces, dashes and a ``(unit)`` suffix are ignored; aliases in
brackets; ``--map COLUMN=HEADER`` names any other header: :mod:`sim.csvtable`):

* ``id`` [opportunity_id, deal_id, opportunity] - required, unique per row;
* ``owner`` [rep, ae, opportunity_owner, owner_name] - required: the AE (one AE per owner);
* ``amount`` [acv, amount_usd, arr, net_amount] - required: first-year ACV after discount, in
  dollars (``$`` and thousands separators accepted);
* ``close_date`` [closed_date, close, date] - required, ``YYYY-MM-DD`` or ``MM/DD/YYYY``;
* ``type`` [deal_type, opportunity_type, kind] - required: new, upsell, cross_sell, renewal
  (also ``new business``, ``new logo``, ``cross-sell``, ``expansion`` = upsell);
* ``discount`` [discount_pct, discount_percent] - optional, a fraction (0.15) or ``15%``;
* ``term_months`` [term, contract_term] - optional, whole months, default 12;
* ``csm`` - optional: the account's CSM, credited on expansion deals when the plan says so;
* ``account`` [customer, account_name, account_id] - optional, default: one account per row;
* ``go_live_date`` - optional, default 30 days after close;
* ``implementation`` - optional, ``success`` (default) or ``failed``;
* ``churn_date`` - optional: the day the customer churned, if it did.

Events derived per deal: ``booking`` at close; ``go_live``; ``implementation_success`` 90
days after go-live (or ``implementation_failed`` at go-live + 90); first-year ``revenue``
monthly (ACV/12) from close; ``cash`` of the ACV 30 days after close; ``renewal`` at close +
term unless churned before; ``arr_churn`` at ``churn_date``. Reps are hired on the first day
of the first fiscal year touched and leave at the end of the last one (base salary); pay of
the deals' later events (revenue, renewals) is counted until the last event.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.csvtable import norm, open_table
from sim.ledger import DEAL_KIND_CODE, DEFAULT_ROW, EVENT_DTYPE, KIND_CODE, ROLE_CODE, Event, EventKind
from sim.plans.components import CLAWBACK_TRIGGER, TIMING_TRIGGER, paid_measures, role_spiffs
from sim.plans.engine import Payouts, PayState, payouts_from_state
from sim.plans.measures import ARR_KINDS, measures_credited_by, sample_event, spiff_matches
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.plans import ROLES, PlanDesign
from sim.scenario.schema import Scenario
from sim.time.calendar import Calendar

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "opportunity_id", "deal_id", "opportunity", "opportunity_name"),
    "owner": ("owner", "rep", "ae", "opportunity_owner", "owner_name"),
    "amount": ("amount", "acv", "amount_usd", "arr", "net_amount"),
    "close_date": ("close_date", "closed_date", "close", "date"),
    "type": ("type", "deal_type", "opportunity_type", "kind"),
    "discount": ("discount", "discount_pct", "discount_percent"),
    "term_months": ("term_months", "term", "contract_term"),
    "csm": ("csm", "account_csm"),
    "account": ("account", "customer", "account_name", "account_id"),
    "go_live_date": ("go_live_date", "go_live", "golive_date"),
    "implementation": ("implementation", "implementation_status"),
    "churn_date": ("churn_date", "churned_date", "churn"),
}
REQUIRED = ("id", "owner", "amount", "close_date", "type")
TYPE_ALIASES = {
    "new": "new",
    "new_business": "new",
    "new_logo": "new",
    "newbusiness": "new",
    "upsell": "upsell",
    "expansion": "upsell",
    "up_sell": "upsell",
    "cross_sell": "cross_sell",
    "crosssell": "cross_sell",
    "renewal": "renewal",
}
ARR_KIND: dict[str, EventKind] = {"new": "arr_new", "upsell": "arr_upsell", "cross_sell": "arr_cross_sell"}
GO_LIVE_DAYS = 30.0
SUCCESS_DAYS = 90.0
CASH_DAYS = 30.0

MAX_TERM_MONTHS = 120
"""Longest contract term accepted (ten years)."""


@dataclass(frozen=True, slots=True)
class Deal:
    """One closed opportunity of the CSV."""

    row: int
    id: str
    owner: str
    amount: float
    close_date: dt.date
    kind: str
    discount: float = 0.0
    term_months: int = 12
    csm: str = ""
    account: str = ""
    go_live_date: dt.date | None = None
    failed: bool = False
    churn_date: dt.date | None = None


def deal_kind(text: str) -> str:
    """The deal kind a ``type`` cell names (``new``, ``upsell``, ``cross_sell``, ``renewal``), or ""."""
    return TYPE_ALIASES.get(norm(text), "")


def read_deals(path: str | Path, mapping: Mapping[str, str] | None = None) -> list[Deal]:
    """Read a CRM export; every problem is reported (``row N.column: expected..., found...``).

    Row numbers are the CSV's line numbers as a spreadsheet shows them (the header is row 1).
    Columns may be separated by commas, semicolons, tabs or ``|`` (recognised from the header);
    ``mapping`` names other headers (``{"amount": "Net ACV"}``; :func:`sim.csvtable.open_table`).
    """
    table = open_table(path, COLUMNS, REQUIRED, mapping=mapping, kind="deals")
    deals: list[Deal] = []
    seen: dict[str, int] = {}
    for row in table.rows():
        n = row.n
        before = len(table.problems)
        did = row.cell("id")
        if not did:
            row.bad("id", "a deal id", did)
        elif did in seen:
            row.bad("id", f"a unique id (already used on row {seen[did]})", did)
        else:
            seen[did] = n
        owner = row.cell("owner")
        if not owner:
            row.bad("owner", "the owner's name", owner)
        amount = row.money("amount")
        close = row.date("close_date")
        kind = deal_kind(row.cell("type"))
        if not kind:
            row.bad("type", "new, upsell, cross_sell or renewal", row.cell("type"))
        discount = row.fraction("discount") or 0.0
        term = 12
        t = row.cell("term_months")
        if t:
            try:
                value = float(t)
                if not (value.is_integer() and 1 <= value <= MAX_TERM_MONTHS):
                    raise ValueError(t)
                term = int(value)
            except ValueError:
                row.bad("term_months", f"a whole number of months from 1 to {MAX_TERM_MONTHS} like 12", t)
        dates = {
            col: row.date(col, optional=True, after=close, after_col="close_date")
            for col in ("go_live_date", "churn_date")
        }
        impl = row.cell("implementation").lower()
        if impl not in ("", "success", "failed"):
            row.bad("implementation", "success, failed or an empty cell", impl)
        if len(table.problems) == before and close is not None and amount is not None:
            deals.append(
                Deal(
                    n,
                    did,
                    owner,
                    amount,
                    close,
                    kind,
                    discount,
                    term,
                    row.cell("csm"),
                    row.cell("account") or f"#{did}",
                    dates["go_live_date"],
                    impl == "failed",
                    dates["churn_date"],
                )
            )
    table.check()
    if not deals:
        raise ScenarioError([Problem(table.file, "row 2", "expected at least one deal, found none")])
    return deals


_KINDS: tuple[EventKind, ...] = (
    "hire",
    "leave",
    "booking",
    "renewal",
    "arr_new",
    "arr_upsell",
    "arr_cross_sell",
    "go_live",
    "implementation_success",
    "implementation_failed",
    "cash",
    "revenue",
    "arr_churn",
)
_CODE = {k: i for i, k in enumerate(_KINDS)}
_CHUNK = 65_536


@dataclass
class DealLedger:
    """The ledger built from deals, with its calendar and who is who.

    Events are kept compactly (day, kind, amount, deal, first-year flag per event: about 30
    bytes each instead of an ``Event`` object) in time order; :meth:`iter_events` builds the
    ``Event`` objects one at a time, so a 200,000-row back-test never holds millions of them.
    """

    calendar: Calendar
    names: dict[int, str]
    """Person id -> name (``ae:Ann``, ``csm:Bob``)."""
    fiscal_start_day: float
    fiscal_end_day: float
    end_day: float
    """First day after the last event (pay of later events is counted until then)."""
    bookings: float
    """Sum of new, upsell and cross-sell ACV."""
    _deals: list[Deal] = field(default_factory=list, repr=False)
    """Deals in ledger order (deal id k is ``_deals[k - 1]``)."""
    _people: list[tuple[str, int]] = field(default_factory=list, repr=False)
    """(role, person id) of the hire/leave events (index into it for those events)."""
    _ids: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)
    _customers: list[int] = field(default_factory=list, repr=False)
    _day: Any = None
    _kind: Any = None
    _amount: Any = None
    _ref: Any = None
    _first_year: Any = None

    def __len__(self) -> int:
        return len(self._day)

    @property
    def events(self) -> list[Event]:
        """Every event in time order (built on demand; prefer :meth:`iter_events`)."""
        return list(self.iter_events())

    def iter_events(self, skip: frozenset[str] = frozenset()) -> Iterator[Event]:
        """The events in time order (stable: same-day events in the order they were derived),
        leaving out the kinds in ``skip``."""
        import numpy as np

        order = self._order
        if skip:
            codes = np.asarray([_CODE[k] for k in skip if k in _CODE], dtype=np.int8)
            order = order[~np.isin(self._kind[order], codes)]
        deals, people, ids = self._deals, self._people, self._ids
        who = [
            {
                "deal": n,
                "customer": c,
                "ae": ids[("ae", d.owner)],
                "csm": ids[("csm", d.csm)] if d.csm else -1,
                "deal_kind": d.kind,
            }
            for n, (d, c) in enumerate(zip(deals, self._customers, strict=True), start=1)
        ]
        hire, leave, booking = _CODE["hire"], _CODE["leave"], _CODE["booking"]
        for lo in range(0, len(order), _CHUNK):  # Python values for one chunk at a time
            part = order[lo : lo + _CHUNK]
            rows = zip(
                self._day[part].tolist(),
                self._kind[part].tolist(),
                self._amount[part].tolist(),
                self._ref[part].tolist(),
                self._first_year[part].tolist(),
                strict=True,
            )
            for day, c, amount, r, first in rows:
                if c in (hire, leave):
                    role, pid = people[r]
                    yield Event(day, _KINDS[c], role=role, person=pid)
                elif c == booking:
                    d = deals[r - 1]
                    yield Event(
                        day,
                        "booking",
                        amount=amount,
                        list_price=d.amount / (1.0 - d.discount),
                        discount=d.discount,
                        term_months=d.term_months,
                        **who[r - 1],
                    )
                else:
                    yield Event(day, _KINDS[c], amount=amount, first_year=first == 1, **who[r - 1])

    def iter_rows(self, skip: frozenset[str] = frozenset(), chunk: int = _CHUNK) -> Iterator[np.ndarray]:
        """:meth:`rows` in consecutive blocks of at most ``chunk`` rows (a large export never holds
        all its rows at once)."""
        order = self._order
        if skip:
            codes = np.asarray([_CODE[k] for k in skip if k in _CODE], dtype=np.int8)
            order = order[~np.isin(self._kind[order], codes)]
        for lo in range(0, len(order), chunk):
            yield self._rows_at(order[lo : lo + chunk])

    def rows(self, skip: frozenset[str] = frozenset()) -> np.ndarray:
        """The events as ledger rows (:data:`sim.ledger.EVENT_DTYPE`), in the order of
        :meth:`iter_events` (the same events, built in bulk)."""
        order = self._order
        if skip:
            codes = np.asarray([_CODE[k] for k in skip if k in _CODE], dtype=np.int8)
            order = order[~np.isin(self._kind[order], codes)]
        return self._rows_at(order)

    def _rows_at(self, order: np.ndarray) -> np.ndarray:
        """The rows of the events at positions ``order`` (in that order)."""
        code = np.asarray([KIND_CODE[k] for k in _KINDS], dtype=np.int8)[self._kind[order]]
        ref = self._ref[order]
        out = np.empty(len(order), dtype=EVENT_DTYPE)
        out[:] = DEFAULT_ROW
        out["day"] = self._day[order]
        out["kind"] = code
        out["amount"] = self._amount[order]
        people = np.isin(self._kind[order], [_CODE["hire"], _CODE["leave"]])
        if self._people:
            p_role = np.asarray([ROLE_CODE[r] for r, _ in self._people], dtype=np.int8)
            p_id = np.asarray([pid for _, pid in self._people], dtype=np.int32)
            out["role"][people] = p_role[ref[people]]
            out["person"][people] = p_id[ref[people]]
        deal = ~people
        d = ref[deal]
        ae, csm, cust, kind, amount, discount, term = self._deal_columns
        out["deal"][deal] = d
        out["customer"][deal] = cust[d]
        out["ae"][deal] = ae[d]
        out["csm"][deal] = csm[d]
        out["deal_kind"][deal] = kind[d]
        booking = code == KIND_CODE["booking"]
        b = ref[booking]
        out["list_price"][booking] = amount[b] / (1.0 - discount[b])
        out["discount"][booking] = discount[b]
        out["term_months"][booking] = term[b]
        other = deal & ~booking
        out["first_year"][other] = self._first_year[order][other] == 1
        return out

    @functools.cached_property
    def _deal_columns(self) -> tuple[np.ndarray, ...]:
        """Per deal id (0: none): AE, CSM, customer, deal kind, ACV, discount and term."""
        ids = self._ids
        per_deal = [(ids[("ae", x.owner)], ids[("csm", x.csm)] if x.csm else -1) for x in self._deals]
        return (
            np.asarray([-1] + [a for a, _ in per_deal], dtype=np.int32),
            np.asarray([-1] + [c for _, c in per_deal], dtype=np.int32),
            np.asarray([-1, *self._customers], dtype=np.int64),
            np.asarray([0] + [DEAL_KIND_CODE[x.kind] for x in self._deals], dtype=np.int8),
            np.asarray([1.0] + [x.amount for x in self._deals], dtype=np.float64),
            np.asarray([0.0] + [x.discount for x in self._deals], dtype=np.float64),
            np.asarray([0] + [x.term_months for x in self._deals], dtype=np.int16),
        )

    @functools.cached_property
    def _order(self) -> Any:
        return np.argsort(self._day, kind="stable")


def deals_to_events(deals: list[Deal], fiscal_year_start_month: int) -> DealLedger:
    """Turn deals into ledger events on a fiscal calendar starting at the first deal's fiscal year."""
    import numpy as np

    first = min(d.close_date for d in deals)
    last = max(d.close_date for d in deals)
    y = first.year if first.month >= fiscal_year_start_month else first.year - 1
    months = (last.year - y) * 12 + last.month - fiscal_year_start_month + 1
    years = max(1, math.ceil(months / 12))
    cal = Calendar(fiscal_year_start_month, 12 * years + 36, start_year=y)
    fiscal_end = cal.period_bounds(years - 1, "year")[1]
    names: dict[int, str] = {}
    ids: dict[tuple[str, str], int] = {}

    def person(role: str, name: str) -> int:
        key = (role, name)
        if key not in ids:
            ids[key] = len(ids) + 1
            names[ids[key]] = f"{role}:{name}"
        return ids[key]

    for d in sorted(deals, key=lambda d: d.owner):
        person("ae", d.owner)
    for d in sorted(deals, key=lambda d: d.csm):
        if d.csm:
            person("csm", d.csm)
    accounts: dict[str, int] = {}
    day: array[float] = array("d")
    kind: array[int] = array("b")
    amount: array[float] = array("d")
    ref: array[int] = array("l")
    first_year: array[int] = array("b")

    def add(at: float, k: EventKind, value: float, r: int, fy: bool = False) -> None:
        day.append(at)
        kind.append(_CODE[k])
        amount.append(value)
        ref.append(r)
        first_year.append(fy)

    people: list[tuple[str, int]] = []
    for pid, name in names.items():
        role = name.split(":", 1)[0]
        people.append((role, pid))
        add(0.0, "hire", 0.0, len(people) - 1)
        add(fiscal_end, "leave", 0.0, len(people) - 1)
    bookings = 0.0
    ordered = sorted(deals, key=lambda d: (d.close_date, d.row))
    customers: list[int] = []
    day_of: dict[dt.date, float] = {}

    def day_at(date: dt.date) -> float:
        got = day_of.get(date)
        if got is None:
            got = day_of[date] = cal.day_of(date)
        return got

    for deal_id, d in enumerate(ordered, start=1):
        customers.append(accounts.setdefault(d.account, len(accounts) + 1))
        at = day_at(d.close_date)
        churn = day_at(d.churn_date) if d.churn_date else math.inf
        add(at, "booking", d.amount, deal_id)
        if d.kind == "renewal":
            add(at, "renewal", d.amount, deal_id)
        else:
            bookings += d.amount
            add(at, ARR_KIND[d.kind], d.amount, deal_id)
            live = day_at(d.go_live_date) if d.go_live_date else at + GO_LIVE_DAYS
            add(live, "go_live", 0.0, deal_id)
            add(
                live + SUCCESS_DAYS,
                "implementation_failed" if d.failed else "implementation_success",
                0.0,
                deal_id,
            )
            add(at + CASH_DAYS, "cash", d.amount, deal_id)
            for m in range(min(12, d.term_months)):
                rday = day_at(_add_months(d.close_date, m))
                if rday >= churn:
                    break
                add(rday, "revenue", d.amount / 12, deal_id, True)
            renew = float(day_at(_add_months(d.close_date, d.term_months)))
            if renew < churn:
                add(renew, "renewal", d.amount, deal_id, True)
        if d.churn_date:
            add(churn, "arr_churn", -d.amount, deal_id)
    days = np.frombuffer(day, dtype=np.float64).copy()
    end = max(fiscal_end, float(days.max()) + 1.0)
    return DealLedger(
        cal,
        names,
        0.0,
        fiscal_end,
        end,
        bookings,
        ordered,
        people,
        ids,
        customers,
        days,
        np.frombuffer(kind, dtype=np.int8).copy(),
        np.frombuffer(amount, dtype=np.float64).copy(),
        np.asarray(ref, dtype=np.int64),
        np.frombuffer(first_year, dtype=np.int8).copy(),
    )


def _add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    day = min(
        d.day,
        [31, 29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][
            m - 1
        ],
    )
    return dt.date(y, m, day)


@dataclass
class PlanTotals:
    """What the back-test keeps of one plan's payouts: its totals and the variable pay per person."""

    variable_usd: float
    clawbacks_usd: float
    base_usd: float
    by_person: dict[str, float]

    @classmethod
    def of(cls, payouts: Payouts) -> PlanTotals:
        """The totals of ``payouts``."""
        return cls(
            payouts.variable_total(), payouts.clawback_total(), payouts.base_total(), payouts.by_person()
        )


@dataclass
class BacktestResult:
    """Payouts of every plan for the same deals (their totals; the lines go to a writer as each
    plan is priced: :func:`backtest`)."""

    ledger: DealLedger
    totals: dict[str, PlanTotals] = field(default_factory=dict)
    baseline: str = ""

    @property
    def plans(self) -> list[str]:
        """The plans priced, in scenario order."""
        return list(self.totals)

    def summary(self) -> list[dict[str, float | str]]:
        """Cost per plan: variable, clawbacks, base, total and variable as a share of bookings."""
        out: list[dict[str, float | str]] = []
        bookings = self.ledger.bookings
        for name, p in self.totals.items():
            var, base = p.variable_usd, p.base_usd
            out.append(
                {
                    "plan": name,
                    "variable_usd": var,
                    "clawbacks_usd": p.clawbacks_usd,
                    "base_usd": base,
                    "total_usd": var + base,
                    "variable_pct_of_bookings": 100.0 * var / bookings if bookings else 0.0,
                }
            )
        return out

    def people(self) -> dict[str, dict[str, float]]:
        """Variable pay per person name and plan."""
        out: dict[str, dict[str, float]] = {}
        for name, p in self.totals.items():
            for pid, who in self.ledger.names.items():
                role = who.split(":", 1)[0]
                out.setdefault(who, {})[name] = p.by_person.get(f"{role}:{pid}", 0.0)
        return out


PRUNABLE: tuple[EventKind, ...] = (
    "revenue",
    "cash",
    "go_live",
    "implementation_success",
    "implementation_failed",
    "renewal",
)
"""Kinds a plan may not read at all (never people, bookings or ARR movements)."""
_READS_ALSO: dict[str, tuple[str, ...]] = {"go_live": ("implementation_success",)}
"""Timing triggers whose pay also reads another event's day (success pay is dated from go-live)."""


def inert_kinds(plan: PlanDesign) -> frozenset[str]:
    """Event kinds of a back-test ledger that cannot change ``plan``'s pay, so need not be replayed.

    A kind of :data:`PRUNABLE` is inert when none of the plan's components, quotas or spiffs uses
    a measure that kind credits, no component's pay timing is released by it (or reads its day),
    and no spiff or clawback triggers on it. Such an event then changes nothing the plan reads:
    the periods it would close are closed by the next event (period pay is dated by the period,
    not by the event), and it releases nothing (pay waiting on another trigger is released by
    that trigger's event). Replaying it or not gives identical payouts; tests/plans check this
    against ``compute_payouts`` over the scenario library's plans.
    """
    out: set[str] = set()
    for kind in PRUNABLE:
        sample = sample_event(kind)
        measures = measures_credited_by(kind, plan.crediting)
        releasers = {kind, *_READS_ALSO.get(kind, ())}
        used = kind in ARR_KINDS or any(
            CLAWBACK_TRIGGER[t] == kind
            for role in ROLES
            for c in plan.role(role).components
            if c.clawback is not None
            for t in c.clawback.triggers
        )
        for role in ROLES:
            rp = plan.role(role)
            paid = paid_measures(rp) | ({rp.quota.measure} if rp.quota is not None else set())
            used = used or bool(paid & measures)
            used = used or any(TIMING_TRIGGER[c.pays] in releasers for c in rp.components)
            used = used or any(spiff_matches(sp.event, sample) for sp in role_spiffs(plan, role))
        if not used:
            out.add(kind)
    return frozenset(out)


def price_plan(led: DealLedger, plan: PlanDesign) -> Payouts:
    """Payouts of one plan for a deal ledger (what ``compute_payouts`` gives for ``led.events``)."""
    state = PayState(plan, led.calendar, start_day=led.fiscal_start_day)
    for rows in led.iter_rows(skip=inert_kinds(plan)):
        state.observe_rows(rows)
    return payouts_from_state(state, start_day=led.fiscal_start_day, end_day=led.end_day, spend=True)


def backtest(
    deals: list[Deal], scenario: Scenario, lines: Callable[[str, Payouts, DealLedger], None] | None = None
) -> BacktestResult:
    """Price the same deals under every plan of ``scenario`` (no behaviour change).

    Each plan's payouts are summarised (:class:`PlanTotals`) and handed to ``lines`` (when
    given, e.g. to write them out) before the next plan is priced, so a large export holds one
    plan's lines at a time."""
    led = deals_to_events(deals, scenario.company.fiscal_year_start_month)
    res = BacktestResult(led, baseline=scenario.baseline)
    for plan in scenario.plans:
        payouts = price_plan(led, plan)
        res.totals[plan.name] = PlanTotals.of(payouts)
        if lines is not None:
            lines(plan.name, payouts, led)
        del payouts
    return res

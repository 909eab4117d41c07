"""Back-test: replay closed deals from a CRM export through every plan, with no behaviour change.

This is what compensation software does today; incentsim has it too, and it shares the
payout engine with the simulation. The CSV is turned into ledger events and every plan of a
scenario prices the same events.

Accepted columns (header case, spaces, dashes and a ``(unit)`` suffix are ignored; aliases in
brackets):

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

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sim.ledger import EventKind
from sim.plans.components import CLAWBACK_TRIGGER, TIMING_TRIGGER, paid_measures, role_spiffs
from sim.plans.deal_ledger import Deal, DealLedger, deals_to_events
from sim.plans.engine import Payouts, PayState, payouts_from_state
from sim.plans.measures import ARR_KINDS, measures_credited_by, sample_event, spiff_matches
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.plans import ROLES, PlanDesign
from sim.scenario.schema import Scenario

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

MIN_DATE = dt.date(1950, 1, 1)

MAX_DATE = dt.date(2100, 12, 31)
"""Dates a deal may carry (a CRM export's dates; anything outside is a typo or a placeholder)."""

MAX_TERM_MONTHS = 120
"""Longest contract term accepted (ten years)."""

MAX_AMOUNT = 1e12
"""Largest amount accepted, in dollars."""

MAX_CSV_BYTES = 1024 * 1024 * 1024
"""Largest deals file read (1 GiB; a 200,000-row export is about 20 MB)."""

DELIMITERS = (",", ";", "\t", "|")
"""Column separators recognised; the one that splits the header into most columns is used."""


def _norm(header: str) -> str:
    h = re.sub(r"\(.*?\)", "", header.strip().lower())
    return re.sub(r"[^a-z0-9]+", "_", h).strip("_")


def _money(text: str) -> float:
    v = float(text.replace("$", "").replace(",", "").replace("_", "").strip())
    if not math.isfinite(v):
        raise ValueError(text)
    return v


def _date(text: str) -> dt.date:
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(t, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _delimiter(first_line: str) -> str:
    """The separator that splits the header into most columns (a comma on a tie)."""
    counts = {d: len(next(csv.reader([first_line], delimiter=d), [])) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (counts[d], d == ","))


def _delimiter_name(delimiter: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs", "|": "'|'"}[delimiter]


def read_deals(path: str | Path) -> list[Deal]:
    """Read a CRM export; every problem is reported (``row N.column: expected..., found...``).

    Row numbers are the CSV's line numbers as a spreadsheet shows them (the header is row 1).
    Columns may be separated by commas, semicolons, tabs or ``|`` (recognised from the header).
    """
    from sim.files import read_regular_file

    file = str(path)
    data = read_regular_file(path, MAX_CSV_BYTES, file, what="a CSV file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem(file, "(file)", f"expected UTF-8 CSV text, found undecodable byte at {exc.start}")]
        ) from None
    if "\x00" in text:
        raise ScenarioError([Problem(file, "(file)", "expected CSV text, found binary data")])
    delimiter = _delimiter(text.split("\n", 1)[0].rstrip("\r"))
    # newline="": a quoted cell may hold a line break (rows are counted as records)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)  # read row by row
    first = next(rows, [])
    if not any(c.strip() for c in first):
        raise ScenarioError(
            [
                Problem(
                    file,
                    "row 1",
                    "expected a header row with columns " + ", ".join(REQUIRED) + ", found an empty file",
                )
            ]
        )
    header = [_norm(h) for h in first]
    where: dict[str, int] = {}
    for col, aliases in COLUMNS.items():
        for i, h in enumerate(header):
            if h in aliases and col not in where:
                where[col] = i
    missing = [c for c in REQUIRED if c not in where]
    if missing:
        raise ScenarioError(
            [
                Problem(
                    file,
                    f"row 1.{c}",
                    f"expected a column {c!r} (or one of {', '.join(COLUMNS[c][1:])}), "
                    f"found columns {', '.join(h for h in header if h) or 'none'} (separated by "
                    f"{_delimiter_name(delimiter)}; commas, semicolons, tabs or '|' are recognised)",
                )
                for c in missing
            ]
        )
    problems: list[Problem] = []
    deals: list[Deal] = []
    seen: dict[str, int] = {}
    del data
    for n, raw in enumerate(rows, start=2):
        if not any(c.strip() for c in raw):
            continue

        def cell(col: str, raw: list[str] = raw) -> str:
            i = where.get(col)
            return raw[i].strip() if i is not None and i < len(raw) else ""

        def bad(col: str, expected: str, found: str, n: int = n) -> None:
            problems.append(Problem(file, f"row {n}.{col}", f"expected {expected}, found {found!r}"))

        before = len(problems)
        did = cell("id")
        if not did:
            bad("id", "a deal id", did)
        elif did in seen:
            bad("id", f"a unique id (already used on row {seen[did]})", did)
        else:
            seen[did] = n
        owner = cell("owner")
        if not owner:
            bad("owner", "the owner's name", owner)
        amount = 0.0
        try:
            amount = _money(cell("amount"))
            if amount < 0:
                bad("amount", "a non-negative amount in dollars", cell("amount"))
            elif amount > MAX_AMOUNT:
                bad("amount", f"an amount in dollars of at most {MAX_AMOUNT:,.0f}", cell("amount"))
        except ValueError:
            bad("amount", "an amount in dollars like 25000 or $25,000", cell("amount"))
        close: dt.date | None = None
        try:
            close = _date(cell("close_date"))
            if not MIN_DATE <= close <= MAX_DATE:
                bad("close_date", f"a date from {MIN_DATE} to {MAX_DATE}", cell("close_date"))
                close = None
        except ValueError:
            bad("close_date", "a date like 2025-03-31 or 03/31/2025", cell("close_date"))
        kind = TYPE_ALIASES.get(_norm(cell("type")), "")
        if not kind:
            bad("type", "new, upsell, cross_sell or renewal", cell("type"))
        discount = 0.0
        d = cell("discount")
        if d:
            try:
                discount = float(d[:-1]) / 100 if d.endswith("%") else float(d)
                if not 0.0 <= discount < 1.0:
                    raise ValueError(d)
            except ValueError:
                bad("discount", "a fraction in [0, 1) like 0.15, or a percentage like 15%", d)
        term = 12
        t = cell("term_months")
        if t:
            try:
                value = float(t)
                if not (value.is_integer() and 1 <= value <= MAX_TERM_MONTHS):
                    raise ValueError(t)
                term = int(value)
            except ValueError:
                bad("term_months", f"a whole number of months from 1 to {MAX_TERM_MONTHS} like 12", t)
        dates: dict[str, dt.date | None] = {}
        for col in ("go_live_date", "churn_date"):
            v = cell(col)
            dates[col] = None
            if v:
                try:
                    day = _date(v)
                except ValueError:
                    bad(col, "a date like 2025-03-31, or an empty cell", v)
                    continue
                if not MIN_DATE <= day <= MAX_DATE:
                    bad(col, f"a date from {MIN_DATE} to {MAX_DATE}, or an empty cell", v)
                elif close is not None and day < close:
                    bad(col, f"a date on or after close_date ({close})", v)
                else:
                    dates[col] = day
        impl = cell("implementation").lower()
        if impl not in ("", "success", "failed"):
            bad("implementation", "success, failed or an empty cell", impl)
        if len(problems) == before and close is not None:
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
                    cell("csm"),
                    cell("account") or f"#{did}",
                    dates["go_live_date"],
                    impl == "failed",
                    dates["churn_date"],
                )
            )
    if problems:
        raise ScenarioError(problems)
    if not deals:
        raise ScenarioError([Problem(file, "row 2", "expected at least one deal, found none")])
    return deals


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

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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sim.csvtable import norm, open_table
from sim.ledger import EventKind
from sim.plans.components import CLAWBACK_TRIGGER, TIMING_TRIGGER, paid_measures, role_spiffs
from sim.plans.deal_ledger import Deal, DealLedger, deals_to_events
from sim.plans.engine import Payouts, PayState, payouts_from_state
from sim.plans.measures import ARR_KINDS, measures_credited_by, sample_event, spiff_matches
from sim.problems import Problem, ScenarioError
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

MAX_TERM_MONTHS = 120
"""Longest contract term accepted (ten years)."""


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
        did = row.key("id", "a deal id", seen)
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

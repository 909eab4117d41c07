"""Read a company's CRM exports: opportunities (won and lost), ARR history, people.

Header names are matched as the back-test matches them (:mod:`sim.csvtable`: case, spaces,
dashes and ``(unit)`` suffixes ignored, aliases below, ``--map COLUMN=HEADER`` for any other
name; ``--map opportunities.amount=...`` for one file only). Every bad row is one error line;
nothing is returned while any row is bad. The columns, units and accepted values are listed in
``docs/calibrate.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibrate.crm import ARR_COLUMNS, OPPORTUNITY_COLUMNS, PEOPLE_COLUMNS, empty_frame
from sim.csvtable import MAX_DATE, MIN_DATE, CsvTable, Row, norm, open_table, parse_money
from sim.plans.backtest import deal_kind
from sim.problems import Problem, ScenarioError
from sim.vocabulary import ROLE_LABELS, ROLE_SYNONYMS, ROLES

OPPORTUNITY_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "opportunity_id", "deal_id", "opportunity", "opportunity_name"),
    "owner": ("owner", "rep", "ae", "opportunity_owner", "owner_name"),
    "account": ("account", "customer", "account_name", "account_id"),
    "segment": ("segment", "customer_segment", "market_segment", "tier"),
    "amount": ("amount", "acv", "amount_usd", "net_amount", "arr"),
    "list_amount": ("list_amount", "list_price", "list_acv", "gross_amount"),
    "discount": ("discount", "discount_pct", "discount_percent"),
    "created_date": ("created_date", "created", "create_date", "open_date", "opened_date", "created_at"),
    "close_date": ("close_date", "closed_date", "close", "closed_at"),
    "outcome": ("outcome", "stage", "stage_name", "status", "won", "is_won", "result"),
    "type": ("type", "deal_type", "opportunity_type", "kind"),
    "source": ("source", "lead_source", "origin", "channel"),
    "fit": ("fit", "icp_fit", "fit_score", "lead_score"),
    "term_months": ("term_months", "term", "contract_term"),
}
OPPORTUNITY_REQUIRED = ("id", "owner", "amount", "created_date", "close_date", "outcome")
ACCOUNT_HEADERS: dict[str, tuple[str, ...]] = {
    "account": ("account", "customer", "account_name", "account_id"),
    "segment": ("segment", "customer_segment", "market_segment", "tier"),
    "month": ("month", "period", "snapshot_month", "as_of"),
    "arr": ("arr", "mrr_x12", "arr_usd", "annual_recurring_revenue"),
    "date": ("date", "event_date", "effective_date"),
    "event": ("event", "event_type", "movement", "type"),
    "amount": ("amount", "amount_usd", "arr_change", "delta"),
}
PEOPLE_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "owner", "rep", "person", "employee"),
    "role": ("role", "title", "job_title", "position"),
    "hire_date": ("hire_date", "start_date", "hired", "start"),
    "leave_date": ("leave_date", "end_date", "termination_date", "left", "end"),
    "quota": ("quota", "annual_quota", "quota_usd"),
}
WON = frozenset({"won", "closed_won", "closedwon", "win", "true", "yes", "1"})
LOST = frozenset({"lost", "closed_lost", "closedlost", "loss", "false", "no", "0"})
OPEN = frozenset(
    {
        "open",
        "pipeline",
        "prospecting",
        "qualification",
        "discovery",
        "proposal",
        "negotiation",
        "commit",
        "best_case",
    }
)
SEGMENT_ALIASES = {
    "smb": "smb",
    "small_business": "smb",
    "small": "smb",
    "smb_commercial": "smb",
    "mid_market": "mid_market",
    "midmarket": "mid_market",
    "mid": "mid_market",
    "mm": "mid_market",
    "enterprise": "enterprise",
    "ent": "enterprise",
    "large": "enterprise",
    "strategic": "enterprise",
}
SOURCE_ALIASES = {
    "outbound": "outbound",
    "sales_sourced": "outbound",
    "outbound_sales": "outbound",
    "marketing": "marketing",
    "inbound": "marketing",
    "marketing_sourced": "marketing",
    "web": "marketing",
    "referral": "referral",
    "customer_referral": "referral",
    "partner_referral": "referral",
    "champion": "champion",
    "former_champion": "champion",
    "champion_move": "champion",
}
ROLE_ALIASES = {
    alias: role for role in ROLES for alias in (role, norm(ROLE_LABELS[role]), *ROLE_SYNONYMS.get(role, ()))
}
"""What a people table's ``role`` cell may say: each role's name, label or synonym (the vocabulary's)."""
EVENT_SIGN = {
    "new": 1,
    "new_business": 1,
    "expansion": 1,
    "upsell": 1,
    "cross_sell": 1,
    "reactivation": 1,
    "contraction": -1,
    "downsell": -1,
    "price_erosion": -1,
    "churn": 0,
    "renewal": 0,
}
"""ARR events: + adds ``|amount|``, - takes it away, 0 sets the level (churn: 0, renewal: amount)."""
MAX_TERM_MONTHS = 120


def _choice(row: Row, col: str, table: Mapping[str, str], what: str) -> str:
    text = row.cell(col)
    if not text:
        return ""
    got = table.get(norm(text), "")
    if not got:
        row.bad(col, f"{what} ({', '.join(sorted(set(table.values())))})", text)
    return got


def _month(row: Row, col: str) -> dt.date | None:
    """A month written 2025-03, 2025-03-31 or 03/31/2025 (its first day)."""
    text = row.cell(col)
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        year, month = int(text[:4]), int(text[5:])
        if 1 <= month <= 12 and MIN_DATE.year <= year <= MAX_DATE.year:
            return dt.date(year, month, 1)
    day = row.date(col)
    return None if day is None else day.replace(day=1)


def read_opportunities(path: str | Path, mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Opportunities (won and lost) as :data:`OPPORTUNITY_COLUMNS`; open ones are left out.

    ``amount`` is first-year ACV after discount; a ``list_amount`` column gives the discount
    when ``discount`` is absent. ``outcome`` is won or lost (or an open stage, skipped).
    """
    t = open_table(path, OPPORTUNITY_HEADERS, OPPORTUNITY_REQUIRED, mapping=mapping, kind="opportunities")
    out: dict[str, list[object]] = {c: [] for c in OPPORTUNITY_COLUMNS}
    seen: dict[str, int] = {}
    for row in t.rows():
        before = len(t.problems)
        oid = row.key("id", "an opportunity id", seen)
        owner = row.cell("owner")
        if not owner:
            row.bad("owner", "the owner's name", owner)
        stage = norm(row.cell("outcome"))
        if stage not in WON | LOST | OPEN:
            row.bad("outcome", "won, lost (closed won, closed lost) or an open stage", row.cell("outcome"))
        amount = row.money("amount", optional=stage in LOST)
        list_amount = row.money("list_amount", "a list amount in dollars", optional=True)
        discount = row.fraction("discount")
        if discount is None and list_amount and amount is not None and not row.cell("discount"):
            discount = min(max(1.0 - amount / list_amount, 0.0), 0.99) if list_amount > 0 else None
        created = row.date("created_date", optional=True)
        closed = row.date("close_date", after=created, after_col="created_date")
        kind = deal_kind(row.cell("type")) if row.cell("type") else "new"
        if not kind:
            row.bad("type", "new, upsell, cross_sell or renewal", row.cell("type"))
        segment = _choice(row, "segment", SEGMENT_ALIASES, "a segment")
        source = _choice(row, "source", SOURCE_ALIASES, "a lead source")
        fit = row.fraction("fit") if row.cell("fit") not in ("1", "1.0", "100%") else 1.0
        term = row.cell("term_months")
        months = np.nan
        if term:
            try:
                months = float(term)
                if not (months.is_integer() and 1 <= months <= MAX_TERM_MONTHS):
                    raise ValueError(term)
            except ValueError:
                row.bad("term_months", f"a whole number of months from 1 to {MAX_TERM_MONTHS} like 12", term)
        if len(t.problems) > before or stage in OPEN:
            continue
        for col, value in (
            ("id", oid),
            ("owner", owner),
            ("account", row.cell("account") or f"#{oid}"),
            ("segment", segment),
            ("type", kind),
            ("won", stage in WON),
            ("amount", np.nan if amount is None else amount),
            ("discount", np.nan if discount is None else discount),
            ("created", created),
            ("closed", closed),
            ("source", source),
            ("fit", np.nan if fit is None else fit),
            ("term_months", months),
        ):
            out[col].append(value)
    t.check()
    frame = pd.DataFrame(out).astype(OPPORTUNITY_COLUMNS) if out["id"] else empty_frame(OPPORTUNITY_COLUMNS)
    if frame.empty:
        raise ScenarioError(
            [Problem(t.file, "row 2", "expected at least one won or lost opportunity, found none")]
        )
    return frame


def read_accounts(path: str | Path, mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """ARR history as :data:`ARR_COLUMNS`, from monthly ARR per account (columns account, month,
    arr) or from ARR events (account, date, event, amount: new, expansion, contraction, churn,
    renewal...). A month an account is absent from has ARR 0."""
    t = open_table(path, ACCOUNT_HEADERS, ("account",), mapping=mapping, kind="accounts")
    if t.has("month") and t.has("arr"):
        frame = _monthly(t)
    elif t.has("date") and t.has("event") and t.has("amount"):
        frame = _from_events(t)
    else:
        found = ", ".join(h for h in t.header if h) or "none"
        raise ScenarioError(
            [
                Problem(
                    t.file,
                    "row 1",
                    "expected monthly ARR (columns account, month, arr) or ARR events (columns account, "
                    f"date, event, amount), found columns {found}",
                )
            ]
        )
    if frame.empty:
        raise ScenarioError(
            [Problem(t.file, "row 2", "expected ARR history of at least one account, found none")]
        )
    return frame


def _monthly(t: CsvTable) -> pd.DataFrame:
    rows: list[tuple[str, str, dt.date, float]] = []
    seen: dict[tuple[str, dt.date], int] = {}
    for row in t.rows():
        before = len(t.problems)
        account = row.cell("account")
        if not account:
            row.bad("account", "an account name or id", account)
        month = _month(row, "month")
        arr = row.money("arr", "an ARR in dollars")
        segment = _choice(row, "segment", SEGMENT_ALIASES, "a segment")
        if month is not None and account:
            key = (account, month)
            if key in seen:
                row.bad(
                    "month", f"one row per account and month (already on row {seen[key]})", row.cell("month")
                )
            seen.setdefault(key, row.n)
        if len(t.problems) == before and month is not None and arr is not None:
            rows.append((account, segment, month, arr))
    t.check()
    return _frame(rows)


def _from_events(t: CsvTable) -> pd.DataFrame:
    events: list[tuple[str, str, dt.date, str, float, int]] = []
    for row in t.rows():
        before = len(t.problems)
        account = row.cell("account")
        if not account:
            row.bad("account", "an account name or id", account)
        day = row.date("date")
        kind = norm(row.cell("event"))
        if kind not in EVENT_SIGN:
            row.bad("event", f"an ARR event ({', '.join(EVENT_SIGN)})", row.cell("event"))
        text = row.cell("amount").lstrip("-")
        amount = 0.0 if not text and kind == "churn" else None
        if amount is None:
            try:
                amount = abs(parse_money(text))
            except ValueError:
                row.bad("amount", "an amount in dollars like 25000 or $25,000", row.cell("amount"))
        segment = _choice(row, "segment", SEGMENT_ALIASES, "a segment")
        if len(t.problems) == before and day is not None and amount is not None:
            events.append((account, segment, day, kind, amount, row.n))
    t.check()
    events.sort(key=lambda e: (e[0], e[2], e[5]))
    level: dict[str, float] = {}
    last: dict[str, tuple[str, dt.date]] = {}
    at_month: dict[tuple[str, dt.date], float] = {}
    for account, segment, day, kind, amount, _ in events:
        sign = EVENT_SIGN[kind]
        value = level.get(account, 0.0)
        value = value + sign * amount if sign else (amount if kind == "renewal" else 0.0)
        level[account] = max(value, 0.0)
        last[account] = (segment or last.get(account, ("", day))[0], day)
        at_month[(account, day.replace(day=1))] = level[account]
    rows: list[tuple[str, str, dt.date, float]] = []
    end = max(d for _, d in last.values()).replace(day=1)
    for account in sorted(level):
        months = sorted(m for a, m in at_month if a == account)
        value = 0.0
        month = months[0]
        while month <= end:  # the level carries forward month by month
            value = at_month.get((account, month), value)
            rows.append((account, last[account][0], month, value))
            month = (month + dt.timedelta(days=32)).replace(day=1)
    return _frame(rows)


def _frame(rows: list[tuple[str, str, dt.date, float]]) -> pd.DataFrame:
    if not rows:
        return empty_frame(ARR_COLUMNS)
    frame = pd.DataFrame(rows, columns=list(ARR_COLUMNS)).astype(ARR_COLUMNS)
    return frame.sort_values(["account", "month"], kind="stable").reset_index(drop=True)


def read_people(path: str | Path, mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """People as :data:`PEOPLE_COLUMNS` (role ae, csm, sdr or consultant; hire and leave dates;
    annual quota in dollars, optional)."""
    t = open_table(path, PEOPLE_HEADERS, ("name", "role", "hire_date"), mapping=mapping, kind="people")
    rows: list[tuple[str, str, dt.date, dt.date | None, float]] = []
    seen: dict[str, int] = {}
    for row in t.rows():
        before = len(t.problems)
        name = row.key("name", "the person's name", seen, "one row per person")
        role = _choice(row, "role", ROLE_ALIASES, "a role")
        if not row.cell("role"):
            row.bad("role", f"a role ({', '.join(ROLES)})", "")
        hire = row.date("hire_date")
        leave = row.date("leave_date", optional=True, after=hire, after_col="hire_date")
        quota = row.money("quota", "an annual quota in dollars", optional=True)
        if len(t.problems) == before and hire is not None:
            rows.append((name, role, hire, leave, np.nan if quota is None else quota))
    t.check()
    if not rows:
        return empty_frame(PEOPLE_COLUMNS)
    return pd.DataFrame(rows, columns=list(PEOPLE_COLUMNS)).astype(PEOPLE_COLUMNS)

"""The names incentsim is built from, each written once: roles, measures, event kinds, sources.

Everything that needs one of these lists (the scenario schema's ``Literal`` types, the ledger's
integer codes, the payout engine's tables, the report's columns) derives it from here, so adding
a name is one edit. The order of each tuple is fixed: it is the integer code of the name in the
compact ledger and in the payout engine's arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

ROLE_TABLE: tuple[tuple[str, str, str], ...] = (
    ("ae", "AE", "ae"),
    ("csm", "CSM", "csm"),
    ("consultant", "Consultant", "consultant"),
    ("marketing", "Marketing", "marketer"),
    ("product", "Product", ""),
    ("sdr", "SDR", "sdr"),
    ("support", "Support", "person"),
    ("education", "Education", ""),
    ("customer_marketing", "Customer marketing", ""),
)
"""Every role a plan pays, once: (name, label, ledger field holding the person; "" for a role
paid on team measures only). A role's code is its position."""
ROLES: tuple[str, ...] = tuple(name for name, _, _ in ROLE_TABLE)
ROLE_LABELS: dict[str, str] = {name: label for name, label, _ in ROLE_TABLE}
"""How people read each role's name (report, tables)."""
ROLE_FIELD: dict[str, str] = {name: field for name, _, field in ROLE_TABLE if field}
"""Ledger field holding the person of each role (``product``, ``education`` and
``customer_marketing`` have none: team measures only)."""
ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "ae": ("account_executive", "sales", "sales_rep"),
    "csm": ("customer_success", "customer_success_manager"),
    "sdr": ("bdr",),
    "consultant": ("implementation",),
}
"""What HR and CRM exports call a role besides its name and label (lower case, ``_`` for spaces;
the calibration's people table reads them)."""
if TYPE_CHECKING:
    Role = str
else:
    Role = Literal[ROLES]
"""A role's name (a ``Literal`` of :data:`ROLES` for the scenario schema)."""

Measure = Literal[
    "bookings_acv",
    "new_logo_acv",
    "upsell_acv",
    "cross_sell_acv",
    "first_year_revenue",
    "cash_collected",
    "net_new_arr",
    "book_grr",
    "book_nrr",
    "go_lives",
    "implementation_success_90d",
    "first_year_renewals",
    "renewals_arr",
    "references",
    "referrals",
    "tickets",
    "leads",
    "marketing_sourced_acv",
    "meetings_set",
    "qualified_opportunities",
    "sdr_closed_acv",
    "sdr_first_year_revenue",
    "tickets_resolved",
    "company_nrr",
    "company_grr",
    "company_new_arr",
    "forecast_miss_usd",
]
MEASURES: tuple[str, ...] = get_args(Measure)
"""What a plan can pay on (see ``docs/metrics.md`` and ``sim/plans/measures.py``)."""

RATIO_MEASURES = frozenset({"book_grr", "book_nrr", "company_grr", "company_nrr"})
"""Measures that are ratios over a period, computed at the period's close."""
GRR_MEASURES = frozenset({"book_grr", "company_grr"})
"""Ratio measures that count only the losses (gross retention)."""
COMPANY_MEASURES = frozenset({"company_nrr", "company_grr", "company_new_arr"})
"""Measures of the whole company's performance: team measures of any role (``scope: team``)."""
COUNT_MEASURES = frozenset({"references", "referrals", "go_lives"})
"""Measures counted in events (a spiff on their event pays per count)."""

EventKind = Literal[
    # people
    "hire", "leave",
    # bookings (a signed deal; amount = first-year ACV after discount)
    "booking",
    # ARR movements (amount = signed ARR delta)
    "arr_new", "arr_expansion", "arr_upsell", "arr_cross_sell",
    "arr_contraction", "arr_price_erosion", "arr_churn",
    # renewals (amount = ARR renewed; attrs: first_renewal)
    "renewal",
    # implementation
    "go_live", "implementation_success", "implementation_failed",
    # money
    "revenue", "invoice", "cash", "non_payment",
    # advocacy and market
    "reference", "referral", "lead", "champion_move",
    # support
    "tickets",
    # CSM books: ARR of a CSM's accounts at a period start (for book GRR/NRR measures)
    "book_snapshot",
    # SDR hand-offs: a meeting set (lead handed to an AE), an opportunity the AE opened from it
    "meeting", "opportunity",
    # support: tickets an agent closed in a month (amount = count)
    "tickets_resolved",
    # an AE's quarter against their forecast commit (amount = |bookings - commit|; list_price = bookings)
    "forecast_miss",
    # an AE's forecast commit for the quarter (amount = the commit)
    "forecast_commit",
]  # fmt: skip
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
"""Every kind of ledger event (the code of a kind is its position)."""
ARR_KINDS = frozenset(k for k in EVENT_KINDS if k.startswith("arr_"))
"""ARR movements: signed deltas whose sum over a period is the change of ARR."""

DEAL_KINDS: tuple[str, ...] = ("", "new", "upsell", "cross_sell", "renewal", "expansion", "non_payment")
"""What an event's deal is (``""``: none; code = position): a booking's kind, an invoice's or its
cash's (new, expansion or renewal term), or what ended a customer (renewal, non_payment)."""
SALES_KINDS: tuple[str, ...] = ("new", "upsell", "cross_sell")
"""Deal kinds that are sales (a renewal is not)."""

Source = Literal["outbound", "marketing", "referral", "champion"]
SOURCES: tuple[str, ...] = get_args(Source)
"""Where a lead comes from (the world's code of a source is its position)."""

Segment = Literal["smb", "mid_market", "enterprise"]
SEGMENTS: tuple[str, ...] = get_args(Segment)
"""Customer segments (the world's code of a segment is its position)."""
SEGMENT_LABELS: dict[str, str] = {"smb": "SMB", "mid_market": "mid-market", "enterprise": "enterprise"}
"""How people read each segment's name."""

CreditRole = Literal["ae", "csm"]
"""Roles that may be credited for expansion deals."""
CREDITED: tuple[tuple[str, ...], ...] = ((), ("ae",), ("csm",), ("ae", "csm"), ("csm", "ae"))
"""The lists of credited roles a booking can carry (code = position)."""

SpiffEvent = Literal[
    "new_logo", "multi_year", "upsell", "cross_sell", "reference", "referral", "go_live", "renewal",
    "handoff",
]  # fmt: skip
SPIFF_EVENTS: tuple[str, ...] = get_args(SpiffEvent)
"""Events a spiff can pay for (code = position)."""

Period = Literal["month", "quarter", "year"]
PERIODS: tuple[str, ...] = get_args(Period)
"""Pay periods (code = position)."""
MONTHS_PER: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}


def code(names: tuple[str, ...], name: str) -> int:
    """The code of ``name`` in one of the tuples above (a clear error for an unknown name)."""
    try:
        return names.index(name)
    except ValueError:
        raise KeyError(f"{name!r} is not one of {', '.join(repr(n) for n in names if n)}") from None

"""The customer book: one row per customer in numpy arrays, updated in bulk each month.

ARR is held as int64 cents so that start + movements = end holds to the cent. Health is a
0..1 score; ``value`` is the health an account reverts to (set by fit, implementation
quality and the promise/delivery gap). ``usage`` is seats used over seats committed: a
commitment above use (an oversold deal) turns into contraction at renewal, growth above it
into expansion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from scipy.special import ndtri

from sim.ledger import DEAL_KIND_CODE, DEFAULT_ROW, EVENT_DTYPE, ROLE_CODE, SOURCE_CODE, K

if TYPE_CHECKING:
    from sim.world.model import World

SEGMENT_NAMES: tuple[str, ...] = ("smb", "mid_market", "enterprise")
SOURCE_NAMES: tuple[str, ...] = ("outbound", "marketing", "referral", "champion")

NONE, IMPLEMENTING, LIVE, CHURNED = 0, 1, 2, 3
"""Values of ``Book.status``."""

_FIELDS: dict[str, tuple[type, float]] = {
    "arr_cents": (np.int64, 0),
    "list_arr_cents": (np.int64, 0),
    "segment": (np.int8, -1),
    "source": (np.int8, -1),
    "status": (np.int8, NONE),
    "health": (np.float64, 0.0),
    "value": (np.float64, 0.0),
    "usage": (np.float64, 1.0),
    "discount": (np.float64, 0.0),
    "promise": (np.float64, 0.0),
    "overcommit": (np.float64, 0.0),
    "fit": (np.float64, 0.5),
    "quality": (np.float64, 1.0),
    "term_months": (np.int16, 12),
    "contract_end_month": (np.int32, -1),
    "cohort_day": (np.float64, 0.0),
    "golive_day": (np.float64, np.inf),
    "champion_since_day": (np.float64, 0.0),
    "csm": (np.int32, -1),
    "ae": (np.int32, -1),
    "closer": (np.int32, -1),
    "consultant": (np.int32, -1),
    "marketer": (np.int32, -1),
    "sdr": (np.int32, -1),
    "deal": (np.int32, -1),
    "referrer": (np.int32, -1),
    "renewals": (np.int16, 0),
    "cash_due_month": (np.int32, -1),
    "cash_due_cents": (np.int64, 0),
    "cash_deal": (np.int32, -1),
    "cash_kind": (np.int8, 0),
    "key": (np.uint64, 0),
}

LEAD_KEY = 1 << 60
"""Tag of the entity key of a customer won from a lead (starting customers: their index)."""


def lead_key(segment: int, source: int, seq: int) -> int:
    """The entity key of the customer a lead becomes: its (segment, source) stream and position
    there, the same whichever plan wins it and in whatever order customers were won."""
    return LEAD_KEY | (segment << 56) | (source << 52) | seq


class Book:
    """Growable column store of customers (index = customer id, never reused)."""

    arr_cents: np.ndarray
    list_arr_cents: np.ndarray
    segment: np.ndarray
    source: np.ndarray
    status: np.ndarray
    health: np.ndarray
    value: np.ndarray
    usage: np.ndarray
    discount: np.ndarray
    promise: np.ndarray
    overcommit: np.ndarray
    fit: np.ndarray
    quality: np.ndarray
    term_months: np.ndarray
    contract_end_month: np.ndarray
    cohort_day: np.ndarray
    golive_day: np.ndarray
    champion_since_day: np.ndarray
    csm: np.ndarray
    ae: np.ndarray
    """Account owner among AEs (reassigned to a departed rep's replacement)."""
    closer: np.ndarray
    """The AE who closed the customer's first deal (credited for that deal's consequences)."""
    consultant: np.ndarray
    marketer: np.ndarray
    sdr: np.ndarray
    """The SDR who set the meeting the customer's first deal came from (-1: none)."""
    deal: np.ndarray
    referrer: np.ndarray
    renewals: np.ndarray
    cash_due_month: np.ndarray
    cash_due_cents: np.ndarray
    cash_deal: np.ndarray
    cash_kind: np.ndarray
    key: np.ndarray
    """Entity key of each customer: what its own monthly draws are keyed by (``Streams.keyed``)."""

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self.capacity = max(16, int(capacity))
        for name, (dtype, fill) in _FIELDS.items():
            setattr(self, name, np.full(self.capacity, fill, dtype=dtype))

    def _grow(self, need: int) -> None:
        new_cap = max(need, self.capacity * 2)
        for name, (dtype, fill) in _FIELDS.items():
            old = getattr(self, name)
            arr: np.ndarray = np.full(new_cap, fill, dtype=dtype)
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)
        self.capacity = new_cap

    def add(self, count: int) -> np.ndarray:
        """Reserve ``count`` new rows and return their indices (keyed by index: ``key``)."""
        if self.n + count > self.capacity:
            self._grow(self.n + count)
        idx = np.arange(self.n, self.n + count)
        self.n += count
        self.key[idx] = idx  # a customer's draws are keyed by its index unless a lead keys it
        return idx

    def add_one(self) -> int:
        """Reserve one new row and return its index (keyed by index: ``key``)."""
        if self.n + 1 > self.capacity:
            self._grow(self.n + 1)
        i = self.n
        self.n += 1
        self.key[i] = i
        return i

    def active(self) -> np.ndarray:
        """Indices of customers who pay (implementing or live)."""
        s = self.status[: self.n]
        return np.flatnonzero((s == IMPLEMENTING) | (s == LIVE))

    def live(self) -> np.ndarray:
        """Indices of live customers (implementation done, not churned)."""
        return np.flatnonzero(self.status[: self.n] == LIVE)

    def total_arr_cents(self) -> int:
        """Sum of ARR over all customers (churned customers hold 0)."""
        return int(self.arr_cents[: self.n].sum())

    def arr_snapshot(self) -> np.ndarray:
        """A copy of every customer's ARR in cents (for cohort GRR/NRR)."""
        return self.arr_cents[: self.n].copy()


def renewal_churn_probability(
    annual_churn: np.ndarray | float,
    term_months: np.ndarray | float,
    health: np.ndarray | float,
    price_increase: np.ndarray | float,
    health_sensitivity: float,
    price_sensitivity: float,
    extra_log_odds: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Probability a customer churns at a renewal.

    ``logit(p) = logit(1 - (1 - annual_churn) ** (term/12)) - health_sensitivity * (health - 0.5)
    + price_sensitivity * price_increase + extra`` (``extra``: referral loyalty).
    """
    base = 1.0 - (1.0 - np.asarray(annual_churn, dtype=float)) ** (np.asarray(term_months) / 12.0)
    base = np.clip(base, 1e-9, 1 - 1e-9)
    z = (
        np.log(base / (1 - base))
        - health_sensitivity * (np.asarray(health) - 0.5)
        + price_sensitivity * np.asarray(price_increase)
        + extra_log_odds
    )
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def renewal_price_increase(discount: np.ndarray | float, deep_discount: float) -> np.ndarray:
    """Price increase asked at renewal: a deep discount is not repeated (back to list)."""
    d = np.asarray(discount, dtype=float)
    return np.where(d >= deep_discount, d / np.maximum(1.0 - d, 1e-9), 0.0)


# ---------------------------------------------------------------------- bulk monthly dynamics
# The functions below take the World (sim.world.model) and act on all customers at once.
# Every draw is positional by customer id from a per-month stream, so customer i sees the
# same luck in every plan (common random numbers) whatever happened to other customers.


def poisson_inv(u: np.ndarray, lam: np.ndarray, max_k: int = 60) -> np.ndarray:
    """Poisson draws by inversion of uniforms ``u`` (vectorised; exact up to ``max_k``)."""
    u = np.asarray(u, dtype=float)
    lam = np.ascontiguousarray(np.broadcast_to(np.asarray(lam, dtype=float), u.shape))
    k = np.zeros(u.shape, dtype=np.int64)
    _invert_poisson(u.ravel(), lam.ravel(), np.exp(-lam).ravel(), max_k, k.reshape(-1))
    return k


@njit(cache=True)
def _invert_poisson(u, lam, p0, max_k, out):  # type: ignore[no-untyped-def]
    """The smallest ``k`` with ``P(X <= k) >= u``: the pmf built up term by term from ``p0 = exp(-lam)``."""
    for i in range(len(u)):
        p = p0[i]
        cdf = p
        k = 0
        while u[i] > cdf and k < max_k:
            k += 1
            p = p * lam[i] / k
            cdf = cdf + p
        out[i] = k


def _draws(world: World, name: str, month: int, customers: np.ndarray, cols: int) -> np.ndarray:
    """This month's uniforms of stream ``customers.<name>``, one row per customer, keyed by the
    customers' entity keys: a customer's luck does not depend on which others exist."""
    return world.streams.keyed(f"customers.{name}.m{month}", world.book.key[customers], cols)


def monthly_update(world: World, month: int) -> None:
    """Flows of the month that just ended (now = start of ``month``), for every live customer.

    Health reverts toward value, takes noise, CSM attention and ticket effects; usage drifts
    with health; champions move; promoters refer and give references; upsell/cross-sell
    opportunities open; first-year revenue is recognised; tickets are counted.
    """
    book = world.book
    _waiting_health(world)
    live = book.live()
    if len(live) == 0:
        return
    now = float(world.env.now)
    start = float(world.calendar.month_starts[month - 1])
    dt = now - start
    cc = world.company.customers
    cb = world.behaviour.csm
    seg = book.segment[live]
    h = book.health[live]
    z = ndtri(_draws(world, "health", month, live, 2))
    u = _draws(world, "events", month, live, 8)
    rows = world.cs.csm_rows(book.csm[live])
    sh = world.cs.shares[rows]
    # tickets (a product-quality lever)
    sup = world.company.support
    mean_rate = world.segments.array("tickets_per_month")[seg] / sup.product_quality
    lam = mean_rate * (1.0 + sup.tickets_per_quality_gap * (1.0 - book.quality[live])) * (dt / 30.4375)
    tickets = poisson_inv(u[:, 0], lam)
    # health
    h = (
        h
        + cc.health_reversion_per_month * (book.value[live] - h)
        + cc.health_noise_per_month * z[:, 0]
        + cb.save_health_per_month * sh[:, 0] * (h < cc.detractor_health)
        + cb.value_review_health_per_month * sh[:, 1]
        - sup.health_per_ticket * (tickets - world.segments.array("tickets_per_month")[seg] * dt / 30.4375)
    )
    # champion moves
    ch = world.company.champions
    p_move = 1.0 - np.exp(-dt / (DAYS_PER_YEAR_ * ch.mean_tenure_years))
    moved = u[:, 1] < p_move
    h = np.where(moved, h - ch.health_shock, h)
    h = np.clip(h, 0.0, 1.0)
    book.health[live] = h
    # usage drifts with health: growth when healthy, shrinkage when not
    drift = world.segments.array("annual_expansion")[seg] * 2 * h - world.segments.array(
        "annual_contraction"
    )[seg] * 2 * (1 - h)
    book.usage[live] = np.maximum(
        book.usage[live] * np.exp(drift * dt / DAYS_PER_YEAR_ + cc.usage_sd / np.sqrt(12) * z[:, 1]), 0.01
    )
    led = world.ledger
    moved_j = np.flatnonzero(moved)
    movers = live[moved_j]
    led.append_rows(_account_rows(book, K.champion_move, now, movers))
    book.champion_since_day[movers] = now
    market = world.market
    for j in moved_j[u[moved_j, 2] < ch.warm_lead_probability].tolist():
        market.endogenous_lead(int(seg[j]), 3, u[j, 3] * dt, int(live[j]))
    # advocacy: promoters refer leads and give references
    promoter = h > cc.promoter_health
    adv = (1 + cb.advocacy_multiplier * sh[:, 3]) / (1 + cb.advocacy_multiplier * world.cs.neutral[3])
    adv = np.where(rows < len(world.cs.people), adv, 1.0 / (1 + cb.advocacy_multiplier * world.cs.neutral[3]))
    frac = dt / DAYS_PER_YEAR_
    n_ref = poisson_inv(u[:, 4], np.where(promoter, cc.referrals_per_promoter_per_year * frac * adv, 0.0))
    n_refc = poisson_inv(u[:, 5], np.where(promoter, cc.references_per_promoter_per_year * frac * adv, 0.0))
    referrers = np.repeat(live, n_ref)
    refs = _account_rows(book, K.referral, now, referrers)
    refs["source"] = SOURCE_CODE["referral"]
    led.append_rows(refs)
    for j in np.flatnonzero(n_ref).tolist():
        c = int(live[j])
        for r in range(int(n_ref[j])):
            market.endogenous_lead(int(seg[j]), 2, (u[j, 3] + r) / (n_ref[j]) * dt, c)
    led.append_rows(_account_rows(book, K.reference, now, np.repeat(live, n_refc)))
    # expansion opportunities (worked by whoever the crediting rules name)
    _expansion_opportunities(world, month, live, h, seg, sh, rows, u, frac)
    # first-year revenue, realised by usage (monthly, per customer)
    glive = book.golive_day[live]
    lo = np.maximum(glive, start)
    hi = np.minimum(glive + 365.0, now)
    share = np.clip((hi - lo) / max(dt, 1e-9), 0.0, 1.0)
    rev = book.arr_cents[live] / 100.0 / 12.0 * np.minimum(book.usage[live], 1.0) * share
    paid = np.flatnonzero(rev > 0)
    payers = live[paid]
    revenue = blank_rows(K.revenue, now, len(payers))
    revenue["amount"] = to_cents(rev[paid])
    revenue["customer"], revenue["deal"], revenue["ae"] = payers, book.deal[payers], book.closer[payers]
    revenue["csm"], revenue["consultant"], revenue["segment"] = (
        book.csm[payers],
        book.consultant[payers],
        seg[paid],
    )
    revenue["source"], revenue["first_year"], revenue["sdr"] = 1 + book.source[payers], True, book.sdr[payers]
    led.append_rows(revenue)
    led.add(K.tickets, now, float(int(tickets.sum())), role=ROLE_CODE["product"])


DAYS_PER_YEAR_ = 365.25


def to_cents(x: np.ndarray) -> np.ndarray:
    """``round(v, 2)`` of each value (Python's correctly rounded decimal rounding), in bulk:
    ``rint(100 v) / 100`` is that number except where ``100 v`` lies within rounding error of a
    half cent, and those few are rounded one by one."""
    y = x * 100.0
    out = np.rint(y) / 100.0
    for i in np.flatnonzero(np.abs(np.abs(y - np.trunc(y)) - 0.5) < 1e-6).tolist():
        out[i] = round(float(x[i]), 2)
    return out


def blank_rows(kind: int, day: float, n: int) -> np.ndarray:
    """``n`` ledger rows of one kind and day with every other field at its default."""
    out = np.empty(n, dtype=EVENT_DTYPE)
    out[:] = DEFAULT_ROW
    out["kind"] = kind
    out["day"] = day
    return out


def _account_rows(book: Book, kind: int, day: float, cust: np.ndarray) -> np.ndarray:
    """Advocacy rows (champion moves, referrals, references): one per entry of ``cust``, credited
    to the account's owner and CSM."""
    out = blank_rows(kind, day, len(cust))
    out["amount"] = 1.0
    out["customer"], out["deal"], out["ae"] = cust, book.deal[cust], book.ae[cust]
    out["csm"], out["segment"] = book.csm[cust], book.segment[cust]
    return out


def renewal_rows(
    book: Book, kind: int, day: float, cust: np.ndarray, amount: np.ndarray, deal_kind: int
) -> np.ndarray:
    """Rows of a renewal's consequences (ARR movements, the renewal, churn) for ``cust``: credited
    to the AE who closed the customer, its CSM, consultant and marketer."""
    out = blank_rows(kind, day, len(cust))
    out["amount"] = amount
    out["customer"], out["deal"], out["ae"] = cust, book.deal[cust], book.closer[cust]
    out["csm"], out["consultant"], out["marketer"] = (
        book.csm[cust],
        book.consultant[cust],
        book.marketer[cust],
    )
    out["segment"], out["source"], out["deal_kind"] = book.segment[cust], 1 + book.source[cust], deal_kind
    return out


def _waiting_health(world: World) -> None:
    """Customers still waiting for go-live: health = value less the promise gap and the
    late-value penalty so far (the starting-health formula applied to the wait to date)."""
    book = world.book
    impl = np.flatnonzero(book.status[: book.n] == IMPLEMENTING)
    if len(impl) == 0:
        return
    cc = world.company.customers
    gap = 0.5 * world.behaviour.ae.promise_health_gap * book.promise[impl]
    excess = (
        world.env.now
        - book.cohort_day[impl]
        - world.segments.array("implementation_days")[book.segment[impl]]
    )
    h = book.value[impl] - gap - cc.health_per_wait_month * np.maximum(excess, 0.0) / 30.4375
    book.health[impl] = np.clip(h, 0.0, 1.0)


def _expansion_opportunities(
    world: World,
    month: int,
    live: np.ndarray,
    h: np.ndarray,
    seg: np.ndarray,
    sh: np.ndarray,
    rows: np.ndarray,
    u: np.ndarray,
    frac: float,
) -> None:
    book = world.book
    cb = world.behaviour.csm
    d = world.company.deals
    exp_mult = (1 + cb.expansion_multiplier * sh[:, 2]) / (1 + cb.expansion_multiplier * world.cs.neutral[2])
    counts = []
    for col, kind in ((6, "upsell"), (7, "cross_sell")):
        rate = (
            world.segments.array(f"{kind}_opportunities_per_year")[seg]
            * frac
            * exp_mult
            * world.expansion_rate_mult[kind]
        )
        counts.append(poisson_inv(u[:, col], rate))
    some = np.flatnonzero((counts[0] > 0) | (counts[1] > 0))
    uo = np.empty((len(live), 6))
    uo[some] = _draws(world, "expansion", month, live[some], 6)  # keyed: the same rows as drawn for all
    for n, kind in zip(counts, ("upsell", "cross_sell"), strict=True):
        credited = world.crediting[kind]
        odds = (
            np.log(d.expansion_win_rate / max(1 - d.expansion_win_rate, 1e-9))
            if 0 < d.expansion_win_rate < 1
            else (-50.0 if d.expansion_win_rate <= 0 else 50.0)
        )
        both = d.both_credited_win_odds if len(credited) > 1 else 0.0
        p = 1.0 / (1.0 + np.exp(-(odds + d.win_odds_per_health * (h - 0.5) + both)))
        size = world.segments.array(f"{kind}_size")[seg]
        k0 = 0 if kind == "upsell" else 3
        js = np.flatnonzero(n)  # one opportunity a month per account and kind, sized exponentially
        cents = np.rint(
            book.arr_cents[live[js]].astype(np.float64) * size[js] * -np.log(np.maximum(uo[js, k0], 1e-12))
        )
        delays = uo[js, k0 + 1] * 2 * d.expansion_cycle_days
        now = float(world.env.now)
        wd = world.workdays
        win = uo[js, k0 + 2] < p[js]  # a deal lost at its close changes nothing: only the won are timed
        for c, cent, delay, pw, uw in zip(
            live[js][win].tolist(), cents[win].astype(np.int64).tolist(), delays[win].tolist(),
            p[js][win].tolist(), uo[js, k0 + 2][win].tolist(), strict=True,
        ):  # fmt: skip
            at = now + delay
            if wd is not None:  # expansion deals close on company working days
                at = wd.next_open(at)
            world.sales.expansion_later(at, c, kind, cent, pw, uw)


def renewals(world: World, month: int) -> None:
    """Customers whose contract ends at this month start renew (with true-up and pricing) or churn.

    Churn probability: :func:`renewal_churn_probability` with the price increase of a deep
    discount not repeated and referral loyalty. A renewing customer's commitment is trued
    up to its use (unused commitment -> contraction, growth -> expansion). A deep-discount
    customer accepts list price with probability equal to its health (expansion, pricing);
    otherwise it keeps its discount and claws back ``price_erosion_share x discount`` of its
    ARR (price erosion).
    """

    book = world.book
    n = book.n
    st = book.status[:n]
    due = np.flatnonzero(((st == IMPLEMENTING) | (st == LIVE)) & (book.contract_end_month[:n] == month))
    if len(due) == 0:
        return
    u = _draws(world, "renewal", month, due, 2)
    cc = world.company.customers
    seg = book.segment[due]
    inc = renewal_price_increase(book.discount[due], cc.deep_discount)
    ref = book.referrer[due]
    ref_active = np.zeros(len(due), dtype=bool)
    has = ref >= 0
    ref_active[has] = np.isin(book.status[ref[has]], (IMPLEMENTING, LIVE))
    p = renewal_churn_probability(
        world.segments.array("annual_churn")[seg],
        book.term_months[due],
        book.health[due],
        inc,
        cc.renewal_health_sensitivity,
        cc.renewal_price_sensitivity,
        np.where(ref_active, cc.referred_churn_odds, 0.0),
    )
    churn = u[:, 0] < p
    now = float(world.env.now)
    renewal = DEAL_KIND_CODE["renewal"]
    keep = np.flatnonzero(~churn)
    c = due[keep]
    arr0 = book.arr_cents[c]
    trued = np.rint(arr0 * book.usage[c]).astype(np.int64)  # the commitment trued up to use
    delta = trued - arr0
    book.usage[c] = 1.0
    priced = inc[keep] > 0  # a deep discount not repeated: list price, or price erosion
    accept = priced & (u[keep, 1] < book.health[c])
    up = np.where(accept, np.rint(trued * inc[keep]), 0.0).astype(np.int64)
    cut = np.where(priced & ~accept, np.rint(trued * cc.price_erosion_share * book.discount[c]), 0.0).astype(
        np.int64
    )
    book.discount[c[accept]] = 0.0
    arr = trued + up - cut
    book.arr_cents[c] = arr
    term = book.term_months[c]
    first = book.renewals[c] == 0
    # the events of each customer in turn: churn, or true-up, pricing, renewal (and churn at zero ARR)
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    slot = 5 * np.arange(len(due))
    gone = due[churn]
    parts.append(
        (slot[churn], renewal_rows(book, K.arr_churn, now, gone, -book.arr_cents[gone] / 100.0, renewal))
    )
    for mask, kind, amount, step in (
        (delta > 0, K.arr_expansion, delta / 100.0, 1),
        (delta < 0, K.arr_contraction, delta / 100.0, 1),
        (up != 0, K.arr_expansion, up / 100.0, 2),
        (cut != 0, K.arr_price_erosion, -cut / 100.0, 2),
    ):
        parts.append((slot[keep][mask] + step, renewal_rows(book, kind, now, c[mask], amount[mask], renewal)))
    renewed = renewal_rows(book, K.renewal, now, c, arr / 100.0, renewal)
    renewed["term_months"], renewed["first_year"] = term, first
    parts.append((slot[keep] + 3, renewed))
    empty = arr <= 0
    parts.append(
        (slot[keep][empty] + 4, renewal_rows(book, K.arr_churn, now, c[empty], -arr[empty] / 100.0, renewal))
    )
    order = np.argsort(np.concatenate([k for k, _ in parts]), kind="stable")
    rows = np.concatenate([r for _, r in parts])[order]
    world.ledger.append_rows(rows)
    world.lost(rows["customer"][rows["kind"] == K.arr_churn])
    if world.billing is not None:
        for cust, a, t in zip(c.tolist(), arr.tolist(), term.tolist(), strict=True):
            world.billing.renewed(cust, a / 100.0, int(book.deal[cust]), int(t))
    book.renewals[c] += 1
    book.contract_end_month[c] += term


def collect_cash(world: World, month: int) -> None:
    """Invoices of new and expansion deals fall due at the month start: cash, or non-payment (cancel)."""

    book = world.book
    n = book.n
    due = np.flatnonzero(book.cash_due_month[:n] == month)
    if len(due) == 0:
        return
    cc = world.company.customers
    u = _draws(world, "cash", month, due, 1)[:, 0]
    now = float(world.env.now)
    cents, deal, kind = book.cash_due_cents[due], book.cash_deal[due], book.cash_kind[due]
    book.cash_due_month[due] = -1
    book.cash_due_cents[due] = 0
    alive = book.status[due] != CHURNED
    new = kind == 1
    p = cc.non_payment_probability + np.where(new, cc.non_payment_per_overcommit * book.overcommit[due], 0.0)
    unpaid = alive & (u < p)
    rows = blank_rows(K.cash, now, len(due))
    rows["kind"] = np.where(unpaid, K.non_payment, K.cash)
    rows["amount"], rows["customer"], rows["deal"] = cents / 100.0, due, deal
    rows["ae"] = np.where(new, book.closer[due], book.ae[due])
    rows["csm"], rows["segment"], rows["source"] = book.csm[due], book.segment[due], 1 + book.source[due]
    bad = due[unpaid]
    lost = renewal_rows(
        book, K.arr_churn, now, bad, -book.arr_cents[bad] / 100.0, DEAL_KIND_CODE["non_payment"]
    )
    keys = np.concatenate([2 * np.flatnonzero(alive), 2 * np.flatnonzero(unpaid) + 1])
    out = np.concatenate([rows[alive], lost])[np.argsort(keys, kind="stable")]
    world.ledger.append_rows(out)
    world.lost(bad)

"""Customer success managers: books of accounts, the monthly time split, and book snapshots.

CSMs are split across segments in proportion to each segment's starting customers plus a
year of expected new logos. A new live customer goes to the CSM of its segment with the
fewest accounts among those with fewer than ``max_accounts`` (any CSM with room when its
segment's CSMs are full); otherwise it stays unassigned (no CSM attention). Each month each CSM
chooses a split of time (``csm_split``) among: the neutral split
(``behaviour.csm.neutral_split``) and four variants that move half of the time to saves,
value reviews, expansion or advocacy. The split acts in the bulk monthly update: saves add
``save_health_per_month x share`` to at-risk accounts (health below the detractor line),
value reviews add ``value_review_health_per_month x share`` to every account, expansion
scales the upsell/cross-sell opportunity rate by ``(1 + expansion_multiplier x share)``
and advocacy the reference/referral rates by ``(1 + advocacy_multiplier x share)``, both
relative to the neutral split so the segment rates hold at neutral.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.ledger import ROLE_CODE, K, Ledger
from sim.policy.batch import DecisionBatch, OptionTables
from sim.policy.decisions import ROW, Option, OutcomeColumn
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.time.calendar import DAYS_PER_MONTH
from sim.world.book import Book
from sim.world.rules import renewal_churn_probability
from sim.world.services import Choices, Clock, PlanFacts, Segments, Staff
from sim.world.talent import Bench

ACTIVITIES: tuple[str, ...] = ("saves", "value_reviews", "expansion", "advocacy")
SPLIT_LABELS: tuple[str, ...] = ("neutral", "saves-heavy", "value-heavy", "expansion-heavy", "advocacy-heavy")


@njit(cache=True)
def _least_loaded(count, segment_of, max_accounts, segment):  # type: ignore[no-untyped-def]
    """The CSM with the fewest accounts among those of ``segment`` with room (``max_accounts[i]``:
    CSM i's coverage; any CSM with room when that segment's are full; the first in order on ties);
    -1 when nobody has room."""
    best, best_any = -1, -1
    for i in range(len(count)):
        if count[i] >= max_accounts[i]:
            continue
        if best_any < 0 or count[i] < count[best_any]:
            best_any = i
        if segment_of[i] == segment and (best < 0 or count[i] < count[best]):
            best = i
    return best if best >= 0 else best_any


class CsTeam:
    """The CSMs and their books."""

    def __init__(
        self,
        clock: Clock,
        staff: Staff,
        segments: Segments,
        book: Book,
        ledger: Ledger,
        choices: Choices,
        company: Company,
        behaviour: Behaviour,
        facts: PlanFacts,
    ) -> None:
        self.clock = clock
        self.segments = segments
        self.book = book
        self.ledger = ledger
        self.choices = choices
        self.company = company
        self.behaviour = behaviour
        self.facts = facts
        c = company.csms
        self.people: list[int] = staff.team("csm", c.headcount)
        cover: dict[str, int] = dict(c.segment_max_accounts.items())
        cover.update(facts.csm_max_accounts)
        self.coverage = np.array([cover.get(name, c.max_accounts) for name in segments.names], dtype=np.int64)
        """Accounts one CSM of each segment carries at most (company and plan coverage)."""
        self.count = np.zeros(len(self.people), dtype=np.int64)
        self.segment_of = self._segment_pools()
        """Segment each CSM serves (books are assigned by segment, then capacity)."""
        self.max_accounts = self.coverage[self.segment_of]
        """Accounts each CSM carries at most (the coverage of the CSM's segment)."""
        self.bench = Bench(
            staff, clock, choices.attrition, "csm", self.people, c.annual_attrition, c.backfill_days,
            c.ramp_months * DAYS_PER_MONTH,
        )  # fmt: skip
        """Attrition, vacancies, backfill and ramp (``sim.world.talent``; nobody leaves by default)."""
        self.bench.left = self._left
        self.bench.refilled = self._refilled
        self.attention = np.ones(len(self.people))
        """Per CSM: how strongly this month's split acts on each account (book size, ramp, vacancy)."""
        neutral = np.array([behaviour.csm.neutral_split.get(a, 0.0) for a in ACTIVITIES])
        self.neutral = neutral
        self.candidates = [neutral] + [0.5 * neutral + 0.5 * np.eye(4)[k] for k in range(4)]
        self._splits = np.array(self.candidates)
        """The candidate splits as rows (saves, value reviews, expansion, advocacy)."""
        self.shares = np.zeros((len(self.people) + 1, 4))
        """Current split per CSM index; the last row (unassigned accounts) stays zero."""
        self.shares[: len(self.people)] = neutral
        self.index_of = np.zeros(0, dtype=np.int64)
        self._row_of = np.zeros(1, dtype=np.int64)
        self._index()
        self.measures = choices.measures("csm")
        self._label_only = tuple(Option(lbl, (), 0.0, float(k)) for k, lbl in enumerate(SPLIT_LABELS))
        self._rows = np.arange(len(self.candidates), dtype=np.int64)
        self._effort = np.zeros(len(self.candidates))

    def csm_rows(self, csm_ids: np.ndarray) -> np.ndarray:
        """Row of ``shares`` for each customer's CSM id (-1 -> the zero row)."""
        return np.take(self._row_of, csm_ids + 1, mode="clip")

    def _index(self) -> None:
        """``index_of[person]``: the CSM index of a person id (-1: not a CSM here)."""
        top = max(self.people, default=-1)
        self.index_of = np.full(top + 2, -1, dtype=np.int64)
        for i, p in enumerate(self.people):
            self.index_of[p] = i
        # csm_rows' table, read at id + 1: no CSM (-1), not a CSM here, or past the end: the zero row
        row_of = np.concatenate(([-1], self.index_of))
        self._row_of = np.where(row_of < 0, len(self.people), row_of)

    def grow(self, people: list[int]) -> None:
        """CSMs a plan adds (before the book is seated): the CSMs are split across segments again."""
        if not people:
            return
        self.people += people
        n = len(self.people)
        self.count = np.zeros(n, dtype=np.int64)
        self.segment_of = self._segment_pools()
        self.max_accounts = self.coverage[self.segment_of]
        self.shares = np.zeros((n + 1, 4))
        self.shares[:n] = self.neutral
        self.attention = np.ones(n)
        self.bench.grow(len(people))
        self._index()

    def _segment_pools(self) -> np.ndarray:
        """Segment of each CSM: headcount split by the segments' expected accounts (starting
        customers and a year of new logos) over their coverage (largest remainder; every segment
        with customers or leads gets at least one CSM when there are enough CSMs)."""
        n = len(self.people)
        segs = self.segments.seg
        weight = np.array(
            [s.starting_customers + 12 * s.leads_per_month * s.base_win_rate for s in segs], float
        )
        if len(set(self.coverage.tolist())) > 1:  # coverage differs by segment: CSMs follow it
            weight = weight / self.coverage
        if n == 0 or weight.sum() <= 0:
            return np.zeros(n, dtype=np.int64)
        share = weight / weight.sum() * n
        k = np.floor(share).astype(np.int64)
        if n >= int((weight > 0).sum()):
            k = np.where((weight > 0) & (k == 0), 1, k)
        while k.sum() > n:
            k[int(np.argmax(k))] -= 1
        order = np.argsort(-(share - np.floor(share)), kind="stable")
        j = 0
        while k.sum() < n:
            k[order[j % 3]] += 1
            j += 1
        return np.repeat(np.arange(3), k)

    def assign(self, segment: int = -1) -> int:
        """Give a new customer to the least-loaded CSM of its segment with room (any CSM with room
        when the segment has none); -1 if nobody has room."""
        if not self.people:
            return -1
        i = int(_least_loaded(self.count, self.segment_of, self.max_accounts, segment))
        if i < 0:
            return -1
        self.count[i] += 1
        return self.people[i]

    def _left(self, seat: int, person: int) -> None:
        """A CSM left: the book's accounts lose the relationship (a health shock) and wait, without
        attention, for the replacement (the seat's split is zeroed at the next decision)."""
        book = self.book
        mine = np.flatnonzero(book.csm[: book.n] == person)
        shock = self.company.csms.departure_health_shock
        book.health[mine] = np.clip(book.health[mine] - shock, 0.0, 1.0)
        self.shares[seat] = 0.0

    def _refilled(self, seat: int, old: int, new: int) -> None:
        """The replacement takes over the departed CSM's book."""
        book = self.book
        csm = book.csm[: book.n]
        csm[csm == old] = new
        self._index()

    def monthly_people(self, u: np.ndarray) -> None:
        """This month's departures (``u``: one uniform per CSM seat; nothing when nobody leaves)."""
        self.bench.monthly(u)

    def _attend(self) -> None:
        """This month's attention per CSM: the seat's strength (0 while vacant, ramping after a
        hire) times the dilution of a large book, ``min(3, (reference / accounts)^elasticity)``."""
        c = self.company.csms
        if not self.bench.on and c.attention_elasticity <= 0:
            return
        att = self.bench.strength(float(self.clock.env.now))
        if c.attention_elasticity > 0:
            ratio = c.attention_reference_accounts / np.maximum(self.count, 1)
            att = att * np.minimum(3.0, ratio**c.attention_elasticity)
        self.attention = att

    def release(self, csm: int) -> None:
        """An account of this CSM churned: free its slot."""
        if 0 <= csm < len(self.index_of) and self.index_of[csm] >= 0:
            self.count[self.index_of[csm]] -= 1

    def release_many(self, csms: np.ndarray) -> None:
        """Accounts of these CSMs churned (one entry per account): free their slots."""
        ok = (csms >= 0) & (csms < len(self.index_of))
        rows = self.index_of[csms[ok]]
        np.subtract.at(self.count, rows[rows >= 0], 1)

    def snapshots(self) -> None:
        """``book_snapshot`` events: each CSM's book ARR at the month start."""
        book = self.book
        n = book.n
        if not self.people:
            return
        rows = self.csm_rows(book.csm[:n])
        arr = np.bincount(rows, weights=book.arr_cents[:n].astype(np.float64), minlength=len(self.people) + 1)
        people = np.asarray(self.people)
        self.ledger.extend(
            K.book_snapshot, self.clock.env.now, len(people), amount=arr[: len(people)] / 100.0, csm=people,
            role=ROLE_CODE["csm"], person=people,
        )  # fmt: skip

    def decide(self, month: int, us: np.ndarray) -> None:
        """Each CSM chooses this month's split of time (Decision ``csm_split``), all in one batch."""
        if not self.people:
            return
        n = len(self.people)
        self._attend()
        ask = DecisionBatch(
            "csm_split", self._tables(), np.arange(n, dtype=np.int64), self._rows, self._effort,
            np.zeros(n, dtype=np.int64), self._label_only, {"month": np.full(n, float(month))},
        )  # fmt: skip
        chosen = self.choices.many(ask, us[:n])
        self.shares[:n] = self._splits[chosen]
        wd = self.clock.workdays
        if wd is not None:  # the month's time scales with the CSM's working days in it
            for i, p in enumerate(self.people):
                self.shares[i] *= wd.month_factor(p, month)
        if self.bench.on or self.company.csms.attention_elasticity > 0:
            self.shares[:n] *= self.attention[:, None]

    def _tables(self) -> OptionTables:
        """Expected consequences of each candidate split of one month for each CSM's book (from the
        true model), every candidate and every CSM at once: one column per measure the plan pays on
        (a CSM without accounts: every credit has probability 0)."""
        splits = self._splits
        k = len(splits)
        n_csm = len(self.people)
        book = self.book
        live = book.live()
        rows = self.csm_rows(book.csm[live])
        mine = rows < n_csm
        acc, rows = live[mine], rows[mine]
        arr = book.arr_cents[acc].astype(np.float64) / 100.0
        total = np.bincount(rows, weights=arr, minlength=n_csm)
        cb = self.behaviour.csm
        cc = self.company.customers
        now = self.clock.env.now
        h = book.health[acc]
        seg = book.segment[acc]
        months_to = book.contract_end_month[acc] - self.clock.month_of(now)
        # churn at the renewal without and with each split, of the accounts renewing within a year
        # (the only ones a split's months can save): row 0 none, row 1 + j split j
        soon = np.flatnonzero(months_to <= 12)
        due, r_soon, arr_soon, h_soon, m_soon = acc[soon], rows[soon], arr[soon], h[soon], months_to[soon]
        decay = (1.0 - cc.health_reversion_per_month) ** np.maximum(m_soon, 0)
        # health each split adds by the renewal (rows: splits), as strong as the CSM's attention
        att = self.attention
        dh = (
            cb.save_health_per_month * splits[:, :1] * (h_soon < cc.detractor_health)
            + cb.value_review_health_per_month * splits[:, 1:2]
        ) * att[r_soon]
        discount = book.discount[due]
        inc = np.where(discount >= cc.deep_discount, discount / np.maximum(1 - discount, 1e-9), 0.0)
        extra = np.zeros((k + 1, len(soon)))
        extra[1:] = dh * decay
        p = renewal_churn_probability(
            self.segments.array("annual_churn")[book.segment[due]], book.term_months[due],
            np.clip(h_soon + extra, 0, 1), inc, cc.renewal_health_sensitivity, cc.renewal_price_sensitivity,
        )  # fmt: skip

        def per_csm(values: np.ndarray, at: np.ndarray = rows) -> np.ndarray:
            return np.bincount(at, weights=values, minlength=n_csm)

        # per CSM and split (one bincount over the splits' blocks: each sum in the accounts' order)
        blocks = (r_soon + n_csm * np.arange(k)[:, None]).ravel()
        saved = np.bincount(blocks, (arr_soon * (p[0] - p[1:])).ravel(), k * n_csm).reshape(k, n_csm).T
        renewed = np.bincount(blocks, (arr_soon * (1 - p[1:])).ravel(), k * n_csm).reshape(k, n_csm).T
        exp_mult = (1 + cb.expansion_multiplier * splits[None, :, 2] * att[:, None]) / (
            1 + cb.expansion_multiplier * self.neutral[2]
        )
        adv_mult = (1 + cb.advocacy_multiplier * splits[None, :, 3] * att[:, None]) / (
            1 + cb.advocacy_multiplier * self.neutral[3]
        )
        rate = self.segments.array
        up = per_csm(arr * rate("upsell_opportunities_per_year")[seg] * rate("upsell_size")[seg])
        cx = per_csm(arr * rate("cross_sell_opportunities_per_year")[seg] * rate("cross_sell_size")[seg])
        deals = self.company.deals
        p_exp = deals.expansion_win_rate
        with_ae = deals.expansion_rate_with_ae
        up_m = up[:, None] / 12 * p_exp * exp_mult * self.facts.opportunity_rate("upsell", with_ae)
        cx_m = cx[:, None] / 12 * p_exp * exp_mult * self.facts.opportunity_rate("cross_sell", with_ae)
        promoters = per_csm((h > cc.promoter_health).astype(np.float64))
        refs = promoters[:, None] * cc.references_per_promoter_per_year / 12 * adv_mult
        referrals = promoters[:, None] * cc.referrals_per_promoter_per_year / 12 * adv_mult
        n_soon = per_csm(np.ones(len(r_soon)), r_soon)
        delay_sum = per_csm(np.clip(m_soon, 0, 12).astype(np.float64), r_soon)
        mean_delay = np.where(n_soon > 0, delay_sum / np.maximum(n_soon, 1) * 30.4, 180.0)
        cols: list[tuple[str, np.ndarray, np.ndarray | float]] = []
        for m in self.measures:
            if m == "book_grr":
                cols.append((m, saved / np.maximum(total, 1e-300)[:, None], mean_delay))
            elif m == "book_nrr":
                cols.append((m, (saved + up_m + cx_m) / np.maximum(total, 1e-300)[:, None], mean_delay))
            elif m == "renewals_arr":
                cols.append((m, renewed, mean_delay))
            elif m == "net_new_arr":
                cols.append((m, saved + up_m + cx_m, mean_delay))
            elif m in ("upsell_acv", "bookings_acv") and "csm" in self.facts.upsell:
                cols.append((m, up_m * self.facts.share("upsell", "csm"), 45.0))
            elif m == "cross_sell_acv" and "csm" in self.facts.cross_sell:
                cols.append((m, cx_m * self.facts.share("cross_sell", "csm"), 45.0))
            elif m == "references":
                cols.append((m, refs, 15.0))
            elif m == "referrals":
                cols.append((m, referrals, 15.0))
        if "bookings_acv" in self.measures and "csm" in self.facts.cross_sell:
            cols.append(("bookings_acv", cx_m * self.facts.share("cross_sell", "csm"), 45.0))
        template = OutcomeColumn.build("", k).data
        data = np.repeat(template[None, None], len(cols), axis=1).repeat(n_csm, axis=0)
        for c, (_, amount, delay) in enumerate(cols):
            data[:, c, ROW["amount"]] = amount
            data[:, c, ROW["delay_days"]] = np.asarray(delay)[..., None] if np.ndim(delay) else delay
        data[total <= 0, :, ROW["probability"]] = 0.0
        people = np.asarray(self.people, dtype=np.int64)
        days = np.full(n_csm, float(now))
        return OptionTables("csm", people, days, np.ascontiguousarray(data), tuple(m for m, _, _ in cols))

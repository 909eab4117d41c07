"""The services a team of the world is given (its ports), instead of a reference to the world.

``World`` (sim/world/model.py) builds one of each per replication and hands every team only the
ones it uses: the :class:`Clock` (SimPy's environment, the fiscal calendar, the measured window),
the :class:`Staff` (person ids, the roster, hire and leave events), the :class:`Segments` (the
company's segment parameters, by segment code), the :class:`Choices` (the policy: decisions asked
and checked), the :class:`PlanFacts` (what the world must know of the plan's organisation), and
the ledger, the named random streams and the customer book as they are. A team that needs another
team's act (bill a deal, a customer lost, a project started) is connected to that one callable by
the world, never to the team or the world.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from sim.ledger import ROLE_CODE, K, Ledger
from sim.policy.batch import DecisionBatch
from sim.policy.decisions import Decision
from sim.policy.protocol import Policy
from sim.scenario.company import Segment
from sim.time.calendar import Calendar
from sim.time.workdays import WorkCalendar
from sim.vocabulary import SEGMENTS, Period


class _Call:
    """A call due at a time on SimPy's queue: what a ``Timeout`` with one callback does, without
    building the event (SimPy's ``step`` reads only ``callbacks`` and ``_ok``)."""

    __slots__ = ("args", "callbacks", "fn")
    _ok = True

    def __init__(self, fn: Callable[..., object], args: tuple[object, ...]) -> None:
        self.callbacks: tuple[Callable[[_Call], None], ...] | None = _FIRE
        self.fn = fn
        self.args = args


def _fire(call: _Call) -> None:
    call.fn(*call.args)


_FIRE = (_fire,)


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that can tell how many events it has scheduled (for benchmarks).

    SimPy numbers every scheduled event from one counter (``Environment._eid``, used to
    order events with equal time and priority); reading it costs nothing per event, where
    wrapping ``schedule`` would add a Python call to each one.
    """

    def advance(self, until: float) -> None:
        """Process every event before ``until`` and move the clock to it: what ``run(until)`` does,
        without scheduling a stop event (the world advances once per business day, and a stop
        event costs as much as the day's own events). As with ``run(until)``, urgent events at
        ``until`` itself (process starts, interrupts) run before it returns."""
        queue = self._queue
        while queue and (queue[0][0] < until or (queue[0][0] == until and queue[0][1] <= simpy.core.URGENT)):
            if type(queue[0][3]) is _Call:  # what step does for a call, without its event protocol
                self._now, _, _, call = heapq.heappop(queue)
                call.callbacks = None
                call.fn(*call.args)
            else:
                self.step()
        self._now = until

    def call_later(self, delay: float, fn: Callable[..., object], *args: object) -> None:
        """Call ``fn(*args)`` ``delay`` days from now, in the order a ``timeout(delay)`` scheduled
        now would fire (same priority, same event counter), at a third of its cost."""
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        queue: list[Any] = self._queue  # a _Call stands in for the event SimPy's step fires
        heapq.heappush(queue, (self._now + delay, simpy.core.NORMAL, next(self._eid), _Call(fn, args)))

    @property
    def scheduled(self) -> int:
        """Events scheduled so far."""
        # the counter's repr is "count(n)", n the next id; copying it (the other way to read it
        # without taking an id) is deprecated for itertools in Python 3.12 and gone in 3.14
        text = repr(self._eid)
        if not (text.startswith("count(") and text.endswith(")")):
            raise RuntimeError(f"unexpected SimPy event counter {text!r}")
        return int(text[len("count(") : -1])


class Clock:
    """Time of one replication: the SimPy environment, the fiscal calendar, the measured window
    ``[measure_start, end_day)`` and the working-day calendar (None: every day is a working day)."""

    def __init__(
        self, env: CountingEnvironment, calendar: Calendar, warmup_months: int, workdays: WorkCalendar | None
    ) -> None:
        self.env = env
        self.calendar = calendar
        self.total_months = calendar.total_months
        self.warmup_months = warmup_months
        self.measure_start = float(calendar.month_starts[warmup_months])
        self.end_day = calendar.end_day
        self.workdays = workdays
        self._month_starts = [float(x) for x in calendar.month_starts]
        self.measured_years = max((calendar.total_months - warmup_months) / 12.0, 1e-9)
        """Length of the measured window in years (flows per year)."""

    def month_of(self, day: float) -> int:
        """Index of the month containing ``day`` (``Calendar.month_of`` without numpy overhead)."""
        return bisect.bisect_right(self._month_starts, day) - 1

    def quarter_bounds(self, day: float) -> tuple[float, float]:
        """``[start, end)`` of the fiscal quarter containing ``day``."""
        q = (self.month_of(day) // 3) * 3
        return self._month_starts[q], self._month_starts[q + 3]


class Staff:
    """Everyone employed in one replication: person ids (unique across roles), the roster
    (id -> role, which the policy reads) and the ``hire`` and ``leave`` events on the ledger.

    A plan may change a role's headcount (``PlanFacts.headcount_change``). Person ids stay those
    of the company's headcount whatever the plan: a team's starting people are hired with
    :meth:`team` (the first ``min(company, plan)`` of the role's ids; ids of people the plan
    removes are skipped, never reused), and the people a plan adds get ids after every team's
    (:meth:`extras`, called once every team is built). So the people every plan has keep their ids
    and every draw keyed by them, in every plan (common random numbers)."""

    def __init__(self, ledger: Ledger, env: simpy.Environment, change: dict[str, int] | None = None) -> None:
        self.ledger = ledger
        self.env = env
        self.roster: dict[int, str] = {}
        self._next = 0
        self.change = dict(change or {})
        """People the plan adds to (removes from) each role's company headcount."""

    def headcount(self, role: str, company: int) -> int:
        """The role's headcount under the plan (the company's, changed; at least 0)."""
        return max(0, company + self.change.get(role, 0))

    def team(self, role: str, company: int) -> list[int]:
        """The role's starting people (hired on day 0): the company's ids, the first
        ``min(company, plan)`` of them hired and the rest skipped."""
        keep = min(company, self.headcount(role, company))
        people = [self.hire(role, 0.0) for _ in range(keep)]
        self._next += company - keep
        return people

    def extras(self, role: str, company: int) -> list[int]:
        """The people the plan adds to the role (hired on day 0, ids after every team's)."""
        return [self.hire(role, 0.0) for _ in range(self.headcount(role, company) - company)]

    def hire(self, role: str, day: float) -> int:
        """A fresh person id with a ``hire`` event on ``day``."""
        pid = self._next
        self._next += 1
        self.roster[pid] = role
        self.ledger.add(
            K.hire, day, role=ROLE_CODE[role], person=pid, ae=pid if role == "ae" else -1,
            csm=pid if role == "csm" else -1, consultant=pid if role == "consultant" else -1,
            marketer=pid if role == "marketing" else -1, sdr=pid if role == "sdr" else -1,
        )  # fmt: skip
        return pid

    def leave(self, role: str, pid: int) -> None:
        """``pid`` leaves now (``leave`` event)."""
        self.ledger.add(
            K.leave, self.env.now, role=ROLE_CODE[role], person=pid, ae=pid if role == "ae" else -1
        )


class Segments:
    """The company's segments in code order (:data:`sim.vocabulary.SEGMENTS`)."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self.names = SEGMENTS
        self.seg: list[Segment] = list(segments)
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, field: str) -> np.ndarray:
        """A segment parameter as an array indexed by segment code."""
        arr = self._arrays.get(field)
        if arr is None:
            arr = np.array([float(getattr(s, field)) for s in self.seg])
            self._arrays[field] = arr
        return arr


@dataclass(frozen=True)
class PlanFacts:
    """What the world must know of the plan's organisation (not of its pay): who works, and is
    credited with, upsell and cross-sell deals (``crediting``); whether an SDR's hand-off credits
    the SDR with bookings; how many days after go-live an implementation counts as a success."""

    upsell: tuple[str, ...]
    cross_sell: tuple[str, ...]
    handoff_credits_bookings: bool
    success_days: float
    shares: tuple[tuple[str, str, float], ...] = ()
    """Split credit of expansion deals: (kind, role, share) for every credited role."""
    headcount_change: tuple[tuple[str, int], ...] = ()
    """People the plan adds to (removes from) a role's company headcount: (role, change)."""
    csm_max_accounts: tuple[tuple[str, int], ...] = ()
    """CSM coverage the plan sets per segment: (segment, accounts per CSM at most)."""
    budgets: tuple[tuple[str, float], ...] = ()
    """Non-compensation spend per person a year the plan gives a role (advocacy budgets): (role, USD)."""

    def budget(self, role: str) -> float:
        """The role's budget per person a year (0 without one)."""
        for r, usd in self.budgets:
            if r == role:
                return usd
        return 0.0

    effort_period: Period = "quarter"
    """The AEs' quota period (a quarter without a quota): the horizon an AE's prospecting effort is
    valued to (``sim/world/effort.py``)."""

    def credited(self, kind: str) -> tuple[str, ...]:
        """The roles credited with (and working) an ``upsell`` or ``cross_sell`` deal."""
        return self.upsell if kind == "upsell" else self.cross_sell

    def share(self, kind: str, role: str) -> float:
        """The share of a ``kind`` deal credited to ``role`` (what working it is worth to them)."""
        for k, r, s in self.shares:
            if k == kind and r == role:
                return s
        return 0.0

    def opportunity_rate(self, kind: str, with_ae: float) -> float:
        """Multiplier on the rate of ``kind`` opportunities: ``with_ae``
        (``deals.expansion_rate_with_ae``) when AEs work them, else 1."""
        return with_ae if "ae" in self.credited(kind) else 1.0


class Choices:
    """The policy as the world's teams see it: decisions asked (one, or a batch) and their answers
    checked and counted, attrition multipliers, and the measures each role's plan pays on (the
    only outcomes worth describing in that role's decisions)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.count = 0
        """Decisions asked."""
        self._measures: dict[str, tuple[str, ...]] = {}

    def one(self, decision: Decision, u: float) -> int:
        """Ask the policy; check the answer."""
        self.count += 1
        k = self.policy.choose(decision, u)
        if not 0 <= k < len(decision.options):
            raise ValueError(f"policy chose option {k} of {len(decision.options)} for {decision.kind}")
        return k

    def many(self, batch: DecisionBatch, u: np.ndarray) -> np.ndarray:
        """Ask the policy for a batch of decisions; check the answers."""
        self.count += len(batch)
        k = np.asarray(self.policy.choose_many(batch, u), dtype=np.int64)
        n = len(batch.rows)
        ks = k.tolist()  # small arrays: Python's min and max cost less than numpy's reductions
        if k.shape != (len(batch),) or (ks and (min(ks) < 0 or max(ks) >= n)):
            bad = k[(k < 0) | (k >= n)] if k.shape == (len(batch),) else k
            raise ValueError(f"policy chose option {bad[:1].tolist()} of {n} for {batch.kind}")
        return k

    def attrition(self, role: str, persons: NDArray[np.int64], day: float) -> NDArray[np.float64]:
        """Multiplier on the baseline attrition hazard of each of ``persons``."""
        return self.policy.attrition_multipliers(role, persons, day)

    def measures(self, role: str) -> tuple[str, ...]:
        """The measures ``role``'s plan pays on, as the policy reports them."""
        got = self._measures.get(role)
        if got is None:
            got = self._measures[role] = tuple(self.policy.measures(role))
        return got

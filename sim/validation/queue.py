"""The implementation queue as M/M/c (Erlang C) and Little's law for its backlog.

With the features that shape arrivals and service switched off through the scenario, the
world's implementation pool is an M/M/c queue:

* **Arrivals (M).** Outbound leads of one segment arrive as a Poisson process of rate
  ``leads_per_month / DAYS_PER_MONTH`` a day (:mod:`sim.world.market`). The neutral policy
  pursues every lead (``neutral_pursue_min_fit = 0``), reps never run out of slots (no
  attrition, ample ``max_open_opportunities``: ``leads_lost = 0``), and with no fit, source,
  discount, promise or overcommitment effects each lead is won with probability exactly
  ``base_win_rate``, by its own pre-drawn uniform: an independent thinning. Each won deal
  closes after its own i.i.d. gamma sales cycle (the neutral close timing keeps the natural
  close). An independently thinned Poisson process is Poisson, and displacing its points by
  i.i.d. delays keeps it Poisson (the displacement theorem, Kingman 1993 §5.2; equivalently
  the output of an M/G/∞ queue is Poisson, Mirasol 1963), with rate
  ``λ = base_win_rate · leads_per_month / DAYS_PER_MONTH`` once the warm-up exceeds the
  cycle. Only new logos start projects (:meth:`sim.world.customers.Customers.won`);
  expansion deals do not, there are no starting customers, and referral and champion leads
  are off.
* **Service (M).** A project holds one slot of a ``simpy.Resource`` with
  ``c = headcount × concurrent_projects`` slots for its duration,
  ``implementation_days × speed × Gamma(shape)/shape`` (:mod:`sim.world.implementation`);
  with ``duration_shape = 1`` and the neutral speed 1.0 that is exponential with mean
  ``1/μ = implementation_days``, independent of everything else.
* **c servers, FCFS, no abandonment.** SimPy grants requests in arrival order; with
  ``quality_noise_sd = 0`` and ``failure_quality = 0`` no project fails, and with no
  non-payment and no churn no customer leaves before go-live, so every project's ``go_live``
  event carries its wait (``wait_days``) and booking day (``forecast_day``).

Erlang C (Kleinrock 1975, *Queueing Systems I*, §3.5; Gross & Harris 1998, *Fundamentals of
Queueing Theory*, §2.3): with offered load ``a = λ/μ`` and ``ρ = a/c < 1``,

    P(wait) = C(c, a) = [a^c/c! · c/(c − a)] / [Σ_{k<c} a^k/k! + a^c/c! · c/(c − a)],
    Wq = C(c, a) / (cμ − λ),    Lq = λ · Wq,    mean number in service = a.

By PASTA (Wolff 1982) the share of arriving projects that wait is the time-average
probability that all slots are busy, ``C(c, a)``. Little's law (Little 1961) ties the
time-average backlog to the arrival rate and the mean wait, replication by replication.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.ledger import Event
from sim.scenario.schema import Scenario
from sim.time.calendar import DAYS_PER_MONTH, Calendar
from sim.validation.core import PLAIN_DEALS, Check, case, covers, equals, within

if TYPE_CHECKING:
    from sim.world.model import World

WAITED = 1e-9
"""A project counts as having waited when its wait exceeds this many days."""


# ------------------------------------------------------------------------------------ formulas
def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability ``B(c, a)`` by the stable recursion
    ``B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1))`` (no factorials, no overflow)."""
    if c < 0:
        raise ValueError(f"servers must be >= 0, found {c}")
    if a < 0:
        raise ValueError(f"offered load must be >= 0, found {a:g}")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C probability of waiting ``C(c, a)`` in an M/M/c queue with offered load ``a = λ/μ``.

    From Erlang B: ``C = c·B / (c − a·(1 − B))`` for ``a < c``; 1 when ``a >= c`` (unstable:
    every arrival eventually waits).
    """
    if c < 1:
        raise ValueError(f"servers must be >= 1, found {c}")
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def erlang_c_direct(c: int, a: float) -> float:
    """The textbook sum for ``C(c, a)`` (``a < c``), in logs; a cross-check of :func:`erlang_c`."""
    if not 0 <= a < c:
        raise ValueError(f"need 0 <= a < c, found a={a:g}, c={c}")
    if a == 0:
        return 0.0
    log_terms = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    log_top = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    m = max([*log_terms, log_top])
    top = math.exp(log_top - m)
    return top / (sum(math.exp(t - m) for t in log_terms) + top)


@dataclass(frozen=True)
class MMc:
    """Steady-state M/M/c quantities (rates per day)."""

    c: int
    lam: float
    mu: float

    @property
    def a(self) -> float:
        """Offered load λ/μ (= mean number in service)."""
        return self.lam / self.mu

    @property
    def rho(self) -> float:
        """Utilisation a/c."""
        return self.a / self.c

    @property
    def p_wait(self) -> float:
        """Erlang C: probability an arrival waits."""
        return erlang_c(self.c, self.a)

    @property
    def wq(self) -> float:
        """Mean wait in queue (days): C / (cμ − λ)."""
        return self.p_wait / (self.c * self.mu - self.lam) if self.rho < 1 else math.inf

    @property
    def lq(self) -> float:
        """Mean number waiting: λ·Wq."""
        return self.lam * self.wq


# ------------------------------------------------------------------------------------ the world
@dataclass(frozen=True)
class QueueSetup:
    """A company whose implementation queue is M/M/c, and how long to watch it."""

    consultants: int
    concurrent_projects: int
    implementation_days: float
    leads_per_month: float
    base_win_rate: float = 0.5
    sales_cycle_days: float = 30.0
    warmup_years: float = 1.5
    window_years: float = 8.0
    """Measured window after the warm-up."""
    tail_months: int = 6
    """Simulated months after the window so that its projects all go live (waits are known)."""
    replications: int = 8
    seed: int = 20261123

    @property
    def servers(self) -> int:
        """c = headcount × concurrent projects."""
        return self.consultants * self.concurrent_projects

    @property
    def contract_term_months(self) -> int:
        """Long enough that no project is still open at the customer's first renewal
        (at least 30 mean durations between booking and renewal: a chance of e^-30 per project)."""
        return math.ceil(30 * self.implementation_days / DAYS_PER_MONTH) + 1

    @property
    def theory(self) -> MMc:
        """The M/M/c queue this setup should be."""
        lam = self.leads_per_month * self.base_win_rate / DAYS_PER_MONTH
        return MMc(self.servers, lam, 1.0 / self.implementation_days)

    def scenario_data(self) -> dict[str, Any]:
        """The scenario as plain data: every switch that makes the queue M/M/c."""
        off = {"starting_customers": 0, "leads_per_month": 0.0}
        window_months = round(self.window_years * 12)
        return {
            "name": "validation-queue",
            "description": "implementation queue as M/M/c (sim.validation.queue)",
            "company": {
                "warmup_years": self.warmup_years,
                "horizon_years": (window_months + self.tail_months) / 12,
                "segments": {
                    "smb": {
                        "starting_customers": 0,
                        "leads_per_month": self.leads_per_month,
                        "base_win_rate": self.base_win_rate,
                        "sales_cycle_days": self.sales_cycle_days,
                        "implementation_days": self.implementation_days,
                        # every customer leaves at its first renewal, long after go-live (the
                        # book, and the cost of simulating it, stays small); no earlier exit
                        "contract_term_months": self.contract_term_months,
                        "annual_churn": 1.0,
                        "annual_contraction": 0.0,
                        "annual_expansion": 0.0,
                        # expansion deals start no project, but keep the ledger small
                        "upsell_opportunities_per_year": 0.0,
                        "cross_sell_opportunities_per_year": 0.0,
                    },
                    "mid_market": off,
                    "enterprise": off,
                },
                "lead_sources": {"outbound": 1.0, "marketing": 0.0},
                "reps": {"headcount": 10, "max_open_opportunities": 200, "annual_attrition": 0.0},
                "csms": {"headcount": 1, "max_accounts": 1_000_000},
                "marketing": {"headcount": 0},
                "consultants": {
                    "headcount": self.consultants,
                    "concurrent_projects": self.concurrent_projects,
                    "duration_shape": 1.0,  # exponential durations
                    "quality_noise_sd": 0.0,
                    "failure_quality": 0.0,
                },
                "customers": {
                    "referrals_per_promoter_per_year": 0.0,
                    "references_per_promoter_per_year": 0.0,
                    "non_payment_probability": 0.0,
                    "non_payment_per_overcommit": 0.0,
                    "usage_sd": 0.0,
                    "renewal_health_sensitivity": 0.0,
                    "renewal_price_sensitivity": 0.0,
                },
                "champions": {"warm_lead_probability": 0.0, "mean_tenure_years": 1000.0},
                "deals": {"win_odds_per_fit": 0.0, "referral_win_odds": 0.0, "champion_win_odds": 0.0},
            },
            "behaviour": {
                "ae": dict(PLAIN_DEALS),
                "consultant": {"speed_options": [1.0], "neutral_speed": 1.0},
            },
            "plans": [{"name": "no_variable_pay"}],
            "experiment": {"seed": self.seed, "replications": max(self.replications, 2)},
        }

    def scenario(self) -> Scenario:
        """The validated scenario."""
        from sim.scenario.load import validate_data

        return validate_data(self.scenario_data(), "validation:exact.queue")

    def window(self, scenario: Scenario) -> tuple[float, float]:
        """``[start, end)`` day of the measured window: after the warm-up, before the tail."""
        c = scenario.company
        warm = round(c.warmup_years * 12)
        total = warm + max(1, round(c.horizon_years * 12))
        cal = Calendar(c.fiscal_year_start_month, total)
        return float(cal.month_starts[warm]), float(cal.month_starts[total - self.tail_months])


@dataclass(frozen=True)
class QueueStats:
    """What one replication's ledger says about the implementation queue in the window."""

    arrivals: int
    """Projects booked in the window."""
    arrival_rate: float
    """Per day."""
    interarrival_cv2: float
    """Squared coefficient of variation of the gaps between bookings (1 for Poisson)."""
    share_waited: float
    mean_wait: float
    mean_service: float
    service_cv2: float
    """Squared coefficient of variation of service durations (1 for exponential)."""
    time_avg_waiting: float
    """Time-average number of projects waiting over the window."""
    time_avg_in_service: float
    missing: int
    """Projects booked in the window with no go-live by the end (their wait is unknown)."""
    leads_lost: float
    sampled_waiting: float = math.nan
    """Mean number waiting read from the simulator's pool on a grid (independent of the ledger)."""
    sampled_in_service: float = math.nan
    """Mean number of busy slots read from the pool on the same grid."""


def _overlap(start: np.ndarray, end: np.ndarray, t0: float, t1: float) -> float:
    """Total length of the intervals ``[start, end]`` inside ``[t0, t1]``."""
    return float(np.clip(np.minimum(end, t1) - np.maximum(start, t0), 0.0, None).sum())


def _cv2(x: np.ndarray) -> float:
    return float(x.var(ddof=1) / x.mean() ** 2) if len(x) > 1 and x.mean() > 0 else math.nan


def queue_stats(events: Sequence[Event], t0: float, t1: float, leads_lost: float = 0.0) -> QueueStats:
    """Measure the queue from a ledger: bookings of new logos are arrivals, ``go_live`` events
    carry each project's wait and booking day; intervals are clipped to ``[t0, t1)``."""
    booked = np.array(
        sorted(e.day for e in events if e.kind == "booking" and e.deal_kind == "new" and t0 <= e.day < t1)
    )
    lives = [e for e in events if e.kind == "go_live"]
    b = np.array([e.forecast_day for e in lives])
    w = np.array([e.wait_days for e in lives])
    g = np.array([e.day for e in lives])
    start = b + w
    inwin = (b >= t0) & (b < t1)
    span = t1 - t0
    gaps = np.diff(booked)
    service = g[inwin] - start[inwin]
    return QueueStats(
        arrivals=len(booked),
        arrival_rate=len(booked) / span,
        interarrival_cv2=_cv2(gaps),
        share_waited=float((w[inwin] > WAITED).mean()) if inwin.any() else math.nan,
        mean_wait=float(w[inwin].mean()) if inwin.any() else math.nan,
        mean_service=float(service.mean()) if inwin.any() else math.nan,
        service_cv2=_cv2(service),
        time_avg_waiting=_overlap(b, start, t0, t1) / span,
        time_avg_in_service=_overlap(start, g, t0, t1) / span,
        missing=len(booked) - int(inwin.sum()),
        leads_lost=leads_lost,
    )


def _sampler(
    world: World, t0: float, t1: float, step: float, out: list[tuple[int, int]]
) -> Generator[Any, Any, None]:
    """Read the pool's queue length and busy slots every ``step`` days in ``[t0, t1)`` (reads only:
    the world's own events keep their relative order, so its run is unchanged)."""
    env = world.env
    team = world.implementation
    t = t0 + step / 2
    while t < t1:
        yield env.timeout(t - env.now)
        out.append((len(team.queue), team.busy))
        t += step


def simulate_queue(setup: QueueSetup) -> list[QueueStats]:
    """Run the setup's replications under the neutral policy and measure each one's queue, from
    the ledger and, independently, from the simulator's own pool (sampled on a grid)."""
    from sim.policy.neutral import NeutralPolicy
    from sim.replication import build_world

    sc = setup.scenario()
    t0, t1 = setup.window(sc)
    step = setup.implementation_days / 20.0
    out = []
    for r in range(setup.replications):
        world = build_world(sc, sc.plans[0], r, NeutralPolicy())
        samples: list[tuple[int, int]] = []
        world.env.process(_sampler(world, t0, t1, step, samples))
        gc_was_enabled = gc.isenabled()
        gc.disable()  # as sim.replication.simulate: many short-lived acyclic objects
        try:
            world.run()
        finally:
            if gc_was_enabled:
                gc.enable()
        grid = np.asarray(samples, dtype=float).reshape(-1, 2)
        stats = queue_stats(world.ledger.events, t0, t1, float(world.sales.leads_lost))
        out.append(
            replace(
                stats, sampled_waiting=float(grid[:, 0].mean()), sampled_in_service=float(grid[:, 1].mean())
            )
        )
    return out


def _col(stats: Sequence[QueueStats], name: str) -> np.ndarray:
    return np.asarray([getattr(s, name) for s in stats], dtype=float)


def _premises(setup: QueueSetup, stats: Sequence[QueueStats], band: float = 0.05) -> list[Check]:
    """Checks that the simulated queue has the M/M/c inputs: nothing lost, every project's wait
    observed, Poisson arrivals of rate λ and exponential service of mean 1/μ (means within
    ``± band`` of their values: input sanity, not the tested formula)."""
    q = setup.theory

    def near(name: str, value: float, col: str, digits: int, detail: str = "") -> Check:
        lo, hi = value * (1 - band), value * (1 + band)
        return within(name, _col(stats, col), lo, hi, digits=digits, detail=detail)

    return [
        equals(
            "leads lost (max over replications)",
            0.0,
            float(_col(stats, "leads_lost").max()),
            tol=0.0,
            digits=0,
            detail="every lead finds a rep: arrivals are the thinned lead stream",
        ),
        equals(
            "projects without a go-live (max)",
            0.0,
            float(_col(stats, "missing").max()),
            tol=0.0,
            digits=0,
            detail="every project booked in the window went live: its wait is observed",
        ),
        near(
            "arrival rate λ (projects/day)",
            q.lam,
            "arrival_rate",
            4,
            "base_win_rate × leads_per_month / DAYS_PER_MONTH",
        ),
        near("inter-arrival CV² (Poisson: 1)", 1.0, "interarrival_cv2", 3),
        near("mean duration 1/μ (days)", 1.0 / q.mu, "mean_service", 3),
        near("duration CV² (exponential: 1)", 1.0, "service_cv2", 3),
    ]


def erlang_c_checks(setup: QueueSetup) -> list[Check]:
    """Simulate the setup and compare its queue with Erlang C."""
    q = setup.theory
    stats = simulate_queue(setup)
    about = f"c={q.c}, a=λ/μ={q.a:.3f}, ρ={q.rho:.3f}"
    return [
        equals(
            "C(c,a): Erlang-B recursion = textbook sum",
            erlang_c_direct(q.c, q.a),
            q.p_wait,
            tol=1e-12,
            digits=6,
            detail=about,
        ),
        *_premises(setup, stats),
        covers(
            "P(wait) = C(c,a)",
            q.p_wait,
            _col(stats, "share_waited"),
            detail=f"{about}; share of projects booked in the window that waited (PASTA)",
        ),
        covers("mean wait Wq = C/(cμ−λ) (days)", q.wq, _col(stats, "mean_wait"), digits=3, detail=about),
        covers(
            "mean number waiting Lq = λ·Wq",
            q.lq,
            _col(stats, "time_avg_waiting"),
            digits=4,
            detail=f"{about}; time average over the window",
        ),
    ]


def little_checks(setup: QueueSetup, tol: float = 0.03) -> list[Check]:
    """Little's law for the backlog and for the projects in service, replication by replication,
    and against the M/M/c values."""
    q = setup.theory
    stats = simulate_queue(setup)
    lam = _col(stats, "arrival_rate")
    lw = lam * _col(stats, "mean_wait")
    ls = lam * _col(stats, "mean_service")
    ledger_l = _col(stats, "time_avg_waiting")
    pool_l = _col(stats, "sampled_waiting")
    pool_s = _col(stats, "sampled_in_service")

    def worst(x: np.ndarray, y: np.ndarray) -> float:
        return float((np.abs(x - y) / np.maximum(y, 1e-12)).max())

    about = f"c={q.c}, a=λ/μ={q.a:.3f}, ρ={q.rho:.3f}"
    return [
        *_premises(setup, stats)[:3],
        equals(
            "backlog from the ledger: |L − λ̂·Ŵ| / λ̂·Ŵ (max)",
            0.0,
            worst(ledger_l, lw),
            tol=tol,
            digits=3,
            detail="time-average waiting (booking-to-start intervals) vs observed arrival rate × mean "
            "wait of the window's bookings: equal up to waits straddling the window's edges",
        ),
        equals(
            "backlog from the pool: |L − λ̂·Ŵ| / λ̂·Ŵ (max)",
            0.0,
            worst(pool_l, lw),
            tol=tol,
            digits=3,
            detail="the simulator's own queue length, read on a grid, vs the ledger's arrival rate × "
            "mean wait",
        ),
        equals(
            "in service from the pool: |L − λ̂·Ŝ| / λ̂·Ŝ (max)",
            0.0,
            worst(pool_s, ls),
            tol=tol,
            digits=3,
            detail="busy slots vs observed arrival rate × mean duration",
        ),
        covers("backlog: mean number waiting Lq = λ·Wq", q.lq, pool_l, digits=4, detail=about),
        covers("in service: mean number = λ/μ", q.a, pool_s, digits=3, detail=f"{about}; L = λ·E[S]"),
    ]


# ------------------------------------------------------------------------------------ the cases
FAST = QueueSetup(
    consultants=2, concurrent_projects=2, implementation_days=5.0, leads_per_month=38.96, window_years=8.0
)
"""c = 4, 1/μ = 5 days, λ = 0.640/day: a = 3.20, ρ = 0.80."""
LITTLE = QueueSetup(
    consultants=3,
    concurrent_projects=1,
    implementation_days=5.0,
    leads_per_month=27.39,
    window_years=8.0,
    replications=6,
    seed=20261124,
)
"""c = 3, 1/μ = 5 days, λ = 0.450/day: a = 2.25, ρ = 0.75."""
HEAVY = QueueSetup(
    consultants=8,
    concurrent_projects=3,
    implementation_days=5.0,
    leads_per_month=248.3,
    window_years=10.0,
    replications=12,
)
"""The default team's 24 slots at ρ = 0.85 (1/μ = 5 days, λ = 4.08/day)."""

SOURCE = "Erlang C (Kleinrock 1975 §3.5; Gross & Harris 1998 §2.3); PASTA (Wolff 1982)"
LITTLE_SOURCE = "Little's law L = λW (Little 1961); M/M/c Lq (Gross & Harris 1998 §2.3)"


@case("exact.queue.erlang_c", "Implementation queue as M/M/c: Erlang C", SOURCE)
def _erlang_c() -> Sequence[Check]:
    return erlang_c_checks(FAST)


@case("exact.queue.erlang_c_heavy", "Implementation queue as M/M/24 at ρ = 0.85: Erlang C", SOURCE, slow=True)
def _erlang_c_heavy() -> Sequence[Check]:
    return erlang_c_checks(HEAVY)


@case("exact.little.backlog", "Little's law for the implementation backlog", LITTLE_SOURCE)
def _little() -> Sequence[Check]:
    return little_checks(LITTLE)

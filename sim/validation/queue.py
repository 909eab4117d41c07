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
* **Service (M).** A project holds one of ``c = headcount × concurrent_projects`` slots
  (``ImplementationTeam.slots``) for its duration,
  ``implementation_days × speed × Gamma(shape)/shape`` (:mod:`sim.world.implementation`);
  with ``duration_shape = 1`` and the neutral speed 1.0 that is exponential with mean
  ``1/μ = implementation_days``, independent of everything else.
* **c servers, FCFS, no abandonment.** A freed slot goes to the first project waiting
  (``ImplementationTeam.queue``); with
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

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.validation.core import Check, case, covers, equals, within
from sim.validation.erlang import MMc, erlang_c_direct
from sim.validation.queue_world import QueueSetup, QueueStats, simulate_queue

if TYPE_CHECKING:
    pass


def column(stats: Sequence[QueueStats], name: str) -> np.ndarray:
    return np.asarray([getattr(s, name) for s in stats], dtype=float)


def metric_values(stats: Sequence[QueueStats], name: str) -> np.ndarray:
    return np.asarray([dict(s.metrics)[name] for s in stats], dtype=float)


def _premises(setup: QueueSetup, stats: Sequence[QueueStats], band: float = 0.05) -> list[Check]:
    """Checks that the simulated queue has the M/M/c inputs: nothing lost, every project's wait
    observed, Poisson arrivals of rate λ and exponential service of mean 1/μ (means within
    ``± band`` of their values: input sanity, not the tested formula)."""
    q = setup.theory

    def near(name: str, value: float, col: str, digits: int, detail: str = "") -> Check:
        lo, hi = value * (1 - band), value * (1 + band)
        return within(name, column(stats, col), lo, hi, digits=digits, detail=detail)

    return [
        equals(
            "leads lost (max over replications)",
            0.0,
            float(column(stats, "leads_lost").max()),
            tol=0.0,
            digits=0,
            detail="every lead finds a rep: arrivals are the thinned lead stream",
        ),
        equals(
            "projects without a go-live (max)",
            0.0,
            float(column(stats, "missing").max()),
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
        near("duration CV² (exponential: 1)", setup.service.cv2, "service_cv2", 3),
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
            column(stats, "share_waited"),
            detail=f"{about}; share of projects booked in the window that waited (PASTA)",
        ),
        covers("mean wait Wq = C/(cμ−λ) (days)", q.wq, column(stats, "mean_wait"), digits=3, detail=about),
        covers(
            "mean number waiting Lq = λ·Wq",
            q.lq,
            column(stats, "time_avg_waiting"),
            digits=4,
            detail=f"{about}; time average over the window",
        ),
        *_metric_checks(q, stats, about),
    ]


def _metric_checks(q: MMc, stats: Sequence[QueueStats], about: str) -> list[Check]:
    """The replication's own queue metrics (``docs/metrics.md``, "Implementation queue") against
    Erlang C: P(wait), Wq, Lq and the utilisation ρ = λ/(cμ)."""
    where = f"{about}; metric over the measured window (projects starting service in it)"
    pairs = (
        ("implementation_wait_share", "C(c,a)", q.p_wait, 4),
        ("implementation_wait_days", "Wq", q.wq, 3),
        ("implementation_queue_mean", "Lq", q.lq, 4),
        ("consultant_utilisation", "ρ", q.rho, 4),
    )
    return [
        covers(f"metric {m} = {what}", value, metric_values(stats, m), digits=d, detail=where)
        for m, what, value, d in pairs
    ]


def little_checks(setup: QueueSetup, tol: float = 0.03) -> list[Check]:
    """Little's law for the backlog and for the projects in service, replication by replication,
    and against the M/M/c values."""
    q = setup.theory
    stats = simulate_queue(setup)
    lam = column(stats, "arrival_rate")
    lw = lam * column(stats, "mean_wait")
    ls = lam * column(stats, "mean_service")
    ledger_l = column(stats, "time_avg_waiting")
    pool_l = column(stats, "sampled_waiting")
    pool_s = column(stats, "sampled_in_service")

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

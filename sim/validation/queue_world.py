"""The implementation queue as the world runs it, for the M/M/c cases: a scenario with arrivals and
service made Poisson and exponential, and the waits, services and occupancy read from its ledger."""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.distributions import Gamma
from sim.ledger import Event
from sim.replication import build_world, collector_off
from sim.scenario.schema import Scenario
from sim.time.calendar import DAYS_PER_MONTH, Calendar
from sim.validation.core import PLAIN_DEALS
from sim.validation.erlang import WAITED, MMc

if TYPE_CHECKING:
    from sim.world.model import World

DURATION_SHAPE = 1.0
"""Shape of the implementation duration's gamma: 1, exponential service (the M of M/M/c)."""


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
    def service(self) -> Gamma:
        """An implementation's duration as the world draws it (shape 1: exponential)."""
        return Gamma(self.implementation_days, DURATION_SHAPE)

    @property
    def theory(self) -> MMc:
        """The M/M/c queue this setup should be."""
        lam = self.leads_per_month * self.base_win_rate / DAYS_PER_MONTH
        return MMc(self.servers, lam, 1.0 / self.service.mean)

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
                    "duration_shape": DURATION_SHAPE,
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
    metrics: tuple[tuple[str, float], ...] = ()
    """The replication's queue metrics (``ImplementationTeam.queue_metrics``: the whole measured
    window, tail included)."""


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
    sc = setup.scenario()
    t0, t1 = setup.window(sc)
    out = []
    for r in range(setup.replications):
        out.append(_queue_run(sc, r, t0, t1, setup.implementation_days / 20.0))
    return out


@collector_off()  # as sim.replication.simulate runs a replication
def _queue_run(sc: Scenario, replication: int, t0: float, t1: float, step: float) -> QueueStats:
    from sim.policy.neutral import NeutralPolicy

    world = build_world(sc, sc.plans[0], replication, NeutralPolicy())
    samples: list[tuple[int, int]] = []
    world.env.process(_sampler(world, t0, t1, step, samples))
    world.run()
    grid = np.asarray(samples, dtype=float).reshape(-1, 2)
    stats = queue_stats(world.ledger.events, t0, t1, float(world.sales.leads_lost))
    return replace(
        stats,
        sampled_waiting=float(grid[:, 0].mean()),
        sampled_in_service=float(grid[:, 1].mean()),
        metrics=tuple(world.implementation.queue_metrics().items()),
    )

"""One replication of one plan: the world run under a policy, its ledger turned into pay and metrics.

:func:`simulate` is a pure function of (scenario, plan, replication, policy): it builds the
policy (by default the incentive policy of the plan: ``sim.policy.make_policy``), the world
(``sim.world.World``: every draw from named streams of ``sim.rng.Streams``), subscribes the
payout engine's state and the metrics' tally to the world's ledger, runs the world and returns
a small, picklable :class:`~sim.result.ReplicationResult`. This is the one place where the
world, the plan's pay rules and the metrics meet; the world itself never reads a plan.
"""

from __future__ import annotations

import contextlib
import gc
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from sim.economics import mean_arr_by_segment, unit_economics
from sim.ledger import Event, events_of
from sim.metrics import Observations, Tally, all_metrics, cash_series, distributions, timeseries
from sim.org_metrics import organisation_metrics
from sim.plans import PayState, payouts_from_state
from sim.policy.protocol import Policy
from sim.result import ReplicationResult
from sim.scenario.plans import PlanDesign
from sim.scenario.schema import Scenario
from sim.staff_metrics import roster_table, staff_metrics
from sim.vocabulary import ROLES
from sim.world.model import World
from sim.world.services import PlanFacts


def plan_facts(plan: PlanDesign) -> PlanFacts:
    """What the world must know of ``plan``'s organisation: its crediting rules, and the days after
    go-live at which an implementation counts as a success (an ``after_success`` component's or an
    ``implementation_success_90d`` measure's ``success_days``; 90 when the plan has neither)."""
    days = [
        comp.success_days
        for r in ("ae", "consultant")
        for comp in plan.role(r).components
        if comp.pays == "after_success" or comp.measure == "implementation_success_90d"
    ]
    cr = plan.crediting
    return PlanFacts(
        upsell=tuple(cr.upsell),
        cross_sell=tuple(cr.cross_sell),
        handoff_credits_bookings=cr.handoff.credit_bookings,
        success_days=float(days[0]) if days else 90.0,
        shares=tuple(
            (kind, role, cr.share(kind, role))
            for kind in ("upsell", "cross_sell")
            for role in getattr(cr, kind)
        ),
        headcount_change=tuple(sorted(plan.staffing.add.items())),
        csm_max_accounts=tuple(sorted(plan.staffing.csm_max_accounts.items())),
        budgets=tuple(
            (r, plan.role(r).budget_annual_usd) for r in ROLES if plan.role(r).budget_annual_usd > 0
        ),
        effort_period=plan.ae.quota.period if plan.ae.quota is not None else "quarter",
    )


def plan_index(scenario: Scenario, plan: str | PlanDesign) -> tuple[PlanDesign, int]:
    """The plan design and its index in the scenario (a stable hash for plans not in it)."""
    name = plan if isinstance(plan, str) else plan.name
    for i, p in enumerate(scenario.plans):
        if p.name == name:
            return (p if isinstance(plan, str) else plan), i
    if isinstance(plan, str):
        raise KeyError(f"plan {plan!r} is not in scenario {scenario.name!r}")
    return plan, 1000 + zlib.crc32(plan.name.encode())


def default_policy(scenario: Scenario, design: PlanDesign) -> Policy:
    """The incentive policy of ``design`` (a design not in the scenario: the policy reads it)."""
    from sim.policy import make_policy

    owner = scenario
    if not any(p is design for p in scenario.plans):
        plans = [design if p.name == design.name else p for p in scenario.plans]
        if all(p.name != design.name for p in scenario.plans):
            plans.append(design)
        owner = scenario.model_copy(update={"plans": plans})
    return make_policy(owner, design.name)


def build_world(
    scenario: Scenario,
    plan: str | PlanDesign,
    replication: int,
    policy: Policy | None = None,
    *,
    keep_ledger: bool = True,
) -> World:
    """The world of one replication, not yet run (``policy``: the plan's incentive policy by default)."""
    design, index = plan_index(scenario, plan)
    if policy is None:
        policy = default_policy(scenario, design)
    salt = None if scenario.experiment.common_random_numbers else index
    return World(scenario, plan_facts(design), replication, policy, salt, keep_ledger=keep_ledger)


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    """Python's cyclic garbage collector off for a replication's run: a block, or a decorator of
    the function that builds, runs and drops the world. A run allocates many short-lived acyclic
    objects, and cyclic passes only cost time.

    On the way out the youngest generation is collected once. Everything the run allocated is
    still in it, so that pass frees the world the run dropped (its teams and services refer to
    each other: only the cyclic collector frees them). Left to the automatic passes, a world
    would wait for the next middle-generation pass, about ten replications later, and a process
    running replications one after another would hold ten worlds instead of one."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.collect(0)
            gc.enable()


def simulate(
    scenario: Scenario,
    plan: str | PlanDesign,
    replication: int,
    policy: Policy | None = None,
    *,
    keep_ledger: bool = False,
) -> ReplicationResult:
    """Simulate one replication of one plan and return its metrics.

    ``plan`` is the name of one of the scenario's plans or a ``PlanDesign`` (a design not in
    the scenario gets its own streams when common random numbers are off). ``policy``
    answers every decision; by default the incentive policy of
    ``sim.policy.make_policy(scenario, plan_name)``. With ``keep_ledger`` the ledger's
    events are attached to the result (``result.ledger``).
    """
    t0 = time.perf_counter()
    design, _ = plan_index(scenario, plan)
    result = _run(scenario, design, replication, policy, keep_ledger)
    result.wall_seconds = time.perf_counter() - t0
    return result


@collector_off()  # the world is built and dropped in here; the collector frees it on the way out
def _run(
    scenario: Scenario, design: PlanDesign, replication: int, policy: Policy | None, keep_ledger: bool
) -> ReplicationResult:
    world = build_world(scenario, design, replication, policy, keep_ledger=keep_ledger)
    result = run_world(world, design)
    if keep_ledger:
        result.ledger = list(world.ledger.events)
    return result


@dataclass(frozen=True)
class History:
    """What one replication leaves on its ledger, without its pay or metrics (:func:`history`)."""

    rows: np.ndarray
    """Every event of the run (warm-up included), in order: ledger rows (:data:`sim.ledger.EVENT_DTYPE`)."""
    wall_seconds: float

    @property
    def ledger(self) -> list[Event]:
        """The rows as :class:`~sim.ledger.Event` objects (built on each call)."""
        return events_of(self.rows)


def history(
    scenario: Scenario, plan: str | PlanDesign, replication: int, policy: Policy | None = None
) -> History:
    """The ledger of one replication, without payouts or metrics: what calibration reads.

    The world runs exactly as in :func:`simulate` (the same draws and decisions, the same events;
    ``tests/calibrate/test_history.py``): the policy keeps its own pay state, and only the readers
    that exist to build a result (the metrics' tally, a pay state no policy reads) are left out."""
    t0 = time.perf_counter()
    return History(_history_rows(scenario, plan, replication, policy), time.perf_counter() - t0)


@collector_off()
def _history_rows(
    scenario: Scenario, plan: str | PlanDesign, replication: int, policy: Policy | None
) -> np.ndarray:
    world = build_world(scenario, plan, replication, policy, keep_ledger=True)
    world.run()
    return world.ledger.rows.copy()


def run_world(world: World, plan: PlanDesign) -> ReplicationResult:
    """Run a world built for ``plan`` (:func:`build_world`, perhaps adjusted by a test) with the plan's
    pay state and the metrics' tally following its ledger, and return its result."""
    pay, tally = follow(world, plan)
    world.run()
    result = build_result(world, plan, pay, tally)
    result.events_scheduled = world.env.scheduled
    return result


def follow(world: World, plan: PlanDesign) -> tuple[PayState, Tally]:
    """The plan's pay state and the metrics' tally, both following the world's ledger (before it runs)."""
    pay = _live_pay_state(world, plan)
    clock = world.clock
    invoiced = world.company.billing.enabled
    tally = Tally(world.calendar, plan, clock.warmup_months, clock.total_months, invoiced=invoiced)
    tally.follow(world.ledger)  # metrics accumulate as the ledger grows
    return pay, tally


def _live_pay_state(world: World, plan: PlanDesign) -> PayState:
    """The plan's pay state, kept live on the world's ledger: the policy's own when it keeps one for
    this plan and window (the incentive policy does), else a fresh one subscribed here."""
    from sim.policy.incentive import IncentivePolicy

    policy = world.choices.policy
    start = world.clock.measure_start
    if isinstance(policy, IncentivePolicy):
        live = policy.state
        if live is not None and live.plan is plan and live.start_day == start:
            return live
    state = PayState(plan, world.calendar, start_day=start)
    state.follow(world.ledger)
    return state


def build_result(world: World, plan: PlanDesign, pay: PayState, tally: Tally) -> ReplicationResult:
    """Payouts (``sim.plans`` engine) and metrics (``sim.metrics``) of a finished world."""
    clock = world.clock
    # the pay state followed the ledger live: closing it gives the payouts of the window
    # (the same as replaying the ledger through compute_payouts; tests/world/test_payouts.py)
    payouts = payouts_from_state(pay, start_day=clock.measure_start, end_day=clock.end_day)
    tally.sync()
    cust = world.customers
    cc = world.company.customers
    obs = Observations(
        tally=tally,
        calendar=world.calendar,
        plan=plan,
        warmup_months=clock.warmup_months,
        total_months=clock.total_months,
        arr_snapshots=cust.arr_snapshots,
        nps_by_month=cust.nps_by_month,
        final_health=cust.final_health,
        segment=world.book.segment[: world.book.n].copy(),
        promoter_health=cc.promoter_health,
        detractor_health=cc.detractor_health,
        marketing_budget_annual_usd=world.company.marketing.annual_program_budget_usd,
        forecast_error_cost_per_usd=world.company.costs.forecast_error_cost_per_usd,
        market=world.market_observations(),
        extra=world.counts(),
        cohort_month=world.customers.cohort_months(),
    )
    metrics = {k: float(v) for k, v in all_metrics(obs, payouts).items()}
    metrics.update(organisation_metrics(obs, metrics))
    w, t = clock.warmup_months, clock.total_months
    mean_arr = mean_arr_by_segment(cust.arr_snapshots, obs.segment, w, t)
    economics = unit_economics(
        world.company, payouts, pay.people, tally.by_segment, world.drivers, metrics, mean_arr,
        clock.measure_start, clock.end_day, (t - w) / 12.0,
    )  # fmt: skip
    metrics.update({k: float(v) for k, v in economics.items()})
    people_pay = {k: float(v) for k, v in payouts.by_person().items()}
    metrics.update(staff_metrics(pay.people, people_pay, plan, clock.measure_start, clock.end_day))
    series = timeseries(obs)
    by_month = payouts.by_month()
    series.update(cash_series(obs, payouts))  # billed, cash collected, cash balance (monthly)
    series["payout_cost"] = [
        float(by_month.get(m, 0.0)) for m in range(clock.warmup_months, clock.total_months)
    ]
    dists = distributions(obs)
    if not dists["attainment"]:
        dists["attainment"] = [float(x) for x in payouts.attainment()]
    return ReplicationResult(
        plan=plan.name,
        replication=world.replication,
        metrics=metrics,
        timeseries=series,
        distributions=dists,
        payouts={k: float(v) for k, v in payouts.by_component().items()},
        people_pay=people_pay,
        people=roster_table(pay.people),
    )

"""World benchmark: seconds per replication, SimPy events, and scaling with customers.

Usage (from the repository root)::

    python benchmarks/world.py                 # reference scenario + scaling 1k..100k
    python benchmarks/world.py --no-scaling    # reference scenario only
    python benchmarks/world.py --policy incentive

The reference scenario is ``scenarios/base-company.yaml`` (40 reps, 20 CSMs, 8 consultants,
3,000 starting customers) run for 5 simulated years (1 warm-up + 4 measured). It reports:

* seconds per replication: the world alone (SimPy + numpy book) and in total (with the
  payout engine and the metrics);
* SimPy events scheduled (``env.schedule`` calls), events/s and customer-months/s;
* the ratio of the world's time to a bare SimPy loop scheduling the same number of
  timeouts, measured in the same run;
* the exponent b of time ~ customers^b from 1k to 100k starting customers (the whole company
  scaled in proportion: leads, reps, CSMs, consultants, marketers), fitted on log-log axes;
* peak resident memory of each scaling point (each runs in its own process).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np
import simpy
from _tree import use_tree

ROOT = use_tree()  # this checkout, or the tree compare.py names in $INCENTSIM_BENCH_TREE

from sim import load_scenario  # noqa: E402
from sim.scenario import Scenario  # noqa: E402

try:  # the policies' package (this tree) or the reference commit's place for the neutral policy
    from sim.policy import NeutralPolicy
except ImportError:
    from sim.world import NeutralPolicy  # type: ignore[attr-defined,no-redef]

BASE_CUSTOMERS = 3000


def reference(customers: int = BASE_CUSTOMERS, years: float = 5.0) -> Scenario:
    """The base company, scaled to ``customers`` starting customers, ``years`` simulated
    (``years - 1`` measured after a 1-year warm-up)."""
    sc = load_scenario(ROOT / "scenarios" / "base-company.yaml")
    f = customers / BASE_CUSTOMERS
    c = sc.company
    over: dict[str, Any] = {"company.warmup_years": 1, "company.horizon_years": years - 1}
    for seg in ("smb", "mid_market", "enterprise"):
        s = getattr(c.segments, seg)
        over[f"company.segments.{seg}.starting_customers"] = round(s.starting_customers * f)
        over[f"company.segments.{seg}.leads_per_month"] = s.leads_per_month * f
    for group in ("reps", "csms", "consultants", "marketing"):
        over[f"company.{group}.headcount"] = max(1, round(getattr(c, group).headcount * f))
    try:  # this tree's function, or the reference commit's method
        from sim.scenario import with_overrides
    except ImportError:
        return sc.with_overrides(over)  # type: ignore[attr-defined,no-any-return]
    return with_overrides(sc, over)


def make_policy(kind: str, sc: Scenario) -> Any:
    """The neutral policy, or the incentive policy of the first plan."""
    if kind == "neutral":
        return NeutralPolicy()
    try:
        from sim.policy import make_policy as incentive
    except ImportError:  # the reference commit
        from sim.behaviour import make_policy as incentive  # type: ignore[no-redef]

    return incentive(sc, sc.plans[0].name)


def bare_simpy(n: int, cpu: bool = False) -> float:
    """Seconds (wall, or process CPU with ``cpu``) for a bare SimPy loop scheduling ``n`` timeouts."""
    env = simpy.Environment()

    def loop() -> Any:
        for _ in range(n):
            yield env.timeout(1.0)

    env.process(loop())
    clock = time.process_time if cpu else time.perf_counter
    t = clock()
    env.run()
    return clock() - t


def one_run(sc: Scenario, policy: str, replication: int = 0) -> dict[str, float]:
    """One replication with timings and counts (the world on its own, then payouts and metrics)."""
    import gc
    import importlib
    import importlib.util

    gc.disable()
    t0, c0 = time.perf_counter(), time.process_time()
    if importlib.util.find_spec("sim.replication"):  # this tree: sim.replication builds and runs worlds
        from sim.replication import build_result, build_world, follow

        w = build_world(sc, sc.plans[0], replication, make_policy(policy, sc), keep_ledger=False)
        pay, tally = follow(w, sc.plans[0])
        w.run()
        t1, c1 = time.perf_counter(), time.process_time()
        build_result(w, sc.plans[0], pay, tally)
        counts = w.customers.active_counts
        events = tally.events
    else:  # an older tree (the reference commit): the world built its own result
        old = importlib.import_module("sim.world.model")
        w = old.World(sc, sc.plans[0], replication, make_policy(policy, sc), None, keep_ledger=False)
        w.run()
        t1, c1 = time.perf_counter(), time.process_time()
        old.build_result(w)
        counts = w.active_counts
        events = w.tally.events
    t2, c2 = time.perf_counter(), time.process_time()
    gc.enable()
    cm = float(sum(counts[:-1]))
    return {
        "customers_start": float(
            sum(
                getattr(sc.company.segments, s).starting_customers
                for s in ("smb", "mid_market", "enterprise")
            )
        ),
        "world_seconds": t1 - t0,
        "total_seconds": t2 - t0,
        "world_cpu_seconds": c1 - c0,
        "total_cpu_seconds": c2 - c0,
        "events_scheduled": float(w.env.scheduled),
        "ledger_events": float(events),
        "customer_months": cm,
        "customers_end": float(counts[-1]),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def point(customers: int, policy: str) -> dict[str, float]:
    """One scaling point in a fresh process (for a clean peak-memory figure)."""
    out = subprocess.run(
        [sys.executable, __file__, "--point", str(customers), "--policy", policy],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", choices=["neutral", "incentive"], default="neutral")
    ap.add_argument("--replications", type=int, default=3)
    ap.add_argument("--no-scaling", action="store_true")
    ap.add_argument("--sizes", default="1000,3000,10000,30000,100000")
    ap.add_argument("--point", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.point:
        print(json.dumps(one_run(reference(args.point), args.policy)))
        return
    sc = reference()
    runs = [one_run(sc, args.policy, r) for r in range(args.replications)]
    ws = float(np.median([r["world_seconds"] for r in runs]))
    ts = float(np.median([r["total_seconds"] for r in runs]))
    wc = float(np.median([r["world_cpu_seconds"] for r in runs]))
    tc = float(np.median([r["total_cpu_seconds"] for r in runs]))
    ev = float(np.median([r["events_scheduled"] for r in runs]))
    cm = float(np.median([r["customer_months"] for r in runs]))
    bare = float(np.median([bare_simpy(int(ev)) for _ in range(3)]))
    bare_cpu = float(np.median([bare_simpy(int(ev), cpu=True) for _ in range(3)]))
    print(
        f"reference scenario: 3,000 starting customers, 40 reps, 20 CSMs, 8 consultants, 5 years; "
        f"policy={args.policy}; median of {args.replications} replications"
    )
    print(f"  seconds per replication (world only)      {ws:8.2f}")
    print(f"  seconds per replication (with payouts)    {ts:8.2f}")
    print(f"  CPU seconds (world only / with payouts)   {wc:8.2f} / {tc:.2f}")
    print(f"  SimPy events scheduled                    {ev:8.0f}")
    print(f"  ledger events                             {runs[0]['ledger_events']:8.0f}")
    print(f"  events/s (world)                          {ev / ws:8.0f}")
    print(f"  customer-months/s (world)                 {cm / ws:8.0f}")
    print(f"  customer-months per CPU second (world)    {cm / wc:8.0f}")
    print(f"  bare SimPy loop, same number of timeouts  {bare:8.3f} s")
    print(f"  ratio world / bare SimPy loop             {ws / bare:8.1f}")
    print(f"  same ratio on CPU time                    {wc / bare_cpu:8.1f}")
    if args.no_scaling:
        return
    sizes = [int(x) for x in args.sizes.split(",")]
    pts = [point(n, args.policy) for n in sizes]
    print("  scaling (whole company scaled with starting customers):")
    print(
        "    customers  world_s  total_s  world_cpu_s  total_cpu_s  events  customer-months/s  peak_RSS_MiB"
    )
    for p in pts:
        print(
            f"    {p['customers_start']:9.0f} {p['world_seconds']:8.2f} {p['total_seconds']:8.2f} "
            f"{p['world_cpu_seconds']:12.2f} {p['total_cpu_seconds']:12.2f} "
            f"{p['events_scheduled']:7.0f} {p['customer_months'] / p['world_cpu_seconds']:18.0f} "
            f"{p['peak_rss_mib']:13.0f}"
        )
    x = np.log([p["customers_start"] for p in pts])
    for key in ("world_seconds", "total_seconds", "world_cpu_seconds", "total_cpu_seconds"):
        b = np.polyfit(x, np.log([p[key] for p in pts]), 1)[0]
        print(f"  exponent of {key} vs customers: {b:.2f}")


if __name__ == "__main__":
    main()

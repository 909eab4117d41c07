"""Parallel efficiency of the experiment backends, and time for the flagship to reach its target.

Usage (from the repository root)::

    python benchmarks/parallel.py                 # synthetic CPU-bound replications
    python benchmarks/parallel.py --world         # the real world on a 1-year base-company
    python benchmarks/parallel.py --flagship      # also: seed-plans.yaml to its precision target

Parallel efficiency on W workers = serial wall time / (W x parallel wall time), for the same
replications; reported including the backend's start-up (what a user waits for) and without it.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _tree import result_class, simulate_spec, use_tree

ROOT = use_tree()  # this checkout, or the tree compare.py names in $INCENTSIM_BENCH_TREE

from sim.experiment.backends import make_backend  # noqa: E402
from sim.experiment.runner import Runner  # noqa: E402
from sim.experiment.tasks import Task, scenario_json  # noqa: E402
from sim.rng import Streams  # noqa: E402
from sim.scenario import Scenario, load_scenario  # noqa: E402
from sim.scenario.experiment import METRICS  # noqa: E402

ReplicationResult = result_class()

WORK = int(os.environ.get("BENCH_WORK", "600000"))


def busy_replicate(scenario: Scenario, plan: str, replication: int) -> Any:
    """Deterministic CPU-bound stand-in for a replication (about 0.1-0.2 s of pure Python)."""
    gen = Streams(scenario.experiment.seed, replication)("bench.work")
    x = float(gen.random())
    acc = 0.0
    for i in range(WORK):
        x = (x * 1103515245.0 + i) % 2147483647.0
        acc += x
    metrics = {m: acc / WORK * (1.0 + 0.001 * j) for j, m in enumerate(METRICS)}
    return ReplicationResult(plan, replication, metrics, {"arr": [acc] * 12})


def workload(reps: int, world: bool, horizon_years: float | None = 1.0) -> Scenario:
    """``scenarios/base-company.yaml`` with exactly ``reps`` replications per plan and no
    precision target; with ``world``, ``horizon_years`` measured years (None: the file's own)."""
    overrides: dict[str, object] = {
        "experiment.replications": reps,
        "experiment.max_replications": reps,
        "experiment.precision": {},
    }
    if world and horizon_years is not None:
        overrides["company.horizon_years"] = horizon_years
    return load_scenario(ROOT / "scenarios" / "base-company.yaml", overrides)


def start_up_here(backend: str, workers: int, replicate: str) -> float:
    """Seconds to start ``backend`` in this process and run one trivial task through it."""
    sc = workload(2, False)
    t0 = time.perf_counter()
    with make_backend(backend, workers) as b:
        b.result(b.submit(Task(scenario_json(sc), [], replicate)))
    return time.perf_counter() - t0


def startup_seconds(backend: str, workers: int, replicate: str) -> float:
    """Seconds to start a backend cold and run one trivial task through it, measured in a fresh
    process (whose own imports are not counted): the process backend's fork server, once started,
    stays warm for the life of the process that started it. The fresh process runs from ``-c``,
    so that its workers, like those of ``compare.py`` or ``incentsim``, re-import no large main
    module before their first task."""
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); import parallel; "
        f"print(parallel.start_up_here({backend!r}, {workers}, {replicate!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def timed_run(backend: str, workers: int, sc: Scenario, replicate: str) -> tuple[float, float, float]:
    """Wall seconds of a run, CPU seconds of this (coordinating) process, and the share of the
    replications' wall time during which their worker had a CPU (below 100%: cores were shared
    with other work on the machine)."""
    s0 = _cpu(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    res = Runner(sc, replicate=replicate, backend=backend, workers=workers).run()
    wall = time.perf_counter() - t0
    meta = res.metadata
    share = meta["cpu_seconds_per_replication"] / meta["seconds_per_replication"]
    return wall, _cpu(resource.RUSAGE_SELF) - s0, share


def parallel_run(
    sc: Scenario, replicate: str, serial: float, backend: str = "process", workers: int = 2
) -> dict[str, float]:
    """Run ``sc`` on ``backend`` with ``workers`` and compare with ``serial`` wall seconds.

    ``efficiency`` = serial / (workers x parallel wall), start-up included (what a user waits
    for); ``efficiency_steady`` without the backend's start-up; ``share`` = replication CPU/wall
    in the workers (below 1: the cores were shared with other work on the machine)."""
    wall, coord, share = timed_run(backend, workers, sc, replicate)
    start = startup_seconds(backend, workers, replicate)
    return {
        "wall_seconds": wall,
        "startup_seconds": start,
        "coordinator_cpu_seconds": coord,
        "share": share,
        "efficiency": serial / (workers * wall),
        "efficiency_steady": serial / (workers * max(wall - start, 1e-9)),
    }


def efficiency(reps: int, world: bool, dask: bool, workers: int = 2) -> None:
    """Print serial vs parallel wall times and efficiencies."""
    replicate = simulate_spec() if world else "parallel:busy_replicate"
    sc = workload(reps, world)
    units = reps * len(sc.plans)
    print(
        f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
        "(other work on the machine lowers the efficiencies below)"
    )
    serial, _, serial_share = timed_run("serial", 1, sc, replicate)
    what = "the world (1-year base-company)" if world else "busy_replicate"
    per = serial / units * 1000
    print(
        f"workload: {units} replications of {what}, serial {serial:.2f}s ({per:.0f} ms per replication; "
        f"CPU/wall {serial_share:.0%})"
    )
    backends = ["process"] + (["dask"] if dask else [])
    for name in backends:
        p = parallel_run(sc, replicate, serial, name, workers)
        print(
            f"{name:8s} {workers} workers: {p['wall_seconds']:.2f}s, efficiency {p['efficiency']:.1%} "
            f"(start-up {p['startup_seconds']:.2f}s; without it {p['efficiency_steady']:.1%}); "
            f"coordinator CPU {p['coordinator_cpu_seconds']:.2f}s; replication CPU/wall {p['share']:.0%}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def flagship(workers: int) -> None:
    """Time for scenarios/seed-plans.yaml to reach its precision target."""
    sc = load_scenario(ROOT / "scenarios" / "seed-plans.yaml")
    t0 = time.perf_counter()
    runner = Runner(sc, backend="process", workers=workers)
    res = runner.run()
    wall = time.perf_counter() - t0
    n = res.replications.groupby("plan").size().max()
    print(
        f"flagship seed-plans ({len(sc.plans)} plans): {wall:.1f}s on {workers} workers, {n} replications "
        f"per plan; {runner.precision.describe()}"
    )


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="replications per plan (default 20)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--world", action="store_true", help="use the real world instead of busy work")
    parser.add_argument("--no-dask", action="store_true", help="skip the dask backend")
    parser.add_argument("--flagship", action="store_true", help="time seed-plans.yaml to its target")
    args = parser.parse_args()
    efficiency(args.reps, args.world, not args.no_dask, args.workers)
    if args.flagship:
        flagship(args.workers)


if __name__ == "__main__":
    main()

"""``incentsim sensitivity``: global sensitivity over the scenario's uncertainties, and how robust the
choice of plan is (see ``docs/explore.md``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.commands.options import (
    EXIT_FAILURE,
    EXIT_INVALID,
    EXIT_OK,
    add_backend_arguments,
    add_folder_arguments,
    check_backend_arguments,
    default_out,
    positive_int,
    start_backend_early,
)

COMMAND = "incentsim sensitivity"


def add_explore_arguments(p: argparse.ArgumentParser, command: str) -> None:
    """Where the replications run, the results folder and ``--set`` (shared with optimise)."""
    add_backend_arguments(p)
    add_folder_arguments(p, f"results folder (default: runs/<scenario>-{command}-<UTC timestamp>)", "run")
    p.add_argument(
        "--set", action="append", metavar="PATH=VALUE", help="override a field of the scenario (repeatable)"
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add the ``sensitivity`` subcommand."""
    p = sub.add_parser(
        "sensitivity",
        help="global sensitivity over the scenario's uncertainties; probability each plan is best",
        description=(
            "Sample the scenario's uncertainties (Morris screening or Sobol indices, with SALib), run "
            "every plan at every sample point on common random numbers, and report which parameters "
            "move each metric and each paired difference between plans, the probability each plan is "
            "best on experiment.objective, and the regions where the ranking flips (PRIM)."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file with an uncertainties: block")
    p.add_argument(
        "--method", choices=("morris", "sobol"), default="morris", help="design and indices (default: morris)"
    )
    p.add_argument(
        "--samples",
        type=positive_int,
        metavar="N",
        help="Morris trajectories (default 10; points = N x (uncertainties + 1)) or Sobol base samples, "
        "a power of two (default 64; points = N x (uncertainties + 2))",
    )
    p.add_argument(
        "--reps",
        type=positive_int,
        metavar="N",
        help="replications of every plan at every point, on common random numbers (default: 1 for "
        "morris screening, 2 for sobol; 2 or more also measures the replication noise)",
    )
    p.add_argument(
        "--params",
        metavar="PATH,...",
        help="vary only these uncertainties (comma-separated); the others keep the scenario's values",
    )
    add_explore_arguments(p, "sensitivity")
    p.set_defaults(func=cmd_sensitivity)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run the analysis; exit 0, 1 when replications failed, 2 for invalid input."""
    from sim.explore.extra import require

    for module in ("SALib", "ema_workbench"):
        require(module, COMMAND)
    problem = check_backend_arguments(args, COMMAND)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_INVALID
    start_backend_early(args)
    from sim.api import resolve_scenario
    from sim.experiment.progress import make_progress
    from sim.explore.points import PointsFailed
    from sim.explore.sensitivity import DEFAULT_REPS, DEFAULT_SAMPLES, Settings, run_sensitivity

    scenario = resolve_scenario(args.scenario, args.set or None)
    params = tuple(p.strip() for p in (args.params or "").split(",") if p.strip())
    settings = Settings(
        args.method,
        args.samples or DEFAULT_SAMPLES[args.method],
        args.reps or DEFAULT_REPS[args.method],
        params,
    )
    out = Path(args.out) if args.out else default_out(scenario.name, "sensitivity")
    progress = make_progress(args.quiet)
    try:
        result = run_sensitivity(
            scenario,
            settings,
            backend=args.backend,
            workers=args.workers,
            scheduler=args.scheduler,
            out=out,
            resume=args.resume,
            force=args.force,
            progress=progress,
            command=["incentsim", *sys.argv[1:]],
        )
    except PointsFailed as exc:
        print(f"error: {COMMAND}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        progress.stop()
    if not args.quiet:
        _summary(result, out)
    return EXIT_OK


def _summary(result: Any, out: Path) -> None:
    from sim.safetext import safe_text

    for line in str(result).splitlines():  # what the notebook prints of the same result
        print(safe_text(line))
    print(f"results: {safe_text(out)}")
    if (out / "report.html").exists():
        print(f"report: {safe_text(out / 'report.html')}")

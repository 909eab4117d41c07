"""``incentsim optimise``: search a plan's levers for the best plan within a budget, and confirm the
winner on fresh replications (see ``docs/explore.md``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.commands.options import (
    EXIT_FAILURE,
    EXIT_INVALID,
    EXIT_OK,
    check_backend_arguments,
    default_out,
    positive_int,
    start_backend_early,
)
from sim.commands.sensitivity import add_explore_arguments

COMMAND = "incentsim optimise"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add the ``optimise`` subcommand."""
    p = sub.add_parser(
        "optimise",
        help="search the scenario's levers for the best plan within a budget (Optuna), then confirm it",
        description=(
            "Search the fields named in the scenario's levers: block for the plan that does best on the "
            "objective within the budget (Optuna: TPE for one objective, NSGA-II for several), every "
            "candidate on the hand-written plans' common random numbers with adaptive replications, then "
            "confirm the best candidates against the baseline and the best hand-written plan on fresh "
            "replications. The study is stored in SQLite in the results folder and resumes after a kill."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file with a levers: block")
    p.add_argument(
        "--objective",
        action="append",
        metavar="METRIC",
        help="metric to improve (default: experiment.objective); give two for a Pareto front (NSGA-II)",
    )
    p.add_argument(
        "--budget",
        action="append",
        metavar="METRIC<=VALUE",
        help="limit on a candidate's mean, e.g. payout_share_of_bookings<=0.12 (repeatable; >= too)",
    )
    p.add_argument(
        "--trials", type=positive_int, default=40, metavar="N", help="trials in the study (default 40)"
    )
    p.add_argument("--storage", metavar="URL", help="SQLAlchemy URL of the study (default: sqlite in --out)")
    p.add_argument(
        "--min-reps",
        type=positive_int,
        default=2,
        metavar="N",
        help="replications per racing stage (default 2)",
    )
    p.add_argument(
        "--max-reps",
        type=positive_int,
        default=6,
        metavar="N",
        help="replications of a candidate run in full (default 6)",
    )
    p.add_argument(
        "--batch", type=positive_int, default=4, metavar="N", help="trials raced together (default 4)"
    )
    p.add_argument(
        "--top", type=positive_int, default=3, metavar="K", help="candidates confirmed (default 3)"
    )
    p.add_argument(
        "--confirm-reps",
        type=positive_int,
        metavar="N",
        help="replications per plan in the confirmation (default: the scenario's experiment settings)",
    )
    p.add_argument(
        "--robust",
        default="none",
        metavar="none|mean|qNN",
        help="optimise the mean or a lower quantile (q10) over samples of the scenario's uncertainties",
    )
    p.add_argument(
        "--robust-points", type=positive_int, default=8, metavar="N", help="uncertainty samples (default 8)"
    )
    add_explore_arguments(p, "optimise")
    p.set_defaults(func=cmd_optimise)


def cmd_optimise(args: argparse.Namespace) -> int:
    """Run the search and the confirmation; exit 0, 1 when replications failed, 2 for invalid input."""
    from sim.explore.extra import require

    require("optuna", COMMAND)
    problem = check_backend_arguments(args, COMMAND)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_INVALID
    start_backend_early(args)
    from sim.api import resolve_scenario
    from sim.experiment.progress import make_progress
    from sim.experiment.runner import RunFailed
    from sim.explore.optimise import run_optimise
    from sim.explore.optimise_settings import OptimiseSettings
    from sim.explore.points import PointsFailed

    scenario = resolve_scenario(args.scenario, args.set or None)
    settings = OptimiseSettings(
        objectives=tuple(args.objective or ()),
        budgets=tuple(args.budget or ()),
        trials=args.trials,
        min_reps=args.min_reps,
        max_reps=args.max_reps,
        batch=args.batch,
        top=args.top,
        confirm_reps=args.confirm_reps or 0,
        robust=args.robust,
        robust_points=args.robust_points,
        storage=args.storage,
    )
    out = Path(args.out) if args.out else default_out(scenario.name, "optimise")
    progress = make_progress(args.quiet)
    try:
        result = run_optimise(
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
    except (PointsFailed, RunFailed) as exc:
        print(f"error: {COMMAND}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        progress.stop()
    if not args.quiet:
        from sim.safetext import safe_text

        for line in str(result).splitlines():  # what the notebook prints of the same result
            print(safe_text(line))
        print(f"results: {safe_text(out)}")
        print(f"best plans: {safe_text(out / 'best-plans.yaml')}")
        if (out / "report.html").exists():
            print(f"report: {safe_text(out / 'report.html')}")
    return EXIT_OK

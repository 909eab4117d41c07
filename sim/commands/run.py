"""``incentsim run``: a Monte Carlo experiment over every plan of a scenario."""

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
    non_negative_int,
    replication_count,
    start_backend_early,
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add the ``run`` subcommand."""
    p = sub.add_parser(
        "run",
        help="run every plan of a scenario with replications and compare them",
        description=(
            "Run every plan of SCENARIO for the configured replications (common random numbers: "
            "replication k of every plan shares its randomness), add replications until the "
            "precision target is met, print a comparison and write a results folder."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    p.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="override a field, e.g. --set company.horizon_years=1 (repeatable)",
    )
    p.add_argument(
        "--reps",
        type=replication_count,
        metavar="N",
        help="exactly N replications per plan (no precision loop unless --max-reps is given; "
        "then N is the first round)",
    )
    p.add_argument(
        "--max-reps",
        type=replication_count,
        metavar="M",
        help="run the precision loop (experiment.precision) up to M replications per plan",
    )
    p.add_argument("--seed", type=non_negative_int, metavar="S", help="scenario seed (experiment.seed)")
    add_backend_arguments(p)
    add_folder_arguments(p, "results folder (default: runs/<scenario>-<UTC timestamp>)", "run")
    p.set_defaults(func=cmd_run)


def _resolve(args: argparse.Namespace) -> Any:
    from sim.api import resolve_scenario

    return resolve_scenario(
        args.scenario, args.set or None, reps=args.reps, seed=args.seed, max_reps=args.max_reps
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Run the experiment; exit 0, 1 when replications failed, 2 for invalid input."""
    from sim.experiment.progress import make_progress
    from sim.experiment.runner import RunFailed, Runner, default_out_dir
    from sim.experiment.summary import render_summary
    from sim.safetext import safe_text

    start_backend_early(args)
    scenario = _resolve(args)
    problem = check_backend_arguments(args, "incentsim run", out_known=bool(scenario.output.dir))
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_INVALID
    out = (
        Path(args.out)
        if args.out
        else (Path(scenario.output.dir) if scenario.output.dir else default_out_dir(scenario))
    )
    progress = make_progress(args.quiet)
    runner = Runner(
        scenario,
        backend=args.backend,
        workers=args.workers,
        scheduler=args.scheduler,
        out=out,
        resume=args.resume,
        force=args.force,
        progress=progress,
        command=["incentsim", *sys.argv[1:]],
    )
    failed: RunFailed | None = None
    try:
        results = runner.run()
    except RunFailed as exc:
        failed = exc
        results = exc.results
    finally:
        progress.stop()
    report = None
    if scenario.output.report and len(results.replications):
        from sim.report import write_report

        # before the terminal summary: the folder is complete whatever the terminal does
        report = write_report(out, results, save_plots=scenario.output.plots)
    if not args.quiet:
        from rich.console import Console

        from sim.report.terminal import render_decision

        console = Console()
        render_summary(results, console)
        render_decision(results, console)
        console.print(runner.precision.describe(), markup=False, highlight=False)
        console.print(f"results: {safe_text(out)}", markup=False, highlight=False)
        if report is not None:
            print(f"report: {safe_text(report)}")
    if failed is not None:
        print(f"error: {failed}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK

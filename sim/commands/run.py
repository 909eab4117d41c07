"""``incentsim run``: a Monte Carlo experiment over every plan of a scenario."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, found {value}")
    return value


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
        type=_positive_int,
        metavar="N",
        help="exactly N replications per plan (no precision loop unless --max-reps is given; "
        "then N is the first round)",
    )
    p.add_argument(
        "--max-reps",
        type=_positive_int,
        metavar="M",
        help="run the precision loop (experiment.precision) up to M replications per plan",
    )
    p.add_argument("--seed", type=_non_negative_int, metavar="S", help="scenario seed (experiment.seed)")
    p.add_argument(
        "--workers", type=_positive_int, metavar="N", help="worker processes (default: one per core)"
    )
    p.add_argument(
        "--backend",
        choices=("process", "serial", "dask"),
        default="process",
        help="where replications run (default: process)",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler to join (with --backend dask)")
    p.add_argument("--out", metavar="DIR", help="results folder (default: runs/<scenario>-<UTC timestamp>)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run in --out DIR; recomputes nothing already done",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="start over in an existing --out DIR that is not empty (an earlier run's results "
        "and checkpoints are removed)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
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

    scenario = _resolve(args)
    if args.scheduler and args.backend != "dask":
        print("error: incentsim run: --scheduler: only used with --backend dask", file=sys.stderr)
        return EXIT_INVALID
    out = (
        Path(args.out)
        if args.out
        else (Path(scenario.output.dir) if scenario.output.dir else default_out_dir(scenario))
    )
    if args.resume and not args.out and not scenario.output.dir:
        print("error: incentsim run: --resume: needs --out DIR (the folder to resume)", file=sys.stderr)
        return EXIT_INVALID
    if args.resume and args.force:
        print("error: incentsim run: --force: cannot be used with --resume", file=sys.stderr)
        return EXIT_INVALID
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

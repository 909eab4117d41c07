"""``incentsim calibrate``: fit a scenario to a company's CRM exports under its current plan;
``incentsim synthesize``: CRM-shaped exports from a simulated company with known parameters."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from sim.commands.options import (
    EXIT_FAILURE,
    EXIT_INVALID,
    EXIT_OK,
    add_backend_arguments,
    add_folder_arguments,
    check_backend_arguments,
    non_negative_int,
    positive_int,
    start_backend_early,
)

EXTRA = ("statsmodels", "lifelines")
"""What the ``calibrate`` extra installs (``pip install 'incentsim[calibrate]'``)."""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add the ``calibrate`` and ``synthesize`` subcommands."""
    p = sub.add_parser(
        "calibrate",
        help="fit a scenario to CRM exports (opportunities, ARR history, people) under the current plan",
        description=(
            "Read a company's opportunity export (won and lost), account ARR history and optionally its "
            "people table; estimate what the exports show directly (stage 1), then simulate the company "
            "under its current plan (the baseline plan of --plan) until its simulated statistics match the "
            "observed ones (stage 2). Writes DIR/calibrated.yaml, fit.csv, estimates.csv, uncertainties.yaml "
            "and report.html. See docs/calibrate.md."
        ),
    )
    p.add_argument("--opportunities", required=True, metavar="O.csv", help="opportunity export, won and lost")
    p.add_argument(
        "--accounts", required=True, metavar="A.csv", help="monthly ARR per account, or ARR events"
    )
    p.add_argument(
        "--plan", required=True, metavar="S.yaml", help="scenario holding the current plan (its baseline)"
    )
    p.add_argument(
        "--people", metavar="P.csv", help="people: name, role, hire and leave dates, quota (optional)"
    )
    p.add_argument(
        "--map",
        action="append",
        metavar="COLUMN=HEADER",
        help='read COLUMN from another header, e.g. --map amount="Net ACV" (repeatable)',
    )
    p.add_argument(
        "--set", action="append", metavar="PATH=VALUE", help="override a field of --plan (repeatable)"
    )
    p.add_argument(
        "--min-deals",
        type=positive_int,
        default=None,
        metavar="N",
        help="closed new-business opportunities a segment needs (default 30)",
    )
    p.add_argument(
        "--behaviour",
        action="append",
        metavar="PATH",
        help="a behaviour field to search (repeatable; default: rationality, risk aversion, pull-in "
        "discount)",
    )
    p.add_argument(
        "--reps",
        type=positive_int,
        default=8,
        metavar="N",
        help="replications per point while searching (default 8)",
    )
    p.add_argument(
        "--final-reps",
        type=positive_int,
        default=16,
        metavar="N",
        help="replications at the estimate (default 16)",
    )
    add_backend_arguments(p)
    add_folder_arguments(p, "output folder", "calibration", required=True)
    p.set_defaults(func=cmd_calibrate)

    s = sub.add_parser(
        "synthesize",
        help="write CRM-shaped exports of a simulated company with known parameters",
        description=(
            "Simulate one replication of SCENARIO's baseline plan and write what its CRM would export "
            "(opportunities.csv, won and lost; accounts.csv, monthly ARR; people.csv) with untidy cells, "
            "and the resolved scenario as truth.yaml, into --out DIR."
        ),
    )
    s.add_argument("scenario", metavar="SCENARIO.yaml", help="the truth")
    s.add_argument("--out", required=True, metavar="DIR", help="output folder")
    s.add_argument("--set", action="append", metavar="PATH=VALUE", help="override a field (repeatable)")
    s.add_argument(
        "--replication", type=non_negative_int, default=0, metavar="K", help="replication (default 0)"
    )
    s.add_argument("--force", action="store_true", help="replace exports already in --out DIR")
    s.set_defaults(func=cmd_synthesize)


def _extra_missing() -> str | None:
    missing = [m for m in EXTRA if importlib.util.find_spec(m) is None]
    if not missing:
        return None
    return (
        f"error: incentsim calibrate: (installation): needs {' and '.join(missing)}; install the calibrate "
        "extra: pip install 'incentsim[calibrate]'"
    )


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Calibrate; exit 0, 1 on a failure, 2 for invalid input or a missing extra."""
    missing = _extra_missing()
    if missing:
        print(missing, file=sys.stderr)
        return EXIT_INVALID
    problem = check_backend_arguments(args, "incentsim calibrate")
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_INVALID
    start_backend_early(args)
    from sim.calibrate import Settings, calibrate
    from sim.calibrate.history import MIN_DEALS
    from sim.calibrate.params import behaviour_param
    from sim.csvtable import parse_mapping
    from sim.experiment.progress import make_progress
    from sim.problems import Problem, ScenarioError
    from sim.scenario import load_scenario

    for path in args.behaviour or []:
        try:
            behaviour_param(path)
        except KeyError:
            from sim.calibrate.params import BEHAVIOUR

            valid = ", ".join(b.path for b in BEHAVIOUR)
            raise ScenarioError(
                [Problem("--behaviour", "(arguments)", f"expected one of {valid}, found {path!r}")]
            ) from None
    scenario = load_scenario(args.plan, args.set or None)
    settings = Settings(reps=args.reps, final_reps=max(args.final_reps, 2), seed=scenario.experiment.seed)
    progress = make_progress(args.quiet)
    try:
        cal = calibrate(
            args.opportunities,
            args.accounts,
            scenario,
            args.people,
            out=args.out,
            mapping=parse_mapping(args.map),
            min_deals=args.min_deals or MIN_DEALS,
            settings=settings,
            behaviour=args.behaviour,
            backend=args.backend,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            force=args.force,
            progress=progress,
            sources=[Path(args.opportunities).name, Path(args.accounts).name],
        )
    finally:
        progress.stop()
    if not args.quiet:
        _summary(cal)
    return EXIT_OK


def _summary(cal: object) -> None:
    from rich.console import Console

    from sim.calibrate.result import Calibration
    from sim.safetext import safe_text

    assert isinstance(cal, Calibration)
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 150)
    cal.print_summary(console)
    folder = cal.folder
    if folder is not None:
        for name in ("calibrated.yaml", "fit.csv", "estimates.csv", "uncertainties.yaml", "report.html"):
            console.print(f"wrote {safe_text(folder / name)}", markup=False, highlight=False)


def cmd_synthesize(args: argparse.Namespace) -> int:
    """Write synthetic exports; exit 0, 2 for invalid input or a refused folder."""
    from sim.calibrate.synthetic import FILES, write_exports
    from sim.files import check_output_file
    from sim.scenario import load_scenario

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"error: {out}: (folder): expected a folder, found a file; use another --out", file=sys.stderr)
        return EXIT_INVALID
    if out.is_dir():
        for name in FILES:
            check_output_file(
                out / name, force=args.force, source="incentsim synthesize", inputs=(args.scenario,)
            )
    scenario = load_scenario(args.scenario, args.set or None)
    written = write_exports(scenario, out, replication=args.replication)
    for path in written.values():
        print(f"wrote {path}")
    return EXIT_OK if written else EXIT_FAILURE

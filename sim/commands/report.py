"""``incentsim report DIR``: rebuild ``report.html`` and ``plots/`` of a results folder."""

from __future__ import annotations

import argparse
import sys

from sim.commands.options import EXIT_INVALID, EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add the ``report`` subcommand."""
    p = sub.add_parser(
        "report",
        help="rebuild report.html and plots/ of a results folder",
        description=(
            "Rebuild the self-contained report.html (figures embedded) and the PNG files under plots/ "
            "from a results folder written by `incentsim run`. Nothing is re-simulated."
        ),
    )
    p.add_argument(
        "folder", metavar="DIR", help="results folder (holds config.resolved.yaml and replications.parquet)"
    )
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report; exit 2 with one ``error:`` line when DIR is not a results folder."""
    from sim.report import NotAResultsFolder, write_report

    try:
        path = write_report(args.folder)
    except NotAResultsFolder as exc:
        print(f"error: {args.folder}: (folder): {exc}", file=sys.stderr)
        return EXIT_INVALID
    if not args.quiet:
        print(f"report: {path}")
    return EXIT_OK

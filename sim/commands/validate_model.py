"""``incentsim validate-model``: run the validation cases and print expected vs simulated."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from sim.commands.options import EXIT_FAILURE, EXIT_INVALID, EXIT_OK, positive_int


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add the ``validate-model`` subcommand."""
    p = sub.add_parser(
        "validate-model",
        help="check the simulator against exact formulas, published findings and benchmark bands",
        description=(
            "Run the validation cases (docs/validation.md): exact special cases with features "
            "switched off, published findings (direction and rough size), benchmark bands for the "
            "base company, and the statistical machinery. Prints, per check, the expected value, "
            "the simulated mean with its 95%% t-interval over replications, and pass/fail. "
            "A finding the model is documented not to reproduce is shown as 'FAIL (known)' with its "
            "diagnosis. Exit 0 when every selected case is as documented (passes, or fails as a "
            "documented limitation), 1 otherwise (including a known failure that now passes)."
        ),
    )
    p.add_argument(
        "cases",
        nargs="*",
        metavar="CASE",
        help="case ids or glob patterns (e.g. 'exact.*', 'finding.larkin'); default: all",
    )
    p.add_argument("--fast", action="store_true", help="skip the slow cases (those marked slow in tests)")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="run cases in N processes (default: one per core; results do not depend on it)",
    )
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON (atomically)")
    p.add_argument("--markdown", metavar="FILE", help="also write the results as a Markdown table")
    p.add_argument("--force", action="store_true", help="replace an existing --json or --markdown file")
    p.set_defaults(func=cmd_validate_model)


def _run_all(ids: list[str], workers: int) -> list[Any]:
    """Every case of ``ids`` in order, on ``workers`` processes forked warm (kernels loaded) from the
    process backend's server; in this process for one worker or one case."""
    from sim.validation import run_case

    if workers <= 1 or len(ids) <= 1:
        return [run_case(i) for i in ids]
    from sim.experiment.backends import warm_pool

    with warm_pool(min(workers, len(ids))) as pool:
        return list(pool.map(run_case, ids))


def _sim_text(c: Any) -> str:
    if math.isnan(c.low) or math.isnan(c.high):
        return f"{c.simulated:.4g}"
    return f"{c.simulated:.4g} [{c.low:.4g}, {c.high:.4g}]"


def markdown_table(results: list[Any]) -> str:
    """The results as a Markdown table (one row per check)."""
    lines = [
        "| case | check | expected | simulated [95% CI] | n | result |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.error:
            lines.append(f"| `{r.case}` | (error) | | | | **FAIL** |")
        for c in r.checks:
            verdict = "pass" if c.passed else ("FAIL (known limitation)" if r.known_failure else "**FAIL**")
            lines.append(f"| `{r.case}` | {c.name} | {c.expected} | {_sim_text(c)} | {c.n} | {verdict} |")
    return "\n".join(lines) + "\n"


def _print(results: list[Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=200)
    table = Table(title="incentsim model validation", show_lines=False)
    for col in ("case", "check", "expected", "simulated [95% CI]", "n", "result"):
        table.add_column(col, overflow="fold")
    for r in results:
        if r.error:
            last = escape(r.error.strip().splitlines()[-1])
            table.add_row(escape(r.case), "(error)", "", last, "", "[red]FAIL[/red]")
        for c in r.checks:
            verdict = (
                "[green]pass[/green]"
                if c.passed
                else "[yellow]FAIL (known)[/yellow]"
                if r.known_failure
                else "[red]FAIL[/red]"
            )
            table.add_row(escape(r.case), escape(c.name), escape(c.expected), _sim_text(c), str(c.n), verdict)
    console.print(table)
    n_ok = sum(r.passed for r in results)
    secs = sum(r.seconds for r in results)
    n_known = sum(bool(r.known_failure) and not r.passed for r in results)
    known = (
        f"; {n_known} failed as {'a known limitation' if n_known == 1 else 'known limitations'} "
        "(counted as failures)"
        if n_known
        else ""
    )
    console.print(f"{n_ok} of {len(results)} cases passed{known} ({secs:.0f} s of simulation)")
    for r in results:
        if r.known_failure and not r.passed:
            console.print(f"known limitation, {escape(r.case)}: {escape(r.known_failure)}", highlight=False)
        elif r.known_failure and r.passed:
            console.print(
                f"[red]{escape(r.case)} is documented as a known failure but passed: "
                "update docs/validation.md and the case[/red]",
                highlight=False,
            )
    for r in results:
        if r.error:
            console.print(f"[red]{escape(r.case)} raised:[/red]\n{escape(r.error)}", highlight=False)


def cmd_validate_model(args: argparse.Namespace) -> int:
    """Run the selected cases; exit 0 if all pass, 1 if any fails, 2 on a bad selection."""
    from sim.validation import select

    cases = select(args.cases or None, include_slow=not args.fast)
    if not cases:
        print(
            f"error: validate-model: (cases): no case matches {' '.join(args.cases) or '(all)'}",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if args.list:
        for c in cases:
            print(f"{c.id:40s} {'slow ' if c.slow else '     '}{c.title}")
        return EXIT_OK
    from sim.files import atomic_write_text, check_output_file
    from sim.formats import to_strict_json

    # outputs are checked before the (long) run: an existing file is kept unless --force
    outputs = {
        opt: check_output_file(path, force=args.force, source="incentsim validate-model", option=opt)
        for opt, path in (("--json", args.json), ("--markdown", args.markdown))
        if path
    }
    from sim.experiment.backends import default_workers

    results = _run_all([c.id for c in cases], args.workers or default_workers())
    _print(results)
    if "--json" in outputs:
        atomic_write_text(outputs["--json"], to_strict_json([r.as_dict() for r in results], indent=2) + "\n")
    if "--markdown" in outputs:
        atomic_write_text(outputs["--markdown"], markdown_table(results))
    return EXIT_OK if all(r.as_documented for r in results) else EXIT_FAILURE

"""``incentsim backtest deals.csv --scenario S.yaml``: replay closed deals through every plan."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from sim.plans.deal_ledger import DealLedger
    from sim.plans.payouts import Payouts


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``backtest`` subcommand."""
    p = sub.add_parser(
        "backtest",
        help="replay a CSV of closed deals through every plan of a scenario (no behaviour change)",
        description=(
            "Replay closed opportunities from a CRM export through every plan of a scenario, "
            "assuming nobody behaves differently, and print cost per plan and winners/losers per rep. "
            "Columns: id, owner, amount, close_date, type (new/upsell/cross_sell/renewal); optional "
            "discount, term_months, csm, account, go_live_date, implementation, churn_date."
        ),
    )
    p.add_argument("deals", metavar="DEALS.csv", help="closed deals (CRM opportunity export)")
    p.add_argument("--scenario", required=True, metavar="S.yaml", help="scenario whose plans are compared")
    p.add_argument("--set", action="append", metavar="PATH=VALUE", help="override a scenario field")
    p.add_argument(
        "--map",
        action="append",
        metavar="COLUMN=HEADER",
        help='read COLUMN from another header, e.g. --map amount="Net ACV" (repeatable)',
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help="write payout lines of every plan (.csv) or the summary tables (.json); "
        "an existing file is refused unless --force",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=_cmd_backtest)


def _cmd_backtest(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from sim.csvtable import parse_mapping
    from sim.files import check_output_file
    from sim.plans.backtest import backtest, read_deals
    from sim.safetext import rich_text, safe_text
    from sim.scenario import load_scenario

    out = None
    if args.out:  # checked first: a refused output costs nothing and destroys nothing
        out = check_output_file(
            args.out, force=args.force, source="incentsim backtest", inputs=(args.deals, args.scenario)
        )
    scenario = load_scenario(args.scenario, args.set or None)
    deals = read_deals(args.deals, parse_mapping(args.map))
    csv_out = out is not None and out.suffix.lower() != ".json"
    with contextlib.ExitStack() as stack:
        sink = None
        if csv_out:  # every plan's lines, written as it is priced (a large export holds one plan's)
            from sim.files import atomic_writer

            assert out is not None
            fh = stack.enter_context(atomic_writer(out))
            sink = _line_writer(fh)
        res = backtest(deals, scenario, sink)
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 150)
    led = res.ledger
    start = led.calendar.date_of(led.fiscal_start_day)
    end = led.calendar.date_of(led.fiscal_end_day - 1)
    # Every name below is user text (plans from the scenario, people from the CSV): escaped.
    table = Table(
        title=f"Cost per plan: {len(deals)} deals closed {start} to {end}, "
        f"bookings ${led.bookings:,.0f} (no behaviour change)"
    )
    for col in ("plan", "variable $", "of which clawbacks $", "base $", "total $", "variable % of bookings"):
        table.add_column(col, justify="left" if col == "plan" else "right")
    for row in res.summary():
        table.add_row(
            rich_text(str(row["plan"]) + (" (baseline)" if row["plan"] == res.baseline else "")),
            f"{row['variable_usd']:,.0f}",
            f"{row['clawbacks_usd']:,.0f}",
            f"{row['base_usd']:,.0f}",
            f"{row['total_usd']:,.0f}",
            f"{row['variable_pct_of_bookings']:.2f}%",
        )
    console.print(table)

    people = res.people()
    others = [n for n in res.plans if n != res.baseline]
    wl = Table(title=rich_text(f"Winners and losers: variable pay per person, change versus {res.baseline}"))
    wl.add_column("person")
    wl.add_column(rich_text(f"{res.baseline} $"), justify="right")
    for n in others:
        wl.add_column(rich_text(f"{n} Δ$"), justify="right")
    for who in sorted(people, key=lambda w: (-people[w].get(res.baseline, 0.0), w)):
        pay = people[who]
        base = pay.get(res.baseline, 0.0)
        cells = []
        for n in others:
            d = pay.get(n, 0.0) - base
            cells.append(rich_text(f"{d:+,.0f}", "green" if d > 0.5 else "red" if d < -0.5 else ""))
        wl.add_row(rich_text(who), f"{base:,.0f}", *cells)
    console.print(wl)

    if out is not None:
        if not csv_out:
            from sim.files import atomic_write_text
            from sim.formats import to_strict_json

            atomic_write_text(
                out,
                to_strict_json(
                    {"summary": res.summary(), "people": people, "baseline": res.baseline}, indent=2
                ),
            )
        console.print(f"wrote {safe_text(out)}", markup=False, highlight=False)
    return 0


def _line_writer(fh: BinaryIO) -> Callable[[str, Payouts, DealLedger], None]:
    """Writes each plan's payout lines to ``fh`` as CSV (plan, person, name, then the line's
    fields), a block of lines at a time; the header once."""
    from sim.formats import csv_text

    header = [True]

    def write(plan: str, payouts: Payouts, ledger: DealLedger) -> None:
        for frame in payouts.frames(LINES_PER_BLOCK):
            frame.insert(0, "plan", plan)
            frame.insert(2, "name", [ledger.names.get(x, "") for x in frame["person"].tolist()])
            text = csv_text(frame)
            if not header[0]:
                text = text.split("\n", 1)[1]
            header[0] = False
            fh.write(text.encode("utf-8"))

    return write


LINES_PER_BLOCK = 50_000
"""Payout lines turned into CSV text at a time."""

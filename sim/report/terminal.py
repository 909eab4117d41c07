"""The decision table and verdicts on the terminal (``incentsim run`` prints them after the summary)."""

from __future__ import annotations

from typing import Any

from sim.experiment.results import RunResults
from sim.experiment.summary import print_wide
from sim.report.decide import Decision
from sim.report.decision_view import decision_cells
from sim.safetext import plain_text, rich_text


def render_decision(results: RunResults, console: Any) -> None:
    """Print the decision table (plans x trade-offs) and one verdict sentence per plan."""
    if results.replications["plan"].nunique() < 2:
        return
    print_decision(Decision(results), console)


def decision_text(decision: Decision) -> str:
    """The decision as :func:`render_decision` prints it, in plain text at its natural width
    (what ``print(results.decision())`` shows outside a notebook)."""
    if len(decision.plans) < 2:
        return "no decision: fewer than two plans have replications\n"
    return plain_text(lambda console: print_decision(decision, console), 100)


def print_decision(decision: Decision, console: Any) -> None:
    """Print ``decision``'s table and verdicts on ``console``."""
    from rich.table import Table
    from rich.text import Text

    cells = decision_cells(decision)
    table = Table(title=rich_text("Decision: what each plan buys, per dollar"), show_lines=True)
    for i, h in enumerate(cells.header):
        table.add_column(h, justify="left" if i in (0, len(cells.header) - 1) else "right")
    for row in cells.rows:
        table.add_row(*[_cell(v, ci) for v, ci in row])
    print_wide(console, table)
    for note in cells.notes:
        console.print(Text(note, style="dim"))
    for v in decision.verdicts():
        console.print(rich_text("• " + v.text))


def _cell(value: str, interval: str) -> Any:
    text = rich_text(value)
    if interval:
        text.append("\n")
        text.append_text(rich_text(interval, style="dim"))
    return text

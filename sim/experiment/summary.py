"""The terminal summary: plans x key metrics with intervals, differences vs baseline marked."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sim.experiment.results import RunResults
from sim.safetext import rich_text
from sim.vocabulary.metrics import HEADLINE, is_ratio


def fmt_value(metric: str, value: float, diff: bool = False) -> str:
    """Ratios as percent (differences in percentage points), money as $k/$M."""
    if not math.isfinite(value):
        return "n/a" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    sign = "+" if diff and value >= 0 else ""
    if is_ratio(metric):
        return f"{sign}{value * 100:.1f}{'pp' if diff else '%'}"
    mag = abs(value)
    if mag >= 1e6:
        return f"{sign}{value / 1e6:.2f}M"
    if mag >= 1e3:
        return f"{sign}{value / 1e3:.1f}k"
    return f"{sign}{value:.3g}"


def _pm(metric: str, mean: float, low: float, high: float, diff: bool = False) -> str:
    half = (high - low) / 2.0
    if not math.isfinite(half):
        return fmt_value(metric, mean, diff)
    hw = fmt_value(metric, half, True).lstrip("+")
    if is_ratio(metric):
        hw = hw.removesuffix("pp")
    return f"{fmt_value(metric, mean, diff)} ±{hw}"


def summary_rows(results: RunResults, metrics: Sequence[str] = HEADLINE) -> list[list[str]]:
    """One row per plan: name, then per metric ``mean ±half-width`` and, for non-baseline plans,
    ``Δ diff ±half-width`` with ``*`` when the paired interval excludes zero."""
    metrics = [m for m in metrics if m in results.replications.columns]
    summ = {(r["plan"], r["metric"]): r for r in results.summary(metrics).to_dict("records")}
    comp = {(r["plan"], r["metric"]): r for r in results.comparison(metrics).to_dict("records")}
    rows = []
    for plan in results.plans:
        label = f"{plan} (baseline)" if plan == results.baseline else plan
        row = [label]
        for m in metrics:
            s = summ[(plan, m)]
            cell = _pm(m, s["mean"], s["ci_low"], s["ci_high"])
            if (plan, m) in comp:
                c = comp[(plan, m)]
                mark = " *" if bool(c["significant"]) else ""
                cell += f"\nΔ {_pm(m, c['diff'], c['ci_low'], c['ci_high'], True)}{mark}"
            row.append(cell)
        rows.append(row)
    return rows


def render_summary(results: RunResults, console: Any = None, metrics: Sequence[str] = HEADLINE) -> None:
    """Print the summary table with rich (standard output by default)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    metrics = [m for m in metrics if m in results.replications.columns]
    n = results.replications.groupby("plan").size()
    reps = sorted(set(n.tolist())) if len(n) else [0]
    conf = results.confidence
    caption = (
        f"mean ±{conf:.0%} CI half-width over {'/'.join(str(r) for r in reps)} replications per plan; "
        f"Δ = paired difference vs {results.baseline}"
        + (" (Bonferroni-adjusted)" if len(results.plans) > 2 else "")
        + "; * = significant"
    )
    # Names are user text: plain Text objects (never parsed as markup), control characters escaped.
    table = Table(title=rich_text(results.scenario.name), caption=rich_text(caption), show_lines=True)
    table.add_column("plan", style="bold")
    for m in metrics:
        table.add_column(m, justify="right")
    for row in summary_rows(results, metrics):
        styled = [rich_text(row[0])] + [_style(cell) for cell in row[1:]]
        table.add_row(*styled)
    print_wide(console, table)


def print_wide(console: Any, renderable: Any) -> None:
    """Print ``renderable``; when the output is not a terminal (a file, a pipe) at its natural
    width, so that a redirected table is never cut to the 80 columns rich assumes there."""
    if console.is_terminal:
        console.print(renderable)
        return
    from rich.measure import Measurement

    natural = Measurement.get(console, console.options.update(max_width=1000), renderable).maximum
    width = console.width
    console.width = max(natural, width)
    try:
        console.print(renderable)
    finally:
        console.width = width


def _style(cell: str) -> Any:
    from rich.text import Text

    text = Text(cell)
    if cell.endswith(" *"):
        start = cell.index("\nΔ") + 1
        text.stylize("bold yellow", start, len(cell))
    return text

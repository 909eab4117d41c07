"""The report's unit-economics section: fully loaded CAC, payback, LTV, the cost to retain, expand and
upsell a dollar, and the headwinds and tailwinds, by segment and plan (``docs/metrics.md``, "Cost")."""

from __future__ import annotations

from sim.report import fmt
from sim.report.data import lookup
from sim.report.page import Page, cell, esc, table
from sim.vocabulary import SEGMENT_LABELS, SEGMENTS

COLUMNS: tuple[str, ...] = (
    "cac_ratio",
    "cac",
    "payback_months",
    "ltv",
    "ltv_to_cac",
    "crc",
    "cec",
    "cuc",
    "headwind_usd",
    "tailwind_usd",
)
"""Metric families shown, each for the company and for every segment (``<name>_<segment>``)."""


def economics_section(page: Page) -> None:
    """One table per plan: rows the company and its segments, columns :data:`COLUMNS`."""
    data = page.data
    page.section("economics")
    summ = lookup(data.summary, "plan", "metric")
    if not any((data.baseline, f"{m}_{s}") in summ for m in COLUMNS for s in SEGMENTS):
        page.missing("No unit-economics metrics in these results (a run from before issue 18).")
        page.end()
        return
    page.add(
        '<p class="explain">Fully loaded costs (pay with benefits load, managers, support staff, tooling, '
        "programme and demand-generation spend: <code>company.costs</code>) allocated to acquisition, "
        "retention, expansion and upsell by where people spend their time. CAC per $1 of new ACV, "
        "payback in months of gross margin, LTV in gross margin (discounted), CRC/CEC/CUC in dollars "
        "spent per dollar retained, expanded or upsold; headwinds (logos lost, price erosion, "
        "contraction) and tailwinds (organic expansion, upsell, cross-sell) per measured year. Means "
        f"over replications with their {data.confidence:.0%} intervals.</p>"
    )
    for plan in data.plans:
        rows = []
        for seg, name in [("", "Company"), *((s, SEGMENT_LABELS[s]) for s in SEGMENTS)]:
            cells = [f"<td><b>{esc(name)}</b></td>"]
            for m in COLUMNS:
                metric = f"{m}_{seg}" if seg else m
                r = summ.get((plan, metric))
                if r is None:
                    cells.append(cell("–"))
                    continue
                low, high = float(r["ci_low"]), float(r["ci_high"])
                cells.append(cell(fmt.value(metric, float(r["mean"])), fmt.interval(metric, low, high)))
            rows.append(cells)
        page.add(f"<h3>{esc(plan)}</h3>")
        page.add(table(["", *[fmt.label(m) for m in COLUMNS]], rows, raw=True))
    page.end()

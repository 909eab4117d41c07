"""The report's "Talent and organisation" section: who leaves and which seats stand empty under
each plan (every role), and the organisation's levers (headcount, first-year retention, support,
advocacy spend, total cost), as means with intervals and paired differences vs the baseline.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.report import fmt
from sim.report.data import lookup
from sim.vocabulary import ROLE_LABELS, ROLES

if TYPE_CHECKING:
    from sim.report.page import Page

PEOPLE: tuple[tuple[str, str], ...] = (
    ("attrition", "leavers / yr"),
    ("vacancy", "seats empty"),
    ("ote_attainment", "pay / OTE"),
)
"""Per role: metric prefix, column heading."""
ORGANISATION: tuple[str, ...] = (
    "grr_first_year",
    "implementation_quality",
    "tickets_per_year",
    "ticket_resolution_days",
    "tickets_on_time_share",
    "references_per_year",
    "references_used_per_year",
    "advocacy_spend_usd",
    "total_cost",
)
"""The organisation's outcomes and costs shown when present."""


def _cells(page: Page, plan: str, metrics: list[str]) -> list[str]:
    from sim.report.page import cell, esc

    data = page.data
    summ = lookup(data.summary, "plan", "metric")
    comp = lookup(data.comparison, "plan", "metric")
    out = [f"<td><b>{esc(plan)}</b></td>"]
    for m in metrics:
        r = summ.get((plan, m))
        if r is None or not math.isfinite(float(r["mean"])):
            out.append(cell("–"))
            continue
        text = _value(m, float(r["mean"]))
        c = comp.get((plan, m))
        ci = None
        cls = ""
        if c is not None and math.isfinite(float(c["diff"])):
            ci = f"Δ {_diff(m, float(c['diff']))}"
            if bool(c["significant"]):
                better = fmt.HIGHER_IS_BETTER.get(m)
                cls = "sig" if better is None else ("better" if (float(c["diff"]) > 0) == better else "worse")
        out.append(cell(text, ci, cls))
    return out


def _value(metric: str, x: float) -> str:
    if metric.startswith(("vacancy", "ote_attainment", "tickets_on_time")):
        return fmt.pct(x)
    if metric.startswith("attrition"):
        return f"{x:.2f}"
    return fmt.value(metric, x)


def _diff(metric: str, x: float) -> str:
    if metric.startswith(("vacancy", "ote_attainment", "tickets_on_time")):
        return fmt.pp(x)
    if metric.startswith("attrition"):
        return f"{x:+.2f}".replace("-", "−")
    return fmt.diff(metric, x)


def talent_section(page: Page) -> None:
    """People per role (attrition, vacancy, pay against OTE) and the organisation's levers."""
    from sim.report.page import esc, table

    data = page.data
    page.section("talent")
    page.add(
        f'<p class="explain">Per role: people who left per measured year, the share of seat-days with '
        "nobody in the seat (a departure leaves the seat empty until its backfill), and base plus "
        f"variable pay over on-target earnings, as means over replications; Δ: the paired difference "
        f"vs <b>{esc(data.baseline)}</b> (green/red: significantly better/worse at "
        f"{data.confidence:.0%}, Bonferroni-adjusted). Roles whose people never leave show 0 "
        "leavers.</p>"
    )
    reps = data.replications
    roles = [r for r in ROLES if f"attrition_{r}" in reps.columns]
    if roles:
        cols = [(f"{p}_{r}", f"{ROLE_LABELS.get(r, r)}: {h}") for r in roles for p, h in PEOPLE]
        cols = [(m, h) for m, h in cols if m in reps.columns]
        metrics = [m for m, _ in cols]
        header = ["plan", *[h for _, h in cols]]
        rows = [_cells(page, plan, metrics) for plan in data.plans]
        classes = ["baseline" if plan == data.baseline else "" for plan in data.plans]
        page.add("<h3>People by role</h3>")
        page.add(table(header, rows, classes, raw=True))
    present = [m for m in ORGANISATION if data.has(m)]
    if present:
        rows = [_cells(page, plan, present) for plan in data.plans]
        classes = ["baseline" if plan == data.baseline else "" for plan in data.plans]
        page.add(
            '<h3>Organisation</h3><p class="explain">First-year GRR: new logos at their first '
            "renewal (failed implementations count as lost); tickets resolved on time: within "
            "<code>company.support.sla_days</code>; total cost: base and variable pay plus the marketing "
            "programme and advocacy budgets, per year (what a headcount change costs).</p>"
        )
        page.add(table(["plan", *[fmt.label(m) for m in present]], rows, classes, raw=True))
    page.end()


def staffing_words(plan: object) -> str | None:
    """The plan's headcount and coverage changes in words (None when it has none)."""
    st = getattr(plan, "staffing", None)
    if st is None or (not st.add and not st.csm_max_accounts):
        return None
    bits = [f"{ROLE_LABELS.get(r, r)} {k:+d}" for r, k in sorted(st.add.items())]
    bits += [f"CSM coverage {seg.replace('_', '-')}: {n} accounts" for seg, n in st.csm_max_accounts.items()]
    return "<b>Staffing</b>: " + "; ".join(bits)

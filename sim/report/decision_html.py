"""The report's decision sections: verdicts, the decision table and the frontier; pay curves, OTE
at 50/100/150/200% attainment and what each plan does to the people it pays."""

from __future__ import annotations

import math

from sim.experiment.decision import DELTA_METHOD
from sim.plans.paycurve import OTE_POINTS, ote_table
from sim.report import fmt
from sim.report.data import lookup
from sim.report.decision_plots import pay_curve_roles
from sim.report.decision_view import decision_cells
from sim.report.page import Page, cell, esc, table
from sim.vocabulary import ROLE_LABELS, ROLES


def decision_section(page: Page) -> None:
    """Verdict per plan, the decision table (trade-offs per dollar, probability best), the frontier."""
    data = page.data
    page.section("decision")
    if not data.others:
        page.missing("Only one plan: there is nothing to decide between.")
        page.end()
        return
    decision = data.decision
    page.add(
        '<p class="explain">Each sentence is written from the paired differences against '
        f"<b>{esc(data.baseline)}</b> (NRR, payout cost, new ARR, ending ARR): a gain or a loss is "
        "stated only when its confidence interval excludes zero; anything else is “no detectable "
        "difference”. Costs per NRR point are quoted only when the NRR difference is significant.</p>"
    )
    page.add(
        '<ul class="verdicts">' + "".join(f"<li>{esc(v.text)}</li>" for v in decision.verdicts()) + "</ul>"
    )
    cells = decision_cells(decision)
    rows = [[cell(v, ci) for v, ci in row] for row in cells.rows]
    classes = ["baseline" if c == "baseline" else "" for c in cells.classes]
    page.add("<h3>What each plan buys, per dollar</h3>")
    page.add(table(cells.header, rows, classes, raw=True))
    for note in cells.notes:
        page.add(f'<p class="note">{esc(note)}</p>')
    page.add(
        '<p class="explain">The frontier: each plan\'s paired difference from the baseline in payout '
        "cost (across) and in NRR or ending ARR (up), with the confidence interval of each on its "
        "axis. A plan is dominated when another costs no more and does no worse on the means "
        "(hollow); “(means)” marks a domination the paired intervals do not establish.</p>"
    )
    page.figure("frontier", f"Efficient frontier: payout cost vs NRR and vs ending ARR ({DELTA_METHOD} "
                "for ratios; paired intervals on both axes).")  # fmt: skip
    page.end()


PEOPLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("attrition_ae", "AE leavers / yr", "number"),
    ("ote_attainment_ae", "AE pay / OTE", "pct"),
    ("share_at_quota", "AE quota periods at quota", "pct"),
    ("pay_spread_ae", "AE pay spread (P90−P10)", "money"),
    ("attrition_csm", "CSM leavers / yr", "number"),
    ("ote_attainment_csm", "CSM pay / OTE", "pct"),
    ("pay_spread_csm", "CSM pay spread (P90−P10)", "money"),
)
"""People outcomes shown per plan (``docs/metrics.md``, "People under a plan")."""


def _fmt(kind: str, x: float) -> str:
    if kind == "pct":
        return fmt.pct(x)
    if kind == "money":
        return fmt.money(x)
    return f"{x:.1f}" if math.isfinite(x) else "–"


def pay_section(page: Page) -> None:
    """Pay curves per role, OTE at 50/100/150/200% attainment, and people outcomes per plan."""
    data = page.data
    page.section("pay")
    page.add(
        '<p class="explain">Variable pay per year against attainment (the same attainment in every '
        "period), priced by the same kernel that pays people in the simulation: tiers, accelerators "
        "and decelerators, thresholds, caps and attainment caps included. Commissions paid on "
        "another measure than the quota (revenue realised, cash) are drawn as if that measure "
        "tracked the quota's; components not paid on attainment (per go-live, per renewal, spiffs) "
        "are not in the curves.</p>"
    )
    page.figure("pay-curves", "Pay curves: variable pay per year vs attainment, by role and plan.")
    roles = [r for r in ROLES if r in pay_curve_roles(data)]
    if roles:
        rows = []
        for design in data.results.scenario.plans:
            for role in roles:
                rp = design.role(role)
                ote = rp.on_target_earnings_usd
                earn = ote_table(rp)
                cells = [f"<td><b>{esc(design.name)}</b></td>", cell(ROLE_LABELS[role]), cell(fmt.money(ote))]
                for a in OTE_POINTS:
                    share = earn[a] / ote if ote > 0 else math.nan
                    cells.append(cell(fmt.money(earn[a]), fmt.pct(share, 0) + " of OTE"))
                rows.append(cells)
        header = ["plan", "role", "OTE", *[f"earnings at {a:.0%}" for a in OTE_POINTS]]
        page.add("<h3>Earnings per year at 50, 100, 150 and 200% attainment</h3>")
        page.add(table(header, rows, raw=True, text_columns=2))
    cols = [c for c in PEOPLE_COLUMNS if c[0] in data.replications.columns]
    if cols:
        summ = lookup(data.summary, "plan", "metric")
        rows, classes = [], []
        for plan in data.plans:
            cells = [f"<td><b>{esc(plan)}</b></td>"]
            for metric, _, kind in cols:
                r = summ.get((plan, metric))
                if r is None or not math.isfinite(float(r["mean"])):
                    cells.append(cell("–"))
                    continue
                lo, hi = float(r["ci_low"]), float(r["ci_high"])
                ci = f"[{_fmt(kind, lo)}, {_fmt(kind, hi)}]" if math.isfinite(lo) else ""
                cells.append(cell(_fmt(kind, float(r["mean"])), ci))
            rows.append(cells)
            classes.append("baseline" if plan == data.baseline else "")
        page.add("<h3>People under each plan (mean, CI)</h3>")
        page.add(
            '<p class="explain">Leavers per year; pay / OTE is base plus variable pay over on-target '
            "earnings, for people employed the whole measured horizon; pay spread is the 90th minus "
            "the 10th percentile of their variable pay per year.</p>"
        )
        page.add(table(["plan", *[c[1] for c in cols]], rows, classes, raw=True))
    page.end()

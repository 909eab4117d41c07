"""The report's company sections: market penetration, cash and collections, SDRs and hand-offs."""

from __future__ import annotations

import math

from sim.report import fmt
from sim.report.company_plots import finite_segments
from sim.report.data import lookup
from sim.report.page import Page, cell, esc, table


def market_section(page: Page) -> None:
    data = page.data
    page.section("market")
    segments = finite_segments(data)
    if not segments:
        page.add(
            '<p class="explain">Every segment\'s market is unlimited (<code>addressable_organisations: '
            "0</code>): leads arrive at their configured rate whatever the company has sold.</p>"
        )
        page.end()
        return
    page.add(
        '<p class="explain">A finite market: leads arrive at the configured rate times the share of '
        "organisations available (not customers, not in the pipeline, not cooling off after a lost "
        "deal or a churn), so new business slows as the market is used up. Solid: customers / "
        "organisations at each month end (mean, P10–P90 band); dashed: share available.</p>"
    )
    page.figure("market-penetration", "Market penetration and available share per finite segment.")
    summ = lookup(data.summary, "plan", "metric")
    cols = [(f"market_penetration_{k}", f"{label} penetration") for k, label, _ in segments]
    cols += [(f"available_share_{k}", f"{label} available") for k, label, _ in segments]
    cols.append(("leads_no_organisation", "leads lost: no organisation / yr"))
    rows, classes = [], []
    for plan in data.plans:
        cells = [f"<td><b>{esc(plan)}</b></td>"]
        for metric, _ in cols:
            r = summ.get((plan, metric))
            if r is None:
                cells.append(cell("–"))
            elif metric.startswith("leads"):
                cells.append(cell(f"{float(r['mean']):.1f}"))
            else:
                cells.append(
                    cell(
                        fmt.pct(float(r["mean"]), 1),
                        f"{fmt.pct(float(r['ci_low']), 1)} – {fmt.pct(float(r['ci_high']), 1)}",
                    )
                )
        rows.append(cells)
        classes.append("baseline" if plan == data.baseline else "")
    page.add("<h3>At the end of the horizon (mean, CI)</h3>")
    page.add(table(["plan", *[c[1] for c in cols]], rows, classes, raw=True))
    page.end()


CASH_COLUMNS: tuple[tuple[str, str], ...] = (
    ("dso", "DSO (days)"),
    ("collection_days_mean", "days invoice → cash"),
    ("collection_ratio", "collected / billed"),
    ("bad_debt_rate", "bad debt / billed"),
    ("billed_usd", "billed / yr"),
    ("cash_collected_usd", "collected / yr"),
)
"""Cash metrics shown in the report's cash section (``docs/metrics.md``, "Cash")."""


def cash_section(page: Page) -> None:
    data = page.data
    page.section("cash")
    billing = data.results.scenario.company.billing
    if billing.enabled:
        page.add(
            '<p class="explain">Every contract period is invoiced '
            f"({esc(billing.frequency.replace('_', ' '))}, net {billing.payment_terms_days:g} days, "
            f"mean delay {billing.collection_delay_mean_days:g} days, default probability "
            f"{fmt.pct(billing.default_probability, 1)} per invoice). DSO = mean receivables / billed "
            "per day over the measured window; the cash balance is cumulative collections less "
            "compensation paid (base and variable pay).</p>"
        )
        page.figure("cash-curve", "Cash balance and cash collected per month.")
    else:
        page.add(
            '<p class="explain">Billing is off (<code>company.billing.enabled: false</code>): each '
            "new or expansion deal is invoiced once at booking and settled at the next month start; "
            "renewals are not invoiced, so the numbers below cover new business only.</p>"
        )
    summ = lookup(data.summary, "plan", "metric")
    rows, classes = [], []
    for plan in data.plans:
        cells = [f"<td><b>{esc(plan)}</b></td>"]
        for metric, _ in CASH_COLUMNS:
            r = summ.get((plan, metric))
            if r is None or not math.isfinite(float(r["mean"])):
                cells.append(cell("–"))
            elif metric.endswith("_rate") or metric.endswith("_ratio"):
                cells.append(
                    cell(
                        fmt.pct(float(r["mean"]), 1),
                        f"{fmt.pct(float(r['ci_low']), 1)} – {fmt.pct(float(r['ci_high']), 1)}",
                    )
                )
            elif metric.endswith("_usd"):
                cells.append(
                    cell(
                        fmt.money(float(r["mean"])),
                        f"{fmt.money(float(r['ci_low']))} – {fmt.money(float(r['ci_high']))}",
                    )
                )
            else:
                cells.append(
                    cell(f"{float(r['mean']):.1f}", f"{float(r['ci_low']):.1f} – {float(r['ci_high']):.1f}")
                )
        rows.append(cells)
        classes.append("baseline" if plan == data.baseline else "")
    page.add("<h3>Collections over the measured horizon (mean, CI)</h3>")
    page.add(table(["plan", *[c[1] for c in CASH_COLUMNS]], rows, classes, raw=True))
    page.end()


SDR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sdr_meetings", "meetings / yr"),
    ("sdr_acceptance_rate", "accepted by AEs"),
    ("sdr_win_rate", "win rate"),
    ("mean_fit_meetings", "fit of meetings"),
    ("mean_fit_sdr_new", "fit of SDR deals"),
    ("sdr_pipeline_acv", "SDR pipeline / yr"),
    ("new_arr_sdr", "SDR new ARR / yr"),
    ("new_arr_not_sdr", "other new ARR / yr"),
    ("sdr_cost_per_opportunity", "SDR cost / opportunity"),
    ("payout_cost_sdr", "SDR variable pay / yr"),
)
"""SDR metrics shown in the report's SDR section (``docs/metrics.md``, "SDRs")."""


def sdrs_section(page: Page) -> None:
    data = page.data
    page.section("sdrs")
    sdrs = data.results.scenario.company.sdrs
    if sdrs.headcount <= 0:
        page.add(
            '<p class="explain">No SDRs (<code>company.sdrs.headcount: 0</code>): every lead goes '
            "straight to an AE.</p>"
        )
        page.end()
        return
    page.add(
        f'<p class="explain">{sdrs.headcount} SDRs work the {esc(", ".join(sdrs.sources))} leads: '
        "each lead is qualified out or handed to an AE as a meeting; an AE who accepts it opens a "
        "qualified opportunity. Fit is the leads' ideal-customer-profile fit (0–1); the win rate "
        "is SDR-sourced new logos per SDR-sourced opportunity; cost per opportunity counts SDR base "
        "and variable pay.</p>"
    )
    summ = lookup(data.summary, "plan", "metric")
    rows, classes = [], []
    for plan in data.plans:
        cells = [f"<td><b>{esc(plan)}</b></td>"]
        for metric, _ in SDR_COLUMNS:
            r = summ.get((plan, metric))
            if r is None or not math.isfinite(float(r["mean"])):
                cells.append(cell("–"))
            elif metric.endswith("_rate"):
                cells.append(
                    cell(
                        fmt.pct(float(r["mean"]), 1),
                        f"{fmt.pct(float(r['ci_low']), 1)} – {fmt.pct(float(r['ci_high']), 1)}",
                    )
                )
            elif metric.startswith("mean_fit"):
                cells.append(
                    cell(f"{float(r['mean']):.3f}", f"{float(r['ci_low']):.3f} – {float(r['ci_high']):.3f}")
                )
            elif metric == "sdr_meetings":
                cells.append(
                    cell(
                        f"{float(r['mean']):,.0f}", f"{float(r['ci_low']):,.0f} – {float(r['ci_high']):,.0f}"
                    )
                )
            else:
                cells.append(
                    cell(
                        fmt.money(float(r["mean"])),
                        f"{fmt.money(float(r['ci_low']))} – {fmt.money(float(r['ci_high']))}",
                    )
                )
        rows.append(cells)
        classes.append("baseline" if plan == data.baseline else "")
    page.add("<h3>SDR funnel, fit and cost (mean, CI)</h3>")
    page.add(table(["plan", *[c[1] for c in SDR_COLUMNS]], rows, classes, raw=True))
    page.end()

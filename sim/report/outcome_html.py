"""The report's outcome sections: the question, the plans, the key metrics, the paired differences,
ARR over time, the waterfall and payouts by role."""

from __future__ import annotations

import math

import pandas as pd

from sim.report import fmt
from sim.report.data import KEY_METRICS, MissingData, lookup
from sim.report.outcome_plots import waterfall_table
from sim.report.page import Page, cell, esc, table
from sim.report.plan_words import plan_rules
from sim.vocabulary import ROLE_LABELS, ROLES


def question_section(page: Page) -> None:
    res = page.data.results
    sc = res.scenario
    page.section("question")
    page.add(f'<p class="lead">{esc(sc.description.strip() or "(no description)")}</p>')
    meta = res.metadata
    sizes = page.data.replications.groupby("plan").size()
    n = sizes if len(sizes) else pd.Series([0])
    cards = [
        ("Plans", str(len(page.data.plans))),
        ("Baseline", page.data.baseline),
        ("Replications / plan", f"{n.min()}" if n.min() == n.max() else f"{n.min()}–{n.max()}"),
        ("Measured horizon", f"{sc.company.horizon_years:g} years (+{sc.company.warmup_years:g} warm-up)"),
        ("Company", sc.company.name),
    ]
    status = (meta.get("precision") or {}).get("status")
    if status:
        cards.append(("Precision", str(status).replace("_", " ")))
    page.add(
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="k">{esc(k)}</div><div class="v">{esc(v)}</div></div>'
            for k, v in cards
        )
        + "</div>"
    )
    if res.failures:
        page.add(
            f'<div class="warn"><b>{len(res.failures)} replication(s) failed</b> and are left out of '
            "every statistic (see failures.json).</div>"
        )
    page.end()


def plans_section(page: Page) -> None:
    sc = page.data.results.scenario
    page.section("plans")
    rows = []
    classes = []
    for p in sc.plans:
        tag = '<span class="tag">baseline</span>' if p.name == page.data.baseline else ""
        rows.append(
            [
                f"<td><b>{esc(p.name)}</b>{tag}</td>",
                f'<td class="text">{esc(p.description or "")}<div class="rules">{plan_rules(p)}</div></td>',
            ]
        )
        classes.append("baseline" if p.name == page.data.baseline else "")
    page.add(
        table(["plan", "description and pay rules"], rows, classes, raw=True, css="full", text_columns=2)
    )
    page.end()


def metrics_section(page: Page) -> None:
    data = page.data
    page.section("metrics")
    metrics = data.metrics_present(list(KEY_METRICS))
    summ = lookup(data.summary, "plan", "metric")
    page.add(
        f'<p class="explain">Mean over replications with its {data.confidence:.0%} confidence interval '
        "(t-interval). Flows (new ARR, payout cost) are per measured year; ratios are means over "
        "the measured years; ending ARR is at the end of the horizon.</p>"
    )
    rows, classes = [], []
    for plan in data.plans:
        cells = [f"<td><b>{esc(plan)}</b></td>"]
        for m in metrics:
            r = summ.get((plan, m))
            if r is None:
                cells.append(cell("–"))
                continue
            cells.append(
                cell(fmt.value(m, float(r["mean"])), fmt.interval(m, float(r["ci_low"]), float(r["ci_high"])))
            )
        rows.append(cells)
        classes.append("baseline" if plan == data.baseline else "")
    page.add(table(["plan", *[fmt.label(m) for m in metrics]], rows, classes, raw=True))
    page.end()


def differences_section(page: Page) -> None:
    data = page.data
    page.section("differences")
    if not data.others:
        page.missing("Only one plan: there is nothing to compare with a baseline.")
        page.end()
        return
    page.add(
        f'<p class="explain">Paired difference of each plan minus <b>{esc(data.baseline)}</b> over the '
        "same replications (common random numbers: replication k of every plan shares its "
        "randomness), with Bonferroni-adjusted confidence intervals. Green: significantly better; "
        "red: significantly worse; ratios in percentage points (pp).</p>"
    )
    page.figure("forest", "Forest plot of paired differences vs the baseline, one panel per metric.")
    metrics = data.metrics_present(list(KEY_METRICS))
    comp = lookup(data.comparison, "plan", "metric")
    rows = []
    for plan in data.others:
        cells = [f"<td><b>{esc(plan)}</b></td>"]
        for m in metrics:
            r = comp.get((plan, m))
            if r is None:
                cells.append(cell("–"))
                continue
            d = float(r["diff"])
            cls = ""
            if bool(r["significant"]):
                better = fmt.HIGHER_IS_BETTER.get(m)
                cls = "sig" if better is None else ("better" if (d > 0) == better else "worse")
            ci = fmt.interval(m, float(r["ci_low"]), float(r["ci_high"]), True)
            cells.append(cell(fmt.diff(m, d), ci, cls))
        rows.append(cells)
    page.add(table(["plan", *[fmt.label(m) for m in metrics]], rows, raw=True))
    page.end()


def arr_section(page: Page) -> None:
    page.section("arr")
    page.add(
        '<p class="explain">Total ARR at each month end of the measured horizon. Left: each plan\'s '
        "mean with the band between the 10th and 90th percentile of replications. Right: the paired "
        "difference from the baseline with its confidence band.</p>"
    )
    page.figure("arr-over-time", "ARR over time by plan.")
    page.end()


def waterfall_section(page: Page) -> None:
    data = page.data
    page.section("waterfall")
    page.add(
        '<p class="explain">From ARR at the start of the measured horizon to ARR at its end: new '
        "logos, then tailwinds (organic expansion, upsell, cross-sell) and headwinds (contraction, "
        "price erosion when a discount is not repeated at renewal, logos lost). Means over "
        "replications, totals over the measured horizon.</p>"
    )
    if page.figure("waterfall", "Headwind/tailwind waterfall per plan."):
        tab = waterfall_table(data)
        names = [n for n, _ in next(iter(tab.values()))]
        rows, classes = [], []
        for plan, bars in tab.items():
            vals = dict(bars)
            rows.append(
                [f"<td><b>{esc(plan)}</b></td>"]
                + [
                    cell(fmt.money(vals.get(n, math.nan), signed=n not in ("Starting ARR", "Ending ARR")))
                    for n in names
                ]
            )
            classes.append("baseline" if plan == data.baseline else "")
        page.add(table(["plan", *names], rows, classes, raw=True))
    page.end()


def payouts_section(page: Page) -> None:
    data = page.data
    page.section("payouts")
    page.add(
        '<p class="explain">Variable pay (commissions, bonuses, spiffs, net of clawbacks) per measured '
        "year, by role: the bar is the median replication, the whisker spans the 10th to 90th "
        "percentile.</p>"
    )
    page.figure("payout-by-role", "Payout cost distribution by role.")
    try:
        pay = data.scalars("payouts")
    except MissingData as exc:
        page.missing(f"No payout components table: {exc}.")
        data.note(f"payout components: {exc}")
        page.end()
        return
    pay["value"] = pay["value"] / data.years
    per_rep = pay.groupby(["plan", "key", "replication"])["value"].sum().reset_index()
    counts = data.replications.groupby("plan").size()
    keys = sorted(
        set(per_rep["key"]),
        key=lambda k: (ROLES.index(k.split(".")[0]) if k.split(".")[0] in ROLES else 99, k),
    )
    rows, classes = [], []
    for plan in data.plans:
        n = int(counts.get(plan, 0))
        if n == 0:
            continue
        cells = [f"<td><b>{esc(plan)}</b></td>"]
        total = 0.0
        for k in keys:
            v = per_rep[(per_rep["plan"] == plan) & (per_rep["key"] == k)]["value"].sum() / n
            total += v
            cells.append(cell(fmt.money(v) if v else "–"))
        cells.append(cell(fmt.money(total)))
        rows.append(cells)
        classes.append("baseline" if plan == data.baseline else "")
    header = [f"{ROLE_LABELS.get(k.split('.')[0], k.split('.')[0])} · {k.split('.', 1)[-1]}" for k in keys]
    page.add("<h3>Mean payout per year by component</h3>")
    page.add(table(["plan", *header, "total"], rows, classes, raw=True))
    page.end()

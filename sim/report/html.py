"""The self-contained ``report.html``: plain HTML and CSS, figures embedded as base64 PNG data
URIs (also written to ``plots/``), readable in any browser without the tool or JavaScript.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.files import atomic_write_bytes, atomic_write_text
from sim.report import fmt
from sim.report.data import KEY_METRICS, MissingData, ReportData, load, lookup
from sim.report.plots import (
    CONDITIONAL_FIGURES,
    FIGURES,
    INLINE_FIGURES,
    ROLE_LABELS,
    ROLES,
    decision_figures,
    draw,
    finite_segments,
    png_bytes,
    style,
    svg_text,
    waterfall_table,
)
from sim.safetext import safe_text
from sim.scenario.plans import Component, PlanDesign, RolePlan

REPORT_FILE = "report.html"
PLOTS_DIR = "plots"

SECTIONS: tuple[tuple[str, str], ...] = (
    ("question", "The question"),
    ("decision", "Decision"),
    ("plans", "Plans"),
    ("pay", "Pay curves and people"),
    ("metrics", "Key metrics by plan"),
    ("differences", "Differences vs baseline"),
    ("arr", "ARR over time"),
    ("waterfall", "Headwinds and tailwinds"),
    ("payouts", "Payout cost by role"),
    ("attainment", "Quota attainment"),
    ("discounts", "Discounts"),
    ("timing", "Bookings by week of quarter"),
    ("second-order", "Second-order revenue"),
    ("market", "Market penetration"),
    ("cash", "Cash and collections"),
    ("sdrs", "SDRs and hand-offs"),
    ("people", "Winners and losers"),
    ("run", "Run details"),
)
"""Report sections in order: anchor id, heading."""

CSS = """
:root { --ink:#222; --muted:#6b6b6b; --line:#e2e2e2; --band:#f7f7f5; --accent:#2c7bb6;
        --good:#1a7f37; --bad:#c0392b; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color:var(--ink); background:#fff; }
main { max-width:1260px; margin:0 auto; padding:28px 32px 40px; }
header.top { border-bottom:3px solid var(--ink); padding-bottom:14px; margin-bottom:8px; }
header.top .kicker { text-transform:uppercase; letter-spacing:.08em; font-size:12px; color:var(--muted); }
h1 { font-size:30px; margin:4px 0 6px; }
h2 { font-size:21px; margin:38px 0 8px; padding-top:10px; border-top:1px solid var(--line); }
h3 { font-size:16px; margin:18px 0 6px; }
p.lead { font-size:17px; margin:6px 0 0; max-width:900px; }
p.explain, p.note { color:var(--muted); font-size:13.5px; max-width:920px; margin:4px 0 12px; }
nav.toc { font-size:13px; margin:14px 0 4px; line-height:1.9; }
nav.toc a { color:var(--accent); text-decoration:none; margin-right:10px; white-space:nowrap; }
.cards { display:flex; flex-wrap:wrap; gap:10px; margin:16px 0 4px; }
.card { background:var(--band); border-radius:6px; padding:9px 14px; min-width:150px; }
.card .k { font-size:11.5px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); }
.card .v { font-size:18px; font-weight:600; }
table { border-collapse:collapse; margin:8px 0 14px; font-size:12.5px; }
th, td { padding:5px 6px; border-bottom:1px solid var(--line); text-align:right; vertical-align:top; }
th { background:var(--band); font-weight:600; border-bottom:2px solid #cfcfcf; }
th:first-child, td:first-child { text-align:left; white-space:nowrap; }
td.text, th.text { text-align:left; }
table.full { width:100%; }
tr.baseline td { background:#fbf7ea; }
td .ci { display:block; color:var(--muted); font-size:10.5px; }
.nw { white-space:nowrap; }
table.verdicts td { text-align:left; }
ul.verdicts li { margin:4px 0; max-width:1100px; }
figure.svg svg { display:block; width:100%; height:auto; border:1px solid var(--line); border-radius:4px; }
td.better { color:var(--good); font-weight:600; }
td.worse { color:var(--bad); font-weight:600; }
td.sig { font-weight:600; }
.tag { display:inline-block; font-size:10.5px; text-transform:uppercase; letter-spacing:.05em;
       background:var(--ink); color:#fff; border-radius:3px; padding:0 5px; margin-left:6px; }
.rules { color:var(--muted); font-size:12px; }
.wide { overflow-x:auto; }
figure { margin:10px 0 6px; }
figure img { display:block; width:100%; height:auto; border:1px solid var(--line); border-radius:4px; }
figcaption { color:var(--muted); font-size:12.5px; margin-top:4px; }
.missing { background:#fff4e5; border-left:4px solid #f0a030; padding:8px 12px; font-size:13.5px;
           margin:8px 0; }
.warn { background:#fdecea; border-left:4px solid var(--bad); padding:8px 12px; margin:12px 0; }
.cols { display:flex; flex-wrap:wrap; gap:28px; }
footer { margin-top:40px; border-top:3px solid var(--ink); padding-top:12px; font-size:12.5px;
         color:var(--muted); }
footer table { font-size:12px; }
footer td, footer th { text-align:left; padding:3px 12px 3px 0; border:none; background:none; }
@media print { h2 { page-break-before:auto; } figure { page-break-inside:avoid; } }
"""


def esc(x: Any) -> str:
    """HTML-escaped text; control characters (user text: names, descriptions) shown as escapes."""
    return html.escape(safe_text(x, keep_newlines=True), quote=True)


@dataclass
class Page:
    """The report being assembled: HTML parts and the PNGs written."""

    data: ReportData
    plots_dir: Path | None
    """Where PNG copies of the figures go (None: embedded only)."""
    parts: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def add(self, text: str) -> None:
        """Append raw HTML."""
        self.parts.append(text)

    def section(self, anchor: str) -> None:
        """Open a section with its heading."""
        title = dict(SECTIONS)[anchor]
        self.add(f'<section id="{anchor}"><h2>{esc(title)}</h2>')

    def end(self) -> None:
        """Close the current section."""
        self.add("</section>")

    def figure(self, name: str, caption: str) -> bool:
        """Render a figure, save it under plots/, embed it (as a PNG, or for :data:`INLINE_FIGURES`
        as SVG whose text stays text); a note instead when data is missing."""
        inline = name in INLINE_FIGURES
        try:
            with style():
                fig = draw(self.data, name)
                png = png_bytes(fig)
                svg = svg_text(fig) if inline else ""
        except MissingData as exc:
            self.missing(f"Figure not drawn: {exc}.")
            self.data.note(f"figure {name}: {exc}")
            return False
        if self.plots_dir is not None:
            path = self.plots_dir / f"{name}.png"
            atomic_write_bytes(path, png)
            self.written.append(path)
        if inline:
            cap = f"<figcaption>{esc(caption)}</figcaption>"
            self.add(f'<figure class="svg" id="figure-{name}">{svg}{cap}</figure>')
            return True
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        width = int.from_bytes(png[16:20], "big")  # PNG IHDR: width in pixels
        self.add(
            f'<figure><img src="{uri}" alt="{esc(caption)}" style="max-width:{width}px">'
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )
        return True

    def missing(self, text: str) -> None:
        """A visible note that something could not be shown."""
        self.add(f'<div class="missing">{esc(text)}</div>')


def table(
    header: Iterable[str],
    rows: Iterable[Iterable[str]],
    row_classes: Iterable[str] | None = None,
    raw: bool = False,
    css: str = "",
    text_columns: int = 1,
) -> str:
    """An HTML table; cells are escaped unless ``raw`` (then they are trusted HTML fragments).
    The first ``text_columns`` headers are left-aligned; ``css`` is the table's class."""
    head = "".join(
        f"<th{' class=text' if i < text_columns else ''}>{esc(h)}</th>" for i, h in enumerate(header)
    )
    cls_attr = f' class="{css}"' if css else ""
    body = []
    classes = list(row_classes) if row_classes is not None else None
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(c if raw else f"<td>{esc(c)}</td>" for c in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    rows_html = "".join(body)
    return (
        f'<div class="wide"><table{cls_attr}><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody>'
        "</table></div>"
    )


# --- plan rules in words -------------------------------------------------------------------


def _rate(r: float) -> str:
    return fmt.pct(r, 0 if abs(round(r * 100) - r * 100) < 1e-9 else 1)


def _component_words(c: Component) -> str:
    measure = c.measure.replace("_", " ")
    if c.kind == "bonus":
        target = f", target {fmt.money(c.target_usd)}" if c.target_usd else ""
        parts = [f"{c.name}: bonus on {measure}{target}"]
    else:
        rates = " → ".join(
            _rate(t.rate) + (f" above {fmt.pct(t.from_attainment, 0)}" if t.from_attainment > 0 else "")
            for t in c.rates
        )
        parts = [f"{c.name}: {rates or 'commission'} of {measure}"]
    parts.append(f"{c.period}ly, paid {c.pays.replace('_', ' ')}")
    if c.scope == "team":
        parts.append("team measure")
    if c.discount_bands:
        parts.append("rate falls with discount")
    if c.clawback is not None:
        parts.append(f"clawback {fmt.pct(c.clawback.share, 0)} within {c.clawback.window_days:g} days")
    if c.cap_per_period_usd:
        parts.append(f"cap {fmt.money(c.cap_per_period_usd)}/period")
    if c.cap_share_of_ote:
        parts.append(f"cap {fmt.pct(c.cap_share_of_ote, 0)} of OTE")
    if c.cap_attainment:
        parts.append(f"no pay beyond {fmt.pct(c.cap_attainment, 0)} attainment")
    if c.multi_year is not None:
        my = c.multi_year
        share = fmt.pct(my.later_year_share, 0)
        parts.append(f"later contract years at {share}, up to {my.max_years:g} years")
    return ", ".join(parts)


def _role_words(role: str, rp: RolePlan) -> str | None:
    if not rp.components and not rp.spiffs and not rp.budget_annual_usd and rp.draw is None:
        return None
    bits = [f"base {fmt.money(rp.base_salary_annual_usd)}"]
    q = rp.quota
    if q is not None:
        bits.append(f"quota {fmt.money(q.annual_amount)}/yr of {q.measure.replace('_', ' ')}")
        bits += [f"ramped over {q.ramp_months} months"] if q.ramp_months else []
        bits += [f"ratchet {q.ratchet:g} on last period's attainment"] if q.ratchet else []
    if (d := rp.draw) is not None:
        kind = "recoverable draw" if d.recoverable else "guarantee"
        window = f" for a new hire's first {d.months} months" if d.months else ""
        bits.append(f"{kind} {fmt.money(d.amount_usd)}/{d.period}{window}")
    bits += [_component_words(c) for c in rp.components]
    bits += [f"spiff {fmt.money(s.amount_usd)} per {s.event.replace('_', ' ')}" for s in rp.spiffs]
    if rp.budget_annual_usd:
        bits.append(f"budget {fmt.money(rp.budget_annual_usd)}/yr")
    return f"<b>{esc(ROLE_LABELS.get(role, role))}</b>: {esc('; '.join(bits))}"


def plan_rules(plan: PlanDesign) -> str:
    """A short HTML summary of a plan's rules (roles with variable pay, crediting)."""
    lines = [w for role in ROLES if (w := _role_words(role, getattr(plan, role))) is not None]
    cr = plan.crediting

    def credited(kind: str) -> str:
        roles = getattr(cr, kind)
        shares = getattr(cr, f"{kind}_shares")
        return ", ".join(r + (f" ({fmt.pct(cr.share(kind, r), 0)})" if r in shares else "") for r in roles)

    lines.append(
        f"<b>Crediting</b>: upsell → {esc(credited('upsell') or 'nobody')}; "
        f"cross-sell → {esc(credited('cross_sell') or 'nobody')}"
    )
    if cr.handoff.fee_usd or cr.handoff.credit_bookings:
        lines.append(
            f"<b>Hand-off</b>: {fmt.money(cr.handoff.fee_usd)} per accepted meeting to the SDR"
            + ("; SDR credited with the deal's bookings" if cr.handoff.credit_bookings else "")
        )
    return "<br>".join(lines)


# --- sections --------------------------------------------------------------------------------


def ci_html(text: str) -> str:
    """An interval's text as HTML that may break only between its two ends (``[a, b]`` or
    ``a – b``), so a narrow column never splits a number from its unit."""
    for sep in (", ", " – "):
        if sep in text:
            lo, hi = text.split(sep, 1)
            return f'<span class="nw">{esc(lo + sep.rstrip())}</span> <span class="nw">{esc(hi)}</span>'
    return f'<span class="nw">{esc(text)}</span>'


def cell(text: str, ci: str | None = None, cls: str = "") -> str:
    """A table cell: the value, its interval below it (muted), an optional class."""
    c = f' class="{cls}"' if cls else ""
    extra = f'<span class="ci">{ci_html(ci)}</span>' if ci else ""
    return f"<td{c}>{esc(text)}{extra}</td>"


_cell = cell


def _question(page: Page) -> None:
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


def _plans(page: Page) -> None:
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


def _metrics(page: Page) -> None:
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
                cells.append(_cell("–"))
                continue
            cells.append(
                _cell(
                    fmt.value(m, float(r["mean"])), fmt.interval(m, float(r["ci_low"]), float(r["ci_high"]))
                )
            )
        rows.append(cells)
        classes.append("baseline" if plan == data.baseline else "")
    page.add(table(["plan", *[fmt.label(m) for m in metrics]], rows, classes, raw=True))
    page.end()


def _differences(page: Page) -> None:
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
                cells.append(_cell("–"))
                continue
            d = float(r["diff"])
            cls = ""
            if bool(r["significant"]):
                better = fmt.HIGHER_IS_BETTER.get(m)
                cls = "sig" if better is None else ("better" if (d > 0) == better else "worse")
            ci = fmt.interval(m, float(r["ci_low"]), float(r["ci_high"]), True)
            cells.append(_cell(fmt.diff(m, d), ci, cls))
        rows.append(cells)
    page.add(table(["plan", *[fmt.label(m) for m in metrics]], rows, raw=True))
    page.end()


def _arr(page: Page) -> None:
    page.section("arr")
    page.add(
        '<p class="explain">Total ARR at each month end of the measured horizon. Left: each plan\'s '
        "mean with the band between the 10th and 90th percentile of replications. Right: the paired "
        "difference from the baseline with its confidence band.</p>"
    )
    page.figure("arr-over-time", "ARR over time by plan.")
    page.end()


def _waterfall(page: Page) -> None:
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
                    _cell(fmt.money(vals.get(n, math.nan), signed=n not in ("Starting ARR", "Ending ARR")))
                    for n in names
                ]
            )
            classes.append("baseline" if plan == data.baseline else "")
        page.add(table(["plan", *names], rows, classes, raw=True))
    page.end()


def _payouts(page: Page) -> None:
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
            cells.append(_cell(fmt.money(v) if v else "–"))
        cells.append(_cell(fmt.money(total)))
        rows.append(cells)
        classes.append("baseline" if plan == data.baseline else "")
    header = [f"{ROLE_LABELS.get(k.split('.')[0], k.split('.')[0])} · {k.split('.', 1)[-1]}" for k in keys]
    page.add("<h3>Mean payout per year by component</h3>")
    page.add(table(["plan", *header, "total"], rows, classes, raw=True))
    page.end()


def _attainment(page: Page) -> None:
    page.section("attainment")
    page.add(
        '<p class="explain">Quota attainment of each AE employed for a whole quota period, pooled '
        "over replications; the baseline's distribution is outlined in black on every other plan's "
        "panel. Values above the 99.5th percentile are counted in the last bin.</p>"
    )
    page.figure("attainment", "Quota attainment histograms.")
    page.end()


def _discounts(page: Page) -> None:
    page.section("discounts")
    page.add('<p class="explain">Discount given on each new-logo deal, pooled over replications.</p>')
    page.figure("discount", "Discount histograms.")
    page.end()


def _timing(page: Page) -> None:
    page.section("timing")
    page.add(
        '<p class="explain">Where in the fiscal quarter new deals close. Plans that pay on quarterly '
        "attainment with accelerators pull deals into the last weeks (shaded).</p>"
    )
    page.figure("close-week", "Share of new deals by week of the quarter.")
    page.end()


def _second_order(page: Page) -> None:
    page.section("second-order")
    page.add(
        '<p class="explain">Second-order revenue is new ARR that existing customers bring: referrals '
        "from promoters and former champions who moved to a new company.</p>"
    )
    page.figure("second-order", "Second-order share of new ARR and new ARR by source.")
    page.end()


def _market(page: Page) -> None:
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
                cells.append(_cell("–"))
            elif metric.startswith("leads"):
                cells.append(_cell(f"{float(r['mean']):.1f}"))
            else:
                cells.append(
                    _cell(
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


def _cash(page: Page) -> None:
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
                cells.append(_cell("–"))
            elif metric.endswith("_rate") or metric.endswith("_ratio"):
                cells.append(
                    _cell(
                        fmt.pct(float(r["mean"]), 1),
                        f"{fmt.pct(float(r['ci_low']), 1)} – {fmt.pct(float(r['ci_high']), 1)}",
                    )
                )
            elif metric.endswith("_usd"):
                cells.append(
                    _cell(
                        fmt.money(float(r["mean"])),
                        f"{fmt.money(float(r['ci_low']))} – {fmt.money(float(r['ci_high']))}",
                    )
                )
            else:
                cells.append(
                    _cell(f"{float(r['mean']):.1f}", f"{float(r['ci_low']):.1f} – {float(r['ci_high']):.1f}")
                )
        rows.append(cells)
        classes.append("baseline" if plan == data.baseline else "")
    page.add("<h3>Collections over the measured horizon (mean, CI)</h3>")
    page.add(table(["plan", *[c[1] for c in CASH_COLUMNS]], rows, classes, raw=True))
    page.end()


def _people(page: Page, top: int = 5) -> None:
    data = page.data
    page.section("people")
    if not data.others:
        page.missing("Only one plan: no winners or losers against a baseline.")
        page.end()
        return
    page.add(
        '<p class="explain">Each person\'s variable pay per year under a plan minus their pay under the '
        "baseline in the same replication, for the same people: everyone on staff at the start "
        "(common random numbers give them the same ids in replication k of every plan; people hired "
        "later differ between plans and are left out). Someone who left, or earned no variable pay, "
        "counts as $0 for the rest of the horizon. Person ids are positions in the simulated team "
        "(role:number); the lists average each person over every replication.</p>"
    )
    page.figure("winners-losers", "Distribution of per-person pay changes vs the baseline.")
    try:
        diffs = data.people_diffs
    except MissingData as exc:
        page.missing(f"No winners/losers tables: {exc}.")
        page.end()
        return
    rows = []
    for plan in data.others:
        sub = diffs[diffs["plan"] == plan]
        if sub.empty:
            continue
        for role in [r for r in ROLES if r in set(sub["role"])]:
            s = sub[sub["role"] == role]
            if not (s["value_base"].abs().sum() or s["value_plan"].abs().sum()):
                continue  # nobody in the role earns variable pay under either plan
            rows.append(
                [
                    f"<td><b>{esc(plan)}</b></td>",
                    _cell(ROLE_LABELS[role]),
                    _cell(str(len(s))),
                    _cell(fmt.money(float(s["value_base"].mean()))),
                    _cell(fmt.money(float(s["diff"].mean()), signed=True)),
                    _cell(fmt.pct(float((s["diff"] > 0.5).mean()), 0)),
                    _cell(fmt.pct(float((s["diff"] < -0.5).mean()), 0)),
                ]
            )
    page.add("<h3>By role</h3>")
    page.add(
        table(
            [
                "plan",
                "role",
                "person-replications",
                f"mean pay under {data.baseline}",
                "mean change",
                "gain",
                "lose",
            ],
            rows,
            raw=True,
        )
    )
    page.add("<h3>Biggest winners and losers (mean change per year over replications)</h3>")
    blocks = []
    for plan in data.others:
        sub = diffs[diffs["plan"] == plan]
        if sub.empty:
            continue
        per = (
            sub.groupby("person")
            .agg(
                role=("role", "first"),
                base=("value_base", "mean"),
                change=("diff", "mean"),
                n=("diff", "size"),
            )
            .reset_index()
        )
        # a mean over one replication is not a finding: only people seen in every replication
        per = per[per["n"] >= sub["replication"].nunique()]
        per = per.sort_values(["change", "person"], ascending=[False, True])
        win = per[per["change"] > 0.5].head(top)
        lose = per[per["change"] < -0.5].sort_values(["change", "person"]).head(top)
        rows = []
        for label, part in (("winner", win), ("loser", lose)):
            for _, r in part.iterrows():
                cls = "better" if r["change"] > 0 else ("worse" if r["change"] < 0 else "")
                rows.append(
                    [
                        f"<td>{esc(label)}</td>",
                        f'<td class="text">{esc(r["person"])}</td>',
                        _cell(fmt.money(float(r["base"]))),
                        _cell(fmt.money(float(r["change"]), signed=True), cls=cls),
                        _cell(str(int(r["n"]))),
                    ]
                )
        if not rows:
            rows.append(['<td colspan="5">nobody gains or loses more than $1 a year</td>'])
        blocks.append(
            f"<div><h3>{esc(plan)}</h3>"
            + table(
                ["", "person", f"pay under {data.baseline}", "change", "reps"], rows, raw=True, text_columns=2
            )
            + "</div>"
        )
    page.add('<div class="cols">' + "".join(blocks) + "</div>")
    page.end()


def _footer(page: Page) -> None:
    data = page.data
    meta = data.results.metadata
    sc = data.results.scenario
    page.add('<section id="run"><footer>')
    page.add(f'<h2 style="border:none;margin-top:0">{esc(dict(SECTIONS)["run"])}</h2>')
    prec = meta.get("precision") or {}
    targets = prec.get("targets") or {}
    hw = prec.get("half_widths") or {}
    prec_text = str(prec.get("status", "–")).replace("_", " ")
    if targets:

        def half(m: str) -> str:
            return fmt.diff(m, float(hw[m])).lstrip("+") if hw.get(m) is not None else "–"

        prec_text += "; " + ", ".join(
            f"{m}: half-width {half(m)} (target {fmt.diff(m, float(t)).lstrip('+')})"
            for m, t in targets.items()
        )
    n = data.replications.groupby("plan").size().to_dict()
    wall = f" ({float(meta['wall_seconds']):.0f} s)" if meta.get("wall_seconds") is not None else ""
    rows = [
        ("Scenario", safe_text(sc.name)),
        ("incentsim version", meta.get("incentsim_version", "–")),
        ("git commit", meta.get("git_commit") or "–"),
        ("Seed", meta.get("seed", sc.experiment.seed)),
        ("Replications per plan", ", ".join(f"{p}: {n.get(p, 0)}" for p in data.plans)),
        ("Confidence", f"{data.confidence:.0%}"),
        ("Common random numbers", meta.get("common_random_numbers", sc.experiment.common_random_numbers)),
        ("Precision", prec_text),
        ("Backend", meta.get("backend_detail") or meta.get("backend", "–")),
        ("Run", f"{meta.get('started_utc', '–')} → {meta.get('finished_utc', '–')}" + wall),
        ("Status", meta.get("status", "–")),
        ("Command", " ".join(str(c) for c in meta.get("command", [])) or "–"),
        ("Report built", dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
    ]
    page.add(
        "<table>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows) + "</table>"
    )
    if data.notes:
        page.add(
            "<p><b>Not shown</b> (data missing from this folder):</p><ul>"
            + "".join(f"<li>{esc(t)}</li>" for t in data.notes)
            + "</ul>"
        )
    page.add(
        "<p>Files in this folder: config.resolved.yaml (the scenario as run), replications.parquet, "
        "summary.csv, comparison.csv, timeseries.parquet, details.parquet, plots/*.png.</p>"
    )
    page.add("</footer></section>")


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


def _sdrs(page: Page) -> None:
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
                cells.append(_cell("–"))
            elif metric.endswith("_rate"):
                cells.append(
                    _cell(
                        fmt.pct(float(r["mean"]), 1),
                        f"{fmt.pct(float(r['ci_low']), 1)} – {fmt.pct(float(r['ci_high']), 1)}",
                    )
                )
            elif metric.startswith("mean_fit"):
                cells.append(
                    _cell(f"{float(r['mean']):.3f}", f"{float(r['ci_low']):.3f} – {float(r['ci_high']):.3f}")
                )
            elif metric == "sdr_meetings":
                cells.append(
                    _cell(
                        f"{float(r['mean']):,.0f}", f"{float(r['ci_low']):,.0f} – {float(r['ci_high']):,.0f}"
                    )
                )
            else:
                cells.append(
                    _cell(
                        fmt.money(float(r["mean"])),
                        f"{fmt.money(float(r['ci_low']))} – {fmt.money(float(r['ci_high']))}",
                    )
                )
        rows.append(cells)
        classes.append("baseline" if plan == data.baseline else "")
    page.add("<h3>SDR funnel, fit and cost (mean, CI)</h3>")
    page.add(table(["plan", *[c[1] for c in SDR_COLUMNS]], rows, classes, raw=True))
    page.end()


def build(data: ReportData, plots_dir: Path | None) -> tuple[str, list[Path]]:
    """The report's HTML text and the PNG files written under ``plots_dir`` (none when None)."""
    from sim.report.decision_html import decision_section, pay_section

    page = Page(data, plots_dir)
    sc = data.results.scenario
    for step in (
        _question,
        decision_section,
        _plans,
        pay_section,
        _metrics,
        _differences,
        _arr,
        _waterfall,
        _payouts,
        _attainment,
        _discounts,
        _timing,
        _second_order,
        _market,
        _cash,
        _sdrs,
        _people,
    ):
        step(page)
    _footer(page)
    toc = " ".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in SECTIONS)
    title = esc(safe_text(sc.name))  # the name on one line
    head = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} — incentsim report</title><style>{CSS}</style></head><body><main>"
        f'<header class="top"><div class="kicker">incentsim report</div><h1>{title}</h1>'
        f'<nav class="toc">{toc}</nav></header>'
    )
    return head + "".join(page.parts) + "</main></body></html>\n", page.written


def write_report(folder: str | Path, results: Any = None, *, save_plots: bool = True) -> Path:
    """Write ``report.html`` and ``plots/*.png`` into a results folder and return the report's path.

    ``results`` may pass the folder's :class:`~sim.experiment.results.Results` already in memory;
    otherwise the folder is read (what ``incentsim report`` does). ``save_plots=False`` embeds the
    figures without writing PNG files. Figures whose data is missing are replaced by a note; raises
    :class:`~sim.report.data.NotAResultsFolder` for a folder that is not a readable results folder.
    """
    folder = Path(folder)
    data = load(folder, results)
    plots_dir = folder / PLOTS_DIR if save_plots else None
    if plots_dir is not None:
        plots_dir.mkdir(exist_ok=True)
    text, written = build(data, plots_dir)
    # A figure that could not be drawn this time must not leave an older PNG behind.
    if plots_dir is not None:
        for name in (*FIGURES, *CONDITIONAL_FIGURES, *decision_figures()):
            stale = plots_dir / f"{name}.png"
            if stale not in written and stale.exists():
                stale.unlink()
    out = folder / REPORT_FILE
    atomic_write_text(out, text)
    return out

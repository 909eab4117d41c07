"""How results look in a notebook: formatted tables ($, pp, CIs) for ``RunResults`` and ``Decision``
(their ``_repr_html_``), in the report's own cells and styles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.report import fmt
from sim.report.data import KEY_METRICS, lookup
from sim.report.decide import Decision
from sim.report.decision_view import decision_cells
from sim.report.page import cell, esc, table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.experiment.results import RunResults

STYLE = (
    "<style>.incentsim td .ci{display:block;color:#6b6b6b;font-size:85%;white-space:nowrap}"
    ".incentsim td.better{color:#1a7f37;font-weight:600}.incentsim td.worse{color:#c0392b;"
    "font-weight:600}.incentsim td,.incentsim th{text-align:right}.incentsim td:first-child,"
    ".incentsim th:first-child{text-align:left}.incentsim p{max-width:60em}"
    ".incentsim .nw{white-space:nowrap}</style>"
)


def metrics_html(results: RunResults) -> str:
    """Plans x key metrics: mean [CI], and the paired difference vs the baseline [CI] below it."""
    metrics = [m for m in KEY_METRICS if m in results.replications.columns]
    summ = lookup(results.summary(metrics), "plan", "metric")
    comp = lookup(results.comparison(metrics), "plan", "metric") if len(results.plans) > 1 else {}
    rows = []
    for plan in results.plans:
        cells = [cell(plan + (" (baseline)" if plan == results.baseline else ""))]
        for m in metrics:
            s = summ.get((plan, m))
            if s is None:
                cells.append(cell("–"))
                continue
            text = fmt.value(m, float(s["mean"]))
            ci = fmt.interval(m, float(s["ci_low"]), float(s["ci_high"]))
            c = comp.get((plan, m))
            cls = ""
            if c is not None:
                d = fmt.interval(m, float(c["ci_low"]), float(c["ci_high"]), True)
                ci += f" · Δ {fmt.diff(m, float(c['diff']))} {d}"
                if bool(c["significant"]):
                    up = fmt.HIGHER_IS_BETTER.get(m)
                    cls = "" if up is None else ("better" if (float(c["diff"]) > 0) == up else "worse")
            cells.append(cell(text, ci, cls))
        rows.append(cells)
    return table(["plan", *[fmt.label(m) for m in metrics]], rows, raw=True)


def decision_html(decision: Decision) -> str:
    """The decision table, its notes and the verdicts."""
    if len(decision.plans) < 2:
        return '<div class="incentsim"><p>One plan: nothing to decide between.</p></div>'
    cells = decision_cells(decision)
    rows = [[cell(v, ci) for v, ci in row] for row in cells.rows]
    notes = "".join(f"<p><small>{esc(n)}</small></p>" for n in cells.notes)
    verdicts = "".join(f"<li>{esc(v.text)}</li>" for v in decision.verdicts())
    return (
        f'{STYLE}<div class="incentsim">{table(cells.header, rows, raw=True)}{notes}<ul>{verdicts}</ul></div>'
    )


def results_html(results: RunResults) -> str:
    """A RunResults in a notebook: what ran, the key metrics with paired differences, the decision."""
    n = results.replications.groupby("plan").size() if len(results.replications) else None
    reps = "–" if n is None or not len(n) else "/".join(str(x) for x in sorted(set(n.tolist())))
    head = (
        f"<p><b>{esc(results.scenario.name)}</b>: {len(results.plans)} plans, {reps} replications per "
        f"plan, baseline <b>{esc(results.baseline)}</b>, {results.confidence:.0%} intervals; "
        "Δ = paired difference vs the baseline (green better, red worse when significant).</p>"
    )
    if n is None or not len(n):
        return f'{STYLE}<div class="incentsim">{head}<p>No replications.</p></div>'
    body = metrics_html(results)
    decision = decision_html(Decision(results)) if len(n) > 1 else ""
    return f'{STYLE}<div class="incentsim">{head}{body}</div>{decision}'


def plot_metric(results: RunResults, metric: str = "nrr") -> Figure:
    """Forest plot of one metric: each plan's mean with its interval (left) and the paired
    difference from the baseline with its interval (right; green better, red worse when
    significant), on axes in the metric's units ($, %, percentage points)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from sim.report.style import BETTER, NEUTRAL, WORSE, style

    plans = results.plans
    summ = results.summary([metric]).set_index("plan").reindex(plans)
    comp = results.comparison([metric]).set_index("plan") if len(plans) > 1 else None
    ratio = fmt.is_ratio(metric)
    with style():
        fig = Figure(figsize=(9, 0.6 * len(plans) + 1.6), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2, sharey=True)
        y = list(range(len(plans)))[::-1]
        mean = summ["mean"].to_numpy(dtype=float)
        err = [mean - summ["ci_low"].to_numpy(dtype=float), summ["ci_high"].to_numpy(dtype=float) - mean]
        ax1.errorbar(mean, y, xerr=err, fmt="o", capsize=3, color="#333333")
        ax1.set_yticks(y, plans)
        ax1.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: fmt.value(metric, x)))
        ax1.set_title(f"{fmt.label(metric)}: mean, {results.confidence:.0%} CI")
        up = fmt.HIGHER_IS_BETTER.get(metric)
        for yi, plan in zip(y, plans, strict=True):
            if comp is None or plan not in comp.index:
                continue
            r = comp.loc[plan]
            d = float(r["diff"])
            color = NEUTRAL
            if bool(r["significant"]):
                color = BETTER if up is None or (d > 0) == up else WORSE
            e = [[d - float(r["ci_low"])], [float(r["ci_high"]) - d]]
            ax2.errorbar([d], [yi], xerr=e, fmt="o", capsize=3, color=color)
        ax2.axvline(0.0, color="black", lw=0.8)
        ax2.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: fmt.diff(metric, x)))
        unit = "percentage points" if ratio else ("$" if fmt.is_money(metric) else "units of the metric")
        ax2.set_title(f"paired difference vs {results.baseline}")
        ax2.set_xlabel(f"{fmt.label(metric)} minus {results.baseline} ({unit}; Bonferroni-adjusted CI)")
    return fig


def plot_arr(results: RunResults, series: str = "arr") -> Figure:
    """A monthly series per plan (mean, P10–P90) in $, and its paired difference from the baseline
    with a confidence band per month (the report's figure)."""
    from sim.report.data import ReportData
    from sim.report.outcome_plots import arr_over_time
    from sim.report.style import style

    with style():
        return arr_over_time(ReportData(results), series)


def plot_frontier(results: RunResults) -> Figure:
    """Payout cost against NRR and ending ARR: paired differences with intervals on both axes,
    dominated plans hollow (the report's frontier)."""
    from sim.report.data import ReportData
    from sim.report.decision_plots import frontier
    from sim.report.style import style

    with style():
        return frontier(ReportData(results))

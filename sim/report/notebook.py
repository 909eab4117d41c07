"""How results look in a notebook: formatted tables ($, pp, CIs) for ``Results`` and ``Decision``
(their ``_repr_html_``), in the report's own cells and styles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.report import fmt
from sim.report.data import KEY_METRICS, lookup
from sim.report.decision_view import decision_cells
from sim.report.html import esc, table

if TYPE_CHECKING:
    from sim.experiment.decide import Decision
    from sim.experiment.results import Results

STYLE = (
    "<style>.incentsim td .ci{display:block;color:#6b6b6b;font-size:85%;white-space:nowrap}"
    ".incentsim td.better{color:#1a7f37;font-weight:600}.incentsim td.worse{color:#c0392b;"
    "font-weight:600}.incentsim td,.incentsim th{text-align:right}.incentsim td:first-child,"
    ".incentsim th:first-child{text-align:left}.incentsim p{max-width:60em}</style>"
)


def _cell(value: str, interval: str = "", cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    ci = f'<span class="ci">{esc(interval)}</span>' if interval else ""
    return f"<td{c}>{esc(value)}{ci}</td>"


def metrics_html(results: Results) -> str:
    """Plans x key metrics: mean [CI], and the paired difference vs the baseline [CI] below it."""
    metrics = [m for m in KEY_METRICS if m in results.replications.columns]
    summ = lookup(results.summary(metrics), "plan", "metric")
    comp = lookup(results.comparison(metrics), "plan", "metric") if len(results.plans) > 1 else {}
    rows = []
    for plan in results.plans:
        cells = [_cell(plan + (" (baseline)" if plan == results.baseline else ""))]
        for m in metrics:
            s = summ.get((plan, m))
            if s is None:
                cells.append(_cell("–"))
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
            cells.append(_cell(text, ci, cls))
        rows.append(cells)
    return table(["plan", *[fmt.label(m) for m in metrics]], rows, raw=True)


def decision_html(decision: Decision) -> str:
    """The decision table, its notes and the verdicts."""
    if len(decision.plans) < 2:
        return '<div class="incentsim"><p>One plan: nothing to decide between.</p></div>'
    cells = decision_cells(decision)
    rows = [[_cell(v, ci) for v, ci in row] for row in cells.rows]
    notes = "".join(f"<p><small>{esc(n)}</small></p>" for n in cells.notes)
    verdicts = "".join(f"<li>{esc(v.text)}</li>" for v in decision.verdicts())
    return (
        f'{STYLE}<div class="incentsim">{table(cells.header, rows, raw=True)}{notes}<ul>{verdicts}</ul></div>'
    )


def results_html(results: Results) -> str:
    """A Results in a notebook: what ran, the key metrics with paired differences, the decision."""
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
    decision = decision_html(results.decision()) if len(n) > 1 else ""
    return f'{STYLE}<div class="incentsim">{head}{body}</div>{decision}'

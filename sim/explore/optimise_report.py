"""``report.html`` of an optimisation: the question, the levers, the search, the confirmation and
its verdict (the confirmation's own full report is ``confirmation/report.html``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.explore import optimise_plots
from sim.explore.report import PLOTS_DIR, REPORT_FILE, _Page
from sim.files import atomic_write_text
from sim.report import fmt
from sim.report.page import CSS, esc, table

if TYPE_CHECKING:
    from sim.explore.optimisation import OptimisationResult


def _lever_text(lever: Any) -> str:
    if lever.choices is not None:
        return "one of " + ", ".join(str(c) for c in lever.choices)
    text = f"{lever.low:g} – {lever.high:g}"
    if lever.step:
        text += f" in steps of {lever.step:g}"
    if lever.integer:
        text += ", whole numbers"
    if lever.log:
        text += ", searched in log"
    return text


def _iv(metric: str, v: dict[str, float], difference: bool) -> str:
    f = fmt.diff if difference else fmt.value
    if not math.isfinite(v.get("ci_low", math.nan)):
        return f(metric, v.get("mean", v.get("diff", math.nan)))
    mid = v.get("diff", v.get("mean", math.nan))
    return f"{f(metric, mid)} [{f(metric, v['ci_low'])}, {f(metric, v['ci_high'])}]"


def build(o: OptimisationResult, plots_dir: Path | None) -> str:
    """The report as HTML text."""
    page = _Page(plots_dir)
    sc, s, v = o.scenario, o.settings, o.verdict
    m = o.objectives[0]
    assert o.levers is not None
    page.add(
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{esc(sc.name)}: optimise</title>"
    )
    page.add(f"<style>{CSS}</style></head><body><main>")
    page.add('<header class="top"><div class="kicker">incentsim optimise</div>')
    page.add(f"<h1>{esc(sc.name)}: the best {esc(o.levers.plan)} we can afford</h1>")
    goal = " and ".join(
        f"{'maximise' if fmt.HIGHER_IS_BETTER.get(x, False) else 'minimise'} {fmt.label(x)}"
        for x in o.objectives
    )
    budget = ", ".join(b.text() for b in o.budgets) or "no budget"
    robust = (
        ""
        if s.robust == "none"
        else f" Robust: the {s.robust} over {s.robust_points} samples of the uncertainties."
    )
    page.add(f'<p class="lead">Goal: {esc(goal)}, subject to {esc(budget)}.{esc(robust)}</p></header>')
    page.add('<section id="verdict"><h2>Verdict (confirmation on fresh replications)</h2><ul>')
    for row in v["plans"]:
        if row.get("sentence"):
            page.add(f"<li>{esc(row['sentence'])}</li>")
    page.add("</ul>")
    best = v["best_hand_written_within_budget"]
    page.add(
        "<p class=explain>Best hand-written plan within the budget on the confirmation: "
        f"{esc(best or 'none')}. The search compared every candidate on the same replications, so the best "
        "of many is an optimistic "
        "estimate (it was picked partly for its luck); the confirmation runs the picked candidates and every "
        f"hand-written plan on a fresh seed ({v['fresh_seed']}) the selection never saw, with paired "
        "intervals "
        f"Bonferroni-adjusted over the candidates ({v['candidate_confidence']:.1%} each). Column "
        "“search” shows the estimate the candidate was picked on: compare it with the confirmed one.</p>"
    )
    head = [
        "plan",
        "kind",
        f"{fmt.label(m)}",
        f"vs {o.confirmation.baseline}",
        "search",
        *[b.text() for b in o.budgets],
        "within budget",
    ]
    rows = []
    for row in v["plans"]:
        cells = [row["plan"], row["kind"], _iv(m, row[m], False), _iv(m, row["vs_baseline"], True)]
        cells.append(fmt.diff(m, row["search_vs_baseline"]) if "search_vs_baseline" in row else "")
        cells += [_iv(b.metric, row["budgets"][b.text()], False) for b in o.budgets]
        cells.append("yes" if row["within_budget"] else "no")
        rows.append(cells)
    page.add(table(head, rows, text_columns=2))
    link = '<a href="confirmation/report.html">confirmation/report.html</a>'
    page.add(f"<p class=note>The confirmation's full report: {link}.</p>")
    page.figure(
        optimise_plots.front_figure(o),
        "front",
        "Search trials and the confirmed plans with paired intervals.",
    )
    page.add("</section>")
    page.add('<section id="search"><h2>The search</h2>')
    t = o.trials
    feasible = int(t["feasible"].sum()) if len(t) else 0
    early = int((t["stopped"] != "").sum()) if len(t) else 0
    infeasible = int((t["infeasible"] != "").sum()) if len(t) else 0
    page.add(
        f"<p class=explain>{len(t)} trials ({'TPE' if len(o.objectives) == 1 else 'NSGA-II'}, Optuna): "
        f"{feasible} feasible, {early} stopped early by racing (clearly worse than a better candidate or "
        f"clearly over budget after {s.min_reps} replications), {infeasible} never simulated (a linked "
        f"constraint or an invalid plan). Candidates ran on replications 0–{s.max_reps - 1} of the scenario "
        "seed, the same as the hand-written "
        "plans' reference, so their differences against the baseline are paired.</p>"
    )
    page.figure(
        optimise_plots.importance_figure(o), "importance", "Lever importance (fANOVA over feasible trials)."
    )
    page.figure(optimise_plots.slice_figure(o), "slices", "The objective against each lever.")
    page.add("<h3>Levers</h3>")
    lev_rows = [[path, _lever_text(lv)] for path, lv in o.levers.fields.items()]
    page.add(table(["field of " + o.levers.plan, "values"], lev_rows, text_columns=2))
    if o.levers.constraints:
        page.add("<p>Linked constraints: " + esc("; ".join(o.levers.constraints)) + "</p>")
    page.add("</section>")
    page.add(
        "<footer><p>Files: config.resolved.yaml, optimise.yaml, study.db (Optuna, SQLite), trials.csv, "
        "verdict.json, best-plans.yaml (ready to paste under plans:), confirmation/ (a full run folder), "
        "plots/*.png. How to read them: docs/explore.md.</p></footer></main></body></html>"
    )
    return "".join(page.parts)


def write_optimise_report(o: OptimisationResult, folder: Path, *, save_plots: bool = True) -> Path:
    """Write ``report.html`` (and ``plots/*.png``) into ``folder``."""
    path = folder / REPORT_FILE
    atomic_write_text(path, build(o, folder / PLOTS_DIR if save_plots else None))
    return path

"""The self-contained ``report.html``: plain HTML and CSS, figures embedded as base64 PNG data
URIs (also written to ``plots/``), readable in any browser without the tool or JavaScript.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sim.files import atomic_write_text
from sim.report import fmt
from sim.report.behaviour_html import (
    attainment_section,
    discounts_section,
    people_section,
    second_order_section,
    timing_section,
)
from sim.report.company_html import cash_section, market_section, sdrs_section
from sim.report.data import ReportData, load
from sim.report.decision_html import decision_section, pay_section
from sim.report.economics_html import economics_section
from sim.report.outcome_html import (
    arr_section,
    differences_section,
    metrics_section,
    payouts_section,
    plans_section,
    question_section,
    waterfall_section,
)
from sim.report.page import CSS, SECTIONS, Page, esc
from sim.report.plots import (
    CONDITIONAL_FIGURES,
    FIGURES,
    decision_figures,
)
from sim.report.rendering import Renderer
from sim.report.talent_html import talent_section
from sim.safetext import safe_text
from sim.source_date import source_date_epoch

REPORT_FILE = "report.html"

PLOTS_DIR = "plots"


def built_at() -> dt.datetime:
    """When the report is built: now, or ``$SOURCE_DATE_EPOCH`` when set (``sim.source_date``), so
    that two builds of one folder are the same file."""
    epoch = source_date_epoch()
    return dt.datetime.now(dt.UTC) if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC)


def _footer(page: Page, built: dt.datetime) -> None:
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
        ("Report built", built.strftime("%Y-%m-%dT%H:%M:%SZ")),
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


SECTION_STEPS = (
    question_section,
    decision_section,
    plans_section,
    pay_section,
    metrics_section,
    differences_section,
    arr_section,
    waterfall_section,
    economics_section,
    payouts_section,
    attainment_section,
    discounts_section,
    timing_section,
    second_order_section,
    market_section,
    cash_section,
    sdrs_section,
    talent_section,
    people_section,
)
"""The functions that write the report's sections, in order (the footer follows them)."""


def build(data: ReportData, plots_dir: Path | None, workers: int | None = None) -> tuple[str, list[Path]]:
    """The report's HTML text and the PNG files written under ``plots_dir`` (none when None).

    The figures are rendered ahead on ``workers`` forked processes where that is safe
    (:mod:`sim.report.rendering`; None: one per core, 0: every figure drawn here, in turn)."""
    built = built_at()  # first: a malformed $SOURCE_DATE_EPOCH stops the build before any drawing
    # ahead in the order the sections ask for them: the decision section comes first
    with Renderer(data, ahead=(*decision_figures(), *FIGURES), workers=workers) as renderer:
        page = Page(data, plots_dir, renderer=renderer)
        for step in SECTION_STEPS:
            step(page)
    _footer(page, built)
    sc = data.results.scenario
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

    ``results`` may pass the folder's :class:`~sim.experiment.results.RunResults` already in memory;
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
